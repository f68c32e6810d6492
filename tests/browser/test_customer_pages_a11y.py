"""Every customer page, in each language it has, light and dark: axe-core finds nothing, and a
360 px screenshot of each is kept in test-artifacts/customer-pages/ (issue 11).

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0) and injected into a
context that bypasses the page's CSP, so the pages themselves need no exception.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import ARTIFACTS, BrowserLog, LiveGateway, phone_screenshot

pytestmark = pytest.mark.browser

SHOTS = ARTIFACTS / "customer-pages"
# Every language with a catalogue (translations/): a third one is added here too.
LANGUAGES = ("en", "hi")
SCHEMES = ("light", "dark")


def _states(live: LiveGateway) -> dict[str, str]:
    """One URL per thing a customer can see: pay page, paid, cancelled, link, unknown."""
    pending = live.create_checkout(amount=311, customer={"email": "asha@example.in"})
    paid = live.create_checkout(amount=312)
    live.credit(paid["orderId"])
    live.wait_for_status(paid["orderId"], "completed")
    cancelled = live.create_checkout(amount=313)
    answer = live.http.post(
        f"{live.url}/api/v1/checkout-sessions/{cancelled['id']}/cancel",
        headers={"Authorization": f"Bearer {live.gateway.settings.admin_secret}"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {
        "pending": pending["url"],
        "completed": paid["url"],
        "cancelled": cancelled["url"],
        "link": f"{live.url}/l/demo",
        "not-found": f"{live.url}/pay/no-such-checkout-token",
    }


def _axe(page: Page) -> list[dict[str, Any]]:
    violations: list[dict[str, Any]] = axe_violations(page)
    return violations


def test_every_customer_page_passes_axe_light_and_dark(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    states = _states(live)
    SHOTS.mkdir(parents=True, exist_ok=True)
    found: dict[str, list[dict[str, Any]]] = {}
    for scheme in SCHEMES:
        page = new_page(bypass_csp=True, color_scheme=scheme)
        for language in LANGUAGES:
            for state, url in states.items():
                joiner = "&" if "?" in url else "?"
                page.goto(f"{url}{joiner}lang={language}")
                expect(page.locator("html")).to_have_attribute("lang", language)
                violations = _axe(page)
                if violations:
                    found[f"{state} ({language}, {scheme})"] = violations
                if scheme == "light":
                    phone_screenshot(page, SHOTS / f"{state}-{language}.png")
    assert not found, found
    for state in states:
        for language in LANGUAGES:
            assert (SHOTS / f"{state}-{language}.png").stat().st_size > 0
    browser_log.allow("404")  # the unknown checkout's page is a 404 on purpose
    browser_log.assert_clean()
