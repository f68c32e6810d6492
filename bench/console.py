"""The console on a full store: Today, Payments and the checkouts CSV at 10,000 and 100,000.

For each size N: a fresh nx-27017 (the tests' MongoDB wire server, in memory, on
loopback) is filled with N checkouts spread over the last 60 days (about 70 %
completed, 20 % expired, 7 % pending, 3 % cancelled; amounts ₹10 to ₹5,000; a
customer on each), plus N/100 unattributed credits, written straight to the
collections in batches. The gateway runs in this process (create_app on that
store, with the indexes it declares; no ticker) and is driven through Flask's test
client with a signed-in owner, so each figure is server time alone: no network, no
browser. Each page is asked `--runs` times after one warm-up; the median and worst
are printed.

The export is read chunk by chunk as a browser would, nothing kept. Memory is the
process's peak resident set (VmHWM in /proc/self/status; the peak is reset through
/proc/self/clear_refs just before) against its resident set when idle just before the
export (VmRSS): the difference is what exporting N rows cost in memory.

To tell the test server's own cost from the gateway's, a plain indexed count
(`status: completed`) is timed through pymongo on the same store.

Usage:  .venv/bin/python bench/console.py [--sizes 10000,100000] [--runs 5]
Loopback only; every loop is bounded.
"""

from __future__ import annotations

import argparse
import random
import secrets
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient, monitoring
from support.processes import workdir
from support.report import Table, code_version, load_average, machine_summary

from checkout import clock
from checkout.app import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import exports, users
from checkout.services.console_payments import CheckoutFilters
from tests.support.nx import nx_server

DB_NAME = "console_bench"
ADMIN_SECRET = "bench-admin-secret-0123456789abcdef"  # noqa: S105  (a bench, on loopback)
PASSWORD = "bench password 0123456789"  # noqa: S105
DAYS = 60
BATCH = 2000
NAMES = ("Asha", "Ravi", "Meera", "Kabir", "Priya", "Arjun", "Sana", "Vikram", "Isha", "Dev")


