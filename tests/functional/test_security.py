"""Who may call what: CORS, security headers, rate limits, Bearer keys, logs, JSON numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY
from checkout.storage.models import AuditLog, Nonce
from tests.conftest import ADMIN_SECRET, AUTH, SHOP_ORIGIN, Clock
from tests.functional.conftest import (
    assert_error,
    create,
    create_ok,
    get_nonce,
    seed_body,
    stored_counts,
)

CREATE = "/api/create-payment-session"
Pay = Callable[[str], dict[str, Any]]


# -- CORS ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/nonce"), ("get", "/api/upi-qr?amount=1"), ("get", "/api/payment-status/X")],
)
def test_allowed_origin_is_echoed(client: FlaskClient, method: str, path: str) -> None:
    response = getattr(client, method)(path, headers={"Origin": SHOP_ORIGIN})
    assert response.status_code in (200, 404)
    assert response.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_allowed_origin_can_create_a_session(client: FlaskClient) -> None:
    headers = {"Origin": SHOP_ORIGIN, "Referer": f"{SHOP_ORIGIN}/cart?step=2"}
    nonce = client.get("/api/nonce", headers=headers).get_json()["nonce"]
    response = client.post(CREATE, json=seed_body(nonce), headers=headers)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN


def test_preflight_from_an_allowed_origin(client: FlaskClient) -> None:
    response = client.options(
        CREATE,
        headers={
            "Origin": SHOP_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == SHOP_ORIGIN
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    assert "content-type" in response.headers["Access-Control-Allow-Headers"].lower()
    assert stored_counts()["sessions"] == 0


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://evil.test"},
        {"Origin": "http://shop.test.evil.test"},
        {"Origin": "http://shop.test:8080"},
        {"Origin": "https://shop.test"},
        {"Origin": "null"},
        {"Referer": "http://evil.test/page"},
        {"Referer": "http://shop.test@evil.test/"},
        {"Origin": "http://evil.test", "Referer": f"{SHOP_ORIGIN}/cart"},
    ],
    ids=["foreign", "suffix", "port", "scheme", "null", "referer", "userinfo", "origin-wins"],
)
def test_foreign_origin_or_referer_is_403_and_changes_nothing(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    nonce = get_nonce(client)
    before = stored_counts()
    response = client.post(CREATE, json=seed_body(nonce), headers=headers)
    assert_error(response, 403)
    claimed = headers.get("Origin") or headers["Referer"]
    assert response.headers.get("Access-Control-Allow-Origin") in (None, SHOP_ORIGIN)
    assert claimed not in response.headers.get("Access-Control-Allow-Origin", "")
    assert stored_counts() == before
    assert Nonce.objects.get(nonce=nonce).used is False
    assert_error(client.get("/api/nonce", headers=headers), 403)
    assert_error(
        client.options(CREATE, headers={**headers, "Access-Control-Request-Method": "POST"}), 403
    )


def test_no_origin_is_a_server_and_allowed(client: FlaskClient) -> None:
    response = create(client)
    assert response.status_code == 200
    assert client.get("/api/upi-qr?amount=1").status_code == 200


def test_the_gateway_own_origin_is_allowed(client: FlaskClient) -> None:
    """Hosted pages call the API from the gateway's own origin."""
    response = client.get("/api/nonce", headers={"Origin": "http://localhost"})
    assert response.status_code == 200


# -- security headers ---------------------------------------------------------------------


def _check_security_headers(response: TestResponse) -> str:
    csp = response.headers["Content-Security-Policy"]
    directives = {
        part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part.strip()
    }
    script_src = directives["script-src"]
    nonce = re.search(r"'nonce-([A-Za-z0-9_\-+/=]{16,})'", script_src)
    assert nonce, csp
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "frame-ancestors" in directives
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers
    return nonce.group(1)


def test_security_headers_on_every_kind_of_response(client: FlaskClient) -> None:
    session = create_ok(client)
    page = urlsplit(session["url"]).path
    responses = [
        client.get("/health"),
        client.get("/api/nonce"),
        client.get("/api/upi-qr?amount=5"),
        client.get("/api/payment-status/ORD-12345"),
        client.get("/api/payment-status/NOPE"),
        client.post(CREATE, data="nope"),
        client.get("/api/balance"),
        client.get("/api/nonce", headers={"Origin": "http://evil.test"}),
        client.get("/"),
        client.get(page),
        client.get("/no/such/page"),
    ]
    nonces = {_check_security_headers(response) for response in responses}
    assert len(nonces) == len(responses), "a CSP nonce must be fresh per response"


def test_page_scripts_carry_the_csp_nonce(client: FlaskClient) -> None:
    page = client.get(urlsplit(create_ok(client)["url"]).path)
    nonce = _check_security_headers(page)
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts
    for tag in scripts:
        assert f'nonce="{nonce}"' in tag, tag


