"""Blueprint "api": the seed's JSON endpoints and the merchant API under /api/v1."""

from checkout.api import credits, evidence, openapi, v1  # noqa: F401  (register their routes on bp)
from checkout.api.routes import bp

__all__ = ["bp"]
