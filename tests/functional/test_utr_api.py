"""The customer's UTR over HTTP: the pay page's form (htmx and no-JS, behind the
checkout-bound CSRF token), the merchant API, and the seed's payment-done."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from checkout.storage.claims import UtrClaim
from checkout.storage.models import Order, PaymentSession
from tests.conftest import AUTH, Clock
from tests.functional.conftest import assert_error
from tests.functional.test_evidence_api import HDFC, credit_sms
from tests.functional.test_merchant_api import open_checkout

RRN = "633698765432"
HTMX = {"HX-Request": "true"}
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def bank_sms(client: FlaskClient, clock: Clock, rupees: str, rrn: str = RRN) -> dict[str, Any]:
    body = {"from": HDFC, "text": credit_sms(rupees, rrn), "receivedAt": clock().isoformat()}
    answer = client.post("/api/v1/evidence/sms", json=body, headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    got: dict[str, Any] = answer.get_json()
    return got


def token_of(session: dict[str, Any]) -> str:
    return str(session["url"]).rsplit("/pay/", 1)[1]


def page_csrf(client: FlaskClient, token: str) -> str:
    found = CSRF.search(client.get(f"/pay/{token}").get_data(as_text=True))
    assert found
    return found.group(1)


# -- the merchant API -------------------------------------------------------------------


def test_the_api_claim_waits_then_the_sms_completes_the_checkout(
    client: FlaskClient, clock: Clock
) -> None:
    session = open_checkout(client, orderId="ORD-UTR-API", amount="499")
    path = f"/api/v1/checkout-sessions/{session['id']}/utr"
    clock.advance(seconds=10)
    answer = client.post(path, json={"utr": RRN}, headers=AUTH)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"status": "pending", "utrStatus": "waiting"}
    assert bank_sms(client, clock, "499.00")["orderIds"] == ["ORD-UTR-API"]
    again = client.post(path, json={"utr": RRN}, headers=AUTH)
    assert again.get_json() == {"status": "completed", "utrStatus": "matched"}
    assert Order.objects.get(orderId="ORD-UTR-API").amountPaidPaise == 49900


def test_the_api_refuses_a_utr_that_is_not_twelve_digits(client: FlaskClient) -> None:
    session = open_checkout(client, orderId="ORD-UTR-BAD")
    path = f"/api/v1/checkout-sessions/{session['id']}/utr"
    for body in ({"utr": "12345"}, {"utr": "63369876543x"}, {"utr": 633698765432}, {}):
        answer = client.post(path, json=body, headers=AUTH)
        assert_error(answer, 400, field="utr")
    assert client.post(path, json={"utr": RRN}).status_code == 401  # the merchant's key only
    assert UtrClaim.objects.count() == 0


def test_a_mismatch_is_listed_for_review_naming_both_checkouts(
    client: FlaskClient, clock: Clock
) -> None:
    wanted = open_checkout(client, orderId="ORD-WANTED", amount="499")
    open_checkout(client, orderId="ORD-PAID", amount="123.45")
    clock.advance(seconds=10)
    bank_sms(client, clock, "123.45")  # the other checkout's exact amount: it completes that one
    answer = client.post(
        f"/api/v1/checkout-sessions/{wanted['id']}/utr", json={"utr": RRN}, headers=AUTH
    )
    assert answer.get_json() == {"status": "pending", "utrStatus": "mismatch"}
    listed = client.get("/api/v1/utr-claims?status=mismatch", headers=AUTH)
    assert listed.status_code == 200, listed.get_data(as_text=True)
    (claim,) = listed.get_json()["data"]
    assert (claim["orderId"], claim["utr"], claim["reason"], claim["otherOrderIds"]) == (
        "ORD-WANTED",
        RRN,
        "attributed-elsewhere",
        ["ORD-PAID"],
    )
    assert claim["creditId"].startswith("cr_")
    assert client.get("/api/v1/utr-claims?status=bogus", headers=AUTH).status_code == 400


def test_claims_are_rate_limited_per_checkout(client: FlaskClient) -> None:
    session = open_checkout(client, orderId="ORD-UTR-FLOOD")
    path = f"/api/v1/checkout-sessions/{session['id']}/utr"
    statuses = [
        client.post(path, json={"utr": f"6336000000{n:02d}"}, headers=AUTH).status_code
        for n in range(6)
    ]
    assert statuses == [200, 200, 200, 409, 409, 429]
    other = open_checkout(client, orderId="ORD-UTR-CALM")
    calm = client.post(
        f"/api/v1/checkout-sessions/{other['id']}/utr", json={"utr": RRN}, headers=AUTH
    )
    assert calm.status_code == 200  # another checkout has its own count


# -- the seed's payment-done ------------------------------------------------------------


def test_payment_done_with_a_utr_adds_utr_status(client: FlaskClient, clock: Clock) -> None:
    open_checkout(client, orderId="ORD-SEED-UTR", amount="250")
    clock.advance(seconds=10)
    bank_sms(client, clock, "250.00", "633611110000")  # completes it by its exact amount
    open_checkout(client, orderId="ORD-SEED-2", amount="250")
    plain = client.post("/api/payment-done", json={"orderId": "ORD-SEED-2"}, headers=AUTH)
    assert "utrStatus" not in plain.get_json()
    claimed = client.post(
        "/api/payment-done", json={"orderId": "ORD-SEED-2", "utr": "633611110000"}, headers=AUTH
    )
    assert claimed.status_code == 200, claimed.get_data(as_text=True)
    body = claimed.get_json()
    assert (body["status"], body["sessionStatus"], body["utrStatus"]) == (
        "not-matched",
        "pending",
        "mismatch",
    )
    done = client.post(
        "/api/payment-done", json={"orderId": "ORD-SEED-UTR", "utr": "633611110000"}, headers=AUTH
    )
    assert (done.get_json()["status"], done.get_json()["utrStatus"]) == (
        "already-completed",
        "matched",
    )
    bad = client.post("/api/payment-done", json={"orderId": "ORD-SEED-2", "utr": "1"}, headers=AUTH)
    assert_error(bad, 400, field="utr")


# -- the pay page -----------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_the_pay_page_form_claims_with_and_without_js(
    client: FlaskClient, clock: Clock, htmx: bool
) -> None:
    session = open_checkout(client, orderId="ORD-UTR-PAGE", amount="499")
    token = token_of(session)
    csrf = page_csrf(client, token)
    assert "UPI reference (UTR), 12 digits" not in client.get(f"/pay/{token}").get_data(True)
    headers = HTMX if htmx else {}

    wrong = client.post(
        f"/pay/{token}/utr", data={"csrf_token": csrf, "utr": "1234"}, headers=headers
    )
    if not htmx:
        assert wrong.status_code == 303
        wrong = client.get(wrong.headers["Location"])
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 200
    assert '<label for="utr">UPI reference (UTR), 12 digits</label>' in text
    assert "Enter the 12-digit UPI reference (UTR)" in text and 'aria-invalid="true"' in text

    clock.advance(seconds=10)
    waiting = client.post(
        f"/pay/{token}/utr", data={"csrf_token": csrf, "utr": RRN}, headers=headers
    )
    if not htmx:
        assert (waiting.status_code, waiting.headers["Location"].endswith("utr=waiting")) == (
            303,
            True,
        )
        waiting = client.get(waiting.headers["Location"])
    assert "We have not seen that payment from your bank yet" in waiting.get_data(as_text=True)
    assert PaymentSession.objects.get(orderId="ORD-UTR-PAGE").status == "pending"

    bank_sms(client, clock, "499.00")
    assert PaymentSession.objects.get(orderId="ORD-UTR-PAGE").status == "completed"


def test_the_pay_page_form_needs_the_checkouts_csrf_token(client: FlaskClient) -> None:
    first = token_of(open_checkout(client, orderId="ORD-UTR-ONE"))
    second = token_of(open_checkout(client, orderId="ORD-UTR-TWO"))
    for data in ({"utr": RRN}, {"utr": RRN, "csrf_token": page_csrf(client, second)}):
        answer = client.post(f"/pay/{first}/utr", data=data)
        assert answer.status_code == 400
    assert UtrClaim.objects.count() == 0


def test_the_field_shows_after_ive_paid(client: FlaskClient) -> None:
    token = token_of(open_checkout(client, orderId="ORD-UTR-SHOW"))
    pressed = client.post(
        f"/pay/{token}/paid", data={"csrf_token": page_csrf(client, token)}, headers=HTMX
    )
    assert pressed.status_code == 200
    assert '<label for="utr">UPI reference (UTR), 12 digits</label>' in pressed.get_data(True)
