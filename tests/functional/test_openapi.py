"""The OpenAPI document and the docs page: built from the routes, true to the real answers.

The document is generated from each route's @operation declaration, found by
walking app.url_map; these tests check that every /api rule is in it and nothing
else is, and that real answers from the Flask test client match both the model
the route declares and the schema the document publishes for that status code.
"""

from __future__ import annotations

import hashlib
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jsonschema_rs
import pytest
from flask import Blueprint, Flask
from flask.testing import FlaskClient
from pydantic import BaseModel, ValidationError
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from checkout.api.openapi import REF, model_schemas, openapi_document, operations, path_template
from checkout.api.operations import Routes, declaration
from checkout.api.origins import PUBLIC_DOCUMENTS
from checkout.api.schemas import credits as credits_schemas
from checkout.api.schemas import evidence as evidence_schemas
from checkout.api.schemas import refunds as refunds_schemas
from checkout.api.schemas import seed
from checkout.api.schemas import users as users_schemas
from checkout.api.schemas import v1 as v1_schemas
from checkout.api.schemas.common import ErrorBody
from checkout.config import Settings
from checkout.gateway import Gateway
from checkout.services import outbox, presenters
from checkout.storage.merchant import ApiKey
from tests.conftest import AUTH, Clock
from tests.functional.conftest import seed_body

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "static" / "vendor"

