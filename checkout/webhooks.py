"""Signatures merchants check: webhooks, signed redirects and signed form posts.

Standard library only, so a merchant can copy this file into their backend.

Webhook header: ``X-UPI-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "X-UPI-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
REDIRECT_FIELDS = ("orderId", "status", "t")
FORM_FIELDS = ("orderId", "amount", "description", "email", "returnUrl", "t")


class InvalidSignature(ValueError):
    """The message was not signed with this secret, or the signature is too old."""


def _hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time equality that never raises (compare_digest refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The X-UPI-Signature header value for a webhook body."""
    body = payload.decode() if isinstance(payload, bytes) else payload
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_hmac_hex(secret, f'{t}.{body}')}"


def verify(
    payload: bytes | str,
    header: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a webhook and return its event; raise InvalidSignature otherwise.

    Pass the raw request body (not re-serialised JSON): the signature covers the exact bytes.
    """
    body = payload.decode() if isinstance(payload, bytes) else payload
    parts: dict[str, list[str]] = {}
    for item in (header or "").split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    try:
        t = int(parts["t"][0])
    except (KeyError, ValueError):
        raise InvalidSignature("no timestamp in the signature header") from None
    current = time.time() if now is None else now
    if tolerance and abs(current - t) > tolerance:
        raise InvalidSignature("signature timestamp outside the tolerance")
    expected = _hmac_hex(secret, f"{t}.{body}")
    if not any(_same(expected, given) for given in parts.get("v1", [])):
        raise InvalidSignature("signature does not match")
    event: dict[str, Any] = json.loads(body)
    return event


def signing_key(api_key: str) -> str:
    """The HMAC key for signed redirects and form posts, derived from an API key.

    The gateway keeps only a hash of the API key, so it signs with this derived
    value instead; a merchant computes it from the key they hold.
    """
    return _hmac_hex(api_key, "upi-checkout/signing")


def _fields_message(fields: Mapping[str, Any], names: tuple[str, ...]) -> str:
    return "\n".join(str(fields.get(name) or "") for name in names)


def sign_fields(fields: Mapping[str, Any], key: str, names: tuple[str, ...]) -> str:
    """HMAC over the named fields, one per line in the documented order."""
    return _hmac_hex(key, _fields_message(fields, names))


def fields_signed(fields: Mapping[str, Any], key: str, names: tuple[str, ...]) -> bool:
    given = str(fields.get("signature") or "")
    return _same(sign_fields(fields, key, names), given)


def verify_redirect(
    query: Mapping[str, Any],
    key: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """Merchant side: is this returnUrl query (orderId, status, t, signature) ours and fresh?"""
    try:
        t = int(str(query.get("t")))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if tolerance and abs(current - t) > tolerance:
        return False
    return fields_signed(query, key, REDIRECT_FIELDS)
