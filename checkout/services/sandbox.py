"""Sandbox payments: put money in the pretend wallet, exactly as a customer's UPI app would."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from checkout.domain.vocabulary import Status
from checkout.services.errors import Conflict, NotFound
from checkout.storage.store import Store


def credit_wallet(store: Store, paise: int, *, now: datetime, note: str = "manual credit") -> int:
    balance = store.sandbox_credit(paise, now, note)
    store.audit("sandbox_credit", now=now, details={"amountPaise": paise, "note": note})
    return balance


def pay_checkout(
    store: Store,
    order_id: str,
    *,
    now: datetime,
    read_wallet: Callable[[], object] | None = None,
) -> tuple[int, int]:
    """Credit the exact payable amount of one checkout; returns (amount, new balance).

    A balance rise pays only checkouts that existed at the read before it (DESIGN
    §5.5), and no real customer scans and pays before the next read. A simulated one
    can, so when the wallet has not been read since the checkout opened,
    ``read_wallet`` reads it first (the sandbox's own wallet costs nothing to read).
    """
    session = store.session_by_order_id(order_id)
    if session is None:
        raise NotFound("Payment session not found", field="orderId")
    if session.status == Status.COMPLETED.value:
        raise Conflict("This checkout is already paid", status=session.status)
    read_at = store.wallet_state().baselineAt
    if read_wallet is not None and (read_at is None or read_at < session.createdAt):
        read_wallet()
    balance = credit_wallet(store, session.amountPaise, now=now, note=f"pays {order_id}")
    return session.amountPaise, balance
