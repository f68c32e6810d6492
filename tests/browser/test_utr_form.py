"""The customer's UTR on the pay page, with JavaScript and without (issue 9): after
"I've paid" the field appears; a claim waits until the bank's SMS with that RRN
arrives, and the page then shows the payment received."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import BrowserLog, LiveGateway
from tests.conftest import AUTH

pytestmark = pytest.mark.browser

SMS = (
    "Credit Alert!\nRs.{rupees} credited to HDFC Bank A/c XX4821 on 02-12-26 from VPA "
    "asha.k@okicici (UPI {rrn})"
)


def _bank_sms(live: LiveGateway, rupees: str, rrn: str) -> dict[str, Any]:
    """The merchant's phone relays the bank's credit SMS."""
    response = live.http.post(
        f"{live.url}/api/v1/evidence/sms",
        json={"from": "VM-HDFCBK-S", "text": SMS.format(rupees=rupees, rrn=rrn)},
        headers=AUTH,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_utr_given_on_the_page_waits_for_the_bank_and_then_pays(
    live: LiveGateway,
    new_page: Callable[..., Page],
    browser_log: BrowserLog,
    javascript: bool,
) -> None:
    # A checkout opened now cannot be paid by a balance rise seen in the same interval,
    # and this one is paid by the bank's SMS only: its amount is its own.
    created = live.create_checkout(amount=f"{311 + javascript}.00")
    page = new_page(java_script_enabled=javascript)
    page.goto(created["url"])
    expect(page.get_by_label("UPI reference (UTR), 12 digits")).to_have_count(0)

    page.get_by_role("button", name="I've paid").click()
    field = page.get_by_label("UPI reference (UTR), 12 digits")
    expect(field).to_be_visible()

    field.fill("12345")
    page.get_by_role("button", name="Send UTR").click()
    expect(page.get_by_role("alert")).to_contain_text("12 digits")
    assert live.status(created["orderId"]) == "pending"

    rrn = f"63360{311 + javascript:07d}"
    page.get_by_label("UPI reference (UTR), 12 digits").fill(rrn)
    page.get_by_role("button", name="Send UTR").click()
    expect(page.locator("#utr-note")).to_contain_text("have not seen that payment")
    assert live.status(created["orderId"]) == "pending"  # a claim alone pays nothing

    # The bank's SMS arrives, for the amount without its paise suffix, as a customer who
    # dropped the paise would have paid: the waiting claim names this checkout.
    answer = _bank_sms(live, f"{311 + javascript}.00", rrn)
    assert answer["outcome"] == "credited" and answer["orderIds"] == [created["orderId"]]
    if not javascript:
        page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")
    browser_log.assert_clean()
