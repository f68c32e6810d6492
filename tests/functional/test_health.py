"""/health: ok, degraded when the wallet fails (still 200), 503 when the store is down."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from tests.conftest import Clock
from tests.functional.conftest import assert_error, create_ok
from tests.support.nx import start_nx_server

BALANCE_OK = {"success": True, "data": {"balance": "100.00"}}


def test_health_ok(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["store"] == {"status": "ok", "inMemory": True}
    assert body["checks"]["provider"]["status"] == "ok"
    assert body["checks"]["provider"]["name"] == "sandbox"


def test_health_is_not_rate_limited(client: FlaskClient) -> None:
    for _ in range(150):
        assert client.get("/health").status_code == 200


@pytest.fixture
def mobikwik_app(settings: Settings, httpserver: HTTPServer) -> Iterator[Flask]:
    application = create_app(
        settings.with_overrides(
            payment_provider="mobikwik",
            mobikwik_auth="wallet-token-0123456789",
            mobikwik_api_url=httpserver.url_for("/balance"),
        )
    )
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


def test_provider_fault_makes_health_degraded_but_200(
    mobikwik_app: Flask, httpserver: HTTPServer, clock: Clock
) -> None:
    gateway: Gateway = mobikwik_app.extensions[EXTENSION_KEY]
    client = mobikwik_app.test_client()
    # The first balance read (the checkout's baseline) works; the wallet then fails.
    httpserver.expect_oneshot_request("/balance").respond_with_json(BALANCE_OK)
    httpserver.expect_request("/balance").respond_with_data("upstream down", status=500)
    create_ok(client)
    assert client.get("/health").get_json()["status"] == "ok"

    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    report = gateway.ticker.tick()
    assert report.ran and report.error == "server-error"

    calls = len(httpserver.log)
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    provider = body["checks"]["provider"]
    assert provider["status"] == "degraded"
    assert provider["name"] == "mobikwik"
    assert provider["lastError"] == "server-error"
    assert provider["consecutiveFailures"] == 1
    assert body["checks"]["store"]["status"] == "ok"
    assert len(httpserver.log) == calls, "health must not call the wallet"
    # Provider trouble is not payment news.
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}
    logs = Path(gateway.settings.log_dir, "combined.log").read_text(encoding="utf-8")
    assert "wallet-token-0123456789" not in logs

    # The wallet recovers: the next due tick clears the fault.
    httpserver.clear_all_handlers()
    httpserver.expect_request("/balance").respond_with_json(BALANCE_OK)
    clock.advance(minutes=2)
    assert gateway.ticker.tick().reason == "ok"
    assert client.get("/health").get_json()["status"] == "ok"


def test_a_wallet_failure_while_opening_a_checkout_is_503_and_opens_nothing(
    mobikwik_app: Flask, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/balance").respond_with_data("<html>login</html>", status=200)
    client = mobikwik_app.test_client()
    response = client.post(
        "/api/create-payment-session",
        json={"basePrice": 10, "nonce": client.get("/api/nonce").get_json()["nonce"]},
    )
    assert_error(response, 503)
    gateway: Gateway = mobikwik_app.extensions[EXTENSION_KEY]
    assert gateway.store.list_sessions() == []
    assert client.get("/health").status_code == 200


def test_an_idle_gateway_makes_no_wallet_calls(
    mobikwik_app: Flask, httpserver: HTTPServer, clock: Clock
) -> None:
    httpserver.expect_request("/balance").respond_with_json(BALANCE_OK)
    gateway: Gateway = mobikwik_app.extensions[EXTENSION_KEY]
    for _ in range(3):
        clock.advance(seconds=10)
        assert gateway.ticker.tick().reason == "idle"
    assert mobikwik_app.test_client().get("/health").status_code == 200
    assert len(httpserver.log) == 0


# -- the store goes away ------------------------------------------------------------------


@pytest.fixture
def own_mongodb(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A wire-protocol server this test may stop (the shared one must stay up)."""
    process, uri = start_nx_server(tmp_path)
    try:
        yield uri, process
    finally:
        if process.poll() is None:
            process.terminate()
            process.wait(10)


def test_store_down_is_503(settings: Settings, own_mongodb: tuple[str, Any]) -> None:
    uri, process = own_mongodb
    application = create_app(settings.with_overrides(mongodb_uri=uri))
    client = application.test_client()
    assert client.get("/health").status_code == 200
    create_ok(client)

    process.terminate()
    process.wait(10)

    response = client.get("/health")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "down"
    assert body["checks"]["store"]["status"] == "down"
    assert body["timestamp"]
    assert "Traceback" not in response.get_data(as_text=True)

    # A seed endpoint says the same thing in the one error format, not a bare 500.
    assert_error(client.get("/api/payment-status/ORD-12345"), 503)


def test_health_says_a_balance_only_wallet_cannot_tell_a_debit_from_a_smaller_payment(
    mobikwik_app: Flask, httpserver: HTTPServer
) -> None:
    body = mobikwik_app.test_client().get("/health").get_json()
    evidence = body["checks"]["evidence"]
    assert evidence["status"] == "limited" and evidence["source"] == "balance"
    assert evidence["receiveOnly"] is False
    assert "debit" in evidence["note"] and "WALLET_RECEIVE_ONLY" in evidence["note"]
    assert "MOBIKWIK_HISTORY_URL" in evidence["note"]  # the recommended way out
    assert body["status"] == "ok"  # advice, not an outage
    assert len(httpserver.log) == 0


def test_health_reports_the_receive_only_promise_and_a_history_source(
    settings: Settings, httpserver: HTTPServer
) -> None:
    wallet = {
        "payment_provider": "mobikwik",
        "mobikwik_auth": "wallet-token-0123456789",
        "mobikwik_api_url": httpserver.url_for("/balance"),
    }
    for changes, expected in (
        ({"wallet_receive_only": True}, {"source": "balance", "receiveOnly": True}),
        ({"mobikwik_history_url": httpserver.url_for("/history")}, {"source": "history"}),
    ):
        application = create_app(settings.with_overrides(**wallet, **changes))
        try:
            evidence = application.test_client().get("/health").get_json()["checks"]["evidence"]
        finally:
            application.extensions[EXTENSION_KEY].stop_background()
        assert expected.items() <= evidence.items(), evidence
        assert (evidence["status"] == "ok") == (expected["source"] == "history")
