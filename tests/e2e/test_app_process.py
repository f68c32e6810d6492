"""The gateway as a new user runs it: `python app.py` and gunicorn, over real HTTP.

The wallet is a real local HTTP server answering the MobiKwik balance API.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from tests.conftest import ADMIN_SECRET, ROOT, StartServer, child_environment

BIN = Path(sys.executable).parent


class StubWallet:
    """A MobiKwik-shaped balance API whose balance the test moves."""

    def __init__(self) -> None:
        self.balance = "5000.50"
        self.calls = 0
        self.lock = threading.Lock()

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.calls += 1
            balance = self.balance
        if request.headers.get("authorization") != "stub-token":
            return Response('{"success": false}', status=401, content_type="application/json")
        body = f'{{"success": true, "data": {{"balance": {balance}}}}}'
        return Response(body, content_type="application/json")


def _poll_status(base: str, order_id: str, wanted: str) -> str:
    deadline = time.monotonic() + 20
    status = ""
    while time.monotonic() < deadline:
        status = requests.get(f"{base}/api/payment-status/{order_id}", timeout=5).json()["status"]
        if status == wanted:
            return status
        time.sleep(0.5)
    return status


def test_a_bad_setting_stops_start_up_with_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=child_environment(tmp_path, PORT="abc"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "PORT" in lines[0], result.stderr


def test_seed_walk_through_against_python_app_py_with_a_mobikwik_stub(
    start_server: StartServer, httpserver: HTTPServer
) -> None:
    wallet = StubWallet()
    httpserver.expect_request("/p/wallet/balance").respond_with_handler(wallet.handle)
    base = start_server(
        [sys.executable, "app.py"],
        PAYMENT_PROVIDER="mobikwik",
        MOBIKWIK_AUTH="stub-token",
        MOBIKWIK_API_URL=httpserver.url_for("/p/wallet/balance"),
        POLL_INTERVAL_SECONDS="1",
        ADMIN_SECRET=ADMIN_SECRET,
    )
    health = requests.get(f"{base}/health", timeout=5).json()
    assert health["status"] == "ok" and health["timestamp"].endswith("Z")
    assert len(requests.get(f"{base}/api/nonce", timeout=5).json()["nonce"]) == 64
    qr = requests.get(f"{base}/api/upi-qr", params={"amount": 100, "note": "Test"}, timeout=5)
    assert qr.json()["upiString"].endswith("&am=100.00&cu=INR&tn=Test")
    assert wallet.calls == 0  # nothing is payable yet: no wallet calls

    nonce = requests.get(f"{base}/api/nonce", timeout=5).json()["nonce"]
    created = requests.post(
        f"{base}/api/create-payment-session",
        json={
            "orderId": "ORD-E2E-1",
            "productDetails": {"name": "Product", "quantity": 1},
            "deliveryDetails": {"name": "John", "address": "123 St"},
            "email": "john@example.com",
            "basePrice": 1000,
            "tax": 18,
            "couponCode": "",
            "nonce": nonce,
        },
        timeout=10,
    )
    assert created.status_code == 200
    assert created.json()["success"] is True and created.json()["amount"] == 1018
    assert _poll_status(base, "ORD-E2E-1", "pending") == "pending"

    with wallet.lock:
        wallet.balance = "6018.50"  # the customer pays ₹1018
    assert _poll_status(base, "ORD-E2E-1", "completed") == "completed"
    order = requests.get(
        f"{base}/api/order/ORD-E2E-1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
        timeout=5,
    ).json()
    assert order["order"]["status"] == "confirmed" and order["order"]["totalAmount"] == 1018


def test_embedded_default_serves_the_demo_link(start_server: StartServer) -> None:
    base = start_server([sys.executable, "app.py"])
    page = requests.get(f"{base}/l/demo", timeout=5)
    assert page.status_code == 200 and "Sandbox" in page.text
    home = requests.get(f"{base}/", timeout=5)
    assert "/l/demo" in home.text and "/health" in home.text


def test_gunicorn_serves_wsgi_app(start_server: StartServer) -> None:
    base = start_server(
        [
            str(BIN / "gunicorn"),
            "-c",
            "checkout/gunicorn_conf.py",
            "-k",
            "gthread",
            "--threads",
            "4",
            "-w",
            "1",
            "-b",
            "127.0.0.1:{port}",
            "wsgi:app",
        ]
    )
    assert requests.get(f"{base}/health", timeout=5).json()["status"] == "ok"
