"""Who may call merchant endpoints: a Bearer key compared in constant time."""

from __future__ import annotations

from flask import g, request

from checkout import clock
from checkout.gateway import current_gateway
from checkout.services import keys
from checkout.services.errors import Forbidden, Unauthorized
from checkout.services.keys import MASTER_KEY_ID, Caller


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_merchant() -> Caller:
    """A managed API key, or ADMIN_SECRET as the master key; the caller is kept on `g`."""
    token = bearer_token()
    if token is None:
        raise Unauthorized("Authorization: Bearer <key> is required")
    gateway = current_gateway()
    caller = keys.authenticate(gateway.merchant, gateway.settings, token, now=clock.utcnow())
    if caller is None:
        raise Unauthorized("Invalid API key")
    g.caller = caller
    return caller


def require_master() -> Caller:
    """ADMIN_SECRET itself: managing keys is not for the keys it manages."""
    caller = require_merchant()
    if caller.key_id != MASTER_KEY_ID:
        raise Forbidden("Only ADMIN_SECRET may manage API keys")
    return caller


def current_caller() -> Caller:
    """The caller require_merchant accepted for this request."""
    caller: Caller = g.caller
    return caller
