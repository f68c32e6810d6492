"""Recording refunds against paid checkouts, for the API and the console alike.

The merchant sends the money back in their own UPI app (there is no PSP to push
it); this records it once, never above what was paid, with an audit line and a
`checkout.refunded` event. Racing clicks are settled by the store's conditional
update (checkout.storage.refunds), not by a read here.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Any

from checkout.config import Settings
from checkout.domain.money import rupees_decimal
from checkout.domain.refunds import RefundError, check_refund, refund_uri, refundable
from checkout.domain.vocabulary import REFUND_ID, EventType, Status
from checkout.services.errors import Conflict, NotFound
from checkout.services.presenters import (
    RefundView,
    Reply,
    Rupees,
    internal_session_id,
    refund_view,
    session_data,
)
from checkout.storage.known_debits import KnownDebitStore
from checkout.storage.models import PaymentSession
from checkout.storage.refunds import add_refund, refund_events_queued
from checkout.storage.store import Store

# Said wherever a refund is recorded with a balance-only wallet: its balance shows the
# refund as a fall, which is read right only when recorded as sent from that wallet.
BALANCE_ONLY_NOTICE = (
    "The watched wallet only reports its balance: send this refund from another "
    "account, or say it was sent from the watched wallet, so that its next balance "
    "reading adds it back rather than reading a payment beside it as less than was paid."
)


def balance_only_wallet(settings: Settings) -> bool:
    """Whether the watched wallet shows a refund sent from it only as a fall of its
    balance (MobiKwik without history, and the sandbox wallet)."""
    return settings.balance_only or settings.sandbox


MAX_ATTEMPTS = 20  # conditional updates lost to other refunds before giving up


class RefundAnswer(Reply):
    refund: RefundView
    refundedAmount: Rupees
    notice: str | None


class RefundList(Reply):
    object: str
    data: list[RefundView]
    refundedAmount: Rupees
    refundable: Rupees


def amount_paid(session: PaymentSession) -> int:
    """What the payer paid: the evidence's amount when it differed (a UTR claim)."""
    return int(session.amountPaidPaise or session.amountPaise)


def find_session(store: Store, public_id: str) -> PaymentSession:
    internal = internal_session_id(public_id)
    session = store.session_by_id(internal) if internal else None
    if session is None:
        raise NotFound("Checkout session not found", field="id", detail="unknown")
    return session


def payer_vpa(store: Store, session: PaymentSession) -> str | None:
    """The payer's UPI address when the evidence that paid this checkout named one."""
    for key in session.creditKeys or []:
        credit = store.credit_by_key(key)
        if credit is not None and credit.payer and "@" in credit.payer:
            return str(credit.payer)
    return None


def refund_link(store: Store, session: PaymentSession, amount_paise: int) -> str | None:
    """The `upi://pay` link paying `amount_paise` back to the payer; None without a VPA."""
    name = (session.customer or {}).get("name") or "Customer"
    return refund_uri(
        payer_vpa=payer_vpa(store, session),
        payer_name=str(name),
        amount_paise=amount_paise,
        reference=session.orderId,
    )


def create_refund(
    store: Store,
    settings: Settings,
    public_id: str,
    *,
    amount_paise: int,
    utr: str | None,
    note: str | None,
    by: str,
    now: datetime,
    from_wallet: bool = False,
) -> RefundAnswer:
    """Record one refund; 409 when the checkout is not paid or too little is left.

    `from_wallet`: the merchant sent it from the watched wallet. With a balance-only
    wallet it becomes a known debit, which the next balance reading adds back.
    """
    session = find_session(store, public_id)
    refund: dict[str, Any] = {
        "id": REFUND_ID.prefix + secrets.token_hex(REFUND_ID.hex_digits // 2),
        "amountPaise": amount_paise,
        "utr": utr,
        "note": note,
        "by": by,
        "createdAt": now,
    }
    for _ in range(MAX_ATTEMPTS):
        if session.status != Status.COMPLETED:
            raise Conflict(
                "Only a completed checkout can be refunded", field="id", status=session.status
            )
        paid = amount_paid(session)
        try:
            total = check_refund(amount_paise, paid, session.refundedAmountPaise)
        except RefundError:
            left = rupees_decimal(refundable(paid, session.refundedAmountPaise))
            raise Conflict(
                f"A refund cannot exceed what is left of the amount paid (₹{left})",
                field="amount",
                refundable=left,
            ) from None
        updated = add_refund(store, session, refund, total)
        if updated is not None:
            store.audit(
                "checkout_refunded",
                now=now,
                order_id=session.orderId,
                details={
                    "refund": refund["id"],
                    "amountPaise": amount_paise,
                    "by": by,
                    "fromWallet": from_wallet,
                },
            )
            if from_wallet and balance_only_wallet(settings):
                KnownDebitStore().add(
                    refund_id=refund["id"],
                    order_id=session.orderId,
                    amount_paise=amount_paise,
                    now=now,
                )
            return RefundAnswer(
                refund=refund_view(refund),
                refundedAmount=rupees_decimal(total),
                notice=BALANCE_ONLY_NOTICE if settings.balance_only else None,
            )
        session = find_session(store, public_id)  # another refund came first: decide again
    raise Conflict("Too many refunds at once; try again", field="id")


def list_refunds(store: Store, public_id: str) -> RefundList:
    session = find_session(store, public_id)
    refunded = session.refundedAmountPaise or 0
    return RefundList(
        object="list",
        data=[refund_view(refund) for refund in session.refunds or []],
        refundedAmount=rupees_decimal(refunded),
        refundable=rupees_decimal(refundable(amount_paid(session), refunded)),
    )


def publish_refund_events(
    store: Store, session: PaymentSession, emit: Callable[[str, str, dict[str, Any]], object]
) -> None:
    """Queue one `checkout.refunded` per refund (each its own event id), then clear the debt.

    `emit(event_type, subject, data)` is the outbox's, idempotent per event id, so a
    refund added meanwhile (the debt stays, see refund_events_queued) only repeats work.
    """
    data = session_data(session)
    for index, refund in enumerate(session.refunds or []):
        emit(
            EventType.CHECKOUT_REFUNDED.value,
            refund["id"],
            {**data, "refund": data["refunds"][index]},
        )
    refund_events_queued(store, session)


__all__ = [
    "BALANCE_ONLY_NOTICE",
    "RefundAnswer",
    "RefundList",
    "balance_only_wallet",
    "create_refund",
    "find_session",
    "list_refunds",
    "payer_vpa",
    "publish_refund_events",
    "refund_link",
]
