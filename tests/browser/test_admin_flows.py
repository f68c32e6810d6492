"""The console's decisions in Chromium: assigning an unattributed credit (a double click and
two racing submits assign once), a partial then a full refund with one above what was
paid refused, the refunded checkout in the CSV export, staff refused on key management,
and screenshots of the review queue and the refund page at 360 px and 1280 px.

The live gateway is shared by the package: this file's users, webhook endpoint and
deliveries are removed afterwards, and it makes no failed sign-ins (a failure counter
left behind would lock 127.0.0.1 out of later console tests).
"""

from __future__ import annotations

import csv
import re
import secrets
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from checkout import clock
from checkout.domain.money import rupees_decimal
from checkout.services import exports, users
from checkout.storage.merchant import ApiKey, WebhookDelivery, WebhookEndpoint
from checkout.storage.models import AuditLog, Order, PaymentSession, WalletCredit
from checkout.storage.users import LoginFailure, User
from tests.browser.axe import axe_violations
from tests.browser.conftest import BrowserLog, LiveGateway, Site
from tests.browser.console import shots, sign_in
from tests.conftest import AUTH

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple 11"
HOOK_EVENTS = ["checkout.completed", "checkout.refunded"]


def _user(live: LiveGateway, role: str) -> Iterator[str]:
    email = f"{role}-{secrets.token_hex(4)}@shop.test"
    users.create_user(
        live.gateway.users,
        live.gateway.store,
        email=email,
        password=PASSWORD,
        role=role,
        by="test",
        now=clock.utcnow(),
    )
    yield email
    User.objects(email=email).delete()
    LoginFailure.objects(key=f"account:{email}").delete()


@pytest.fixture
def staff(live: LiveGateway) -> Iterator[str]:
    """Staff act on payments (assign, refund) but manage no keys."""
    yield from _user(live, "staff")


@pytest.fixture
def hook(live: LiveGateway, merchant: Site) -> Iterator[str]:
    """A webhook endpoint of this test's own, so every event it causes leaves a delivery."""
    endpoint_id = f"we_{secrets.token_hex(12)}"
    WebhookEndpoint(
        endpointId=endpoint_id,
        url=f"{merchant.origin}/hook",
        secret=f"whsec_{secrets.token_urlsafe(16)}",
        events=HOOK_EVENTS,
        createdAt=clock.utcnow(),
    ).save()
    yield endpoint_id
    WebhookEndpoint.objects(endpointId=endpoint_id).delete()
    WebhookDelivery.objects(endpointId=endpoint_id).delete()


def _wait(what: str, found: Callable[[], Any], timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := found()):
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.1)
    return value


def _stray_credit(live: LiveGateway, order_id: str, requested_paise: int) -> str:
    """An unattributed credit of the checkout's requested amount (its app dropped the suffix).

    A credit of exactly the requested amount would be matched at once (a lone checkout
    is asked for that amount), so the wallet gets an odd amount nobody is asked for and
    the credit is then set to what the checkout requested, as the functional test does.
    """
    odd = f"{secrets.randbelow(800) + 100}.{secrets.randbelow(90) + 10}"
    answer = live.http.post(f"{live.url}/api/sandbox/credit", json={"amount": odd}, timeout=10)
    assert answer.status_code == 200, answer.text

    def unattributed() -> str | None:
        listed = live.get("/api/v1/credits?state=unattributed", headers=AUTH).json()
        ids = [c["id"] for c in listed["data"] if Decimal(str(c["amount"])) == Decimal(odd)]
        return ids[0] if ids else None

    credit_id: str = _wait(f"an unattributed ₹{odd}", unattributed)
    WalletCredit.objects(id=credit_id.removeprefix("cr_")).update_one(
        set__amountPaise=requested_paise
    )
    return credit_id


def _events(endpoint_id: str, event_type: str, order_id: str) -> list[WebhookDelivery]:
    return [
        d
        for d in WebhookDelivery.objects(endpointId=endpoint_id, type=event_type)
        if f'"orderId":"{order_id}"' in d.payload.replace(" ", "")
    ]


