"""Prometheus metrics at /metrics: what an operator watches (payments, faults, backlog, latency).

Counted at ONE hook point per thing, the store and worker methods through which every such
change already passes (a state change is one conditional update there), so no service grows
metric calls and the domain stays pure. Gauges are computed at scrape time from the store.

Each app gets its own CollectorRegistry, so tests compare values before and after. Under
gunicorn with PROMETHEUS_MULTIPROC_DIR set, values go to the shared directory and a scrape
reads every worker's through a MultiProcessCollector (gunicorn_conf marks dead workers).
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, abort, g, request
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

from checkout.domain.vocabulary import DeliveryStatus, Status
from checkout.extensions import csrf, limiter
from checkout.gateway import Gateway
from checkout.storage.merchant import WebhookDelivery
from checkout.storage.models import PaymentSession, WalletCredit

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class Metrics:
    """The metric objects of one app."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.checkouts_created = Counter("checkout_created", "Checkouts created", registry=registry)
        self.checkouts_completed = Counter(
            "checkout_completed", "Checkouts completed", ["late"], registry=registry
        )
        self.checkouts_expired = Counter("checkout_expired", "Checkouts expired", registry=registry)
        self.checkouts_cancelled = Counter(
            "checkout_cancelled", "Checkouts cancelled", registry=registry
        )
        self.credits = Counter(
            "checkout_credits", "Credits decided", ["source", "outcome"], registry=registry
        )
        self.ticks = Counter("checkout_tick_runs", "Ticker runs", registry=registry)
        self.tick_seconds = Histogram(
            "checkout_tick_duration_seconds", "Ticker run duration", registry=registry
        )
        self.provider_faults = Counter(
            "checkout_provider_faults", "Wallet provider faults", ["reason"], registry=registry
        )
        self.deliveries = Counter(
            "checkout_webhook_deliveries",
            "Webhook delivery attempts",
            ["result"],
            registry=registry,
        )
        self.requests = Counter(
            "checkout_http_requests",
            "HTTP requests",
            ["route", "method", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "checkout_http_request_duration_seconds",
            "HTTP latency",
            ["route"],
            registry=registry,
        )


class ScrapeGauges(Collector):
    """Open checkouts and the webhook backlog: cheap counts, read when Prometheus asks."""

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "checkout_open",
            "Checkouts pending now",
            value=PaymentSession.objects(status=Status.PENDING).count(),
        )
        yield GaugeMetricFamily(
            "checkout_webhook_backlog",
            "Webhook deliveries waiting to be sent",
            value=WebhookDelivery.objects(status=DeliveryStatus.PENDING).count(),
        )


def _wrap(owner: Any, name: str, after: Callable[..., None]) -> None:
    """Call ``after(result, *args, **kwargs)`` once the method has returned."""
    method = getattr(owner, name)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        result = method(*args, **kwargs)
        after(result, *args, **kwargs)
        return result

    setattr(owner, name, wrapped)


def _instrument(gateway: Gateway, m: Metrics) -> None:
    def transitioned(
        session: Any, _order: str, _source: str, target: str, *_: Any, **__: Any
    ) -> None:
        if session is None:
            return
        if target == Status.COMPLETED:
            m.checkouts_completed.labels(late=str(bool(session.late)).lower()).inc()
        elif target == Status.EXPIRED:
            m.checkouts_expired.inc()
        elif target == Status.CANCELLED:
            m.checkouts_cancelled.inc()

    def decided(changed: Any, key: str, outcome: str, *_: Any, **__: Any) -> None:
        if changed:
            credit = WalletCredit.objects(key=key).only("provider").first()
            source = getattr(credit, "provider", None) or "unknown"
            m.credits.labels(source=source, outcome=outcome).inc()

    def finished(_r: Any, _owner: str, changes: dict[str, Any], *_: Any, **__: Any) -> None:
        reason = changes.get("lastErrorReason")
        if reason:
            m.provider_faults.labels(reason=str(reason)).inc()

    def settled(_r: Any, _id: str, _attempts: int, changes: dict[str, Any], *_: Any) -> None:
        m.deliveries.labels(result=str(changes.get("status", "unknown"))).inc()

    def timed_tick() -> Any:
        started = time.perf_counter()
        try:
            return tick()
        finally:
            m.ticks.inc()
            m.tick_seconds.observe(time.perf_counter() - started)

    _wrap(gateway.store, "insert_session", lambda *_a, **_k: m.checkouts_created.inc())
    _wrap(gateway.store, "transition", transitioned)
    _wrap(gateway.store, "decide_credit", decided)
    _wrap(gateway.store, "finish_tick", finished)
    _wrap(gateway.merchant, "settle_delivery", settled)
    tick = gateway.ticker.tick
    gateway.ticker.tick = timed_tick


def _is_loopback(address: str | None) -> bool:
    try:
        return ipaddress.ip_address(address or "").is_loopback
    except ValueError:
        return False


def init_metrics(app: Flask, gateway: Gateway) -> Metrics:
    """Create this app's metrics, hook them in, and serve /metrics."""
    m = Metrics(CollectorRegistry(auto_describe=True))
    _instrument(gateway, m)
    token = gateway.settings.metrics_token

    @app.before_request
    def _start_clock() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        rule = request.url_rule
        route = rule.rule if rule is not None else "unmatched"  # never the raw path
        m.requests.labels(route=route, method=request.method, status=response.status_code).inc()
        started = g.get("metrics_started")
        if started is not None:
            m.request_seconds.labels(route=route).observe(time.perf_counter() - started)
        return response

    @app.get("/metrics")
    @limiter.exempt
    def metrics() -> Response:
        if token:
            given = request.headers.get("Authorization", "")
            if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
                return Response("unauthorized\n", 401, {"WWW-Authenticate": "Bearer"})
        elif not _is_loopback(request.remote_addr):
            abort(403)
        if os.environ.get(MULTIPROC_ENV):
            registry = CollectorRegistry()
            MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
            body = generate_latest(registry)
        else:
            body = generate_latest(m.registry)
        gauges = CollectorRegistry()
        gauges.register(ScrapeGauges())
        return Response(body + generate_latest(gauges), mimetype=CONTENT_TYPE)

    csrf.exempt(metrics)  # a GET, but said outright: no form, no CSRF token
    return m
