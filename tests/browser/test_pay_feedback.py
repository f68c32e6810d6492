"""Feedback on every tap, in Chromium with JavaScript on (issue 11): "I've paid" is busy at once
and then says "not yet" in words; a real 429 and a forced 503 (and a dropped connection) are
said in the panel; cancel asks first and "No" keeps the checkout; the countdown turns urgent
in colour and words near the end, with AA contrast in light and dark."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from checkout.services import links
from tests.browser.conftest import BrowserLog, LiveGateway

pytestmark = pytest.mark.browser

AXE = Path(__file__).with_name("vendor") / "axe.min.js"
CSRF = re.compile(r'name="csrf_token"[^>]*\bvalue="([^"]+)"')
# What Chromium logs for an answer a test asks for on purpose.
REFUSED = r"Failed to load resource: the server responded with a status of (429|503)"

# Records the tapped button as htmx sends the request: the busy state must be there already.
RECORD_BUSY = """() => {
  window.__busy = null;
  document.addEventListener("htmx:beforeSend", function (e) {
    var b = e.detail.elt.querySelector && e.detail.elt.querySelector("button");
    if (b && window.__busy === null) {
      window.__busy = {
        text: b.textContent.trim(), ariaBusy: b.getAttribute("aria-busy"), disabled: b.disabled,
      };
    }
  });
}"""


def _amount_text(page: Page) -> str:
    return page.locator("h1 .amount").inner_text().strip()


def test_ive_paid_is_busy_at_once_then_says_not_yet_in_words(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=499)
    page.goto(created["url"])
    amount = _amount_text(page)
    page.evaluate(RECORD_BUSY)
    page.get_by_role("button", name="I've paid").click()

    busy = page.evaluate("window.__busy")
    assert busy == {"text": "Checking…", "ariaBusy": "true", "disabled": True}, busy

    not_yet = page.locator(".note.not-seen")
    expected = (
        f"We haven't received {amount} yet. It can take a minute. "
        "If you have paid, enter the UTR from your UPI app."
    )
    expect(not_yet).to_have_text(expected)
    # Said once by the live region, which never holds the ticking countdown.
    expect(page.locator("#pay-announce")).to_have_text(expected)
    expect(page.locator("[aria-live] [data-seconds-left]")).to_have_count(0)
    expect(page.get_by_role("textbox", name=re.compile("UTR"))).to_be_visible()
    expect(page.get_by_role("button", name="I've paid")).to_be_enabled()

    page.wait_for_timeout(3000)  # several polls later the words are still there
    expect(not_yet).to_have_text(expected)
    assert live.status(created["orderId"]) == "pending"
    browser_log.assert_clean()


def test_a_real_429_says_when_to_try_again(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow(REFUSED)
    created = live.create_checkout(amount=429)
    page.goto(created["url"])
    found = CSRF.search(page.content())
    assert found
    # Use up the button's limit (6 a minute for this checkout) from outside the page.
    for _ in range(6):
        answer = live.http.post(
            f"{created['url']}/paid", data={"csrf_token": found.group(1)}, timeout=10
        )
        assert answer.status_code in (200, 303), answer.status_code

    with page.expect_response(lambda r: r.url.endswith("/paid")) as refused:
        page.get_by_role("button", name="I've paid").click()
    assert refused.value.status == 429
    retry = int(refused.value.headers["retry-after"])

    alert = page.get_by_role("alert")
    expect(alert).to_have_text(re.compile(r"^Too many tries\. Try again in \d+ seconds?\.$"))
    shown = int(re.findall(r"\d+", alert.inner_text())[0])
    assert shown == retry and 0 < shown <= 60
    # The button is usable again, and polling (which succeeds) does not wipe the words.
    expect(page.get_by_role("button", name="I've paid")).to_be_enabled()
    page.wait_for_timeout(2500)
    expect(alert).to_be_visible()
    browser_log.assert_clean()


def test_a_503_and_a_dropped_connection_are_said_in_words(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow(REFUSED)
    browser_log.allow(r"net::ERR_FAILED")
    # htmx itself logs a request that never got an answer; the page says it in words.
    browser_log.allow(r"console error: htmx:(sendError|afterRequest), ")
    created = live.create_checkout(amount=503)
    page.goto(created["url"])

    def unavailable(route: Route) -> None:
        route.fulfill(
            status=503,
            headers={"Retry-After": "5", "Content-Type": "text/html; charset=utf-8"},
            body=(
                '<div class="error-answer" data-status="503"><p class="error" '
                "data-error-message>The payment store is unavailable; try again shortly</p></div>"
            ),
        )

    page.route("**/paid*", unavailable)
    page.get_by_role("button", name="I've paid").click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("The payment store is unavailable; try again shortly")
    expect(page.get_by_role("button", name="I've paid")).to_be_enabled()
    expect(page.get_by_role("button", name="I've paid")).not_to_have_attribute("aria-busy", "true")

    page.unroute("**/paid*")
    page.route("**/cancel*", lambda route: route.abort())
    page.get_by_role("button", name="Cancel").click()
    expect(alert).to_have_text(re.compile(r"^No connection\. "))
    assert live.status(created["orderId"]) == "pending"
    browser_log.assert_clean()


def test_a_400_is_said_in_words(live: LiveGateway, page: Page, browser_log: BrowserLog) -> None:
    browser_log.allow(r"status of 400")
    created = live.create_checkout(amount=400)
    page.goto(created["url"])
    page.locator("form[action$='/paid'] input[name=csrf_token]").evaluate("e => e.value = 'stale'")
    page.get_by_role("button", name="I've paid").click()
    expect(page.get_by_role("alert")).to_have_text(
        re.compile(r"form has expired.*Reload the page and try again\.$")
    )
    browser_log.assert_clean()


def test_cancel_asks_first_and_no_keeps_it_pending(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=71)
    page.goto(created["url"])
    page.get_by_role("button", name="Cancel").click()

    question = page.get_by_role("heading", level=1)
    expect(question).to_have_text("Cancel this payment?")
    expect(question).to_be_focused()
    assert live.status(created["orderId"]) == "pending"

    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_role("button", name="I've paid")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_focused()
    page.wait_for_timeout(1500)
    assert live.status(created["orderId"]) == "pending"

    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout cancelled")
    assert live.status(created["orderId"]) == "cancelled"
    browser_log.assert_clean()


def test_cancel_asks_first_without_javascript(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=72)
    page = new_page(java_script_enabled=False)
    page.goto(created["url"])
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this payment?")
    page.get_by_role("link", name="No, go back").click()
    expect(page.get_by_role("button", name="I've paid")).to_be_visible()
    assert live.status(created["orderId"]) == "pending"
    browser_log.assert_clean()


def _contrast_violations(page: Page) -> list[Any]:
    page.add_script_tag(path=str(AXE))
    found: list[Any] = page.evaluate(
        """async () => (await axe.run(document.querySelector(".expiry"),
              {runOnly: {type: "rule", values: ["color-contrast"]}})).violations"""
    )
    return found


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_countdown_turns_urgent_in_the_last_two_minutes(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog, scheme: str
) -> None:
    created = live.create_checkout(amount=81, expiresInMinutes=3)
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.clock.install()
    page.goto(created["url"])
    expiry = page.locator(".expiry")
    expect(expiry).not_to_have_class(re.compile(r"\burgent\b"))
    expect(page.get_by_text("Less than 2 minutes left")).to_be_hidden()
    calm = expiry.evaluate("e => getComputedStyle(e).color")

    page.clock.run_for(62_000)  # the page's own clock: a minute on, under 2 minutes left
    expect(expiry).to_have_class(re.compile(r"\burgent\b"))
    expect(page.get_by_text("Less than 2 minutes left")).to_be_visible()
    assert expiry.evaluate("e => getComputedStyle(e).color") != calm  # colour and words
    assert _contrast_violations(page) == []

    # A page opened with under 2 minutes left starts urgent (without JS too).
    live.clock.advance(seconds=65)
    page.reload()
    expect(expiry).to_have_class(re.compile(r"\burgent\b"))
    browser_log.assert_clean()


def test_a_cancelled_payment_link_checkout_offers_start_again(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    gateway = live.gateway
    link = links.find_link(gateway.links, "demo")
    session = links.open_link_checkout(
        gateway.store,
        gateway.links,
        gateway.provider,
        gateway.settings,
        link,
        name="Asha",
        email="asha@example.in",
        note=None,
        chosen_paise=None,
        now=live.clock(),
        ip=None,
    )
    page.goto(f"{live.url}/pay/{session.token}")
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout cancelled")
    page.get_by_role("link", name="Start again").click()
    page.wait_for_url(f"{live.url}/l/demo")
    expect(page.get_by_role("button", name="Continue to payment")).to_be_visible()
    browser_log.assert_clean()


def test_a_429_on_the_payment_link_form_is_said_by_its_button(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    """The link form is an htmx form too: its refusals are said, never dropped."""
    browser_log.allow(REFUSED)

    def too_many(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        route.fulfill(status=429, headers={"Retry-After": "30"}, body="")

    page.route("**/l/demo", too_many)
    page.goto(f"{live.url}/l/demo")
    page.wait_for_function("window.htmx !== undefined")
    page.get_by_label("Your name").fill("Asha Rao")
    page.get_by_label("Email", exact=True).fill("asha@example.in")
    submit = page.get_by_role("button", name="Continue to payment")
    submit.click()
    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Too many tries. Try again in 30 seconds.")
    expect(submit).to_be_enabled()
    assert page.url == f"{live.url}/l/demo"
    browser_log.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_confirmation_and_an_error_pass_axe(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog, scheme: str
) -> None:
    browser_log.allow(REFUSED)
    created = live.create_checkout(amount=91)
    page = new_page(color_scheme=scheme, bypass_csp=True)
    page.goto(created["url"])
    page.route(
        "**/paid*",
        lambda route: route.fulfill(status=503, headers={"Retry-After": "5"}, body=""),
    )
    page.get_by_role("button", name="I've paid").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.add_script_tag(path=str(AXE))
    assert _axe(page) == []

    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel this payment?")
    assert _axe(page) == []
    browser_log.assert_clean()


def _axe(page: Page) -> list[Any]:
    tags = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
    found: list[Any] = page.evaluate(
        """async (tags) => (await axe.run(document, {runOnly: {type: "tag", values: tags}}))
             .violations.map(v => ({id: v.id, nodes: v.nodes.map(n => n.target.join(" "))}))""",
        tags,
    )
    return found
