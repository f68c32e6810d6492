"""Every bad input gets a 4xx in the one error format, names the field, and changes nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.config import Settings
from checkout.gateway import Gateway
from checkout.storage.models import Nonce, PaymentSession
from tests.conftest import AUTH, Clock
from tests.functional.conftest import (
    assert_error,
    create_ok,
    get_nonce,
    seed_body,
    stored_counts,
    used_nonces,
)

CREATE = "/api/create-payment-session"
MISSING = object()


def _deep(levels: int) -> dict[str, Any]:
    value: dict[str, Any] = {"leaf": 1}
    for _ in range(levels):
        value = {"k": value}
    return value


BAD_FIELDS: list[tuple[str, str, Any]] = [
    ("basePrice missing", "basePrice", MISSING),
    ("basePrice null", "basePrice", None),
    ("basePrice negative", "basePrice", -1),
    ("basePrice negative text", "basePrice", "-10"),
    ("basePrice zero", "basePrice", 0),
    ("basePrice zero text", "basePrice", "0.00"),
    ("basePrice 3 decimals text", "basePrice", "1018.505"),
    ("basePrice exponent text", "basePrice", "1e3"),
    ("basePrice NaN text", "basePrice", "NaN"),
    ("basePrice Infinity text", "basePrice", "Infinity"),
    ("basePrice true", "basePrice", True),
    ("basePrice huge int", "basePrice", 10**400),
    ("basePrice above MAX_AMOUNT", "basePrice", 100001),
    ("basePrice above MAX_AMOUNT by a paisa", "basePrice", "100000.01"),
    ("basePrice object", "basePrice", {"$gt": 0}),
    ("basePrice list", "basePrice", [1000]),
    ("basePrice thousands separator", "basePrice", "1,000"),
    ("basePrice empty", "basePrice", ""),
    ("basePrice Devanagari digits", "basePrice", "\u0967\u0966\u0966"),
    ("tax negative", "tax", -18),
    ("tax 3 decimals", "tax", "0.001"),
    ("tax text", "tax", "eighteen"),
    ("orderId operator", "orderId", {"$gt": ""}),
    ("orderId number", "orderId", 12345),
    ("orderId with spaces", "orderId", "ORD 12345"),
    ("orderId too long", "orderId", "O" * 65),
    ("orderId unicode", "orderId", "ORD-\u00e9\u00e8"),
    ("orderId slash", "orderId", "ORD/1"),
    ("orderId empty", "orderId", ""),
    ("orderId regex", "orderId", ".*"),
    ("productDetails $where key", "productDetails", {"$where": "sleep(1000)"}),
    ("productDetails dotted key", "productDetails", {"a.b": 1}),
    ("productDetails nested too deep", "productDetails", _deep(6)),
    ("productDetails a string", "productDetails", "Product"),
    ("productDetails a list", "productDetails", [{"name": "x"}]),
    ("productDetails huge number", "productDetails", {"n": 10**30}),
    ("productDetails nested operator", "productDetails", {"a": [{"$ne": 1}]}),
    ("deliveryDetails $ key", "deliveryDetails", {"$set": {"status": "completed"}}),
    ("email invalid", "email", "not-an-email"),
    ("email with spaces", "email", "john doe@example.com"),
    ("email object", "email", {"$ne": None}),
    ("email too long", "email", "a" * 250 + "@example.com"),
    ("couponCode object", "couponCode", {"$gt": ""}),
    ("couponCode too long", "couponCode", "C" * 65),
]


@pytest.mark.parametrize(
    ("field", "value"),
    [(field, value) for _, field, value in BAD_FIELDS],
    ids=[name for name, _, _ in BAD_FIELDS],
)
def test_bad_create_bodies_are_400_naming_the_field(
    client: FlaskClient, field: str, value: Any
) -> None:
    nonce = get_nonce(client)
    body = seed_body(nonce)
    if value is MISSING:
        del body[field]
    else:
        body[field] = value
    before = stored_counts()
    response = client.post(CREATE, json=body)
    assert_error(response, 400, field)
    assert response.get_json()["error"] == "Validation failed"
    assert stored_counts() == before
    # Validation comes before the nonce: the nonce is still good for a fixed request.
    assert used_nonces() == 0
    assert client.post(CREATE, json=seed_body(nonce)).status_code == 200


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"basePrice": NaN, "nonce": "%s"}', "body"),
        ('{"basePrice": Infinity, "nonce": "%s"}', "body"),
        ('{"basePrice": -Infinity, "nonce": "%s"}', "body"),
        ('{"basePrice": 1e3, "nonce": "%s"}', "basePrice"),
        ('{"basePrice": 1E+3, "nonce": "%s"}', "basePrice"),
        ('{"basePrice": 1018.505, "nonce": "%s"}', "basePrice"),
        ('{"basePrice": 1018.50000000000000001, "nonce": "%s"}', "basePrice"),
        ('{"basePrice": 0.30000000000000004, "nonce": "%s"}', "basePrice"),
        ('{"basePrice": 1%s, "nonce": "%%s"}' % ("0" * 400), "basePrice"),
        ('{"basePrice": 1%s, "nonce": "%%s"}' % ("0" * 5000), "body"),
        ('{"basePrice": 1000, "tax": -0.0, "nonce": "%s"}', "tax"),
        (
            '{"basePrice": 1000, "productDetails": {"n": 0.%s1}, "nonce": "%%s"}' % ("1" * 40),
            "productDetails",
        ),
        ('{"basePrice": 1000, "productDetails": {"n": 1e7000}, "nonce": "%s"}', "productDetails"),
        ('{"basePrice": 1000, "productDetails": {"n": 1e-7000}, "nonce": "%s"}', "productDetails"),
        ('{"basePrice": 1000, "nonce": "%s"', "body"),
        ('{"basePrice": 1000, "nonce": "%s"} trailing', "body"),
        ('"just a string %s"', "body"),
        ('[{"basePrice": 1000, "nonce": "%s"}]', "body"),
        ("null %s", "body"),
    ],
    ids=[
        "NaN",
        "Infinity",
        "-Infinity",
        "exponent",
        "exponent-plus",
        "3-decimals",
        "float-noise",
        "float-artefact",
        "10**400",
        "more-digits-than-int-allows",
        "negative-zero-tax",
        "decimal-too-precise-to-store",
        "decimal-too-large-to-store",
        "decimal-too-small-to-store",
        "truncated",
        "trailing-garbage",
        "string",
        "array",
        "null",
    ],
)
def test_bad_json_texts_are_400(client: FlaskClient, text: str, field: str) -> None:
    nonce = get_nonce(client)
    before = stored_counts()
    response = client.post(CREATE, data=text.replace("%s", nonce), content_type="application/json")
    assert_error(response, 400, field)
    assert stored_counts() == before
    assert used_nonces() == 0


def test_basePrice_plus_tax_above_max_names_the_field(client: FlaskClient) -> None:
    before = stored_counts()
    response = client.post(CREATE, json=seed_body(get_nonce(client), basePrice=100000, tax=1))
    details = assert_error(response, 400)
    assert [d["field"] for d in details] == ["tax"], details
    assert "100000" in details[0]["message"]
    assert stored_counts() == before


def test_max_amount_setting_is_the_limit(settings: Settings) -> None:
    from checkout import create_app

    client = create_app(settings.with_overrides(max_amount_paise=50000)).test_client()
    assert_error(
        client.post(CREATE, json=seed_body(get_nonce(client), basePrice=500.01, tax=0)),
        400,
        "basePrice",
    )
    assert create_ok(client, basePrice=500, tax=0)["amount"] == 500


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ("basePrice=1000&tax=18", "application/x-www-form-urlencoded"),
        ('{"basePrice": 1000}', "text/plain"),
        ('{"basePrice": 1000}', None),
        ("\xff\xfe not utf-8", "application/json"),
        ("", "application/json"),
    ],
    ids=["form", "text-plain", "no-content-type", "not-utf8", "empty"],
)
def test_non_json_bodies_are_400(client: FlaskClient, data: str, content_type: str | None) -> None:
    before = stored_counts()
    kwargs: dict[str, Any] = {"data": data.encode("latin-1")}
    if content_type:
        kwargs["content_type"] = content_type
    response = client.post(CREATE, **kwargs)
    assert_error(response, 400, "body")
    assert stored_counts() == before


def test_body_over_64_kib_is_413(client: FlaskClient) -> None:
    nonce = get_nonce(client)
    body = seed_body(
        nonce, productDetails={"blob": "x" * 1990} | {f"k{i}": "y" * 1990 for i in range(40)}
    )
    text = json.dumps(body)
    assert len(text) > 64 * 1024
    before = stored_counts()
    response = client.post(CREATE, data=text, content_type="application/json")
    assert_error(response, 413, "body")
    assert stored_counts() == before
    assert used_nonces() == 0


@pytest.mark.parametrize("path", [CREATE, "/api/payment-done", "/api/payment-cancel"])
def test_every_post_endpoint_refuses_oversized_and_non_json(client: FlaskClient, path: str) -> None:
    oversized = "x" * (65 * 1024)
    assert_error(client.post(path, data=oversized, content_type="application/json"), 413, "body")
    assert_error(client.post(path, data="orderId=ORD-1"), 400, "body")
    assert_error(client.post(path, json=["ORD-1"]), 400, "body")


# -- nonces -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "nonce",
    [MISSING, None, "", "0" * 64, "A" * 64, "abc", {"$ne": None}, ["x"], 12345],
    ids=["missing", "null", "empty", "unknown", "uppercase", "short", "operator", "list", "int"],
)
def test_missing_or_unknown_nonce_is_401(client: FlaskClient, nonce: Any) -> None:
    body = seed_body(None)
    if nonce is MISSING:
        del body["nonce"]
    else:
        body["nonce"] = nonce
    before = stored_counts()
    assert_error(client.post(CREATE, json=body), 401, "nonce")
    assert stored_counts() == before


def test_used_nonce_is_401(client: FlaskClient) -> None:
    nonce = get_nonce(client)
    assert client.post(CREATE, json=seed_body(nonce, orderId="ORD-1")).status_code == 200
    before = stored_counts()
    assert_error(client.post(CREATE, json=seed_body(nonce, orderId="ORD-2")), 401, "nonce")
    assert stored_counts() == before


def test_expired_nonce_is_401(client: FlaskClient, settings: Settings, clock: Clock) -> None:
    nonce = get_nonce(client)
    clock.advance(minutes=settings.nonce_expiry_minutes)
    before = stored_counts()
    assert_error(client.post(CREATE, json=seed_body(nonce)), 401, "nonce")
    assert stored_counts() == before


def test_nonce_just_inside_its_lifetime_works(
    client: FlaskClient, settings: Settings, clock: Clock
) -> None:
    nonce = get_nonce(client)
    clock.advance(minutes=settings.nonce_expiry_minutes, seconds=-1)
    assert client.post(CREATE, json=seed_body(nonce)).status_code == 200


def test_validation_400_comes_before_nonce_401(client: FlaskClient) -> None:
    response = client.post(CREATE, json=seed_body("0" * 64, basePrice=-1))
    assert_error(response, 400, "basePrice")


# -- orderId: unknown and reused ----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/payment-status/ORD-NOPE", None),
        ("post", "/api/payment-done", {"orderId": "ORD-NOPE"}),
        ("post", "/api/payment-cancel", {"orderId": "ORD-NOPE"}),
    ],
)
def test_unknown_order_id_is_404(
    client: FlaskClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    create_ok(client)
    before = stored_counts()
    response = getattr(client, method)(path, json=body) if body else client.get(path)
    assert_error(response, 404, "orderId")
    assert stored_counts() == before


@pytest.mark.parametrize(
    "order_id",
    [{"$gt": ""}, {"$ne": "x"}, ["ORD-12345"], 12345, None, "ORD 12345", "ORD-\u0000", "x" * 65],
)
@pytest.mark.parametrize("path", ["/api/payment-done", "/api/payment-cancel"])
def test_bad_order_ids_in_bodies_are_400(client: FlaskClient, path: str, order_id: Any) -> None:
    create_ok(client)
    before = stored_counts()
    assert_error(client.post(path, json={"orderId": order_id}), 400, "orderId")
    assert_error(client.post(path, json={}), 400, "orderId")
    assert stored_counts() == before
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}


@pytest.mark.parametrize(
    "order_id", ["%7B%22%24gt%22%3A%22%22%7D", "%24gt", "ORD%20X", "%E2%82%B9"]
)
def test_odd_order_ids_in_the_status_path_are_404(client: FlaskClient, order_id: str) -> None:
    create_ok(client)
    assert_error(client.get(f"/api/payment-status/{order_id}"), 404, "orderId")


def test_reused_order_id_is_409_and_keeps_the_nonce(client: FlaskClient, gateway: Gateway) -> None:
    create_ok(client)
    nonce = get_nonce(client)
    before = stored_counts()
    response = client.post(CREATE, json=seed_body(nonce, basePrice=5))
    assert_error(response, 409, "orderId")
    assert stored_counts() == before
    assert Nonce.objects.get(nonce=nonce).used is False
    # The refused request did not spend the nonce: it still opens another checkout.
    assert client.post(CREATE, json=seed_body(nonce, orderId="ORD-OTHER")).status_code == 200


def test_a_taken_order_id_is_not_revealed_without_a_live_nonce(client: FlaskClient) -> None:
    """Without a nonce the answer is 401 whether or not the orderId exists."""
    create_ok(client)
    assert_error(client.post(CREATE, json=seed_body(None)), 401, "nonce")
    assert_error(client.post(CREATE, json=seed_body("f" * 64)), 401, "nonce")


# -- other endpoints ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({}, "amount"),
        ({"amount": ""}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.001"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": "NaN"}, "amount"),
        ({"amount": "Infinity"}, "amount"),
        ({"amount": "100000.01"}, "amount"),
        ({"amount": "9" * 40}, "amount"),
        ({"amount": "10", "note": "x" * 81}, "note"),
        ({"amount": "10", "note": "line\nbreak"}, "note"),
    ],
)
def test_bad_upi_qr_queries_are_400(client: FlaskClient, query: dict[str, str], field: str) -> None:
    assert_error(client.get("/api/upi-qr", query_string=query), 400, field)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": True}, "amount"),
        ({"orderId": {"$gt": ""}}, "orderId"),
        ({"amount": "5", "orderId": "ORD-12345"}, "amount"),
    ],
)
def test_bad_sandbox_credits_are_400(
    client: FlaskClient, gateway: Gateway, body: dict[str, Any], field: str
) -> None:
    create_ok(client)
    assert_error(client.post("/api/sandbox/credit", json=body), 400, field)
    assert gateway.store.sandbox_balance() == 0


def test_sandbox_credit_for_an_unknown_order_is_404(client: FlaskClient, gateway: Gateway) -> None:
    assert_error(client.post("/api/sandbox/credit", json={"orderId": "ORD-NOPE"}), 404, "orderId")
    assert gateway.store.sandbox_balance() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", CREATE), ("delete", "/api/payment-cancel"), ("post", "/api/nonce")],
)
def test_wrong_methods_are_405_json(client: FlaskClient, method: str, path: str) -> None:
    response = getattr(client, method)(path)
    assert_error(response, 405)
    assert "Allow" in response.headers


def test_unknown_api_paths_are_404_json(client: FlaskClient) -> None:
    assert_error(client.get("/api/nope"), 404)


# -- what the parser and the store can take ------------------------------------------------

# Every endpoint that reads a JSON body; the test below fails when one is added and not listed.
JSON_POSTS = [
    CREATE,
    "/api/payment-done",
    "/api/payment-cancel",
    "/api/sandbox/credit",
    "/api/sandbox/sms",
    "/api/v1/checkout-sessions",
    "/api/v1/webhook-endpoints",
    "/api/v1/api-keys",
    "/api/v1/payment-links",
    "/api/v1/credits/<creditId>/assign",
    "/api/v1/credits/<creditId>/dismiss",
    "/api/v1/evidence/sms",
    "/api/v1/checkout-sessions/<id>/utr",
    "/api/v1/checkout-sessions/<id>/refunds",
    "/api/v1/users",
]
BODYLESS_POSTS = {
    "/api/v1/checkout-sessions/<id>/cancel",
    "/api/v1/webhook-deliveries/<deliveryId>/retry",
    "/api/v1/evidence/heartbeat",
}
RAW_POSTS = {"/api/v1/evidence/email"}  # message/rfc822: no JSON is parsed


def test_the_json_post_list_is_complete(app: Flask) -> None:
    posts = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set()) and rule.rule.startswith("/api")
    }
    assert posts - BODYLESS_POSTS - RAW_POSTS == set(JSON_POSTS)


NESTED = {
    "arrays": "[" * 3000 + "]" * 3000,
    "objects": '{"a":' * 3000 + "1" + "}" * 3000,
    "unclosed": "[" * 3000,
    "inside-a-field": '{"orderId": "ORD-1", "metadata": ' + "[" * 3000 + "]" * 3000 + "}",
}


@pytest.mark.parametrize("text", list(NESTED.values()), ids=list(NESTED))
@pytest.mark.parametrize("path", JSON_POSTS)
def test_deeply_nested_json_is_400_on_every_json_post(
    client: FlaskClient, path: str, text: str
) -> None:
    before = stored_counts()
    url = path.replace("<creditId>", "cr_" + "0" * 24)
    response = client.post(url, data=text, content_type="application/json", headers=AUTH)
    details = assert_error(response, 400, "body")
    assert "nested" in details[0]["message"]
    assert stored_counts() == before


def test_brackets_inside_strings_do_not_count_as_nesting(client: FlaskClient) -> None:
    note = '[{"\\"' * 300  # 1500 characters of brackets and escaped quotes, in one string
    text = json.dumps(seed_body(get_nonce(client), productDetails={"note": note}))
    response = client.post(CREATE, data=text, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)


# Unencodable (a lone surrogate, sent as the JSON escape \ud800) and NUL, where they can go.
UNSTORABLE_TEXT = ["\ud800", "\udfff", "a\x00b"]
SEED_TEXT_FIELDS: list[tuple[str, dict[str, Any], str]] = [
    ("productDetails value", {"productDetails": {"name": "%s"}}, "productDetails.name"),
    (
        "productDetails in a list",
        {"productDetails": {"tags": ["ok", "%s"]}},
        "productDetails.tags.1",
    ),
    ("productDetails key", {"productDetails": {"%s": 1}}, "productDetails"),
    ("deliveryDetails value", {"deliveryDetails": {"address": "%s"}}, "deliveryDetails.address"),
    ("email", {"email": "jo%s@example.com"}, "email"),
    ("couponCode", {"couponCode": "%s"}, "couponCode"),
    ("nonce", {"nonce": "%s"}, "nonce"),
]
V1_TEXT_FIELDS: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "metadata value",
        "/api/v1/checkout-sessions",
        {"amount": 10, "metadata": {"n": "%s"}},
        "metadata.n",
    ),
    (
        "metadata nested key",
        "/api/v1/checkout-sessions",
        {"amount": 10, "metadata": {"a": {"%s": 1}}},
        "metadata.a",
    ),
    (
        "description",
        "/api/v1/checkout-sessions",
        {"amount": 10, "description": "%s"},
        "description",
    ),
    (
        "customer name",
        "/api/v1/checkout-sessions",
        {"amount": 10, "customer": {"name": "%s"}},
        "customer.name",
    ),
    (
        "returnUrl",
        "/api/v1/checkout-sessions",
        {"amount": 10, "returnUrl": "https://shop.test/%s"},
        "returnUrl",
    ),
    ("api key name", "/api/v1/api-keys", {"name": "%s"}, "name"),
    ("link title", "/api/v1/payment-links", {"title": "%s", "amount": 10}, "title"),
    ("webhook url", "/api/v1/webhook-endpoints", {"url": "https://hooks.test/%s"}, "url"),
]


def _with_text(template: Any, text: str) -> Any:
    """The template with every "%s" (in keys and values) replaced by `text`."""
    if isinstance(template, dict):
        return {_with_text(k, text): _with_text(v, text) for k, v in template.items()}
    if isinstance(template, list):
        return [_with_text(item, text) for item in template]
    return template.replace("%s", text) if isinstance(template, str) else template


@pytest.mark.parametrize("text", UNSTORABLE_TEXT, ids=["surrogate", "low-surrogate", "nul"])
@pytest.mark.parametrize(
    ("change", "field"),
    [(change, field) for _, change, field in SEED_TEXT_FIELDS],
    ids=[name for name, _, _ in SEED_TEXT_FIELDS],
)
def test_text_the_store_cannot_take_is_400_naming_the_field(
    client: FlaskClient, change: dict[str, Any], field: str, text: str
) -> None:
    nonce = get_nonce(client)
    # json.dumps writes a lone surrogate as the escape "\ud800", as a hostile client would.
    body = seed_body(nonce)
    body.update(_with_text(change, text))
    before = stored_counts()
    response = client.post(CREATE, data=json.dumps(body), content_type="application/json")
    details = assert_error(response, 400)
    assert details[0]["field"] == field, details
    assert stored_counts() == before
    assert used_nonces() == 0


@pytest.mark.parametrize("text", UNSTORABLE_TEXT, ids=["surrogate", "low-surrogate", "nul"])
@pytest.mark.parametrize(
    ("path", "body", "field"),
    [(path, body, field) for _, path, body, field in V1_TEXT_FIELDS],
    ids=[name for name, _, _, _ in V1_TEXT_FIELDS],
)
def test_merchant_api_text_the_store_cannot_take_is_400(
    client: FlaskClient, path: str, body: dict[str, Any], field: str, text: str
) -> None:
    before = stored_counts()
    data = json.dumps(_with_text(body, text))
    response = client.post(path, data=data, content_type="application/json", headers=AUTH)
    details = assert_error(response, 400)
    assert details[0]["field"] == field, details
    assert stored_counts() == before


def test_text_the_store_can_take_is_kept(client: FlaskClient) -> None:
    """Newlines, tabs, emoji and Devanagari are text like any other in free-form fields."""
    details = {"address": "12 MG Road\nBengaluru\t560001", "note": "धन्यवाद 🙏"}
    create_ok(client, deliveryDetails=details)
    stored = PaymentSession.objects.get(orderId="ORD-12345")
    assert stored.deliveryDetails == details


@pytest.mark.parametrize(
    "number", ["1e-2", "1E-2", "10e-1", "1e0", "1E+0", "0.5e1", "1e2", "100E-2", "-1e-2"]
)
@pytest.mark.parametrize(
    ("path", "template", "field"),
    [
        (CREATE, '{"basePrice": %s, "nonce": "NONCE"}', "basePrice"),
        (CREATE, '{"basePrice": 10, "tax": %s, "nonce": "NONCE"}', "tax"),
        ("/api/v1/checkout-sessions", '{"amount": %s}', "amount"),
        ("/api/sandbox/credit", '{"amount": %s}', "amount"),
        ("/api/v1/payment-links", '{"title": "T", "amount": %s}', "amount"),
        ("/api/v1/payment-links", '{"title": "T", "minAmount": %s, "maxAmount": 9}', "minAmount"),
    ],
    ids=["basePrice", "tax", "v1-amount", "sandbox-credit", "link-amount", "link-minAmount"],
)
def test_every_exponent_in_an_amount_is_refused(
    client: FlaskClient, gateway: Gateway, path: str, template: str, field: str, number: str
) -> None:
    text = (template % number).replace("NONCE", get_nonce(client))
    before = stored_counts()
    response = client.post(path, data=text, content_type="application/json", headers=AUTH)
    details = assert_error(response, 400, field)
    if not number.startswith("-"):
        assert "exponent" in details[0]["message"], details
    assert stored_counts() == before
    assert gateway.store.sandbox_balance() == 0
