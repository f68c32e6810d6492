"""The refunds API's `fromWallet`: a refund sent from the (balance-only) sandbox wallet is a
known debit, so the payment that lands beside it is read whole and completes its checkout."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask.testing import FlaskClient

from checkout.gateway import Gateway
from checkout.storage.known_debits import KnownDebit
from checkout.storage.models import PaymentSession
from tests.conftest import AUTH, Clock
from tests.functional.conftest import assert_error

V1 = "/api/v1/checkout-sessions"


def test_a_refund_from_the_wallet_is_added_back_by_the_next_reading(
    client: FlaskClient, pay: Callable[[str], Any], gateway: Gateway, clock: Clock
) -> None:
    paid = client.post(V1, json={"orderId": "ORD-KD1", "amount": "300"}, headers=AUTH)
    assert paid.status_code == 201
    pay("ORD-KD1")
    sid = paid.get_json()["id"]
    waiting = client.post(V1, json={"orderId": "ORD-KD2", "amount": "500"}, headers=AUTH)
    assert waiting.status_code == 201
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    gateway.ticker.tick()

    assert_error(
        client.post(
            f"{V1}/{sid}/refunds", json={"amount": 1, "fromWallet": "perhaps"}, headers=AUTH
        ),
        400,
        "fromWallet",
    )
    assert KnownDebit.objects.count() == 0
    # The merchant sends ₹200 back from the wallet and says so; the ₹500 lands meanwhile.
    gateway.store.sandbox_credit(-20_000, clock(), "refund sent by hand")
    answer = client.post(
        f"{V1}/{sid}/refunds", json={"amount": 200, "fromWallet": True}, headers=AUTH
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    gateway.store.sandbox_credit(50_000, clock(), "ORD-KD2's customer pays")
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    gateway.ticker.tick()

    assert PaymentSession.objects.get(orderId="ORD-KD2").status == "completed"
    (known,) = KnownDebit.objects
    assert (known.amountPaise, known.orderId, known.state) == (20_000, "ORD-KD1", "consumed")
