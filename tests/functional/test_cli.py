"""`flask keys …`, `flask webhooks …` and `flask sandbox sms` through Flask's CLI runner.

With MongoDB (nx-27017 here) the commands work on the store directly; with the
in-memory store they ask the running server over HTTP, so those tests start
the app on a real loopback port, or point at a port where nothing answers.
"""

from __future__ import annotations

import hashlib
import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from mongoengine import disconnect
from werkzeug.serving import make_server

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.storage.merchant import ApiKey, WebhookEndpoint
from checkout.storage.models import PaymentSession
from checkout.storage.store import ALIAS
from checkout.webhooks import signing_key
from tests.conftest import AUTH
from tests.functional.conftest import create_ok
from tests.support.servers import free_port

V1 = "/api/v1/checkout-sessions"
KEY_LINES = re.compile(
    r"key id:\s+(?P<id>key_[0-9a-f]+)\n"
    r"secret key:\s+(?P<secret>sk_(?:test|live)_[A-Za-z0-9_\-]+)\n"
    r"signing key:\s+(?P<signing>[0-9a-f]{64})\n"
)


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def create_key(app: Flask, name: str = "shop") -> dict[str, str]:
    result = run(app, "keys", "create", "--name", name)
    assert result.exit_code == 0, result.output
    found = KEY_LINES.search(result.output)
    assert found, result.output
    assert "cannot be shown again" in result.output
    return found.groupdict()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def local_app(settings: Settings, nx_mongodb_uri: str) -> Iterator[Flask]:
    """The app on a real MongoDB wire server: the CLI works on the store itself."""
    application = create_app(
        settings.with_overrides(
            mongodb_uri=nx_mongodb_uri, mongodb_db_name=f"cli_{uuid.uuid4().hex[:12]}"
        )
    )
    application.config["TESTING"] = True
    gateway: Gateway = application.extensions[EXTENSION_KEY]
    yield application
    PaymentSession._get_db().client.drop_database(gateway.settings.mongodb_db_name)
    disconnect(ALIAS)


@contextmanager
def serving(app: Flask, port: int) -> Iterator[None]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(10)


# -- on the store (MongoDB) -------------------------------------------------------------


