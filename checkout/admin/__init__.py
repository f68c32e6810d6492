"""Blueprint "admin": the merchant console, behind a login (checkout.admin.access)."""

from checkout.admin import checkouts as _checkouts  # noqa: F401  (registers its views on bp)
from checkout.admin import exports as _exports  # noqa: F401  (registers its views on bp)
from checkout.admin import login as _login  # noqa: F401  (registers its views on bp)
from checkout.admin import refunds as _refunds  # noqa: F401  (registers its views on bp)
from checkout.admin import review as _review  # noqa: F401  (registers its views on bp)
from checkout.admin import settings as _settings  # noqa: F401  (registers its views on bp)
from checkout.admin import settings_integrations as _integrations  # noqa: F401  (views on bp)
from checkout.admin import today as _today  # noqa: F401  (registers its views on bp)
from checkout.admin import users as _users  # noqa: F401  (registers its views on bp)
from checkout.admin.access import bp

__all__ = ["bp"]
