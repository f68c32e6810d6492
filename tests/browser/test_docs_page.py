"""The API docs page in Chromium: Swagger UI renders from our own assets under our CSP."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, Request

from tests.browser.conftest import BrowserLog, LiveGateway

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1280, "height": 900}, "has_touch": False, "is_mobile": False}
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_docs_page_renders_without_csp_violations_or_foreign_requests(
    live: LiveGateway, new_page: Callable[..., Page], browser_log: BrowserLog
) -> None:
    document = live.get("/api/v1/openapi.json").json()
    operations = sum(len(METHODS & set(item)) for item in document["paths"].values())
    foreign: list[str] = []

    def record(request: Request) -> None:
        if not request.url.startswith((live.url, "data:")):
            foreign.append(request.url)

    page = new_page(**DESKTOP)
    page.on("request", record)
    page.goto(f"{live.url}/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    assert page.locator(".opblock").count() == operations
    assert page.locator("#docs-fallback").is_hidden()
    # Open one operation and its schemas: more of the UI renders (and injects styles).
    page.locator("#operations-Seed_API-health .opblock-summary").click()
    page.wait_for_selector("#operations-Seed_API-health .responses-table")
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    page.wait_for_selector("#operations-Seed_API-health .live-responses-table")
    page.wait_for_timeout(300)
    assert foreign == []
    browser_log.assert_clean()
