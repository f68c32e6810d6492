"""The merchant API over the Flask client: API keys, idempotency, list and cancel, endpoints.

Keys are made through the API (the CLI has its own suite); every answer is
checked against the one JSON error format, and the store is asked what was
kept. Only time is patched.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from mongoengine import disconnect
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import Gateway
from checkout.services import keys
from checkout.services.presenters import iso
from checkout.storage.merchant import ApiKey, IdempotencyRecord, WebhookEndpoint
from checkout.storage.models import AmountReservation, PaymentSession
from checkout.storage.store import ALIAS
from checkout.webhooks import signing_key
from tests.conftest import ADMIN_SECRET, AUTH, Clock, race
from tests.functional.conftest import assert_error

V1 = "/api/v1/checkout-sessions"


@pytest.fixture(autouse=True)
def present(clock: Clock) -> Clock:
    """The fake clock starts at the real present (whole seconds).

    mongomock, like a real server, deletes documents under a TTL index
    (idempotency_keys.expiresAt) by the wall clock; records stamped at a fixed
    date that has passed in real life would vanish before the replay reads them.
    """
    clock.current = datetime.now(UTC).replace(microsecond=0)
    return clock


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def issue_key(client: FlaskClient, name: str = "shop") -> dict[str, Any]:
    response = client.post("/api/v1/api-keys", json={"name": name}, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def open_checkout(
    client: FlaskClient, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    body = {"amount": "250", **fields}
    response = client.post(V1, json=body, headers=headers or AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.get_json()
    return created


# -- API keys ---------------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_only_its_hash_is_kept(client: FlaskClient) -> None:
    issued = issue_key(client, "shop")
    secret = issued["secret"]
    assert secret.startswith("sk_test_") and len(secret) > 40  # the sandbox is active
    assert issued["name"] == "shop" and issued["mode"] == "test"
    assert issued["id"].startswith("key_")
    assert secret.startswith(issued["prefix"])
    assert issued["signingKey"] == signing_key(secret)

    stored = ApiKey._get_collection().find_one({"keyId": issued["id"]})
    assert stored is not None
    assert stored["hash"] == hashlib.sha256(secret.encode()).hexdigest()
    raw = [str(document) for document in ApiKey._get_collection().find()]
    assert raw and not any(secret in text for text in raw)

    listed = client.get("/api/v1/api-keys", headers=AUTH)
    assert listed.status_code == 200
    assert secret not in listed.get_data(as_text=True)
    (entry,) = listed.get_json()["data"]
    assert entry["id"] == issued["id"] and entry["revokedAt"] is None
    assert "secret" not in entry and "hash" not in entry and "signingKey" not in entry


def test_a_live_gateway_issues_live_keys(gateway: Gateway, clock: Clock) -> None:
    issued = keys.create_key(gateway.merchant, name="shop", sandbox=False, now=clock())
    assert issued.secret.startswith("sk_live_") and issued.record.mode == "live"
    assert keys.authenticate(gateway.merchant, gateway.settings, issued.secret, now=clock())


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", V1),
        ("POST", V1),
        ("GET", "/api/v1/webhook-endpoints"),
        ("GET", "/api/v1/webhook-deliveries"),
        ("GET", "/api/balance"),
        ("GET", "/api/order/ORD-NONE"),
    ],
)
def test_every_merchant_endpoint_takes_a_managed_key_the_master_key_and_nothing_else(
    client: FlaskClient, method: str, path: str
) -> None:
    secret = issue_key(client)["secret"]
    body = {"amount": "10"} if method == "POST" else None

    def call(headers: dict[str, str]) -> TestResponse:
        return client.open(path, method=method, json=body, headers=headers)

    for headers in (bearer(secret), AUTH):
        answer = call(headers)
        assert answer.status_code in (200, 201, 404), answer.get_data(as_text=True)
        if answer.status_code == 404:  # authenticated: the order simply does not exist
            assert path.startswith("/api/order/")
    refused = [
        {},
        bearer(secret + "x"),
        bearer(secret[:-1]),
        bearer("sk_test_" + "A" * 43),
        {"Authorization": f"Basic {secret}"},
        {"Authorization": secret},
        {"Authorization": "Bearer "},
        bearer(ADMIN_SECRET.upper()),
    ]
    for headers in refused:
        assert_error(call(headers), 401)


def test_a_revoked_key_gets_401_and_other_keys_keep_working(client: FlaskClient) -> None:
    shop = issue_key(client, "shop")
    other = issue_key(client, "other")
    assert client.get(V1, headers=bearer(shop["secret"])).status_code == 200

    revoked = client.delete(f"/api/v1/api-keys/{shop['id']}", headers=AUTH)
    assert revoked.status_code == 200 and revoked.get_json() == {"id": shop["id"], "revoked": True}

    assert_error(client.get(V1, headers=bearer(shop["secret"])), 401)
    assert_error(client.get("/api/balance", headers=bearer(shop["secret"])), 401)
    assert client.get(V1, headers=bearer(other["secret"])).status_code == 200
    assert client.get(V1, headers=AUTH).status_code == 200
    # Revoked once: a second revoke, or an unknown id, says so.
    assert_error(client.delete(f"/api/v1/api-keys/{shop['id']}", headers=AUTH), 404, "id")
    assert_error(client.delete("/api/v1/api-keys/key_000000000000", headers=AUTH), 404, "id")
    states = {
        k["id"]: k["revokedAt"] for k in client.get("/api/v1/api-keys", headers=AUTH).json["data"]
    }
    assert states[shop["id"]] is not None and states[other["id"]] is None


def test_a_key_records_when_it_was_last_used(client: FlaskClient, clock: Clock) -> None:
    issued = issue_key(client)
    assert issued["lastUsedAt"] is None
    clock.advance(minutes=5)
    assert client.get(V1, headers=bearer(issued["secret"])).status_code == 200
    (entry,) = client.get("/api/v1/api-keys", headers=AUTH).get_json()["data"]
    assert entry["lastUsedAt"] == iso(clock())


def test_only_the_master_key_manages_keys(client: FlaskClient) -> None:
    managed = issue_key(client)
    headers = bearer(managed["secret"])
    assert_error(client.post("/api/v1/api-keys", json={"name": "mine"}, headers=headers), 403)
    assert_error(client.get("/api/v1/api-keys", headers=headers), 403)
    assert_error(client.delete(f"/api/v1/api-keys/{managed['id']}", headers=headers), 403)
    assert ApiKey.objects.count() == 1
    assert ApiKey.objects.get().revokedAt is None
    assert_error(client.post("/api/v1/api-keys", json={"name": "x"}), 401)


@pytest.mark.parametrize("name", ["", "x" * 101, "line\nbreak", None, 5])
def test_a_key_needs_a_sensible_name(client: FlaskClient, name: object) -> None:
    assert_error(client.post("/api/v1/api-keys", json={"name": name}, headers=AUTH), 400, "name")
    assert ApiKey.objects.count() == 0


def test_no_key_ever_reaches_the_logs(client: FlaskClient, settings: Settings) -> None:
    issued = issue_key(client)
    secret = issued["secret"]
    headers = bearer(secret)
    open_checkout(client, headers)
    client.get(V1, headers=headers)
    client.get("/api/balance", headers=headers)
    client.get("/api/order/ORD-NONE", headers=headers)
    client.get(V1, headers=bearer(secret + "wrong"))
    endpoint = client.post(
        "/api/v1/webhook-endpoints", json={"url": "https://93.184.215.14/hooks"}, headers=headers
    ).get_json()
    client.delete(f"/api/v1/api-keys/{issued['id']}", headers=AUTH)
    client.get(V1, headers=headers)  # revoked now

    log_text = (Path(settings.log_dir) / "combined.log").read_text()
    assert "GET /api/v1/checkout-sessions 401" in log_text  # the requests were logged…
    assert "POST /api/v1/checkout-sessions 201" in log_text
    for credential in (secret, secret[8:], ADMIN_SECRET, issued["signingKey"], endpoint["secret"]):
        assert credential not in log_text  # …but no credential


# -- idempotency ------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_body_gets_the_first_answer(client: FlaskClient) -> None:
    body = {"amount": "499", "orderId": "ORD-IDEM-1", "description": "Socks"}
    headers = {**AUTH, "Idempotency-Key": "create-ORD-IDEM-1"}
    first = client.post(V1, json=body, headers=headers)
    again = client.post(V1, json=body, headers=headers)

    assert first.status_code == again.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert PaymentSession.objects(orderId="ORD-IDEM-1").count() == 1
    assert AmountReservation.objects.count() == 1


def test_a_replay_with_another_body_is_refused(client: FlaskClient) -> None:
    headers = {**AUTH, "Idempotency-Key": "k-1"}
    first = client.post(V1, json={"amount": "100"}, headers=headers)
    assert first.status_code == 201
    assert_error(client.post(V1, json={"amount": "101"}, headers=headers), 409, "Idempotency-Key")
    assert PaymentSession.objects.count() == 1
    # The stored answer is untouched: the first body still replays.
    replay = client.post(V1, json={"amount": "100"}, headers=headers)
    assert replay.status_code == 201 and replay.get_json()["id"] == first.get_json()["id"]


def test_an_idempotency_key_belongs_to_one_caller(client: FlaskClient) -> None:
    managed = bearer(issue_key(client)["secret"])
    body = {"amount": "100"}
    mine = client.post(V1, json=body, headers={**AUTH, "Idempotency-Key": "shared"})
    theirs = client.post(V1, json=body, headers={**managed, "Idempotency-Key": "shared"})
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.get_json()["id"] != theirs.get_json()["id"]


def test_a_refused_create_replays_its_refusal(client: FlaskClient) -> None:
    open_checkout(client, orderId="ORD-TAKEN")
    headers = {**AUTH, "Idempotency-Key": "dup-order"}
    body = {"amount": "10", "orderId": "ORD-TAKEN"}
    first = client.post(V1, json=body, headers=headers)
    assert_error(first, 409, "orderId")
    again = client.post(V1, json=body, headers=headers)
    assert_error(again, 409, "orderId")
    assert again.headers["Idempotent-Replayed"] == "true"
    # One error path: the replay is the first answer's very bytes, not a re-serialisation.
    assert again.get_data() == first.get_data()
    assert again.headers["Content-Type"] == first.headers["Content-Type"]


def test_an_invalid_body_does_not_use_up_the_key(client: FlaskClient) -> None:
    headers = {**AUTH, "Idempotency-Key": "fix-and-retry"}
    assert_error(client.post(V1, json={"amount": "-1"}, headers=headers), 400, "amount")
    fixed = client.post(V1, json={"amount": "1"}, headers=headers)
    assert fixed.status_code == 201 and "Idempotent-Replayed" not in fixed.headers


def test_keys_are_kept_for_24_hours(client: FlaskClient, clock: Clock) -> None:
    headers = {**AUTH, "Idempotency-Key": "daily"}
    first = client.post(V1, json={"amount": "100"}, headers=headers)
    clock.advance(hours=23, minutes=59)
    assert client.post(V1, json={"amount": "100"}, headers=headers).get_json() == first.get_json()
    assert_error(client.post(V1, json={"amount": "200"}, headers=headers), 409)

    clock.advance(hours=1, minutes=1)  # 25 h after the first use: the key is free again
    later = client.post(V1, json={"amount": "200"}, headers=headers)
    assert later.status_code == 201 and "Idempotent-Replayed" not in later.headers
    assert later.get_json()["id"] != first.get_json()["id"]
    assert later.get_json()["requestedAmount"] == 200
    assert PaymentSession.objects.count() == 2


@pytest.mark.parametrize(
    "key",
    ["", " ", "has space", "x" * 256, "tab\there", "caf\u00e9"],
    ids=["empty", "blank", "space", "too-long", "tab", "non-ascii"],
)
def test_an_invalid_idempotency_key_is_refused(client: FlaskClient, key: str) -> None:
    headers = {**AUTH, "Idempotency-Key": key}
    assert_error(client.post(V1, json={"amount": "100"}, headers=headers), 400, "Idempotency-Key")
    assert PaymentSession.objects.count() == 0
    assert IdempotencyRecord.objects.count() == 0


def test_twenty_concurrent_requests_with_one_key_create_one_checkout(app: Flask) -> None:
    body = {"amount": "321", "description": "raced"}
    headers = {**AUTH, "Idempotency-Key": "raced-key"}

    def post(_: int) -> TestResponse:
        return app.test_client().post(V1, json=body, headers=headers)

    answers = race(20, post)
    assert Counter(a.status_code for a in answers) == {201: 20}
    assert len({a.get_json()["id"] for a in answers}) == 1
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19
    assert PaymentSession.objects.count() == 1
    assert AmountReservation.objects.count() == 1


def test_cancel_honours_idempotency_keys(client: FlaskClient) -> None:
    opened = open_checkout(client)
    path = f"{V1}/{opened['id']}/cancel"
    headers = {**AUTH, "Idempotency-Key": "cancel-1"}
    first = client.post(path, headers=headers)
    again = client.post(path, headers=headers)
    assert first.status_code == again.status_code == 200
    assert first.get_json()["status"] == "cancelled"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    # The key is scoped to this session: the same key cancels another one for real.
    other = open_checkout(client)
    moved = client.post(f"{V1}/{other['id']}/cancel", headers=headers)
    assert moved.status_code == 200 and "Idempotent-Replayed" not in moved.headers
    assert moved.get_json()["id"] == other["id"]
    assert PaymentSession.objects(status="cancelled").count() == 2


# -- get, list and cancel ---------------------------------------------------------------


def test_get_and_cancel_a_checkout_session(client: FlaskClient) -> None:
    opened = open_checkout(client, orderId="ORD-GET-1", returnUrl="https://shop.example/done")
    assert opened["id"].startswith("cs_") and opened["status"] == "pending"
    assert opened["url"].startswith("http://localhost/pay/")
    assert opened["upiString"].startswith("upi://pay?")
    fetched = client.get(f"{V1}/{opened['id']}", headers=AUTH)
    assert fetched.status_code == 200 and fetched.get_json() == opened

    cancelled = client.post(f"{V1}/{opened['id']}/cancel", headers=AUTH)
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = client.post(f"{V1}/{opened['id']}/cancel", headers=AUTH)
    assert again.status_code == 200 and again.get_json()["status"] == "cancelled"
    assert client.get(f"{V1}/{opened['id']}", headers=AUTH).get_json()["status"] == "cancelled"


@pytest.mark.parametrize("session_id", ["cs_" + "0" * 24, "cs_nothex", "ORD-GET-1", "cs_"])
def test_an_unknown_session_is_404(client: FlaskClient, session_id: str) -> None:
    assert_error(client.get(f"{V1}/{session_id}", headers=AUTH), 404)
    assert_error(client.post(f"{V1}/{session_id}/cancel", headers=AUTH), 404)


def test_a_completed_checkout_cannot_be_cancelled(
    client: FlaskClient, pay: Callable[[str], dict[str, Any]]
) -> None:
    opened = open_checkout(client, orderId="ORD-PAID-1")
    pay("ORD-PAID-1")
    refused = client.post(f"{V1}/{opened['id']}/cancel", headers=AUTH)
    assert_error(refused, 409)
    assert refused.get_json()["status"] == "completed"
    assert PaymentSession.objects.get(orderId="ORD-PAID-1").status == "completed"


@pytest.fixture
def any_store(settings: Settings, mongodb_uri: str, present: Clock) -> Iterator[FlaskClient]:
    """A client on both stores: mongomock and the nx-27017 wire server."""
    application = create_app(settings.with_overrides(mongodb_uri=mongodb_uri))
    application.config["TESTING"] = True
    yield application.test_client()
    PaymentSession._get_db().client.drop_database(settings.mongodb_db_name)
    disconnect(ALIAS)


def _walk(client: FlaskClient, query: str) -> list[list[str]]:
    pages: list[list[str]] = []
    cursor = None
    while True:
        url = f"{V1}?{query}" + (f"&startingAfter={cursor}" if cursor else "")
        answer = client.get(url, headers=AUTH)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_json()
        assert body["object"] == "list"
        pages.append([item["id"] for item in body["data"]])
        assert body["hasMore"] == (body["nextCursor"] is not None)
        if not body["hasMore"]:
            return pages
        assert body["nextCursor"] == pages[-1][-1]
        cursor = body["nextCursor"]
        assert len(pages) < 20, "pagination does not end"


def test_cursor_pagination_walks_every_session_newest_first(
    any_store: FlaskClient, clock: Clock
) -> None:
    client = any_store
    created = []
    for index in range(7):
        created.append(open_checkout(client, orderId=f"ORD-LIST-{index}")["id"])
        clock.advance(seconds=30)
    pages = _walk(client, "limit=3")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [item for page in pages for item in page] == created[::-1]


def test_pagination_has_no_gaps_when_sessions_share_a_second(
    any_store: FlaskClient, clock: Clock
) -> None:
    client = any_store
    created = set()
    for index in range(8):
        created.add(open_checkout(client, orderId=f"ORD-TIE-{index}")["id"])
        if index % 3 == 2:
            clock.advance(seconds=1)
    for limit in (1, 2, 3, 5, 8, 9):
        pages = _walk(client, f"limit={limit}")
        seen = [item for page in pages for item in page]
        assert len(seen) == len(set(seen)) == 8, limit
        assert set(seen) == created


def test_list_filters_by_status_order_id_and_creation_time(
    any_store: FlaskClient, clock: Clock
) -> None:
    client = any_store
    opened = []
    for index in range(5):
        opened.append(open_checkout(client, orderId=f"ORD-F-{index}"))
        clock.advance(minutes=1)
    for victim in (opened[1], opened[3]):
        assert client.post(f"{V1}/{victim['id']}/cancel", headers=AUTH).status_code == 200

    def ids(query: str) -> list[str]:
        answer = client.get(f"{V1}?{query}", headers=AUTH)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return [item["id"] for item in answer.get_json()["data"]]

    assert ids("status=cancelled") == [opened[3]["id"], opened[1]["id"]]
    assert ids("status=pending") == [opened[4]["id"], opened[2]["id"], opened[0]["id"]]
    assert ids("status=completed") == []
    assert ids("orderId=ORD-F-2") == [opened[2]["id"]]
    after = opened[2]["createdAt"]
    assert ids(f"createdAfter={after}") == [opened[4]["id"], opened[3]["id"]]
    assert ids(f"createdAfter={after}&status=pending") == [opened[4]["id"]]
    pages = _walk(client, "status=pending&limit=2")
    assert pages == [[opened[4]["id"], opened[2]["id"]], [opened[0]["id"]]]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("status=paid", "status"),
        ("startingAfter=ORD-1", "startingAfter"),
        ("createdAfter=yesterday", "createdAfter"),
        ("createdAfter=2026-11-26T10:00:00", "createdAfter"),  # no time zone
        ("orderId=%24where", "orderId"),
    ],
)
def test_bad_list_queries_are_400(client: FlaskClient, query: str, field: str) -> None:
    assert_error(client.get(f"{V1}?{query}", headers=AUTH), 400, field)


def test_an_unknown_cursor_is_404(client: FlaskClient) -> None:
    assert_error(client.get(f"{V1}?startingAfter=cs_{'a' * 24}", headers=AUTH), 404)


# -- webhook endpoints ------------------------------------------------------------------


def test_a_webhook_endpoint_shows_its_secret_once(client: FlaskClient, clock: Clock) -> None:
    created = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://93.184.215.14/hooks", "events": ["checkout.completed"]},
        headers=AUTH,
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    endpoint = created.get_json()
    assert endpoint["secret"].startswith("whsec_") and len(endpoint["secret"]) > 30
    assert endpoint["events"] == ["checkout.completed"] and endpoint["active"] is True
    assert endpoint["createdAt"] == iso(clock())

    listed = client.get("/api/v1/webhook-endpoints", headers=AUTH)
    assert endpoint["secret"] not in listed.get_data(as_text=True)
    (entry,) = listed.get_json()["data"]
    assert entry == {k: v for k, v in endpoint.items() if k != "secret"}

    every = client.post(
        "/api/v1/webhook-endpoints", json={"url": "https://93.184.215.14/all"}, headers=AUTH
    ).get_json()
    assert set(every["events"]) == {
        "checkout.completed",
        "checkout.expired",
        "checkout.cancelled",
        "checkout.refunded",
        "credit.unattributed",
        "relay.silent",
    }
    assert every["secret"] != endpoint["secret"]

    deleted = client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=AUTH)
    assert deleted.status_code == 200 and deleted.get_json() == {
        "id": endpoint["id"],
        "deleted": True,
    }
    remaining = client.get("/api/v1/webhook-endpoints", headers=AUTH).get_json()["data"]
    assert [e["id"] for e in remaining] == [every["id"]]
    assert_error(client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=AUTH), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://93.184.215.14/hooks"}, "url"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "http://127.0.0.1:8080/hooks"}, "url"),
        ({"url": "http://localhost/hooks"}, "url"),
        ({"url": "http://10.1.2.3/hooks"}, "url"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url"),
        ({"url": "http://[::1]/hooks"}, "url"),
        ({"url": "https://93.184.215.14/h", "events": ["checkout.paid"]}, "events"),
        ({"url": "https://93.184.215.14/h", "events": []}, "events"),
        ({}, "url"),
    ],
)
def test_bad_webhook_endpoints_are_refused(
    client: FlaskClient, body: dict[str, Any], field: str
) -> None:
    assert_error(client.post("/api/v1/webhook-endpoints", json=body, headers=AUTH), 400, field)
    assert WebhookEndpoint.objects.count() == 0


def test_webhook_routes_need_a_key(client: FlaskClient) -> None:
    assert_error(client.get("/api/v1/webhook-endpoints"), 401)
    assert_error(client.post("/api/v1/webhook-endpoints", json={"url": "https://1.1.1.1/"}), 401)
    assert_error(client.delete("/api/v1/webhook-endpoints/we_0"), 401)
    assert_error(client.get("/api/v1/webhook-deliveries"), 401)
    assert_error(client.post("/api/v1/webhook-deliveries/whd_0/retry"), 401)
    assert_error(client.post("/api/v1/webhook-deliveries/whd_0/retry", headers=AUTH), 404)
