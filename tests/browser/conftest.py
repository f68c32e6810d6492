"""Browser tests: the real gateway on 127.0.0.1, merchant sites beside it, Debian's Chromium.

One gateway per package (create_app rebinds mongoengine's default alias, so only one
app may live at a time); its clock runs at real speed plus an offset that tests may
only move forward (a lease or reservation taken in the future must never be undone).
Every page records console errors, uncaught exceptions and CSP violations; a test
ends with `browser_log.assert_clean()`, and a failed test leaves screenshots in
test-artifacts/.
"""

from __future__ import annotations

import html
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, sync_playwright
from werkzeug.serving import make_server

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from tests.browser.chromium import PHONE, launch_chromium
from tests.conftest import ADMIN_SECRET, AUTH

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
# A second allowed origin nobody serves: an embedded page must not post to it.
OTHER_ALLOWED_ORIGIN = "http://shop.test"
WAIT_MS = 15_000
BRAND_LOGO = ROOT / "tests" / "data" / "brand-logo.svg"
BRAND_COLOR = "#ff6b35"

# Records what a page's own code cannot hide from us: CSP violations in any frame.
CSP_RECORDER = """
document.addEventListener("securitypolicyviolation", function (e) {
  var report = {
    directive: e.effectiveDirective || e.violatedDirective,
    blocked: String(e.blockedURI || ""),
    source: String(e.sourceFile || ""),
    page: String(location.href),
  };
  if (window.__reportCsp) { window.__reportCsp(report); }
}, true);
"""


# -- time ---------------------------------------------------------------------------------