REQUEST_MODELS: tuple[type[BaseModel], ...] = (
    seed.CreatePaymentSessionBody,
    seed.OrderRefBody,
    seed.UpiQrQuery,
    seed.SandboxCreditBody,
    v1_schemas.CreateCheckoutSessionBody,
    v1_schemas.ListCheckoutSessionsQuery,
    v1_schemas.CreateWebhookEndpointBody,
    v1_schemas.ListWebhookDeliveriesQuery,
    v1_schemas.CreateApiKeyBody,
    v1_schemas.CreatePaymentLinkBody,
    credits_schemas.ListCreditsQuery,
    credits_schemas.AssignCreditBody,
    credits_schemas.DismissCreditBody,
    evidence_schemas.SmsEvidenceBody,
    evidence_schemas.RawEmail,
    seed.PaymentDoneBody,
    v1_schemas.ClaimUtrBody,
    v1_schemas.ListUtrClaimsQuery,
    refunds_schemas.CreateRefundBody,
    users_schemas.CreateUserBody,
)
# A value of the right shape for each path parameter.
PATH_SAMPLES = {
    "orderId": "ORD-NOPE",
    "id": "cs_" + "0" * 24,
    "endpointId": "we_" + "0" * 16,
    "deliveryId": "whd_" + "0" * 20,
    "keyId": "key_" + "0" * 12,
    "creditId": "cr_" + "0" * 24,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # Webhook URLs on loopback, and no DNS lookups for them; room for several creates.
    return settings.with_overrides(webhook_allow_private=True, rate_limit_max_requests=50)


# -- the contract: what the document says about one answer --------------------------------


def concrete_path(rule: Rule) -> str:
    return re.sub(r"\{([^}]+)\}", lambda m: PATH_SAMPLES[m.group(1)], path_template(rule))


class Contract:
    """Checks each answer against its model and the published schema; remembers what it saw."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.document = openapi_document(app)
        self.seen: set[tuple[str, int]] = set()

    def check(self, response: TestResponse, method: str, url: str) -> Any:
        rule, _ = self.app.url_map.bind("localhost").match(
            urlsplit(url).path, method.upper(), return_rule=True
        )
        op = declaration(self.app.view_functions[rule.endpoint])
        assert op is not None, rule
        status = response.status_code
        text = response.get_data(as_text=True)
        documented = self.document["paths"][path_template(rule)][method]["responses"]
        assert str(status) in documented, f"{method.upper()} {url}: {status} undocumented: {text}"
        assert response.mimetype == "application/json", text
        body = json.loads(text)
        model = op.responses.get(status, ErrorBody)
        model.model_validate(body)
        schema = documented[str(status)]["content"]["application/json"]["schema"]
        validator = jsonschema_rs.Draft202012Validator(
            {**schema, "components": self.document["components"]}
        )
        errors = [error.message for error in validator.iter_errors(body)]
        assert not errors, (method, url, status, errors, body)
        self.seen.add((rule.endpoint, status))
        return body


class Api:
    """The Flask test client, with every answer checked against the contract."""

    def __init__(self, client: FlaskClient, contract: Contract) -> None:
        self.client = client
        self.contract = contract

    def call(self, method: str, url: str, status: int, **kwargs: Any) -> Any:
        response = self.client.open(url, method=method.upper(), **kwargs)
        assert response.status_code == status, (method, url, response.get_data(as_text=True))
        return self.contract.check(response, method, url)

    def get(self, url: str, status: int = 200, **kwargs: Any) -> Any:
        return self.call("get", url, status, **kwargs)

    def post(self, url: str, status: int = 200, **kwargs: Any) -> Any:
        return self.call("post", url, status, **kwargs)

    def delete(self, url: str, status: int = 200, **kwargs: Any) -> Any:
        return self.call("delete", url, status, **kwargs)


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    return Api(client, Contract(app))


# -- the document and the routes ----------------------------------------------------------


def api_rules(app: Flask) -> set[tuple[str, str]]:
    """(path, method) of every JSON API rule: /api and /health, less the documentation itself."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_DOCUMENTS:
            continue
        if rule.rule == "/health" or rule.rule.startswith("/api"):
            template = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found.update(
                (template, m.lower()) for m in rule.methods or () if m not in {"HEAD", "OPTIONS"}
            )
    return found


def documented(document: dict[str, Any]) -> set[tuple[str, str]]:
    return {(path, method) for path, item in document["paths"].items() for method in item}


def test_every_api_rule_is_in_the_document_and_every_documented_path_is_a_rule(
    app: Flask,
) -> None:
    document = openapi_document(app)
    assert api_rules(app) == documented(document)
    assert ("/api/v1/checkout-sessions/{id}/cancel", "post") in api_rules(app)
    for rule, method, _ in operations(app):
        entry = document["paths"][path_template(rule)][method]
        assert entry["operationId"] == rule.endpoint.removeprefix("api.")
        assert entry["responses"], rule.rule


def test_a_route_without_a_declaration_is_missing_from_the_document(app: Flask) -> None:
    # The check above can fail: an /api rule nobody declared is a rule the document lacks.
    app.add_url_rule("/api/v1/undeclared", "undeclared", lambda: {"ok": True})
    assert api_rules(app) - documented(openapi_document(app)) == {("/api/v1/undeclared", "get")}


def test_a_declared_route_is_documented_and_its_answer_enforced(app: Flask) -> None:
    extra = Blueprint("extra", __name__)

    @Routes(extra, tag="Test").get("/api/v1/test-only", "Test only")
    def wrong() -> seed.NonceResponse:
        return seed.PaymentStatusResponse(status="pending")  # type: ignore[return-value]

    app.register_blueprint(extra)
    entry = openapi_document(app)["paths"]["/api/v1/test-only"]["get"]
    assert entry["summary"] == "Test only"
    assert entry["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": REF.format(model="NonceResponse")
    }
    # Not the model it declares: the answer is refused as the server's bug, never sent.
    app.config["PROPAGATE_EXCEPTIONS"] = False
    answer = app.test_client().get("/api/v1/test-only")
    assert answer.status_code == 500
    assert answer.get_json() == {"error": "Internal error", "details": []}


def test_a_presenter_refuses_what_its_model_does_not_document(clock: Clock) -> None:
    # Built, not described: a stored value outside the model fails where the answer is made.
    record = ApiKey(
        keyId="key_" + "0" * 12,
        name="shop",
        mode="staging",  # the model documents live | test only
        prefix="sk_staging",
        hash="0" * 64,
        signingKey="s",
        createdAt=clock(),
    )
    with pytest.raises(ValidationError, match="mode"):
        presenters.key_view(record)
    record.mode = "test"
    assert presenters.plain(presenters.key_view(record))["mode"] == "test"


def test_the_served_document_is_valid_openapi_31(app: Flask, client: FlaskClient) -> None:
    # schemathesis ships the OpenAPI 3.1 meta-schema and a validator for it.
    from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    served = json.loads(response.get_data(as_text=True))
    assert served == json.loads(json.dumps(openapi_document(app)))
    assert served["openapi"] == "3.1.0"
    OPENAPI_31_VALIDATOR.validate(served)
    for name, schema in served["components"]["schemas"].items():
        assert jsonschema_rs.meta.is_valid(schema), name


def _as_parameter(prop: dict[str, Any]) -> dict[str, Any]:
    """A model property as a query parameter: no description, no null (omit it instead)."""
    prop = {k: v for k, v in prop.items() if k != "description"}
    if prop.get("default", ...) is None:
        del prop["default"]
    branches = prop.pop("anyOf", None)
    if branches is not None:
        kept = [b for b in branches if b != {"type": "null"}]
        prop = {**kept[0], **prop} if len(kept) == 1 else {**prop, "anyOf": kept}
    return prop


def test_request_schemas_are_the_validating_models_own(app: Flask) -> None:
    document = openapi_document(app)
    components = document["components"]["schemas"]
    declared = operations(app)
    bodies = {op.body for _, _, op in declared if op.body}
    queries = {op.query for _, _, op in declared if op.query}
    assert bodies | queries == set(REQUEST_MODELS)
    for model in bodies:
        for name, schema in model_schemas(model).items():
            assert components[name] == schema, name
    for rule, method, op in declared:
        entry = document["paths"][path_template(rule)][method]
        content = entry["requestBody"]["content"] if op.body is not None else {}
        assert set(content) == set(op.body_media)
        for media, model in op.body_media.items():
            assert content[media]["schema"]["$ref"] == REF.format(model=model.__name__)
            names = {f.alias or name for name, f in model.model_fields.items()}
            assert set(components[model.__name__].get("properties", {})) <= names, media
        if op.query is not None:
            properties = model_schemas(op.query)[op.query.__name__]["properties"]
            query = {p["name"]: p for p in entry["parameters"] if p["in"] == "query"}
            assert set(query) == set(op.query.model_fields) == set(properties)
            for name, field in op.query.model_fields.items():
                assert query[name]["required"] == field.is_required()
                assert query[name]["schema"] == _as_parameter(properties[name]), name


def test_money_is_a_number_or_numeric_text_in_and_a_number_out(app: Flask) -> None:
    components = openapi_document(app)["components"]["schemas"]
    amount = components["CreateCheckoutSessionBody"]["properties"]["amount"]
    assert {branch["type"] for branch in amount["oneOf"]} == {"number", "string"}
    assert components["CheckoutSession"]["properties"]["amount"]["type"] == "number"
    assert components["UpiQrResponse"]["properties"]["amount"]["type"] == "number"


def test_bearer_auth_covers_exactly_the_merchant_endpoints(app: Flask, api: Api) -> None:
    document = openapi_document(app)
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }
    for rule, method, op in operations(app):
        merchant = rule.rule.startswith(("/api/v1/", "/api/balance", "/api/order/"))
        assert op.needs_key == merchant, rule.rule
        security = document["paths"][path_template(rule)][method]["security"]
        assert security == ([{"bearerAuth": []}] if merchant else [])
        if op.needs_key:
            api.call(method, concrete_path(rule), 401, json={})


