"""Asking the wallet: always under the store's lease, so every process together asks at
most once per poll interval, and every fault is recorded the same way.

Used by the tick and by a checkout opened after an idle spell (which must re-read
the balance so that money that came in meanwhile pays for nothing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from checkout import clock
from checkout.config import Settings
from checkout.providers.base import ProviderError, WalletProvider
from checkout.services import leases
from checkout.services.errors import Unavailable
from checkout.services.known_debits import absorb_into_baseline
from checkout.storage.known_debits import KnownDebitStore
from checkout.storage.models import WalletState
from checkout.storage.store import Store

log = logging.getLogger(__name__)

# Short, and renewed by a tick while it works: a holder that died on another host
# blocks no one for long (one on this host is recognised at once, see leases).
LEASE = timedelta(seconds=15)
MAX_BACKOFF = timedelta(seconds=60)
MAX_DOUBLINGS = 16  # 2**failures would outgrow timedelta after a long outage
# Checkouts opened within this of a balance read share it: money that came in that
# instant would have to match a new, still unseen amount exactly (and amounts of
# checkouts just paid stay reserved), so one read serves a burst of openings.
SHARED_READ = timedelta(seconds=1)


def interval(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.poll_interval_seconds)


def backoff_after(failures: int, every: timedelta, cap: timedelta) -> timedelta:
    """How long to wait after ``failures`` faults in a row: doubling from ``every``, capped
    at ``cap`` (never below ``every``)."""
    doubling = min(failures - 1, MAX_DOUBLINGS)
    return min(every * 2**doubling, max(cap, every))


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
    backoff = backoff_after(failures, interval(settings), MAX_BACKOFF)
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
    """The balance a new checkout starts from: re-read whenever nothing could be paid until now.

    While some checkout can be paid, the ticker keeps the baseline current and every
    rise is a credit to attribute. When nothing can be paid (idle), the ticker asks
    the wallet nothing, so money may have come in unseen: the first checkout opened
    then re-reads the balance, and that money pays nothing. The re-read holds the
    tick lease, so checkouts opened together share one call (and it counts as the
    interval's tick); it does not wait for the interval, so only the move from idle
    to busy can add one call to an interval.
    """
    state = store.wallet_state()
    known = state.baselinePaise is not None or provider.has_history
    if known and store.any_payable(now):
        return state.baselinePaise
    if provider.has_history:
        # No balance to read: credits before this moment simply never count.
        store.update_wallet_state({"baselineAt": now, "cursor": now})
        return None
    now_fn = now_fn or clock.utcnow
    owner = leases.process_owner("open")
    # A running tick is waited for (it is reading the wallet anyway); an abandoned
    # lease is taken over at once when its holder is known dead, else when it runs out.
    deadline = monotonic() + LEASE.total_seconds() + 2
    while True:
        moment = now_fn()
        current = store.wallet_state()
        if _just_read(current, now):
            return current.baselinePaise
        backing_off = (
            current.consecutiveFailures and current.nextTickAt and current.nextTickAt > moment
        )
        if backing_off or monotonic() >= deadline:
            raise Unavailable(
                "The wallet cannot be reached right now; no checkout was opened. Try again shortly."
            )
        claimed = store.claim_tick(
            owner, moment, LEASE, only_when_due=False, dead_owner=dead_holder(current)
        )
        if claimed is not None:
            if _just_read(claimed, now):  # read by another between the check and the claim
                store.finish_tick(owner, {})
                return claimed.baselinePaise
            return _read_baseline(store, provider, settings, owner, claimed, moment)
        sleep(0.05)


def dead_holder(state: WalletState) -> str | None:
    """The lease's holder when it is held and that holder is certainly dead."""
    if state.leaseUntil is None or not leases.owner_is_dead(state.leaseOwner):
        return None
    owner = state.leaseOwner
    log.warning("taking over the lease %s from a dead process (%s)", state.id, owner)
    return owner


def _just_read(state: WalletState, now: datetime) -> bool:
    """A balance read at most SHARED_READ before `now` (by a checkout opened alongside)."""
    return (
        state.baselinePaise is not None
        and state.baselineAt is not None
        and now - SHARED_READ <= state.baselineAt
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
    # Refunds recorded as sent from this wallet are inside this balance already.
    absorb_into_baseline(KnownDebitStore(), read_at=now)
    record_success(
        store,
        owner,
        {"baselinePaise": balance, "baselineAt": now},
        now=now,
        settings=settings,
    )
    return balance