class OffsetClock:
    """Real time plus an offset that only grows; replaces checkout.clock.utcnow."""

    def __init__(self) -> None:
        self.offset = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        now = datetime.now(UTC) + self.offset
        return now.replace(microsecond=now.microsecond // 1000 * 1000)

    def advance(self, **delta: float) -> None:
        step = timedelta(**delta)
        assert step >= timedelta(), "the server clock only moves forward"
        with self._lock:
            self.offset += step


@pytest.fixture(scope="package")
def server_clock() -> Iterator[OffsetClock]:
    patch = pytest.MonkeyPatch()
    fake = OffsetClock()
    patch.setattr("checkout.clock.utcnow", fake)
    yield fake
    patch.undo()


# -- merchant sites -----------------------------------------------------------------------


class SiteHandler(BaseHTTPRequestHandler):
    """A merchant's own site: return/cancel landing pages, an embed parent, a framing page."""

    server: Site

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        if parts.path in ("/return", "/cancel", "/shop", "/policy"):
            title = "Back at the shop"
            body = f"<h1>{title}</h1><p id='where'>{html.escape(parts.path)}</p>"
        elif parts.path == "/parent":
            # The README's few lines: load embed.js from the gateway, open the checkout.
            checkout = json.dumps(query["checkout"]).replace("</", "<\\/")
            title = "Shop checkout"
            body = (
                f"<h1>{title}</h1>"
                f'<script src="{html.escape(self.server.gateway_url)}/static/js/embed.js"></script>'
                "<script>window.__result = null;"
                f"UPICheckout.open({checkout}, "
                "{onResult: function (r) { window.__result = r; }});"
                "</script>"
            )
        elif parts.path == "/frame":
            title = "Framing page"
            body = (
                f"<h1>{title}</h1>"
                f'<iframe id="pay" title="payment" src="{html.escape(query["src"])}"'
                ' width="400" height="600"></iframe>'
            )
        else:
            self.send_error(404)
            return
        page = (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title><link rel='icon' href='data:,'></head>"
            f"<body>{body}</body></html>"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)


class Site(ThreadingHTTPServer):
    daemon_threads = True
    gateway_url = ""

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    @property
    def cross_site_origin(self) -> str:
        """The same server under another site's name: a gateway iframe gets no Lax cookies."""
        return f"http://localhost:{self.server_address[1]}"


def _start_site() -> tuple[Site, threading.Thread]:
    site = Site(("127.0.0.1", 0), SiteHandler)
    thread = threading.Thread(target=site.serve_forever, name="site", daemon=True)
    thread.start()
    return site, thread


@pytest.fixture(scope="package")
def sites() -> Iterator[tuple[Site, Site]]:
    """(merchant, foreign): the merchant's origin is allowed, the foreign one is not."""
    merchant, merchant_thread = _start_site()
    foreign, foreign_thread = _start_site()
    yield merchant, foreign
    for site, thread in ((merchant, merchant_thread), (foreign, foreign_thread)):
        site.shutdown()
        site.server_close()
        thread.join(5)


@pytest.fixture(scope="package")
def merchant(sites: tuple[Site, Site]) -> Site:
    return sites[0]


@pytest.fixture(scope="package")
def foreign(sites: tuple[Site, Site]) -> Site:
    return sites[1]


# -- the gateway --------------------------------------------------------------------------


@dataclass
class LiveGateway:
    """The running gateway, seen from outside (HTTP) and, for waits, from inside (store)."""

    url: str
    app: Flask
    clock: OffsetClock
    http: requests.Session = field(default_factory=requests.Session)

    @property
    def gateway(self) -> Gateway:
        found: Gateway = self.app.extensions[EXTENSION_KEY]
        return found

    def create_checkout(self, **body: Any) -> dict[str, Any]:
        """POST /api/v1/checkout-sessions as the merchant's backend does."""
        body.setdefault("amount", 249)
        body.setdefault("description", "Blue mug")
        response = self.http.post(
            f"{self.url}/api/v1/checkout-sessions", json=body, headers=AUTH, timeout=10
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def read_checkout(self, session_id: str) -> dict[str, Any]:
        response = self.http.get(
            f"{self.url}/api/v1/checkout-sessions/{session_id}", headers=AUTH, timeout=10
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    def credit(self, order_id: str) -> dict[str, Any]:
        """The customer's UPI app pays the exact amount into the sandbox wallet."""
        response = self.http.post(
            f"{self.url}/api/sandbox/credit", json={"orderId": order_id}, timeout=10
        )
        assert response.status_code == 200, response.text
        credited: dict[str, Any] = response.json()
        return credited

    def status(self, order_id: str) -> str:
        # A key: without one the seed endpoints see only checkouts the seed flow opened.
        response = self.http.get(
            f"{self.url}/api/payment-status/{order_id}", headers=AUTH, timeout=10
        )
        assert response.status_code == 200, response.text
        return str(response.json()["status"])

    def wait_for_status(self, order_id: str, expected: str, timeout: float = 15.0) -> None:
        """Wait for the ticker (a thread in the server) to get a checkout to `expected`."""
        deadline = time.monotonic() + timeout
        seen = self.status(order_id)
        while seen != expected:
            assert time.monotonic() < deadline, f"{order_id} is still {seen}, not {expected}"
            time.sleep(0.1)
            seen = self.status(order_id)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.http.get(f"{self.url}{path}", timeout=10, **kwargs)


@pytest.fixture(scope="package")
def live(
    server_clock: OffsetClock,
    merchant: Site,
    foreign: Site,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[LiveGateway]:
    settings = Settings(
        admin_secret=ADMIN_SECRET,
        start_ticker=True,
        poll_interval_seconds=1,
        allowed_origins=(merchant.origin, merchant.cross_site_origin, OTHER_ALLOWED_ORIGIN),
        log_dir=str(tmp_path_factory.mktemp("browser-logs")),
        mongodb_db_name=f"browser_{uuid.uuid4().hex[:12]}",
        secret_key="browser-test-secret-key",
        # The merchant's brand on every customer page (a colour too light for the light theme,
        # so the derived shade is what axe checks there).
        merchant_logo=str(BRAND_LOGO),
        merchant_brand_color=BRAND_COLOR,
        merchant_support_email="help@chai.example",
        merchant_support_phone="+91 98765 43210",
        merchant_policy_url=f"{merchant.origin}/policy",
        merchant_site_url=f"{merchant.origin}/shop",
    ).validated()
    app = create_app(settings)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="gateway", daemon=True)
    thread.start()
    merchant.gateway_url = foreign.gateway_url = url
    gateway = LiveGateway(url=url, app=app, clock=server_clock)
    try:
        assert gateway.get("/health").status_code == 200
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        app.extensions[EXTENSION_KEY].stop_background()
        gateway.http.close()


# -- Chromium -----------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    try:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@dataclass
class BrowserLog:
    """Console errors, uncaught page errors and CSP violations from every page of a test."""

    entries: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    checked: bool = False

    def allow(self, pattern: str) -> None:
        """An error this test provokes on purpose (e.g. a refused frame)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.entries if not any(p.search(e) for p in self.allowed)]

    def assert_clean(self) -> None:
        self.checked = True
        unexpected = self.unexpected()
        assert not unexpected, "the browser reported:\n" + "\n".join(unexpected)

    def on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            where = message.location.get("url", "")
            self.entries.append(f"console error: {message.text} ({where})")

    def on_page_error(self, error: Exception) -> None:
        self.entries.append(f"page error: {error}")

    def on_csp(self, source: Any, report: dict[str, str]) -> None:
        self.entries.append(f"CSP violation: {report}")


CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.fixture
def browser_log(request: pytest.FixtureRequest) -> Iterator[BrowserLog]:
    log = BrowserLog()
    yield log
    # Pages are closed by now: a test that passed must have checked its log, and
    # nothing may have gone wrong after it did.
    report = request.node.stash.get(CALL_REPORT, None)
    if report is not None and report.passed:
        assert log.checked, "a browser test must end with browser_log.assert_clean()"
        log.assert_clean()


@pytest.fixture
def new_page(browser: Browser, browser_log: BrowserLog) -> Iterator[Callable[..., Page]]:
    """Open a page in a fresh context (a phone-sized one unless told otherwise)."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []

    def attach(page: Page) -> None:
        page.on("console", browser_log.on_console)
        page.on("pageerror", browser_log.on_page_error)
        pages.append(page)

    def _new_page(**options: Any) -> Page:
        context = browser.new_context(**{**PHONE, **options})
        context.set_default_timeout(WAIT_MS)
        context.expose_binding("__reportCsp", browser_log.on_csp)
        context.add_init_script(CSP_RECORDER)
        context.on("page", attach)
        contexts.append(context)
        return context.new_page()

    _new_page.pages = pages  # type: ignore[attr-defined]
    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


def phone_screenshot(page: Page, path: Path) -> None:
    """The whole page at phone width, still as a touch device sees it.

    (A full_page screenshot drops the touch emulation, so grow the viewport instead.)
    """
    path.parent.mkdir(exist_ok=True)
    size = page.viewport_size or PHONE["viewport"]
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(height, size["height"])})
    try:
        page.screenshot(path=str(path))
    finally:
        page.set_viewport_size(size)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep a screenshot of every open page of a failed test."""
    report = yield
    if report.when == "call":
        item.stash[CALL_REPORT] = report
    if report.when == "call" and report.failed:
        factory = getattr(item, "funcargs", {}).get("new_page")
        pages = getattr(factory, "pages", [])
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", item.name)
        for index, open_page in enumerate(pages):
            if open_page.is_closed():
                continue
            try:
                open_page.screenshot(path=str(ARTIFACTS / f"failed-{name}-{index}.png"))
            except Exception as exc:  # a crashed page must not hide the test's own failure
                report.sections.append(("screenshot", f"page {index}: {exc}"))
    return report
