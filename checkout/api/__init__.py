"""Blueprint "api": the seed's JSON endpoints and the merchant API under /api/v1."""

from checkout.api import v1  # noqa: F401  (registers the /api/v1 routes on bp)
from checkout.api.routes import bp

__all__ = ["bp"]
