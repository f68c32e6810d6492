"""Checkout use cases: create, read (with expiry on read), cancel, complete.

Each state change is one conditional update in the store, so racing
requests and ticks complete a checkout once and write one order.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from checkout.config import Settings
from checkout.domain import lifecycle
from checkout.domain.matching import MAX_SUFFIX_PAISE, ranked_amounts
from checkout.domain.upi import build_upi_uri
from checkout.domain.vocabulary import GENERATED_ORDER_ID, Status
from checkout.providers.base import WalletProvider
from checkout.services import nonces, wallet
from checkout.services.errors import Conflict, NotFound, Unavailable
from checkout.storage.models import Order, PaymentSession
from checkout.storage.store import DuplicateOrderId, StatusView, Store

log = logging.getLogger(__name__)

REPEAT_PAYMENT_GUARD = timedelta(minutes=10)

# What an order keeps of its checkout, as the checkout had it (the seed's orders).
ORDER_COPIES = ("orderId", "productDetails", "deliveryDetails", "email", "totalAmountPaise", "late")

# What the pages and the API hold of a checkout: they name it through the services.
Checkout = PaymentSession


@dataclass(frozen=True)
class CheckoutRequest:
    """What a caller asks for; every field already validated by the API schemas."""

    order_id: str
    amount_paise: int
    source: str = "seed"
    base_price_paise: int | None = None
    tax_paise: int | None = None
    product_details: dict[str, Any] = field(default_factory=dict)
    delivery_details: dict[str, Any] = field(default_factory=dict)
    email: str | None = None
    coupon_code: str | None = None
    description: str | None = None
    customer: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, Any] = field(default_factory=dict)
    return_url: str | None = None
    cancel_url: str | None = None
    expires_in_minutes: int | None = None
    ip: str | None = None
    key_id: str | None = None  # the API key that asked: its signing key signs the redirect

    def stored_fields(self) -> dict[str, Any]:
        """What the checkout keeps of the request, under the store's (seed's) names."""
        return {
            "orderId": self.order_id,
            "source": self.source,
            "productDetails": self.product_details,
            "deliveryDetails": self.delivery_details,
            "email": self.email,
            "couponCode": self.coupon_code,
            "description": self.description,
            "customer": self.customer,
            "metadata": self.metadata,
            "returnUrl": self.return_url,
            "cancelUrl": self.cancel_url,
            "basePricePaise": self.base_price_paise,
            "taxPaise": self.tax_paise,
            "totalAmountPaise": self.amount_paise,
            "ip": self.ip,
            "keyId": self.key_id,
        }


def new_order_id() -> str:
    return f"{GENERATED_ORDER_ID}{secrets.token_hex(8).upper()}"


def create_checkout(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    request: CheckoutRequest,
    *,
    now: datetime,
) -> PaymentSession:
    if store.order_id_taken(request.order_id):
        raise Conflict(f"orderId {request.order_id!r} is already used", field="orderId")
    baseline = wallet.ensure_fresh_baseline(store, provider, settings, now=now)
    minutes = request.expires_in_minutes or settings.session_expiry_minutes
    expires_at = now + timedelta(minutes=minutes)
    payable_until = lifecycle.payable_until(Status.PENDING, expires_at, None, _grace(settings))
    assert payable_until is not None
    amount = _reserve_amount(store, settings, request, payable_until, now=now)
    session = PaymentSession(
        **request.stored_fields(),
        token=secrets.token_urlsafe(24),
        status=Status.PENDING.value,
        amountPaise=amount,
        initialBalancePaise=baseline,
        createdAt=now,
        expiresAt=expires_at,
        payableUntil=payable_until,
    )
    try:
        store.insert_session(session)
    except DuplicateOrderId:
        # Only our own amount: the session that won this orderId keeps its reservation.
        store.release_amount(request.order_id, paise=amount)
        raise Conflict(f"orderId {request.order_id!r} is already used", field="orderId") from None
    except BaseException:
        # No session, so nothing may hold its amount until the grace window ends.
        store.release_amount(request.order_id, paise=amount)
        raise
    store.audit(
        "session_created",
        now=now,
        order_id=request.order_id,
        ip=request.ip,
        details={"amountPaise": amount, "source": request.source},
    )
    log.info("checkout %s opened for %d paise", request.order_id, amount)
    return session


def _reserve_amount(
    store: Store,
    settings: Settings,
    request: CheckoutRequest,
    payable_until: datetime,
    *,
    now: datetime,
) -> int:
    """Reserve the best free amount near the request; 503 when none is free.

    Sharing an amount (or going above MAX_AMOUNT) would make attribution a guess,
    so when every amount is held the caller is told when the first one frees up.
    """
    requested = request.amount_paise
    low, high = requested - MAX_SUFFIX_PAISE, requested + 2 * MAX_SUFFIX_PAISE
    reserved = store.reserved_amounts(low, high, now=now)
    ranked = ranked_amounts(
        requested,
        reserved,
        always_suffix=settings.amount_suffix == "always",
        max_paise=settings.max_amount_paise,
    )
    amount = store.reserve_amount(ranked, request.order_id, payable_until, now)
    if amount is not None:
        return amount
    frees_at = store.earliest_release(requested, requested + MAX_SUFFIX_PAISE, now=now)
    wait = max(60, int((frees_at - now).total_seconds()) + 1) if frees_at else 60
    minutes = -(-wait // 60)
    raise Unavailable(
        "Every payable amount near this price is held by an open checkout right now, so "
        f"no new one can be told apart from them. Try again in about {minutes} minute"
        f"{'s' if minutes != 1 else ''}.",
        retry_after=wait,
    )


def create_checkout_with_nonce(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    request: CheckoutRequest,
    *,
    nonce: object,
    now: datetime,
) -> PaymentSession:
    """The seed's create: a live nonce first (a 401 reveals nothing), then the orderId
    (a 409 leaves the nonce unspent), then the nonce is spent and the checkout opened."""
    nonces.check_nonce(store, nonce, now=now)
    if store.order_id_taken(request.order_id):
        raise Conflict(f"orderId {request.order_id!r} is already used", field="orderId")
    nonces.consume_nonce(store, nonce, now=now)
    return create_checkout(store, provider, settings, request, now=now)


def find_checkout(store: Store, order_id: str, *, now: datetime) -> PaymentSession:
    session = store.session_by_order_id(order_id)
    if session is None:
        raise NotFound("Payment session not found", field="orderId")
    return apply_expiry(store, session, now=now)


def find_checkout_by_token(store: Store, token: str, *, now: datetime) -> PaymentSession:
    session = store.session_by_token(token)
    if session is None:
        raise _no_such_token()
    return apply_expiry(store, session, now=now)


def status_by_token(store: Store, token: str, *, now: datetime) -> StatusView:
    """find_checkout_by_token(...).status and the like, for a hosted page's poll."""
    view = current_status(store, now=now, token=token)
    if view is None:
        raise _no_such_token()
    return view


