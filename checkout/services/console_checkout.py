"""One checkout in the console: its details, its timeline, its webhooks, and what may be done.

The timeline is read from the audit trail and the evidence (the ledger's credits),
so it shows what happened, in the order it happened, whoever did it. Cancelling and
retrying go through the services the API uses: one conditional update each, audited
with the signed-in user.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checkout.config import Settings
from checkout.domain.money import display_rupees
from checkout.domain.vocabulary import EventType, Status
from checkout.services import checkouts
from checkout.services.console_payments import customer_text, local_text
from checkout.services.errors import Conflict, NotFound
from checkout.services.outbox import event_id
from checkout.services.presenters import public_session_id
from checkout.storage.merchant import MerchantStore, WebhookDelivery
from checkout.storage.models import PaymentSession, WalletCredit
from checkout.storage.store import Store

# The checkout events a session's webhooks carry (each its own event id per session).
SESSION_EVENTS = (
    EventType.CHECKOUT_COMPLETED,
    EventType.CHECKOUT_EXPIRED,
    EventType.CHECKOUT_CANCELLED,
)
RETRIED = "webhook_retried"


@dataclass(frozen=True)
class Moment:
    """One line of the timeline."""

    at: datetime
    when: str  # local wall-clock time
    title: str
    detail: str = ""


@dataclass(frozen=True)
class DeliveryRow:
    delivery_id: str
    type: str
    url: str
    status: str
    attempts: int
    last: str  # the last answer: an HTTP status or an error
    created: str


@dataclass(frozen=True)
class CheckoutDetail:
    session: PaymentSession
    public_id: str
    facts: list[tuple[str, str]]
    timeline: list[Moment]
    deliveries: list[DeliveryRow]

    @property
    def can_cancel(self) -> bool:
        return self.session.status == Status.PENDING.value

    @property
    def can_refund(self) -> bool:
        return self.session.status == Status.COMPLETED.value


def _rupees(details: dict[str, Any]) -> str:
    paise = details.get("amountPaise")
    return display_rupees(int(paise)) if isinstance(paise, int) else ""


def _by(details: dict[str, Any]) -> str:
    who = details.get("by")
    return f"by {who}" if who else ""


def _words(action: str, details: dict[str, Any]) -> tuple[str, str]:
    """An audit entry as a title and a detail a shop owner can read."""
    amount, by = _rupees(details), _by(details)
    known: dict[str, tuple[str, str]] = {
        "session_created": ("Created", f"{amount} to pay"),
        "payment_completed": (
            "Completed (late)" if details.get("late") else "Completed",
            amount,
        ),
        "session_expired": ("Expired", ""),
        "session_cancelled": ("Cancelled", by),
        "checkout_refunded": ("Refund recorded", f"{amount} {by}".strip()),
        "credit_assigned": ("Credit assigned", f"{amount} {by}".strip()),
        "utr_claimed": ("Customer gave a UTR", str(details.get("rrn") or "")),
        "utr_matched": ("UTR matched the evidence", amount),
        "utr_mismatch": ("UTR claim refused", str(details.get("reason") or "")),
        "payment_done": ("Customer said they paid", ""),
        RETRIED: ("Webhook retry asked", f"{details.get('delivery', '')} {by}".strip()),
    }
    return known.get(action, (action.replace("_", " ").capitalize(), by))


def event_ids(session: PaymentSession) -> list[str]:
    """The webhook event ids this checkout's changes and refunds were sent under."""
    subject = public_session_id(session)
    ids = [event_id(event.value, subject) for event in SESSION_EVENTS]
    ids += [
        event_id(EventType.CHECKOUT_REFUNDED.value, str(refund.get("id")))
        for refund in session.refunds or []
    ]
    return ids


def _credits(session: PaymentSession) -> list[WalletCredit]:
    found: dict[str, WalletCredit] = {}
    for key in session.creditKeys or []:
        for credit in WalletCredit.objects(key=key):
            found[credit.key] = credit
    for credit in WalletCredit.objects(orderIds=session.orderId):
        found[credit.key] = credit
    return list(found.values())


