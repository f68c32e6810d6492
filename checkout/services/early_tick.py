"""Early ticks for "I've paid": shared, bounded, and never a reason to tie up a worker.

A customer who has paid wants an answer now, not at the next scheduled tick. But
each wait for a tick holds one of a worker's few threads (gunicorn gthread, 8 by
default), so a flood of presses could leave none for anyone else. Hence, per process:

- one early tick in flight at a time; everyone who asks while it runs shares it;
- the hosted page's button never waits: it starts the tick in a thread of its own
  and the page's polling brings the result (`start`);
- the seed's `payment-done` keeps its synchronous answer, but at most a quarter of
  the worker's threads wait (`wait`); anyone beyond answers from the store at once.

The tick itself stays single-flight across processes through the store's lease
(`ticks.tick_soon`).
"""

from __future__ import annotations

import logging
import threading
import weakref
from datetime import datetime, timedelta

from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.services.ticker import Ticker
from checkout.services.ticks import tick_soon
from checkout.storage.store import Store

log = logging.getLogger(__name__)

#: gunicorn's threads per worker when nothing says otherwise (app.py and the Dockerfile).
DEFAULT_WORKER_THREADS = 8
#: A follower stops waiting after this long past one poll interval, whatever the leader does.
FOLLOWER_SLACK_SECONDS = 10

_worker_threads = DEFAULT_WORKER_THREADS


def set_worker_threads(threads: int) -> None:
    """Called once a gunicorn worker starts (gunicorn_conf.post_worker_init) with its real count."""
    global _worker_threads
    _worker_threads = max(1, int(threads))


def max_waiters(threads: int | None = None) -> int:
    """A quarter of a worker's threads, at least one: 8 threads let 2 requests wait."""
    return max(1, (threads if threads is not None else _worker_threads) // 4)


class EarlyTicks:
    """One per process (per ticker): the early tick in flight and who waits for it."""

    def __init__(
        self, store: Store, provider: WalletProvider, settings: Settings, *, owner: str
    ) -> None:
        self.store = store
        self.provider = provider
        self.settings = settings
        self.owner = owner
        self._lock = threading.Lock()
        self._done: threading.Event | None = None
        self._waiting = 0

    @property
    def in_flight(self) -> bool:
        with self._lock:
            return self._done is not None

    @property
    def waiting(self) -> int:
        with self._lock:
            return self._waiting

    def _join_or_lead(self) -> tuple[threading.Event, bool]:
        """Under the lock: the running early tick's event, or a new one this caller runs."""
        if self._done is None:
            self._done = threading.Event()
            return self._done, True
        return self._done, False

    def _run(self, done: threading.Event) -> None:
        try:
            tick_soon(self.store, self.provider, self.settings, owner=self.owner)
        finally:
            with self._lock:
                if self._done is done:
                    self._done = None
            done.set()

    def _run_in_background(self, done: threading.Event) -> None:
        try:
            self._run(done)
        except Exception:
            # The scheduled ticker still runs; a failed early tick only loses its head start.
            log.exception("early tick failed")

    def start(self) -> None:
        """Ask for an early tick and return at once (the hosted page's "I've paid")."""
        with self._lock:
            done, leader = self._join_or_lead()
        if leader:
            thread = threading.Thread(
                target=self._run_in_background, args=(done,), name="upi-early-tick", daemon=True
            )
            thread.start()

    def wait(self) -> bool:
        """Wait for an early tick, shared with everyone waiting; False when too many wait already.

        False means the caller should answer from the store as it is.
        """
        with self._lock:
            if self._waiting >= max_waiters():
                return False
            self._waiting += 1
            done, leader = self._join_or_lead()
        try:
            if leader:
                self._run(done)
            else:
                done.wait(self.settings.poll_interval_seconds + FOLLOWER_SLACK_SECONDS)
        finally:
            with self._lock:
                self._waiting -= 1
        return True


_per_ticker: weakref.WeakKeyDictionary[Ticker, EarlyTicks] = weakref.WeakKeyDictionary()
_registry_lock = threading.Lock()


def for_ticker(ticker: Ticker) -> EarlyTicks:
    """The process's early ticks: keyed by its ticker, so each app (and each fork) has its own."""
    with _registry_lock:
        found = _per_ticker.get(ticker)
        if found is None:
            found = EarlyTicks(ticker.store, ticker.provider, ticker.settings, owner=ticker.owner)
            _per_ticker[ticker] = found
        return found


def still_checking(store: Store, settings: Settings, *, since: datetime, now: datetime) -> bool:
    """Whether an early tick asked for at `since` may still be running, seen from any process.

    Over once a tick has finished after the press, or once the longest early tick
    (one poll interval and a second, as tick_soon waits) has passed.
    """
    if since > now:
        return False
    if now >= since + timedelta(seconds=settings.poll_interval_seconds + 1):
        return False
    last = store.wallet_state().lastTickAt
    return last is None or last < since