def _no_such_token() -> NotFound:
    return NotFound("This checkout does not exist")


def current_status(
    store: Store, *, now: datetime, order_id: str | None = None, token: str | None = None
) -> StatusView | None:
    """A checkout's status as a reader must see it, through the store's status view: a
    poll builds no document, unless this read is the one that finds it expired (then the
    expiry is stored, as find_checkout would, and the stored outcome is shown)."""
    view = store.status_view(order_id=order_id, token=token)
    if view is None:
        return None
    stored = Status(view.status)
    if lifecycle.effective_status(stored, view.expiresAt, now) == stored:
        return view
    expire(store, view.orderId, now=now)
    return store.status_view(order_id=view.orderId)


def apply_expiry(store: Store, session: PaymentSession, *, now: datetime) -> PaymentSession:
    """Expiry is stored and applied on read too, so a late ticker never shows a stale page."""
    status = Status(session.status)
    if lifecycle.effective_status(status, session.expiresAt, now) == status:
        return session
    expired = expire(store, session.orderId, now=now)
    return expired or store.session_by_order_id(session.orderId) or session


def expire(store: Store, order_id: str, *, now: datetime) -> PaymentSession | None:
    session = store.transition(
        order_id,
        Status.PENDING,
        Status.EXPIRED,
        {"closedAt": now},
        conditions={"expiresAt__lte": now},
    )
    if session is not None:
        store.audit("session_expired", now=now, order_id=order_id)
        log.info("checkout %s expired", order_id)
    return session


def expire_overdue(store: Store, *, now: datetime) -> list[str]:
    return [s.orderId for s in store.overdue_pending(now) if expire(store, s.orderId, now=now)]


