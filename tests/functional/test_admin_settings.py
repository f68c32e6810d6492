"""Console Settings: owner only (staff 403, signed out to login), CSRF, audited, secrets once."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from checkout import clock
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import outbox, owner_settings
from checkout.storage.links import PaymentLink
from checkout.storage.merchant import ApiKey, WebhookDelivery, WebhookEndpoint
from checkout.storage.models import AuditLog
from checkout.webhooks import SIGNATURE_HEADER, verify
from tests.conftest import ADMIN_SECRET
from tests.functional.console_login import csrf_app, sign_in, token

HOOK_URL = "https://93.184.215.14/hooks"
PAGES = (
    "/admin/settings",
    "/admin/settings/links",
    "/admin/settings/keys",
    "/admin/settings/webhooks",
    "/admin/settings/config",
)
ACTIONS = (
    ("/admin/settings/links", {"title": "Tea", "amount": "20"}),
    ("/admin/settings/links/tea/disable", {}),
    ("/admin/settings/keys", {"name": "shop", "scope": "all"}),
    ("/admin/settings/keys/key_000000000000/revoke", {}),
    ("/admin/settings/webhooks", {"url": HOOK_URL}),
    ("/admin/settings/webhooks/we_0000000000000000/delete", {}),
    ("/admin/settings/webhooks/we_0000000000000000/test", {}),
)


@pytest.fixture
def settings(settings: Settings, mongodb_uri: str) -> Settings:
    """Every test twice: mongomock, and nx-27017."""
    return dataclasses.replace(settings, mongodb_uri=mongodb_uri).validated()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    yield from csrf_app(settings)


@pytest.fixture
def owner(client: FlaskClient, gateway: Gateway) -> str:
    return sign_in(client, gateway, "owner")


def _page_token(client: FlaskClient, path: str = "/admin/settings/keys") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return token(page.get_data(as_text=True))


def _changed_nothing() -> None:
    assert PaymentLink.objects(slug="tea").count() == 0
    assert ApiKey.objects.count() == 0
    assert WebhookEndpoint.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_signed_out_pages_and_actions_go_to_login(client: FlaskClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 302, path
        assert "login" in response.headers["Location"] and "next=" in response.headers["Location"]
    csrf = token(client.get("/admin/login").get_data(as_text=True))
    for path, data in ACTIONS:
        response = client.post(path, data={"csrf_token": csrf, **data})
        assert response.status_code == 302 and "login" in response.headers["Location"], path
    _changed_nothing()


def test_staff_get_403_on_every_page_and_action(client: FlaskClient, gateway: Gateway) -> None:
    sign_in(client, gateway, "staff")
    for path in PAGES:
        assert client.get(path).status_code == 403, path
    csrf = token(client.get("/admin/exports").get_data(as_text=True))  # the sign-out form's
    for path, data in ACTIONS:
        assert client.post(path, data={"csrf_token": csrf, **data}).status_code == 403, path
    _changed_nothing()


def test_every_action_needs_its_csrf_token(owner: str, client: FlaskClient) -> None:
    for path, data in ACTIONS:
        assert client.post(path, data=data).status_code == 400, path
    _changed_nothing()


def _audited(action: str) -> list[dict[str, str]]:
    return [entry.details for entry in AuditLog.objects(action=action)]


def test_owner_creates_lists_and_disables_a_payment_link(owner: str, client: FlaskClient) -> None:
    csrf = _page_token(client, "/admin/settings/links")
    bad = client.post(
        "/admin/settings/links", data={"csrf_token": csrf, "title": "Tea", "amount": "abc"}
    )
    assert bad.status_code == 400 and "Amount" in bad.get_data(as_text=True)
    neither = client.post("/admin/settings/links", data={"csrf_token": csrf, "title": "Tea"})
    assert neither.status_code == 400 and "fixed amount" in neither.get_data(as_text=True)
    made = client.post(
        "/admin/settings/links",
        data={"csrf_token": csrf, "title": "Tea", "amount": "20", "slug": "tea"},
    )
    assert made.status_code == 303
    page = client.get("/admin/settings/links").get_data(as_text=True)
    assert "/l/tea" in page and "Disable" in page
    assert PaymentLink.objects.get(slug="tea").amountPaise == 2000
    assert client.get("/l/tea").status_code == 200

    taken = client.post(
        "/admin/settings/links",
        data={"csrf_token": csrf, "title": "Tea", "amount": "20", "slug": "tea"},
    )
    assert taken.status_code == 409 and "taken" in taken.get_data(as_text=True)

    url = "/admin/settings/links/tea/disable"
    assert client.post(url, data={"csrf_token": csrf}).status_code == 303
    assert client.post(url, data={"csrf_token": csrf}).status_code == 404  # once only
    assert PaymentLink.objects.get(slug="tea").active is False
    assert client.get("/l/tea").status_code == 404
    assert _audited("payment_link_created") == [{"slug": "tea", "by": owner, "via": "console"}]
    assert [d["by"] for d in _audited("payment_link_disabled")] == [owner]


def test_a_key_secret_is_shown_once_never_logged_and_revoking_ends_it(
    owner: str, client: FlaskClient, caplog: pytest.LogCaptureFixture, settings: Settings
) -> None:
    caplog.set_level(logging.DEBUG)
    csrf = _page_token(client)
    made = client.post(
        "/admin/settings/keys", data={"csrf_token": csrf, "name": "backend", "scope": "all"}
    )
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    (record,) = ApiKey.objects
    html = made.get_data(as_text=True)
    start = html.index('id="issued-secret"')
    secret = html[start:].split('value="', 1)[1].split('"', 1)[0]
    assert secret.startswith("sk_test_") and secret[:12] == record.prefix

    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/checkout-sessions", headers=bearer).status_code == 200
    again = client.get("/admin/settings/keys").get_data(as_text=True)
    assert secret not in again and record.prefix in again and "backend" in again
    assert secret not in caplog.text
    assert all(secret not in json.dumps(entry.details) for entry in AuditLog.objects)
    for path in Path(settings.log_dir).glob("**/*"):
        assert not path.is_file() or secret not in path.read_text(errors="replace"), path
    assert _audited("api_key_created") == [
        {
            "keyId": record.keyId,
            "name": "backend",
            "scope": "all",
            "urlToken": False,
            "by": owner,
            "via": "console",
        }
    ]

    evidence = client.post(
        "/admin/settings/keys", data={"csrf_token": csrf, "name": "phone", "scope": "evidence"}
    )
    assert evidence.status_code == 201 and ApiKey.objects.get(name="phone").scope == "evidence"
    token_for_all = {"csrf_token": csrf, "name": "fwd", "scope": "all", "url_token": "y"}
    refused = client.post("/admin/settings/keys", data=token_for_all)
    assert refused.status_code == 400 and "evidence" in refused.get_data(as_text=True)
    relay = client.post("/admin/settings/keys", data={**token_for_all, "scope": "evidence"})
    assert relay.status_code == 201 and ApiKey.objects.get(name="fwd").urlToken is True
    shown = relay.get_data(as_text=True)
    assert "/api/v1/evidence/sms?token=rt_test_" in shown
    ApiKey.objects(name="fwd").delete()
    wrong = client.post(
        "/admin/settings/keys", data={"csrf_token": csrf, "name": "x", "scope": "root"}
    )
    assert wrong.status_code == 400 and ApiKey.objects.count() == 2

    revoke = f"/admin/settings/keys/{record.keyId}/revoke"
    assert client.post(revoke, data={"csrf_token": csrf}).status_code == 303
    assert client.post(revoke, data={"csrf_token": csrf}).status_code == 404
    assert client.get("/api/v1/checkout-sessions", headers=bearer).status_code == 401
    assert [d["keyId"] for d in _audited("api_key_revoked")] == [record.keyId]


def test_owner_adds_tests_and_deletes_a_webhook_endpoint(owner: str, client: FlaskClient) -> None:
    csrf = _page_token(client, "/admin/settings/webhooks")
    refused = client.post(
        "/admin/settings/webhooks", data={"csrf_token": csrf, "url": "http://127.0.0.1/x"}
    )
    assert refused.status_code == 400 and WebhookEndpoint.objects.count() == 0
    made = client.post(
        "/admin/settings/webhooks",
        data={"csrf_token": csrf, "url": HOOK_URL, "events": ["checkout.completed"]},
    )
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    (endpoint,) = WebhookEndpoint.objects
    assert endpoint.events == ["checkout.completed"]
    assert endpoint.secret in made.get_data(as_text=True)
    listed = client.get("/admin/settings/webhooks").get_data(as_text=True)
    assert endpoint.secret not in listed and HOOK_URL in listed

    test = f"/admin/settings/webhooks/{endpoint.endpointId}/test"
    assert client.post(test, data={"csrf_token": csrf}).status_code == 303
    (delivery,) = WebhookDelivery.objects
    assert delivery.type == "webhook.test" and delivery.endpointId == endpoint.endpointId
    body = json.loads(delivery.payload)
    assert body["type"] == "webhook.test" and body["id"] == delivery.eventId
    assert "webhook.test" in client.get("/admin/settings/webhooks").get_data(as_text=True)

    delete = f"/admin/settings/webhooks/{endpoint.endpointId}/delete"
    assert client.post(delete, data={"csrf_token": csrf}).status_code == 303
    assert client.post(delete, data={"csrf_token": csrf}).status_code == 404
    assert client.post(test, data={"csrf_token": csrf}).status_code == 404  # deleted: no test
    assert WebhookEndpoint.objects.get().active is False
    for action in ("webhook_endpoint_added", "webhook_test_sent", "webhook_endpoint_deleted"):
        assert [d["by"] for d in _audited(action)] == [owner], action


def test_the_configuration_page_masks_secrets(owner: str, client: FlaskClient) -> None:
    page = client.get("/admin/settings/config")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "ADMIN_SECRET" in html and "SECRET_KEY" in html
    assert ADMIN_SECRET not in html and "test-secret-key" not in html
    assert "DISPLAY_TIMEZONE" in html and "Asia/Kolkata" in html


def test_running_configuration_masks_passwords_in_urls(settings: Settings) -> None:
    running = settings.with_overrides(
        mongodb_uri="mongodb://shop:hunter2@db1.example:27017,db2.example/shop?authSource=admin",
        smtp_url="smtps://mailer:mailpw@smtp.example:465",
        mail_from="receipts@shop.in",
        evidence_imap_url="imaps://alerts%40shop.in:imappw@imap.example/INBOX",
        ratelimit_storage_uri="redis://:redispw@cache.example:6379/0",
        mobikwik_history_url="https://wallet.example/history?token=tok123&page=1",
        mobikwik_auth="walletsecret",
        metrics_token="metricstoken",
    )
    rows = {row.variable: row for row in owner_settings.running_configuration(running)}
    text = json.dumps([row.value for row in rows.values()])
    for secret in (
        "hunter2",
        "mailpw",
        "imappw",
        "redispw",
        "tok123",
        "walletsecret",
        "metricstoken",
        ADMIN_SECRET,
        "test-secret-key",
    ):
        assert secret not in text, secret
    assert rows["MONGODB_URI"].value.startswith("mongodb://shop:********@db1.example:27017,db2")
    assert "authSource=admin" in rows["MONGODB_URI"].value
    assert rows["RATELIMIT_STORAGE_URI"].value == "redis://:********@cache.example:6379/0"
    assert "page=1" in rows["MOBIKWIK_HISTORY_URL"].value
    assert rows["ADMIN_SECRET"].secret and rows["ADMIN_SECRET"].value == owner_settings.SET
    assert rows["SMTP_URL"].secret and rows["EVIDENCE_IMAP_URL"].secret
    assert rows["SMS_GATEWAY_SIGNING_KEY"].value == owner_settings.UNSET
    assert rows["ALLOWED_ORIGINS"].value == "http://shop.test"
    assert rows["MAX_AMOUNT"].value == "100000.00"  # rupees, as the variable is written
    assert owner_settings.masked_url("no url at all") == "no url at all"
    assert owner_settings.masked_url("redis://token@host/0") == "redis://********@host/0"


def test_the_test_event_reaches_the_receiver_signed(
    settings: Settings, httpserver: HTTPServer
) -> None:
    """Sent by the delivery worker like any event: a receiver verifies it with its secret."""
    received: list[tuple[bytes, str | None]] = []

    def answer(request: Request) -> Response:
        received.append((request.get_data(), request.headers.get(SIGNATURE_HEADER)))
        return Response("ok")

    httpserver.expect_request("/hooks", method="POST").respond_with_handler(answer)
    local = settings.with_overrides(webhook_allow_private=True)
    running = csrf_app(local)
    application = next(running)
    try:
        _send_a_test_event(application, httpserver, received)
    finally:
        running.close()  # stops the app's background work


def _send_a_test_event(
    application: Flask, httpserver: HTTPServer, received: list[tuple[bytes, str | None]]
) -> None:
    gateway: Gateway = application.extensions[EXTENSION_KEY]
    client = application.test_client()
    owner = sign_in(client, gateway, "owner")
    csrf = _page_token(client, "/admin/settings/webhooks")
    made = client.post(
        "/admin/settings/webhooks",
        data={"csrf_token": csrf, "url": httpserver.url_for("/hooks")},
    )
    assert made.status_code == 201, made.get_data(as_text=True)
    endpoint = WebhookEndpoint.objects.get()
    assert "webhook.test" not in endpoint.events  # never subscribed to
    test = f"/admin/settings/webhooks/{endpoint.endpointId}/test"
    assert client.post(test, data={"csrf_token": csrf}).status_code == 303
    sent = outbox.deliver_one(gateway.merchant, gateway.settings, now=clock.utcnow())
    assert sent is not None and WebhookDelivery.objects.get().status == "delivered"
    ((body, signature),) = received
    event = verify(body, signature, endpoint.secret)
    assert event["type"] == "webhook.test" and event["data"]["endpointId"] == endpoint.endpointId
    assert _audited("webhook_test_sent")[0]["by"] == owner
