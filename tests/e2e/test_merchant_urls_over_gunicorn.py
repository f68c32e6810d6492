"""A merchant URL in a response header, through gunicorn itself.

gunicorn refuses any header value that is not visible ASCII and answers 500; the
Flask test client has no such check, so only a real server shows the failure.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from tests.conftest import ADMIN_SECRET, AUTH, StartServer

GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def _completed(base: str, session_id: str) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        view = requests.get(
            f"{base}/api/v1/checkout-sessions/{session_id}", headers=AUTH, timeout=5
        )
        if view.json()["status"] == "completed":
            return True
        time.sleep(0.3)
    return False


def test_a_paid_checkout_with_a_devanagari_return_url_leaves_for_the_merchant(
    start_server: StartServer,
) -> None:
    base = start_server(
        [
            GUNICORN,
            "-c",
            "checkout/gunicorn_conf.py",
            "--threads",
            "4",
            "-b",
            "127.0.0.1:{port}",
            "wsgi:app",
        ],
        ADMIN_SECRET=ADMIN_SECRET,
        POLL_INTERVAL_SECONDS="1",
    )
    thanks = "https://shop.example/धन्यवाद?note=शुक्रिया"
    opened = requests.post(
        f"{base}/api/v1/checkout-sessions",
        json={"amount": 10, "orderId": "ORD-HDR-1", "returnUrl": thanks},
        headers=AUTH,
        timeout=5,
    )
    assert opened.status_code == 201, opened.text
    session = opened.json()
    credit = requests.post(
        f"{base}/api/sandbox/credit", json={"orderId": "ORD-HDR-1"}, headers=AUTH, timeout=5
    )
    assert credit.status_code == 200, credit.text
    assert _completed(base, session["id"])

    page = urlsplit(session["url"]).path
    for _ in range(3):  # the customer's page polls; every answer must send it on its way
        fragment = requests.get(f"{base}{page}/status", headers={"HX-Request": "true"}, timeout=5)
        assert fragment.status_code == 200, fragment.text
        target = fragment.headers["HX-Redirect"]
        assert target.isascii()
        assert unquote(target).startswith(thanks + "&orderId=ORD-HDR-1&status=completed")