# -- real answers against their models and the document ----------------------------------


def test_every_answer_matches_its_model_and_the_document(
    api: Api, gateway: Gateway, clock: Clock
) -> None:
    poll = gateway.settings.poll_interval_seconds

    def pay(order_id: str) -> None:
        api.post("/api/sandbox/credit", json={"orderId": order_id})
        clock.advance(seconds=poll)
        assert gateway.ticker.tick().ran

    # The seed's walk-through.
    assert api.get("/health")["status"] == "ok"
    nonce = api.get("/api/nonce")["nonce"]
    created = api.post("/api/create-payment-session", json=seed_body(nonce))
    assert created["amount"] == 1018
    api.post("/api/create-payment-session", 409, json=seed_body(api.get("/api/nonce")["nonce"]))
    api.post("/api/create-payment-session", 401, json=seed_body("0" * 64, orderId="ORD-2"))
    api.post("/api/create-payment-session", 400, data="basePrice=1")
    assert api.get("/api/payment-status/ORD-12345")["status"] == "pending"
    api.get("/api/payment-status/ORD-NOPE", 404)
    api.get("/api/upi-qr?amount=100.5&note=Test")
    api.get("/api/upi-qr?amount=0", 400)
    assert api.post("/api/payment-done", json={"orderId": "ORD-12345"})["status"] == "not-matched"
    api.post("/api/payment-done", 404, json={"orderId": "ORD-NOPE"})
    api.post("/api/sandbox/credit", 400, json={})
    pay("ORD-12345")
    done = api.post("/api/payment-done", json={"orderId": "ORD-12345"})
    assert done["status"] == "already-completed"
    api.post("/api/sandbox/credit", 409, json={"orderId": "ORD-12345"})
    refused = api.post("/api/payment-cancel", 409, json={"orderId": "ORD-12345"})
    assert refused["status"] == "completed"  # the extra context a 409 may carry
    assert api.get("/api/order/ORD-12345", headers=AUTH)["order"]["totalAmount"] == 1018
    api.get("/api/order/ORD-NOPE", 404, headers=AUTH)
    api.get("/api/balance", headers=AUTH)
    api.post(
        "/api/create-payment-session",
        json=seed_body(api.get("/api/nonce")["nonce"], orderId="ORD-2"),
    )
    assert api.post("/api/payment-cancel", json={"orderId": "ORD-2"})["status"] == "cancelled"

    # Merchant API: webhooks and checkout sessions.
    hook = api.post(
        "/api/v1/webhook-endpoints", 201, json={"url": "http://127.0.0.1:9/hook"}, headers=AUTH
    )
    assert hook["secret"]
    api.post("/api/v1/webhook-endpoints", 400, json={"url": "ftp://x"}, headers=AUTH)
    assert api.get("/api/v1/webhook-endpoints", headers=AUTH)["data"][0]["id"] == hook["id"]

    body = {
        "amount": 499,
        "description": "Blue mug",
        "customer": {"email": "asha@example.com", "name": "Asha", "phone": "+91 98765 43210"},
        "metadata": {"cart": ["mug"], "note": {"gift": True}},
        "returnUrl": "https://shop.test/done",
        "cancelUrl": "https://shop.test/cart",
    }
    keyed = {**AUTH, "Idempotency-Key": "order-1"}
    first = api.post("/api/v1/checkout-sessions", 201, json=body, headers=keyed)
    replayed = api.post("/api/v1/checkout-sessions", 201, json=body, headers=keyed)
    assert replayed["id"] == first["id"]
    api.post("/api/v1/checkout-sessions", 409, json={**body, "amount": 5}, headers=keyed)
    api.post("/api/v1/checkout-sessions", 400, json={"amount": "abc"}, headers=AUTH)
    second = api.post("/api/v1/checkout-sessions", 201, json={"amount": "250.50"}, headers=AUTH)
    assert api.get(f"/api/v1/checkout-sessions/{first['id']}", headers=AUTH)["id"] == first["id"]
    api.get(f"/api/v1/checkout-sessions/{PATH_SAMPLES['id']}", 404, headers=AUTH)
    page = api.get("/api/v1/checkout-sessions?limit=1", headers=AUTH)
    assert page["hasMore"] and page["nextCursor"]
    api.get(f"/api/v1/checkout-sessions?startingAfter={page['nextCursor']}", headers=AUTH)
    api.get(f"/api/v1/checkout-sessions?startingAfter={PATH_SAMPLES['id']}", 404, headers=AUTH)
    api.get("/api/v1/checkout-sessions?limit=0", 400, headers=AUTH)

    pay(second["orderId"])
    outbox.publish_owed_events(gateway.store, gateway.merchant, now=clock.current)
    api.post(f"/api/v1/checkout-sessions/{second['id']}/cancel", 409, headers=AUTH)
    cancelled = api.post(f"/api/v1/checkout-sessions/{first['id']}/cancel", headers=AUTH)
    assert cancelled["status"] == "cancelled"
    completed = api.get(f"/api/v1/checkout-sessions/{second['id']}", headers=AUTH)
    assert completed["status"] == "completed" and completed["completedAt"]
    refunds = f"/api/v1/checkout-sessions/{second['id']}/refunds"
    api.post(refunds, 201, json={"amount": "50.50", "note": "one mug"}, headers=AUTH)
    api.post(refunds, 409, json={"amount": 500}, headers=AUTH)
    api.post(refunds, 400, json={"amount": "x"}, headers=AUTH)
    assert api.get(refunds, headers=AUTH)["refundedAmount"] == Decimal("50.5")

    # Console users: ADMIN_SECRET only (the CLI's way in with the in-memory store).
    person = {"email": "cashier@shop.test", "password": "correct horse battery"}
    assert api.post("/api/v1/users", 201, json=person, headers=AUTH)["role"] == "staff"
    api.post("/api/v1/users", 409, json=person, headers=AUTH)
    api.post("/api/v1/users", 400, json={**person, "password": "short"}, headers=AUTH)

    deliveries = api.get("/api/v1/webhook-deliveries", headers=AUTH)["data"]
    assert deliveries, "the completed checkout queued a delivery"
    api.get("/api/v1/webhook-deliveries?status=bogus", 400, headers=AUTH)
    api.post(f"/api/v1/webhook-deliveries/{deliveries[0]['id']}/retry", headers=AUTH)
    api.post(f"/api/v1/webhook-deliveries/{PATH_SAMPLES['deliveryId']}/retry", 404, headers=AUTH)
    api.delete(f"/api/v1/webhook-endpoints/{hook['id']}", headers=AUTH)
    api.delete(f"/api/v1/webhook-endpoints/{hook['id']}", 404, headers=AUTH)

    # API keys and payment links.
    key = api.post("/api/v1/api-keys", 201, json={"name": "shop"}, headers=AUTH)
    api.post("/api/v1/api-keys", 400, json={"name": ""}, headers=AUTH)
    assert [k["id"] for k in api.get("/api/v1/api-keys", headers=AUTH)["data"]] == [key["id"]]
    as_key = {"Authorization": f"Bearer {key['secret']}"}
    api.get("/api/v1/api-keys", 403, headers=as_key)
    api.delete(f"/api/v1/api-keys/{key['id']}", headers=AUTH)
    api.delete(f"/api/v1/api-keys/{key['id']}", 404, headers=AUTH)
    api.get("/api/v1/webhook-endpoints", 401, headers=as_key)
    link = {"title": "Blue mug", "amount": 499, "slug": "blue-mug"}
    api.post("/api/v1/payment-links", 201, json=link, headers=AUTH)
    api.post("/api/v1/payment-links", 409, json=link, headers=AUTH)
    api.post("/api/v1/payment-links", 400, json={"title": "No amount"}, headers=AUTH)
    ranged = {"title": "Donate", "minAmount": 10, "maxAmount": "500.50"}
    api.post("/api/v1/payment-links", 201, json=ranged, headers=AUTH)

    api.post("/api/sandbox/credit", json={"amount": "5.25"})  # a stray credit, any amount

    # Credits: list, dismiss one, assign another to the cancelled (still payable) checkout.
    def stray(amount: str) -> str:
        api.post("/api/sandbox/credit", json={"amount": amount})
        clock.advance(seconds=gateway.settings.poll_interval_seconds)
        gateway.ticker.tick()
        newest = api.get("/api/v1/credits?state=unattributed&limit=1", headers=AUTH)["data"]
        return str(newest[0]["id"])

    dismissed = stray("5.26")
    api.post(f"/api/v1/credits/{dismissed}/dismiss", json={"reason": "own transfer"}, headers=AUTH)
    api.post(f"/api/v1/credits/{dismissed}/dismiss", 409, json={"reason": "x"}, headers=AUTH)
    unknown = PATH_SAMPLES["creditId"]
    api.post(f"/api/v1/credits/{unknown}/dismiss", 404, json={"reason": "x"}, headers=AUTH)
    assigned = stray("5.27")
    api.post(f"/api/v1/credits/{assigned}/assign", json={"orderId": first["orderId"]}, headers=AUTH)
    api.get("/api/v1/credits?state=bogus", 400, headers=AUTH)

    # Evidence relays: an SMS as JSON and as a form, an e-mail, a heartbeat.
    sms = {
        "from": "VM-HDFCBK-S",
        "text": "Rs.5.28 credited to HDFC Bank A/c XX1 (UPI 633600000010)",
    }
    assert api.post("/api/v1/evidence/sms", json=sms, headers=AUTH)["outcome"]
    api.post("/api/v1/evidence/sms", data=sms, headers=AUTH)
    api.post("/api/v1/evidence/sms", 400, json={"text": "no sender"}, headers=AUTH)
    api.post("/api/v1/evidence/sms", 401, json=sms, query_string={"token": "rt_test_nope"})
    mail = b"From: alerts@hdfcbank.net\r\nSubject: x\r\n\r\nRs.1 credited\r\n"
    api.post("/api/v1/evidence/email", data=mail, content_type="message/rfc822", headers=AUTH)
    api.post("/api/v1/evidence/email", 400, json=sms, headers=AUTH)
    assert api.post("/api/v1/evidence/heartbeat", headers=AUTH)["relay"] == "admin"
    assert api.get("/health")["checks"]["relay"] == "ok"
    by_sms = {"orderId": "ORD-SMS", "amount": 7}
    api.post("/api/v1/checkout-sessions", 201, json=by_sms, headers=AUTH)
    assert api.post("/api/sandbox/sms", json={"orderId": "ORD-SMS"})["orderIds"] == ["ORD-SMS"]

    # UTR claims: a paid checkout refuses a stranger's UTR; payment-done names the claim's fate.
    utr = {"utr": "633600000077"}
    claimed = api.post(f"/api/v1/checkout-sessions/{second['id']}/utr", json=utr, headers=AUTH)
    assert claimed["utrStatus"] == "mismatch"  # paid already, by other evidence
    api.post(f"/api/v1/checkout-sessions/{second['id']}/utr", 400, json={}, headers=AUTH)
    api.post(f"/api/v1/checkout-sessions/{PATH_SAMPLES['id']}/utr", 404, json=utr, headers=AUTH)
    done_utr = api.post("/api/payment-done", json={"orderId": "ORD-12345", **utr})
    assert done_utr["utrStatus"] == "mismatch"
    assert api.get("/api/v1/utr-claims?status=mismatch", headers=AUTH)["object"] == "list"

    # Every success answer of every operation was seen and checked.
    wanted = {
        (rule.endpoint, status)
        for rule, _, op in operations(api.contract.app)
        for status in op.responses
        if status < 500
    }
    assert wanted - api.contract.seen == set()


