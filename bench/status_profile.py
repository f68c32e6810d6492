"""Where one GET /api/payment-status/<orderId> spends its time, in process.

Runs the gateway's WSGI app directly (no server, no client) with the in-memory store
and the sandbox wallet, answers N status polls of one open checkout under cProfile,
and prints the CPU per request spent inside each part that the status path crosses:
the rate limiter, the store (mongoengine + mongomock), logging, the security headers
(Talisman), CORS, and the whole request. This is the profile that guided the changes
in docs/PERFORMANCE.md section 2; the throughput itself is bench/status_throughput.py.

Usage:  .venv/bin/python bench/status_profile.py [--requests 2000] [--path pay|api]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from werkzeug.test import EnvironBuilder  # noqa: E402

from checkout import create_app  # noqa: E402
from checkout.config import Settings  # noqa: E402
from checkout.gateway import EXTENSION_KEY  # noqa: E402

SECRET = "bench-admin-secret-0123456789abcdef"  # noqa: S105 - in-process bench only
PARTS = {
    "rate limiter": ("flask_limiter", "limits/"),
    "store (mongoengine + mongomock)": ("mongoengine", "mongomock", "pymongo", "bson"),
    "logging": ("logging/",),
    "security headers (talisman)": ("flask_talisman",),
    "CORS": ("flask_cors",),
}


def _settings(log_dir: str) -> Settings:
    return Settings.from_env(
        {
            "MONGODB_URI": "mongomock://localhost",
            "PAYMENT_PROVIDER": "sandbox",
            "ADMIN_SECRET": SECRET,
            "LOG_DIR": log_dir,
            "RATE_LIMIT_STATUS": "100000000 per minute",
            "RATE_LIMIT_KEYED": "100000000 per minute",
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--path", choices=("api", "pay"), default="api")
    parser.add_argument("--repeats", type=int, default=5, help="the fastest repeat is shown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as log_dir:
        app = create_app(_settings(log_dir))
        client = app.test_client()
        created = client.post(
            "/api/v1/checkout-sessions",
            json={"orderId": "bench-1", "amount": "499"},
            headers={"Authorization": f"Bearer {SECRET}"},
        ).get_json()
        if args.path == "api":
            url, headers = "/api/payment-status/bench-1", {"Authorization": f"Bearer {SECRET}"}
        else:
            url, headers = created["url"].split("://", 1)[1].split("/", 1)[1], {}
            url = "/" + url.split("?")[0] + "/status"
        environ = EnvironBuilder(path=url, headers=headers).get_environ()
        environ["REMOTE_ADDR"] = "127.0.0.9"

        def one() -> None:
            body = app.wsgi_app(dict(environ), lambda status, headers, exc=None: None)
            for _ in body:
                pass
            getattr(body, "close", lambda: None)()

        for _ in range(200):  # warm-up
            one()
        plain = min(_timed(one, args.requests) for _ in range(args.repeats))
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(args.requests):
            one()
        profile.disable()
        stats = pstats.Stats(profile, stream=io.StringIO())
        report(stats, args.requests, plain, url)
        app.extensions[EXTENSION_KEY].stop_background()


def _timed(one: Callable[[], None], requests: int) -> float:
    """CPU seconds per request over `requests` requests (process time: others' load aside)."""
    started = time.process_time()
    for _ in range(requests):
        one()
    return (time.process_time() - started) / requests


def report(stats: pstats.Stats, requests: int, plain: float, url: str) -> None:
    """Per part: the largest cumulative time of a frame from that part entered from outside it
    (approximated by the top-level entry points: functions of the part called by others)."""
    entries = stats.stats  # type: ignore[attr-defined]
    print(f"{requests} requests of {url}: {plain * 1000:.3f} ms CPU each")
    print("  (fastest repeat without the profiler; the parts below are under it)")
    for part, markers in PARTS.items():
        total = 0.0
        for (filename, _line, _name), (_cc, _nc, _tt, _ct, callers) in entries.items():
            if not any(m in filename for m in markers):
                continue
            outside = sum(
                c[3] for key, c in callers.items() if not any(m in key[0] for m in markers)
            )
            total += outside
        print(f"  {part:34s} {total / requests * 1000:7.3f} ms per request (profiled)")
    whole = max(ct for (_f, _l, _n), (_cc, _nc, _tt, ct, _c) in entries.items())
    print(f"  {'whole request (profiled)':34s} {whole / requests * 1000:7.3f} ms")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
