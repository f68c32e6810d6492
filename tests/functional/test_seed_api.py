"""The seed README's walk-through, endpoint by endpoint, with the seed's exact fields."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout import create_app
from checkout.config import Settings
from checkout.domain.matching import SIDON_SUFFIXES
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import links
from checkout.storage.links import LinkStore
from checkout.storage.models import AuditLog, Order, PaymentSession
from tests.conftest import AUTH, SHOP_ORIGIN, Clock
from tests.functional.conftest import (
    NONCE_RE,
    assert_error,
    audit_actions,
    create,
    create_ok,
    get_nonce,
    seed_body,
)

Pay = Callable[[str], dict[str, Any]]


def _iso_utc(text: str) -> datetime:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# -- the curl walk-through ----------------------------------------------------------------


def test_health_answers_ok_with_an_iso_timestamp(client: FlaskClient, clock: Clock) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert _iso_utc(body["timestamp"]) == clock.current
    assert body["checks"]["store"]["status"] == "ok"
    assert body["checks"]["provider"]["status"] == "ok"


def test_nonce_is_64_lowercase_hex_and_fresh_each_time(client: FlaskClient) -> None:
    first = client.get("/api/nonce").get_json()["nonce"]
    second = client.get("/api/nonce").get_json()["nonce"]
    assert NONCE_RE.fullmatch(first) and NONCE_RE.fullmatch(second)
    assert first != second


def test_upi_qr_walkthrough(client: FlaskClient, settings: Settings) -> None:
    response = client.get("/api/upi-qr?amount=100&note=Test")
    assert response.status_code == 200
    body = response.get_json()
    assert body["upiString"] == (
        f"upi://pay?pa={settings.upi_id}&pn=UPI%20Checkout%20Demo&am=100.00&cu=INR&tn=Test"
    )
    assert body["qrCode"].startswith("data:image/png;base64,")
    assert body["upiId"] == settings.upi_id
    assert body["payeeName"] == settings.upi_payee_name


def test_upi_qr_note_is_optional_and_encoded(client: FlaskClient) -> None:
    bare = client.get("/api/upi-qr?amount=1018.5").get_json()
    assert bare["upiString"].endswith("&am=1018.50&cu=INR")
    spaced = client.get("/api/upi-qr", query_string={"amount": "5", "note": "a&b=c d"}).get_json()
    assert spaced["upiString"].endswith("&am=5.00&cu=INR&tn=a%26b%3Dc%20d")


# -- the vanilla-JS flow ------------------------------------------------------------------


def test_vanilla_js_flow_end_to_end(
    client: FlaskClient, gateway: Gateway, clock: Clock, pay: Pay
) -> None:
    nonce = get_nonce(client)
    response = client.post("/api/create-payment-session", json=seed_body(nonce))
    assert response.status_code == 200, response.get_data(as_text=True)
    raw = response.get_data(as_text=True)
    assert re.search(r'"amount": ?1018[,}]', raw), raw
    session = response.get_json()
    assert session["success"] is True
    assert session["orderId"] == "ORD-12345"
    assert session["amount"] == 1018 and isinstance(session["amount"], int)
    url = urlsplit(session["url"])
    assert url.scheme in {"http", "https"} and url.netloc
    token = url.path.removeprefix("/pay/")
    assert url.path == f"/pay/{token}" and len(token) >= 20
    assert "ORD-12345" not in session["url"]
    assert client.get(url.path).status_code == 200

    qr = client.get(f"/api/upi-qr?amount={session['amount']}&note=Payment").get_json()
    assert "&am=1018.00&" in qr["upiString"]

    status = client.get("/api/payment-status/ORD-12345")
    assert status.status_code == 200 and status.get_json() == {"status": "pending"}

    pay("ORD-12345")
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "completed"}

    order = client.get("/api/order/ORD-12345", headers=AUTH)
    assert order.status_code == 200
    body = order.get_json()
    assert body["success"] is True
    assert body["order"]["orderId"] == "ORD-12345"
    assert body["order"]["status"] == "confirmed"
    assert body["order"]["paymentMethod"] == "UPI"
    assert body["order"]["totalAmount"] == 1018
    assert re.search(r'"totalAmount": ?1018[,}]', order.get_data(as_text=True))
    assert body["order"]["productDetails"] == {"name": "Product", "quantity": 1}
    assert body["order"]["deliveryDetails"] == {"name": "John", "address": "123 St"}
    assert _iso_utc(body["order"]["createdAt"]) == clock.current

    stored = PaymentSession.objects.get(orderId="ORD-12345")
    assert stored.finalBalancePaise == 101800
    assert stored.initialBalancePaise == 0
    assert Order.objects(orderId="ORD-12345").count() == 1
    assert audit_actions("ORD-12345") == ["session_created", "payment_completed"]


def test_order_id_is_optional_and_generated(client: FlaskClient) -> None:
    body = seed_body(get_nonce(client))
    del body["orderId"]
    session = client.post("/api/create-payment-session", json=body).get_json()
    assert re.fullmatch(r"ORD-[0-9A-F]{16}", session["orderId"])
    status = client.get(f"/api/payment-status/{session['orderId']}").get_json()
    assert status == {"status": "pending"}


def test_tokens_differ_between_sessions(client: FlaskClient) -> None:
    first = create_ok(client, orderId="ORD-A")["url"]
    second = create_ok(client, orderId="ORD-B")["url"]
    assert first != second


def test_session_expires_after_session_expiry_minutes(
    client: FlaskClient, settings: Settings, clock: Clock
) -> None:
    create_ok(client)
    clock.advance(minutes=settings.session_expiry_minutes, seconds=-1)
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}
    clock.advance(seconds=1)
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "expired"}


# -- payment-done -------------------------------------------------------------------------


@pytest.fixture
def quick_app(settings: Settings) -> Iterator[Flask]:
    """poll_interval_seconds=1, so an early tick is due one (fake) second after the last one."""
    application = create_app(settings.with_overrides(poll_interval_seconds=1))
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


def test_payment_done_completed_then_already_completed(quick_app: Flask, clock: Clock) -> None:
    client = quick_app.test_client()
    create_ok(client)
    assert client.post("/api/sandbox/credit", json={"orderId": "ORD-12345"}).status_code == 200
    clock.advance(seconds=1)

    done = client.post("/api/payment-done", json={"orderId": "ORD-12345"})
    assert done.status_code == 200
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["diff"] == 1018 and done.get_json()["expected"] == 1018
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "completed"}

    again = client.post("/api/payment-done", json={"orderId": "ORD-12345"})
    assert again.status_code == 200
    assert again.get_json()["status"] == "already-completed"
    assert again.get_json()["expected"] == 1018
    assert Order.objects(orderId="ORD-12345").count() == 1


def test_payment_done_without_payment_is_not_matched(quick_app: Flask, clock: Clock) -> None:
    client = quick_app.test_client()
    create_ok(client)
    clock.advance(seconds=1)
    done = client.post("/api/payment-done", json={"orderId": "ORD-12345"})
    assert done.status_code == 200
    body = done.get_json()
    assert body["status"] == "not-matched"
    assert body["diff"] == 0
    assert body["expected"] == 1018
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}


def test_payment_done_diff_is_only_what_this_checkout_was_credited(
    quick_app: Flask, clock: Clock
) -> None:
    """The seed's diff was the wallet's whole change since opening: other customers'
    payments. Here it is what reached this checkout: 0 until it is paid."""
    client = quick_app.test_client()
    create_ok(client)
    create_ok(client, orderId="ORD-OTHER", basePrice=700, tax=0)
    assert client.post("/api/sandbox/credit", json={"amount": "500"}).status_code == 200
    clock.advance(seconds=1)
    assert quick_app.extensions[EXTENSION_KEY].ticker.tick().unattributed
    assert client.post("/api/sandbox/credit", json={"orderId": "ORD-OTHER"}).status_code == 200
    clock.advance(seconds=1)
    body = client.post("/api/payment-done", json={"orderId": "ORD-12345"}).get_json()
    assert body["status"] == "not-matched"
    assert body["diff"] == 0
    assert body["expected"] == 1018
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}
    assert client.get("/api/payment-status/ORD-OTHER").get_json() == {"status": "completed"}


def test_payment_done_is_audited_with_the_caller_ip(quick_app: Flask, clock: Clock) -> None:
    client = quick_app.test_client()
    create_ok(client)
    clock.advance(seconds=1)
    client.post("/api/payment-done", json={"orderId": "ORD-12345"})
    entry = AuditLog.objects.get(orderId="ORD-12345", action="payment_done")
    assert entry.ip == "127.0.0.1"
    assert entry.timestamp == clock.current
    assert entry.details == {"result": "not-matched"}


# -- payment-cancel -----------------------------------------------------------------------


def test_cancel_then_status_is_cancelled(client: FlaskClient) -> None:
    create_ok(client)
    cancelled = client.post("/api/payment-cancel", json={"orderId": "ORD-12345"})
    assert cancelled.status_code == 200
    assert cancelled.get_json() == {"status": "cancelled"}
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "cancelled"}
    again = client.post("/api/payment-cancel", json={"orderId": "ORD-12345"})
    assert again.status_code == 200 and again.get_json() == {"status": "cancelled"}


def test_cancel_after_completion_is_409_and_changes_nothing(client: FlaskClient, pay: Pay) -> None:
    create_ok(client)
    pay("ORD-12345")
    refused = client.post("/api/payment-cancel", json={"orderId": "ORD-12345"})
    assert_error(refused, 409)
    assert refused.get_json().get("status") == "completed"
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "completed"}
    assert Order.objects(orderId="ORD-12345").count() == 1
    assert "session_cancelled" not in audit_actions("ORD-12345")


# -- who may act on a checkout by its orderId ---------------------------------------------


def _open_v1(client: FlaskClient, order_id: str) -> None:
    opened = client.post(
        "/api/v1/checkout-sessions", json={"orderId": order_id, "amount": "250"}, headers=AUTH
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)


def _open_link(gateway: Gateway, clock: Clock) -> str:
    link = links.create_link(LinkStore(), title="Tea", amount_paise=3000, slug="tea", now=clock())
    session = links.open_link_checkout(
        gateway.store,
        gateway.links,
        gateway.provider,
        gateway.settings,
        link,
        name="Asha",
        email="asha@example.com",
        note=None,
        chosen_paise=None,
        now=clock(),
        ip="127.0.0.1",
    )
    return session.orderId


SEED_CALLS = [
    ("status", lambda c, oid, h: c.get(f"/api/payment-status/{oid}", headers=h)),
    ("done", lambda c, oid, h: c.post("/api/payment-done", json={"orderId": oid}, headers=h)),
    ("cancel", lambda c, oid, h: c.post("/api/payment-cancel", json={"orderId": oid}, headers=h)),
]


@pytest.mark.parametrize("source", ["v1", "link"])
@pytest.mark.parametrize(("name", "call"), SEED_CALLS, ids=[name for name, _ in SEED_CALLS])
@pytest.mark.parametrize("origin", [None, SHOP_ORIGIN])
def test_without_a_key_a_checkout_not_opened_by_the_seed_flow_looks_unknown(
    client: FlaskClient,
    gateway: Gateway,
    clock: Clock,
    source: str,
    name: str,
    call: Callable[..., Any],
    origin: str | None,
) -> None:
    """The attack: POST /api/payment-cancel {"orderId": "1001"} cancelled a merchant's
    checkout. An Origin header proves nothing, so an allowed one changes nothing either."""
    if source == "v1":
        order_id = "1001"
        _open_v1(client, order_id)
    else:
        order_id = _open_link(gateway, clock)
    headers = {"Origin": origin} if origin else {}
    unknown = call(client, "NO-SUCH-ORDER", headers)
    hidden = call(client, order_id, headers)
    assert_error(hidden, 404, "orderId")
    assert hidden.get_data() == unknown.get_data()
    assert hidden.status_code == unknown.status_code == 404
    assert PaymentSession.objects.get(orderId=order_id).status == "pending"
    assert audit_actions(order_id) == ["session_created"]


@pytest.mark.parametrize("source", ["v1", "link"])
def test_with_a_merchant_key_the_seed_endpoints_act_on_any_checkout(
    client: FlaskClient, gateway: Gateway, clock: Clock, source: str
) -> None:
    if source == "v1":
        order_id = "1001"
        _open_v1(client, order_id)
    else:
        order_id = _open_link(gateway, clock)
    status = client.get(f"/api/payment-status/{order_id}", headers=AUTH)
    assert status.status_code == 200 and status.get_json() == {"status": "pending"}
    done = client.post("/api/payment-done", json={"orderId": order_id}, headers=AUTH)
    assert done.status_code == 200 and done.get_json()["status"] == "not-matched"
    assert done.get_json()["diff"] == 0
    cancelled = client.post("/api/payment-cancel", json={"orderId": order_id}, headers=AUTH)
    assert cancelled.status_code == 200 and cancelled.get_json() == {"status": "cancelled"}
    assert PaymentSession.objects.get(orderId=order_id).status == "cancelled"


def test_a_wrong_key_is_refused_rather_than_treated_as_none(client: FlaskClient) -> None:
    create_ok(client)
    wrong = {"Authorization": "Bearer not-a-key"}
    assert_error(client.get("/api/payment-status/ORD-12345", headers=wrong), 401)
    refused = client.post("/api/payment-cancel", json={"orderId": "ORD-12345"}, headers=wrong)
    assert_error(refused, 401)
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}


def test_seed_flow_checkouts_keep_the_seed_behaviour_without_a_key(
    client: FlaskClient, clock: Clock
) -> None:
    create_ok(client)
    headers = {"Origin": SHOP_ORIGIN}
    status = client.get("/api/payment-status/ORD-12345", headers=headers)
    assert status.status_code == 200 and status.get_json() == {"status": "pending"}
    cancelled = client.post("/api/payment-cancel", json={"orderId": "ORD-12345"})
    assert cancelled.status_code == 200 and cancelled.get_json() == {"status": "cancelled"}


# -- amounts -----------------------------------------------------------------------------


def test_second_session_with_the_same_price_gets_a_paise_suffix(client: FlaskClient) -> None:
    first = create(client, orderId="ORD-1")
    second = create(client, orderId="ORD-2")
    assert first.get_json()["amount"] == 1018
    # The next suffix on the ruler that keeps pair sums apart (see domain.matching).
    paise = f"{SIDON_SUFFIXES[1]:02d}"
    assert re.search(rf'"amount": ?1018\.{paise.rstrip("0")}[,}}]', second.get_data(as_text=True))
    assert f"&am=1018.{paise}&" in second.get_json()["upiString"]


def test_amount_suffix_always_never_uses_whole_rupees(settings: Settings) -> None:
    application = create_app(settings.with_overrides(amount_suffix="always"))
    client = application.test_client()
    amounts = [create_ok(client, orderId=f"ORD-{i}")["amount"] for i in range(3)]
    assert all(1018 < amount < 1019 for amount in amounts), amounts
    assert len(set(amounts)) == 3


@pytest.mark.parametrize(
    ("base_price", "tax", "amount_text"),
    [
        ("1018.5", 0, "1018.5"),
        ("1018.50", "0", "1018.5"),
        (1018.5, 0, "1018.5"),
        ("1000", "18.25", "1018.25"),
        (0.1, 0.2, "0.3"),
        ("100000", 0, "100000"),
    ],
)
def test_decimal_amounts_come_back_as_exact_json_numbers(
    client: FlaskClient, base_price: Any, tax: Any, amount_text: str
) -> None:
    response = create(client, basePrice=base_price, tax=tax)
    assert response.status_code == 200, response.get_data(as_text=True)
    raw = response.get_data(as_text=True)
    assert re.search(rf'"amount": ?{re.escape(amount_text)}[,}}]', raw), raw


def test_coupon_code_is_recorded_and_changes_nothing(client: FlaskClient) -> None:
    session = create_ok(client, couponCode="SAVE10")
    assert session["amount"] == 1018
    assert PaymentSession.objects.get(orderId="ORD-12345").couponCode == "SAVE10"


def test_sandbox_credit_is_404_outside_the_sandbox(settings: Settings, httpserver: Any) -> None:
    httpserver.expect_request("/balance").respond_with_json(
        {"success": True, "data": {"balance": "0"}}
    )
    application = create_app(
        settings.with_overrides(
            payment_provider="mobikwik",
            mobikwik_auth="tok",
            mobikwik_api_url=httpserver.url_for("/balance"),
        )
    )
    response = application.test_client().post("/api/sandbox/credit", json={"amount": "10"})
    assert_error(response, 404)
