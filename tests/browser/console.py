"""What the console's browser tests share: signing in through the real form, and the
360 px and 1280 px screenshots that also check nothing sticks out sideways."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import ARTIFACTS, LiveGateway

SHOTS = ARTIFACTS / "console"


def sign_in(page: Page, live: LiveGateway, email: str, path: str, password: str) -> None:
    """Open `path` signed out, sign in on the login page it leads to, land on `path`."""
    page.goto(f"{live.url}{path}")
    expect(page).to_have_url(re.compile(r"/admin/login\?next="))
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live.url}{path}")


def shots(page: Page, name: str) -> None:
    """The page as a phone (360 px) and as a desk (1280 px) shows it; nothing sticks out.

    A posted form's answer can be on screen before its stylesheet is, so the page is
    measured once everything it loads has loaded (an unstyled table is wide)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")
    size = page.viewport_size
    assert size is not None
    for width in (360, 1280):
        page.set_viewport_size({"width": width, "height": 800})
        wide = page.evaluate(
            """(w) => [...document.querySelectorAll("body *")]
              .filter(e => e.getBoundingClientRect().right > w + 1 || e.scrollWidth > w)
              .slice(0, 6).map(e => `${e.tagName}.${e.className} ${e.scrollWidth}`)""",
            width,
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width, wide)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size(size)
