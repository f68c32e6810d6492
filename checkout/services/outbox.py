"""Webhooks: an outbox in the store, sent by a worker outside any store operation.

Events are written to `webhook_deliveries` (one per endpoint, unique by event
id) before anything is sent; a worker leases one delivery at a time, sends it,
and records the outcome. A crash mid-send leaves a lease that runs out, and
the next worker takes the delivery over: nothing is lost, and every attempt
carries the same event id.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import logging
import secrets
import socket
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, PoolManager
from urllib3.exceptions import ConnectTimeoutError

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
from checkout.services.errors import NotFound, ServiceError
from checkout.services.presenters import iso, public_session_id, session_data
from checkout.storage.merchant import MerchantStore, WebhookDelivery, WebhookEndpoint
from checkout.storage.models import WalletCredit
from checkout.storage.store import Store
from checkout.urls import url_problem
from checkout.webhooks import SIGNATURE_HEADER, sign

log = logging.getLogger(__name__)

EVENT_TYPES = tuple(EventType)
MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(seconds=10)
LAST_RETRY = timedelta(hours=6)
SEND_TIMEOUT_SECONDS = 10.0
LEASE = timedelta(seconds=60)
RETRYABLE_STATUSES = frozenset({408, 429})
# Addresses of one name tried per attempt when the first cannot be connected to; bounded
# so that an attempt (each address up to SEND_TIMEOUT_SECONDS) ends inside its LEASE.
MAX_ADDRESSES_TRIED = 3


def retry_delay(attempt: int) -> timedelta:
    """Wait after the `attempt`-th failed try: 10 s, 30 s, 90 s … capped at 6 h."""
    return min(FIRST_RETRY * 3 ** (attempt - 1), LAST_RETRY)


def event_id(event_type: str, subject: str) -> str:
    """Stable per (type, subject): a re-emitted event de-duplicates on both ends."""
    digest = hashlib.sha256(f"{event_type}:{subject}".encode()).hexdigest()
    return EVENT_ID.prefix + digest[: EVENT_ID.hex_digits]


class InvalidWebhookUrl(ServiceError):
    status = 400


class RefusedAddress(InvalidWebhookUrl):
    """The name resolves to an address we do not send to (loopback, private, metadata…)."""


class Unresolvable(Exception):
    """The name has no address right now: try again later, nothing was sent."""


Resolver = Callable[..., Sequence[tuple[Any, ...]]]
"""socket.getaddrinfo's shape; tests pass their own DNS."""


@dataclass(frozen=True)
class Target:
    """Where a webhook goes: its URL, and the addresses it was checked as."""

    url: str
    addresses: tuple[str, ...]


def _check_form(url: str, settings: Settings) -> str:
    """Everything about a URL that needs no DNS; returns its host name."""
    problem = url_problem(url)
    if problem is not None:
        raise InvalidWebhookUrl(f"url {problem}", field="url")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidWebhookUrl("url must be an http(s) URL", field="url")
    if settings.production and parts.scheme != "https":
        raise InvalidWebhookUrl("url must use https in production", field="url")
    return parts.hostname


def _private_name(name: str) -> bool:
    name = name.rstrip(".").lower()  # "localhost." is localhost too
    return name in {"localhost", "localhost.localdomain"} or name.endswith(".localhost")


