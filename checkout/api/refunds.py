"""Merchant API: refunds recorded against paid checkouts (the money goes back by hand,
from the merchant's own UPI app). Bearer key, like all of /api/v1."""

from __future__ import annotations

from checkout import clock, limits
from checkout.api.operations import Routes
from checkout.api.routes import bp
from checkout.api.schemas.refunds import CreateRefundBody
from checkout.gateway import current_gateway
from checkout.services import refunds
from checkout.services.presenters import SessionId
from checkout.services.refunds import RefundAnswer, RefundList

ledger = Routes(bp, tag="Refunds", secured=True)


@ledger.post(
    "/api/v1/checkout-sessions/<id>/refunds",
    "Record a refund sent to the payer",
    status=201,
    errors=(404, 409),
    notes={409: "The checkout is not completed, or the amount exceeds what is left to refund"},
)
def create_refund(id: SessionId, body: CreateRefundBody) -> RefundAnswer:
    gateway = current_gateway()
    return refunds.create_refund(
        gateway.store,
        gateway.settings,
        id,
        amount_paise=body.amount,
        utr=body.utr,
        note=body.note,
        by="api",
        now=clock.utcnow(),
        from_wallet=body.fromWallet,
    )


@ledger.get(
    "/api/v1/checkout-sessions/<id>/refunds",
    "A checkout's refunds",
    limit=limits.STATUS,
    errors=(404,),
)
def list_refunds(id: SessionId) -> RefundList:
    return refunds.list_refunds(current_gateway().store, id)
