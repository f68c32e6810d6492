"""SIGTERM in the middle of a tick, then in the middle of a webhook send (issue 12).

gunicorn stops taking requests, and the worker lets the ticker and the webhook sender
finish the round under way: the tick completes its checkout and releases the wallet
lease, the send is recorded as delivered. The restarted gateway, on the same MongoDB
(nx-27017), finds nothing half-done: one completion, one order, one delivery.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests
from pymongo import MongoClient

from tests.conftest import ADMIN_SECRET, AUTH
from tests.e2e.test_kill_during_tick import _held_for, _start
from tests.support.servers import free_port, until
from tests.support.wallet import StubWallet

SEND_STALL_SECONDS = 3.0


class SlowReceiver:
    """A merchant endpoint that takes its time answering, and counts every delivery."""

    def __init__(self) -> None:
        self.event_ids: list[str] = []
        self.arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.event_ids.append(self.headers.get("X-UPI-Event-Id") or "")
                receiver.arrived.set()
                time.sleep(SEND_STALL_SECONDS)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"thanks")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def _terminate(process: subprocess.Popen[str]) -> float:
    started = time.monotonic()
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(60)
    return time.monotonic() - started


def test_sigterm_mid_tick_and_mid_send_loses_nothing_and_doubles_nothing(
    tmp_path: Path, wallet: StubWallet, nx_mongodb_uri: str
) -> None:
    wallet.slow_seconds = 30
    db_name = f"term_{uuid.uuid4().hex[:10]}"
    env = {
        "MONGODB_URI": nx_mongodb_uri,
        "MONGODB_DB_NAME": db_name,
        "PAYMENT_PROVIDER": "mobikwik",
        "MOBIKWIK_AUTH": "term-test-wallet-token",
        "MOBIKWIK_API_URL": wallet.balance_url,
        "ADMIN_SECRET": ADMIN_SECRET,
        "POLL_INTERVAL_SECONDS": "1",
        "WEB_CONCURRENCY": "1",
        "WEBHOOK_ALLOW_PRIVATE": "true",
    }
    db = MongoClient(nx_mongodb_uri)[db_name]
    receiver = SlowReceiver()
    port = free_port()
    base = f"http://127.0.0.1:{port}"

    # 1. SIGTERM while a tick waits on the wallet; the payment lands in that very read.
    first = _start(tmp_path, port, env)
    try:
        hooked = requests.post(
            f"{base}/api/v1/webhook-endpoints",
            json={"url": receiver.url, "events": ["checkout.completed"]},
            headers=AUTH,
            timeout=10,
        )
        assert hooked.status_code == 201, hooked.text
        opened = requests.post(
            f"{base}/api/v1/checkout-sessions",
            json={"orderId": "TERM-1", "amount": "10"},
            headers=AUTH,
            timeout=30,
        )
        assert opened.status_code == 201, opened.text
        paise = round(float(opened.json()["amount"]) * 100)
        wallet.fault = "slow"
        until(
            lambda: _held_for(db["wallet_state"], seconds=0.5),
            interval=0.05,
            failure="no tick held the lease",
        )
        wallet.credit(paise)
        threading.Timer(1.5, lambda: setattr(wallet, "fault", None)).start()
    finally:
        _terminate(first)

    lease = db["wallet_state"].find_one({"_id": "wallet"}) or {}
    assert lease.get("leaseUntil") is None, "the tick under way released its lease"
    session = db["payment_sessions"].find_one({"orderId": "TERM-1"}) or {}
    assert session.get("status") == "completed", "the tick under way finished its work"
    assert db["orders"].count_documents({"orderId": "TERM-1"}) == 1

    # 2. SIGTERM while the checkout.completed webhook is being sent.
    second = _start(tmp_path, port, env)
    try:
        assert receiver.arrived.wait(30), "the restarted gateway sent the owed event"
    finally:
        _terminate(second)
    deliveries = list(db["webhook_deliveries"].find({}))
    assert len(deliveries) == 1
    assert deliveries[0]["status"] == "delivered", "the send under way was recorded"

    # 3. A restart right after: nothing re-sent, nothing completed again.
    third = _start(tmp_path, port, env)
    try:
        time.sleep(SEND_STALL_SECONDS + 2)
        session_id = opened.json()["id"]
        again = requests.get(
            f"{base}/api/v1/checkout-sessions/{session_id}", headers=AUTH, timeout=10
        )
        assert again.json()["status"] == "completed"
    finally:
        _terminate(third)
    assert len(receiver.event_ids) == 1, receiver.event_ids
    assert db["orders"].count_documents({"orderId": "TERM-1"}) == 1
    completions = db["logs"].count_documents({"orderId": "TERM-1", "action": "payment_completed"})
    assert completions == 1
    receiver.server.shutdown()