def _private_address(address: str) -> bool:
    """Loopback, private, link-local, shared (CGNAT) or reserved: anything not on the internet."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast or ip.is_reserved


def _addresses(host: str, port: int, resolver: Resolver) -> tuple[str, ...]:
    """Every address `host` resolves to, in the resolver's order of preference."""
    try:
        infos = resolver(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:  # socket.gaierror is an OSError
        raise Unresolvable(host) from exc
    found: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%")[0]  # fe80::1%eth0: the scope is not the address
        try:
            ipaddress.ip_address(address)
        except ValueError:
            continue  # not an address we could connect to, so not one we could check
        if address not in found:
            found.append(address)
    if not found:
        raise Unresolvable(host)
    return tuple(found)


def _refuse_private() -> RefusedAddress:
    return RefusedAddress(
        "url points at a loopback or private address (set WEBHOOK_ALLOW_PRIVATE=true to allow it)",
        field="url",
    )


def resolve_target(url: str, settings: Settings, resolver: Resolver = socket.getaddrinfo) -> Target:
    """Look the host up once and check every address it has; the send connects to these.

    Looking it up again to connect would let a name answer a public address to the
    check and 127.0.0.1 to the connection (DNS rebinding).
    Raises InvalidWebhookUrl (RefusedAddress for an address) or Unresolvable.
    """
    host = _check_form(url, settings)
    if not settings.webhook_allow_private and _private_name(host):
        raise _refuse_private()
    port = urlsplit(url).port or (443 if url.startswith("https:") else 80)
    addresses = _addresses(host, port, resolver)
    if not settings.webhook_allow_private and any(_private_address(a) for a in addresses):
        raise _refuse_private()
    return Target(url, addresses)


def check_url(url: str, settings: Settings, resolver: Resolver = socket.getaddrinfo) -> str:
    """Registration's check: the form always, the addresses when the name resolves now.

    A name that does not resolve yet is accepted (DNS may follow the registration);
    every send resolves and checks it again, and connects only to what it checked.
    """
    _check_form(url, settings)
    if not settings.webhook_allow_private:
        with contextlib.suppress(Unresolvable):
            resolve_target(url, settings, resolver)
    return url


def shown_url(url: str) -> str:
    """`url` without any user name or password, for lists and logs.

    URLs with credentials are refused now; one stored before that still never shows them.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "(unreadable URL)"
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]))


def _shown_host(url: str) -> str:
    try:
        return urlsplit(shown_url(url)).netloc.rpartition("@")[2]
    except ValueError:
        return "(unreadable URL)"


class _PinnedPoolManager(PoolManager):
    """Opens every connection to one address, whatever the URL's name resolves to now."""

    def __init__(self, address: str, *args: Any, **kwargs: Any) -> None:
        self.address = address
        super().__init__(*args, **kwargs)

    def connection_from_host(
        self,
        host: str | None,
        port: int | None = None,
        scheme: str | None = "http",
        pool_kwargs: dict[str, Any] | None = None,
    ) -> HTTPConnectionPool:
        kwargs = dict(pool_kwargs or {})
        if scheme == "https" and host:
            # TLS still speaks to the name: it is the SNI, and the ssl module checks the
            # certificate against it. (assert_hostname would do the same by hand, but
            # switch check_hostname off on requests' shared default SSL context.)
            kwargs["server_hostname"] = host
        return super().connection_from_host(self.address, port, scheme, pool_kwargs=kwargs)


class PinnedAdapter(HTTPAdapter):
    """A requests transport that connects to a checked address, keeping Host and TLS names."""

    def __init__(self, address: str) -> None:
        self.address = address
        super().__init__(max_retries=0)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        self.poolmanager = _PinnedPoolManager(
            self.address, num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )

    def add_headers(self, request: requests.PreparedRequest, **kwargs: Any) -> None:
        # http.client would name the address it connects to; the receiver expects the name.
        request.headers["Host"] = urlsplit(request.url or "").netloc.rpartition("@")[2]


def post_pinned(
    url: str,
    address: str,
    *,
    data: bytes,
    headers: dict[str, str],
    timeout: float,
    verify: bool | str = True,
) -> requests.Response:
    """POST `url` over a connection to `address`, which was checked; never resolve again."""
    with requests.Session() as http:
        http.trust_env = False  # a proxy from the environment would resolve the name itself
        adapter = PinnedAdapter(address)
        http.mount("http://", adapter)
        http.mount("https://", adapter)
        return http.post(
            url,
            data=data,
            headers=headers,
            timeout=timeout,
            allow_redirects=False,
            verify=verify,
        )


def _never_connected(exc: requests.RequestException) -> bool:
    """True when nothing reached the receiver, so the next checked address may be tried."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(exc, requests.ConnectionError) and isinstance(reason, ConnectTimeoutError)


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


def publish_owed_events(store: Store, merchant: MerchantStore, *, now: datetime) -> int:
    """Turn the events that state changes owe into deliveries (the outbox's second half).

    The debt was written in the same update as the state change; queueing is
    idempotent per event id, so a crash anywhere here only repeats work.
    """
    published = 0
    for session in store.sessions_owing_events():
        for event in list(session.pendingEvents):
            emit(merchant, event, public_session_id(session), session_data(session), now=now)
            store.session_event_queued(session, event)
            published += 1
    for credit in store.credits_owing_events():
        event = credit.pendingEvent
        emit(merchant, event, credit.key, credit_data(credit), now=now)
        store.credit_event_queued(credit, event)
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


def _send(
    target: Target, body: bytes, headers: dict[str, str], timeout: float
) -> requests.Response:
    """Try the checked addresses in order while none could even be connected to."""
    last: requests.RequestException | None = None
    for address in target.addresses[:MAX_ADDRESSES_TRIED]:
        try:
            return post_pinned(target.url, address, data=body, headers=headers, timeout=timeout)
        except requests.RequestException as exc:
            if not _never_connected(exc):
                raise
            last = exc
    assert last is not None  # resolve_target never returns a target without addresses
    raise last


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
    host = _shown_host(delivery.url)
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
            response = _send(
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

    def run_round(self, limit: int = 50) -> int:
        """Queue what is owed, then send what is due; returns how many were sent."""
        publish_owed_events(self.store, self.merchant, now=clock.utcnow())
        sent = 0
        while sent < limit and deliver_one(
            self.merchant,
            self.settings,
            now=clock.utcnow(),
            resolver=self.resolver,
            timeout=self.send_timeout,
        ):
            sent += 1
        return sent

    def run_once(self) -> int:
        return self.run_round()
