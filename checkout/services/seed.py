"""The seed's orderId endpoints (status, "I've paid", cancel): who may reach which checkout.

They take nothing but an orderId, and an orderId is guessable: integrators choose
them ("1001"), and a seed-flow one is no secret either. An Origin header is no
proof of anything (any client that is not a browser sends what it likes). So
without a merchant key these endpoints see only the checkouts the seed flow
itself opened; any other orderId answers exactly as an unknown one does, so a
stranger learns nothing about it. With a key (the merchant's backend), any checkout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from checkout.config import Settings
from checkout.domain.vocabulary import Status
from checkout.services import checkouts
from checkout.services import utr as utr_claims
from checkout.services.early_tick import EarlyTicks
from checkout.services.errors import NotFound
from checkout.storage.claims import ClaimStore
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store

SEED_SOURCE = "seed"


def find(store: Store, order_id: str, *, merchant: bool, now: datetime) -> PaymentSession:
    """The checkout as the caller may see it; NotFound, as for an unknown id, if it may not."""
    session = store.session_by_order_id(order_id)
    if session is None or not (merchant or session.source == SEED_SOURCE):
        raise _unknown()
    return checkouts.apply_expiry(store, session, now=now)


def status(store: Store, order_id: str, *, merchant: bool, now: datetime) -> str:
    """`find(...).status`, read through the store's status view (checkouts.current_status)."""
    shown = checkouts.current_status(store, now=now, order_id=order_id)
    if shown is None or not (merchant or shown.source == SEED_SOURCE):
        raise _unknown()
    return shown.status


def _unknown() -> NotFound:
    """The very error checkouts.find_checkout gives for an id nobody used."""
    return NotFound("Payment session not found", field="orderId")


def cancel(
    store: Store,
    settings: Settings,
    order_id: str,
    *,
    merchant: bool,
    now: datetime,
    ip: str | None,
) -> PaymentSession:
    find(store, order_id, merchant=merchant, now=now)
    return checkouts.cancel_checkout(store, settings, order_id, now=now, ip=ip)


@dataclass(frozen=True)
class PaymentDone:
    """The seed's answer, in paise: `credited` is what reached this checkout and nothing else.

    The seed reported the wallet's whole change since the checkout opened, which
    showed anyone other customers' payments; for an honest caller the two agree
    (0 until paid, the amount once paid).
    """

    status: str  # completed | already-completed | not-matched
    credited_paise: int
    expected_paise: int
    session_status: str
    utr_status: str | None = None  # only when the caller gave a UTR


def payment_done(
    store: Store,
    settings: Settings,
    early: EarlyTicks,
    order_id: str,
    *,
    merchant: bool,
    now_fn: Callable[[], datetime],
    ip: str | None,
    utr: str | None = None,
) -> PaymentDone:
    """An early tick (shared and bounded: see early_tick), then the checkout as the store has it.

    With the customer's `utr`, the claim is weighed first: when it matches, no tick is needed.
    """
    session = find(store, order_id, merchant=merchant, now=now_fn())
    was_completed = session.status == Status.COMPLETED.value
    utr_status = None
    if utr is not None:
        claimed = utr_claims.claim(store, ClaimStore(), settings, session, utr, now=now_fn(), ip=ip)
        utr_status = claimed.utr_status
        session = find(store, order_id, merchant=merchant, now=now_fn())
    if was_completed:
        result = "already-completed"
    else:
        if session.status != Status.COMPLETED.value:
            early.wait()
            session = find(store, order_id, merchant=merchant, now=now_fn())
        result = "completed" if session.status == Status.COMPLETED.value else "not-matched"
    paid = session.status == Status.COMPLETED.value
    answer = PaymentDone(
        status=result,
        credited_paise=session.amountPaise if paid else 0,
        expected_paise=session.amountPaise,
        session_status=session.status,
        utr_status=utr_status,
    )
    store.audit(
        "payment_done",
        now=now_fn(),
        order_id=session.orderId,
        ip=ip,
        details={"result": result},
    )
    return answer
