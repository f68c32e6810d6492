"""Helpers for the Flask-client tests of the seed API: the seed's body, nonces, store counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout.gateway import Gateway
from checkout.storage.models import AmountReservation, AuditLog, Nonce, Order, PaymentSession
from tests.conftest import Clock

NONCE_RE = re.compile(r"[0-9a-f]{64}")


def seed_body(nonce: str | None, **changes: Any) -> dict[str, Any]:
    """The create-payment-session body exactly as the seed README sends it."""
    body: dict[str, Any] = {
        "orderId": "ORD-12345",
        "productDetails": {"name": "Product", "quantity": 1},
        "deliveryDetails": {"name": "John", "address": "123 St"},
        "email": "john@example.com",
        "basePrice": 1000,
        "tax": 18,
        "couponCode": "",
        "nonce": nonce,
    }
    body.update(changes)
    return body


def get_nonce(client: FlaskClient, **kwargs: Any) -> str:
    response = client.get("/api/nonce", **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    value = response.get_json()["nonce"]
    assert NONCE_RE.fullmatch(value)
    return str(value)


def create(client: FlaskClient, **changes: Any) -> TestResponse:
    """Fetch a fresh nonce and create a session with the seed body (plus changes)."""
    kwargs: dict[str, Any] = changes.pop("request_kwargs", {})
    return client.post(
        "/api/create-payment-session",
        json=seed_body(get_nonce(client, **kwargs), **changes),
        **kwargs,
    )


def create_ok(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    response = create(client, **changes)
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def stored_counts() -> dict[str, int]:
    """What a rejected request must leave untouched."""
    return {
        "sessions": PaymentSession.objects.count(),
        "orders": Order.objects.count(),
        "reservations": AmountReservation.objects.count(),
    }


def used_nonces() -> int:
    return Nonce.objects(used=True).count()


def audit_actions(order_id: str) -> list[str]:
    return [entry.action for entry in AuditLog.objects(orderId=order_id).order_by("timestamp")]


def assert_error(
    response: TestResponse, status: int, field: str | None = None
) -> list[dict[str, str]]:
    """The one error format: JSON {"error": str, "details": [{field, message}]}."""
    text = response.get_data(as_text=True)
    assert response.status_code == status, text
    assert response.mimetype == "application/json", text
    assert "Traceback" not in text
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["details"], list)
    for entry in body["details"]:
        assert isinstance(entry["field"], str) and entry["field"]
        assert isinstance(entry["message"], str) and entry["message"]
    if field is not None:
        fields = [entry["field"] for entry in body["details"]]
        assert any(f == field or f.startswith(f"{field}.") for f in fields), (field, body)
    details: list[dict[str, str]] = body["details"]
    return details


@pytest.fixture
def pay(gateway: Gateway, client: FlaskClient, clock: Clock) -> Callable[[str], dict[str, Any]]:
    """Credit the sandbox wallet with one checkout's exact amount, then run one due tick."""

    def _pay(order_id: str) -> dict[str, Any]:
        response = client.post("/api/sandbox/credit", json={"orderId": order_id})
        assert response.status_code == 200, response.get_data(as_text=True)
        clock.advance(seconds=gateway.settings.poll_interval_seconds)
        report = gateway.ticker.tick()
        assert report.ran and report.reason == "ok", report
        body: dict[str, Any] = response.get_json()
        return body

    return _pay