def _assigned_once(live: LiveGateway, hook: str, order_id: str) -> None:
    """One completion, one order, one credit_assigned audit, one checkout.completed event."""
    live.wait_for_status(order_id, "completed")
    _wait("the checkout.completed delivery", lambda: _events(hook, "checkout.completed", order_id))
    time.sleep(1.5)  # a tick and a worker pass more: nothing else may follow
    assert PaymentSession.objects(orderId=order_id).count() == 1
    assert Order.objects(orderId=order_id).count() == 1
    assert AuditLog.objects(orderId=order_id, action="credit_assigned").count() == 1
    assert len(_events(hook, "checkout.completed", order_id)) == 1


def test_assign_a_credit_once_under_a_double_click_and_racing_submits(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
    hook: str,
) -> None:
    tag = secrets.token_hex(3).upper()
    clicked, raced = f"ORD-ASN-{tag}-1", f"ORD-ASN-{tag}-2"
    live.create_checkout(orderId=clicked, amount=583)
    live.create_checkout(orderId=raced, amount=584)
    first = _stray_credit(live, clicked, 58300)
    second = _stray_credit(live, raced, 58400)
    # The second click (and the losing submit) is refused with 409, on purpose.
    browser_log.allow(r"status of 409 \(CONFLICT\)")

    page = new_page()
    sign_in(page, live, staff, "/admin/credits", PASSWORD)
    card = page.locator("section.credit", has=page.locator(f"[id='{first}-title']"))
    expect(card).to_contain_text("₹583")
    expect(page.get_by_role("heading", name="Refused UTR claims")).to_be_visible()
    shots(page, "review-queue")

    card.get_by_role("link", name="Assign to checkout…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Assign a credit of ₹583")
    shots(page, "review-assign")
    page.get_by_role("button", name=f"Confirm: assign to {clicked}").dblclick()
    page.wait_for_load_state()
    _assigned_once(live, hook, clicked)
    page.goto(f"{live.url}/admin/credits")
    expect(page.locator(f"[id='{first}-title']")).to_have_count(0)

    # Two submits of the same confirmation leave the page at once: one wins, one is refused.
    page.goto(f"{live.url}/admin/credits/{second}/assign")
    statuses = page.evaluate(
        """async (orderId) => {
          const form = [...document.querySelectorAll("form")]
            .find(f => f.querySelector("input[name=orderId]")?.value === orderId);
          const post = () => fetch(form.action, {
            method: "POST", body: new FormData(form), redirect: "manual",
          }).then(r => r.type === "opaqueredirect" ? 302 : r.status);
          return (await Promise.all([post(), post()])).sort();
        }""",
        raced,
    )
    assert statuses == [302, 409], statuses
    _assigned_once(live, hook, raced)
    browser_log.assert_clean()


