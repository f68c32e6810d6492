"""Payment links: /l/<slug> swaps the pay panel in place with htmx, and without
JavaScript redirects (303) to /pay/<token>, where reloading shows the current state."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserLog, LiveGateway

pytestmark = pytest.mark.browser

EMAIL_HELP = "Enter an email address like name@example.com"


def test_link_with_javascript_swaps_the_pay_panel_in_place(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    page.goto(f"{live.url}/l/demo")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demo: a cup of chai")
    page.wait_for_function("window.htmx !== undefined")
    # Survives only if the page is never reloaded or left.
    page.evaluate("window.__sameDocument = 'yes'")

    name = page.get_by_label("Your name")
    email = page.get_by_label("Email", exact=True)
    submit = page.get_by_role("button", name="Continue to payment")
    name.fill("Asha Rao")
    email.fill("asha-at-example")
    submit.click()

    error = page.locator("#email-error")
    expect(error).to_have_text(EMAIL_HELP)
    # The message sits by its field and is announced with it.
    field = page.locator(".field").filter(has=page.locator("#email"))
    expect(field.locator(".error")).to_have_text(EMAIL_HELP)
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_attribute("aria-describedby", "email-error")
    expect(name).to_have_value("Asha Rao")
    expect(page.locator(".field .error")).to_have_count(1)
    assert page.url == f"{live.url}/l/demo"

    email.fill("asha@example.com")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        submit.click()
    response = posted.value
    assert response.status == 200
    pushed = response.headers.get("hx-push-url", "")
    assert re.fullmatch(r"/pay/[A-Za-z0-9_-]{20,}", pushed), response.headers

    expect(page).to_have_url(f"{live.url}{pushed}")
    checkout = page.locator("#checkout")
    expect(checkout).to_have_attribute("data-status", "pending")
    expect(page.locator("img.qr")).to_be_visible()
    expect(page.locator(".amount")).to_have_text(re.compile(r"₹\s?10\.\d\d"))
    assert page.evaluate("window.__sameDocument") == "yes"

    # The swapped-in panel polls like a freshly loaded one.
    order_id = checkout.get_attribute("data-order-id")
    assert order_id
    live.credit(order_id)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    assert page.evaluate("window.__sameDocument") == "yes"
    browser_log.assert_clean()


def test_link_without_javascript_redirects_and_reloads_show_the_state(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(f"{live.url}/l/demo")
    # Chromium logs any 4xx document; this one is the form coming back with its errors.
    browser_log.allow(r"status of 422 .*/l/demo\)$")

    # A bad field comes back as the whole page with the message by the field.
    page.get_by_label("Your name").fill("Ravi")
    page.get_by_label("Email", exact=True).fill("ravi@")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Continue to payment").click()
    assert posted.value.status == 422
    expect(page.locator("#email-error")).to_have_text(EMAIL_HELP)
    expect(page.get_by_label("Your name")).to_have_value("Ravi")

    page.get_by_label("Email", exact=True).fill("ravi@example.com")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Continue to payment").click()
    assert posted.value.status == 303
    location = posted.value.headers["location"]
    assert re.fullmatch(r"(http://127\.0\.0\.1:\d+)?/pay/[A-Za-z0-9_-]{20,}", location)
    page.wait_for_url(re.compile(r"/pay/[A-Za-z0-9_-]{20,}$"))
    assert page.url.endswith(location.rsplit("/pay/", 1)[1])

    checkout = page.locator("#checkout")
    expect(checkout).to_have_attribute("data-status", "pending")
    expect(page.locator("img.qr")).to_be_visible()
    # Without JS a meta refresh keeps the page current.
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(1)
    page.reload()
    expect(checkout).to_have_attribute("data-status", "pending")

    order_id = checkout.get_attribute("data-order-id")
    assert order_id
    live.credit(order_id)
    live.wait_for_status(order_id, "completed")
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    expect(page.locator("img.qr")).to_have_count(0)
    expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
    browser_log.assert_clean()
