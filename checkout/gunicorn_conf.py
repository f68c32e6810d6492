"""gunicorn settings: start the ticker in each worker once its app is loaded, never at import."""

from __future__ import annotations

from typing import Any

from checkout.gateway import EXTENSION_KEY


def post_worker_init(worker: Any) -> None:
    app = getattr(worker, "wsgi", None)
    gateway = getattr(app, "extensions", {}).get(EXTENSION_KEY)
    if gateway is not None and gateway.settings.start_ticker:
        gateway.start_background()