def test_hsts_only_in_production(settings: Settings, nx_mongodb_uri: str, httpserver: Any) -> None:
    production = settings.with_overrides(
        app_env="production",
        mongodb_uri=nx_mongodb_uri,
        payment_provider="mobikwik",
        mobikwik_auth="tok",
        mobikwik_api_url=httpserver.url_for("/balance"),
        upi_id="shop@okaxis",
    )
    application = create_app(production)
    try:
        secure = application.test_client().get("/health", base_url="https://gateway.test")
        assert secure.status_code == 200
        hsts = secure.headers["Strict-Transport-Security"]
        assert re.search(r"max-age=(\d+)", hsts) and int(re.findall(r"\d+", hsts)[0]) >= 86400
        assert secure.headers["X-Content-Type-Options"] == "nosniff"
    finally:
        application.extensions[EXTENSION_KEY].stop_background()
    # The same request to a development app carries no HSTS.
    development = create_app(settings)
    plain = development.test_client().get("/health", base_url="https://gateway.test")
    assert "Strict-Transport-Security" not in plain.headers


# -- rate limits --------------------------------------------------------------------------


def _create_from(client: FlaskClient, remote: str, forwarded: str | None = None) -> TestResponse:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    environ = {"REMOTE_ADDR": remote}
    nonce = client.get("/api/nonce", headers=headers, environ_base=environ).get_json()["nonce"]
    body = seed_body(nonce)
    del body["orderId"]
    return client.post(CREATE, json=body, headers=headers, environ_base=environ)


def test_create_is_limited_per_ip(client: FlaskClient, settings: Settings) -> None:
    assert settings.rate_limit_max_requests == 5
    for _ in range(5):
        assert _create_from(client, "203.0.113.7").status_code == 200
    before = stored_counts()
    refused = _create_from(client, "203.0.113.7")
    assert_error(refused, 429)
    retry_after = refused.headers["Retry-After"]
    assert retry_after.isdigit() and 0 < int(retry_after) <= 600
    assert stored_counts() == before
    # Another client is not affected.
    assert _create_from(client, "203.0.113.8").status_code == 200


def test_rate_limit_counts_refused_requests_too(client: FlaskClient) -> None:
    for _ in range(5):
        assert client.post(CREATE, json={}).status_code == 400
    assert_error(create(client), 429)


def test_rate_limit_follows_the_setting(settings: Settings) -> None:
    client = create_app(settings.with_overrides(rate_limit_max_requests=2)).test_client()
    assert _create_from(client, "198.51.100.1").status_code == 200
    assert _create_from(client, "198.51.100.1").status_code == 200
    assert_error(_create_from(client, "198.51.100.1"), 429)


def test_status_polling_is_not_limited_like_create(client: FlaskClient) -> None:
    create_ok(client)
    for _ in range(30):
        assert client.get("/api/payment-status/ORD-12345").status_code == 200


def test_nonces_are_limited_generously(client: FlaskClient) -> None:
    for _ in range(120):
        assert client.get("/api/nonce").status_code == 200
    refused = client.get("/api/nonce")
    assert_error(refused, 429)
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/api/nonce", environ_base={"REMOTE_ADDR": "192.0.2.50"}).status_code == 200


def test_spoofed_forwarded_for_does_not_escape_the_limit_without_proxies(
    client: FlaskClient, settings: Settings
) -> None:
    assert settings.trusted_proxies == 0
    for i in range(5):
        assert _create_from(client, "203.0.113.7", forwarded=f"10.0.0.{i}").status_code == 200
    assert_error(_create_from(client, "203.0.113.7", forwarded="10.0.0.99"), 429)
    entry = AuditLog.objects(action="session_created").first()
    assert entry.ip == "203.0.113.7"


def test_with_one_trusted_proxy_each_forwarded_client_counts_separately(
    settings: Settings,
) -> None:
    client = create_app(settings.with_overrides(trusted_proxies=1)).test_client()
    proxy = "10.0.0.1"
    for _ in range(5):
        assert _create_from(client, proxy, forwarded="198.51.100.20").status_code == 200
    assert _create_from(client, proxy, forwarded="198.51.100.21").status_code == 200
    assert_error(_create_from(client, proxy, forwarded="198.51.100.20"), 429)
    # Only the last hop is trusted: a client cannot prepend its own address.
    assert_error(_create_from(client, proxy, forwarded="192.0.2.1, 198.51.100.20"), 429)
    ips = {entry.ip for entry in AuditLog.objects(action="session_created")}
    assert ips == {"198.51.100.20", "198.51.100.21"}


