"""Who may call what: CORS, security headers, rate limits, Bearer keys, logs, JSON numbers."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.extensions import csp_sources
from checkout.gateway import EXTENSION_KEY
from checkout.storage.models import AuditLog, Nonce, PaymentSession
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


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/api/nonce", None),
        ("post", "/api/payment-cancel", {"orderId": "ORD-12345"}),
        ("post", "/api/payment-done", {"orderId": "ORD-12345"}),
    ],
)
def test_an_origin_equal_to_the_request_host_is_not_allowed(
    client: FlaskClient, method: str, path: str, body: dict[str, str] | None
) -> None:
    """The Host header is the client's to choose: a page cannot allow itself with it."""
    create_ok(client)
    for host in ("localhost", "gateway.test", "evil.test"):
        response = getattr(client, method)(
            path, json=body, base_url=f"http://{host}", headers={"Origin": f"http://{host}"}
        )
        assert_error(response, 403, "Origin")
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "pending"}


def test_an_origin_equal_to_public_url_is_allowed(settings: Settings) -> None:
    client = create_app(settings.with_overrides(public_url="https://pay.example")).test_client()
    headers = {"Origin": "https://pay.example"}
    nonce = client.get("/api/nonce", headers=headers, base_url="https://pay.example")
    assert nonce.status_code == 200
    created = client.post(CREATE, json=seed_body(nonce.get_json()["nonce"]), headers=headers)
    assert created.status_code == 200, created.get_data(as_text=True)
    cancelled = client.post("/api/payment-cancel", json={"orderId": "ORD-12345"}, headers=headers)
    assert cancelled.status_code == 200
    # Its path or another port is not its origin.
    assert_error(client.get("/api/nonce", headers={"Origin": "https://pay.example:8443"}), 403)
    assert (
        client.get("/api/nonce", headers={"Referer": "https://pay.example/pay/x"}).status_code
        == 200
    )


def _csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token"[^>]*\bvalue="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_the_pay_page_own_htmx_posts_still_work_with_its_origin(client: FlaskClient) -> None:
    """Its forms post to /pay/..., guarded by a checkout-bound CSRF token, not by Origin."""
    page = urlsplit(create_ok(client)["url"]).path
    same_origin = {"Origin": "http://localhost", "Referer": f"http://localhost{page}"}
    token = _csrf_token(client.get(page).get_data(as_text=True))
    htmx = {**same_origin, "HX-Request": "true"}
    answer = client.post(
        f"{page}/cancel", data={"csrf_token": token, "confirm": "yes"}, headers=htmx
    )
    assert answer.status_code in (200, 286), answer.get_data(as_text=True)
    assert client.get("/api/payment-status/ORD-12345").get_json() == {"status": "cancelled"}


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
        wallet_receive_only=True,
        secret_key="s" * 32,
        allowed_origins=("https://shop.test",),
        metrics_token="m" * 32,
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


# -- merchant URLs in headers and policies --------------------------------------------------

V1 = "/api/v1/checkout-sessions"
VISIBLE_ASCII = re.compile(r"[!-~]+(?: [!-~]+)*")  # what gunicorn lets through, and no more


def assert_headers_ascii(response: TestResponse) -> None:
    """Every header value as gunicorn would send it: visible ASCII and single spaces."""
    for name, value in response.headers.items():
        assert VISIBLE_ASCII.fullmatch(value), (name, value)


