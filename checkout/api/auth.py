"""Who may call: merchant endpoints take a Bearer key; evidence relays prove themselves
one of three ways. Every secret is compared in constant time.

A relay is a Bearer evidence key (or ADMIN_SECRET), a relay URL token (`?token=`), or
the "SMS Gateway for Android" app's signature: `X-Signature` is the hex HMAC-SHA256,
under SMS_GATEWAY_SIGNING_KEY, of the raw body followed by `X-Timestamp` (unix
seconds), refused when more than five minutes off so a captured post cannot be
replayed later. The first way present decides; a failed one never falls through to
another, so a wrong secret is always a 401.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass

from flask import g, request

from checkout import clock
from checkout.gateway import current_gateway
from checkout.services import keys
from checkout.services.errors import Forbidden, Unauthorized
from checkout.services.keys import MASTER_KEY_ID, SCOPE_ALL, Caller

SIGNATURE_WINDOW_SECONDS = 5 * 60
SMS_GATEWAY_RELAY = "sms-gateway:"
RELAY_URL_PARAMETER = "token"
_UNIX_SECONDS = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


_NO_CALLER = object()


def merchant_caller() -> Caller | None:
    """The caller this request's Bearer key proves, or None; looked up once per request,
    since the rate limiter asks before the view does (it counts a valid key per key)."""
    cached = g.get("_merchant_caller", _NO_CALLER)
    if cached is not _NO_CALLER:
        return cached  # type: ignore[return-value]
    token = bearer_token()
    caller = None
    if token is not None:
        gateway = current_gateway()
        caller = keys.authenticate(gateway.merchant, gateway.settings, token, now=clock.utcnow())
    g._merchant_caller = caller
    return caller


def require_merchant() -> Caller:
    """A managed API key, or ADMIN_SECRET as the master key; the caller is kept on `g`."""
    if bearer_token() is None:
        raise Unauthorized("Authorization: Bearer <key> is required")
    caller = merchant_caller()
    if caller is None:
        raise Unauthorized("Invalid API key")
    if caller.scope != SCOPE_ALL:
        raise Forbidden("This key may only post evidence (/api/v1/evidence/*)")
    g.caller = caller
    return caller


def require_master() -> Caller:
    """ADMIN_SECRET itself: managing keys and console users is not for the keys it manages."""
    caller = require_merchant()
    if caller.key_id != MASTER_KEY_ID:
        raise Forbidden("Only ADMIN_SECRET may manage API keys and console users")
    return caller


def current_caller() -> Caller:
    """The caller require_merchant accepted for this request."""
    caller: Caller = g.caller
    return caller


# -- evidence relays --------------------------------------------------------------------


@dataclass(frozen=True)
class RelayProof:
    """How a relay proved itself. A signed post is named by the app's deviceId too,
    which only its (signed) body carries: see relay_id."""

    id: str
    signed: bool = False

    def relay_id(self, device_id: str | None = None) -> str:
        return f"{self.id}{device_id or '-'}" if self.signed else self.id


def require_relay() -> RelayProof:
    """A Bearer evidence key or ADMIN_SECRET, else `?token=`, else the app's signature."""
    gateway = current_gateway()
    now = clock.utcnow()
    token = bearer_token()
    url_token = request.args.get(RELAY_URL_PARAMETER)
    if token is None and url_token is None and "X-Signature" not in request.headers:
        raise Unauthorized(
            "Authorization: Bearer <evidence key>, ?token=<relay token> or the SMS Gateway "
            "app's X-Signature is required"
        )
    if token is not None or url_token is not None:
        relay, known = keys.evidence_relay(
            gateway.merchant,
            gateway.settings,
            token if token is not None else str(url_token),
            url_token=token is None,
            now=now,
        )
        if relay is None and known:
            raise Forbidden(
                "Only an evidence key (--scope evidence) or ADMIN_SECRET posts evidence"
            )
        if relay is None:
            raise Unauthorized("Invalid API key" if token is not None else "Invalid relay token")
        proof = RelayProof(relay)
    else:
        proof = _signed(gateway.settings.sms_gateway_signing_key, now.timestamp())
    g.relay = proof
    return proof


def current_relay() -> RelayProof:
    proof: RelayProof = g.relay
    return proof


def _signed(signing_key: str, now: float) -> RelayProof:
    if not signing_key:
        raise Unauthorized("Signed posts are not accepted: SMS_GATEWAY_SIGNING_KEY is not set")
    stamp = request.headers.get("X-Timestamp", "").strip()
    if not _UNIX_SECONDS.fullmatch(stamp) or abs(now - int(stamp)) > SIGNATURE_WINDOW_SECONDS:
        raise Unauthorized("X-Timestamp must be the unix time in seconds, within 5 minutes")
    given = request.headers.get("X-Signature", "").strip()
    expected = hmac.new(
        signing_key.encode(), request.get_data() + stamp.encode(), hashlib.sha256
    ).hexdigest()
    # The shape is no secret; the comparison of the digests runs in constant time.
    if not _HEX_SHA256.fullmatch(given) or not hmac.compare_digest(expected, given.lower()):
        raise Unauthorized("X-Signature does not match the body and X-Timestamp")
    return RelayProof(SMS_GATEWAY_RELAY, signed=True)
