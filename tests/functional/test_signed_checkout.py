"""Signed redirects back to the merchant, and signed form posts from the merchant's page.

Signatures are computed here from the documented recipe (HMAC-SHA256 with the
key's signing key over the fields joined by newlines), not with the gateway's
own signing helpers, so a change of recipe fails these tests.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout.storage.models import AmountReservation, AuditLog, PaymentSession
from checkout.webhooks import verify_redirect
from tests.conftest import ADMIN_SECRET, AUTH, Clock
from tests.functional.conftest import stored_counts

V1 = "/api/v1/checkout-sessions"
FORM_ORDER = ("orderId", "amount", "description", "email", "returnUrl", "t")
MERCHANT_ORIGIN = "https://shop.example"


def derived_signing_key(api_key: str) -> str:
    """What the merchant computes from the secret key it holds."""
    return hmac.new(api_key.encode(), b"upi-checkout/signing", hashlib.sha256).hexdigest()


def hmac_lines(key: str, values: list[str]) -> str:
    return hmac.new(key.encode(), "\n".join(values).encode(), hashlib.sha256).hexdigest()


def issue_key(client: FlaskClient, name: str = "shop") -> dict[str, Any]:
    response = client.post("/api/v1/api-keys", json={"name": name}, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def token_of(url: str) -> str:
    path = urlsplit(url).path
    assert path.startswith("/pay/"), url
    return path.removeprefix("/pay/")


def status_fragment(client: FlaskClient, token: str) -> TestResponse:
    return client.get(f"/pay/{token}/status", headers={"HX-Request": "true"})


def query_of(url: str) -> dict[str, str]:
    return {name: values[-1] for name, values in parse_qs(urlsplit(url).query).items()}


# -- signed redirects -------------------------------------------------------------------


def test_the_return_redirect_after_payment_is_signed_with_the_creating_key(
    client: FlaskClient, clock: Clock, pay: Callable[[str], dict[str, Any]]
) -> None:
    key = issue_key(client)
    opened = client.post(
        V1,
        json={
            "amount": "750",
            "orderId": "ORD-RET-1",
            "returnUrl": "https://shop.example/thanks?cart=42",
        },
        headers={"Authorization": f"Bearer {key['secret']}"},
    ).get_json()
    token = token_of(opened["url"])
    pending = status_fragment(client, token)
    assert pending.status_code == 200 and "HX-Redirect" not in pending.headers

    pay("ORD-RET-1")
    done = status_fragment(client, token)
    target = done.headers["HX-Redirect"]
    assert target.startswith("https://shop.example/thanks?")
    query = query_of(target)
    assert query["cart"] == "42"  # the merchant's own parameters survive
    assert query["orderId"] == "ORD-RET-1" and query["status"] == "completed"
    assert query["t"] == str(int(clock().timestamp()))
    expected = hmac_lines(
        derived_signing_key(key["secret"]), [query["orderId"], query["status"], query["t"]]
    )
    assert query["signature"] == expected

    merchant_key = derived_signing_key(key["secret"])
    now = clock().timestamp()
    assert verify_redirect(query, merchant_key, now=now)
    assert not verify_redirect({**query, "status": "cancelled"}, merchant_key, now=now)
    assert not verify_redirect({**query, "orderId": "ORD-RET-2"}, merchant_key, now=now)
    assert not verify_redirect({**query, "signature": "0" * 64}, merchant_key, now=now)
    assert not verify_redirect({k: v for k, v in query.items() if k != "signature"}, merchant_key)
    assert not verify_redirect(query, derived_signing_key(ADMIN_SECRET), now=now)
    assert not verify_redirect(query, merchant_key, now=now + 301)  # too old
    assert not verify_redirect({**query, "t": "soon"}, merchant_key, now=now)
    assert not verify_redirect({**query, "signature": "\u00e9" * 64}, merchant_key, now=now)


def test_a_cancelled_checkout_returns_to_the_cancel_url_signed(
    client: FlaskClient, clock: Clock
) -> None:
    key = issue_key(client)
    opened = client.post(
        V1,
        json={
            "amount": "20",
            "orderId": "ORD-RET-C",
            "returnUrl": "https://shop.example/thanks",
            "cancelUrl": "https://shop.example/cart",
        },
        headers={"Authorization": f"Bearer {key['secret']}"},
    ).get_json()
    assert client.post(f"{V1}/{opened['id']}/cancel", headers=AUTH).status_code == 200
    target = status_fragment(client, token_of(opened["url"])).headers["HX-Redirect"]
    assert target.startswith("https://shop.example/cart?")
    query = query_of(target)
    assert query["status"] == "cancelled"
    key_ = derived_signing_key(key["secret"])
    assert verify_redirect(query, key_, now=clock().timestamp())
    assert not verify_redirect({**query, "status": "completed"}, key_, now=clock().timestamp())


def test_a_checkout_made_with_the_master_key_is_signed_with_it(
    client: FlaskClient, clock: Clock, pay: Callable[[str], dict[str, Any]]
) -> None:
    opened = client.post(
        V1,
        json={"amount": "30", "orderId": "ORD-RET-M", "returnUrl": "https://shop.example/r"},
        headers=AUTH,
    ).get_json()
    pay("ORD-RET-M")
    query = query_of(status_fragment(client, token_of(opened["url"])).headers["HX-Redirect"])
    assert verify_redirect(query, derived_signing_key(ADMIN_SECRET), now=clock().timestamp())


def test_a_revoked_key_no_longer_signs_redirects(
    client: FlaskClient, pay: Callable[[str], dict[str, Any]]
) -> None:
    key = issue_key(client)
    opened = client.post(
        V1,
        json={"amount": "40", "orderId": "ORD-RET-R", "returnUrl": "https://shop.example/r"},
        headers={"Authorization": f"Bearer {key['secret']}"},
    ).get_json()
    assert client.delete(f"/api/v1/api-keys/{key['id']}", headers=AUTH).status_code == 200
    pay("ORD-RET-R")
    query = query_of(status_fragment(client, token_of(opened["url"])).headers["HX-Redirect"])
    assert query == {"orderId": "ORD-RET-R", "status": "completed"}


# -- signed form posts ------------------------------------------------------------------


class Merchant:
    """A merchant's server that renders a signed form, and the customer's browser posting it."""

    def __init__(self, client: FlaskClient, clock: Clock, key: dict[str, Any]) -> None:
        self.client = client
        self.clock = clock
        self.key_id = key["id"]
        self.signing_key = derived_signing_key(key["secret"])

    def form(self, **changes: Any) -> dict[str, str]:
        fields = {
            "orderId": "ORD-FORM-1",
            "amount": "1018",
            "description": "Blue shirt",
            "email": "john@example.com",
            "returnUrl": "https://shop.example/thanks",
            "t": str(int(self.clock().timestamp())),
            "keyId": self.key_id,
        }
        fields.update({name: str(value) for name, value in changes.items() if name != "key"})
        key = changes.get("key", self.signing_key)
        fields["signature"] = hmac_lines(key, [fields[name] for name in FORM_ORDER])
        return fields

    def post(self, fields: dict[str, str]) -> TestResponse:
        # Cross-site, form-encoded, no CSRF token: only the signature vouches for it.
        return self.client.post(
            "/checkout",
            data=fields,
            headers={"Origin": MERCHANT_ORIGIN, "Referer": f"{MERCHANT_ORIGIN}/cart"},
        )


@pytest.fixture
def merchant(client: FlaskClient, clock: Clock) -> Merchant:
    return Merchant(client, clock, issue_key(client))


def assert_refused(response: TestResponse, before: dict[str, int], words: str) -> None:
    text = response.get_data(as_text=True)
    assert response.status_code == 400, text
    assert response.mimetype == "text/html"
    assert words in text
    assert "Traceback" not in text
    assert stored_counts() == before


def test_a_valid_signed_form_opens_the_checkout(merchant: Merchant, client: FlaskClient) -> None:
    answer = merchant.post(merchant.form())
    assert answer.status_code == 303, answer.get_data(as_text=True)
    location = answer.headers["Location"]
    assert urlsplit(location).path.startswith("/pay/")
    session = PaymentSession.objects.get(orderId="ORD-FORM-1")
    assert location.endswith(f"/pay/{session.token}")
    assert session.totalAmountPaise == 101800 and session.source == "form"
    assert session.keyId == merchant.key_id
    assert session.email == "john@example.com" and session.description == "Blue shirt"
    assert session.returnUrl == "https://shop.example/thanks"
    page = client.get(location)
    assert page.status_code == 200 and "1,018" in page.get_data(as_text=True)
    assert AuditLog.objects(orderId="ORD-FORM-1", action="session_created").count() == 1


def test_the_same_signed_form_posted_twice_opens_one_checkout(merchant: Merchant) -> None:
    fields = merchant.form()
    first = merchant.post(fields)
    merchant.clock.advance(seconds=20)  # a double click, or the back button
    again = merchant.post(fields)
    assert first.status_code == again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert PaymentSession.objects.count() == 1
    assert AmountReservation.objects.count() == 1


def test_optional_fields_may_be_left_empty(merchant: Merchant) -> None:
    answer = merchant.post(merchant.form(description="", email="", returnUrl=""))
    assert answer.status_code == 303, answer.get_data(as_text=True)
    session = PaymentSession.objects.get()
    assert session.email is None and session.returnUrl is None and session.description is None


@pytest.mark.parametrize(
    "field",
    ["orderId", "amount", "description", "email", "returnUrl", "t"],
)
def test_changing_any_signed_field_is_refused(merchant: Merchant, field: str) -> None:
    fields = merchant.form()
    tampered = {
        "orderId": "ORD-FORM-2",
        "amount": "1",
        "description": "Gold bar",
        "email": "eve@example.com",
        "returnUrl": "https://evil.example/steal",
        "t": str(int(fields["t"]) - 1),
    }
    before = stored_counts()
    assert_refused(merchant.post({**fields, field: tampered[field]}), before, "signature")


@pytest.mark.parametrize(
    "change",
    [
        {"signature": ""},
        {"signature": "0" * 64},
        {"signature": "z" * 64},
        {"signature": None},
        {"signature": "\u00e9" * 64},
        {"signature": "\u20ac"},
    ],
    ids=["empty", "zeros", "not-hex", "missing", "non-ascii", "euro"],
)
def test_a_bad_signature_is_refused(merchant: Merchant, change: dict[str, Any]) -> None:
    fields = merchant.form()
    for name, value in change.items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = value
    assert_refused(merchant.post(fields), stored_counts(), "signature")


def test_a_form_signed_with_another_key_is_refused(merchant: Merchant) -> None:
    other = derived_signing_key("sk_test_someone_else")
    assert_refused(merchant.post(merchant.form(key=other)), stored_counts(), "signature")


def test_an_unknown_or_missing_key_id_is_refused(merchant: Merchant) -> None:
    before = stored_counts()
    assert_refused(merchant.post(merchant.form(keyId="key_000000000000")), before, "signature")
    fields = merchant.form()
    fields.pop("keyId")
    assert_refused(merchant.post(fields), before, "signature")


def test_a_revoked_key_signs_no_more_forms(merchant: Merchant, client: FlaskClient) -> None:
    assert client.delete(f"/api/v1/api-keys/{merchant.key_id}", headers=AUTH).status_code == 200
    assert_refused(merchant.post(merchant.form()), stored_counts(), "signature")


def test_a_stale_form_is_refused(merchant: Merchant, clock: Clock) -> None:
    fields = merchant.form()
    clock.advance(seconds=301)
    assert_refused(merchant.post(fields), stored_counts(), "too old")
    # Signed "in the future" beyond the tolerance is just as stale.
    future = merchant.form(t=int(clock().timestamp()) + 301)
    assert_refused(merchant.post(future), stored_counts(), "too old")
    # Within the tolerance it is fine.
    recent = merchant.form(t=int(clock().timestamp()) - 299)
    assert merchant.post(recent).status_code == 303


def test_a_replayed_order_id_with_another_amount_is_refused(merchant: Merchant) -> None:
    assert merchant.post(merchant.form(amount="1018")).status_code == 303
    before = stored_counts()
    # Properly signed, but the order was opened for another amount.
    assert_refused(merchant.post(merchant.form(amount="1")), before, "already opened")
    session = PaymentSession.objects.get(orderId="ORD-FORM-1")
    assert session.totalAmountPaise == 101800


@pytest.mark.parametrize(
    "change",
    [
        {"returnUrl": "https://evil.example/steal"},
        {"email": "eve@example.com"},
        {"description": "Gold bar"},
    ],
)
def test_a_replayed_order_id_with_other_details_is_refused(
    merchant: Merchant, change: dict[str, str]
) -> None:
    first = merchant.post(merchant.form())
    assert first.status_code == 303
    before = stored_counts()
    assert_refused(merchant.post(merchant.form(**change)), before, "already opened")
    session = PaymentSession.objects.get(orderId="ORD-FORM-1")
    assert session.returnUrl == "https://shop.example/thanks"
    assert session.email == "john@example.com" and session.description == "Blue shirt"


def test_the_same_form_signed_again_later_opens_the_same_checkout(
    merchant: Merchant, clock: Clock
) -> None:
    first = merchant.post(merchant.form())
    clock.advance(minutes=3)
    again = merchant.post(merchant.form())  # re-rendered by the merchant: a fresh t
    assert again.status_code == 303
    assert again.headers["Location"] == first.headers["Location"]
    assert PaymentSession.objects.count() == 1


def test_an_order_id_opened_through_the_api_cannot_be_taken_by_a_form(
    merchant: Merchant, client: FlaskClient
) -> None:
    created = client.post(V1, json={"amount": "1018", "orderId": "ORD-FORM-1"}, headers=AUTH)
    assert created.status_code == 201
    assert_refused(merchant.post(merchant.form()), stored_counts(), "already opened")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": "100001"}, "amount"),
        ({"email": "not-an-email"}, "email"),
        ({"returnUrl": "javascript:alert(1)"}, "return URL"),
        ({"returnUrl": "https://shop.example;script-src *"}, "return URL"),
        ({"returnUrl": "https://shop.example/\x7f"}, "return URL"),
        ({"returnUrl": "https://user:pw@shop.example/"}, "return URL"),
        ({"orderId": "$where"}, "order id"),
        ({"t": "yesterday"}, "timestamp"),
    ],
)
def test_signed_but_invalid_fields_are_refused(
    merchant: Merchant, change: dict[str, str], words: str
) -> None:
    assert_refused(merchant.post(merchant.form(**change)), stored_counts(), words)


@pytest.mark.parametrize("line_break", ["\n", "\r", "\r\n"], ids=["lf", "cr", "crlf"])
@pytest.mark.parametrize("field", FORM_ORDER)
def test_a_line_break_in_any_signed_field_is_refused(
    merchant: Merchant, field: str, line_break: str
) -> None:
    value = merchant.form()[field]
    # Signed by the documented recipe, so only the line break is wrong.
    fields = merchant.form(**{field: value[:2] + line_break + value[2:]})
    assert_refused(merchant.post(fields), stored_counts(), "one line")


def test_text_cannot_move_from_one_signed_field_into_the_next(merchant: Merchant) -> None:
    signed = merchant.form(description="Shirt\neve@evil.example", email="")
    moved = {**signed, "description": "Shirt", "email": "eve@evil.example\n"}
    # The documented recipe cannot tell the two apart: one signature covers both.
    assert hmac_lines(merchant.signing_key, [moved[n] for n in FORM_ORDER]) == signed["signature"]
    before = stored_counts()
    assert_refused(merchant.post(signed), before, "one line")
    assert_refused(merchant.post(moved), before, "one line")
    assert PaymentSession.objects.count() == 0
