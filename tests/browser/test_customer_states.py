"""The customer's states that the page-by-page axe test does not reach by URL alone, in each
language, at 360 px: "not yet" after "I've paid", the UTR answers, the cancel question, the
receipt with its UTR, expired, expired and cancelled from a payment link ("Start again"),
the link form's errors, the embedded page, a refusal said in the panel (JavaScript on) and
the readable 429 page without JavaScript.

Each is checked by axe-core in light and dark and kept as a screenshot in
test-artifacts/customer-pages/<state>-<lang>.png, beside test_customer_pages_a11y.py's
(issue 11). Hindi is drawn with a real Devanagari font (scripts/ensure-chromium installs
fonts-noto-core), never boxes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from checkout.services import checkouts, links
from checkout.storage.models import PaymentSession
from tests.browser.axe import axe_violations
from tests.browser.conftest import ARTIFACTS, BrowserLog, LiveGateway, phone_screenshot
from tests.browser.test_customer_pages_a11y import LANGUAGES

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "customer-pages"
DEVANAGARI_FONT = Path("/usr/share/fonts/truetype/noto/NotoSansDevanagari-Regular.ttf")
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
CSRF = re.compile(r'name="csrf_token"[^>]*\bvalue="([^"]+)"')
# What Chromium logs for the 429 and the 503 this test asks for on purpose.
REFUSED = r"Failed to load resource: the server responded with a status of (429|503)"


class Shots:
    """Checks and keeps one state: its language, axe in light and dark, a screenshot."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.taken: list[str] = []

    def __call__(self, page: Page, state: str) -> None:
        expect(page.locator("html")).to_have_attribute("lang", self.language)
        heading = page.locator("h1").first.inner_text()
        if self.language == "hi":
            assert DEVANAGARI.search(page.locator("main, body").first.inner_text()), state
        else:
            assert not DEVANAGARI.search(heading), (state, heading)
        for scheme in ("dark", "light"):
            page.emulate_media(color_scheme=scheme)
            violations: list[dict[str, Any]] = axe_violations(page)
            if violations:
                self.found[f"{state} ({self.language}, {scheme})"] = violations
        path = SHOTS / f"{state}-{self.language}.png"
        phone_screenshot(page, path)
        assert path.stat().st_size > 0
        self.taken.append(state)


def _url(url: str, language: str, **extra: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {**extra, "lang": language}.items())
    return f"{url}{'&' if '?' in url else '?'}{query}"


def _link_checkout(live: LiveGateway) -> PaymentSession:
    gateway = live.gateway
    return links.open_link_checkout(
        gateway.store,
        gateway.links,
        gateway.provider,
        gateway.settings,
        links.find_link(gateway.links, "demo"),
        name="Asha",
        email="asha@example.in",
        note=None,
        chosen_paise=None,
        now=live.clock(),
        ip=None,
    )


def _expire(live: LiveGateway, order_id: str) -> None:
    """The ticker's own expiry, run as if its time had come (the shared clock stays put)."""
    session = live.gateway.store.session_by_order_id(order_id)
    assert session is not None
    expired = checkouts.expire(
        live.gateway.store, order_id, now=session.expiresAt + timedelta(seconds=1)
    )
    assert expired is not None and expired.status == "expired"


