"""Blueprint "api": the seed's JSON endpoints and the merchant API under /api/v1."""

from checkout.api import (  # noqa: F401  (register their routes on bp)
    credits,
    evidence,
    openapi,
    refunds,
    users,
    v1,
)
from checkout.api.routes import bp

__all__ = ["bp"]
