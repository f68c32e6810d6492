"""Blueprint "pay": the pages a paying customer sees."""

from checkout.web.routes import bp

__all__ = ["bp"]
