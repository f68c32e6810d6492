"""kill -9 in the middle of a tick, then a restart on the same MongoDB (nx-27017).

The dead process still holds the wallet lease. The restarted gateway must see at
once that its holder is gone: opening a checkout never waits out, or fails on, a
lease that nobody will ever release (issue 7, item 7).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests
from pymongo import MongoClient
from pymongo.collection import Collection

from tests.conftest import ADMIN_SECRET, AUTH, ROOT, child_environment
from tests.support.servers import free_port, until, wait_for_http
from tests.support.wallet import StubWallet


def _start(tmp_path: Path, port: int, env: dict[str, str]) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "app.py"],
        cwd=ROOT,
        env=child_environment(tmp_path, PORT=str(port), **env),
        stdout=(tmp_path / f"server-{port}.log").open("a"),
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own process group: kill -9 takes the workers too
    )
    wait_for_http(f"http://127.0.0.1:{port}/health", process)
    return process


def _open(base: str, order_id: str) -> requests.Response:
    return requests.post(
        f"{base}/api/v1/checkout-sessions",
        json={"orderId": order_id, "amount": "10"},
        headers=AUTH,
        timeout=30,
    )


def _held_for(state: Collection[Any], *, seconds: float) -> bool:
    """The lease stays held by one owner for ``seconds``: a tick, not a quick read."""
    first = state.find_one({"_id": "wallet"}) or {}
    if not first.get("leaseUntil"):
        return False
    time.sleep(seconds)
    again = state.find_one({"_id": "wallet"}) or {}
    return bool(again.get("leaseUntil")) and again.get("leaseOwner") == first.get("leaseOwner")


def test_a_lease_left_by_a_killed_process_blocks_nothing(
    tmp_path: Path, wallet: StubWallet, nx_mongodb_uri: str
) -> None:
    wallet.slow_seconds = 60  # a stalled answer: the tick stays inside its lease
    db_name = f"kill_{uuid.uuid4().hex[:10]}"
    env = {
        "MONGODB_URI": nx_mongodb_uri,
        "MONGODB_DB_NAME": db_name,
        "PAYMENT_PROVIDER": "mobikwik",
        "MOBIKWIK_AUTH": "kill-test-wallet-token",
        "MOBIKWIK_API_URL": wallet.balance_url,
        "ADMIN_SECRET": ADMIN_SECRET,
        "POLL_INTERVAL_SECONDS": "1",
        "LATE_PAYMENT_GRACE_MINUTES": "0",
        "WEB_CONCURRENCY": "1",
    }
    port = free_port()
    first = _start(tmp_path, port, env)
    base = f"http://127.0.0.1:{port}"
    state = MongoClient(nx_mongodb_uri)[db_name]["wallet_state"]
    try:
        opened = _open(base, "BEFORE-KILL")
        assert opened.status_code == 201, opened.text
        wallet.fault = "slow"
        # A tick is stalled inside its lease.
        until(
            lambda: _held_for(state, seconds=1.0), interval=0.05, failure="no tick held the lease"
        )
        lease = state.find_one({"_id": "wallet"})
        assert lease is not None and lease.get("leaseOwner")
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    wallet.fault = None
    still_held = state.find_one({"_id": "wallet"})
    assert still_held is not None and still_held["leaseOwner"] == lease["leaseOwner"]

    second = _start(tmp_path, port, env)
    try:
        # Nothing is payable any more: the next checkout must re-read the balance, and
        # for that it needs the lease the dead process left behind.
        cancelled = requests.post(
            f"{base}/api/v1/checkout-sessions/{opened.json()['id']}/cancel",
            headers=AUTH,
            timeout=10,
        )
        assert cancelled.status_code == 200, cancelled.text
        after = _open(base, "AFTER-KILL")
        assert after.status_code == 201, after.text
        owner = state.find_one({"_id": "wallet"})
        assert owner is not None and owner.get("leaseOwner") != lease["leaseOwner"]
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(10)
