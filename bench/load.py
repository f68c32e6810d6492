"""A day's peak for 60 s (issue 12): open pay pages, merchant polls, creates and payments.

The gateway runs as `python app.py` on nx-27017 with 2 gunicorn workers (sandbox wallet).
At once, for `--seconds` (60):
- 200 customers with an open pay page, each polling its status fragment
  (`GET /pay/<token>/status`) every 2 s from its own loopback address (127.0.0.x);
- a merchant backend polling `GET /api/v1/checkout-sessions/<id>` 20 times a second with
  its key, from one address;
- 5 checkouts created per second (`POST /api/v1/checkout-sessions`, the same key);
- 2 payments per second arriving as the bank's credit SMS (`POST /api/sandbox/sms`).

Reports p50/p95/p99 per route, every non-2xx answer, and each payment's time from the SMS
post to a status read saying `completed`; then, from the store itself, any paid checkout
not completed (lost) and any checkout with two orders or two completions (doubled).

    .venv/bin/python bench/load.py [--seconds 60] [--customers 200]
Loopback only; every wait is bounded. Exits 1 on any error, loss or double.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pymongo import MongoClient
from support.client import Client
from support.gateway import MERCHANT_AUTH, sandbox_gateway_process
from support.net import HOST, SOURCE_IPS
from support.processes import workdir
from support.report import Table, code_version, load_average, machine_summary, percentile

from tests.support.nx import nx_server

DB_NAME = "load"
JSON = {**MERCHANT_AUTH, "Content-Type": "application/json"}
PAGE_POLL_SECONDS = 2.0
MERCHANT_POLLS_PER_SECOND = 20
CREATES_PER_SECOND = 5
PAYMENTS_PER_SECOND = 2
COMPLETION_WAIT_SECONDS = 20.0


class Recorder:
    """Latencies per route and every answer that was not a 2xx, from every thread."""

    def __init__(self) -> None:
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        self.lock = threading.Lock()

    def timed(
        self,
        route: str,
        client: Client,
        method: str,
        path: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        started = time.perf_counter()
        try:
            status, raw = client.request(method, path, body, headers)
        except OSError:
            status, raw = 599, b""
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies[route].append(elapsed)
            if not 200 <= status < 300:
                self.errors[route][status] += 1
        return status, raw


class Shop:
    """The open checkouts, shared by the threads that create, poll and pay them."""

    def __init__(self) -> None:
        self.open: list[dict[str, str]] = []
        self.paid: dict[str, float] = {}  # orderId -> when its SMS was posted
        self.completion_seconds: list[float] = []
        self.lock = threading.Lock()
        self.amount = 100

    def next_amount(self) -> str:
        with self.lock:
            self.amount += 1
            return f"{self.amount}.00"

    def add(self, answer: dict[str, object]) -> None:
        with self.lock:
            self.open.append(
                {
                    "id": str(answer["id"]),
                    "orderId": str(answer["orderId"]),
                    "path": "/" + str(answer["url"]).split("/", 3)[3],
                }
            )

    def pick_unpaid(self, rng: random.Random) -> dict[str, str] | None:
        with self.lock:
            unpaid = [c for c in self.open if c["orderId"] not in self.paid]
            if not unpaid:
                return None
            chosen = rng.choice(unpaid)
            self.paid[chosen["orderId"]] = time.perf_counter()
            return chosen


def _create(recorder: Recorder, client: Client, shop: Shop) -> None:
    body = json.dumps({"amount": shop.next_amount(), "description": "Load order"}).encode()
    status, raw = recorder.timed(
        "POST /api/v1/checkout-sessions", client, "POST", "/api/v1/checkout-sessions", body, JSON
    )
    if status == 201:
        shop.add(json.loads(raw))


def _paced(rate: float, deadline: float, step: object) -> None:
    """Call `step()` `rate` times a second until the deadline, on one thread."""
    interval = 1.0 / rate
    due = time.perf_counter()
    while due < deadline:
        step()  # type: ignore[operator]
        due += interval
        time.sleep(max(0.0, due - time.perf_counter()))


def _run(scratch: Path, args: argparse.Namespace, mongodb_uri: str) -> int:
    gateway = sandbox_gateway_process(scratch)
    gateway.env.update(
        MONGODB_URI=mongodb_uri,
        MONGODB_DB_NAME=DB_NAME,
        WEB_CONCURRENCY="2",
        RATE_LIMIT_MAX_REQUESTS="100000",
        SESSION_EXPIRY_MINUTES="30",
    )
    recorder, shop, rng = Recorder(), Shop(), random.Random(args.seed)
    with gateway:
        # The pages open before the peak, from many addresses (creates are limited per IP).
        for n in range(args.customers):
            setup = Client(HOST, gateway.port, source_ip=SOURCE_IPS[-1 - n // 50])
            _create(Recorder(), setup, shop)
            setup.close()
        if len(shop.open) < args.customers:
            raise SystemExit(f"only {len(shop.open)} of {args.customers} pages could be opened")
        customers = list(shop.open)
        deadline = time.perf_counter() + args.seconds

        def customer(n: int) -> None:
            client = Client(HOST, gateway.port, source_ip=SOURCE_IPS[n % len(SOURCE_IPS)])
            path = customers[n]["path"] + "/status"
            time.sleep(rng.random() * PAGE_POLL_SECONDS)
            while time.perf_counter() < deadline:
                recorder.timed("GET /pay/<token>/status", client, "GET", path)
                time.sleep(PAGE_POLL_SECONDS)

        merchant = Client(HOST, gateway.port, source_ip="127.0.0.251")
        creator = Client(HOST, gateway.port, source_ip="127.0.0.252")
        payer = Client(HOST, gateway.port, source_ip="127.0.0.253")
        watcher = Client(HOST, gateway.port, source_ip="127.0.0.253")

        def merchant_poll() -> None:
            with shop.lock:
                chosen = rng.choice(shop.open)
            recorder.timed(
                "GET /api/v1/checkout-sessions/<id>",
                merchant,
                "GET",
                f"/api/v1/checkout-sessions/{chosen['id']}",
                headers=MERCHANT_AUTH,
            )

        def pay() -> None:
            chosen = shop.pick_unpaid(rng)
            if chosen is None:
                return
            body = json.dumps({"orderId": chosen["orderId"]}).encode()
            posted = time.perf_counter()
            recorder.timed("POST /api/sandbox/sms", payer, "POST", "/api/sandbox/sms", body, JSON)
            while time.perf_counter() - posted < COMPLETION_WAIT_SECONDS:
                _, raw = watcher.request(
                    "GET", f"/api/v1/checkout-sessions/{chosen['id']}", headers=MERCHANT_AUTH
                )
                if raw and json.loads(raw).get("status") == "completed":
                    with shop.lock:
                        shop.completion_seconds.append(time.perf_counter() - posted)
                    return
                time.sleep(0.05)

        threads = [threading.Thread(target=customer, args=(n,)) for n in range(len(customers))]
        threads += [
            threading.Thread(
                target=_paced, args=(MERCHANT_POLLS_PER_SECOND, deadline, merchant_poll)
            ),
            threading.Thread(
                target=_paced,
                args=(CREATES_PER_SECOND, deadline, lambda: _create(recorder, creator, shop)),
            ),
            threading.Thread(target=_paced, args=(PAYMENTS_PER_SECOND, deadline, pay)),
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(args.seconds + COMPLETION_WAIT_SECONDS + 30)
        wall = time.perf_counter() - began

    db = MongoClient(mongodb_uri)[DB_NAME]
    statuses = {
        d["orderId"]: d["status"]
        for d in db["payment_sessions"].find({}, {"orderId": 1, "status": 1})
    }
    lost = sorted(order for order in shop.paid if statuses.get(order) != "completed")
    orders: dict[str, int] = defaultdict(int)
    for document in db["orders"].find({}, {"orderId": 1}):
        orders[document["orderId"]] += 1
    completions: dict[str, int] = defaultdict(int)
    for document in db["logs"].find({"action": "payment_completed"}, {"orderId": 1}):
        completions[document["orderId"]] += 1
    doubled = sorted(
        {o for o, n in orders.items() if n > 1} | {o for o, n in completions.items() if n > 1}
    )

    table = Table(["route", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "non-2xx"])
    for route, values in sorted(recorder.latencies.items()):
        values.sort()
        errors = dict(recorder.errors.get(route, {}))
        table.add(
            route,
            len(values),
            f"{len(values) / wall:.1f}",
            *(f"{percentile(values, q) * 1000:.1f}" for q in (0.5, 0.95, 0.99)),
            ", ".join(f"{n} x {s}" for s, n in sorted(errors.items())) or "0",
        )
    print(table.markdown())
    done = sorted(shop.completion_seconds)
    print(
        f"payments: {len(shop.paid)} paid, {len(done)} seen completed"
        + (
            f"; SMS -> completed p50 {percentile(done, 0.5) * 1000:.0f} ms, "
            f"p95 {percentile(done, 0.95) * 1000:.0f} ms, max {done[-1] * 1000:.0f} ms"
            if done
            else ""
        )
    )
    print(f"lost: {len(lost)} {lost[:5]}; doubled: {len(doubled)} {doubled[:5]}")
    print(f"load {load_average()}")
    failed = sum(sum(e.values()) for e in recorder.errors.values())
    return 1 if failed or lost or doubled else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--seed", type=int, default=20261202)
    args = parser.parse_args()
    print(machine_summary())
    print(f"code {code_version()}; load {load_average()}")
    with workdir("load") as scratch, nx_server(scratch) as uri:
        raise SystemExit(_run(scratch, args, uri))


if __name__ == "__main__":
    main()
