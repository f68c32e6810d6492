"""Which browsers may call the JSON API: pages from ALLOWED_ORIGINS and PUBLIC_URL.

The request's own Host is not among them: it is whatever the client sends, so
counting it would let any page allow itself (a rebound DNS name, a Host header set
by a proxy that passes it through). The hosted pages never need it: they post to
/pay/... and /l/..., which this check does not cover and a checkout-bound CSRF
token protects, and the API docs page only reads public documents.
"""

from __future__ import annotations

from flask import request

from checkout.config import Settings
from checkout.gateway import current_gateway
from checkout.services.errors import Forbidden
from checkout.urls import origin_of

# Documentation anyone may link to (from GitHub, a blog): it reads nothing and changes nothing.
PUBLIC_DOCUMENTS = frozenset({"api.docs", "api.openapi_json"})


def allowed_origins(settings: Settings) -> frozenset[str]:
    """The configured origins, and the gateway's own public one when PUBLIC_URL says it."""
    allowed = set(settings.allowed_origins)
    public = origin_of(settings.public_url) if settings.public_url else None
    if public:
        allowed.add(public)
    return frozenset(allowed)


def refuse_foreign_origins() -> None:
    """A browser on a site not allowed gets 403; no Origin = a server, allowed.

    Runs before the rate limiter, so refused requests spend no one's budget.
    """
    if not request.path.startswith("/api") or request.endpoint in PUBLIC_DOCUMENTS:
        return
    claimed = request.headers.get("Origin") or request.headers.get("Referer")
    if not claimed:
        return
    if origin_of(claimed) in allowed_origins(current_gateway().settings):
        return
    raise Forbidden("Origin not allowed", field="Origin", detail="not allowed")
