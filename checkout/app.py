"""The app factory: config → extensions → storage → blueprints → errors → commands.

In its own module, so that `import checkout` (or any pure part of it, such as the domain or
the signatures merchants copy) loads none of Flask, mongoengine or pydantic.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
import os
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request
from pymongo.errors import PyMongoError
from werkzeug.middleware.proxy_fix import ProxyFix

from checkout import clock, limits
from checkout.api.origins import refuse_foreign_origins
from checkout.compression import init_compression
from checkout.config import Settings
from checkout.domain.vocabulary import Status
from checkout.errors import register_error_handlers
from checkout.extensions import cors, csp_sources, csrf, limiter, talisman
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.jsonio import GatewayJSONProvider
from checkout.logs import configure_logging
from checkout.providers import build_provider
from checkout.services.links import ensure_demo_link
from checkout.services.outbox import DeliveryWorker
from checkout.services.ticker import Ticker
from checkout.storage.evidence import EvidenceStore
from checkout.storage.links import LinkStore
from checkout.storage.merchant import MerchantStore
from checkout.storage.store import Store

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAX_BODY_BYTES = 64 * 1024

log = logging.getLogger("checkout.requests")


class GatewayFlask(Flask):
    """Flask, asking once per hook or view whether it is a coroutine.

    Flask's ensure_sync runs inspect.iscoroutinefunction on every before/after-request
    hook and the view, on every request: a dozen introspections a request, about a tenth
    of a status poll's time. A function's nature does not change, so the answer is kept.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._synced[func]
        except AttributeError:
            self._synced: dict[Callable[..., Any], Callable[..., Any]] = {}
        except (KeyError, TypeError):
            pass
        synced = super().ensure_sync(func)
        with contextlib.suppress(TypeError):  # an unhashable callable is asked every time
            self._synced[func] = synced
        return synced


def create_app(settings: Settings | None = None, **overrides: Any) -> Flask:
    settings = settings or Settings.from_env()
    if overrides:
        settings = settings.with_overrides(**overrides)
    configure_logging(settings)

    app = GatewayFlask(
        __name__.split(".")[0],  # the package: app.name stays "checkout"
        template_folder=os.path.join(ROOT, "templates"),
        static_folder=os.path.join(ROOT, "static"),
    )
    app.json = GatewayJSONProvider(app)
    # Templates name statuses through the one vocabulary, as the code does.
    app.jinja_env.globals["Status"] = Status
    app.config.update(
        SECRET_KEY=_flask_secret_key(settings),
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        RATELIMIT_STORAGE_URI=limits.storage_uri(settings.ratelimit_storage_uri),
        RATELIMIT_HEADERS_ENABLED=True,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        WTF_CSRF_TIME_LIMIT=None,
    )
    if settings.trusted_proxies:
        hops = settings.trusted_proxies
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )

    _init_extensions(app, settings)
    from checkout.i18n import init_i18n

    init_i18n(app, settings)

    store = Store(settings.mongodb_uri, settings.mongodb_db_name)
    merchant = MerchantStore(store)
    provider = build_provider(settings, store)
    gateway = Gateway(
        settings,
        store,
        provider,
        Ticker(store, provider, settings),
        merchant,
        DeliveryWorker(store, merchant, settings),
        LinkStore(),
        EvidenceStore(),
    )
    app.extensions[EXTENSION_KEY] = gateway
    _prepare_store(gateway)

    from checkout.api import bp as api_bp
    from checkout.web import bp as pay_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(pay_bp)
    csrf.exempt(api_bp)
    _register_console(app)
    register_error_handlers(app)
    _register_request_hooks(app, gateway)
    from checkout.metrics import init_metrics

    init_metrics(app, gateway)

    from checkout import commands_retention, commands_users
    from checkout.cli import register_commands

    register_commands(app)
    commands_retention.register(app)
    commands_users.register(app)
    if settings.in_memory_store:
        logging.getLogger("checkout").warning(
            "data lives in memory (MONGODB_URI=mongomock://): it is gone on restart"
        )
    return app


def _register_console(app: Flask) -> None:
    """The console, behind its login; its forms keep CSRF (only the JSON API is exempt)."""
    from checkout.admin import bp as admin_bp

    app.register_blueprint(admin_bp)


def _flask_secret_key(settings: Settings) -> str:
    """SECRET_KEY, else one derived from ADMIN_SECRET (never the secret itself), else random.

    Several processes need the same key for CSRF tokens to verify everywhere.
    """
    if settings.secret_key:
        return settings.secret_key
    if settings.admin_secret:
        return hmac.new(settings.admin_secret.encode(), b"flask-secret-key", "sha256").hexdigest()
    return os.urandom(32).hex()


