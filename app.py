"""Run the gateway: `python app.py` (or `make run`) serves it with gunicorn's threaded worker.

Settings come from the environment and `.env`; a bad value stops start-up with
one line naming the variable.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from dotenv import load_dotenv

load_dotenv()

from checkout import create_app  # noqa: E402
from checkout.config import ConfigError, Settings  # noqa: E402
from checkout.services.users import setup_url  # noqa: E402


def _settings_or_exit() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        print(f"upi-checkout: configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _banner(settings: Settings) -> str:
    base = f"http://{settings.host}:{settings.port}"
    lines = [f"UPI Checkout listening on {base}/", f"  health:  {base}/health"]
    lines.append(f"  console: {base}/admin/login")
    if not settings.admin_secret:
        # The one place the start-up token is shown: it makes the first owner, once.
        lines.append(f"  setup:   {setup_url(base)}  (first owner only)")
    if settings.in_memory_store:
        lines.append("  STORE:   in memory (MONGODB_URI=mongomock://): payments are lost on exit")
    if settings.sandbox:
        lines += [
            "  WALLET:  sandbox, no real money moves",
            f"  demo:    open {base}/l/demo and press 'Simulate payment'",
            "           or: .venv/bin/flask --app app sandbox pay ORDER_ID",
        ]
    return "\n".join(lines)


def serve(settings: Settings) -> None:
    # gunicorn reads WEB_CONCURRENCY as a number when it is imported; `.env.example` leaves it
    # empty (= the default for the store), which gunicorn cannot read.
    os.environ["WEB_CONCURRENCY"] = str(settings.web_concurrency)
    from gunicorn.app.base import BaseApplication

    from checkout.services.background import GRACEFUL_TIMEOUT

    class _Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options: dict[str, Any] = {
                "bind": f"{settings.host}:{settings.port}",
                # WEB_CONCURRENCY: one on the in-memory store (it lives in one process).
                "workers": settings.web_concurrency,
                "worker_class": "gthread",
                "threads": 8,
                "timeout": 30,
                "accesslog": None,
                "post_worker_init": "checkout.gunicorn_conf.post_worker_init",
                # SIGTERM: requests, then the ticker's and the sender's rounds, finish.
                "graceful_timeout": GRACEFUL_TIMEOUT,
                "worker_exit": "checkout.gunicorn_conf.worker_exit",
                # gunicorn's own log lines are redacted like the app's (pay-page tokens).
                "logger_class": "checkout.gunicorn_conf.RedactingLogger",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            # Built in the worker, after fork: MongoDB clients and threads don't survive fork.
            return create_app(settings)

    print(_banner(settings), flush=True)
    _Server().run()


if __name__ == "__main__":
    serve(_settings_or_exit())
else:
    # Imported by the `flask` command (`flask --app app ...`): log lines print only on -v.
    from_cli = os.environ.get("FLASK_RUN_FROM_CLI") == "true"
    app = create_app(_settings_or_exit(), hold_console_logs=from_cli)
