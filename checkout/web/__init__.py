"""Blueprint "pay": the pages a paying customer sees."""

from checkout.web import links  # noqa: F401  (registers the link and signed-form routes)
from checkout.web.routes import bp

__all__ = ["bp"]
