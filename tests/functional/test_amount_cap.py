"""Amounts never go above MAX_AMOUNT, and a full price range says when to come back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY
from checkout.storage.models import PaymentSession
from tests.conftest import AUTH

V1 = "/api/v1/checkout-sessions"


@pytest.fixture
def capped(settings: Settings) -> Iterator[FlaskClient]:
    app: Flask = create_app(settings.with_overrides(max_amount_paise=100_000_00))
    app.config["TESTING"] = True
    yield app.test_client()
    app.extensions[EXTENSION_KEY].stop_background()


def open_checkout(client: FlaskClient, order_id: str, amount: str) -> tuple[int, dict[str, object]]:
    answer = client.post(V1, json={"orderId": order_id, "amount": amount}, headers=AUTH)
    return answer.status_code, answer.get_json()


def test_a_second_checkout_at_the_cap_is_refused_not_issued_above_it(capped: FlaskClient) -> None:
    """Issue 7: a second ₹1,00,000 checkout was issued as ₹1,00,000.01."""
    status, first = open_checkout(capped, "CAP-1", "100000")
    assert status == 201 and first["amount"] == 100000

    answer = capped.post(V1, json={"orderId": "CAP-2", "amount": "100000"}, headers=AUTH)
    assert answer.status_code == 503
    body = answer.get_json()
    assert "Try again in about" in body["error"] and "minutes" in body["error"]
    assert int(answer.headers["Retry-After"]) > 60
    assert PaymentSession.objects(orderId="CAP-2").count() == 0

    # Just under the cap, suffixes stop at the cap itself.
    status, near = open_checkout(capped, "CAP-3", "99999.50")
    assert status == 201 and near["amount"] <= 100000
