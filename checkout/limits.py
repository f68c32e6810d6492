"""Every rate limit the gateway applies, read from settings, and whom each one counts.

Three kinds of caller share the routes, and each is counted where counting is fair:
- a merchant backend with a valid key: per key, under RATE_LIMIT_KEYED, whatever its IP
  and whatever the route's own limit (one server polling 1,000 orders is not abuse);
- a customer on a hosted page: per checkout token, never per IP, since an Indian mobile
  carrier puts thousands of strangers behind one address;
- anyone else: per client IP (ProxyFix has already chosen it from TRUSTED_PROXIES).
A limit is named by its setting, so the one place a default is written stays
checkout/config.py, and a limit is read when a request needs it, so tests and
operators change it through settings alone.
"""

from __future__ import annotations

import functools
import math
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage

from checkout.extensions import limiter
from checkout.gateway import client_ip, current_gateway
from checkout.services.errors import TooManyRequests
from checkout.services.keys import SCOPE_ALL

Limit = Callable[[], str]
View = TypeVar("View", bound=Callable[..., Any])


def setting(name: str) -> Limit:
    """The limit kept in the setting `name` (a Settings attribute such as rate_limit_api)."""

    def read() -> str:
        value: str = getattr(current_gateway().settings, name)
        return value

    read.__name__ = name
    return read


class ReadLimit:
    """The limit of a cheap read (a status poll): counted with one hit of one counter,
    outside flask-limiter's per-request machinery, which costs more than the read."""

    def __init__(self, limit: Limit) -> None:
        self.limit = limit
        self.__name__ = limit.__name__

    def __call__(self) -> str:
        return self.limit()


STATUS = ReadLimit(setting("rate_limit_status"))
NONCE = setting("rate_limit_nonce")
ACTIONS = setting("rate_limit_actions")
UTR = setting("rate_limit_utr")
API = setting("rate_limit_api")
LINK_OPENS = setting("rate_limit_link_opens")
SIGNED = setting("rate_limit_signed")
EVIDENCE = setting("rate_limit_evidence")
KEYED = setting("rate_limit_keyed")


def _seed_create() -> str:
    """The seed's create limit: RATE_LIMIT_MAX_REQUESTS per RATE_LIMIT_WINDOW_MS, per IP."""
    settings = current_gateway().settings
    return f"{settings.rate_limit_max_requests} per {settings.rate_limit_window_ms // 1000} seconds"


CREATE: Limit = _seed_create


def _merchant_key_id() -> str | None:
    from checkout.api.auth import merchant_caller  # the API layer knows keys; lazily

    if "Authorization" not in request.headers:
        return None
    caller = merchant_caller()
    return caller.key_id if caller is not None and caller.scope == SCOPE_ALL else None


def counted(limit: Limit, key_func: Callable[[], str]) -> Callable[[View], View]:
    """The view, counted against `limit` for whom `key_func` names, and nothing more."""

    def decorate(view: View) -> View:
        @functools.wraps(view)
        def run(*args: Any, **kwargs: Any) -> Any:
            hit(limit(), key_func(), scope=request.endpoint or view.__name__)
            return view(*args, **kwargs)

        return cast(View, run)

    return decorate


@functools.lru_cache(maxsize=64)
def _items(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


def hit(text: str, key: str, *, scope: str) -> None:
    """One hit per item of the limit `text`; TooManyRequests (with when to come back) if
    any is spent. Uses flask-limiter's own strategy and storage, so counters live where
    RATELIMIT_STORAGE_URI says and the limiter's reset and switch-off hold here too."""
    if not limiter.enabled:
        return
    strategy = limiter.limiter
    for item in _items(text):
        if not strategy.hit(item, key, scope):
            reset_at = strategy.get_window_stats(item, key, scope).reset_time
            raise TooManyRequests(retry_after=math.ceil(reset_at - time.time()))


def per_key_or(route_limit: Limit) -> Limit:
    """RATE_LIMIT_KEYED for a caller with a valid merchant key, else the route's own limit."""

    def choose() -> str:
        return KEYED() if _merchant_key_id() is not None else route_limit()

    choose.__name__ = f"keyed_or_{route_limit.__name__}"
    return choose


def key_or_ip() -> str:
    """Whom a limit counts: the merchant key when there is a valid one, else the client IP."""
    key_id = _merchant_key_id()
    return f"key:{key_id}" if key_id is not None else client_ip()


def checkout_token() -> str:
    """A hosted page's requests count against their checkout (the token in the path)."""
    return f"checkout:{(request.view_args or {}).get('token', '')}"


def per_checkout(order_id: str) -> Callable[[], str]:
    """A limit counted against one checkout however its requests arrive (UTR claims)."""
    return lambda: f"utr:{order_id}"


class SweptMemoryStorage(MemoryStorage):
    """RATELIMIT_STORAGE_URI=memory://, swept for stale counters once a second.

    limits' own memory storage re-arms a 10 ms timer thread on every hit that finds the
    last one finished: under steady traffic that is a thread started every few requests
    and a sweep of every counter a hundred times a second, both on the request path's
    GIL. Reading a counter already drops it once expired (MemoryStorage.get), so the
    sweep only returns memory, and once a second does that as well.
    """

    STORAGE_SCHEME = ["gateway-memory"]
    SWEEP_SECONDS = 1.0

    def _MemoryStorage__schedule_expiry(self) -> None:
        if not self.timer.is_alive():
            self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
            self.timer.daemon = True
            self.timer.start()


def storage_uri(configured: str) -> str:
    """The limits storage for RATELIMIT_STORAGE_URI: memory:// is the swept one above."""
    if configured.startswith("memory://"):
        return "gateway-memory://" + configured.removeprefix("memory://")
    return configured