def cancel_checkout(
    store: Store,
    settings: Settings,
    order_id: str,
    *,
    now: datetime,
    ip: str | None = None,
    by: str | None = None,
) -> PaymentSession:
    """`by` names the console user who cancelled, for the audit trail."""
    session = find_checkout(store, order_id, now=now)
    if session.status == Status.CANCELLED.value:
        return session
    if session.status != Status.PENDING.value:
        raise Conflict(
            f"This checkout is already {session.status} and cannot be cancelled",
            status=session.status,
        )
    payable_until = lifecycle.payable_until(
        Status.CANCELLED, session.expiresAt, now, _grace(settings)
    )
    assert payable_until is not None
    cancelled = store.transition(
        order_id,
        Status.PENDING,
        Status.CANCELLED,
        {"closedAt": now, "payableUntil": payable_until},
    )
    if cancelled is None:
        current = store.session_by_order_id(order_id) or session
        if current.status == Status.CANCELLED.value:
            return current
        raise Conflict(
            f"This checkout is already {current.status} and cannot be cancelled",
            status=current.status,
        )
    store.shorten_reservation(order_id, payable_until)
    details = {"by": by} if by else None
    store.audit("session_cancelled", now=now, order_id=order_id, ip=ip, details=details)
    log.info("checkout %s cancelled", order_id)
    return cancelled


def complete_checkout(
    store: Store,
    order_id: str,
    *,
    now: datetime,
    credit_key: str,
    final_balance: int | None,
    amount_paid: int | None = None,
) -> PaymentSession | None:
    """Mark paid once; None when this call did not complete it.

    The completing update also records that an order is owed (``orderPending``),
    so a crash before the order is written is repaired by `write_owed_orders`;
    a credit resumed after a crash finishes the order of a checkout it completed.
    """
    changes: dict[str, Any] = {
        "completedAt": now,
        "payableUntil": None,  # lifecycle.payable_until: nothing more can be attributed
        "finalBalancePaise": final_balance,
        "creditKeys": [credit_key],
        "orderPending": True,
    }
    if amount_paid is not None:
        changes["amountPaidPaise"] = amount_paid  # a UTR claim: what the evidence says
    session = None
    for source in lifecycle.sources_of(Status.COMPLETED):
        if source == Status.PENDING:
            session = store.transition(order_id, source, Status.COMPLETED, changes)
        else:
            # A closed checkout completes late, only inside its grace window.
            session = store.transition(
                order_id,
                source,
                Status.COMPLETED,
                {**changes, "late": True},
                conditions={"payableUntil__gt": now},
            )
        if session is not None:
            break
    if session is None:
        current = store.session_by_order_id(order_id)
        if current is not None and current.orderPending and credit_key in current.creditKeys:
            _write_order(store, current, now=now)  # completed by this credit before a crash
        return None
    _write_order(store, session, now=now)
    log.info("checkout %s completed%s", order_id, " (late)" if session.late else "")
    return session


def write_owed_orders(store: Store, *, now: datetime) -> list[str]:
    """Write the order of every checkout completed without one (a crash in between)."""
    return [
        session.orderId
        for session in store.sessions_owing_orders()
        if _write_order(store, session, now=now)
    ]


def _write_order(store: Store, session: PaymentSession, *, now: datetime) -> bool:
    """The steps after a completion, each safe to repeat; True if this call wrote the order."""
    # Keep the amount a while: a customer's repeated payment then stays unattributed
    # for the merchant to refund, instead of paying the next checkout of that price.
    store.shorten_reservation(session.orderId, (session.completedAt or now) + REPEAT_PAYMENT_GUARD)
    credit_keys = list(session.creditKeys or [])
    copied = {name: getattr(session, name) for name in ORDER_COPIES}
    written = store.insert_order(
        Order(
            **copied,
            amountPaidPaise=session.amountPaidPaise or session.amountPaise,
            creditKeys=credit_keys,
            createdAt=session.completedAt or now,
        )
    )
    if written:
        store.audit(
            "payment_completed",
            now=now,
            order_id=session.orderId,
            details={
                "amountPaise": session.amountPaise,
                "late": session.late,
                "credit": credit_keys[0] if credit_keys else None,
            },
        )
    store.order_written(session.orderId)
    return written


def _grace(settings: Settings) -> timedelta:
    return timedelta(minutes=settings.late_payment_grace_minutes)


def payment_uri(session: PaymentSession, settings: Settings) -> str:
    """The `upi://pay` URI for a checkout: exact payable amount, orderId as reference."""
    return build_upi_uri(
        payee_vpa=settings.upi_id,
        payee_name=settings.upi_payee_name,
        amount_paise=session.amountPaise,
        note=session.description or f"Order {session.orderId}",
        reference=session.orderId,
        merchant_code=settings.upi_merchant_code,
    )
