"""Flask extensions, created unbound here and bound to an app in the factory."""

from __future__ import annotations

from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# The client IP comes from ProxyFix (TRUSTED_PROXIES hops), never a raw X-Forwarded-For.
limiter = Limiter(key_func=get_remote_address, headers_enabled=True)
talisman = Talisman()
cors = CORS()
