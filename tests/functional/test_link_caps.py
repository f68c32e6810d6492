"""Amount exhaustion through payment links: caps, not shorter holds.

Every checkout holds a payable amount for its whole grace window, so 100 anonymous
posts to one ₹10 link used to take all 100 amounts for ₹10 for over an hour. Now a
link holds at most LINK_MAX_OPEN pending checkouts, each address opens only a few a
minute, a link's checkouts expire on the link's own (shorter) expiry, and a refusal
says in words when to try again.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY
from checkout.services import links
from checkout.storage.links import LinkSlot, LinkStore, PaymentLink
from checkout.storage.models import AmountReservation, PaymentSession
from tests.conftest import AUTH, Clock, race
from tests.functional.conftest import assert_error
from tests.functional.test_cli import local_app, run  # noqa: F401  (the fixture, reused)

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _app(settings: Settings, **overrides: object) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(**overrides) if overrides else settings)
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


@pytest.fixture
def capped(settings: Settings) -> Iterator[Flask]:
    """Three places per link, so the cap shows without opening twenty checkouts."""
    yield from _app(settings, link_max_open=3)


def visitor(app: Flask, ip: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def open_from_link(
    client: FlaskClient, slug: str = "tea", *, htmx: bool = False, email: str = "a@example.com"
) -> TestResponse:
    page = client.get(f"/l/{slug}")
    assert page.status_code == 200, page.get_data(as_text=True)
    found = CSRF.search(page.get_data(as_text=True))
    assert found
    return client.post(
        f"/l/{slug}",
        data={"csrf_token": found.group(1), "name": "Asha", "email": email},
        headers={"HX-Request": "true"} if htmx else {},
    )


def _seconds(response: TestResponse) -> int:
    """Retry-After, allowing the second flask-limiter may round off when it rewrites it."""
    value = int(response.headers["Retry-After"])
    return value + 1 if value % 60 == 59 else value


def tea_link(clock: Clock, **fields: Any) -> PaymentLink:
    return links.create_link(
        LinkStore(), title="Tea", amount_paise=1000, slug="tea", now=clock(), **fields
    )


def link_sessions() -> list[PaymentSession]:
    return list(PaymentSession.objects(source="link").order_by("createdAt"))


def test_a_link_holds_at_most_link_max_open_pending_checkouts(capped: Flask, clock: Clock) -> None:
    tea_link(clock)
    for n in range(3):
        assert open_from_link(visitor(capped, f"10.0.0.{n}")).status_code == 303
    full = open_from_link(visitor(capped, "10.0.0.9"))
    assert full.status_code == 503
    # The default link expiry here: SESSION_EXPIRY_MINUTES (10) is less than 15.
    assert _seconds(full) == 600
    text = full.get_data(as_text=True)
    assert "Please try again in about 10 minutes." in text
    assert 'role="alert"' in text
    assert len(link_sessions()) == 3
    assert AmountReservation.objects.count() == 3

    # A place comes back as soon as its checkout is over (cancelled here)...
    first = link_sessions()[0].orderId
    cancelled = capped.test_client().post(
        "/api/payment-cancel", json={"orderId": first}, headers=AUTH
    )
    assert cancelled.status_code == 200
    assert open_from_link(visitor(capped, "10.0.0.9")).status_code == 303
    assert open_from_link(visitor(capped, "10.0.0.10")).status_code == 503

    # ... or when it expires unpaid.
    clock.advance(minutes=10)
    for n in range(3):
        assert open_from_link(visitor(capped, f"10.0.1.{n}")).status_code == 303
    pending = [s for s in link_sessions() if s.status == "pending" and s.expiresAt > clock()]
    assert len(pending) == 3


def test_racing_customers_never_open_more_than_the_cap(capped: Flask, clock: Clock) -> None:
    tea_link(clock)
    clients = [visitor(capped, f"10.0.2.{n}") for n in range(10)]
    answers = race(10, lambda n: open_from_link(clients[n]).status_code)
    assert sorted(answers) == [303] * 3 + [503] * 7
    assert len(link_sessions()) == 3


def test_the_cap_is_per_link(capped: Flask, clock: Clock) -> None:
    tea_link(clock)
    links.create_link(LinkStore(), title="Coffee", amount_paise=1000, slug="coffee", now=clock())
    for n in range(3):
        assert open_from_link(visitor(capped, f"10.0.3.{n}")).status_code == 303
    assert open_from_link(visitor(capped, "10.0.3.9"), "coffee").status_code == 303


def test_with_htmx_the_full_link_says_so_in_the_form(capped: Flask, clock: Clock) -> None:
    tea_link(clock)
    for n in range(3):
        assert open_from_link(visitor(capped, f"10.0.4.{n}")).status_code == 303
    full = open_from_link(visitor(capped, "10.0.4.9"), htmx=True)
    # htmx swaps no error answers, so the partial comes as a 200; Retry-After still says when.
    assert full.status_code == 200
    assert _seconds(full) == 600
    assert "Please try again in about 10 minutes." in full.get_data(as_text=True)
    assert "HX-Push-Url" not in full.headers


def test_no_free_amount_at_a_link_is_a_503_that_says_when(settings: Settings, clock: Clock) -> None:
    """At MAX_AMOUNT no suffix fits, so the second checkout finds no amount to hold."""
    for app in _app(settings, max_amount_paise=1000):
        tea_link(clock)
        assert open_from_link(visitor(app, "10.0.5.1")).status_code == 303
        refused = open_from_link(visitor(app, "10.0.5.2"))
        assert refused.status_code == 503
        assert int(refused.headers["Retry-After"]) >= 60
        assert "Try again in about" in refused.get_data(as_text=True)
        assert len(link_sessions()) == 1
        # The refused open gave its place on the link back.
        assert LinkSlot.objects(slug="tea").count() == 1


def test_each_address_opens_only_a_few_checkouts_a_minute(app: Flask, clock: Clock) -> None:
    tea_link(clock)
    same = visitor(app, "10.0.6.1")
    # Posts that open nothing (a typo in the email) do not count.
    for _ in range(3):
        assert open_from_link(same, email="asha@").status_code == 422
    for _ in range(3):
        assert open_from_link(same).status_code == 303
    limited = open_from_link(same)
    assert limited.status_code == 429
    assert "Slow down" in limited.get_data(as_text=True)
    assert open_from_link(visitor(app, "10.0.6.2")).status_code == 303
    assert len(link_sessions()) == 4


@pytest.mark.parametrize(
    ("link_minutes", "session_minutes", "expected"),
    [(None, 10, 10), (None, 60, 15), (5, 60, 5), (45, 10, 45)],
)
def test_link_checkouts_expire_on_the_links_own_expiry(
    settings: Settings,
    clock: Clock,
    link_minutes: int | None,
    session_minutes: int,
    expected: int,
) -> None:
    for app in _app(settings, session_expiry_minutes=session_minutes):
        tea_link(clock, expires_in_minutes=link_minutes)
        assert open_from_link(visitor(app, "10.0.7.1")).status_code == 303
        (session,) = link_sessions()
        assert session.expiresAt - session.createdAt == timedelta(minutes=expected)
        late = timedelta(minutes=expected + settings.late_payment_grace_minutes)
        assert session.payableUntil - session.createdAt == late  # the full grace, kept


def test_the_links_api_sets_the_expiry(client: FlaskClient) -> None:
    body = {"title": "Tea", "amount": "10", "slug": "tea", "expiresInMinutes": 5}
    created = client.post("/api/v1/payment-links", json=body, headers=AUTH)
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json()["expiresInMinutes"] == 5
    assert PaymentLink.objects.get(slug="tea").expiresInMinutes == 5

    default = client.post(
        "/api/v1/payment-links", json={"title": "Chai", "amount": "10"}, headers=AUTH
    )
    assert default.status_code == 201
    assert default.get_json()["expiresInMinutes"] == 10  # SESSION_EXPIRY_MINUTES is less

    for bad in (0, 1441, "5", 2.5):
        refused = client.post(
            "/api/v1/payment-links",
            json={"title": "Tea", "amount": "10", "expiresInMinutes": bad},
            headers=AUTH,
        )
        assert_error(refused, 400, "expiresInMinutes")


def test_flask_links_create_takes_expires_in_minutes(local_app: Flask) -> None:  # noqa: F811
    result = run(
        local_app,
        *("links", "create", "--title", "Tea", "--amount", "10", "--slug", "tea-cli"),
        *("--expires-in-minutes", "7"),
    )
    assert result.exit_code == 0, result.output
    assert PaymentLink.objects.get(slug="tea-cli").expiresInMinutes == 7
    refused = run(
        local_app, "links", "create", "--title", "T", "--amount", "1", "--expires-in-minutes", "0"
    )
    assert refused.exit_code != 0
    assert "--expires-in-minutes" in refused.output