def test_limits_and_refusals_answer_the_error_model(api: Api) -> None:
    big = json.dumps({"amount": 1, "metadata": {"x": "y" * 70_000}})
    api.post(
        "/api/v1/checkout-sessions", 413, data=big, content_type="application/json", headers=AUTH
    )
    api.get("/api/nonce", 403, headers={"Origin": "https://evil.test"})
    for _ in range(120):  # the GENEROUS per-route limit
        api.client.get("/api/nonce")
    api.get("/api/nonce", 429)
    api.get("/api/v1/checkout-sessions", 401, headers={"Authorization": "Bearer nope"})


# -- the docs page ------------------------------------------------------------------------


def _vendored_hashes() -> dict[str, str]:
    text = (VENDOR / "VENDORED.md").read_text()
    return dict(
        (path, digest) for digest, path in re.findall(r"`([0-9a-f]{64})`\s*\|\s*`([^`]+)`", text)
    )


def test_vendored_files_match_their_recorded_sha256() -> None:
    recorded = _vendored_hashes()
    assert recorded, "static/vendor/VENDORED.md lists sha256 | path rows"
    for path, digest in recorded.items():
        data = (VENDOR / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest, path


def test_docs_page_loads_only_our_own_nonced_assets(client: FlaskClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    nonce = re.search(r"script-src 'self' 'nonce-([^']+)'", policy)
    assert nonce, policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    scripts = re.findall(r"<script\b([^>]*)>", page)
    assert scripts and all(f'nonce="{nonce.group(1)}"' in attrs for attrs in scripts)
    assert not re.search(r"<script\b[^>]*>\s*[^<\s]", page), "no inline script"
    assert not re.search(r"\son[a-z]+=|\sstyle=", page), "no inline handlers or styles"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert not [a for a in assets if urlsplit(a).netloc], "no third-party asset"
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in assets
