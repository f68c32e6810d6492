"""Every console route, found from the app's own URL map: behind a sign-in (owner-only
ones refuse staff), every post refused without its CSRF token, nothing answered with a
5xx. A route added later without a gate fails here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.admin.access import GATE, OWNER, STAFF
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from tests.functional.console_login import csrf_app, sign_in

# Reached signed out on purpose: signing in, the first owner's setup, signing out.
OPEN = {"admin.login", "admin.login_code", "admin.setup", "admin.logout"}


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    yield from csrf_app(settings)


def _routes(app: Flask) -> list[tuple[str, str, str]]:
    """(endpoint, method, a URL for it with made-up path values) of every console route."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("admin."):
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "nothing-here")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return found


def _gate(app: Flask, endpoint: str) -> str | None:
    gate: str | None = getattr(app.view_functions[endpoint], GATE, None)
    return gate


def test_every_console_route_has_a_gate(app: Flask) -> None:
    routes = _routes(app)
    assert len(routes) > 30  # the walk saw the console
    ungated = sorted({e for e, _, _ in routes if e not in OPEN and _gate(app, e) is None})
    assert ungated == []
    owners = {e for e, _, _ in routes if _gate(app, e) == OWNER}
    assert {"admin.settings_keys", "admin.users_page", "admin.settings_webhooks"} <= owners


def test_signed_out_every_gated_route_leads_to_the_login(app: Flask, client: FlaskClient) -> None:
    for endpoint, method, url in _routes(app):
        if endpoint in OPEN:
            continue
        answer = client.open(url, method=method)
        if method == "GET":
            assert answer.status_code == 302, (url, answer.status_code)
            assert "/admin/login?next=" in answer.headers["Location"], url
        else:  # a post without its token is refused before anything looks at it
            assert answer.status_code == 400, (url, answer.status_code)


def test_signed_in_every_post_needs_its_csrf_token(
    app: Flask, client: FlaskClient, gateway: Gateway
) -> None:
    sign_in(client, gateway, OWNER)
    for endpoint, method, url in _routes(app):
        if method == "POST" and endpoint != "admin.login":
            answer = client.post(url, data={"confirm": "yes"})
            assert answer.status_code == 400, (url, answer.status_code)


def test_staff_are_refused_every_owner_route_and_no_route_fails(
    app: Flask, client: FlaskClient, gateway: Gateway
) -> None:
    sign_in(client, gateway, STAFF)
    for endpoint, method, url in _routes(app):
        if method != "GET" or endpoint in OPEN:
            continue
        answer = client.get(url)
        answer.get_data()  # a streamed export runs to its end inside this request
        answer.close()
        assert answer.status_code < 500, (url, answer.status_code)
        if _gate(app, endpoint) == OWNER:
            assert answer.status_code == 403, (url, answer.status_code)
        else:
            assert answer.status_code in (200, 400, 404), (url, answer.status_code)


@pytest.fixture
def gateway(app: Flask) -> Gateway:
    found: Gateway = app.extensions[EXTENSION_KEY]
    return found
