"""gunicorn settings: `gunicorn -c checkout/gunicorn_conf.py ... wsgi:app`.

- The worker count is WEB_CONCURRENCY (gunicorn's own name), read through the
  gateway's settings so its default follows the store: one worker on the
  in-memory store (its data lives in one process), two on MongoDB. A `-w` on
  the command line still wins, and is checked against the same rules.
- gunicorn's own error and access logs get the redaction the app's logs have:
  they print request lines, and a request line can carry a pay-page token.
- The ticker starts in each worker once its app is loaded, never at import.
- On SIGTERM the worker finishes its requests (graceful_timeout), then the ticker and the
  webhook sender finish their current round, which releases the leases they hold; a
  restart right after finds nothing half-done and nothing to send twice.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from dotenv import load_dotenv
from gunicorn.glogging import Logger

from checkout.config import ConfigError, Settings
from checkout.gateway import EXTENSION_KEY
from checkout.logs import install_redaction
from checkout.services import early_tick
from checkout.services.background import GRACEFUL_TIMEOUT

load_dotenv()


def _settings_or_exit(**changes: Any) -> Settings:
    try:
        return Settings.from_env().with_overrides(**changes)
    except ConfigError as exc:
        print(f"upi-checkout: configuration error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(2) from None


class RedactingLogger(Logger):
    """gunicorn's logger, with credentials blanked out of every line it writes."""

    def setup(self, cfg: Any) -> None:
        # setup runs again on every reload (SIGHUP) and replaces the handlers.
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            install_redaction(log)


workers = _settings_or_exit().web_concurrency
logger_class = RedactingLogger


def on_starting(server: Any) -> None:
    """The count gunicorn will really run, held to the same rules (memory:// limits, one store)."""
    _settings_or_exit(web_concurrency=server.cfg.workers)


graceful_timeout = GRACEFUL_TIMEOUT


def _gateway(worker: Any) -> Any:
    app = getattr(worker, "wsgi", None)
    return getattr(app, "extensions", {}).get(EXTENSION_KEY)


def post_worker_init(worker: Any) -> None:
    # "I've paid" lets a quarter of this worker's threads wait for a tick: count the real ones.
    early_tick.set_worker_threads(getattr(worker.cfg, "threads", early_tick.DEFAULT_WORKER_THREADS))
    gateway = _gateway(worker)
    if gateway is not None and gateway.settings.start_ticker:
        gateway.start_background()


def worker_exit(server: Any, worker: Any) -> None:
    """Let the tick or the webhook send under way end in its own time, lease released.

    The threads are daemons: without this, interpreter exit would cut a round short and
    leave its lease for the next start to take over from a dead holder.
    """
    gateway = _gateway(worker)
    if gateway is not None:
        gateway.stop_background(timeout=getattr(worker.cfg, "graceful_timeout", GRACEFUL_TIMEOUT))


def child_exit(server: Any, worker: Any) -> None:
    """A dead worker's live gauges leave the PROMETHEUS_MULTIPROC_DIR sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