# -- Bearer-protected endpoints -----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Bearer wrong-secret"},
        {"Authorization": f"Bearer {ADMIN_SECRET}x"},
        {"Authorization": f"Bearer {ADMIN_SECRET[:-1]}"},
        {"Authorization": f"Basic {ADMIN_SECRET}"},
        {"Authorization": ADMIN_SECRET},
        {"X-Admin-Secret": ADMIN_SECRET},
    ],
    ids=[
        "none",
        "empty",
        "scheme-only",
        "blank",
        "wrong",
        "longer",
        "shorter",
        "basic",
        "bare",
        "other-header",
    ],
)
@pytest.mark.parametrize("path", ["/api/balance", "/api/order/ORD-12345"])
def test_merchant_endpoints_need_the_bearer_key(
    client: FlaskClient, pay: Pay, path: str, headers: dict[str, str]
) -> None:
    create_ok(client)
    pay("ORD-12345")
    response = client.get(path, headers=headers)
    assert_error(response, 401)
    assert "ORD-12345" not in response.get_data(as_text=True)
    assert "balance" not in response.get_json()


def test_balance_reads_the_sandbox_wallet(client: FlaskClient) -> None:
    assert client.get("/api/balance", headers=AUTH).get_json() == {"balance": 0}
    assert client.post("/api/sandbox/credit", json={"amount": "500.25"}).status_code == 200
    response = client.get("/api/balance", headers=AUTH)
    assert response.status_code == 200
    assert re.search(r'"balance": ?500\.25[,}]', response.get_data(as_text=True))


def test_order_with_the_key_but_unknown_or_unpaid_is_404(client: FlaskClient) -> None:
    create_ok(client)
    assert_error(client.get("/api/order/ORD-12345", headers=AUTH), 404, "orderId")
    assert_error(client.get("/api/order/NOPE", headers=AUTH), 404, "orderId")


def test_no_admin_secret_means_no_merchant_access(settings: Settings) -> None:
    client = create_app(settings.with_overrides(admin_secret="")).test_client()
    assert_error(client.get("/api/balance", headers={"Authorization": "Bearer x"}), 401)
    assert_error(client.get("/api/balance", headers={"Authorization": "Bearer "}), 401)


# -- logs and audit -----------------------------------------------------------------------


REQUEST_LINE = re.compile(
    r"(GET|POST|OPTIONS) (/\S*) (\d{3}) (\d+\.\d+)ms (\d{1,3}(?:\.\d{1,3}){3})$"
)


def _log_text(settings: Settings, name: str) -> str:
    path = Path(settings.log_dir) / name
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _run_flow(client: FlaskClient, pay: Pay) -> dict[str, Any]:
    nonce = get_nonce(client)
    session = client.post(CREATE, json=seed_body(nonce)).get_json()
    client.get("/api/payment-status/ORD-12345")
    pay("ORD-12345")
    client.get("/api/order/ORD-12345", headers=AUTH)
    client.get("/api/balance", headers={"Authorization": "Bearer not-the-secret-0123"})
    client.get(urlsplit(session["url"]).path)
    client.get(urlsplit(session["url"]).path + "/status")
    create_ok(client, orderId="ORD-2")
    client.post("/api/payment-cancel", json={"orderId": "ORD-2"})
    return {"nonce": nonce, "token": urlsplit(session["url"]).path.rsplit("/", 1)[1]}


def test_request_lines_in_combined_log(client: FlaskClient, settings: Settings, pay: Pay) -> None:
    _run_flow(client, pay)
    lines = [
        match.groups()
        for line in _log_text(settings, "combined.log").splitlines()
        if (match := REQUEST_LINE.search(line))
    ]
    seen = {(method, path, status) for method, path, status, _, _ in lines}
    assert ("GET", "/api/nonce", "200") in seen
    assert ("POST", CREATE, "200") in seen
    assert ("GET", "/api/payment-status/ORD-12345", "200") in seen
    assert ("POST", "/api/sandbox/credit", "200") in seen
    assert ("GET", "/api/order/ORD-12345", "200") in seen
    assert ("GET", "/api/balance", "401") in seen
    assert ("POST", "/api/payment-cancel", "200") in seen
    assert {ip for *_, ip in lines} == {"127.0.0.1"}
    assert all(float(duration) >= 0 for _, _, _, duration, _ in lines)


def test_no_secret_reaches_a_log(client: FlaskClient, settings: Settings, pay: Pay) -> None:
    secrets = _run_flow(client, pay)
    client.get("/api/balance", headers={"Authorization": f"Bearer {ADMIN_SECRET}"})
    client.post(CREATE, json=seed_body(secrets["nonce"], orderId="ORD-3"))  # a replay
    logs = _log_text(settings, "combined.log") + _log_text(settings, "error.log")
    assert "/api/nonce" in logs
    for secret in (
        secrets["nonce"],
        secrets["token"],
        ADMIN_SECRET,
        "not-the-secret-0123",
        settings.secret_key,
    ):
        assert secret not in logs


