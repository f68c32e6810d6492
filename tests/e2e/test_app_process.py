"""The gateway as a new user runs it: `python app.py` and gunicorn, over real HTTP.

The wallet is the shared stub: a real local HTTP server answering the MobiKwik API.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests

from checkout.logs import REDACTED
from tests.conftest import ADMIN_SECRET, ROOT, StartServer, child_environment
from tests.functional.conftest import seed_body
from tests.support.servers import until
from tests.support.wallet import StubWallet

BIN = Path(sys.executable).parent
GUNICORN = [str(BIN / "gunicorn"), "-c", "checkout/gunicorn_conf.py", "-k", "gthread"]


def _reaches(base: str, order_id: str, wanted: str) -> None:
    """Until the seed status endpoint says `wanted` (the ticker runs every second)."""

    def there() -> bool:
        answer = requests.get(f"{base}/api/payment-status/{order_id}", timeout=5)
        return bool(answer.json()["status"] == wanted)

    until(there, timeout=20, interval=0.5, failure=f"{order_id} never became {wanted}")


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
    start_server: StartServer, wallet: StubWallet
) -> None:
    wallet.token = "stub-token"  # a request without it would never see the balance rise
    wallet.balance_paise = 500050
    base = start_server(
        [sys.executable, "app.py"],
        PAYMENT_PROVIDER="mobikwik",
        MOBIKWIK_AUTH=wallet.token,
        MOBIKWIK_API_URL=wallet.balance_url,
        POLL_INTERVAL_SECONDS="1",
        ADMIN_SECRET=ADMIN_SECRET,
    )
    health = requests.get(f"{base}/health", timeout=5).json()
    assert health["status"] == "ok" and health["timestamp"].endswith("Z")
    assert len(requests.get(f"{base}/api/nonce", timeout=5).json()["nonce"]) == 64
    qr = requests.get(f"{base}/api/upi-qr", params={"amount": 100, "note": "Test"}, timeout=5)
    assert qr.json()["upiString"].endswith("&am=100.00&cu=INR&tn=Test")
    assert wallet.calls() == 0  # nothing is payable yet: no wallet calls

    nonce = requests.get(f"{base}/api/nonce", timeout=5).json()["nonce"]
    created = requests.post(
        f"{base}/api/create-payment-session", json=seed_body(nonce, orderId="ORD-E2E-1"), timeout=10
    )
    assert created.status_code == 200
    assert created.json()["success"] is True and created.json()["amount"] == 1018
    _reaches(base, "ORD-E2E-1", "pending")

    wallet.credit(101800)  # the customer pays ₹1018
    _reaches(base, "ORD-E2E-1", "completed")
    order = requests.get(
        f"{base}/api/order/ORD-E2E-1",
        headers={"Authorization": f"Bearer {ADMIN_SECRET}"},
        timeout=5,
    ).json()
    assert order["order"]["status"] == "confirmed" and order["order"]["totalAmount"] == 1018
    assert wallet.unauthorized == 0


def test_embedded_default_serves_the_demo_link(start_server: StartServer) -> None:
    # WEB_CONCURRENCY empty, as `cp .env.example .env` leaves it: the store's default.
    base = start_server([sys.executable, "app.py"], WEB_CONCURRENCY="")
    page = requests.get(f"{base}/l/demo", timeout=5)
    assert page.status_code == 200 and "Sandbox" in page.text
    home = requests.get(f"{base}/", timeout=5)
    assert "/l/demo" in home.text and "/health" in home.text


def test_gunicorn_serves_wsgi_app(start_server: StartServer) -> None:
    base = start_server(
        [*GUNICORN, "--threads", "4", "-w", "1", "-b", "127.0.0.1:{port}", "wsgi:app"]
    )
    assert requests.get(f"{base}/health", timeout=5).json()["status"] == "ok"


def _read_when(path: Path, wanted: str, timeout: float = 10.0) -> str:
    """The log file's text once it holds `wanted` (gunicorn writes it after answering)."""

    def text() -> str:
        found = path.read_text(encoding="utf-8") if path.exists() else ""
        return found if wanted in found else ""

    return until(text, timeout, failure=f"{path.name} never showed {wanted!r}")


