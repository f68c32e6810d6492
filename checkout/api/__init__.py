"""Blueprint "api": the seed's JSON endpoints and the merchant API under /api/v1."""

from checkout.api.routes import bp

__all__ = ["bp"]
