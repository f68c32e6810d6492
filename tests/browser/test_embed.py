"""Embed mode: a merchant page on an allowed origin opens the checkout with embed.js and
hears the result by postMessage; any other origin cannot frame the checkout at all."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import OTHER_ALLOWED_ORIGIN, BrowserLog, LiveGateway, Site

pytestmark = pytest.mark.browser

# Chromium's words for it have changed over versions ("Refused to frame …", "Framing …").
REFUSED_FRAME = (
    r"^console error: (Refused to frame|Framing) 'http://127\.0\.0\.1:\d+/'.*frame-ancestors"
)


def _directive(policy: str, name: str) -> str:
    found = [d.strip() for d in policy.split(";") if d.strip().startswith(f"{name} ")]
    assert len(found) == 1, policy
    return found[0]


def test_embedded_checkout_tells_the_merchant_page_the_result(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    # A merchant that embeds usually has a returnUrl too; inside the frame it must not be used.
    created = live.create_checkout(amount=55, returnUrl=f"{merchant.origin}/return")
    path = urlsplit(created["url"]).path

    embedded = live.get(f"{path}?embed=1")
    assert embedded.status_code == 200
    policy = embedded.headers["Content-Security-Policy"]
    assert _directive(policy, "frame-ancestors") == (
        f"frame-ancestors {merchant.origin} {merchant.cross_site_origin} {OTHER_ALLOWED_ORIGIN}"
    )
    assert "X-Frame-Options" not in embedded.headers

    page.goto(f"{merchant.origin}/parent?checkout={quote(created['url'], safe='')}")
    dialog = page.get_by_role("dialog", name="UPI payment")
    expect(dialog).to_be_visible()
    frame = page.frame_locator("iframe[title='UPI payment']")
    checkout = frame.locator("#checkout")
    expect(checkout).to_have_attribute("data-status", "pending")
    expect(frame.locator("body")).to_have_class("embed")
    expect(frame.locator("img.qr")).to_be_visible()

    live.credit(created["orderId"])
    page.wait_for_function("window.__result !== null")
    assert page.evaluate("window.__result") == {
        "orderId": created["orderId"],
        "status": "completed",
    }
    # The parent stayed where it was; the modal closes itself after the result.
    assert page.url.startswith(f"{merchant.origin}/parent?")
    expect(dialog).to_have_count(0)
    browser_log.assert_clean()


def test_buttons_work_in_a_frame_on_another_site(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    """A merchant's site is another site than the gateway's: the frame gets no cookies,
    so its forms must not depend on one (CSRF bound to the checkout instead)."""
    created = live.create_checkout(amount=58, returnUrl=f"{merchant.cross_site_origin}/return")
    page.goto(f"{merchant.cross_site_origin}/parent?checkout={quote(created['url'], safe='')}")
    frame = page.frame_locator("iframe[title='UPI payment']")
    expect(frame.locator("#checkout")).to_have_attribute("data-status", "pending")

    with page.expect_response(lambda r: "/simulate" in r.url) as posted:
        frame.get_by_role("button", name="Simulate payment (sandbox)").click()
    assert posted.value.ok, posted.value.status  # 200, or 286 when already final
    page.wait_for_function("window.__result !== null")
    assert page.evaluate("window.__result") == {
        "orderId": created["orderId"],
        "status": "completed",
    }
    assert live.status(created["orderId"]) == "completed"
    browser_log.assert_clean()


def test_a_foreign_origin_cannot_frame_the_checkout(
    live: LiveGateway, merchant: Site, foreign: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=56)
    embed_url = f"{created['url']}?embed=1"
    browser_log.allow(REFUSED_FRAME)

    page.goto(f"{foreign.origin}/frame?src={quote(embed_url, safe='')}")
    page.wait_for_load_state("load")  # the parent's load waits for its frame
    frame = page.locator("iframe#pay").element_handle().content_frame()
    assert frame is not None
    assert frame.url != embed_url
    assert frame.locator("#checkout").count() == 0
    assert frame.get_by_text("Pay", exact=False).count() == 0
    assert any("frame-ancestors" in e for e in browser_log.entries), browser_log.entries
    assert live.status(created["orderId"]) == "pending"
    browser_log.assert_clean()


def test_the_plain_pay_page_cannot_be_framed_even_by_an_allowed_origin(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = live.create_checkout(amount=57)
    plain = live.get(urlsplit(created["url"]).path)
    assert plain.headers["X-Frame-Options"] == "DENY"
    policy = plain.headers["Content-Security-Policy"]
    assert _directive(policy, "frame-ancestors") == "frame-ancestors 'none'"

    browser_log.allow(REFUSED_FRAME)
    page.goto(f"{merchant.origin}/frame?src={quote(created['url'], safe='')}")
    page.wait_for_load_state("load")
    frame = page.locator("iframe#pay").element_handle().content_frame()
    assert frame is not None
    assert frame.url != created["url"]
    assert frame.locator("#checkout").count() == 0
    assert any("frame-ancestors 'none'" in e for e in browser_log.entries), browser_log.entries
    browser_log.assert_clean()


def _open_embedded(live: LiveGateway, merchant: Site, page: Page, amount: int) -> dict[str, Any]:
    created = live.create_checkout(amount=amount)
    page.goto(f"{merchant.origin}/parent?checkout={quote(created['url'], safe='')}")
    frame = page.frame_locator("iframe[title='UPI payment']")
    expect(frame.locator("#checkout")).to_have_attribute("data-status", "pending")
    return created


def _scroll_locked(page: Page) -> bool:
    return bool(
        page.evaluate(
            "['html', 'body'].every(t => getComputedStyle(document.querySelector(t)).overflow"
            " === 'hidden')"
        )
    )


def test_the_close_button_reports_dismissed_and_unlocks_the_page(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = _open_embedded(live, merchant, page, 59)
    dialog = page.get_by_role("dialog", name="UPI payment")
    assert _scroll_locked(page)  # the page behind does not scroll while the window is open
    close = dialog.get_by_role("button", name="Close the payment window")
    expect(close).to_be_visible()
    # Styled, inside the modal beside the checkout: a 44 px target, not a native grey button.
    box = close.bounding_box()
    assert box is not None and round(box["width"]) >= 44 and round(box["height"]) >= 44
    assert close.evaluate("e => getComputedStyle(e).borderRadius") == "50%"
    close.focus()
    page.keyboard.press("Tab")  # focus moves into the checkout frame; back with Shift+Tab
    page.keyboard.press("Shift+Tab")
    assert close.evaluate("e => e.matches(':focus-visible')")
    assert close.evaluate("e => getComputedStyle(e).outlineStyle") == "solid"

    # The modal keeps the keyboard: focus sent to the page behind comes back to it.
    page.evaluate(
        "() => { const b = document.createElement('button'); b.id = 'behind';"
        " b.textContent = 'Behind'; document.body.prepend(b); b.focus(); }"
    )
    expect(close).to_be_focused()

    close.click()
    expect(dialog).to_have_count(0)
    assert page.evaluate("window.__result") == {"status": "dismissed"}
    assert not _scroll_locked(page)
    assert live.status(created["orderId"]) == "pending"  # closing is not cancelling
    browser_log.assert_clean()


def test_escape_inside_the_frame_closes_the_window(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    _open_embedded(live, merchant, page, 60)
    frame = page.frame_locator("iframe[title='UPI payment']")
    frame.get_by_role("button", name="I've paid").focus()  # focus is inside the iframe
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="UPI payment")).to_have_count(0)
    assert page.evaluate("window.__result") == {"status": "dismissed"}
    assert not _scroll_locked(page)
    browser_log.assert_clean()


def test_escape_on_the_merchant_page_closes_the_window(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    _open_embedded(live, merchant, page, 63)
    page.get_by_role("button", name="Close the payment window").focus()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="UPI payment")).to_have_count(0)
    assert page.evaluate("window.__result") == {"status": "dismissed"}
    browser_log.assert_clean()


def test_the_frame_grows_to_its_content(
    live: LiveGateway, merchant: Site, page: Page, browser_log: BrowserLog
) -> None:
    created = _open_embedded(live, merchant, page, 64)
    iframe = page.locator("iframe[title='UPI payment']")
    # From the 720 px default to the page's own height, as the frame reports it.
    page.wait_for_function(
        "document.querySelector(\"iframe[title='UPI payment']\").style.height !== ''"
    )
    inner = iframe.content_frame
    wanted = inner.locator("html").evaluate("e => Math.ceil(e.getBoundingClientRect().height)")
    box = iframe.bounding_box()
    assert box is not None and abs(box["height"] - wanted) <= 1 and wanted != 720
    # The content changes (paid: the receipt replaces the QR): the frame follows.
    live.credit(created["orderId"])
    page.wait_for_function("window.__result !== null")
    expect(inner.locator("#checkout")).to_have_attribute("data-status", "completed")
    page.wait_for_function(
        "h => document.querySelector(\"iframe[title='UPI payment']\").style.height !== h",
        arg=f"{wanted}px",
    )
    browser_log.assert_clean()
