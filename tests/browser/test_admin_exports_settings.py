"""The console's exports and settings in Chromium: a CSV download parsed back, staff refused
on key management, a key's secret shown once, axe on every page, and screenshots at 360 px
and 1280 px (test-artifacts/console/)."""

from __future__ import annotations

import csv
import re
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from checkout import clock
from checkout.services import exports, users
from checkout.storage.users import User
from tests.browser.axe import axe_violations
from tests.browser.conftest import BrowserLog, LiveGateway
from tests.browser.console import shots, sign_in
from tests.conftest import ADMIN_SECRET

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery staple 9"
SETTINGS_PAGES = (
    "/admin/settings",
    "/admin/settings/links",
    "/admin/settings/keys",
    "/admin/settings/webhooks",
    "/admin/settings/config",
    "/admin/exports",
)


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


@pytest.fixture
def staff(live: LiveGateway) -> Iterator[str]:
    yield from _user(live, "staff")


@pytest.fixture
def owner(live: LiveGateway) -> Iterator[str]:
    yield from _user(live, "owner")


def test_csv_download_parsed_back_and_staff_refused_on_keys(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    staff: str,
    tmp_path: Path,
) -> None:
    tag = secrets.token_hex(3).upper()
    order_id = f"ORD-CSV-{tag}"
    live.create_checkout(orderId=order_id, amount=349, customer={"name": "=Meera Iyer"})
    page = new_page()
    sign_in(page, live, staff, "/admin/exports", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Exports")
    shots(page, "exports")
    page.get_by_label("Search (order, e-mail, phone, name or UTR)").fill(order_id)
    page.get_by_label("Status").select_option("pending")
    with page.expect_download() as started:
        page.get_by_role("button", name="Download payments CSV").click()
    download = started.value
    assert download.suggested_filename == "checkouts_all.csv"
    saved = tmp_path / "checkouts.csv"
    download.save_as(saved)
    with saved.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == exports.CHECKOUT_COLUMNS
        (row,) = list(reader)
    assert row["orderId"] == order_id and row["status"] == "pending"
    assert row["requestedAmount"] == "349.00" and row["customerName"] == "'=Meera Iyer"
    assert row["createdAt"].endswith("+05:30")

    with page.expect_download() as evidence:
        page.get_by_role("button", name="Download evidence CSV").click()
    assert evidence.value.suggested_filename == "evidence_all.csv"

    browser_log.allow(r"status of 403")  # the refusals below, on purpose
    for path in ("/admin/settings/keys", "/admin/settings/webhooks", "/admin/settings"):
        answer = page.goto(f"{live.url}{path}")
        assert answer is not None and answer.status == 403, path
    browser_log.assert_clean()


def test_owner_sees_a_new_key_once_and_settings_pass_axe(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    owner: str,
) -> None:
    page = new_page()
    sign_in(page, live, owner, "/admin/settings", PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    page.get_by_role("link", name="API keys").click()
    name = f"relay phone {secrets.token_hex(3)}"
    page.get_by_label("Name (what the key is for)").fill(name)
    page.get_by_label("Scope").select_option("evidence")
    page.get_by_role("button", name="Create key").click()
    secret_box = page.get_by_label("Secret key")
    expect(secret_box).to_have_value(re.compile(r"^sk_test_"))
    secret = secret_box.input_value()
    expect(page.get_by_role("cell", name=name, exact=True)).to_be_visible()
    shots(page, "settings-key-created")

    page.goto(f"{live.url}/admin/settings/keys")
    assert secret not in page.content()
    expect(page.get_by_label("Secret key")).to_have_count(0)
    page.get_by_role("button", name=f"Revoke {name}").click()
    expect(page.get_by_role("status").first).to_contain_text("revoked")

    page.goto(f"{live.url}/admin/settings/config")
    assert ADMIN_SECRET not in page.content()
    expect(page.get_by_role("row", name=re.compile("ADMIN_SECRET"))).to_contain_text("set")
    shots(page, "settings-config")
    page.goto(f"{live.url}/admin/settings/webhooks")
    shots(page, "settings-webhooks")
    page.goto(f"{live.url}/admin/settings/links")
    shots(page, "settings-links")

    found: dict[str, list[dict[str, Any]]] = {}
    for scheme in ("light", "dark"):
        checked = new_page(bypass_csp=True, color_scheme=scheme)
        sign_in(checked, live, owner, "/admin/settings", PASSWORD)
        for path in SETTINGS_PAGES:
            checked.goto(f"{live.url}{path}")
            violations: list[dict[str, Any]] = axe_violations(checked)
            if violations:
                found[f"{path} ({scheme})"] = violations
    assert not found, found
    browser_log.assert_clean()
