"""gunicorn settings: start the ticker in each worker once its app is loaded, never at import."""

from __future__ import annotations

from typing import Any

from checkout.gateway import EXTENSION_KEY
from checkout.services import early_tick


def post_worker_init(worker: Any) -> None:
    # "I've paid" lets a quarter of this worker's threads wait for a tick: count the real ones.
    early_tick.set_worker_threads(getattr(worker.cfg, "threads", early_tick.DEFAULT_WORKER_THREADS))
    app = getattr(worker, "wsgi", None)
    gateway = getattr(app, "extensions", {}).get(EXTENSION_KEY)
    if gateway is not None and gateway.settings.start_ticker:
        gateway.start_background()
