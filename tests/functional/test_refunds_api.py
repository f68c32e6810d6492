"""The refunds API: partial then full, never above what was paid, racing clicks included."""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from checkout.gateway import Gateway
from checkout.services import outbox
from checkout.storage.models import AuditLog, PaymentSession
from tests.conftest import AUTH, Clock
from tests.functional.conftest import assert_error

V1 = "/api/v1/checkout-sessions"


def _paid(client: FlaskClient, pay: Callable[[str], Any], order_id: str, amount: str) -> str:
    answer = client.post(V1, json={"orderId": order_id, "amount": amount}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    pay(order_id)
    session_id: str = answer.get_json()["id"]
    assert client.get(f"{V1}/{session_id}", headers=AUTH).get_json()["status"] == "completed"
    return session_id


def test_partial_then_full_then_above_paid(
    client: FlaskClient, pay: Callable[[str], Any], gateway: Gateway, clock: Clock
) -> None:
    sid = _paid(client, pay, "ORD-RF1", "499")
    first = client.post(
        f"{V1}/{sid}/refunds", json={"amount": "100.50", "utr": "123456789012"}, headers=AUTH
    )
    assert first.status_code == 201, first.get_data(as_text=True)
    body = first.get_json()
    assert body["refund"]["id"].startswith("rf_") and body["refund"]["by"] == "api"
    assert body["refund"]["amount"] == Decimal("100.5") and body["refund"]["utr"] == "123456789012"
    assert body["refundedAmount"] == Decimal("100.5") and body["notice"] is None

    rest = client.post(f"{V1}/{sid}/refunds", json={"amount": 398.5, "note": "all"}, headers=AUTH)
    assert rest.status_code == 201, rest.get_data(as_text=True)
    assert rest.get_json()["refundedAmount"] == 499

    assert_error(
        client.post(f"{V1}/{sid}/refunds", json={"amount": 1}, headers=AUTH), 409, "amount"
    )
    shown = client.get(f"{V1}/{sid}", headers=AUTH).get_json()
    assert shown["refundedAmount"] == 499 and len(shown["refunds"]) == 2
    listed = client.get(f"{V1}/{sid}/refunds", headers=AUTH).get_json()
    assert [r["amount"] for r in listed["data"]] == [Decimal("100.5"), Decimal("398.5")]
    assert listed["refundable"] == 0
    assert AuditLog.objects(orderId="ORD-RF1", action="checkout_refunded").count() == 2

    # Each refund owes its own event; queueing it twice adds nothing.
    created = client.post(
        "/api/v1/webhook-endpoints", json={"url": "https://93.184.215.14/hook"}, headers=AUTH
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    now = clock()
    outbox.publish_owed_events(gateway.store, gateway.merchant, now=now)
    outbox.publish_owed_events(gateway.store, gateway.merchant, now=now)
    deliveries = client.get("/api/v1/webhook-deliveries", headers=AUTH).get_json()["data"]
    refunded = [d for d in deliveries if d["type"] == "checkout.refunded"]
    assert len(refunded) == 2 and len({d["eventId"] for d in refunded}) == 2
    assert "checkout.refunded" not in PaymentSession.objects.get(orderId="ORD-RF1").pendingEvents


def test_not_completed_is_409_and_bad_input_400(client: FlaskClient) -> None:
    answer = client.post(V1, json={"orderId": "ORD-RF2", "amount": "50"}, headers=AUTH)
    sid = answer.get_json()["id"]
    assert_error(client.post(f"{V1}/{sid}/refunds", json={"amount": 10}, headers=AUTH), 409, "id")
    for bad in ("abc", -5, 0, "1.234", True, None):
        response = client.post(f"{V1}/{sid}/refunds", json={"amount": bad}, headers=AUTH)
        assert_error(response, 400, "amount")
    response = client.post(f"{V1}/{sid}/refunds", json={"amount": 1, "utr": "12"}, headers=AUTH)
    assert_error(response, 400, "utr")
    assert_error(client.post(f"{V1}/cs_{'0' * 24}/refunds", json={"amount": 1}, headers=AUTH), 404)
    assert client.post(f"{V1}/{sid}/refunds", json={"amount": 1}).status_code == 401


def test_racing_refunds_never_exceed_paid(
    app: Flask, client: FlaskClient, pay: Callable[[str], Any]
) -> None:
    sid = _paid(client, pay, "ORD-RF3", "100")
    statuses: list[int] = []
    start = threading.Barrier(8)

    def refund() -> None:
        own = app.test_client()
        start.wait()
        response = own.post(f"{V1}/{sid}/refunds", json={"amount": "30"}, headers=AUTH)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=refund) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] * 3 + [409] * 5
    stored = PaymentSession.objects.get(orderId="ORD-RF3")
    assert stored.refundedAmountPaise == 9000 and len(stored.refunds) == 3
    assert stored.pendingEvents.count("checkout.refunded") == 3


def test_routes_are_documented(client: FlaskClient) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    refunds = paths["/api/v1/checkout-sessions/{id}/refunds"]
    assert set(refunds) >= {"get", "post"} and "201" in refunds["post"]["responses"]
