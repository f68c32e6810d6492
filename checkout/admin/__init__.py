"""Blueprint "admin": the merchant console, behind a login (checkout.admin.access)."""

from checkout.admin.access import bp

__all__ = ["bp"]
