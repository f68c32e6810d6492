"""Console refunds and review queue: signed in, CSRF on every post, one decision per click."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.admin import access
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.storage.claims import ClaimStore, UtrClaim
from checkout.storage.known_debits import KnownDebit
from checkout.storage.models import AuditLog, PaymentSession, WalletCredit
from tests.conftest import AUTH, Clock
from tests.functional.console_login import csrf_app, sign_in, token

V1 = "/api/v1/checkout-sessions"


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    """The app with CSRF on, as in production, and the console registered."""
    yield from csrf_app(settings)


def _sign_in(client: FlaskClient, role: str = access.OWNER) -> str:
    """A real user, through the login form (a session naming no stored user signs nobody in)."""
    return sign_in(client, client.application.extensions[EXTENSION_KEY], role)


def _paid(client: FlaskClient, pay: Callable[[str], Any], order_id: str, amount: str) -> str:
    answer = client.post(V1, json={"orderId": order_id, "amount": amount}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    pay(order_id)
    session_id: str = answer.get_json()["id"]
    return session_id


def test_signed_out_is_redirected(client: FlaskClient) -> None:
    for path in ("/admin/credits", f"/admin/checkouts/cs_{'0' * 24}/refund"):
        response = client.get(path)
        assert response.status_code == 302 and "next=" in response.headers["Location"]


def test_signed_out_posts_decide_nothing(
    client: FlaskClient, pay: Callable[[str], Any], gateway: Gateway, clock: Clock
) -> None:
    """Without a token an action is refused (400); with the login page's token, a signed-out
    visitor is sent to sign in; either way nothing is decided."""
    sid = _paid(client, pay, "ORD-ADM5", "120")
    client.post(V1, json={"orderId": "ORD-ADM6", "amount": "120"}, headers=AUTH)
    credit_id = _stray(gateway, client, clock, "4.44")
    csrf = token(client.get("/admin/login").get_data(as_text=True))
    for path, data in (
        (f"/admin/checkouts/{sid}/refund", {"amount": "10"}),
        (f"/admin/credits/{credit_id}/assign", {"orderId": "ORD-ADM6"}),
        (f"/admin/credits/{credit_id}/dismiss", {"reason": "mine"}),
    ):
        assert client.post(path, data=data).status_code == 400, path
        response = client.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code in (302, 303), path
        assert "/admin/login" in response.headers["Location"], path
    assert PaymentSession.objects.get(orderId="ORD-ADM5").refundedAmountPaise is None
    assert PaymentSession.objects.get(orderId="ORD-ADM6").status == "pending"
    listed = client.get("/api/v1/credits?state=unattributed", headers=AUTH).get_json()
    assert credit_id in {c["id"] for c in listed["data"]}


def test_refund_page_partial_full_above_paid_and_csrf(
    client: FlaskClient, pay: Callable[[str], Any]
) -> None:
    sid = _paid(client, pay, "ORD-ADM1", "200")
    stored = PaymentSession.objects.get(orderId="ORD-ADM1")
    WalletCredit.objects(key=stored.creditKeys[0]).update_one(set__payer="asha@okaxis")
    owner = _sign_in(client)
    page = client.get(f"/admin/checkouts/{sid}/refund")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "left to refund ₹200" in html
    url = f"/admin/checkouts/{sid}/refund"

    refused = client.post(url, data={"amount": "50"})  # no CSRF token
    assert refused.status_code == 400
    assert PaymentSession.objects.get(orderId="ORD-ADM1").refundedAmountPaise is None

    csrf = token(html)
    # The sandbox wallet shows only its balance: the page asks where the refund was sent
    # from, and one sent from the watched wallet is left for its next reading to add back.
    assert "I sent it from the watched wallet" in html
    partial = client.post(
        url,
        data={"csrf_token": csrf, "amount": "50", "utr": "111122223333", "from_wallet": "y"},
    )
    assert partial.status_code == 302
    assert [(d.amountPaise, d.orderId) for d in KnownDebit.objects] == [(5000, "ORD-ADM1")]
    too_much = client.post(url, data={"csrf_token": csrf, "amount": "151"})
    assert too_much.status_code == 400 and "cannot exceed" in too_much.get_data(as_text=True)
    bad = client.post(url, data={"csrf_token": csrf, "amount": "abc"})
    assert bad.status_code == 400 and "Amount" in bad.get_data(as_text=True)
    full = client.post(url, data={"csrf_token": csrf, "amount": "150"})
    assert full.status_code == 302
    assert KnownDebit.objects.count() == 1  # the rest was sent from another account
    done = client.get(url).get_data(as_text=True)
    assert "Everything paid has been refunded" in done and "111122223333" in done
    audit = AuditLog.objects(orderId="ORD-ADM1", action="checkout_refunded")
    assert [a.details["by"] for a in audit] == [owner, owner]


def _stray(gateway: Gateway, client: FlaskClient, clock: Clock, amount: str) -> str:
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    gateway.ticker.tick()
    assert client.post("/api/sandbox/credit", json={"amount": amount}).status_code == 200
    clock.advance(seconds=gateway.settings.poll_interval_seconds)
    gateway.ticker.tick()
    listed = client.get("/api/v1/credits?state=unattributed", headers=AUTH).get_json()
    matching = [c for c in listed["data"] if str(c["amount"]) == amount]
    assert len(matching) == 1, listed
    (credit,) = matching
    credit_id: str = credit["id"]
    return credit_id


def test_assign_once_under_a_double_post_and_dismiss(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    opened = client.post(V1, json={"orderId": "ORD-ADM2", "amount": "499"}, headers=AUTH)
    assert opened.status_code == 201
    credit_id = _stray(gateway, client, clock, "7.77")
    # As if the payer had paid the requested amount from an app that dropped the suffix.
    WalletCredit.objects(id=credit_id.removeprefix("cr_")).update_one(set__amountPaise=49900)
    staff = _sign_in(client, access.STAFF)  # staff act on payments, not only owners
    refused = UtrClaim(orderId="ORD-ADM9", rrn="512377776666", status="waiting")
    refused.createdAt = refused.expiresAt = clock()
    ClaimStore().add_claim(refused, slots=1)
    assert ClaimStore().decide_claim(refused, "mismatch", reason="amount", amountPaise=12_345)
    queue = client.get("/admin/credits").get_data(as_text=True)
    assert credit_id in queue and "₹499" in queue
    assert "Balance rise" in queue  # the sandbox wallet shows only its balance
    # Refused UTR claims are shown beside the credits.
    assert "ORD-ADM9" in queue and "512377776666" in queue and "₹123.45" in queue
    choose = client.get(f"/admin/credits/{credit_id}/assign").get_data(as_text=True)
    assert "ORD-ADM2" in choose
    url = f"/admin/credits/{credit_id}/assign"
    assert client.post(url, data={"orderId": "ORD-ADM2"}).status_code == 400  # no CSRF token
    csrf = token(choose)
    first = client.post(url, data={"csrf_token": csrf, "orderId": "ORD-ADM2"})
    second = client.post(url, data={"csrf_token": csrf, "orderId": "ORD-ADM2"})
    assert (first.status_code, second.status_code) == (302, 409)
    assert PaymentSession.objects.get(orderId="ORD-ADM2").status == "completed"
    assigned = AuditLog.objects(action="credit_assigned")
    assert [a.details["by"] for a in assigned] == [staff]

    client.post(V1, json={"orderId": "ORD-ADM3", "amount": "499"}, headers=AUTH)  # ticks run
    other = _stray(gateway, client, clock, "3.33")
    dismiss = f"/admin/credits/{other}/dismiss"
    assert client.post(dismiss, data={"reason": "own transfer"}).status_code == 400
    done = client.post(dismiss, data={"csrf_token": csrf, "reason": "own transfer"})
    assert done.status_code == 303
    assert other not in client.get("/admin/credits").get_data(as_text=True)
