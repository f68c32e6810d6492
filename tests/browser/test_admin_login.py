"""The console's front door in Chromium: a signed-out visit redirected, first-owner setup,
sign-in, a wrong password, then the lockout; screenshots at 360 px and 1280 px.

The live gateway is shared by the package, so this test starts with no users and no
failure counters, and leaves none behind (its lockout would lock 127.0.0.1 out of
every later console test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from checkout.storage.users import LoginFailure, User
from tests.browser.axe import axe_violations
from tests.browser.conftest import BrowserLog, LiveGateway
from tests.browser.console import shots
from tests.conftest import ADMIN_SECRET

pytestmark = pytest.mark.browser

EMAIL = "owner@shop.test"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def no_users(live: LiveGateway) -> Iterator[None]:
    User.objects.delete()
    LoginFailure.objects.delete()
    yield
    User.objects.delete()
    LoginFailure.objects.delete()


def _sign_in(page: Page, password: str) -> None:
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_setup_login_wrong_password_then_lockout(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    no_users: None,
) -> None:
    # A refused sign-in answers 400 (wrong password) or 429 (locked out), as it should.
    browser_log.allow(
        r"status of (400 \(BAD REQUEST\)|429 \(TOO MANY REQUESTS\)) \(\S+/admin/login\)"
    )
    page = new_page()
    # Signed out: a console page sends you to the login, and back after it.
    page.goto(f"{live.url}/admin/settings/users")
    expect(page).to_have_url(f"{live.url}/admin/login?next=/admin/settings/users")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to the console")
    page.get_by_role("link", name="set up the first owner").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Set up the console")
    page.get_by_label("ADMIN_SECRET").fill(ADMIN_SECRET)
    page.get_by_label("E-mail").fill(EMAIL)
    page.get_by_label("Password (at least 12 characters)").fill(PASSWORD)
    page.get_by_label("Password again").fill(PASSWORD)
    shots(page, "setup")
    page.get_by_role("button", name="Create the owner").click()
    expect(page).to_have_url(f"{live.url}/admin/login")
    expect(page.get_by_role("status")).to_contain_text("The owner account is ready")
    assert User.objects(email=EMAIL, role="owner").count() == 1

    page.goto(f"{live.url}/admin/login?next=/admin/settings/users")
    shots(page, "login")
    _sign_in(page, PASSWORD)
    expect(page).to_have_url(f"{live.url}/admin/settings/users")
    expect(page.get_by_role("cell", name=f"{EMAIL} (you)")).to_be_visible()
    shots(page, "users")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{live.url}/admin/login")
    page.goto(f"{live.url}/admin/settings/users")
    expect(page).to_have_url(f"{live.url}/admin/login?next=/admin/settings/users")

    # A wrong password: said plainly, and the field keeps its label.
    _sign_in(page, "not my password at all")
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")
    shots(page, "wrong-password")
    for attempt in range(4):
        _sign_in(page, f"still not it {attempt}")
        expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")

    # The sixth attempt is refused even with the right password.
    with page.expect_response(lambda r: r.url.endswith("/admin/login")) as answered:
        _sign_in(page, PASSWORD)
    assert answered.value.status == 429
    assert int(answered.value.headers["retry-after"]) > 14 * 60
    expect(page.get_by_role("alert")).to_have_text(
        "Too many wrong sign-ins. Try again in 15 minutes."
    )
    shots(page, "locked")
    page.goto(f"{live.url}/admin/")
    expect(page).to_have_url(f"{live.url}/admin/login?next=/admin/")
    browser_log.assert_clean()


def test_account_pages_pass_axe_light_and_dark(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    no_users: None,
) -> None:
    found: dict[str, Any] = {}
    for scheme in ("light", "dark"):
        User.objects.delete()
        page = new_page(bypass_csp=True, color_scheme=scheme)
        pages = [("setup", "/admin/setup"), ("login", "/admin/login")]
        for name, path in pages:
            page.goto(f"{live.url}{path}")
            if violations := axe_violations(page):
                found[f"{name} ({scheme})"] = violations
        page.goto(f"{live.url}/admin/setup")
        page.get_by_label("ADMIN_SECRET").fill(ADMIN_SECRET)
        page.get_by_label("E-mail").fill(EMAIL)
        page.get_by_label("Password (at least 12 characters)").fill(PASSWORD)
        page.get_by_label("Password again").fill(PASSWORD)
        page.get_by_role("button", name="Create the owner").click()
        _sign_in(page, PASSWORD)
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        for name, path in [
            ("users", "/admin/settings/users"),
            ("totp", "/admin/account/totp"),
            ("setup-done", "/admin/setup"),
        ]:
            page.goto(f"{live.url}{path}")
            if violations := axe_violations(page):
                found[f"{name} ({scheme})"] = violations
            if scheme == "light" and name == "totp":
                shots(page, "totp")
        page.get_by_role("button", name="Sign out").click()
    assert not found, found
    browser_log.assert_clean()