def test_partial_refund_then_full_one_above_paid_refused_and_exported(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
    hook: str,
    tmp_path: Path,
) -> None:
    order_id = f"ORD-REF-{secrets.token_hex(3).upper()}"
    created = live.create_checkout(orderId=order_id, amount=349)
    live.credit(order_id)
    live.wait_for_status(order_id, "completed")
    # What the payer paid: ₹349 and a few paise when another ₹349 checkout was open.
    paid = int(Decimal(str(created["amount"])) * 100)
    rest = paid - 10_000
    # The refusal of a refund above what is left answers 400 with the form, on purpose.
    browser_log.allow(r"status of 400 \(BAD REQUEST\)")

    page = new_page()
    path = f"/admin/checkouts/{created['id']}/refund"
    sign_in(page, live, staff, path, PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Refund {order_id}")
    summary = page.get_by_text(re.compile("left to refund"))
    expect(summary).to_contain_text(f"left to refund ₹{rupees_decimal(paid)}")
    shots(page, "refund")

    page.get_by_label("Amount in rupees").fill("100")
    page.get_by_label("UTR of the refund (12 digits, optional)").fill("512345678901")
    page.get_by_role("button", name="Record refund").click()
    expect(page.get_by_role("status").filter(has_text="Refund recorded.").first).to_be_visible()
    expect(summary).to_contain_text("refunded ₹100")
    expect(summary).to_contain_text(f"left to refund ₹{rupees_decimal(rest)}")
    expect(page.get_by_role("table")).to_contain_text("512345678901")

    page.get_by_label("Amount in rupees").fill(str(rupees_decimal(rest + 1)))
    page.get_by_role("button", name="Record refund").click()
    expect(page.get_by_role("alert")).to_contain_text("cannot exceed")
    expect(summary).to_contain_text(f"left to refund ₹{rupees_decimal(rest)}")

    page.get_by_label("Amount in rupees").fill(str(rupees_decimal(rest)))
    page.get_by_role("button", name="Record refund").click()
    expect(page.get_by_text("Everything paid has been refunded.")).to_be_visible()
    expect(page.get_by_role("button", name="Record refund")).to_have_count(0)
    shots(page, "refund-done")

    read = live.read_checkout(created["id"])
    assert Decimal(str(read["refundedAmount"])) == rupees_decimal(paid), read
    listed = live.get(f"/api/v1/checkout-sessions/{created['id']}/refunds", headers=AUTH).json()
    amounts = [Decimal(str(r["amount"])) for r in listed["data"]]
    assert amounts == [100, rupees_decimal(rest)]
    _wait(
        "two checkout.refunded deliveries",
        lambda: len(_events(hook, "checkout.refunded", order_id)) == 2,
    )

    # The accountant's CSV carries the refund.
    page.goto(f"{live.url}/admin/exports")
    page.get_by_label("Search (order, e-mail, phone, name or UTR)").fill(order_id)
    with page.expect_download() as started:
        page.get_by_role("button", name="Download payments CSV").click()
    saved = tmp_path / "checkouts.csv"
    started.value.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == exports.CHECKOUT_COLUMNS
        (row,) = list(reader)
    assert (row["orderId"], row["status"]) == (order_id, "completed")
    assert row["amountPaid"] == row["refundedAmount"] == f"{paid // 100}.{paid % 100:02d}"
    browser_log.assert_clean()


def test_staff_refused_on_key_management(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
) -> None:
    keys = ApiKey.objects.count()
    page = new_page()
    sign_in(page, live, staff, "/admin/credits", PASSWORD)
    browser_log.allow(r"status of 403")  # the refusals below, on purpose
    answer = page.goto(f"{live.url}/admin/settings/keys")
    assert answer is not None and answer.status == 403
    # Nor can a staff member post the form with a valid session and CSRF token.
    page.goto(f"{live.url}/admin/credits")
    token = page.locator("form.admin-signout input[name=csrf_token]").get_attribute("value")
    posted = page.evaluate(
        """async (token) => (await fetch("/admin/settings/keys", {
          method: "POST", redirect: "manual",
          body: new URLSearchParams({csrf_token: token, name: "sneaky", scope: "full"}),
        })).status""",
        token,
    )
    assert posted == 403
    assert ApiKey.objects.count() == keys
    browser_log.assert_clean()


def test_review_assign_and_refund_pages_pass_axe_light_and_dark(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
) -> None:
    tag = secrets.token_hex(3).upper()
    waiting, refunded = f"ORD-AXR-{tag}-1", f"ORD-AXR-{tag}-2"
    live.create_checkout(orderId=waiting, amount=611)
    credit_id = _stray_credit(live, waiting, 61100)
    paid = live.create_checkout(orderId=refunded, amount=612)
    live.credit(refunded)
    live.wait_for_status(refunded, "completed")
    answer = live.http.post(
        f"{live.url}/api/v1/checkout-sessions/{paid['id']}/refunds",
        json={"amount": "12", "utr": "512345678902", "note": "one cup short"},
        headers=AUTH,
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    paths = [
        "/admin/credits",
        f"/admin/credits/{credit_id}/assign",
        f"/admin/checkouts/{paid['id']}/refund",
    ]
    found: dict[str, list[dict[str, Any]]] = {}
    for scheme in ("light", "dark"):
        page = new_page(bypass_csp=True, color_scheme=scheme)
        sign_in(page, live, staff, "/admin/credits", PASSWORD)
        for path in paths:
            page.goto(f"{live.url}{path}")
            violations: list[dict[str, Any]] = axe_violations(page)
            if violations:
                found[f"{path} ({scheme})"] = violations
    assert not found, found
    browser_log.assert_clean()