def _pay_page_states(live: LiveGateway, page: Page, shot: Shots, language: str) -> None:
    # "I've paid" with nothing seen: the words, and the UTR form.
    created = live.create_checkout(amount=321)
    page.goto(_url(created["url"], language))
    page.locator("form[action*='/paid'] button").click()
    expect(page.locator(".note.not-seen")).to_be_visible()
    expect(page.locator("#utr")).to_be_visible()
    shot(page, "not-yet")

    page.locator("#utr").fill("12345")
    page.locator("form.utr button").click()
    expect(page.locator("#utr-note.error")).to_be_visible()
    expect(page.locator("#utr")).to_have_attribute("aria-invalid", "true")
    shot(page, "utr-invalid")

    page.locator("#utr").fill("612345678901")
    page.locator("form.utr button").click()
    expect(page.locator("#utr-note")).not_to_have_class(re.compile(r"\berror\b"))
    shot(page, "utr-sent")

    # Cancel asks first.
    page.locator("button[data-cancel]").click()
    expect(page.locator("form:has([name=confirm][value=yes]) button")).to_be_visible()
    shot(page, "cancel-confirm")

    # Paid through the sandbox's bank SMS: the receipt carries the UTR.
    paid = live.create_checkout(amount=322, orderId=f"ORD-SHOT-{language.upper()}-000322")
    page.goto(_url(paid["url"], language))
    page.locator("form[action*='/simulate-sms'] button").click()
    expect(page.locator("#checkout")).to_have_attribute("data-status", "completed")
    expect(page.locator(".receipt-utr")).to_be_visible()
    expect(page.locator(".receipt-time time")).to_be_visible()
    shot(page, "receipt")

    # Expired, from the merchant's API: back to the merchant, no "Start again".
    overdue = live.create_checkout(amount=323, expiresInMinutes=1)
    _expire(live, overdue["orderId"])
    page.goto(_url(overdue["url"], language))
    expect(page.locator("#checkout")).to_have_attribute("data-status", "expired")
    expect(page.locator("a[href^='/l/demo']")).to_have_count(0)
    shot(page, "expired")

    # Expired and cancelled, from a payment link: "Start again" leads back to the link.
    from_link = _link_checkout(live)
    _expire(live, from_link.orderId)
    page.goto(_url(f"{live.url}/pay/{from_link.token}", language))
    expect(page.locator("#checkout")).to_have_attribute("data-status", "expired")
    expect(page.locator("#checkout a[href^='/l/demo']")).to_be_visible()
    shot(page, "expired-link")

    from_link = _link_checkout(live)
    gateway = live.gateway
    checkouts.cancel_checkout(gateway.store, gateway.settings, from_link.orderId, now=live.clock())
    page.goto(_url(f"{live.url}/pay/{from_link.token}", language))
    expect(page.locator("#checkout")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("#checkout a[href^='/l/demo']")).to_be_visible()
    shot(page, "cancelled-link")

    # The link form, refused: every error in words beside its field.
    page.goto(_url(f"{live.url}/l/demo", language))
    page.wait_for_function("window.htmx !== undefined")
    page.locator("input[name=name]").fill("Asha Rao")
    page.locator("input[name=email]").fill("not-an-email")
    page.locator("form button[type=submit]").click()
    expect(page.locator("input[name=email][aria-invalid=true]")).to_be_visible()
    shot(page, "link-errors")

    # The page as the embed modal shows it (here on its own, not framed).
    embedded = live.create_checkout(amount=324)
    page.goto(_url(embedded["url"], language, embed="1"))
    expect(page.locator("#checkout")).to_have_attribute("data-status", "pending")
    shot(page, "embedded")

    # A refusal with JavaScript on: said in the panel, in words (here a forced 503).
    busy = live.create_checkout(amount=326)
    page.goto(_url(busy["url"], language))
    page.route(
        "**/paid*", lambda route: route.fulfill(status=503, headers={"Retry-After": "5"}, body="")
    )
    page.locator("form[action*='/paid'] button").click()
    expect(page.locator("#checkout [role=alert], [role=alert]").first).to_be_visible()
    shot(page, "error-in-panel")
    page.unroute("**/paid*")


def _rate_limited_without_js(live: LiveGateway, page: Page, shot: Shots, language: str) -> None:
    """The 7th tap in a minute, as a browser without JavaScript sends it: a whole page that
    says when to try again. (Sent by the form's native submit, which htmx does not see, so
    that axe can still run on the answer.)"""
    created = live.create_checkout(amount=325)
    page.goto(_url(created["url"], language))
    token = CSRF.search(page.content())
    assert token
    action = f"{created['url']}/cancel"
    for _ in range(6):  # RATE_LIMIT_ACTIONS: 6 per minute for one checkout
        answer = live.http.post(action, data={"csrf_token": token.group(1)}, timeout=10)
        assert answer.status_code == 200, answer.status_code
    with page.expect_navigation() as refused:
        page.locator("button[data-cancel]").evaluate("b => b.form.submit()")
    assert refused.value is not None and refused.value.status == 429
    wait = refused.value.headers.get("retry-after", "")
    assert wait.isdigit() and 1 <= int(wait) <= 60, wait
    # Says when, in seconds, as Retry-After does (within a second of it).
    said = page.locator("section.card h1 + p").inner_text()
    seconds = re.search(r"\d+", said)
    assert seconds and abs(int(seconds.group()) - int(wait)) <= 1, (said, wait)
    shot(page, "rate-limited")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_customer_state_at_360px_passes_axe_and_is_kept(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog, language: str
) -> None:
    assert DEVANAGARI_FONT.is_file(), "Hindi would be boxes: run scripts/ensure-chromium"
    SHOTS.mkdir(parents=True, exist_ok=True)
    browser_log.allow(REFUSED)
    shot = Shots(language)
    _pay_page_states(live, new_page(bypass_csp=True), shot, language)
    _rate_limited_without_js(live, new_page(bypass_csp=True), shot, language)
    assert not shot.found, shot.found
    assert len(shot.taken) == 12, shot.taken
    browser_log.assert_clean()
