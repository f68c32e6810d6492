"""Throughput and latency of GET /api/payment-status/<orderId>, gateway vs a bare Flask route.

Both servers run the same way, one at a time: gunicorn, gthread worker, 1 worker,
8 threads (the gateway through `python app.py` with its in-memory store and a
stub wallet; the baseline is bench/bare_app.py under `.venv/bin/gunicorn -k gthread
--threads 8 -w 1`). The same client load hits each: a fixed number of
keep-alive connections, each sending its next request as soon as the previous
answer arrives, for a fixed time after a short warm-up. The gateway limits
status polls to 600/min per client IP, so every connection binds its own
loopback source address and moves to a fresh one after 500 requests; any 429 is
counted separately and left out of the latency figures.

The client is Python (threads, a lean HTTP/1.1 keep-alive client): `wrk` cannot
bind source addresses, so against the gateway it would measure the rate
limiter's 429s. The client shares the 2 cores with the server, so the figures
are a floor; the ratio is the point, and the server's own CPU time per request
is printed too.

Usage:  .venv/bin/python bench/status_throughput.py [--quick] [--concurrency 16]
                                                    [--duration 20] [--rounds 2]
Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import collections
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field

from support.checkouts import create_checkouts
from support.client import Client
from support.gateway import MERCHANT_AUTH, bare_process, gateway_process
from support.net import HOST, SOURCE_IPS
from support.processes import ServerProcess, process_tree_cpu_seconds, workdir
from support.report import Table, code_version, load_average, machine_summary, percentile
from support.wallet import stub_wallet

CHECKOUTS = 50
REQUESTS_PER_SOURCE_IP = 500  # < 600/min, the gateway's per-IP limit on status polls
JOIN_GRACE = 15.0


@dataclass
class LoadResult:
    target: str
    duration: float
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    server_cpu: float = 0.0

    @property
    def ok(self) -> int:
        return self.statuses.get(200, 0)

    @property
    def rps(self) -> float:
        return self.ok / self.duration

    def pct_ms(self, fraction: float) -> float:
        return percentile(self.latencies, fraction) * 1000


def run_load(
    server: ServerProcess, order_ids: list[str], concurrency: int, warmup: float, duration: float
) -> LoadResult:
    head = f"Host: {HOST}:{server.port}\r\nAuthorization: {MERCHANT_AUTH['Authorization']}"
    requests_raw = [
        f"GET /api/payment-status/{o} HTTP/1.1\r\n{head}\r\n\r\n".encode() for o in order_ids
    ]
    result = LoadResult(target=server.name, duration=duration)
    lock = threading.Lock()
    start = time.monotonic() + 0.5
    measure_from = start + warmup
    end = measure_from + duration
    cpu_marks: dict[str, float] = {}

    def worker(slot: int) -> None:
        ips = SOURCE_IPS[slot::concurrency]
        statuses: collections.Counter[int] = collections.Counter()
        latencies: list[float] = []
        errors = 0
        used = 0
        ip_index = 0
        client = Client(HOST, server.port, ips[0])
        i = slot
        time.sleep(max(0.0, start - time.monotonic()))
        try:
            while True:
                sent = time.monotonic()
                if sent >= end:
                    break
                if used >= REQUESTS_PER_SOURCE_IP:
                    client.close()
                    ip_index = (ip_index + 1) % len(ips)
                    client = Client(HOST, server.port, ips[ip_index])
                    used = 0
                used += 1
                try:
                    status, _ = client.send_raw(requests_raw[i % len(requests_raw)])
                except OSError:
                    client.close()
                    if sent >= measure_from:
                        errors += 1
                    continue
                done = time.monotonic()
                i += concurrency
                if sent >= measure_from:
                    statuses[status] += 1
                    if status == 200:
                        latencies.append(done - sent)
        finally:
            client.close()
            with lock:
                result.statuses.update(statuses)
                result.latencies.extend(latencies)
                result.errors += errors

    def cpu_sampler() -> None:
        assert server.proc is not None
        time.sleep(max(0.0, measure_from - time.monotonic()))
        cpu_marks["from"] = process_tree_cpu_seconds(server.proc.pid)
        time.sleep(max(0.0, end - time.monotonic()))
        cpu_marks["to"] = process_tree_cpu_seconds(server.proc.pid)

    threads = [threading.Thread(target=worker, args=(s,), daemon=True) for s in range(concurrency)]
    threads.append(threading.Thread(target=cpu_sampler, daemon=True))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, end + JOIN_GRACE - time.monotonic()))
    result.latencies.sort()
    result.server_cpu = cpu_marks.get("to", 0.0) - cpu_marks.get("from", 0.0)
    return result


def measure(
    target: str, concurrency: int, warmup: float, duration: float, checkouts: int
) -> LoadResult:
    with workdir(f"bench-status-{target}-") as tmp:
        if target == "bare":
            with bare_process(tmp) as server:
                ids = [f"ORD-BARE{i:012X}" for i in range(checkouts)]
                return run_load(server, ids, concurrency, warmup, duration)
        with stub_wallet() as wallet, gateway_process(tmp, wallet.balance_url) as server:
            ids = create_checkouts(server.port, checkouts)
            return run_load(server, ids, concurrency, warmup, duration)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 round of 5 s per server")
    parser.add_argument("--concurrency", type=int, default=16, help="client connections")
    parser.add_argument("--duration", type=float, help="measured seconds per run (default 20)")
    parser.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds first")
    parser.add_argument(
        "--checkouts", type=int, default=CHECKOUTS, help="open checkouts polled round-robin"
    )
    parser.add_argument("--rounds", type=int, help="bare/gateway pairs, alternating (default 2)")
    args = parser.parse_args(argv)
    duration = args.duration or (5.0 if args.quick else 20.0)
    rounds = args.rounds or (1 if args.quick else 2)
    if not (1 <= duration <= 60 and 1 <= rounds <= 4 and 1 <= args.concurrency <= 64):
        parser.error("keep --duration in 1..60, --rounds in 1..4, --concurrency in 1..64")
    if not 0 <= args.warmup <= 10 or not 1 <= args.checkouts <= 2000:
        parser.error("keep --warmup in 0..10 and --checkouts in 1..2000")

    print(f"machine: {machine_summary()}; load average {load_average()}")
    print(f"code: {code_version()}")
    print(
        f"bench: status_throughput, client=python (threads + keep-alive raw HTTP/1.1, "
        f"not wrk), {args.concurrency} connections, {args.warmup:g}s warm-up + "
        f"{duration:g}s measured, {rounds} round(s), {args.checkouts} open checkouts polled "
        f"round-robin; servers: gunicorn gthread "
        f"-w 1 --threads 8, one at a time",
        flush=True,
    )
    results: dict[str, list[LoadResult]] = {"bare": [], "gateway": []}
    for round_ in range(rounds):
        for target in ("bare", "gateway"):
            r = measure(target, args.concurrency, args.warmup, duration, args.checkouts)
            results[target].append(r)
            other = {k: v for k, v in r.statuses.items() if k != 200}
            print(
                f"  round {round_ + 1} {target:8s}: {r.ok} x 200 in {r.duration:g}s = "
                f"{r.rps:.0f} req/s, p50 {r.pct_ms(0.5):.2f} ms, p99 {r.pct_ms(0.99):.2f} ms, "
                f"server CPU {r.server_cpu:.1f}s ({r.server_cpu / duration:.0%} of a core, "
                f"{r.server_cpu / max(r.ok, 1) * 1000:.2f} ms/request), other statuses "
                f"{other or 0}, errors {r.errors}",
                flush=True,
            )

    def median(target: str, key: str) -> float:
        values = []
        for r in results[target]:
            if key == "rps":
                values.append(r.rps)
            elif key == "p50":
                values.append(r.pct_ms(0.5))
            elif key == "p99":
                values.append(r.pct_ms(0.99))
            else:
                values.append(r.server_cpu / max(r.ok, 1) * 1000)
        return statistics.median(values)

    table = Table(["server", "req/s", "p50 latency", "p99 latency", "server CPU per request"])
    for target, label in (
        ("bare", "bare Flask route"),
        ("gateway", "gateway payment-status"),
    ):
        table.add(
            label,
            f"{median(target, 'rps'):.0f}",
            f"{median(target, 'p50'):.2f} ms",
            f"{median(target, 'p99'):.2f} ms",
            f"{median(target, 'cpu'):.2f} ms",
        )
    table.add(
        "gateway / bare",
        f"{median('gateway', 'rps') / median('bare', 'rps'):.2f}x",
        f"{median('gateway', 'p50') / median('bare', 'p50'):.2f}x",
        f"{median('gateway', 'p99') / median('bare', 'p99'):.2f}x",
        f"{median('gateway', 'cpu') / median('bare', 'cpu'):.2f}x",
    )
    print()
    print(f"load average at the end: {load_average()}")
    print(f"(median of {rounds} round(s); 429s and errors are excluded from the figures)")
    print(table.markdown())
    rejected = sum(r.ok != sum(r.statuses.values()) or r.errors for r in results["gateway"])
    if rejected:
        print("note: the gateway answered some requests with a non-200 status or errors (above)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
