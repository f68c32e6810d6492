"""Status polls read three fields (Store.status_view), never a whole document, and still
see completion and expiry the moment the store has them, on both store backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.app import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.storage.models import AuditLog
from tests.conftest import AUTH, Clock

V1 = "/api/v1/checkout-sessions"
STOP_POLLING = 286


@pytest.fixture
def app(settings: Settings, mongodb_uri: str) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(mongodb_uri=mongodb_uri))
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


def _open(client: FlaskClient, order_id: str) -> str:
    answer = client.post(V1, json={"orderId": order_id, "amount": "25"}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    url: str = answer.get_json()["url"]
    return "/" + url.split("://", 1)[1].split("/", 1)[1].split("?")[0] + "/status"


def _status(client: FlaskClient, order_id: str) -> str:
    answer = client.get(f"/api/payment-status/{order_id}", headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    found: str = answer.get_json()["status"]
    return found


def test_expiry_is_seen_and_stored_by_the_first_poll_past_it(
    client: FlaskClient, clock: Clock, gateway: Gateway
) -> None:
    poll = _open(client, "READ-EXP")
    assert _status(client, "READ-EXP") == "pending"
    assert client.get(poll, query_string={"seen": "pending"}).status_code == 204
    clock.advance(minutes=gateway.settings.session_expiry_minutes, seconds=1)
    assert client.get(poll, query_string={"seen": "pending"}).status_code == STOP_POLLING
    assert _status(client, "READ-EXP") == "expired"
    stored = gateway.store.session_by_order_id("READ-EXP")
    assert stored is not None and stored.status == "expired"
    assert AuditLog.objects(orderId="READ-EXP", action="session_expired").count() == 1


def test_completion_is_seen_by_the_next_poll(
    client: FlaskClient, pay: Callable[[str], Any]
) -> None:
    poll = _open(client, "READ-PAID")
    assert client.get(poll, query_string={"seen": "pending"}).status_code == 204
    pay("READ-PAID")
    assert _status(client, "READ-PAID") == "completed"
    shown = client.get(poll, query_string={"seen": "pending"})
    assert shown.status_code == STOP_POLLING
    assert 'data-status="completed"' in shown.get_data(as_text=True)


def test_an_unknown_token_or_order_is_the_usual_404(client: FlaskClient) -> None:
    assert client.get("/pay/not-a-token-at-all/status").status_code == 404
    assert client.get("/api/payment-status/NOBODY", headers=AUTH).status_code == 404
