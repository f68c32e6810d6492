"""Merchant API: the credits the gateway has seen, and settling the ones it could not
match (assign to a payable checkout, or dismiss). Bearer key, like all of /api/v1."""

from __future__ import annotations

from checkout import clock, limits
from checkout.api.auth import current_caller
from checkout.api.operations import Routes
from checkout.api.routes import bp
from checkout.api.schemas.credits import (
    AssignCreditBody,
    CreditId,
    DismissCreditBody,
    ListCreditsQuery,
)
from checkout.gateway import current_gateway
from checkout.services import credits
from checkout.services.credits import CreditList, CreditView

ledger = Routes(bp, tag="Credits", secured=True)


@ledger.get("/api/v1/credits", "List credits, newest first", limit=limits.STATUS, errors=(404,))
def list_credits(query: ListCreditsQuery) -> CreditList:
    return credits.list_credits(
        current_gateway().store,
        state=query.state,
        source=query.source,
        rrn=query.rrn,
        starting_after=query.startingAfter,
        limit=query.limit,
    )


# A decision on a credit: by whom, and when (the audit names the key that decided).
def _decider() -> dict[str, object]:
    return {"now": clock.utcnow(), "who": current_caller().key_id}


@ledger.post(
    "/api/v1/credits/<creditId>/assign",
    "Complete a payable checkout from an unattributed credit",
    errors=(404, 409),
)
def assign_credit(creditId: CreditId, body: AssignCreditBody) -> CreditView:
    return credits.assign(current_gateway().store, creditId, body.orderId, **_decider())


@ledger.post(
    "/api/v1/credits/<creditId>/dismiss", "Set an unattributed credit aside", errors=(404, 409)
)
def dismiss_credit(creditId: CreditId, body: DismissCreditBody) -> CreditView:
    return credits.dismiss(current_gateway().store, creditId, body.reason, **_decider())
