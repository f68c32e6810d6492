"""The refund's one conditional update, on both stores: a stale read never over-refunds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from checkout.storage.models import PaymentSession
from checkout.storage.refunds import add_refund, refund_events_queued
from checkout.storage.store import Store


def test_a_refund_written_from_a_stale_read_is_refused(store: Store) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    store.insert_session(
        PaymentSession(
            orderId="ORD-RS1",
            token="tok-rs1",
            status="completed",
            totalAmountPaise=10_000,
            amountPaise=10_000,
            createdAt=now,
            expiresAt=now + timedelta(minutes=10),
        )
    )
    read = store.session_by_order_id("ORD-RS1")
    assert read is not None and read.refundedAmountPaise is None
    refund = {"id": "rf_0123456789abcdef", "amountPaise": 6000, "by": "api", "createdAt": now}
    first = add_refund(store, read, refund, 6000)
    assert first is not None and first.refundedAmountPaise == 6000
    assert add_refund(store, read, {**refund, "id": "rf_fedcba9876543210"}, 12000) is None
    assert not refund_events_queued(store, read)  # a refund came after this read
    again = store.session_by_order_id("ORD-RS1")
    assert again is not None and len(again.refunds) == 1
    assert again.pendingEvents == ["checkout.refunded"]
    assert refund_events_queued(store, again)
    cleared = store.session_by_order_id("ORD-RS1")
    assert cleared is not None and cleared.pendingEvents == []
