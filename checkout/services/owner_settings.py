"""What the console's Settings pages do: links, API keys, webhook endpoints, the configuration.

Each action goes through the service the merchant API uses (checkout.services.links,
keys, outbox) and is audited with the console user who did it. A key's or an
endpoint's secret is returned to the one page that shows it and goes nowhere else:
not into the audit, a log line or the session. The running configuration is shown
with every secret masked: a secret setting is only "set" or "not set", and a
password, token or user name inside any URL is replaced by asterisks.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from checkout.clock import iso
from checkout.config import VARIABLE, Settings, Variable
from checkout.domain.money import format_rupees
from checkout.domain.vocabulary import DELIVERY_ID, EventType
from checkout.jsonio import dumps
from checkout.services import keys, links, outbox
from checkout.services.errors import NotFound, ServiceError
from checkout.services.keys import IssuedKey
from checkout.services.webhook_addresses import shown_url
from checkout.storage.links import LinkStore, PaymentLink
from checkout.storage.merchant import MerchantStore, WebhookDelivery, WebhookEndpoint
from checkout.storage.store import Store

MASK: Final = "********"
SET: Final = "set (hidden)"
UNSET: Final = "not set"
# A query parameter whose name says it carries a secret (…?token=…, ?password=…).
_SECRET_PARAM: Final = re.compile(
    r"pass|token|secret|credential|api_?key|(^|_)key$|^auth(orization)?$|^sig(nature)?$",
    re.IGNORECASE,
)
_URL: Final = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def _audit(store: Store, action: str, by: str, now: datetime, **details: Any) -> None:
    store.audit(action, now=now, details={**details, "by": by, "via": "console"})


# -- payment links ---------------------------------------------------------------------


def list_links(repo: LinkStore) -> list[PaymentLink]:
    return list(repo.links())


def create_link(
    repo: LinkStore, store: Store, *, by: str, now: datetime, **given: Any
) -> PaymentLink:
    """As `POST /api/v1/payment-links` makes it (same checks), audited with the user."""
    link = links.create_link(repo, now=now, **given)
    _audit(store, "payment_link_created", by, now, slug=link.slug)
    return link


def disable_link(repo: LinkStore, store: Store, slug: str, *, by: str, now: datetime) -> None:
    """One conditional update: a second click finds nothing active to disable (404)."""
    if not repo.disable_link(slug):
        raise NotFound("No active payment link with this slug", field="slug", detail="unknown")
    _audit(store, "payment_link_disabled", by, now, slug=slug)


# -- API keys --------------------------------------------------------------------------


def issue_key(
    merchant: MerchantStore,
    store: Store,
    settings: Settings,
    *,
    name: str,
    scope: str,
    by: str,
    now: datetime,
    url_token: bool = False,
) -> IssuedKey:
    """The caller shows `secret` once; only the key's id, name and scope are audited.

    A URL token (sent as `?token=` by a forwarder that can set no header) is for
    evidence only, as in the API.
    """
    if scope not in keys.SCOPES:
        raise ServiceError(f"The scope is one of {', '.join(keys.SCOPES)}", field="scope")
    if url_token and scope != keys.SCOPE_EVIDENCE:
        raise ServiceError("A URL token can only post evidence: choose the evidence scope")
    issued = keys.create_key(
        merchant, name=name, sandbox=settings.sandbox, now=now, scope=scope, url_token=url_token
    )
    record = issued.record
    _audit(
        store,
        "api_key_created",
        by,
        now,
        keyId=record.keyId,
        name=name,
        scope=scope,
        urlToken=url_token,
    )
    return issued


def revoke_key(
    merchant: MerchantStore, store: Store, key_id: str, *, by: str, now: datetime
) -> None:
    if not merchant.revoke_key(key_id, now):
        raise NotFound("No active API key with this id", field="id", detail="unknown")
    _audit(store, "api_key_revoked", by, now, keyId=key_id)


# -- webhook endpoints -----------------------------------------------------------------


def add_endpoint(
    merchant: MerchantStore,
    store: Store,
    settings: Settings,
    *,
    url: str,
    events: Iterable[str] | None,
    by: str,
    now: datetime,
) -> WebhookEndpoint:
    """The API's own checks (address, events); the caller shows the signing secret once."""
    endpoint = outbox.add_endpoint(merchant, settings, url=url, events=events, now=now)
    _audit(
        store,
        "webhook_endpoint_added",
        by,
        now,
        endpointId=endpoint.endpointId,
        url=shown_url(endpoint.url),
    )
    return endpoint


