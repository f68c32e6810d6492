"""Every page passes its CSP with nothing on the console; the pay page is usable on a
360 px phone (labels, tap targets, QR size, live region, visible focus)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Request, expect

from tests.browser.conftest import ROOT, BrowserLog, LiveGateway

pytestmark = pytest.mark.browser

MIN_TAP_PX = 44
MIN_QR_PX = 240


def test_every_page_passes_its_content_security_policy(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=91, description="CSP check")
    path = urlsplit(created["url"]).path
    with_htmx = {"/l/demo", path, f"{path}?embed=1"}
    # Chromium logs any 4xx document; the 404 page is one on purpose.
    browser_log.allow(r"status of 404 .*/pay/no-such-token\)$")

    for target in ("/", "/l/demo", path, f"{path}?embed=1", "/pay/no-such-token"):
        response = page.goto(f"{live.url}{target}")
        assert response is not None
        assert response.status == (404 if target.endswith("no-such-token") else 200), target
        policy = response.headers["content-security-policy"]
        assert "script-src 'self' 'nonce-" in policy, (target, policy)
        assert "style-src 'self' 'nonce-" in policy, (target, policy)
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        expect(page.locator("h1")).to_be_visible()
        if target in with_htmx:
            page.wait_for_function("window.htmx !== undefined")
            # htmx ran its start-up (config from the meta tag, no injected indicator style).
            assert page.evaluate("htmx.config.includeIndicatorStyles") is False
        page.wait_for_load_state("load")

    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    browser_log.assert_clean()


def test_pay_page_is_usable_on_a_360px_phone(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    # Labels on the one page with inputs a customer fills in.
    page.goto(f"{live.url}/l/demo")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll("input, select, textarea")]
             .filter((el) => el.type !== "hidden")
             .filter((el) => !(el.labels && el.labels.length && el.labels[0].textContent.trim())
                             && !el.getAttribute("aria-label"))
             .map((el) => el.outerHTML)"""
    )
    assert unlabelled == []
    assert page.locator("input:not([type=hidden])").count() >= 3
    submit_box = page.get_by_role("button", name="Continue to payment").bounding_box()
    assert submit_box is not None and submit_box["height"] >= MIN_TAP_PX

    created = live.create_checkout(amount=92)
    page.goto(created["url"])
    assert page.viewport_size == {"width": 360, "height": 640}
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scroll

    panel = page.locator("section.card")
    targets = panel.locator("a:visible, button:visible")
    assert targets.count() >= 5  # Pay with UPI app, Copy, I've paid, Cancel, Simulate
    for index in range(targets.count()):
        target = targets.nth(index)
        box = target.bounding_box()
        assert box is not None
        label = target.inner_text()
        assert box["height"] >= MIN_TAP_PX, (label, box)
        assert box["width"] >= MIN_TAP_PX, (label, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360, (label, box)

    qr_box = page.locator("img.qr").bounding_box()
    assert qr_box is not None and qr_box["width"] >= MIN_QR_PX, qr_box

    live_region = page.locator("[aria-live]")
    expect(live_region).to_have_count(1)
    expect(live_region).to_have_attribute("aria-live", "polite")
    # It announces state changes only: the ticking countdown sits outside it (issue 11).
    expect(live_region.locator("[data-seconds-left]")).to_have_count(0)
    expect(page.locator("#checkout [data-seconds-left]")).to_have_count(1)

    # Keyboard focus is visible: Tab until a button has focus, then look at its outline.
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "BUTTON":
            break
    focused = page.evaluate(
        """() => {
             const el = document.activeElement, style = getComputedStyle(el);
             return {tag: el.tagName, text: el.textContent.trim(),
                     visible: el.matches(":focus-visible"),
                     outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
           }"""
    )
    assert focused["tag"] == "BUTTON", focused
    assert focused["visible"], focused
    assert focused["outline"] != "none" and focused["width"] >= 2, focused
    browser_log.assert_clean()


def test_the_browser_log_catches_csp_violations_and_script_errors(
    live: LiveGateway, page: Page, browser_log: BrowserLog
) -> None:
    """The other tests' clean logs mean something: what they would miss is caught here."""
    page.goto(f"{live.url}/")
    page.evaluate(
        """() => {
             const script = document.createElement("script");
             script.textContent = "window.__inlineRan = true";
             document.body.appendChild(script);
             document.body.setAttribute("style", "color: red");
             setTimeout(() => { throw new Error("boom from the page"); });
           }"""
    )
    for _ in range(100):
        kinds = {entry.split(":", 1)[0] for entry in browser_log.entries}
        if {"CSP violation", "console error", "page error"} <= kinds:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.__inlineRan") is None  # the CSP blocked it
    text = "\n".join(browser_log.entries)
    assert "CSP violation: {'directive': 'script-src-elem'" in text, text
    assert "CSP violation: {'directive': 'style-src-attr'" in text, text
    assert "page error: boom from the page" in text, text
    assert "console error: Executing inline script violates" in text or (
        "console error: Refused to execute inline script" in text
    ), text
    browser_log.entries.clear()  # provoked on purpose
    browser_log.assert_clean()


PAGE_BUDGET_BYTES = 80 * 1024


@pytest.mark.parametrize("language", ["en", "hi"])
def test_pay_page_with_its_css_js_and_qr_stays_under_80_kb(
    live: LiveGateway, page: Page, browser_log: BrowserLog, language: str
) -> None:
    """On a phone (so with the app buttons' icons), in English and with the Hindi catalogue."""
    created = live.create_checkout(amount=93)
    finished: list[Request] = []
    page.on("requestfinished", lambda request: finished.append(request))
    page.goto(f"{created['url']}?lang={language}")
    page.wait_for_load_state("networkidle")  # css, js, favicon; the 2 s poll leaves gaps
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator(".app-button svg")).to_have_count(4)

    loaded = {urlsplit(r.url).path: r.sizes() for r in finished if r.url.startswith(live.url)}
    path = urlsplit(created["url"]).path
    for needed in (path, "/static/css/app.css", "/static/js/htmx.min.js", "/static/js/pay.js"):
        assert needed in loaded, sorted(loaded)
    # The scripts and styles come compressed (checkout/compression.py); the page does not.
    htmx_file = ROOT / "static" / "js" / "htmx.min.js"
    assert loaded["/static/js/htmx.min.js"]["responseBodySize"] < htmx_file.stat().st_size / 2
    transferred = sum(s["responseHeadersSize"] + s["responseBodySize"] for s in loaded.values())
    assert transferred < PAGE_BUDGET_BYTES, {p: s["responseBodySize"] for p, s in loaded.items()}
    print(f"pay page transferred {transferred} bytes: {sorted(loaded)}")
    browser_log.assert_clean()
