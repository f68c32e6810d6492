"""Phone first and the merchant's brand (issue 11), in Chromium.

A 360 x 640 touch phone sees the merchant, the exact amount and the app buttons before the
QR (it cannot scan its own screen), and can keep the QR as a file; a desktop sees the QR
first and no app buttons. The merchant's logo, colour (a shade that reaches AA on each
theme), support contact and policy are on the page, and pages that end a checkout or
report an error lead back to the merchant, never to the gateway's start page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from checkout.domain.contrast import brand_shades
from tests.browser.conftest import (
    ARTIFACTS,
    BRAND_COLOR,
    BrowserLog,
    LiveGateway,
    Site,
    phone_screenshot,
)

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 800}, "has_touch": False, "is_mobile": False}
SHOTS = ARTIFACTS / "phone-first"


def _box(locator: Locator) -> dict[str, float]:
    box = locator.bounding_box()
    assert box is not None, f"{locator} has no box (hidden?)"
    return box


def _rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_a_phone_sees_the_app_buttons_above_the_qr(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=351)
    page.goto(created["url"])
    app_button = page.get_by_role("link", name="Pay with UPI app")
    qr = page.locator("img.qr")
    expect(app_button).to_be_visible()
    expect(qr).to_be_visible()
    button_box, qr_box = _box(app_button), _box(qr)
    assert button_box["y"] + button_box["height"] <= qr_box["y"]

    # The first screen: the merchant, the exact amount and every app button.
    first_screen = 640
    for thing in (
        page.locator(".payee"),
        page.locator("h1 .amount"),
        app_button,
        *(
            page.get_by_role("link", name=name, exact=True)
            for name in ("GPay", "PhonePe", "Paytm", "BHIM")
        ),
    ):
        expect(thing).to_be_visible()
        box = _box(thing)
        assert box["y"] + box["height"] <= first_screen, f"{thing} is below the first screen"
    expect(page.locator("h1 .amount")).to_have_text("₹351.00")
    # Each app button carries its icon, drawn and decorative (hidden from screen readers).
    icons = page.locator(".app-button svg")
    expect(icons).to_have_count(4)
    for index in range(4):
        icon = icons.nth(index)
        expect(icon).to_have_attribute("aria-hidden", "true")
        assert _box(icon)["width"] == 20
    # One primary (filled) action on the first screen: "Pay with UPI app".
    filled = page.locator(".button:not(.secondary):not(.sandbox-button):visible")
    in_view = [
        b for b in (filled.nth(i) for i in range(filled.count())) if _box(b)["y"] < first_screen
    ]
    assert len(in_view) == 1 and in_view[0].inner_text() == "Pay with UPI app"
    # A personal UPI ID (no UPI_MERCHANT_CODE): the note says what to do if an app declines.
    expect(page.locator(".app-link .p2p")).to_be_visible()
    expect(page.locator(".app-link .p2p")).to_contain_text("personal UPI ID")
    phone_screenshot(page, SHOTS / "pending-phone.png")
    browser_log.assert_clean()


def test_a_desktop_sees_the_qr_first_and_no_app_buttons(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=352)
    page = new_page(**DESKTOP)
    page.goto(created["url"])
    qr = page.locator("img.qr")
    expect(qr).to_be_visible()
    expect(page.get_by_role("link", name="Pay with UPI app")).to_be_hidden()
    expect(page.locator(".app-link .p2p")).to_be_hidden()
    assert _box(qr)["y"] < _box(page.get_by_role("button", name="I've paid"))["y"]
    assert _box(qr)["y"] + _box(qr)["height"] <= 800
    browser_log.assert_clean()


def test_download_qr_saves_a_png_of_the_same_payment(
    live: LiveGateway, page: Page, browser_log: BrowserLog, tmp_path: Path
) -> None:
    created = live.create_checkout(amount=353)
    page.goto(created["url"])
    with page.expect_download() as event:
        page.get_by_role("link", name="Download QR").click()
    download = event.value
    assert download.suggested_filename == f"upi-{created['orderId']}.png"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    found = zxingcpp.read_barcodes(Image.open(saved))
    assert [code.text for code in found] == [created["upiString"]]
    browser_log.assert_clean()


def test_the_upi_id_and_the_exact_amount_can_be_copied(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    live.create_checkout(amount=354)  # the next one is issued with a suffix
    created = live.create_checkout(amount=354)
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto(created["url"])
    amount = page.locator(".copy-amount code").inner_text()
    assert re.fullmatch(r"354\.\d\d", amount)
    assert page.locator("h1 .amount").inner_text() == f"₹{amount}"
    for row, expected in (
        (".vpa:not(.copy-amount)", live.gateway.settings.upi_id),
        (".copy-amount", amount),
    ):
        button = page.locator(f"{row} button[data-copy]")  # by place: its name changes
        expect(button).to_have_accessible_name("Copy")
        button.click()
        expect(button).to_have_text("Copied")
        assert page.evaluate("navigator.clipboard.readText()") == expected
    browser_log.assert_clean()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_brand_is_on_the_pay_page(
    live: LiveGateway,
    merchant: Site,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    scheme: str,
) -> None:
    created = live.create_checkout(amount=355)
    page = new_page(color_scheme=scheme)
    page.goto(created["url"])
    logo = page.locator("img.brand-logo")
    expect(logo).to_be_visible()
    expect(logo).to_have_attribute("alt", live.gateway.settings.upi_payee_name)
    assert logo.evaluate("img => img.complete && img.naturalWidth > 0")
    shades = brand_shades(BRAND_COLOR)
    shade = shades.light if scheme == "light" else shades.dark
    button = page.get_by_role("link", name="Pay with UPI app")
    assert button.evaluate("e => getComputedStyle(e).backgroundColor") == _rgb(shade.color)
    assert button.evaluate("e => getComputedStyle(e).color") == _rgb(shade.ink)
    footer = page.locator("footer.brand-footer")
    expect(footer.get_by_role("link", name="help@chai.example")).to_have_attribute(
        "href", "mailto:help@chai.example"
    )
    expect(footer.get_by_role("link", name="+91 98765 43210")).to_have_attribute(
        "href", "tel:+919876543210"
    )
    expect(
        footer.get_by_role("link", name=re.compile("Terms, refunds and privacy"))
    ).to_have_attribute("href", f"{merchant.origin}/policy")
    phone_screenshot(page, SHOTS / f"brand-{scheme}.png")
    browser_log.assert_clean()


def test_the_link_page_carries_the_brand_too(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    page.goto(f"{live.url}/l/demo")
    expect(page.locator("img.brand-logo")).to_be_visible()
    expect(page.locator("footer.brand-footer")).to_contain_text("help@chai.example")
    browser_log.assert_clean()


def test_an_error_page_leads_back_to_the_merchant(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    browser_log.allow(r"404 \(NOT FOUND\)")
    page.goto(f"{live.url}/pay/no-such-checkout-token")
    expect(page.get_by_role("link", name="Back to the start")).to_have_count(0)
    back = page.get_by_role("link", name=re.compile(r"^Back to "))
    expect(back).to_have_attribute("href", f"{merchant.origin}/shop")
    expect(page.locator("footer.brand-footer")).to_contain_text("help@chai.example")
    expect(page.locator("img.brand-logo")).to_be_visible()
    back.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Back at the shop")
    browser_log.assert_clean()


def test_a_cancelled_checkout_without_urls_leads_to_the_merchant_site(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    order_id = "ORDER-2026-12-02-CHAI-0001-LONG-ID"
    created = live.create_checkout(amount=356, orderId=order_id)
    page.goto(created["url"])
    live.http.post(
        f"{live.url}/api/v1/checkout-sessions/{created['id']}/cancel",
        headers={"Authorization": f"Bearer {live.gateway.settings.admin_secret}"},
        timeout=10,
    ).raise_for_status()
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout cancelled")
    back = page.get_by_role("link", name=re.compile(r"^Back to "))
    expect(back).to_have_attribute("href", f"{merchant.origin}/shop")
    expect(page.get_by_role("link", name="Back to the start")).to_have_count(0)
    # The order id is one unbroken token on one line, even at 360 px.
    order = page.locator(".result strong", has_text=order_id)
    lines = order.evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; }"
    )
    assert lines == 1
    assert order.inner_text() == order_id
    browser_log.assert_clean()
