"""Redirect flow: the merchant creates a checkout by API, the customer pays on our page
and comes back to the merchant's returnUrl; the QR on the page is the API's UPI URI."""

from __future__ import annotations

import base64
import io
import re
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, BrowserLog, LiveGateway, Site, phone_screenshot

pytestmark = pytest.mark.browser


def test_pay_page_then_wallet_credit_returns_the_customer_to_the_merchant(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(
        amount=318,
        description="Two blue mugs",
        returnUrl=f"{merchant.origin}/return",
        cancelUrl=f"{merchant.origin}/cancel",
    )
    assert re.fullmatch(rf"{re.escape(live.url)}/pay/[A-Za-z0-9_-]{{20,}}", created["url"])
    assert created["orderId"] not in created["url"]

    page.goto(created["url"])
    panel = page.locator("section.card")
    expect(panel.locator(".payee")).to_contain_text(live.gateway.settings.upi_payee_name)
    expect(panel.locator(".what")).to_have_text("Two blue mugs")
    expect(panel.locator(".amount")).to_have_text(re.compile(rf"₹\s?{created['amount']}"))
    qr = panel.locator("img.qr")
    expect(qr).to_be_visible()
    expect(qr).to_have_attribute("alt", re.compile(r"UPI QR code: pay .+ UPI ID .+@.+"))
    expect(page.get_by_role("button", name="I've paid")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()

    phone_screenshot(page, ARTIFACTS / "pay-page-360.png")

    live.credit(created["orderId"])
    # The fragment polls every 2 s; once the ticker has seen the credit, HX-Redirect
    # sends the browser to the merchant.
    page.wait_for_url(f"{merchant.origin}/return?**")
    query = parse_qs(urlsplit(page.url).query)
    assert query["orderId"] == [created["orderId"]]
    assert query["status"] == ["completed"]
    expect(page.locator("#where")).to_have_text("/return")
    assert live.read_checkout(created["id"])["status"] == "completed"
    browser_log.assert_clean()


def test_qr_on_the_page_decodes_to_the_upi_uri_the_api_returned(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount="1018.50", description="Chai for the team")
    assert created["upiString"].startswith("upi://pay?")

    page.goto(created["url"])
    src = page.locator("img.qr").get_attribute("src")
    assert src is not None
    header, _, payload = src.partition(",")
    assert header == "data:image/png;base64"
    image = Image.open(io.BytesIO(base64.b64decode(payload)))
    decoded = zxingcpp.read_barcodes(image)
    assert [code.text for code in decoded] == [created["upiString"]]
    assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode

    app_link = page.get_by_role("link", name="Pay with UPI app")
    assert app_link.get_attribute("href") == created["upiString"]
    browser_log.assert_clean()
