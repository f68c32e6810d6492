"""Evidence relays `/api/v1/evidence/*`: bank SMS and alert e-mail pushed to the gateway.

A relay (a phone app, a forwarder, a mail-routing worker) proves itself as
checkout.api.auth.require_relay says. Every authenticated, well-formed post gets
200 whatever its outcome, so a relay never retries a message already decided;
a malformed body gets 400, a failed proof 401.
"""

from __future__ import annotations

from checkout import clock, limits
from checkout.api.auth import current_relay, require_relay
from checkout.api.operations import FORM, JSON, Routes
from checkout.api.routes import bp
from checkout.api.schemas.evidence import (
    EvidenceAnswer,
    RawEmail,
    RelayHeartbeat,
    SmsEvidenceBody,
)
from checkout.domain.money import rupees_decimal
from checkout.gateway import current_gateway
from checkout.services import evidence
from checkout.services.evidence import Received, Relay

RFC822 = "message/rfc822"
# Per client address, as every limit: far above what relays post (a shop's bank sends a few
# messages a minute; a backlog after an outage, a few thousand), and a flood still stops.
AUTH_NOTE = (
    "A relay proves itself with `Authorization: Bearer <key>` (a key of scope evidence, or "
    "ADMIN_SECRET), a relay URL token (`?token=`, from `flask keys create --scope evidence "
    "--url-token`), or the SMS Gateway for Android app's `X-Signature`: the hex HMAC-SHA256 "
    "under SMS_GATEWAY_SIGNING_KEY of the raw body followed by `X-Timestamp` (unix seconds, "
    "within 5 minutes)."
)
relays = Routes(bp, tag="Evidence relays", auth=require_relay)


def _relay(device_id: str | None = None) -> Relay:
    return Relay(id=current_relay().relay_id(device_id))


def evidence_answer(received: Received) -> EvidenceAnswer:
    """Optional keys the evidence lacks are left out, not written as null."""
    given: dict[str, object] = {}
    if received.amount_paise is not None:
        given["amount"] = rupees_decimal(received.amount_paise)
    if received.rrn is not None:
        given["rrn"] = received.rrn
    if received.bank is not None:
        given["bank"] = received.bank
    return EvidenceAnswer(
        id=received.id, outcome=received.outcome, orderIds=list(received.order_ids), **given
    )


@relays.post(
    "/api/v1/evidence/sms",
    "Post a bank SMS (forwarded, or the SMS Gateway for Android app's webhook)",
    limit=limits.EVIDENCE,
    media={JSON: SmsEvidenceBody, FORM: SmsEvidenceBody},
    description=AUTH_NOTE + " The app's `system:ping` event is a heartbeat.",
)
def post_sms(body: SmsEvidenceBody) -> EvidenceAnswer:
    gateway = current_gateway()
    now = clock.utcnow()
    relay = _relay(body.deviceId)
    if body.is_ping:
        evidence.heartbeat(gateway.evidence, relay=relay, now=now)
        return EvidenceAnswer(id=body.id or relay.id, outcome="heartbeat", orderIds=[])
    received = evidence.ingest_message(
        gateway.store,
        gateway.evidence,
        gateway.settings,
        relay=relay,
        channel="sms",
        sender=body.sender,
        text=body.message,
        received_at=body.received_at,
        event_id=body.id if body.event else None,
        now=now,
    )
    return evidence_answer(received)


@relays.post(
    "/api/v1/evidence/email",
    "Post a bank alert e-mail (the raw message)",
    limit=limits.EVIDENCE,
    media={RFC822: RawEmail},
    description=AUTH_NOTE + " The body is the message as received, `Authentication-Results` "
    "headers included: only the topmost one, your own server's, counts.",
)
def post_email(body: RawEmail) -> EvidenceAnswer:
    gateway = current_gateway()
    received = evidence.ingest_email(
        gateway.store,
        gateway.evidence,
        gateway.settings,
        relay=_relay(),
        raw=body.root,
        now=clock.utcnow(),
    )
    return evidence_answer(received)


@relays.post(
    "/api/v1/evidence/heartbeat",
    "A relay says it is alive",
    limit=limits.EVIDENCE,
    description=AUTH_NOTE + " (The app itself sends its `system:ping` event to the SMS route.)",
)
def post_heartbeat() -> RelayHeartbeat:
    relay = _relay()
    evidence.heartbeat(current_gateway().evidence, relay=relay, now=clock.utcnow())
    return RelayHeartbeat(relay=relay.id, outcome="heartbeat")
