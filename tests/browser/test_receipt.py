"""The success page's receipt: paid through the sandbox's bank SMS, so the evidence carries
an RRN (the UTR) and the page can show it, with the time on DISPLAY_TIMEZONE's clock."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from checkout.domain.money import display_rupees
from checkout.services.receipts import local_time_text
from tests.browser.conftest import BrowserLog, LiveGateway

pytestmark = pytest.mark.browser


def _paid_by_sms(live: LiveGateway, page: Page, **body: object) -> tuple[dict[str, object], str]:
    created = live.create_checkout(**body)
    page.goto(str(created["url"]))
    page.get_by_role("button", name="Simulate bank SMS (sandbox)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    session = live.gateway.store.session_by_order_id(str(created["orderId"]))
    assert session is not None and session.completedAt is not None
    credit = live.gateway.store.credit_by_key(session.creditKeys[0])
    assert credit is not None and credit.rrn
    return created, credit.rrn


def test_the_receipt_shows_the_utr_and_the_local_time(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    order_id = "ORD-RECEIPT-2026-000001-LONG-TOKEN"
    _, rrn = _paid_by_sms(live, page, amount="18.50", orderId=order_id)
    receipt = page.get_by_role("region", name="Receipt")
    expect(receipt).to_be_visible()
    session = live.gateway.store.session_by_order_id(order_id)
    assert session is not None and session.completedAt is not None
    local = local_time_text(session.completedAt, "Asia/Kolkata")
    assert local.endswith(" IST")
    expect(receipt.locator(".receipt-utr")).to_have_text(rrn)
    expect(receipt.locator(".receipt-time time")).to_have_text(local)
    expect(receipt.locator(".receipt-amount")).to_have_text(display_rupees(session.amountPaise))
    expect(receipt).to_contain_text(live.gateway.settings.upi_payee_name)
    order = receipt.locator(".receipt-order .token")
    expect(order).to_have_text(order_id)
    # One line at 360 px: the id never breaks at its hyphens.
    assert order.evaluate("e => getComputedStyle(e).whiteSpace") == "nowrap"
    line = order.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
    assert order.bounding_box()["height"] <= line + 1  # type: ignore[index]

    # "Download receipt": shown by JavaScript, prints (the browser's Save as PDF).
    button = receipt.get_by_role("button", name="Download receipt")
    expect(button).to_be_visible()
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    button.click()
    assert page.evaluate("window.__printed") == 1

    # Printed, the receipt stands alone: the heading, language switch and button are not drawn.
    page.emulate_media(media="print")
    expect(receipt.locator(".receipt-utr")).to_be_visible()
    heading = page.locator("#checkout-heading")
    assert heading.evaluate("e => getComputedStyle(e).visibility") == "hidden"
    expect(button).to_be_hidden()
    browser_log.assert_clean()


def test_the_receipt_arrives_while_the_page_is_open(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    """Paid from the phone's UPI app: the poll swaps the receipt in, button included."""
    created = live.create_checkout(amount=61)
    page.goto(str(created["url"]))
    expect(page.locator("#checkout")).to_have_attribute("data-status", "pending")
    live.credit(str(created["orderId"]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received", timeout=15_000)
    receipt = page.get_by_role("region", name="Receipt")
    expect(receipt.locator(".receipt-order")).to_have_text(str(created["orderId"]))
    expect(receipt.locator(".receipt-time")).to_contain_text(" IST")
    expect(receipt.locator(".receipt-utr")).to_have_count(0)  # a balance rise has no RRN
    expect(receipt.get_by_role("button", name="Download receipt")).to_be_visible()
    browser_log.assert_clean()


def test_without_javascript_no_button_that_does_nothing(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    page = new_page(java_script_enabled=False)
    created = live.create_checkout(amount=62)
    page.goto(str(created["url"]))
    page.get_by_role("button", name="Simulate bank SMS (sandbox)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    receipt = page.get_by_role("region", name="Receipt")
    expect(receipt.locator(".receipt-utr")).to_have_text(re.compile(r"^\d{12}$"))
    expect(receipt.locator("[data-print-receipt]")).to_be_hidden()
    expect(receipt.locator(".receipt-utr .token")).to_have_count(1)
    browser_log.assert_clean()


def test_in_hindi_the_time_is_written_in_hindi(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=66)
    page.goto(f"{created['url']}?lang=hi")
    page.locator("form[action*='simulate-sms'] button").click()
    expect(page.locator("#checkout")).to_have_attribute("data-status", "completed")
    session = live.gateway.store.session_by_order_id(str(created["orderId"]))
    assert session is not None and session.completedAt is not None
    hindi = local_time_text(session.completedAt, "Asia/Kolkata", "hi")
    assert hindi != local_time_text(session.completedAt, "Asia/Kolkata")
    receipt = page.get_by_role("region", name="रसीद")
    expect(receipt.locator(".receipt-time time")).to_have_text(hindi)
    expect(receipt.get_by_role("button", name="रसीद डाउनलोड करें")).to_be_visible()
    browser_log.assert_clean()