def _init_extensions(app: Flask, settings: Settings) -> None:
    """Order matters: hooks run in registration order (after_request in reverse)."""
    init_compression(app)  # first registered, so it compresses the final answer last
    csrf.init_app(app)
    # Registered before Talisman so that it runs after Talisman has set its headers.
    app.after_request(_allow_embedding)
    talisman.init_app(
        app,
        force_https=False,
        strict_transport_security=settings.production,
        session_cookie_secure=settings.production,
        frame_options="DENY",
        content_security_policy={
            "default-src": "'self'",
            "img-src": "'self' data:",
            "script-src": "'self'",
            "style-src": "'self'",
            "connect-src": "'self'",
            "object-src": "'none'",
            "base-uri": "'none'",
            "form-action": "'self'",
            "frame-ancestors": "'none'",
        },
        content_security_policy_nonce_in=["script-src", "style-src"],
        referrer_policy="strict-origin-when-cross-origin",
    )
    # After Talisman (every answer gets its nonce and headers), before the limiter: a
    # foreign origin is refused without spending anyone's budget.
    app.before_request(refuse_foreign_origins)
    limiter.init_app(app)
    # Every limit is declared on its route (checkout/limits.py), checked when the route runs;
    # the limiter's before-request pass only serves default and blueprint limits, which the
    # gateway has none of, so it is dropped rather than paid for on every request.
    app.before_request_funcs[None].remove(limiter._check_request_limit)
    if settings.ratelimit_storage_uri.startswith("memory://"):
        # One process-wide memory store: a new app (tests, reload) starts with fresh counters.
        limiter.reset()
    cors.init_app(
        app,
        resources={r"/api/*": {"origins": list(settings.allowed_origins)}},
        allow_headers=["Content-Type", "Authorization", "Idempotency-Key"],
        expose_headers=["Retry-After", "X-RateLimit-Limit", "X-RateLimit-Remaining"],
        max_age=600,
        always_send=False,
    )


def _allow_embedding(response: Response) -> Response:
    """Per-page widening of the policy, never wider than the settings allow.

    A page rendered for an iframe may be framed by ALLOWED_ORIGINS (and only by
    them); a pay page's forms may end in a redirect to its merchant's return URL.
    """
    frame_origins = g.get("frame_ancestors")
    form_origins = g.get("form_targets")
    if frame_origins is None and not form_origins:
        return response
    policy = response.headers.get("Content-Security-Policy", "")
    if frame_origins is not None:
        response.headers.pop("X-Frame-Options", None)
        allowed = " ".join(csp_sources(frame_origins)) or "'none'"
        policy = re.sub(r"frame-ancestors [^;]*", f"frame-ancestors {allowed}", policy)
    if form_origins:
        policy = re.sub(
            r"form-action [^;]*",
            " ".join(["form-action 'self'", *csp_sources(sorted(form_origins))]),
            policy,
        )
    response.headers["Content-Security-Policy"] = policy
    return response


def _prepare_store(gateway: Gateway) -> bool:
    """Indexes and the demo link; a store that is down at start is retried on later requests."""
    try:
        gateway.store.ensure_indexes()
        gateway.merchant.ensure_indexes()
        gateway.links.ensure_indexes()
        gateway.evidence.ensure_indexes()
        gateway.claims.ensure_indexes()
        gateway.users.ensure_indexes()
        gateway.webhooks.receipts.outbox.ensure_indexes()
        if gateway.settings.sandbox:
            ensure_demo_link(gateway.links, clock.utcnow())
    except PyMongoError as exc:
        logging.getLogger("checkout").error(
            "store unreachable at start (%s); will retry on the next requests", type(exc).__name__
        )
        gateway.store_ready = False
        return False
    gateway.store_ready = True
    return True


def _register_request_hooks(app: Flask, gateway: Gateway) -> None:
    retry_after = {"at": 0.0}

    @app.before_request
    def _start_timer_and_workers() -> None:
        g.started = time.perf_counter()
        if not gateway.store_ready and time.monotonic() >= retry_after["at"]:
            retry_after["at"] = time.monotonic() + 10
            _prepare_store(gateway)
        if gateway.settings.start_ticker:
            gateway.start_background()

    @app.after_request
    def _log_request(response: Response) -> Response:
        started = g.get("started")
        duration_ms = (time.perf_counter() - started) * 1000 if started else 0.0
        log.info(
            "%s %s %s %.1fms %s",
            request.method,
            request.path,  # pay-page tokens are blanked by the log filter (checkout.logs)
            response.status_code,
            duration_ms,
            request.remote_addr,
        )
        return response