def test_json_log_format(settings: Settings) -> None:
    json_settings = settings.with_overrides(log_format="json")
    client = create_app(json_settings).test_client()
    client.get("/api/nonce")
    lines = _log_text(json_settings, "combined.log").splitlines()
    entries = [json.loads(line) for line in lines]
    assert any(
        entry["logger"] == "checkout.requests" and REQUEST_LINE.search(entry["message"])
        for entry in entries
    )
    assert all({"time", "level", "message"} <= entry.keys() for entry in entries)


def test_audit_trail_in_the_logs_collection(client: FlaskClient, clock: Clock, pay: Pay) -> None:
    environ = {"REMOTE_ADDR": "203.0.113.9"}
    nonce = client.get("/api/nonce", environ_base=environ).get_json()["nonce"]
    assert client.post(CREATE, json=seed_body(nonce), environ_base=environ).status_code == 200
    created_at = clock.current
    pay("ORD-12345")
    nonce = client.get("/api/nonce", environ_base=environ).get_json()["nonce"]
    body = seed_body(nonce, orderId="ORD-2")
    assert client.post(CREATE, json=body, environ_base=environ).status_code == 200
    clock.advance(seconds=5)
    assert (
        client.post(
            "/api/payment-cancel", json={"orderId": "ORD-2"}, environ_base=environ
        ).status_code
        == 200
    )

    created = AuditLog.objects.get(action="session_created", orderId="ORD-12345")
    assert created.ip == "203.0.113.9" and created.timestamp == created_at
    completed = AuditLog.objects.get(action="payment_completed", orderId="ORD-12345")
    assert completed.timestamp > created_at
    cancelled = AuditLog.objects.get(action="session_cancelled", orderId="ORD-2")
    assert cancelled.ip == "203.0.113.9" and cancelled.timestamp == clock.current
    raw = AuditLog._get_collection().find_one({"action": "session_created"})
    assert {"action", "orderId", "ip", "timestamp"} <= raw.keys()


# -- JSON numbers -------------------------------------------------------------------------


def test_json_floats_are_read_as_decimals(app: Flask) -> None:
    parsed = app.json.loads('{"a": 0.1, "b": 0.30000000000000000001, "c": 1018}')
    assert parsed["a"] == Decimal("0.1") and isinstance(parsed["a"], Decimal)
    assert parsed["b"] == Decimal("0.30000000000000000001")
    assert isinstance(parsed["c"], int)
    with pytest.raises(ValueError):
        app.json.loads('{"a": NaN}')


def test_a_float_never_becomes_a_python_float(client: FlaskClient, pay: Pay) -> None:
    # As floats, 0.1 + 0.2 is 0.30000000000000004 and 1.10 prints as 1.1.
    details = {"price": Decimal("1.10"), "weight": Decimal("0.30000000000000000001"), "n": 3}
    text = json.dumps(seed_body(get_nonce(client), basePrice=0.1, tax=0.2, productDetails={}))
    text = text.replace(
        '"productDetails": {}',
        '"productDetails": {"price": 1.10, "weight": 0.30000000000000000001, "n": 3, "big": 1E+3}',
    )
    response = client.post(CREATE, data=text, content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)
    assert re.search(r'"amount": ?0\.3[,}]', response.get_data(as_text=True))
    pay("ORD-12345")
    order = client.get("/api/order/ORD-12345", headers=AUTH)
    assert order.status_code == 200, order.get_data(as_text=True)
    raw = order.get_data(as_text=True)
    assert re.search(r'"price": ?1\.10[,}]', raw), raw
    assert re.search(r'"weight": ?0\.30000000000000000001[,}]', raw), raw
    assert re.search(r'"totalAmount": ?0\.3[,}]', raw), raw
    parsed = json.loads(raw, parse_float=Decimal)["order"]["productDetails"]
    assert parsed["price"] == details["price"]
    assert parsed["weight"] == details["weight"]
    assert parsed["big"] == Decimal("1000")


def test_json_strings_that_look_like_numbers_stay_strings(client: FlaskClient, pay: Pay) -> None:
    create_ok(client, productDetails={"sku": "1018", "note": '"@num@1@num@"'})
    pay("ORD-12345")
    order = client.get("/api/order/ORD-12345", headers=AUTH).get_json()["order"]
    assert order["productDetails"] == {"sku": "1018", "note": '"@num@1@num@"'}


def test_the_redaction_keeps_the_request_line_readable(
    client: FlaskClient, settings: Settings
) -> None:
    token = urlsplit(create_ok(client)["url"]).path.rsplit("/", 1)[1]
    client.get(f"/pay/{token}")
    logs = _log_text(settings, "combined.log")
    assert token not in logs
    assert re.search(r"GET /pay/\[redacted\] 200 \d+\.\dms 127\.0\.0\.1", logs), logs
