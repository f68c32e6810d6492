"""Signatures merchants check: webhooks, signed redirects and signed form posts.

Standard library only, so a merchant can copy this file into their backend.

Webhook header: ``X-UPI-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import re
import time
from collections.abc import Mapping
from typing import Any

SIGNATURE_HEADER = "X-UPI-Signature"
DEFAULT_TOLERANCE_SECONDS = 300
REDIRECT_FIELDS = ("orderId", "status", "t")
FORM_FIELDS = ("orderId", "amount", "description", "email", "returnUrl", "t")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


class InvalidSignature(ValueError):
    """The message was not signed with this secret, or the signature is too old."""


def _hmac_hex(secret: str, message: str) -> str:
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time equality that never raises (compare_digest refuses non-ASCII text)."""
    return hmac.compare_digest(expected.encode(), given.encode("utf-8", "replace"))


def _check_tolerance(tolerance: float) -> None:
    """0 or less would switch the time check off, which turns every old message into a replay."""
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)):
        raise ValueError("tolerance must be a number of seconds")
    if not (0 < tolerance < math.inf):
        raise ValueError("tolerance must be more than 0 seconds (and finite)")


def _check_secret(secret: str) -> None:
    # An unset environment variable read as "" must not accept what anyone signs with "".
    if not isinstance(secret, str) or not secret:
        raise ValueError("secret must be the endpoint's signing secret, not empty")


def sign(payload: bytes | str, secret: str, timestamp: int | None = None) -> str:
    """The X-UPI-Signature header value for a webhook body."""
    body = payload.decode() if isinstance(payload, bytes) else payload
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={_hmac_hex(secret, f'{t}.{body}')}"


def _header_parts(header: object) -> tuple[str, list[str]]:
    """(t, [v1 …]) of a signature header; InvalidSignature for anything we never send."""
    if isinstance(header, (bytes, bytearray)):
        try:
            header = bytes(header).decode("ascii")
        except UnicodeDecodeError:
            raise InvalidSignature("the signature header is not ASCII") from None
    if not isinstance(header, str):
        raise InvalidSignature("no signature header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, _, value = item.strip().partition("=")
        parts.setdefault(name, []).append(value)
    stamps = parts.get("t", [])
    # ASCII digits only: int() would also take "+1", "1_000" and other scripts' digits.
    if not stamps or _TIMESTAMP.fullmatch(stamps[0]) is None:
        raise InvalidSignature("no timestamp in the signature header")
    signatures = [given for given in parts.get("v1", []) if _HEX_DIGEST.fullmatch(given)]
    if not signatures:
        raise InvalidSignature("no v1 signature in the signature header")
    return stamps[0], signatures


def verify(
    payload: bytes | str,
    header: str | None,
    secret: str,
    tolerance: int = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    """Check a webhook and return its event; raise InvalidSignature otherwise.

    Pass the raw request body (not re-serialised JSON): the signature covers the exact bytes.
    Whatever a stranger sends raises InvalidSignature and nothing else, so a forged
    request can be answered 400 with one `except`; a bad `tolerance` or an empty
    `secret` is the caller's mistake and raises ValueError.
    """
    _check_tolerance(tolerance)
    _check_secret(secret)
    if isinstance(payload, (bytes, bytearray)):
        try:
            body = bytes(payload).decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidSignature("the body is not UTF-8 text") from None
    elif isinstance(payload, str):
        body = payload
    else:
        raise InvalidSignature("no body")
    try:
        body.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidSignature("the body is not UTF-8 text") from None
    stamp, signatures = _header_parts(header)
    t = int(stamp)
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        raise InvalidSignature("signature timestamp outside the tolerance")
    expected = _hmac_hex(secret, f"{t}.{body}")
    if not any(_same(expected, given) for given in signatures):
        raise InvalidSignature("signature does not match")
    try:
        event = json.loads(body)
    except ValueError:
        raise InvalidSignature("the body is not JSON") from None
    if not isinstance(event, dict):
        raise InvalidSignature("the body is not a JSON object")
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
    _check_tolerance(tolerance)
    try:
        t = int(str(query.get("t")))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - t) > tolerance:
        return False
    return fields_signed(query, key, REDIRECT_FIELDS)
