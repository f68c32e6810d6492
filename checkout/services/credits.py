"""The credits the gateway has seen, and the merchant's decisions on the ones it could
not match: assign one to a payable checkout, or set it aside (issue 9).

Each decision is one conditional update on the credit, so racing clicks decide once;
an assignment completes its checkout through the same completion as every credit.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import Field

from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import CREDIT_ID, CreditState, Status, pattern
from checkout.services.checkouts import complete_checkout
from checkout.services.errors import Conflict, NotFound
from checkout.services.presenters import Reply, Rupees, Timestamp
from checkout.storage.models import WalletCredit
from checkout.storage.store import Store

_ACCOUNT = re.compile(r"(?i)\b((?:a/?c|acct|account)\s*(?:no\.?)?\s*[:.]?\s*)[Xx*]*(\d+)")


class CreditView(Reply):
    id: str = Field(pattern=pattern(CREDIT_ID.regex))
    source: str
    amount: Rupees
    rrn: str | None
    payer: str | None
    bank: str | None
    occurredAt: Timestamp | None
    observedAt: Timestamp
    state: str
    outcome: str
    orderIds: list[str]
    text: str | None = Field(description="The message as the bank wrote it, account numbers masked")


class CreditList(Reply):
    object: str
    data: list[CreditView]
    hasMore: bool
    nextCursor: str | None


def public_credit_id(credit: WalletCredit) -> str:
    return f"{CREDIT_ID.prefix}{credit.id}"


# The states the API shows, and the ledger's behind each (the inverse of shown_state):
# "attributing" shows as attributed (its completions are under way and will finish), and
# a credit seen but not decided yet shows as unattributed.
STORED_STATES = {
    "attributed": (CreditState.ATTRIBUTING, CreditState.ATTRIBUTED),
    "unattributed": (CreditState.NEW, CreditState.UNATTRIBUTED),
    "conflict": (CreditState.CONFLICT,),
    "dismissed": (CreditState.DISMISSED,),
}


def shown_state(credit: WalletCredit) -> str:
    state = credit.state or CreditState.NEW
    if state in (CreditState.ATTRIBUTING, CreditState.ATTRIBUTED):
        return "attributed"
    if state == CreditState.NEW:
        return "unattributed"  # seen, not decided yet: the next tick decides it
    return str(state)


def mask_accounts(text: str | None) -> str | None:
    """Account numbers never leave the gateway whole: only their last 4 digits."""
    if text is None:
        return None
    return _ACCOUNT.sub(lambda m: f"{m.group(1)}XX{m.group(2)[-4:]}", text)


def credit_view(credit: WalletCredit) -> CreditView:
    return CreditView(
        id=public_credit_id(credit),
        source=credit.provider,
        amount=rupees_decimal(credit.amountPaise),
        rrn=credit.rrn,
        payer=credit.payer,
        bank=credit.bank,
        occurredAt=credit.occurredAt,
        observedAt=credit.observedAt,
        state=shown_state(credit),
        outcome=str(credit.outcome),
        orderIds=list(credit.orderIds),
        text=mask_accounts(credit.rawText),
    )


def internal_credit_id(public_id: str) -> str | None:
    if not CREDIT_ID.matches(public_id):
        return None
    return public_id.removeprefix(CREDIT_ID.prefix)


def find_credit(store: Store, public_id: str) -> WalletCredit:
    internal = internal_credit_id(public_id)
    credit = store.credit_by_id(internal) if internal else None
    if credit is None:
        raise NotFound("Credit not found", field="id")
    return credit


def list_credits(
    store: Store,
    *,
    state: str | None,
    source: str | None,
    rrn: str | None,
    starting_after: str | None,
    limit: int,
) -> CreditList:
    before: tuple[datetime, str] | None = None
    if starting_after:
        cursor = find_credit(store, starting_after)
        before = (cursor.observedAt, str(cursor.id))
    stored = [str(s) for s in STORED_STATES[state]] if state else None
    found = store.list_credits(
        states=stored, source=source, rrn=rrn, before=before, limit=limit + 1
    )
    page = [credit_view(credit) for credit in found[:limit]]
    has_more = len(found) > limit
    return CreditList(
        object="list", data=page, hasMore=has_more, nextCursor=page[-1].id if has_more else None
    )


def assign(store: Store, public_id: str, order_id: str, *, now: datetime, who: str) -> CreditView:
    """Complete a payable checkout from an unattributed credit: the merchant's decision."""
    credit = find_credit(store, public_id)
    session = store.session_by_order_id(order_id)
    if session is None:
        raise NotFound("Payment session not found", field="orderId")
    if session.status == Status.COMPLETED:
        raise Conflict("This checkout is already paid", field="orderId", status=session.status)
    if not store.assign_credit(credit.key, order_id):
        raise Conflict(f"This credit is {shown_state(credit)} and cannot be assigned", field="id")
    if complete_checkout(store, order_id, now=now, credit_key=credit.key, final_balance=None):
        store.credit_attributed(credit.key)
    else:
        store.unassign_credit(credit.key)
        raise Conflict("This checkout can no longer be paid", field="orderId")
    store.audit(
        "credit_assigned",
        now=now,
        order_id=order_id,
        details={"credit": credit.key, "by": who, "amountPaise": credit.amountPaise},
    )
    return credit_view(find_credit(store, public_id))


def dismiss(store: Store, public_id: str, reason: str, *, now: datetime, who: str) -> CreditView:
    """Set a credit aside (a refund made by hand, a transfer between own accounts)."""
    credit = find_credit(store, public_id)
    if not store.dismiss_credit(credit.key, reason):
        raise Conflict(f"This credit is {shown_state(credit)} and cannot be dismissed", field="id")
    store.audit(
        "credit_dismissed",
        now=now,
        details={"credit": credit.key, "by": who, "reason": reason},
    )
    return credit_view(find_credit(store, public_id))


__all__ = [
    "CreditList",
    "CreditView",
    "assign",
    "credit_view",
    "dismiss",
    "list_credits",
    "mask_accounts",
    "public_credit_id",
]
