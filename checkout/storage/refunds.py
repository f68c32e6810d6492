"""Recording a refund: one conditional update on the checkout document.

The update matches the refunded total it read, so of two racing refunds only the
first writes; the second re-reads and is refused if nothing is left. The same
update owes the `checkout.refunded` event (the outbox), like every state change.
"""

from __future__ import annotations

from typing import Any

from checkout.domain.vocabulary import EventType, Status
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store


def add_refund(
    store: Store, session: PaymentSession, refund: dict[str, Any], new_total: int
) -> PaymentSession | None:
    """Append `refund` if the session is completed and its refunded total is unchanged.

    None when another refund (or nothing at all) changed it first: read again and decide.
    """
    with store.atomic():
        return PaymentSession.objects(
            id=session.id,
            status=Status.COMPLETED,
            refundedAmountPaise=session.refundedAmountPaise,
        ).modify(
            new=True,
            set__refundedAmountPaise=new_total,
            push__refunds=refund,
            push__pendingEvents=EventType.CHECKOUT_REFUNDED.value,
        )


def refund_events_queued(store: Store, session: PaymentSession) -> bool:
    """Clear the refund debt, unless a refund was added since `session` was read."""
    with store.atomic():
        updated = PaymentSession.objects(
            id=session.id, refundedAmountPaise=session.refundedAmountPaise
        ).update_one(pull__pendingEvents=EventType.CHECKOUT_REFUNDED.value)
    return bool(updated)
