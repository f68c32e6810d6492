"""The credits API: list what the gateway saw, assign or dismiss what it could not match."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from checkout.gateway import Gateway
from checkout.storage.models import Order, PaymentSession
from tests.conftest import AUTH, Clock

V1 = "/api/v1/checkout-sessions"


def _open(client: FlaskClient, order_id: str, amount: str) -> dict[str, Any]:
    answer = client.post(V1, json={"orderId": order_id, "amount": amount}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body: dict[str, Any] = answer.get_json()
    return body


def _stray(gateway: Gateway, client: FlaskClient, clock: Clock, amount: str) -> dict[str, Any]:
    """Money that pays nothing: a sandbox credit of an amount no checkout has."""
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    gateway.ticker.tick()
    answer = client.post("/api/sandbox/credit", json={"amount": amount})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    gateway.ticker.tick()
    listed = client.get("/api/v1/credits?state=unattributed", headers=AUTH).get_json()
    (credit,) = [c for c in listed["data"] if str(c["amount"]) == amount]
    return credit


def test_a_stray_credit_is_listed_then_assigned_once(
    gateway: Gateway, client: FlaskClient, clock: Clock
) -> None:
    session = _open(client, "ORD-ASSIGN", "499")
    credit = _stray(gateway, client, clock, "7.77")
    assert credit["id"].startswith("cr_") and credit["source"] == "sandbox"
    assert (credit["state"], credit["outcome"], credit["orderIds"]) == (
        "unattributed",
        "no-match",
        [],
    )

    assigned = client.post(
        f"/api/v1/credits/{credit['id']}/assign", json={"orderId": "ORD-ASSIGN"}, headers=AUTH
    )
    assert assigned.status_code == 200, assigned.get_data(as_text=True)
    body = assigned.get_json()
    assert (body["state"], body["outcome"], body["orderIds"]) == (
        "attributed",
        "assigned",
        ["ORD-ASSIGN"],
    )
    assert PaymentSession.objects.get(orderId="ORD-ASSIGN").status == "completed"
    assert Order.objects(orderId="ORD-ASSIGN").count() == 1
    assert client.get(f"{V1}/{session['id']}", headers=AUTH).get_json()["status"] == "completed"

    again = client.post(
        f"/api/v1/credits/{credit['id']}/assign", json={"orderId": "ORD-ASSIGN"}, headers=AUTH
    )
    assert again.status_code == 409
    assert Order.objects(orderId="ORD-ASSIGN").count() == 1


def test_a_credit_is_dismissed_once_with_a_reason(
    gateway: Gateway, client: FlaskClient, clock: Clock
) -> None:
    _open(client, "ORD-KEEP", "499")
    credit = _stray(gateway, client, clock, "3.33")
    path = f"/api/v1/credits/{credit['id']}/dismiss"
    refused = client.post(path, json={"reason": ""}, headers=AUTH)
    assert refused.status_code == 400
    answer = client.post(path, json={"reason": "a transfer from my own account"}, headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["state"] == "dismissed"
    assert client.post(path, json={"reason": "again"}, headers=AUTH).status_code == 409
    listed = client.get("/api/v1/credits?state=dismissed", headers=AUTH).get_json()
    assert [c["id"] for c in listed["data"]] == [credit["id"]]
    # Dismissed money cannot be assigned afterwards.
    assign = client.post(
        f"/api/v1/credits/{credit['id']}/assign", json={"orderId": "ORD-KEEP"}, headers=AUTH
    )
    assert assign.status_code == 409


def test_the_credits_api_needs_a_key_and_refuses_unknown_ids(client: FlaskClient) -> None:
    assert client.get("/api/v1/credits").status_code == 401
    assert client.get("/api/v1/credits?state=bogus", headers=AUTH).status_code == 400
    unknown = "cr_" + "0" * 24
    answer = client.post(f"/api/v1/credits/{unknown}/dismiss", json={"reason": "x"}, headers=AUTH)
    assert answer.status_code == 404
    assert client.post(
        "/api/v1/credits/nope/dismiss", json={"reason": "x"}, headers=AUTH
    ).status_code in (
        400,
        404,
    )
