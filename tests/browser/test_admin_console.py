"""The console's Today and Payments pages in Chromium: search by e-mail and by UTR, open a
checkout's page, and screenshots at 360 px and 1280 px (test-artifacts/console/)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from checkout import clock
from checkout.services import users
from checkout.storage.models import WalletCredit
from checkout.storage.users import User
from tests.browser.axe import axe_violations
from tests.browser.conftest import BrowserLog, LiveGateway
from tests.browser.console import shots, sign_in

pytestmark = pytest.mark.browser


PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def staff(live: LiveGateway) -> Iterator[str]:
    """A staff user of its own (staff may see and act on payments), removed afterwards."""
    email = f"staff-{secrets.token_hex(4)}@shop.test"
    users.create_user(
        live.gateway.users,
        live.gateway.store,
        email=email,
        password=PASSWORD,
        role="staff",
        by="test",
        now=clock.utcnow(),
    )
    yield email
    User.objects(email=email).delete()


def _search(page: Page, text: str) -> list[str]:
    page.get_by_label("Search order, e-mail, phone, name or UTR").fill(text)
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"/admin/checkouts\?"))
    rows = page.locator("table.payments tbody th[scope=row] a")
    return [text.strip() for text in rows.all_inner_texts()]


def test_search_by_email_and_utr_then_open_the_checkout(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
) -> None:
    tag = secrets.token_hex(3).upper()
    by_email, by_utr = f"ORD-CON-{tag}-1", f"ORD-CON-{tag}-2"
    email = f"meera.{tag.lower()}@example.com"
    live.create_checkout(
        orderId=by_email, amount=349, customer={"email": email, "name": "Meera Iyer"}
    )
    live.create_checkout(orderId=by_utr, amount=412)
    sms = live.http.post(f"{live.url}/api/sandbox/sms", json={"orderId": by_utr}, timeout=10)
    assert sms.status_code == 200, sms.text
    live.wait_for_status(by_utr, "completed")
    credit = WalletCredit.objects(orderIds=by_utr).first()
    assert credit is not None and credit.rrn

    page = new_page()
    sign_in(page, live, staff, "/admin/checkouts", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Payments")

    assert _search(page, email.upper()) == [by_email]
    expect(page.get_by_role("cell", name=re.compile("Meera Iyer"))).to_be_visible()
    shots(page, "payments-search")
    assert _search(page, str(credit.rrn)) == [by_utr]

    page.get_by_role("link", name=by_utr).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Checkout {by_utr}")
    timeline = page.locator("ol.timeline")
    expect(timeline).to_contain_text("Created")
    expect(timeline).to_contain_text("Evidence seen")
    expect(timeline).to_contain_text(f"RRN {credit.rrn}")
    expect(timeline).to_contain_text("Completed")
    expect(page.get_by_role("link", name="Record a refund…")).to_be_visible()
    link = page.get_by_label("Pay link")
    expect(link).to_have_value(re.compile(rf"^{re.escape(live.url)}/pay/"))
    copy = page.get_by_role("button", name="Copy")
    expect(copy).to_be_visible()  # shown only when the script could run
    copy.click()
    expect(page.locator(".copy-status")).to_have_text(re.compile(r"Copied\.|Select and copy"))
    shots(page, "checkout")

    page.get_by_role("link", name="Payments").first.click()
    browser_log.allow(r"status of 400 .*colour=blue")  # the refusal below, on purpose
    page.goto(f"{live.url}/admin/checkouts?colour=blue")
    expect(page.get_by_role("alert")).to_contain_text("colour")

    page.get_by_role("link", name="Today").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Today")
    chart = page.get_by_role("img", name=re.compile("Takings per day"))
    expect(chart).to_be_visible()
    expect(page.get_by_role("heading", name="Needs attention")).to_be_visible()
    shots(page, "today")
    browser_log.assert_clean()


def test_today_payments_and_a_checkout_pass_axe_light_and_dark(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
) -> None:
    tag = secrets.token_hex(3).upper()
    pending = live.create_checkout(orderId=f"ORD-AXE-{tag}", amount=377)
    paths = [
        "/admin/",
        "/admin/checkouts",
        "/admin/checkouts?colour=blue",
        f"/admin/checkouts/{pending['orderId']}",
        f"/admin/checkouts/{pending['orderId']}/cancel",
    ]
    found: dict[str, list[dict[str, Any]]] = {}
    for scheme in ("light", "dark"):
        page = new_page(bypass_csp=True, color_scheme=scheme)
        sign_in(page, live, staff, "/admin/", PASSWORD)
        for path in paths:
            page.goto(f"{live.url}{path}")
            page.locator("details.chart-table").evaluate_all(
                "nodes => nodes.forEach(n => { n.open = true; })"
            )
            violations: list[dict[str, Any]] = axe_violations(page)
            if violations:
                found[f"{path} ({scheme})"] = violations
    assert not found, found
    browser_log.allow(r"status of 400 .*colour=blue")
    browser_log.assert_clean()
