"""Hindi in a real browser: ?lang=hi and Accept-Language: hi render Hindi with <html lang="hi">,
the switch on the page changes the language and the choice persists across pages and htmx
swaps; a screenshot of each is kept (with fonts-noto-core the Devanagari is text, not boxes)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, BrowserLog, LiveGateway, phone_screenshot

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "i18n"


def test_lang_hi_renders_hindi(live: LiveGateway, page: Page, browser_log: BrowserLog) -> None:
    checkout = live.create_checkout(amount=100000)
    page.goto(f"{checkout['url']}?lang=hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("link", name="UPI ऐप से भुगतान करें")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("का भुगतान करें")
    expect(page.locator(".amount")).to_have_text(re.compile(r"₹1,00,000\.\d\d"))
    # The Devanagari is drawn with a real font: without one, each of its six code points
    # is a .notdef box, as wide as six unassigned code points (U+0378) drawn the same way.
    hindi, boxes = page.evaluate(
        """() => { const c = document.createElement("canvas").getContext("2d");
                  c.font = "16px sans-serif";
                  const w = (t) => c.measureText(t).width;
                  return [w("भुगतान"), w("\u0378".repeat(6))]; }"""
    )
    assert abs(hindi - boxes) > 1, (hindi, boxes)
    phone_screenshot(page, SHOTS / "pay-hi.png")
    browser_log.assert_clean()


def test_accept_language_hi_renders_hindi(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    page = new_page(locale="hi-IN")
    page.goto(live.create_checkout()["url"])
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("button", name="मैंने भुगतान कर दिया")).to_be_visible()
    switch = page.get_by_role("navigation", name="भाषा")
    expect(switch.get_by_role("link", name="हिन्दी")).to_have_attribute("aria-current", "true")
    browser_log.assert_clean()


def test_the_switch_persists_across_pages_and_swaps(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    first = live.create_checkout(amount=211)
    page.goto(first["url"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    switch = page.get_by_role("navigation", name="Language")
    expect(switch.get_by_role("link", name="English")).to_have_attribute("aria-current", "true")
    hindi = switch.get_by_role("link", name="हिन्दी")
    expect(hindi).to_have_attribute("lang", "hi")
    expect(hindi).to_have_attribute("hreflang", "hi")
    hindi.click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    page.wait_for_function("window.htmx !== undefined")

    # An htmx swap (the "I've paid" post) answers in Hindi too.
    page.get_by_role("button", name="मैंने भुगतान कर दिया").click()
    expect(page.locator("#checkout")).to_contain_text("हम तक नहीं पहुँच")
    phone_screenshot(page, SHOTS / "not-yet-hi.png")

    # Another page, with no ?lang in its URL, stays Hindi: the cookie kept the choice.
    page.goto(f"{live.url}/l/demo")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_label("आपका नाम")).to_be_visible()
    phone_screenshot(page, SHOTS / "link-hi.png")
    page.goto(live.create_checkout(amount=212)["url"])
    expect(page.locator("html")).to_have_attribute("lang", "hi")

    # And back to English, which persists the same way.
    page.get_by_role("navigation", name="भाषा").get_by_role("link", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(first["url"])
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Pay with UPI app")).to_be_visible()
    browser_log.assert_clean()


def test_error_page_in_hindi(live: LiveGateway, page: Page, browser_log: BrowserLog) -> None:
    page.goto(f"{live.url}/pay/no-such-checkout-token?lang=hi")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", level=1)).to_have_text("यह पेज नहीं मिला")
    browser_log.allow("404")
    browser_log.assert_clean()
