"""/metrics: moving after a paid checkout, behind its token, no pay-page token in a label."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from checkout.app import create_app
from checkout.config import ConfigError, Settings
from checkout.gateway import EXTENSION_KEY
from tests.conftest import Clock
from tests.functional.conftest import create_ok
from tests.functional.test_config import PRODUCTION

TOKEN = "metrics-token-for-tests"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


def samples(client: FlaskClient) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    answer = client.get("/metrics", headers=BEARER)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def value(
    found: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def metered(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(metrics_token=TOKEN))
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


def test_metrics_move_after_a_paid_checkout(metered: Flask, clock: Clock) -> None:
    client = metered.test_client()
    gateway = metered.extensions[EXTENSION_KEY]
    before = samples(client)
    created = create_ok(client)
    page = urlsplit(created["url"]).path
    assert client.get(page).status_code == 200
    middle = samples(client)
    assert value(middle, "checkout_open") == value(before, "checkout_open") + 1
    paid = client.post("/api/sandbox/credit", json={"orderId": created["orderId"]})
    assert paid.status_code == 200, paid.get_data(as_text=True)
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    assert gateway.ticker.tick().ran
    after = samples(client)
    assert value(after, "checkout_created_total") == value(before, "checkout_created_total") + 1
    done = value(after, "checkout_completed_total", late="false")
    assert done == value(before, "checkout_completed_total", late="false") + 1
    assert value(after, "checkout_tick_runs_total") >= 1
    assert value(after, "checkout_tick_duration_seconds_count") >= 1
    assert sum(v for (n, _), v in after.items() if n == "checkout_credits_total") >= 1
    assert value(after, "checkout_open") == value(before, "checkout_open")
    assert ("checkout_webhook_backlog", frozenset()) in after
    requests = [dict(labels) for (n, labels) in after if n == "checkout_http_requests_total"]
    assert {"route": "/api/sandbox/credit", "method": "POST", "status": "200"} in requests
    token = page.rsplit("/", 1)[-1]
    text = client.get("/metrics", headers=BEARER).get_data(as_text=True)
    assert token not in text


def test_the_token_rule(metered: Flask) -> None:
    client = metered.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers=BEARER).status_code == 200


def test_development_without_a_token_is_loopback_only(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 200
    far = app.test_client().get("/metrics", environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert far.status_code in (403, 404)


def test_production_refuses_to_start_without_a_token() -> None:
    bare = {k: v for k, v in PRODUCTION.items() if k != "METRICS_TOKEN"}
    with pytest.raises(ConfigError, match="METRICS_TOKEN"):
        Settings.from_env(bare).validated()