def timeline(store: Store, session: PaymentSession, *, tz: str) -> list[Moment]:
    moments = []
    for entry in store.audit_trail(session.orderId):
        title, detail = _words(entry.action, entry.details or {})
        moments.append(Moment(entry.timestamp, local_text(entry.timestamp, tz), title, detail))
    for credit in _credits(session):
        parts = [credit.provider, display_rupees(credit.amountPaise)]
        parts += [f"RRN {credit.rrn}"] if credit.rrn else []
        parts += [f"from {credit.payer}"] if credit.payer else []
        seen = credit.observedAt
        moments.append(Moment(seen, local_text(seen, tz), "Evidence seen", " · ".join(parts)))
    # At one second, the story's order: created, then the evidence, then what it caused.
    rank = {"Created": 0, "Evidence seen": 1}
    return sorted(moments, key=lambda moment: (moment.at, rank.get(moment.title, 2)))


def _facts(session: PaymentSession, *, tz: str) -> list[tuple[str, str]]:
    facts = [
        ("Status", session.status + (" (late)" if session.late else "")),
        ("Amount to pay", display_rupees(session.amountPaise)),
        ("Requested", display_rupees(session.totalAmountPaise)),
    ]
    if session.status == Status.COMPLETED.value:
        facts.append(("Paid", display_rupees(session.amountPaidPaise or session.amountPaise)))
        facts.append(("Refunded", display_rupees(session.refundedAmountPaise or 0)))
    facts += [
        ("Customer", customer_text(session)),
        ("Description", session.description or "—"),
        ("Created", local_text(session.createdAt, tz)),
        ("Expires", local_text(session.expiresAt, tz)),
    ]
    if session.completedAt:
        facts.append(("Completed", local_text(session.completedAt, tz)))
    elif session.closedAt:
        facts.append(("Closed", local_text(session.closedAt, tz)))
    return facts


def deliveries(session: PaymentSession, *, tz: str) -> list[DeliveryRow]:
    rows = []
    for event in event_ids(session):  # one equality each: no `$in` on the test server
        for delivery in WebhookDelivery.objects(eventId=event).order_by("createdAt"):
            last = str(delivery.lastStatusCode or "") or (delivery.lastError or "—")
            rows.append(
                DeliveryRow(
                    delivery_id=delivery.deliveryId,
                    type=delivery.type,
                    url=delivery.url,
                    status=delivery.status,
                    attempts=delivery.attempts or 0,
                    last=last,
                    created=local_text(delivery.createdAt, tz),
                )
            )
    return rows


def detail(store: Store, order_id: str, *, tz: str, now: datetime) -> CheckoutDetail:
    """Expiry applies on read here too, so a late ticker never shows a payable checkout."""
    session = checkouts.find_checkout(store, order_id, now=now)
    return CheckoutDetail(
        session=session,
        public_id=public_session_id(session),
        facts=_facts(session, tz=tz),
        timeline=timeline(store, session, tz=tz),
        deliveries=deliveries(session, tz=tz),
    )


def cancel(
    store: Store, settings: Settings, order_id: str, *, by: str, now: datetime, ip: str | None
) -> PaymentSession:
    """The API's cancel (one conditional update), audited with the console user."""
    return checkouts.cancel_checkout(store, settings, order_id, now=now, ip=ip, by=by)


def retry(
    store: Store,
    merchant: MerchantStore,
    order_id: str,
    delivery_id: str,
    *,
    by: str,
    now: datetime,
) -> WebhookDelivery:
    """Send one of this checkout's deliveries again, now; a delivery of another is not found."""
    session = checkouts.find_checkout(store, order_id, now=now)
    delivery = merchant.delivery(delivery_id)
    if delivery is None or delivery.eventId not in event_ids(session):
        raise NotFound("This checkout has no such webhook delivery", field="delivery")
    retried = merchant.retry_delivery(delivery_id, now)
    if retried is None:
        raise Conflict("This delivery is being sent right now; try again in a moment")
    store.audit(RETRIED, now=now, order_id=order_id, details={"delivery": delivery_id, "by": by})
    return retried


__all__ = ["CheckoutDetail", "DeliveryRow", "Moment", "cancel", "detail", "retry"]