def test_gunicorn_own_logs_never_show_a_pay_page_token(
    start_server: StartServer, tmp_path: Path
) -> None:
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    base = start_server(
        [
            *GUNICORN,
            *("--threads", "2", "-b", "127.0.0.1:{port}", "wsgi:app"),
            *("--access-logfile", str(access), "--error-logfile", str(errors)),
        ]
    )
    nonce = requests.get(f"{base}/api/nonce", timeout=5).json()["nonce"]
    created = requests.post(
        f"{base}/api/create-payment-session", json=seed_body(nonce, orderId="ORD-E2E-1"), timeout=10
    )
    page = urlsplit(created.json()["url"]).path
    token = page.rsplit("/", 1)[-1]
    assert page == f"/pay/{token}" and len(token) >= 16
    assert requests.get(base + page, timeout=5).status_code == 200
    # A request line gunicorn cannot parse is quoted whole in its error log.
    port = urlsplit(base).port
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(f"GET {page}\x01 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert connection.recv(64).startswith(b"HTTP/1.1 400")

    access_text = _read_when(access, f"/pay/{REDACTED}")
    error_text = _read_when(errors, "Invalid request from")
    assert token not in access_text and token not in error_text
    assert f"/pay/{REDACTED}" in error_text
    # One worker on the in-memory store: WEB_CONCURRENCY's default, with no -w given.
    assert error_text.count("Booting worker") == 1


def test_gunicorn_runs_two_workers_on_mongodb_by_default(
    start_server: StartServer, tmp_path: Path, nx_mongodb_uri: str
) -> None:
    """No -w and no WEB_CONCURRENCY: the settings' default for MongoDB, not gunicorn's one."""
    errors = tmp_path / "error.log"
    start_server(
        [*GUNICORN, "-b", "127.0.0.1:{port}", "--error-logfile", str(errors), "wsgi:app"],
        MONGODB_URI=nx_mongodb_uri,
        MONGODB_DB_NAME="e2e_workers",
    )
    until(
        lambda: errors.read_text(encoding="utf-8").count("Booting worker") >= 2,
        timeout=20,
        failure="a second worker never booted",
    )
    time.sleep(1)  # gunicorn forks them all at once: a third would be here by now
    assert errors.read_text(encoding="utf-8").count("Booting worker") == 2


PRODUCTION_ENV = {
    "APP_ENV": "production",
    "MONGODB_URI": "mongodb://127.0.0.1:9/upi",  # never reached: the check comes first
    "MOBIKWIK_AUTH": "token",
    "MOBIKWIK_HISTORY_URL": "https://webapi.mobikwik.com/p/wallet/history/v2",
    "UPI_ID": "shop@okaxis",
    "ADMIN_SECRET": ADMIN_SECRET,
    "METRICS_TOKEN": "metrics-token-0123456789abcdef",
    "RATELIMIT_STORAGE_URI": "memory://",
    "WEB_CONCURRENCY": "1",
}


def test_gunicorn_refuses_per_process_rate_limits_with_more_workers_in_production(
    tmp_path: Path,
) -> None:
    """`-w 2` on the command line is held to the rule WEB_CONCURRENCY=2 would be."""
    result = subprocess.run(
        [*GUNICORN, "-w", "2", "-b", "127.0.0.1:0", "wsgi:app"],
        cwd=ROOT,
        env=child_environment(tmp_path, **PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if "configuration error" in line]
    assert len(lines) == 1 and "RATELIMIT_STORAGE_URI" in lines[0], result.stderr
    assert "Traceback" not in result.stderr
