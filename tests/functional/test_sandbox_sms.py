"""The sandbox's "Simulate bank SMS": HDFC's credit SMS for the exact amount, through the
relay path (the evidence service), completing the checkout as a real phone's would."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import AUTH
from tests.functional.conftest import assert_error, create_ok
from tests.functional.test_no_wallet import no_wallet_app
from tests.functional.test_security import _csrf_token

__all__ = ["no_wallet_app"]  # the fixture: a gateway with no sandbox wallet

HTMX = {"HX-Request": "true"}
ORDER = "ORD-12345"  # the seed body's


def only_credit(client: FlaskClient) -> dict[str, object]:
    (credit,) = client.get("/api/v1/credits", headers=AUTH).get_json()["data"]
    assert isinstance(credit, dict)
    return credit


def test_the_button_completes_the_checkout_from_a_credited_sms(client: FlaskClient) -> None:
    page = urlsplit(create_ok(client)["url"]).path
    html = client.get(page).get_data(as_text=True)
    assert "Simulate bank SMS" in html
    answer = client.post(
        f"{page}/simulate-sms", data={"csrf_token": _csrf_token(html)}, headers=HTMX
    )
    assert answer.status_code in (200, 286), answer.get_data(as_text=True)
    assert "Payment received" in answer.get_data(as_text=True)
    assert client.get(f"/api/payment-status/{ORDER}").get_json() == {"status": "completed"}
    credit = only_credit(client)
    assert (credit["source"], credit["bank"], credit["orderIds"]) == ("sms", "HDFC", [ORDER])
    assert re.fullmatch(r"[1-9]\d{11}", str(credit["rrn"]))


def test_the_button_needs_the_checkouts_csrf_token(client: FlaskClient) -> None:
    page = urlsplit(create_ok(client)["url"]).path
    answer = client.post(f"{page}/simulate-sms", data={"csrf_token": "forged"}, headers=HTMX)
    assert answer.status_code == 400
    assert client.get(f"/api/payment-status/{ORDER}").get_json() == {"status": "pending"}


def test_the_api_answers_as_the_sms_endpoint_does(client: FlaskClient) -> None:
    created = create_ok(client)
    answer = client.post("/api/sandbox/sms", json={"orderId": ORDER})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert (body["outcome"], body["bank"], body["orderIds"]) == ("credited", "HDFC", [ORDER])
    assert str(body["amount"]) == str(created["amount"])
    assert body["id"] == only_credit(client)["id"]
    assert client.get(f"/api/payment-status/{ORDER}").get_json() == {"status": "completed"}
    assert_error(client.post("/api/sandbox/sms", json={"orderId": ORDER}), 409)


def test_an_unknown_order_is_404(client: FlaskClient) -> None:
    assert_error(client.post("/api/sandbox/sms", json={"orderId": "ORD-NONE"}), 404, "orderId")


def test_outside_the_sandbox_there_is_no_bank_sms(no_wallet_app: Flask) -> None:
    client = no_wallet_app.test_client()
    page = urlsplit(create_ok(client)["url"]).path
    html = client.get(page).get_data(as_text=True)
    assert "Simulate bank SMS" not in html
    assert_error(client.post("/api/sandbox/sms", json={"orderId": ORDER}), 404)
    answer = client.post(
        f"{page}/simulate-sms", data={"csrf_token": _csrf_token(html)}, headers=HTMX
    )
    assert answer.status_code == 404
    assert client.get(f"/api/payment-status/{ORDER}").get_json() == {"status": "pending"}