def test_keys_create_prints_a_test_key_once_and_stores_its_hash(local_app: Flask) -> None:
    issued = create_key(local_app, "shop")
    secret = issued["secret"]
    assert secret.startswith("sk_test_")  # the sandbox wallet is active
    assert issued["signing"] == signing_key(secret)

    with local_app.app_context():
        stored = list(ApiKey._get_collection().find())
    assert len(stored) == 1
    assert stored[0]["keyId"] == issued["id"] and stored[0]["name"] == "shop"
    assert stored[0]["hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored[0])

    client = local_app.test_client()
    assert client.get(V1, headers=bearer(secret)).status_code == 200
    assert client.get("/api/balance", headers=bearer(secret)).status_code == 200


def test_keys_list_and_revoke(local_app: Flask) -> None:
    shop = create_key(local_app, "shop")
    other = create_key(local_app, "other")
    client = local_app.test_client()

    listed = run(local_app, "keys", "list")
    assert listed.exit_code == 0, listed.output
    lines = listed.output.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(shop["id"]) and "shop" in lines[0] and lines[0].endswith("active")
    assert shop["secret"][:12] in lines[0]
    assert shop["secret"] not in listed.output and other["secret"] not in listed.output

    revoked = run(local_app, "keys", "revoke", shop["id"])
    assert revoked.exit_code == 0 and f"revoked {shop['id']}" in revoked.output
    assert client.get(V1, headers=bearer(shop["secret"])).status_code == 401
    assert client.get(V1, headers=bearer(other["secret"])).status_code == 200

    again = run(local_app, "keys", "revoke", shop["id"])
    assert again.exit_code == 1 and "no active key" in again.output
    states = [line.rsplit(" ", 1)[-1] for line in run(local_app, "keys", "list").output.split("\n")]
    assert states[:2] == ["revoked", "active"]


def test_a_live_wallet_gets_live_keys(settings: Settings, nx_mongodb_uri: str) -> None:
    app = create_app(
        settings.with_overrides(
            mongodb_uri=nx_mongodb_uri,
            mongodb_db_name=f"cli_{uuid.uuid4().hex[:12]}",
            payment_provider="mobikwik",
            mobikwik_auth="token-that-is-never-used",
            mobikwik_api_url="http://127.0.0.1:9/p/wallet/balance",
        )
    )
    try:
        issued = create_key(app, "live shop")
        assert issued["secret"].startswith("sk_live_")
        with app.app_context():
            assert ApiKey.objects.get().mode == "live"
    finally:
        PaymentSession._get_db().client.drop_database(
            app.extensions[EXTENSION_KEY].settings.mongodb_db_name
        )
        disconnect(ALIAS)


def test_webhooks_add_prints_the_secret_once_and_list_never(local_app: Flask) -> None:
    added = run(
        local_app, "webhooks", "add", "https://93.184.215.14/hooks", "--event", "checkout.completed"
    )
    assert added.exit_code == 0, added.output
    secret = re.search(r"secret:\s+(whsec_\S+)", added.output)
    assert secret and "checkout.completed" in added.output
    endpoint_id = re.search(r"endpoint id:\s+(we_[0-9a-f]+)", added.output)
    assert endpoint_id

    listed = run(local_app, "webhooks", "list")
    assert listed.exit_code == 0
    assert endpoint_id.group(1) in listed.output and "https://93.184.215.14/hooks" in listed.output
    assert secret.group(1) not in listed.output

    refused = run(local_app, "webhooks", "add", "http://127.0.0.1:8080/hooks")
    assert refused.exit_code == 1 and "loopback or private" in refused.output
    bad_event = run(local_app, "webhooks", "add", "https://93.184.215.14/x", "--event", "nope")
    assert bad_event.exit_code == 1 and "unknown event types" in bad_event.output
    with local_app.app_context():
        assert WebhookEndpoint.objects.count() == 1


def test_cli_output_escapes_terminal_control_characters(local_app: Flask) -> None:
    """Stored text is someone's input: printed raw, ESC sequences would drive the terminal."""
    hostile_url = "https://93.184.215.14/h\x1b[2J\x1b]0;owned\x07"
    gateway: Gateway = local_app.extensions[EXTENSION_KEY]
    with local_app.app_context():
        gateway.merchant.add_endpoint(
            WebhookEndpoint(
                endpointId="we_0123456789abcdef",
                url=hostile_url,
                secret="whsec_x",
                events=["checkout.completed"],
                createdAt=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
    create_key(local_app, "shop\x1b[31mRED\u202eevil\r\nkey_forged  sk_  admin  active")

    outputs = {
        "webhooks list": run(local_app, "webhooks", "list"),
        "keys list": run(local_app, "keys", "list"),
        "an error echoing input": run(
            local_app, "webhooks", "add", "https://93.184.215.14/x", "--event", "\x1b[2Jnope"
        ),
    }
    for name, result in outputs.items():
        for raw in ("\x1b", "\x07", "\u202e", "\r"):
            assert raw not in result.output, (name, result.output)
    assert "\\x1b[2J\\x1b]0;owned\\x07" in outputs["webhooks list"].output
    listed = outputs["keys list"].output
    assert "shop\\x1b[31mRED\\u202eevil\\r\\nkey_forged" in listed
    assert len(listed.strip().splitlines()) == 1  # no forged second line
    assert "\\x1b[2Jnope" in outputs["an error echoing input"].output
    assert outputs["an error echoing input"].exit_code == 1


def test_webhook_credentials_are_refused_and_never_listed(local_app: Flask) -> None:
    refused = run(local_app, "webhooks", "add", "https://shop:hunter2@93.184.215.14/hooks")
    assert refused.exit_code == 1 and "user name or password" in refused.output
    assert "hunter2" not in refused.output
    gateway: Gateway = local_app.extensions[EXTENSION_KEY]
    with local_app.app_context():
        assert WebhookEndpoint.objects.count() == 0
        gateway.merchant.add_endpoint(  # stored before the rule
            WebhookEndpoint(
                endpointId="we_0123456789abcdef",
                url="https://shop:hunter2@93.184.215.14/hooks",
                secret="whsec_x",
                events=["checkout.completed"],
                createdAt=datetime(2025, 1, 1, tzinfo=UTC),
            )
        )
    listed = run(local_app, "webhooks", "list")
    assert listed.exit_code == 0 and "93.184.215.14/hooks" in listed.output
    assert "hunter2" not in listed.output and "shop:" not in listed.output


# -- the in-memory store: ask the running server ----------------------------------------


def test_with_the_in_memory_store_and_no_server_the_cli_says_so(settings: Settings) -> None:
    port = free_port()  # nothing listens here
    app = create_app(settings.with_overrides(port=port))
    for args in (
        ["keys", "create", "--name", "shop"],
        ["keys", "list"],
        ["keys", "revoke", "key_0"],
        ["webhooks", "add", "https://93.184.215.14/hooks"],
    ):
        result = run(app, *args)
        assert result.exit_code == 1, result.output
        assert f"none answers at http://127.0.0.1:{port}" in result.output
        assert "make run" in result.output
        assert "Traceback" not in result.output
    assert ApiKey.objects.count() == 0


def test_with_the_in_memory_store_the_cli_asks_the_running_server(settings: Settings) -> None:
    port = free_port()
    app = create_app(settings.with_overrides(port=port))
    client = app.test_client()
    with serving(app, port):
        issued = create_key(app, "shop")
        assert issued["secret"].startswith("sk_test_")
        assert client.get(V1, headers=bearer(issued["secret"])).status_code == 200
        stored = ApiKey.objects.get(keyId=issued["id"])
        assert stored.hash == hashlib.sha256(issued["secret"].encode()).hexdigest()

        listed = run(app, "keys", "list")
        assert listed.exit_code == 0 and issued["id"] in listed.output
        assert listed.output.strip().endswith("active")

        assert run(app, "keys", "revoke", issued["id"]).exit_code == 0
        assert client.get(V1, headers=bearer(issued["secret"])).status_code == 401
        unknown = run(app, "keys", "revoke", issued["id"])
        assert unknown.exit_code == 1 and "No active API key" in unknown.output

        added = run(app, "webhooks", "add", "https://93.184.215.14/hooks")
        assert added.exit_code == 0 and "whsec_" in added.output
        listed_hooks: Any = client.get("/api/v1/webhook-endpoints", headers=AUTH).get_json()
        assert [e["url"] for e in listed_hooks["data"]] == ["https://93.184.215.14/hooks"]


def test_a_server_that_refuses_the_admin_secret_is_reported(settings: Settings) -> None:
    port = free_port()
    server_app = create_app(settings.with_overrides(port=port))
    cli_app = create_app(settings.with_overrides(port=port, admin_secret="not-the-servers-secret"))
    with serving(server_app, port):
        result = run(cli_app, "keys", "list")
    assert result.exit_code == 1 and "Invalid API key" in result.output


@pytest.mark.parametrize(
    ("changes", "base"),
    [
        ({"host": "0.0.0.0"}, "http://127.0.0.1:{port}"),  # noqa: S104
        ({"host": "::"}, "http://127.0.0.1:{port}"),
        ({"host": "::1"}, "http://[::1]:{port}"),
        ({"public_url": "http://127.0.0.1:{port}/"}, "http://127.0.0.1:{port}"),
    ],
)
def test_the_cli_finds_the_server_where_it_listens(
    settings: Settings, changes: dict[str, str], base: str
) -> None:
    port = free_port()  # nothing listens here either
    overrides = {name: value.format(port=port) for name, value in changes.items()}
    if "public_url" in overrides:
        overrides["public_url"] = overrides["public_url"].rstrip("/")
    app = create_app(settings.with_overrides(port=port, **overrides))
    result = run(app, "keys", "list")
    assert result.exit_code == 1
    assert f"none answers at {base.format(port=port)} " in result.output


# -- flask sandbox sms --------------------------------------------------------------------


def _sms_completes(app: Flask) -> None:
    create_ok(app.test_client())  # the seed body: ₹1018
    posted = run(app, "sandbox", "sms", "ORD-12345")
    assert posted.exit_code == 0, posted.output
    assert re.fullmatch(
        r"bank SMS for ₹1018 \(UTR [1-9]\d{11}\): credited; completed ORD-12345\n",
        posted.output,
    )
    status = app.test_client().get("/api/payment-status/ORD-12345").get_json()
    assert status == {"status": "completed"}
    again = run(app, "sandbox", "sms", "ORD-12345")
    assert again.exit_code == 1 and "already paid" in again.output


def test_sandbox_sms_on_the_store(local_app: Flask) -> None:
    _sms_completes(local_app)


def test_sandbox_sms_asks_the_running_server(settings: Settings) -> None:
    port = free_port()
    app = create_app(settings.with_overrides(port=port))
    with serving(app, port):
        _sms_completes(app)
