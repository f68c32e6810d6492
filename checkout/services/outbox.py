"""Webhooks: an outbox in the store, sent by a worker outside any store operation.

Events are written to `webhook_deliveries` (one per endpoint, unique by event
id) before anything is sent; a worker leases one delivery at a time, sends it,
and records the outcome. A crash mid-send leaves a lease that runs out, and
the next worker takes the delivery over: nothing is lost, and every attempt
carries the same event id.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import socket
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import requests

from checkout import clock
from checkout.config import Settings
from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import (
    DELIVERY_ID,
    ENDPOINT_ID,
    EVENT_ID,
    DeliveryStatus,
    EventType,
)
from checkout.jsonio import dumps
from checkout.services.background import BackgroundLoop
from checkout.services.errors import NotFound
from checkout.services.presenters import iso, public_session_id, session_data
from checkout.services.receipts import ReceiptMailer
from checkout.services.refunds import publish_refund_events
from checkout.services.webhook_addresses import (
    SEND_TIMEOUT_SECONDS,
    InvalidWebhookUrl,
    RefusedAddress,
    Resolver,
    Target,
    Unresolvable,
    check_url,
    post_pinned,
    resolve_target,
    send_to,
    shown_host,
    shown_url,
)
from checkout.storage.evidence import EvidenceStore, RelaySeen
from checkout.storage.merchant import MerchantStore, WebhookDelivery, WebhookEndpoint
from checkout.storage.models import PaymentSession, WalletCredit
from checkout.storage.store import Store
from checkout.webhooks import SIGNATURE_HEADER, sign

# Address checks and the pinned send live in webhook_addresses; callers of the outbox
# reach them here too.
__all__ = [
    "EVENT_TYPES",
    "LEASE",
    "DeliveryWorker",
    "InvalidWebhookUrl",
    "add_endpoint",
    "check_url",
    "deliver_one",
    "emit",
    "event_id",
    "post_pinned",
    "publish_owed_events",
    "retry",
    "retry_delay",
    "shown_url",
]

log = logging.getLogger(__name__)

# What an endpoint subscribes to: every type but the test event, which is sent on request.
EVENT_TYPES = tuple(e for e in EventType if e != EventType.WEBHOOK_TEST)
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=10)
LAST_RETRY = timedelta(hours=6)
LEASE = timedelta(seconds=60)
RETRYABLE_STATUSES = frozenset({408, 429})


def retry_delay(attempt: int) -> timedelta:
    """Wait after the `attempt`-th failed try: 10 s, 30 s, 90 s … capped at 6 h."""
    return min(FIRST_RETRY * 3 ** (attempt - 1), LAST_RETRY)


def event_id(event_type: str, subject: str) -> str:
    """Stable per (type, subject): a re-emitted event de-duplicates on both ends."""
    digest = hashlib.sha256(f"{event_type}:{subject}".encode()).hexdigest()
    return EVENT_ID.prefix + digest[: EVENT_ID.hex_digits]


def add_endpoint(
    merchant: MerchantStore,
    settings: Settings,
    *,
    url: str,
    events: Iterable[str] | None,
    now: datetime,
    resolver: Resolver = socket.getaddrinfo,
) -> WebhookEndpoint:
    chosen = list(events) if events else list(EVENT_TYPES)
    unknown = sorted(set(chosen) - set(EVENT_TYPES))
    if unknown:
        raise InvalidWebhookUrl(f"unknown event types: {', '.join(unknown)}", field="events")
    return merchant.add_endpoint(
        WebhookEndpoint(
            endpointId=ENDPOINT_ID.prefix + secrets.token_hex(ENDPOINT_ID.hex_digits // 2),
            url=check_url(url, settings, resolver),
            secret=f"whsec_{secrets.token_urlsafe(32)}",
            events=chosen,
            createdAt=now,
        )
    )


def emit(
    merchant: MerchantStore,
    event_type: str,
    subject: str,
    data: dict[str, Any],
    *,
    now: datetime,
) -> str:
    """Queue one event for every endpoint that wants it; idempotent per (event, endpoint)."""
    identifier = event_id(event_type, subject)
    payload = dumps(
        {
            "id": identifier,
            "type": event_type,
            "createdAt": iso(now),
            "data": data,
        }
    )
    for endpoint in merchant.endpoints():
        if event_type not in endpoint.events:
            continue
        merchant.add_delivery(
            WebhookDelivery(
                deliveryId=DELIVERY_ID.prefix + secrets.token_hex(DELIVERY_ID.hex_digits // 2),
                eventId=identifier,
                endpointId=endpoint.endpointId,
                url=endpoint.url,
                type=event_type,
                payload=payload,
                nextAttemptAt=now,
                createdAt=now,
            )
        )
    return identifier


def credit_data(credit: WalletCredit) -> dict[str, Any]:
    return {
        "key": credit.key,
        "provider": credit.provider,
        "amount": rupees_decimal(credit.amountPaise),
        "outcome": credit.outcome,
        "occurredAt": iso(credit.occurredAt),
        "observedAt": iso(credit.observedAt),
    }


def relay_data(relay: RelaySeen) -> dict[str, Any]:
    return {"relay": relay.id, "lastSeenAt": iso(relay.silentSince)}


def publish_owed_events(
    store: Store,
    merchant: MerchantStore,
    *,
    now: datetime,
    evidence: EvidenceStore | None = None,
    on_completed: Callable[[PaymentSession], object] | None = None,
) -> int:
    """Turn the events that state changes owe into deliveries (the outbox's second half).

    The debt was written in the same update as the state change; queueing is
    idempotent per event id, so a crash anywhere here only repeats work.
    `on_completed` queues what else a completion owes (the receipt e-mail) before
    the debt is cleared; it must be idempotent too.
    """
    published = 0
    for session in store.sessions_owing_events():
        if EventType.CHECKOUT_REFUNDED in session.pendingEvents:
            # One event per refund, each named by its refund id (checkout.services.refunds).
            published += len(session.refunds or [])
            publish_refund_events(
                store,
                session,
                lambda kind, subject, data: emit(merchant, kind, subject, data, now=now),
            )
        for event in [e for e in session.pendingEvents if e != EventType.CHECKOUT_REFUNDED]:
            emit(merchant, event, public_session_id(session), session_data(session), now=now)
            if on_completed is not None and event == EventType.CHECKOUT_COMPLETED:
                on_completed(session)
            store.session_event_queued(session, event)
            published += 1
    for credit in store.credits_owing_events():
        event = credit.pendingEvent
        emit(merchant, event, credit.key, credit_data(credit), now=now)
        store.credit_event_queued(credit, event)
        published += 1
    evidence = evidence or EvidenceStore()
    for relay in evidence.relays_owing_events():
        event = relay.pendingEvent
        # One event per silence: the silence is named by the message count it began at.
        emit(merchant, event, f"{relay.id}:{relay.silentAt}", relay_data(relay), now=now)
        evidence.relay_event_queued(relay, event)
        published += 1
    return published


def retry(merchant: MerchantStore, delivery_id: str, *, now: datetime) -> WebhookDelivery:
    delivery = merchant.retry_delivery(delivery_id, now)
    if delivery is None:
        if merchant.delivery(delivery_id) is not None:
            # Documented as a 404 too (checkout.api.openapi): nothing to retry right now.
            raise NotFound("This delivery is being sent right now; try again shortly", field="id")
        raise NotFound("Webhook delivery not found", field="id")
    return delivery


_RETRY = "retry"


def _classify(status_code: int) -> str:
    if 200 <= status_code < 300:
        return DeliveryStatus.DELIVERED
    if status_code in RETRYABLE_STATUSES or status_code >= 500:
        return _RETRY
    return DeliveryStatus.FAILED


def deliver_one(
    merchant: MerchantStore,
    settings: Settings,
    *,
    now: datetime,
    resolver: Resolver = socket.getaddrinfo,
    timeout: float = SEND_TIMEOUT_SECONDS,
) -> WebhookDelivery | None:
    """Lease, send and settle one due delivery; None when nothing is due."""
    delivery = merchant.lease_due_delivery(now, LEASE)
    if delivery is None:
        return None
    host = shown_host(delivery.url)
    endpoint = merchant.endpoint(delivery.endpointId)
    refusal = None
    target: Target | None = None
    unresolved = False
    if endpoint is None or not endpoint.active:
        refusal = "endpoint deleted"
    else:
        try:
            # Checked at each send: a name may resolve elsewhere than it did at
            # registration (a private or metadata address, say).
            target = resolve_target(delivery.url, settings, resolver)
        except RefusedAddress as exc:
            log.warning("webhook %s to %s refused: %s", delivery.eventId, host, exc.message)
            # Only the word: why, or what the address answered, would map the network.
            refusal = "refused"
        except InvalidWebhookUrl as exc:
            refusal = exc.message
        except Unresolvable:
            unresolved = True
    if refusal is not None or endpoint is None:
        merchant.settle_delivery(
            delivery.deliveryId,
            delivery.attempts,
            {"status": DeliveryStatus.FAILED, "lastError": refusal},
        )
        log.info("webhook %s %s to %s: failed, %s", delivery.type, delivery.eventId, host, refusal)
        return delivery
    status_code: int | None = None
    error: str | None = None
    if target is None or unresolved:
        outcome, error = "retry", "NameResolutionError"
    else:
        try:
            response = send_to(
                target,
                delivery.payload.encode(),
                {
                    "Content-Type": "application/json",
                    "User-Agent": "upi-checkout-webhooks/1",
                    SIGNATURE_HEADER: sign(delivery.payload, endpoint.secret, int(now.timestamp())),
                    "X-UPI-Event-Id": delivery.eventId,
                },
                timeout,
            )
            status_code = response.status_code
            outcome = _classify(status_code)
        except requests.RequestException as exc:
            outcome = _RETRY
            error = type(exc).__name__
    changes: dict[str, Any] = {"lastStatusCode": status_code, "lastError": error}
    if outcome == DeliveryStatus.DELIVERED:
        changes.update(status=DeliveryStatus.DELIVERED, deliveredAt=now)
    elif outcome == _RETRY and delivery.attempts < MAX_ATTEMPTS:
        changes.update(
            status=DeliveryStatus.PENDING, nextAttemptAt=now + retry_delay(delivery.attempts)
        )
    else:
        changes.update(status=DeliveryStatus.FAILED)
    merchant.settle_delivery(delivery.deliveryId, delivery.attempts, changes)
    log.info(
        "webhook %s %s to %s: %s (attempt %d)",
        delivery.type,
        delivery.eventId,
        host,
        changes["status"],
        delivery.attempts,
    )
    return delivery


class DeliveryWorker(BackgroundLoop):
    """Drains the outbox; every process may run one (deliveries are leased one by one)."""

    thread_name = "upi-webhooks"

    def __init__(
        self,
        store: Store,
        merchant: MerchantStore,
        settings: Settings,
        wake_seconds: float = 1.0,
        *,
        resolver: Resolver = socket.getaddrinfo,
        send_timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> None:
        super().__init__(wake_seconds)
        self.store = store
        self.merchant = merchant
        self.settings = settings
        self.resolver = resolver
        self.send_timeout = send_timeout
        self.receipts = ReceiptMailer(store, settings)

    def run_round(self, limit: int = 50) -> int:
        """Queue what is owed, then send what is due (webhooks, then receipt e-mail);
        returns how many were sent."""
        now = clock.utcnow()
        publish_owed_events(
            self.store,
            self.merchant,
            now=now,
            on_completed=lambda session: self.receipts.queue(session, now=now),
        )
        sent = 0
        while sent < limit and deliver_one(
            self.merchant,
            self.settings,
            now=clock.utcnow(),
            resolver=self.resolver,
            timeout=self.send_timeout,
        ):
            sent += 1
        while sent < limit and self.receipts.send_one(
            now=clock.utcnow(), lease=LEASE, retry_delay=retry_delay, max_attempts=MAX_ATTEMPTS
        ):
            sent += 1
        return sent

    def run_once(self) -> int:
        return self.run_round()
