"""Asking the wallet: always under the store's lease, so every process together asks at
most once per poll interval, and every fault is recorded the same way.

Used by the tick and by a checkout opened after an idle spell (which must re-read
the balance so that money that came in meanwhile pays for nothing).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from checkout import clock
from checkout.config import Settings
from checkout.providers.base import ProviderError, WalletProvider
from checkout.services.errors import Unavailable
from checkout.storage.models import WalletState
from checkout.storage.store import Store

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=30)
MAX_BACKOFF = timedelta(seconds=60)
MAX_DOUBLINGS = 16  # 2**failures would outgrow timedelta after a long outage


def interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.poll_interval_seconds)


def record_fault(
    store: Store,
    owner: str,
    state: WalletState,
    exc: ProviderError,
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """Release the lease and back off (doubling, capped); health reports the fault."""
    failures = (state.consecutiveFailures or 0) + 1
    doubling = min(failures - 1, MAX_DOUBLINGS)
    backoff = min(interval(settings) * 2**doubling, max(MAX_BACKOFF, interval(settings)))
    log.warning("wallet failed (%s); next try in %ss", exc, backoff.seconds)
    store.finish_tick(
        owner,
        {
            "lastTickAt": now,
            "nextTickAt": now + backoff,
            "lastError": str(exc),
            "lastErrorReason": exc.reason,
            "lastErrorAt": now,
            "consecutiveFailures": failures,
        },
    )


def record_success(
    store: Store,
    owner: str,
    baseline: dict[str, object],
    *,
    now: datetime,
    settings: Settings,
) -> None:
    store.finish_tick(
        owner,
        {
            "lastTickAt": now,
            "nextTickAt": now + interval(settings),
            "lastOkAt": now,
            "consecutiveFailures": 0,
        },
        baseline=baseline,
        observed_at=now,
    )


def ensure_fresh_baseline(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    *,
    now: datetime,
    now_fn: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> int | None:
    """The balance a new checkout starts from; re-read when nothing could be paid until now.

    Idle means nothing can be paid right now. A tick that finds the gateway idle
    marks the baseline stale, but the ticker may not have run since the last
    checkout closed, so the store is asked too. A balance read within the last
    poll interval still counts (the wallet is asked at most once per interval; a
    repeated payment for a checkout that just completed cannot pay a new one,
    because completed amounts stay reserved for a while). The re-read takes the
    tick lease: checkouts opened together after an idle spell share one call.
    """
    state = store.wallet_state()
    known = state.baselinePaise is not None or provider.has_history
    if not state.baselineStale and known and store.any_payable(now):
        return state.baselinePaise
    if provider.has_history:
        # No balance to read: credits before this moment simply never count.
        store.update_wallet_state({"baselineStale": False, "baselineAt": now, "cursor": now})
        return None
    now_fn = now_fn or clock.utcnow
    owner = f"open:{uuid.uuid4().hex[:12]}"
    deadline = monotonic() + settings.poll_interval_seconds + 2
    while True:
        moment = now_fn()
        current = store.wallet_state()
        if _read_within_interval(current, moment, settings):
            return current.baselinePaise
        failing = current.consecutiveFailures and current.nextTickAt and current.nextTickAt > moment
        if failing or monotonic() >= deadline:
            raise Unavailable(
                "The wallet cannot be reached right now; no checkout was opened. Try again shortly."
            )
        claimed = store.claim_tick(owner, moment, LEASE)
        if claimed is not None:
            return _read_baseline(store, provider, settings, owner, claimed, moment)
        sleep(0.05)


def _read_within_interval(state: WalletState, now: datetime, settings: Settings) -> bool:
    return (
        state.baselinePaise is not None
        and state.baselineAt is not None
        and now - state.baselineAt < interval(settings)
    )


def _read_baseline(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    owner: str,
    state: WalletState,
    now: datetime,
) -> int:
    try:
        balance = provider.balance()
    except ProviderError as exc:
        record_fault(store, owner, state, exc, now=now, settings=settings)
        raise Unavailable(
            "The wallet cannot be reached right now; no checkout was opened. Try again shortly."
        ) from exc
    record_success(
        store,
        owner,
        {"baselinePaise": balance, "baselineAt": now, "baselineStale": False},
        now=now,
        settings=settings,
    )
    return balance
