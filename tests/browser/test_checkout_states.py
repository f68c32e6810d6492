"""A checkout's life as the customer sees it on an open page: expiry arriving by
itself, cancel (shown, or back to the merchant's cancelUrl), the sandbox button."""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import BrowserLog, LiveGateway, Site

pytestmark = pytest.mark.browser


def _wait_until_polling(page: Page) -> None:
    """Wait until htmx has polled the status fragment once (the page is live)."""
    with page.expect_response(lambda r: "/status" in r.url):
        pass


def test_expiry_shows_up_on_the_open_page_by_itself(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(
        amount=77, expiresInMinutes=1, returnUrl=f"{merchant.origin}/return"
    )
    page.goto(created["url"])
    expect(page.locator("#checkout")).to_have_attribute("data-status", "pending")
    page.evaluate("window.__sameDocument = 'yes'")
    _wait_until_polling(page)

    live.clock.advance(minutes=2)  # in the server: the checkout is now overdue

    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text("This checkout has expired")
    assert page.evaluate("window.__sameDocument") == "yes"
    expect(page.locator("img.qr")).to_have_count(0)
    expect(page.get_by_role("button", name="I've paid")).to_have_count(0)
    back = page.get_by_role("link", name=re.compile(r"^Back to "))
    href = back.get_attribute("href") or ""
    assert href.startswith(f"{merchant.origin}/return?")
    query = parse_qs(urlsplit(href).query)
    assert query["orderId"] == [created["orderId"]]
    assert query["status"] == ["expired"]
    assert live.status(created["orderId"]) == "expired"

    # A final state stops the polling (286, and the fragment carries no trigger).
    polls: list[Request] = []
    page.on("request", lambda r: polls.append(r) if "/status" in r.url else None)
    expect(page.locator("#checkout[hx-trigger]")).to_have_count(0)
    page.wait_for_timeout(2500)  # longer than one poll period
    assert polls == []
    browser_log.assert_clean()


def test_cancel_shows_the_cancelled_page(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=61)
    page.goto(created["url"])
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel").click()  # cancel asks first
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout cancelled")
    expect(page.locator("#checkout")).to_have_attribute("data-status", "cancelled")
    expect(page.locator("img.qr")).to_have_count(0)
    assert live.status(created["orderId"]) == "cancelled"
    browser_log.assert_clean()


def test_cancel_sends_the_customer_to_the_cancel_url(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(
        amount=62,
        returnUrl=f"{merchant.origin}/return",
        cancelUrl=f"{merchant.origin}/cancel?cart=7",
    )
    page.goto(created["url"])
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel").click()  # cancel asks first
    page.wait_for_url(f"{merchant.origin}/cancel?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["cart"] == ["7"]  # the merchant's own parameters are kept
    assert query["orderId"] == [created["orderId"]]
    assert query["status"] == ["cancelled"]
    assert live.status(created["orderId"]) == "cancelled"
    browser_log.assert_clean()


def test_cancel_without_javascript_goes_to_the_cancel_url(
    live: LiveGateway, merchant: Site, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    """A plain form post ends in a 303 to the merchant; the CSP's form-action allows it."""
    created = live.create_checkout(amount=63, cancelUrl=f"{merchant.origin}/cancel")
    page = new_page(java_script_enabled=False)
    page.goto(created["url"])
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Yes, cancel").click()  # cancel asks first
    page.wait_for_url(f"{merchant.origin}/cancel?**")
    assert parse_qs(urlsplit(page.url).query)["status"] == ["cancelled"]
    browser_log.assert_clean()


def test_sandbox_button_completes_the_checkout(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=42, description="Sandbox tea")
    page.goto(created["url"])
    banner = page.get_by_role("note")
    expect(banner).to_have_text("Sandbox: no real money moves.")
    expect(banner).to_be_visible()
    button = page.get_by_role("button", name="Simulate payment (sandbox)")
    expect(button).to_be_visible()

    button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    expect(page.locator(".result")).to_contain_text(created["orderId"])
    expect(page.get_by_role("button", name="Simulate payment (sandbox)")).to_have_count(0)
    assert live.status(created["orderId"]) == "completed"
    browser_log.assert_clean()


def test_simulated_bank_sms_completes_the_checkout(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    """The relay path: HDFC's credit SMS is attributed the moment it is posted."""
    created = live.create_checkout(amount="18.50", description="Sandbox SMS")
    page.goto(created["url"])
    page.get_by_role("button", name="Simulate bank SMS (sandbox)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    expect(page.locator(".result")).to_contain_text(created["orderId"])
    assert live.status(created["orderId"]) == "completed"
    browser_log.assert_clean()


def test_ive_paid_asks_for_an_early_tick_and_shows_the_result(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=43)
    page.goto(created["url"])
    expect(page.locator("#checkout")).to_have_attribute("data-status", "pending")
    # Polling answers "nothing changed" for now, so the button's own answer is what we see.
    page.route("**/status?**", lambda route: route.fulfill(status=204))

    live.credit(created["orderId"])
    with page.expect_response(lambda r: "/paid" in r.url) as posted:
        page.get_by_role("button", name="I've paid").click()
    # 286: the early tick saw the credit and the fragment is final. Under load the tick
    # that sees it may still be attributing when "I've paid" answers (200, pending);
    # then the next poll brings the result.
    assert posted.value.status in (200, 286), posted.value.status
    page.unroute("**/status?**")
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    assert live.status(created["orderId"]) == "completed"
    browser_log.assert_clean()
