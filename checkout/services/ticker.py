"""The background ticker: a daemon thread per process, started after fork or on first use.

Every process may run one; the store's lease keeps wallet calls single-flight.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

from checkout import clock
from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.services.ticks import TickReport, run_tick
from checkout.storage.store import Store

log = logging.getLogger(__name__)


class Ticker:
    def __init__(
        self,
        store: Store,
        provider: WalletProvider,
        settings: Settings,
        now_fn: Callable[[], datetime] | None = None,
    ) -> None:
        self.store = store
        self.provider = provider
        self.settings = settings
        self._now_fn = now_fn
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return self._now_fn() if self._now_fn else clock.utcnow()

    @property
    def wake_seconds(self) -> float:
        return min(0.5, self.settings.poll_interval_seconds / 3)

    def tick(self) -> TickReport:
        return run_tick(self.store, self.provider, self.settings, owner=self.owner, now=self.now())

    def start(self) -> None:
        """Idempotent; a forked child gets its own thread (threads do not survive fork)."""
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if alive and self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="upi-ticker", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        log.info("ticker started (every %ss)", self.settings.poll_interval_seconds)
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:
                # A bad tick must never kill the thread that watches the wallet.
                log.exception("tick failed")
            self._stop.wait(self.wake_seconds)
