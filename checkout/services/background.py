"""A daemon thread per process that repeats one round of work: the ticker and the webhook sender.

Started after fork or on first use, never at import; a forked child gets its
own thread, because threads do not survive fork. Every process may run one:
the store's leases keep the work single-flight.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)

# Seconds a stopping process gives its requests, then its background round, to finish
# (gunicorn's graceful_timeout; docker-compose's stop_grace_period is longer).
GRACEFUL_TIMEOUT = 30


class BackgroundLoop:
    thread_name = "upi-background"

    def __init__(self, wake_seconds: float) -> None:
        self.wake_seconds = wake_seconds
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def run_once(self) -> object:
        raise NotImplementedError

    def start(self) -> None:
        """Idempotent within a process."""
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
            self._thread.start()

    def signal_stop(self) -> None:
        """No new round starts; the one under way runs to its end."""
        self._stop.set()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("%s still busy after %ss at shutdown", self.thread_name, timeout)

    def _run(self) -> None:
        log.info("%s started (wakes every %ss)", self.thread_name, self.wake_seconds)
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:
                # One bad round must never kill the thread that watches the wallet or the outbox.
                log.exception("%s round failed", self.thread_name)
            self._stop.wait(self.wake_seconds)
