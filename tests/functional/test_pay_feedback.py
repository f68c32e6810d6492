"""Feedback on every tap, without a browser: cancel asks first (no JS and htmx), "I've paid"
says "not yet" in words and keeps saying it, a 429 says when to try again, the countdown
turns urgent near the end, and a closed payment-link checkout offers "Start again"."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import links
from checkout.storage.links import LinkStore
from checkout.storage.models import PaymentSession
from tests.conftest import AUTH, Clock

V1 = "/api/v1/checkout-sessions"
CSRF = re.compile(r'name="csrf_token"[^>]*\bvalue="([^"]+)"')
HTMX = {"HX-Request": "true"}


def _open(client: FlaskClient, amount: str = "499", **fields: object) -> tuple[str, str]:
    """A checkout from the merchant API: (its pay page path, the page's form token)."""
    answer = client.post(V1, json={"amount": amount, **fields}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    page = urlsplit(answer.get_json()["url"]).path
    return page, _token(client, page)


def _token(client: FlaskClient, page: str) -> str:
    html = client.get(page).get_data(as_text=True)
    found = CSRF.search(html)
    assert found, html
    return found.group(1)


def _status(page: str) -> str:
    token = page.rsplit("/", 1)[-1]
    return str(PaymentSession.objects.get(token=token).status)


# -- cancel asks first ----------------------------------------------------------------------


def test_without_js_cancel_shows_a_confirmation_and_only_yes_cancels(client: FlaskClient) -> None:
    page, token = _open(client)
    asked = client.post(f"{page}/cancel", data={"csrf_token": token})
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert "Cancel this payment?" in html
    assert "Yes, cancel" in html and "No, go back" in html
    assert 'name="confirm" value="yes"' in html
    assert f'href="{page}"' in html  # "No, go back" is a plain link back to the pay page
    assert _status(page) == "pending"

    kept = client.get(page)
    assert kept.status_code == 200 and "paid</button>" in kept.get_data(as_text=True)
    assert _status(page) == "pending"

    done = client.post(f"{page}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert done.status_code == 303
    assert _status(page) == "cancelled"


def test_with_htmx_the_confirmation_swaps_in_as_the_panel(client: FlaskClient) -> None:
    page, token = _open(client)
    asked = client.post(f"{page}/cancel", data={"csrf_token": token}, headers=HTMX)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200
    assert html.lstrip().startswith('<div id="checkout"') and "data-confirm" in html
    assert "<html" not in html and "Yes, cancel" in html
    assert _status(page) == "pending"

    done = client.post(f"{page}/cancel", data={"csrf_token": token, "confirm": "yes"}, headers=HTMX)
    assert done.status_code == 286  # final: htmx stops polling
    assert "Checkout cancelled" in done.get_data(as_text=True)
    assert _status(page) == "cancelled"


def test_the_confirmation_still_needs_the_form_token(client: FlaskClient) -> None:
    page, _ = _open(client)
    refused = client.post(f"{page}/cancel", data={"confirm": "yes"})
    assert refused.status_code == 400
    assert _status(page) == "pending"


# -- "I've paid": busy, then "not yet" in words, kept until the state changes -----------------


def test_ive_paid_says_not_yet_with_the_exact_amount_and_keeps_saying_it(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    page, token = _open(client, "499")
    amount = PaymentSession.objects.get(token=page.rsplit("/", 1)[-1]).amountPaise
    pressed = client.post(f"{page}/paid", data={"csrf_token": token}, headers=HTMX)
    assert pressed.status_code == 200
    busy = pressed.get_data(as_text=True)
    assert "Checking…" in busy and 'aria-busy="true"' in busy
    poll = re.search(r'hx-get="([^"]+)"', busy)
    assert poll
    poll_url = poll.group(1).replace("&amp;", "&")

    clock.advance(seconds=gateway.settings.poll_interval_seconds + 2)  # the early tick is over
    shown = client.get(poll_url, headers=HTMX)
    assert shown.status_code == 200
    html = shown.get_data(as_text=True)
    rupees = f"₹{amount // 100}.{amount % 100:02d}"
    expected = (
        f"We haven't received {rupees} yet. It can take a minute. "
        "If you have paid, enter the UTR from your UPI app."
    )
    assert expected in html
    again = re.search(r'hx-get="([^"]+)"', html)
    assert again
    next_poll = again.group(1).replace("&amp;", "&")
    assert parse_qs(urlsplit(next_poll).query)["noted"] == ["1"]
    for _ in range(3):  # the message stays: nothing changed, nothing to swap or re-announce
        assert client.get(next_poll, headers=HTMX).status_code == 204

    # Without JS, the page's own URL carries the press: a reload still says it.
    reloaded = client.get(f"{page}?{urlsplit(poll_url).query}")
    assert expected in reloaded.get_data(as_text=True)


def test_the_not_yet_message_goes_once_the_state_changes(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    page, token = _open(client, "499")
    client.post(f"{page}/paid", data={"csrf_token": token}, headers=HTMX)
    clock.advance(seconds=gateway.settings.poll_interval_seconds + 2)
    shown = client.get(f"{page}/status?seen=pending&checking=1&noted=1", headers=HTMX)
    assert shown.status_code in (200, 204)
    PaymentSession.objects(token=page.rsplit("/", 1)[-1]).update(set__status="expired")
    closed = client.get(f"{page}/status?seen=pending&checking=1&noted=1", headers=HTMX)
    assert closed.status_code == 286
    assert "received" not in closed.get_data(as_text=True)


# -- 429: when to try again ---------------------------------------------------------------


@pytest.mark.parametrize("htmx", [True, False])
def test_a_rate_limited_button_says_when_to_try_again(client: FlaskClient, htmx: bool) -> None:
    page, token = _open(client)
    headers = HTMX if htmx else {}
    answers = [
        client.post(f"{page}/paid", data={"csrf_token": token}, headers=headers) for _ in range(7)
    ]
    assert all(a.status_code in (200, 303) for a in answers[:6])
    refused = answers[6]
    assert refused.status_code == 429
    seconds = int(refused.headers["Retry-After"])
    assert 0 < seconds <= 60
    assert refused.mimetype == "text/html"
    html = refused.get_data(as_text=True)
    said = re.search(r"Too many tries\. Try again in (\d+) seconds?\.", html)
    assert said and abs(int(said.group(1)) - seconds) <= 1, html  # Retry-After, in words
    # htmx gets the words alone (pay.js shows them in the panel); a plain post, the page.
    assert ("<html" not in html and "data-error-message" in html) is htmx


# -- calm time: urgent near the end --------------------------------------------------------


def test_the_countdown_is_urgent_in_words_in_the_last_two_minutes(
    client: FlaskClient, clock: Clock
) -> None:
    page, _ = _open(client, expiresInMinutes=5)
    calm = client.get(page).get_data(as_text=True)
    assert 'class="expiry"' in calm
    assert re.search(r'<span class="urgent-text" data-urgent-text hidden>', calm)
    assert 'aria-live="polite"' not in calm  # the ticking countdown is in no live region

    clock.advance(minutes=3, seconds=30)
    urgent = client.get(page).get_data(as_text=True)
    assert 'class="expiry urgent"' in urgent
    assert '<span class="urgent-text" data-urgent-text>Less than 2 minutes left</span>' in urgent


# -- payment links: start again, and the cap in words --------------------------------------


def test_a_cancelled_link_checkout_offers_start_again(client: FlaskClient, clock: Clock) -> None:
    links.create_link(LinkStore(), title="Tea", amount_paise=1000, slug="tea", now=clock())
    form = client.get("/l/tea").get_data(as_text=True)
    found = CSRF.search(form)
    assert found
    opened = client.post(
        "/l/tea", data={"csrf_token": found.group(1), "name": "Asha", "email": "a@example.com"}
    )
    assert opened.status_code == 303
    page = urlsplit(opened.headers["Location"]).path
    token = _token(client, page)
    client.post(f"{page}/cancel", data={"csrf_token": token, "confirm": "yes"})
    cancelled = client.get(page).get_data(as_text=True)
    assert "Checkout cancelled" in cancelled
    assert re.search(r'<a class="button" href="/l/tea">Start again</a>', cancelled)


def test_an_api_checkout_has_no_start_again(client: FlaskClient) -> None:
    page, token = _open(client)
    client.post(f"{page}/cancel", data={"csrf_token": token, "confirm": "yes"})
    assert "Start again" not in client.get(page).get_data(as_text=True)


@pytest.fixture
def capped(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings.with_overrides(max_amount_paise=100_000_00))
    app.config["TESTING"] = True
    yield app
    app.extensions[EXTENSION_KEY].stop_background()


@pytest.mark.parametrize("htmx", [False, True])
def test_the_link_page_says_in_words_when_the_cap_leaves_no_amount(
    capped: Flask, clock: Clock, htmx: bool
) -> None:
    client = capped.test_client()
    first = client.post(V1, json={"orderId": "CAP-1", "amount": "100000"}, headers=AUTH)
    assert first.status_code == 201
    links.create_link(LinkStore(), title="Gold", amount_paise=100_000_00, slug="gold", now=clock())
    found = CSRF.search(client.get("/l/gold").get_data(as_text=True))
    assert found
    answer = client.post(
        "/l/gold",
        data={"csrf_token": found.group(1), "name": "Asha", "email": "a@example.com"},
        headers=HTMX if htmx else {},
    )
    assert answer.status_code == (200 if htmx else 503)
    assert int(answer.headers["Retry-After"]) > 60
    html = answer.get_data(as_text=True)
    alert = re.search(r'<p class="error unavailable" role="alert">([^<]+)</p>', html)
    assert alert, html
    assert re.search(r"Try again in about \d+ minutes?\.", alert.group(1))
    assert PaymentSession.objects(source="link").count() == 0


def test_the_confirmation_and_the_page_words_are_in_the_customers_language(
    app: Flask, client: FlaskClient
) -> None:
    page, token = _open(client)
    asked = client.post(f"{page}/cancel?lang=hi", data={"csrf_token": token}).get_data(as_text=True)
    with app.test_request_context(), force_locale("hi"):
        heading = gettext("Cancel this payment?")
        offline = gettext(
            "No connection. Check your internet connection and try again; "
            "your payment is not affected."
        )
    assert heading != "Cancel this payment?"  # the catalogue has it
    assert f">{heading}</h1>" in asked
    words = re.search(
        r'<script type="application/json" id="pay-messages"[^>]*>([^<]+)</script>', asked
    )
    assert words
    assert json.loads(words.group(1))["offline"] == offline