def delete_endpoint(
    merchant: MerchantStore, store: Store, endpoint_id: str, *, by: str, now: datetime
) -> None:
    if not merchant.delete_endpoint(endpoint_id, now):
        raise NotFound("Webhook endpoint not found", field="id", detail="unknown")
    _audit(store, "webhook_endpoint_deleted", by, now, endpointId=endpoint_id)


def send_test_event(
    merchant: MerchantStore, store: Store, endpoint_id: str, *, by: str, now: datetime
) -> WebhookDelivery:
    """Queue one `webhook.test` event for this endpoint alone; the delivery worker sends it
    signed like any other, so the merchant sees their receiver verify a real delivery."""
    endpoint = merchant.endpoint(endpoint_id)
    if endpoint is None or not endpoint.active:
        raise NotFound("Webhook endpoint not found", field="id", detail="unknown")
    kind = EventType.WEBHOOK_TEST.value
    identifier = outbox.event_id(kind, f"{endpoint_id}:{secrets.token_hex(8)}")
    payload = {
        "id": identifier,
        "type": kind,
        "createdAt": iso(now),
        "data": {"endpointId": endpoint_id, "message": "A test event sent from the console"},
    }
    delivery = WebhookDelivery(
        deliveryId=DELIVERY_ID.prefix + secrets.token_hex(DELIVERY_ID.hex_digits // 2),
        eventId=identifier,
        endpointId=endpoint_id,
        url=endpoint.url,
        type=kind,
        payload=dumps(payload),
        nextAttemptAt=now,
        createdAt=now,
    )
    merchant.add_delivery(delivery)
    _audit(store, "webhook_test_sent", by, now, endpointId=endpoint_id, eventId=identifier)
    return delivery


def recent_deliveries(merchant: MerchantStore, limit: int = 20) -> list[WebhookDelivery]:
    return list(merchant.deliveries(status=None, event_id=None, limit=limit))


# -- the running configuration ---------------------------------------------------------


@dataclass(frozen=True)
class ConfigRow:
    variable: str
    value: str
    secret: bool  # the whole value is hidden


def masked_url(text: str) -> str:
    """`text` with any user name, password or secret-looking query parameter masked."""
    if not _URL.match(text):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hosts = netloc.rpartition("@")
        user = userinfo.partition(":")[0]
        shown_user = MASK if ":" not in userinfo else (user or "") + ":" + MASK
        netloc = f"{shown_user}@{hosts}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode(
            [(name, MASK if _SECRET_PARAM.search(name) else value) for name, value in pairs],
            safe="*",
        )
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple | list):
        return ", ".join(masked_url(str(item)) for item in value)
    return masked_url(str(value))


def running_configuration(settings: Settings) -> list[ConfigRow]:
    """Every variable the gateway reads, as it runs now; secrets never leave in clear."""
    rows: list[ConfigRow] = []
    for field in fields(settings):
        variable = field.metadata.get(VARIABLE)
        if not isinstance(variable, Variable):
            continue
        value = getattr(settings, field.name)
        if not field.repr:  # declared secret=True in checkout.config
            rows.append(ConfigRow(variable.name, SET if value else UNSET, True))
        elif field.name.endswith("_paise"):  # read as rupees, kept as paise
            rows.append(ConfigRow(variable.name, format_rupees(int(value)), False))
        else:
            rows.append(ConfigRow(variable.name, _text(value), False))
    return rows
