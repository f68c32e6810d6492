"""Flask extensions, created unbound here and bound to an app in the factory.

Also the one gate for origins written into the Content-Security-Policy header.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

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

log = logging.getLogger(__name__)

# scheme://host[:port] and nothing else: no `;` (it would end the directive and start
# one of the attacker's), no `,` (a new policy), no whitespace (a new source), no quotes
# (a keyword such as 'unsafe-inline'), no non-ASCII (not a header value at all).
_CSP_ORIGIN = re.compile(
    r"https?://[A-Za-z0-9._\-]+(?::[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?"
)


def csp_sources(origins: Iterable[str]) -> list[str]:
    """The origins fit to write into a CSP source list, in order, once each.

    The API already refuses such merchant URLs; this holds for anything stored
    before it did, and for any other way an origin reaches a policy.
    """
    kept: list[str] = []
    for origin in origins:
        if not _CSP_ORIGIN.fullmatch(origin):
            log.warning("left out of the Content-Security-Policy: %r", origin)
        elif origin not in kept:
            kept.append(origin)
    return kept