def _status_of(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.70:
        return "completed"
    if roll < 0.90:
        return "expired"
    if roll < 0.97:
        return "pending"
    return "cancelled"


def _checkout(n: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    created = now - timedelta(seconds=rng.randrange(DAYS * 86400))
    status = _status_of(rng)
    paise = rng.randrange(1000, 500000)
    name = NAMES[n % len(NAMES)]
    document: dict[str, Any] = {
        "orderId": f"ORD-B{n:07d}",
        "token": secrets.token_hex(16),
        "status": status,
        "source": "v1",
        "email": f"{name.lower()}{n}@example.in",
        "customer": {"name": f"{name} {n}", "phone": f"+9198{n:08d}"},
        "metadata": {},
        "productDetails": {},
        "deliveryDetails": {},
        "totalAmountPaise": paise,
        "amountPaise": paise,
        "late": False,
        "creditKeys": [],
        "pendingEvents": [],
        "orderPending": False,
        "refunds": [],
        "createdAt": created,
        "expiresAt": created + timedelta(minutes=10),
    }
    if status == "completed":
        document["completedAt"] = created + timedelta(seconds=rng.randrange(20, 600))
        document["closedAt"] = document["completedAt"]
        document["creditKeys"] = [f"rrn:{n:012d}"]
    elif status == "pending":
        document["payableUntil"] = created + timedelta(minutes=70)
    else:
        document["closedAt"] = created + timedelta(minutes=10)
    return document


def _credit(n: int, now: datetime, rng: random.Random) -> dict[str, Any]:
    observed = now - timedelta(seconds=rng.randrange(DAYS * 86400))
    return {
        "key": f"bench:{n}",
        "provider": "sms",
        "kind": "payment",
        "amountPaise": rng.randrange(1000, 500000),
        "observedAt": observed,
        "occurredAt": observed,
        "outcome": "unattributed",
        "state": "unattributed",
        "orderIds": [],
    }


def fill(uri: str, size: int, now: datetime) -> float:
    """Write `size` checkouts and size/100 credits; answers the seconds it took."""
    rng = random.Random(size)
    db = MongoClient(uri)[DB_NAME]
    started = time.perf_counter()
    for first in range(0, size, BATCH):
        batch = [_checkout(n, now, rng) for n in range(first, min(size, first + BATCH))]
        db.payment_sessions.insert_many(batch, ordered=False)
    credits = [_credit(n, now, rng) for n in range(size // 100)]
    if credits:
        db.wallet_credits.insert_many(credits, ordered=False)
    return time.perf_counter() - started


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak() -> bool:
    """Make VmHWM start again from the current RSS (Linux: write 5 to clear_refs)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


class StoreTime(monitoring.CommandListener):
    """Sums the time the store took to answer each command (pymongo's own measure)."""

    def __init__(self) -> None:
        self.micros = 0
        self.commands = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        pass

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self.micros += event.duration_micros
        self.commands += 1

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self.micros += event.duration_micros
        self.commands += 1


STORE = StoreTime()
monitoring.register(STORE)  # before any client exists: the app's connection reports too


def _timed(work: Callable[[], None], runs: int) -> tuple[float, float, float, int]:
    """Median and worst wall time (ms), and the median run's store time (ms) and commands."""
    work()  # warm-up: templates compiled, connections open
    runs_seen = []
    for _ in range(runs):
        STORE.micros = STORE.commands = 0
        started = time.perf_counter()
        work()
        runs_seen.append((time.perf_counter() - started, STORE.micros, STORE.commands))
    runs_seen.sort()
    wall, micros, commands = runs_seen[len(runs_seen) // 2]
    return wall * 1000, runs_seen[-1][0] * 1000, micros / 1000, commands


def _page(client: Any, path: str) -> Callable[[], None]:
    def get() -> None:
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(
                f"{path}: {answer.status_code} {answer.get_data(as_text=True)[:300]}"
            )

    return get


def measure(uri: str, size: int, runs: int, scratch: Path) -> dict[str, Any]:
    now = clock.utcnow()
    settings = Settings(
        mongodb_uri=uri,
        mongodb_db_name=DB_NAME,
        admin_secret=ADMIN_SECRET,
        secret_key=secrets.token_hex(32),
        log_dir=str(scratch / "logs"),
        start_ticker=False,
        hold_console_logs=True,
    ).validated()
    app = create_app(settings)
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=False)
    gateway: Gateway = app.extensions[EXTENSION_KEY]
    result: dict[str, Any] = {"size": size, "fill": fill(uri, size, now)}
    gateway.store.ensure_indexes()
    owner = users.create_user(
        gateway.users,
        gateway.store,
        email=f"owner-{uuid.uuid4().hex[:6]}@bench.in",
        password=PASSWORD,
        role="owner",
        by="bench",
        now=now,
    )
    client = app.test_client()
    signed = client.post("/admin/login", data={"email": owner.email, "password": PASSWORD})
    if signed.status_code not in (302, 303):
        raise RuntimeError(f"sign-in failed: {signed.status_code}")

    db = MongoClient(uri)[DB_NAME]
    result["count"] = _timed(
        lambda: db.payment_sessions.count_documents({"status": "completed"}), runs
    )
    today = now.date().isoformat()
    pages = {
        "Today (/admin)": "/admin/",
        "Payments, newest 50": "/admin/checkouts",
        "Payments, completed today": f"/admin/checkouts?status=completed&from={today}&to={today}",
        "Payments, search by e-mail": "/admin/checkouts?q=meera7%40example.in",
    }
    result["pages"] = {label: _timed(_page(client, path), runs) for label, path in pages.items()}

    # The test server's own share of the export: the same sorted, projected read
    # through pymongo, rows counted and dropped.
    fields = {name: 1 for name in exports.CHECKOUT_READ_FIELDS}
    started = time.perf_counter()
    cursor = db.payment_sessions.find({}, fields).sort([("createdAt", 1), ("_id", 1)])
    raw_rows = sum(1 for _ in cursor.batch_size(exports.BATCH_SIZE))
    result["raw_read"] = (raw_rows, time.perf_counter() - started)

    idle = _kib("VmRSS")
    reset = _reset_peak()
    STORE.micros = STORE.commands = 0
    started = time.perf_counter()
    answer = client.get("/admin/exports/checkouts.csv")
    rows = -1  # the header
    size_bytes = 0
    for chunk in answer.response:
        text = chunk.decode() if isinstance(chunk, bytes) else chunk
        rows += text.count("\n")
        size_bytes += len(text)
    answer.close()
    result["export"] = {
        "seconds": time.perf_counter() - started,
        "store_seconds": STORE.micros / 1e6,
        "commands": STORE.commands,
        "rows": rows,
        "mib": size_bytes / 1024 / 1024,
        "idle_kib": idle,
        "peak_kib": _kib("VmHWM"),
        "peak_reset": reset,
    }
    # The control: the same rows held in a list, as an export that list()s its query
    # would. It shows what the peak measure sees when the rows do sit in memory.
    idle = _kib("VmRSS")
    _reset_peak()
    with app.app_context():
        held = list(exports.checkout_rows(CheckoutFilters(), settings.display_timezone))
    result["control"] = {"rows": len(held), "idle_kib": idle, "peak_kib": _kib("VmHWM")}
    del held
    gateway.stop_background()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"machine: {machine_summary()}; load {load_average()}; code {code_version()}")
    results = []
    for size in sizes:
        with workdir("console") as scratch, nx_server(scratch) as uri:
            print(f"\nN = {size:,}: filling nx-27017 …", flush=True)
            result = measure(uri, size, args.runs, scratch)
            results.append(result)
            print(f"  filled in {result['fill']:.1f} s")
    pages = Table(
        ["page", *(f"N = {r['size']:,}: median / worst ms (store ms, commands)" for r in results)]
    )

    def cell(figures: tuple[float, float, float, int]) -> str:
        wall, worst, store, commands = figures
        return f"{wall:.0f} / {worst:.0f} ({store:.0f}, {commands})"

    pages.add("plain indexed count on nx-27017 (pymongo)", *(cell(r["count"]) for r in results))
    for label in results[0]["pages"]:
        pages.add(label, *(cell(r["pages"][label]) for r in results))
    print("\n" + pages.markdown())
    export = Table(
        [
            "N",
            "rows",
            "CSV MiB",
            "seconds",
            "store s (commands)",
            "rows/s",
            "idle RSS MiB",
            "peak RSS MiB",
            "peak - idle MiB",
        ]
    )
    for r in results:
        e = r["export"]
        export.add(
            f"{r['size']:,}",
            f"{e['rows']:,}",
            f"{e['mib']:.1f}",
            f"{e['seconds']:.1f}",
            f"{e['store_seconds']:.1f} ({e['commands']})",
            f"{e['rows'] / e['seconds']:,.0f}",
            f"{e['idle_kib'] / 1024:.1f}",
            f"{e['peak_kib'] / 1024:.1f}",
            f"{(e['peak_kib'] - e['idle_kib']) / 1024:.1f}"
            + ("" if e["peak_reset"] else " (peak not reset)"),
        )
    for r in results:
        rows, seconds = r["raw_read"]
        export.add(
            f"{r['size']:,} (nx-27017 alone: the same read via pymongo)",
            f"{rows:,}",
            "",
            f"{seconds:.1f}",
            "",
            f"{rows / seconds:,.0f}",
            "",
            "",
            "",
        )
    for r in results:
        c = r["control"]
        export.add(
            f"{r['size']:,} (control: rows held in a list)",
            f"{c['rows']:,}",
            "",
            "",
            "",
            "",
            f"{c['idle_kib'] / 1024:.1f}",
            f"{c['peak_kib'] / 1024:.1f}",
            f"{(c['peak_kib'] - c['idle_kib']) / 1024:.1f}",
        )
    print("\n" + export.markdown())


if __name__ == "__main__":
    main()
