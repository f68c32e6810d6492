"""Which browsers may call the JSON API: pages from ALLOWED_ORIGINS (and our own)."""

from __future__ import annotations

from flask import request

from checkout.errors import ApiError
from checkout.gateway import current_gateway
from checkout.urls import origin_of

# Documentation anyone may link to (from GitHub, a blog): it reads nothing and changes nothing.
PUBLIC_DOCUMENTS = frozenset({"api.docs", "api.openapi_json"})


def refuse_foreign_origins() -> None:
    """A browser on a site not in ALLOWED_ORIGINS gets 403; no Origin = a server, allowed.

    Runs before the rate limiter, so refused requests spend no one's budget.
    """
    if not request.path.startswith("/api") or request.endpoint in PUBLIC_DOCUMENTS:
        return
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return
    allowed = set(current_gateway().settings.allowed_origins)
    allowed.add(request.host_url.rstrip("/").lower())
    if origin_of(claimed) in allowed:
        return
    raise ApiError(403, "Origin not allowed", [{"field": "Origin", "message": "not allowed"}])
