"""How long after the money arrives does the open pay page say "Payment received"?

Starts the gateway at its defaults (`python app.py`: sandbox wallet, in-memory store,
POLL_INTERVAL_SECONDS=3; the page polls its status fragment every 2 s). For each run:
open a fresh checkout (`POST /api/v1/checkout-sessions`), load its `/pay/<token>` page in
headless Chromium (360x640, a fresh browser context), wait a random 0-6 s (6 s = both
cycles, 3 s ticks and 2 s polls, so the credit lands anywhere in them), credit the wallet
with the exact amount (`POST /api/sandbox/credit {"orderId"}`, as a UPI app would pay), and
time until the page shows `[data-status=completed]` with "Payment received". The moment
is taken inside the page (a MutationObserver stamps Date.now()), so Playwright's own
round trips do not count.

Wallet calls: the sandbox wallet lives in the store, so the bench counts the gateway's
wallet reads as changes of `/health` -> `checks.provider.lastTickAt` (every wallet read,
tick or opening read, stamps it), polled every 0.25 s. The seed's design asked the
wallet on every status poll: one call per open page every 5 s.

With `--via sms` the payment arrives as the bank's credit SMS instead
(`POST /api/sandbox/sms {"orderId"}`: the sandbox relays an HDFC credit SMS through the
evidence endpoint's own path), which completes the checkout as it arrives, with no tick.

Usage:  .venv/bin/python bench/time_to_success.py [--runs 10] [--seed N] [--via sms]
Loopback only; every loop and wait is bounded (a run gives up after 20 s).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import threading
import time
from datetime import datetime

from support.checkouts import create_checkout
from support.client import Client
from support.gateway import MERCHANT_AUTH, sandbox_gateway_process
from support.net import HOST
from support.processes import workdir
from support.report import Table, code_version, load_average, machine_summary

from tests.browser.chromium import PHONE, launch_chromium

TARGET_SECONDS = 5.0  # issue 3: at most 5 s, as the seed's 5 s client poll
SEED_POLL_SECONDS = 5.0  # the seed's page polled payment-status (and so the wallet) every 5 s
CYCLE_SECONDS = 6.0  # lcm(3 s ticks, 2 s page polls)
POLL_INTERVAL = 3.0  # POLL_INTERVAL_SECONDS default
TICKER_WAKE = 0.5  # the ticker thread checks for a due tick every min(0.5, interval / 3) s
PAGE_POLL = 2.0  # hx-trigger="every 2s"
HEALTH_EVERY = 0.25
WAIT_MS = 20_000

# Stamps the moment the status region turns "completed" (wall clock, ms), in the page.
STAMP_COMPLETED = """
(() => {
  const stamp = () => {
    if (window.__completedAt) { return; }
    const el = document.querySelector('[data-status="completed"]');
    if (el && /Payment received/.test(el.textContent)) { window.__completedAt = Date.now(); }
  };
  new MutationObserver(stamp).observe(document, { subtree: true, childList: true,
                                                  attributes: true });
  document.addEventListener('DOMContentLoaded', stamp);
})();
"""


class TickWatch:
    """Polls /health and keeps every distinct `lastTickAt` (= one wallet read each)."""

    def __init__(self, port: int, max_seconds: float) -> None:
        self.client = Client(HOST, port, "127.0.0.3")
        self.ticks: list[float] = []  # epoch seconds, as the gateway stamped them
        self.errors = 0
        self._stop = threading.Event()
        self._max = max_seconds
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TickWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.client.close()

    def _run(self) -> None:
        deadline = time.monotonic() + self._max
        last = None
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                status, raw = self.client.get("/health")
                answer = json.loads(raw) if status == 200 else {}
                stamp = answer.get("checks", {}).get("provider", {}).get("lastTickAt")
            except (OSError, ValueError, KeyError):
                self.errors += 1
                self.client.close()
                stamp = None
            if stamp and stamp != last:
                last = stamp
                moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
                self.ticks.append(moment)
            self._stop.wait(HEALTH_EVERY)

    def between(self, start: float, end: float) -> list[float]:
        return [t for t in self.ticks if start <= t < end]


def diagnose(port: int, order_id: str, page: object) -> str:
    """What the store and the page say when a run did not show success in time."""
    client = Client(HOST, port, "127.0.0.6")
    try:
        status, raw = client.get(f"/api/order/{order_id}", headers=MERCHANT_AUTH)
        _, payment = client.get(f"/api/payment-status/{order_id}", headers=MERCHANT_AUTH)
        _, health = client.get("/health")
    except OSError as exc:
        return f"gateway unreachable ({exc!r})"
    finally:
        client.close()
    shown = page.get_attribute("#checkout", "data-status")  # type: ignore[attr-defined]
    provider = json.loads(health).get("checks", {}).get("provider", {})
    return (
        f"page shows {shown!r}; payment-status {payment[:300]!r}; order {status} "
        f"{raw[:120]!r}; provider {provider}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="checkouts to pay (1-30)")
    parser.add_argument("--seed", type=int, help="random seed for the offsets (default: time)")
    parser.add_argument(
        "--via", choices=("wallet", "sms"), default="wallet", help="how the money is seen"
    )
    args = parser.parse_args(argv)
    pay_path = "/api/sandbox/sms" if args.via == "sms" else "/api/sandbox/credit"
    if not 1 <= args.runs <= 30:
        parser.error("keep --runs in 1..30")
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)

    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    print(f"machine: {machine_summary()}; load average {load_average()}")
    print(f"code: {code_version()}")
    print(
        f"bench: time_to_success, {args.runs} runs, gateway at its defaults (sandbox, in-memory, "
        f"POLL_INTERVAL_SECONDS=3, fragment poll 2 s), headless /usr/bin/chromium 360x640, "
        f"credit ({args.via}) at a random 0-{CYCLE_SECONDS:.0f} s after the page showed "
        f"(seed {seed})",
        flush=True,
    )
    table = Table(
        [
            "run",
            "offset",
            "credit -> wallet read",
            "wallet read -> page",
            "credit -> page shows success",
            "page polls",
            "wallet reads while open",
            "seed: wallet calls",
        ]
    )
    latencies: list[float] = []
    failures: list[str] = []
    open_total = 0.0
    polls_total = 0
    reads_open_total = 0
    reads_opening_total = 0
    with contextlib.ExitStack() as stack:
        tmp = stack.enter_context(workdir("bench-time-to-success-"))
        gateway = stack.enter_context(sandbox_gateway_process(tmp))
        base = f"http://{HOST}:{gateway.port}"
        watch = stack.enter_context(TickWatch(gateway.port, max_seconds=args.runs * 30 + 30))
        playwright = stack.enter_context(sync_playwright())
        browser = launch_chromium(playwright)
        stack.callback(browser.close)
        run_start = time.time()
        credit_client = Client(HOST, gateway.port, "127.0.0.4")
        stack.callback(credit_client.close)
        for run in range(1, args.runs + 1):
            created = time.time()
            checkout = create_checkout(gateway.port, f"{100 + run}.00", "127.0.0.5")
            order_id = str(checkout["orderId"])
            url = str(checkout["url"])
            url = base + url if url.startswith("/") else url
            context = browser.new_context(**PHONE)
            try:
                page = context.new_page()
                page.add_init_script(STAMP_COMPLETED)
                polls = []
                page.on("request", lambda r, p=polls: p.append(r.url) if "/status" in r.url else 0)
                opened = time.time()
                page.goto(url, wait_until="load", timeout=WAIT_MS)
                page.wait_for_selector("[data-status=pending]", timeout=WAIT_MS)
                offset = rng.uniform(0, CYCLE_SECONDS)
                time.sleep(offset)
                status, raw = credit_client.request(
                    "POST",
                    pay_path,
                    body=json.dumps({"orderId": order_id}).encode(),
                    headers={"Content-Type": "application/json"},
                )
                credited = time.time()
                if status != 200:
                    raise RuntimeError(f"sandbox credit answered {status}: {raw[:200]!r}")
                try:
                    page.wait_for_selector("[data-status=completed]", timeout=WAIT_MS)
                    page.get_by_text("Payment received").wait_for(timeout=WAIT_MS)
                except PlaywrightTimeout:  # reported with what the gateway says; next run
                    before = [t for t in watch.ticks if t < created]
                    after = watch.between(credited, time.time())
                    failures.append(
                        f"run {run} ({order_id}): success not shown within {WAIT_MS // 1000} s; "
                        f"checkout opened {created - before[-1]:.2f} s after the previous wallet "
                        f"read, credited {credited - created:.2f} s after opening, "
                        f"{len(after)} wallet reads since the credit; "
                        f"{diagnose(gateway.port, order_id, page)}"
                        if before
                        else f"run {run} ({order_id}): success not shown; "
                        f"{diagnose(gateway.port, order_id, page)}"
                    )
                    table.add(
                        run,
                        f"{offset:.2f} s",
                        f"{after[0] - credited:.2f} s" if after else "none",
                        "never",
                        f"**not shown in {WAIT_MS // 1000} s**",
                        len(polls),
                        "-",
                        "-",
                    )
                    continue
                shown = float(page.evaluate("window.__completedAt || 0")) / 1000 or time.time()
                closed = time.time()
            finally:
                context.close()
            latency = shown - credited
            latencies.append(latency)
            reads_after = watch.between(credited, closed + 1)
            first_read = reads_after[0] if reads_after else None
            open_seconds = closed - opened
            reads_open = len(watch.between(opened, closed))
            reads_opening_total += len(watch.between(created, opened))
            open_total += open_seconds
            polls_total += len(polls)
            reads_open_total += reads_open
            table.add(
                run,
                f"{offset:.2f} s",
                f"{first_read - credited:.2f} s" if first_read else "?",
                f"{shown - first_read:.2f} s" if first_read else "?",
                f"**{latency:.2f} s**",
                len(polls),
                f"{reads_open} in {open_seconds:.1f} s",
                f"{open_seconds / SEED_POLL_SECONDS:.1f}",
            )
            print(
                f"  run {run}: {order_id} credited {offset:.2f} s after the page showed; "
                f"success shown {latency:.2f} s later",
                flush=True,
            )
        run_seconds = time.time() - run_start
        reads_total = len(watch.between(run_start, time.time() + 1))
        health_errors = watch.errors

    print()
    print(f"load average at the end: {load_average()}")
    print(table.markdown())
    print()
    if latencies:
        ordered = sorted(latencies)
        within = sum(1 for x in latencies if x <= TARGET_SECONDS)
        print(
            f"credit -> page shows success over {len(latencies)} runs: min {ordered[0]:.2f} s, "
            f"median {statistics.median(ordered):.2f} s, mean {statistics.mean(ordered):.2f} s, "
            f"max {ordered[-1]:.2f} s; {within}/{args.runs} runs within {TARGET_SECONDS:.0f} s"
            f"{f', {len(failures)} never showed success' if failures else ''}"
        )
        # Worst case by design: the credit lands just after a wallet read; the next read is
        # one interval later plus up to one ticker wake-up (0.5 s), and the page's next poll
        # up to 2 s after that; plus the time to serve and swap the fragment.
        print(
            f"by design: at most {POLL_INTERVAL + TICKER_WAKE + PAGE_POLL:.1f} s plus request "
            f"time ({POLL_INTERVAL:.0f} s interval + {TICKER_WAKE} s ticker wake-up + "
            f"{PAGE_POLL:.0f} s page poll); the seed's page: up to {SEED_POLL_SECONDS:.0f} s"
        )
    seed_calls = open_total / SEED_POLL_SECONDS
    print(
        f"wallet reads, this gateway: {reads_open_total} while a page was open "
        f"({open_total:.1f} s of open pages, {polls_total} fragment polls, none of which reads "
        f"the wallet), opening reads at checkout creation: {reads_opening_total}; "
        f"{reads_total} in the whole {run_seconds:.0f} s run"
    )
    print(
        f"wallet calls, the seed's design (1 per status poll every {SEED_POLL_SECONDS:.0f} s per "
        f"open page, plus 1 initial read per session): {seed_calls:.1f} + {args.runs} = "
        f"{seed_calls + args.runs:.1f} for the same open time and sessions"
    )
    print(
        f"  one page open at a time, the gateway reads once per {POLL_INTERVAL:.0f} s against "
        f"the seed's once per {SEED_POLL_SECONDS:.0f} s; with n pages open it stays at one per "
        f"{POLL_INTERVAL:.0f} s where the seed makes n per {SEED_POLL_SECONDS:.0f} s "
        f"(bench/provider_calls.py)"
    )
    if health_errors:
        print(f"  warning: {health_errors} /health reads failed")
    for failure in failures:
        print(f"  FAILED {failure}")
    ok = not failures and bool(latencies) and max(latencies) <= TARGET_SECONDS
    print(f"  -> {'PASS' if ok else 'FAIL'} (target: every run at most {TARGET_SECONDS:.0f} s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
