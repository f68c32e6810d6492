"""Who may call merchant endpoints: a Bearer key compared in constant time."""

from __future__ import annotations

import hmac

from flask import request

from checkout.errors import ApiError
from checkout.gateway import current_gateway


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def require_merchant() -> None:
    """ADMIN_SECRET is the master key; managed API keys come with the merchant API."""
    token = bearer_token()
    secret = current_gateway().settings.admin_secret
    if token is None:
        raise ApiError(401, "Authorization: Bearer <key> is required")
    if not secret or not hmac.compare_digest(token.encode(), secret.encode()):
        raise ApiError(401, "Invalid API key")
