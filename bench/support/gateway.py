"""The gateway as `python app.py`, and the bare Flask app it is compared with."""

from __future__ import annotations

import os
from pathlib import Path

from checkout.config import ENV_VARIABLES
from support.net import HOST
from support.processes import GUNICORN, PYTHON, ServerProcess
from support.wallet import WALLET_TOKEN
from tests.support.servers import free_port

BENCH_DIR = Path(__file__).resolve().parents[1]
ADMIN_SECRET = "bench-admin-secret-0123456789abcdef"  # noqa: S105 - loopback bench only
# The merchant's key. The seed endpoints show a checkout opened through /api/v1 only to
# a caller with a key: without it, a status poll of a bench checkout is a 404.
MERCHANT_AUTH = {"Authorization": f"Bearer {ADMIN_SECRET}"}


def gateway_env(
    port: int, wallet_url: str, log_dir: Path, poll_interval: int, mongodb_uri: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MOBIKWIK_", "MONGODB_"))}
    env.update(
        {
            "PORT": str(port),
            "HOST": HOST,
            "APP_ENV": "development",
            "MONGODB_URI": mongodb_uri,
            "PAYMENT_PROVIDER": "mobikwik",
            "MOBIKWIK_AUTH": WALLET_TOKEN,
            "MOBIKWIK_API_URL": wallet_url,
            "MOBIKWIK_HISTORY_URL": "",
            "ADMIN_SECRET": ADMIN_SECRET,
            "RATE_LIMIT_MAX_REQUESTS": "100000",
            "RATE_LIMIT_WINDOW_MS": "60000",
            # The bench polls with the master key: counted per key, not per source address.
            "RATE_LIMIT_KEYED": "1000000 per minute",
            "TRUSTED_PROXIES": "0",
            "LOG_DIR": str(log_dir),
            "POLL_INTERVAL_SECONDS": str(poll_interval),
            "SESSION_EXPIRY_MINUTES": "30",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def gateway_process(
    workdir: Path,
    wallet_url: str,
    poll_interval: int = 3,
    mongodb_uri: str = "mongomock://localhost",
) -> ServerProcess:
    """`python app.py`: gunicorn gthread, 8 threads; 1 worker on the in-memory store, else 2."""
    port = free_port()
    log_dir = workdir / "gateway-logs"
    log_dir.mkdir(exist_ok=True)
    env = gateway_env(port, wallet_url, log_dir, poll_interval, mongodb_uri)
    return ServerProcess("gateway", [PYTHON, "app.py"], port, env, workdir)


def sandbox_gateway_process(workdir: Path) -> ServerProcess:
    """`python app.py` at its defaults (sandbox wallet, in-memory store, 3 s ticks, 1 worker).

    Only PORT, LOG_DIR (scratch) and ADMIN_SECRET (to create checkouts through the merchant
    API) are set; HOST stays the default 127.0.0.1.
    """
    port = free_port()
    log_dir = workdir / "gateway-logs"
    log_dir.mkdir(exist_ok=True)
    # Every variable the gateway reads leaves the inherited environment: documented defaults.
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARIABLES}
    env.update(
        {
            "PORT": str(port),
            "LOG_DIR": str(log_dir),
            "ADMIN_SECRET": ADMIN_SECRET,
            "PYTHONUNBUFFERED": "1",
        }
    )
    return ServerProcess("gateway", [PYTHON, "app.py"], port, env, workdir)


def bare_process(workdir: Path) -> ServerProcess:
    """bench/bare_app.py under the same gunicorn worker class, workers and threads."""
    port = free_port()
    argv = [
        GUNICORN,
        "-k",
        "gthread",
        "-w",
        "1",
        "--threads",
        "8",
        "--timeout",
        "30",
        "-b",
        f"{HOST}:{port}",
        "--pythonpath",
        str(BENCH_DIR),
        "bare_app:app",
    ]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return ServerProcess("bare", argv, port, env, workdir)
