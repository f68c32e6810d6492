"""How many wallet calls do N open checkouts, each polled every second, cost?

For each N: start a stub MobiKwik balance API and a fresh gateway (`python app.py`,
in-memory store) pointed at it, open N checkouts, poll every checkout's
`GET /api/payment-status/<orderId>` once per second for a fixed window, and
count the wallet GETs the stub answered inside that window.

DESIGN §5.2: status requests only read the store and one ticker asks the wallet
at most once per POLL_INTERVAL_SECONDS, so wallet calls per interval should
stay at about 1 whatever N is. The seed asked the wallet on every status poll
(1 wallet call per poll).

Usage:  .venv/bin/python bench/provider_calls.py [--quick] [--sizes 10,100,1000]
                                                 [--duration 30] [--poll-interval 3]
Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import itertools
import sys
import threading
import time
from dataclasses import dataclass, field

from support.checkouts import create_checkouts
from support.client import Client
from support.gateway import MERCHANT_AUTH, gateway_process
from support.net import HOST, SOURCE_IPS
from support.processes import workdir
from support.report import Table, code_version, load_average, machine_summary, percentile
from support.wallet import stub_wallet

from tests.support.nx import nx_server

MAX_POLLER_THREADS = 64
JOIN_GRACE = 15.0  # in-flight requests at the end of the window finish within the socket timeout


@dataclass
class PollResult:
    n: int
    duration: float
    planned: int
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: int = 0
    error_kinds: collections.Counter[str] = field(default_factory=collections.Counter)
    latencies: list[float] = field(default_factory=list)
    lags: list[float] = field(default_factory=list)
    skipped: int = 0  # due inside the window but not sent by its end (server saturated)
    wallet_calls: int = 0
    wallet_calls_total: int = 0
    wallet_calls_opening: int = 0  # while the N checkouts were being created
    opening_seconds: float = 0.0
    wallet_gaps: list[float] = field(default_factory=list)  # inside the polling window
    # Every wallet call of the run, in seconds from the first create.
    wallet_times: list[float] = field(default_factory=list)
    window_start: float = 0.0  # polling window start, same clock as wallet_times

    def busiest_span(self, span: float) -> tuple[int, float]:
        """Most wallet calls inside any `span`-long stretch of the run, and when it began."""
        best, when, lo = 0, 0.0, 0
        for hi, t in enumerate(self.wallet_times):
            while t - self.wallet_times[lo] >= span:
                lo += 1
            if hi - lo + 1 > best:
                best, when = hi - lo + 1, self.wallet_times[lo]
        return best, when

    @property
    def polls(self) -> int:
        return sum(self.statuses.values())


def poll_window(port: int, order_ids: list[str], duration: float) -> tuple[PollResult, float]:
    """Poll each order once per second for `duration` s; returns the result and start time."""
    n = len(order_ids)
    rounds = int(duration)
    ips = SOURCE_IPS[: min(n, len(SOURCE_IPS))]
    n_threads = min(len(ips), MAX_POLLER_THREADS)
    # checkout i → source IP i % len(ips); IP k → thread k % n_threads. A thread keeps
    # one keep-alive connection per source address it owns.
    plan: list[list[tuple[int, str]]] = [[] for _ in range(n_threads)]
    for i, order_id in enumerate(order_ids):
        ip_index = i % len(ips)
        plan[ip_index % n_threads].append((ip_index, order_id))
    result = PollResult(n=n, duration=rounds, planned=n * rounds)
    lock = threading.Lock()
    start = time.monotonic() + 1.0  # let every thread get ready first
    end = start + rounds

    def poller(work: list[tuple[int, str]]) -> None:
        clients = {ip: Client(HOST, port, ips[ip]) for ip, _ in work}
        statuses: collections.Counter[int] = collections.Counter()
        latencies: list[float] = []
        lags: list[float] = []
        errors = skipped = 0
        error_kinds: collections.Counter[str] = collections.Counter()
        # Spread this thread's polls evenly over each second, offset by checkout index.
        schedule = [
            (round_ + (j + 0.5) / len(work), ip, order_id)
            for round_ in range(rounds)
            for j, (ip, order_id) in enumerate(work)
        ]
        try:
            for offset, ip, order_id in schedule:
                due = start + offset
                now = time.monotonic()
                if now >= end:
                    skipped += 1
                    continue
                if due > now:
                    time.sleep(due - now)
                sent = time.monotonic()
                try:
                    status, _ = clients[ip].get(f"/api/payment-status/{order_id}", MERCHANT_AUTH)
                except OSError as exc:
                    errors += 1
                    error_kinds[type(exc).__name__] += 1
                    clients[ip].close()
                    continue
                done = time.monotonic()
                statuses[status] += 1
                latencies.append(done - sent)
                lags.append(max(0.0, sent - due))
        finally:
            for client in clients.values():
                client.close()
            with lock:
                result.statuses.update(statuses)
                result.latencies.extend(latencies)
                result.lags.extend(lags)
                result.errors += errors
                result.error_kinds.update(error_kinds)
                result.skipped += skipped

    threads = [threading.Thread(target=poller, args=(w,), daemon=True) for w in plan if w]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.0, end + JOIN_GRACE - time.monotonic()))
    return result, start


def run_one(n: int, duration: float, poll_interval: int, store: str) -> PollResult:
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(workdir(f"bench-provider-{n}-"))
        wallet = stack.enter_context(stub_wallet())
        uri = "mongomock://localhost"
        if store == "nx":
            uri = stack.enter_context(nx_server(tmp))
        gateway = stack.enter_context(
            gateway_process(tmp, wallet.balance_url, poll_interval=poll_interval, mongodb_uri=uri)
        )
        t_create = time.monotonic()
        order_ids = create_checkouts(gateway.port, n)
        t_created = time.monotonic()
        print(
            f"  N={n}: {n} checkouts opened in {t_created - t_create:.1f}s; "
            f"polling for {int(duration)}s …",
            flush=True,
        )
        result, start = poll_window(gateway.port, order_ids, duration)
        end = start + result.duration
        calls = wallet.calls_between(start, end)
        result.wallet_calls = len(calls)
        result.wallet_calls_total = wallet.calls()
        result.wallet_calls_opening = len(wallet.calls_between(t_create, t_created))
        result.opening_seconds = t_created - t_create
        result.wallet_times = [t - t_create for t in wallet.calls_between(t_create, end + 60)]
        result.window_start = start - t_create
        print(
            f"  N={n}: wallet calls at (s after the first create; polling "
            f"{result.window_start:.1f}-{result.window_start + result.duration:.1f} s):\n"
            f"    {' '.join(f'{t:.2f}' for t in result.wallet_times)}"
        )
        result.wallet_gaps = [b - a for a, b in itertools.pairwise(calls)]
        if wallet.unauthorized:
            print(f"  warning: {wallet.unauthorized} wallet GETs without the token")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="N in (10, 100), 10 s windows")
    parser.add_argument("--sizes", help="comma-separated N values (default 10,100,1000)")
    parser.add_argument("--duration", type=int, help="polling window in seconds (default 30)")
    parser.add_argument("--poll-interval", type=int, default=3, help="POLL_INTERVAL_SECONDS")
    parser.add_argument(
        "--store",
        choices=("memory", "nx"),
        default="memory",
        help="memory: the embedded default (1 worker); nx: nx-27017 on loopback, "
        "which makes app.py run 2 workers, so 2 tickers share the lease",
    )
    args = parser.parse_args(argv)
    sizes = [10, 100] if args.quick else [10, 100, 1000]
    if args.sizes:
        sizes = [int(s) for s in args.sizes.split(",")]
    duration = args.duration or (10 if args.quick else 30)
    if not 1 <= duration <= 60 or not all(1 <= n <= 2000 for n in sizes):
        parser.error("keep --duration in 1..60 and every N in 1..2000")

    print(f"machine: {machine_summary()}; load average {load_average()}")
    print(f"code: {code_version()}")
    print(
        f"bench: provider_calls, N={sizes}, each checkout polled 1/s for {duration}s, "
        f"POLL_INTERVAL_SECONDS={args.poll_interval}, store={args.store} "
        f"({'nx-27017, 2 workers' if args.store == 'nx' else 'in-memory, 1 worker'}), "
        f"client=python (threads, keep-alive, "
        f"source IPs 127.0.0.2-250)",
        flush=True,
    )
    table = Table(
        [
            "N",
            "polls planned",
            "status polls made",
            "polls/s",
            "429s",
            "not sent / errors",
            "wallet calls",
            "wallet calls / status poll",
            "wallet calls / poll interval",
            "p50 / p99 status latency",
            "wallet calls while opening N",
            f"busiest {args.poll_interval} s (whole run)",
        ]
    )
    verdicts: list[str] = []
    per_interval_by_n: list[tuple[int, float, int, int]] = []
    notes: list[str] = []
    for n in sizes:
        r = run_one(n, duration, args.poll_interval, args.store)
        intervals = r.duration / args.poll_interval
        per_interval = r.wallet_calls / intervals
        lat = sorted(r.latencies)
        ok = r.statuses.get(200, 0)
        busiest, busiest_at = r.busiest_span(args.poll_interval)
        table.add(
            n,
            r.planned,
            r.polls,
            f"{r.polls / r.duration:.0f}",
            r.statuses.get(429, 0),
            f"{r.skipped} / {r.errors}",
            r.wallet_calls,
            f"{r.wallet_calls / r.polls:.5f}" if r.polls else "n/a",
            f"{per_interval:.2f}",
            f"{percentile(lat, 0.5) * 1000:.1f} / {percentile(lat, 0.99) * 1000:.1f} ms",
            f"{r.wallet_calls_opening} in {r.opening_seconds:.1f} s",
            f"{busiest} calls",
        )
        other = {k: v for k, v in r.statuses.items() if k not in (200, 429)}
        gaps = sorted(r.wallet_gaps)
        print(
            f"  N={n}: {r.polls}/{r.planned} polls ({ok} x 200, "
            f"{r.statuses.get(429, 0)} x 429, other {other or 0}, "
            f"{r.errors} errors {dict(r.error_kinds) or ''}, "
            f"{r.skipped} not sent by the end of the window), schedule lag p99 "
            f"{percentile(sorted(r.lags), 0.99) * 1000:.0f} ms; wallet calls in window "
            f"{r.wallet_calls} (whole run {r.wallet_calls_total}; {r.wallet_calls_opening} while "
            f"opening the checkouts in {r.opening_seconds:.1f}s), gap between wallet calls "
            f"in window {f'{gaps[0]:.2f}-{gaps[-1]:.2f} s' if gaps else 'n/a'}",
            flush=True,
        )
        per_interval_by_n.append((n, per_interval, r.wallet_calls, r.polls))
        if busiest > 2:
            phase = "opening checkouts" if busiest_at < r.window_start else "polling"
            verdicts.append(
                f"N={n}: {busiest} wallet calls within {args.poll_interval} s, from "
                f"t={busiest_at:.2f} s after the first create ({phase})"
            )
        elif busiest == 2:
            notes.append(
                f"N={n}: 2 wallet calls within {args.poll_interval} s from t={busiest_at:.2f} s "
                "(one extra call: a baseline read when the first checkout opens, or tick jitter)"
            )
    print()
    print(f"load average at the end: {load_average()}")
    print(table.markdown())
    print()
    passed = all(p <= 1.2 for _, p, _, _ in per_interval_by_n)
    print(
        f"acceptance (issue 2; expected about 1 wallet call per {args.poll_interval} s poll "
        "interval whatever N is):"
    )
    for n, per_interval, calls, polls in per_interval_by_n:
        print(
            f"  N={n}: {per_interval:.2f} wallet calls per poll interval "
            f"({calls} wallet calls for {polls} status polls; the seed's design: {polls})"
        )
    print(f"  -> {'PASS' if passed else 'FAIL'}")
    print()
    print("whole run, opening included (strict: at most 1 call per poll interval):")
    for note in notes:
        print(f"  note: {note}")
    for verdict in verdicts:
        print(f"  ABOVE DESIGN: {verdict}")
    if not notes and not verdicts:
        print("  never more than 1 wallet call in any poll interval")
    return 0 if passed and not verdicts else 1


if __name__ == "__main__":
    sys.exit(main())
