"""What one status poll costs, part by part, in process.

Runs the gateway's WSGI app directly (no server, no client: only the app's own work)
with the in-memory store and the sandbox wallet, answering polls of one open checkout
exactly as callers send them: `GET /api/payment-status/<orderId>` with a merchant key
(`--path api`) or the pay page's `GET /pay/<token>/status?seen=pending` (`--path pay`).
It prints the CPU per request of the whole app, then of the app with one part switched
off at a time (the rate limiter, the request log line, the security headers, the
metrics hooks): the difference is what that part costs. `--profile` adds the top
functions by cumulative time. This is the profile that guided the changes written in
docs/PERFORMANCE.md section 2; the throughput itself is bench/status_throughput.py.

Usage:  .venv/bin/python bench/status_profile.py [--requests 1000] [--repeats 8]
                                                 [--path api|pay] [--profile]
CPU is process time, the fastest of the repeats, so other load on the machine shows less.
"""

from __future__ import annotations

import argparse
import cProfile
import itertools
import logging
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from checkout import create_app  # noqa: E402
from checkout.config import Settings  # noqa: E402
from checkout.extensions import limiter  # noqa: E402
from checkout.gateway import EXTENSION_KEY  # noqa: E402

SECRET = "bench-admin-secret-0123456789abcdef"  # noqa: S105 - in-process bench only
AUTH = {"Authorization": f"Bearer {SECRET}"}


def _settings(log_dir: str) -> Settings:
    return Settings.from_env(
        {
            "MONGODB_URI": "mongomock://localhost",
            "PAYMENT_PROVIDER": "sandbox",
            "ADMIN_SECRET": SECRET,
            "LOG_DIR": log_dir,
            # One checkout polled far more often than a customer would: its page's poll is
            # limited per checkout, the merchant's per key.
            "RATE_LIMIT_STATUS": "100000000 per minute",
            "RATE_LIMIT_KEYED": "100000000 per minute",
        }
    )


def _without_hook(app: Flask, qualname_part: str) -> Callable[[], None]:
    """Take the before/after-request hooks whose name contains `qualname_part` out;
    the returned function puts them back."""
    removed: list[tuple[list[Any], int, Any]] = []
    for table in (app.before_request_funcs, app.after_request_funcs):
        hooks = table.get(None, [])
        for index, hook in reversed(list(enumerate(hooks))):
            name = getattr(hook, "__qualname__", "") or repr(hook)
            if qualname_part in name:
                removed.append((hooks, index, hooks.pop(index)))

    def restore() -> None:
        for hooks, index, hook in reversed(removed):
            hooks.insert(index, hook)

    return restore


def _switch_off(app: Flask, part: str) -> Callable[[], None]:
    if part == "rate limiter":
        limiter.enabled = False
        return lambda: setattr(limiter, "enabled", True)
    if part == "request log line":
        requests_log = logging.getLogger("checkout.requests")
        requests_log.disabled = True
        return lambda: setattr(requests_log, "disabled", False)
    if part == "security headers (talisman)":
        return _without_hook(app, "Talisman._set_response_headers")
    if part == "metrics hooks":
        return _without_hook(app, "init_metrics")
    raise ValueError(part)


PARTS = ("rate limiter", "request log line", "security headers (talisman)", "metrics hooks")


def _timed(one: Callable[[], None], requests: int, repeats: int) -> float:
    """CPU seconds per request: the fastest of `repeats` runs of `requests` requests."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        for _ in range(requests):
            one()
        best = min(best, (time.process_time() - started) / requests)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=8)
    parser.add_argument("--path", choices=("api", "pay"), default="api")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as log_dir:
        app = create_app(_settings(log_dir))
        client = app.test_client()
        created = client.post(
            "/api/v1/checkout-sessions", json={"orderId": "bench-1", "amount": "499"}, headers=AUTH
        ).get_json()
        if args.path == "api":
            path, query, headers = "/api/payment-status/bench-1", "", AUTH
        else:
            page = "/" + created["url"].split("://", 1)[1].split("/", 1)[1].split("?")[0]
            path, query, headers = page + "/status", "seen=pending", {}
        environ = EnvironBuilder(path=path, query_string=query, headers=headers).get_environ()
        statuses: list[str] = []
        # Callers from many addresses, as in production (and so that a per-IP limit, where
        # one applies, counts them apart rather than refusing the bench).
        addresses = itertools.cycle(f"10.0.{n // 250}.{n % 250 + 1}" for n in range(2000))

        def one() -> None:
            request = {**environ, "REMOTE_ADDR": next(addresses)}
            body = app.wsgi_app(request, lambda status, *_: statuses.append(status))
            for _ in body:
                pass
            getattr(body, "close", lambda: None)()

        for _ in range(200):  # warm-up
            one()
        whole = _timed(one, args.requests, args.repeats)
        print(f"{path}{'?' + query if query else ''} ({statuses[-1]}), {args.requests} requests")
        print(f"  {'whole app':34s} {whole * 1000:6.3f} ms CPU per request")
        for part in PARTS:
            restore = _switch_off(app, part)
            try:
                without = _timed(one, args.requests, args.repeats)
            finally:
                restore()
            print(
                f"  {'without ' + part:34s} {without * 1000:6.3f} ms  ({part}: "
                f"{(whole - without) * 1000:+.3f} ms)"
            )
        if args.profile:
            profile = cProfile.Profile()
            profile.enable()
            for _ in range(args.requests):
                one()
            profile.disable()
            pstats.Stats(profile, stream=sys.stdout).sort_stats("cumulative").print_stats(30)
        app.extensions[EXTENSION_KEY].stop_background()


if __name__ == "__main__":
    main()
