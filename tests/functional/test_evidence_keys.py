"""Evidence keys and relay URL tokens: made like keys, good for posting evidence only."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.storage.merchant import ApiKey
from tests.conftest import AUTH
from tests.functional.conftest import assert_error
from tests.functional.test_cli import local_app  # noqa: F401  (the CLI on a real MongoDB)

V1 = "/api/v1/checkout-sessions"
RELAY_URL = re.compile(r"relay URL:\s+(?P<url>\S+/api/v1/evidence/sms\?token=(?P<token>rt_\S+))")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue(client: FlaskClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/api-keys", json={"name": "phone", **body}, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    answer: dict[str, Any] = response.get_json()
    return answer


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", V1),
        ("POST", V1),
        ("GET", f"{V1}/cs_{'0' * 24}"),
        ("POST", f"{V1}/cs_{'0' * 24}/cancel"),
        ("GET", "/api/v1/webhook-endpoints"),
        ("POST", "/api/v1/webhook-endpoints"),
        ("GET", "/api/v1/webhook-deliveries"),
        ("POST", "/api/v1/payment-links"),
        ("GET", "/api/v1/api-keys"),
        ("GET", "/api/balance"),
        ("GET", "/api/order/ORD-NONE"),
        ("GET", "/api/payment-status/ORD-NONE"),
        ("POST", "/api/payment-cancel"),
    ],
)
def test_an_evidence_key_can_do_nothing_else(client: FlaskClient, method: str, path: str) -> None:
    key = issue(client, scope="evidence")
    assert (key["scope"], key["urlToken"], key["relayUrl"]) == ("evidence", False, None)
    body = {"amount": "10", "orderId": "ORD-NONE", "url": "https://93.184.215.14/h", "title": "t"}
    answer = client.open(path, method=method, json=body, headers=bearer(key["secret"]))
    assert_error(answer, 403)
    assert "evidence" in answer.get_json()["error"]


def test_keys_made_before_scopes_keep_the_whole_api(client: FlaskClient) -> None:
    key = issue(client)
    assert (key["scope"], key["urlToken"]) == ("all", False)
    ApiKey._get_collection().update_one({"keyId": key["id"]}, {"$unset": {"scope": 1}})
    assert client.get(V1, headers=bearer(key["secret"])).status_code == 200


def test_a_relay_url_token_is_never_a_bearer_key(client: FlaskClient) -> None:
    token = issue(client, scope="evidence", urlToken=True)
    secret = token["secret"]
    assert secret.startswith("rt_test_") and token["urlToken"] is True
    assert token["relayUrl"] == f"http://localhost/api/v1/evidence/sms?token={secret}"
    assert_error(client.get(V1, headers=bearer(secret)), 401)
    (stored,) = ApiKey._get_collection().find()
    assert stored["hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored)
    listed = client.get("/api/v1/api-keys", headers=AUTH).get_json()["data"]
    assert [(k["scope"], k["urlToken"]) for k in listed] == [("evidence", True)]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"urlToken": True}, "scope"),
        ({"urlToken": True, "scope": "all"}, "scope"),
        ({"scope": "everything"}, "scope"),
        ({"scope": "evidence", "urlToken": "yes"}, "urlToken"),
    ],
)
def test_a_key_asks_for_a_scope_that_exists(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    answer = client.post("/api/v1/api-keys", json={"name": "phone", **body}, headers=AUTH)
    assert_error(answer, 400, field)
    assert ApiKey.objects.count() == 0


def test_the_cli_makes_evidence_keys_and_relay_urls(local_app: Flask) -> None:  # noqa: F811
    runner = local_app.test_cli_runner()
    refused = runner.invoke(args=["keys", "create", "--name", "fwd", "--url-token"])
    assert refused.exit_code == 2 and "--scope evidence" in refused.output
    made = runner.invoke(
        args=["keys", "create", "--name", "fwd", "--scope", "evidence", "--url-token"]
    )
    assert made.exit_code == 0, made.output
    found = RELAY_URL.search(made.output)
    assert found, made.output
    assert "secret key" not in made.output
    phone = runner.invoke(args=["keys", "create", "--name", "phone", "--scope", "evidence"])
    assert phone.exit_code == 0 and "secret key:   sk_test_" in phone.output
    listed = runner.invoke(args=["keys", "list"]).output.splitlines()
    assert listed[0].endswith("fwd  evidence url-token  active")
    assert listed[1].endswith("phone  evidence  active")
    with local_app.app_context():
        stored = {k.name: k for k in ApiKey.objects}
    assert stored["fwd"].urlToken and stored["fwd"].scope == "evidence"
    assert stored["fwd"].hash == hashlib.sha256(found["token"].encode()).hexdigest()