@pytest.mark.parametrize("field", ["returnUrl", "cancelUrl"])
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("https://shop.example/thanks\n?x=1", "control characters"),
        ("https://shop.example/th\ranks", "control characters"),
        ("https://shop.example/\tthanks", "control characters"),
        ("https://shop.example/\x7f", "control characters"),
        ("https://shop.example/th\x85anks", "control characters"),
        ("https://shop.example;script-src https://evil.example/", ";"),
        ("https://shop.example:443;report-uri /x/", ";"),
        ("https://shop example/", "spaces"),
        ("https://shop.example,evil.example/", "','"),
        ("https://'unsafe-inline'/", "quotes"),
        ("https://shop.example\u3000/", "spaces"),
        ("https://user:secret@shop.example/", "user name"),
        ("https://धन्यवाद.example/", "ASCII host"),
        ("https://shop.example:99999/", "port"),
        ("javascript:alert(1)", "http(s)"),
    ],
)
def test_merchant_urls_a_header_or_policy_cannot_carry_are_refused(
    client: FlaskClient, field: str, url: str, words: str
) -> None:
    before = stored_counts()
    response = client.post(V1, json={"amount": 10, field: url}, headers=AUTH)
    details = assert_error(response, 400, field)
    assert words in details[0]["message"], details
    assert stored_counts() == before


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/thanks;jsessionid=0A1B2C?cart=42",
        "https://shop.example/धन्यवाद?note=शुक्रिया#top",
        "https://shop.example/a%20b/c d",
        "http://[::1]:8080/back",
        "https://xn--p1ai.example/",
    ],
)
def test_odd_but_legal_merchant_urls_are_kept(client: FlaskClient, url: str) -> None:
    response = client.post(V1, json={"amount": 10, "returnUrl": url}, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["returnUrl"] == url


def _open_with_urls(client: FlaskClient, **urls: str) -> tuple[dict[str, Any], str]:
    response = client.post(V1, json={"amount": 10, "orderId": "ORD-URL", **urls}, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    opened: dict[str, Any] = response.get_json()
    return opened, urlsplit(opened["url"]).path


def test_a_non_ascii_return_url_reaches_hx_redirect_percent_encoded(
    client: FlaskClient, pay: Pay
) -> None:
    """The paid customer's polling page must leave for the merchant, not poll into 500s."""
    thanks = "https://shop.example/धन्यवाद?note=शुक्रिया"
    _, page = _open_with_urls(client, returnUrl=thanks)
    pay("ORD-URL")
    for _ in range(2):  # every poll answers the same, never a 500
        fragment = client.get(f"{page}/status", headers={"HX-Request": "true"})
        assert fragment.status_code == 200
        assert_headers_ascii(fragment)
        target = fragment.headers["HX-Redirect"]
        assert target.startswith("https://shop.example/%E0%A4%A7%E0%A4%A8")
        assert unquote(target).startswith(thanks + "&orderId=ORD-URL&status=completed")
    assert_headers_ascii(client.get(page))


def test_a_non_ascii_cancel_url_reaches_location_percent_encoded(client: FlaskClient) -> None:
    back = "https://shop.example/कार्ट/वापस"
    _, page = _open_with_urls(client, returnUrl="https://shop.example/ok", cancelUrl=back)
    token = _csrf_token(client.get(page).get_data(as_text=True))
    answer = client.post(f"{page}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert answer.status_code == 303
    assert_headers_ascii(answer)
    assert unquote(answer.headers["Location"]).startswith(back + "?orderId=ORD-URL")


def test_urls_stored_before_the_api_refused_them_still_give_ascii_headers(
    client: FlaskClient, pay: Pay
) -> None:
    _, page = _open_with_urls(client, returnUrl="https://shop.example/ok")
    PaymentSession.objects(orderId="ORD-URL").update(
        set__returnUrl="https://shop.example/a\r\nSet-Cookie: x=1\x00 é"
    )
    pay("ORD-URL")
    fragment = client.get(f"{page}/status", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert_headers_ascii(fragment)
    assert "Set-Cookie" not in fragment.headers
    # (urlsplit drops the CR LF, as browsers do; the rest is escaped)
    assert fragment.headers["HX-Redirect"].startswith("https://shop.example/aSet-Cookie:%20x=1%00")


def _directives(response: TestResponse) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {
        part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";") if part.strip()
    }


def test_a_stored_origin_with_a_semicolon_never_reaches_the_policy(client: FlaskClient) -> None:
    _, page = _open_with_urls(
        client, returnUrl="https://shop.example/ok", cancelUrl="https://back.example/cart"
    )
    normal = _directives(client.get(page))
    assert normal["form-action"] == "form-action 'self' https://back.example https://shop.example"
    PaymentSession.objects(orderId="ORD-URL").update(
        set__returnUrl="https://shop.example;script-src *;x/",
        set__cancelUrl="https://a.example,'unsafe-inline' b/",
    )
    hostile = client.get(page)
    assert hostile.status_code == 200
    assert_headers_ascii(hostile)
    assert _directives(hostile).keys() == normal.keys()
    assert _directives(hostile)["form-action"] == "form-action 'self'"
    assert "script-src *" not in hostile.headers["Content-Security-Policy"]


@pytest.mark.parametrize(
    ("origins", "kept"),
    [
        (
            ["https://shop.example", "http://localhost:3000"],
            ["https://shop.example", "http://localhost:3000"],
        ),
        (["https://a.example", "https://a.example"], ["https://a.example"]),
        (["http://[::1]:8080"], ["http://[::1]:8080"]),
        (["https://a.example;script-src *"], []),
        (["https://a.example,https://b.example"], []),
        (["https://a.example https://b.example"], []),
        (["https://a.example\t"], []),
        (["'unsafe-inline'", "https://'x'"], []),
        (['https://"a".example'], []),
        (["https://ä.example"], []),
        (["*", "https:", "data:"], []),
    ],
)
def test_the_policy_builder_skips_anything_but_a_plain_origin(
    origins: list[str], kept: list[str]
) -> None:
    assert csp_sources(origins) == kept


def test_a_bad_allowed_origin_never_reaches_frame_ancestors(settings: Settings) -> None:
    hostile = settings.with_overrides(
        allowed_origins=(SHOP_ORIGIN, "https://x.example; script-src *")
    )
    client = create_app(hostile).test_client()
    page = urlsplit(create_ok(client)["url"]).path
    embedded = client.get(f"{page}?embed=1")
    assert _directives(embedded)["frame-ancestors"] == f"frame-ancestors {SHOP_ORIGIN}"
    assert "script-src *" not in embedded.headers["Content-Security-Policy"]
