"""One tick: ask the wallet once, ledger what came in, attribute it, expire what is due.

Ticks are single-flight across every process through a lease in the store,
and they ask the wallet only while some checkout can still be paid.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from checkout import clock
from checkout.config import Settings
from checkout.domain.refunds import balance_change
from checkout.domain.vocabulary import CreditKind, CreditState, Outcome
from checkout.providers.base import ProviderError, WalletProvider
from checkout.services import known_debits, relays, wallet
from checkout.services.attribution import attribute_credit, settle
from checkout.services.checkouts import expire_overdue, write_owed_orders
from checkout.storage.evidence import EvidenceStore
from checkout.storage.known_debits import KnownDebitStore
from checkout.storage.models import WalletCredit, WalletState
from checkout.storage.store import Store

log = logging.getLogger(__name__)

MAX_BACKOFF = wallet.MAX_BACKOFF
HISTORY_OVERLAP = timedelta(minutes=10)


@dataclass
class TickReport:
    ran: bool
    reason: str
    credits: int = 0
    completed: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    unattributed: list[str] = field(default_factory=list)
    error: str | None = None


def run_tick(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    *,
    owner: str,
    now: datetime,
    due_only: bool = True,
) -> TickReport:
    """``due_only=False`` reads now even inside the interval (the sandbox, whose wallet
    costs nothing to ask); still single-flight."""
    completed = finish_interrupted(store, now=now)
    expired = expire_overdue(store, now=now)
    relays.notice_silence(store, EvidenceStore(), settings, now=now)
    if not store.any_payable(now):
        return TickReport(ran=False, reason="idle", completed=completed, expired=expired)
    state = store.claim_tick(owner, now, wallet.LEASE, only_when_due=due_only)
    if state is None:
        current = store.wallet_state()
        dead = wallet.dead_holder(current)
        state = (
            store.claim_tick(owner, now, wallet.LEASE, only_when_due=due_only, dead_owner=dead)
            if dead
            else None
        )
    if state is None:
        return TickReport(ran=False, reason="busy", completed=completed, expired=expired)
    try:
        changes = _observe(store, provider, state, now)
    except ProviderError as exc:
        wallet.record_fault(store, owner, state, exc, now=now, settings=settings)
        return TickReport(
            ran=True,
            reason="provider-error",
            completed=completed,
            expired=expired,
            error=exc.reason,
        )
    report = TickReport(ran=True, reason="ok", completed=completed, expired=expired)
    try:
        store.renew_lease(owner, now + wallet.LEASE)
        # Attribute while still holding the lease: whoever waits for this tick
        # ("I've paid") sees its results as soon as it sees the tick as finished.
        _attribute_new_credits(store, settings, now, changes.get("baselinePaise"), report)
    finally:
        wallet.record_success(store, owner, changes, now=now, settings=settings)
    return report


def finish_interrupted(store: Store, *, now: datetime) -> list[str]:
    """Finish what a crash left half done; safe to run anywhere, any number of times.

    A credit whose decision was written completes exactly the checkouts it names
    (never matched again), and every completed checkout gets its order. Runs at
    start-up and at every tick, idle ones too.
    """
    completed = []
    for credit in store.credits_attributing():
        completed.extend(settle(store, credit, now=now))
    write_owed_orders(store, now=now)
    return completed


def _observe(
    store: Store, provider: WalletProvider, state: WalletState, now: datetime
) -> dict[str, object]:
    """Turn what changed in the wallet into ledger entries; return the new wallet state."""
    if provider.has_history:
        if state.cursor is None:
            return {"cursor": now, "baselineAt": now}
        floor = state.baselineAt or state.cursor
        since = max(state.cursor - HISTORY_OVERLAP, floor)
        cursor = state.cursor
        for credit in provider.credits_since(since):
            if credit.occurred_at is not None and credit.occurred_at <= floor:
                continue
            store.record_credit(
                WalletCredit(
                    key=f"{provider.name}:{credit.key}",
                    provider=provider.name,
                    kind=CreditKind.PAYMENT,
                    amountPaise=credit.amount_paise,
                    occurredAt=credit.occurred_at,
                    observedAt=now,
                )
            )
            if credit.occurred_at is not None:
                cursor = max(cursor, credit.occurred_at)
        return {"cursor": cursor}
    balance = provider.balance()
    baseline, baseline_at = _ledgered_baseline(store, state)
    if baseline is None or baseline_at is None:
        known_debits.absorb_into_baseline(KnownDebitStore(), read_at=now)
        return {"baselinePaise": balance, "baselineAt": now}
    # Refunds the merchant sent from this wallet are added back (once per window,
    # whatever a retried tick reads), so a payment beside one is read whole.
    known = known_debits.account_for_reading(
        store, KnownDebitStore(), f"{provider.name}:reading:{baseline_at.isoformat()}", now=now
    )
    if balance != baseline or known:
        # Same baseline and balance give the same key: a tick retried after a crash
        # cannot ledger one change twice. The entry carries the balance after it, so
        # a crash before the baseline is written is repaired from the ledger.
        change = balance_change(baseline, balance, known)
        debit_state = CreditState.OPEN if change.fall else CreditState.KNOWN
        store.record_credit(
            WalletCredit(
                key=f"{provider.name}:balance:{baseline_at.isoformat()}:{baseline}:{balance}",
                provider=provider.name,
                kind=CreditKind.BALANCE if change.rise else CreditKind.DEBIT,
                amountPaise=change.rise or change.fall or change.known,
                occurredAt=None,
                windowStart=baseline_at,
                observedAt=now,
                balanceAfterPaise=balance,
                outcome=Outcome.NEW if change.rise else Outcome.DEBIT,
                state=CreditState.NEW if change.rise else debit_state,
            )
        )
    return {"baselinePaise": balance, "baselineAt": now}


def _ledgered_baseline(store: Store, state: WalletState) -> tuple[int | None, datetime | None]:
    """The baseline to compare with: the stored one, unless the ledger saw a later read.

    A tick that ledgered a change and died before writing its baseline would
    otherwise count that change again, inside a larger one, on its next read.
    """
    latest = store.latest_balance_entry()
    if latest is not None and (
        state.baselineAt is None or _ms(latest.observedAt) > _ms(state.baselineAt)
    ):
        return latest.balanceAfterPaise, latest.observedAt
    return state.baselinePaise, state.baselineAt


def _ms(moment: datetime) -> int:
    # The store keeps milliseconds; compare at that precision.
    return int(moment.timestamp() * 1000)


def _attribute_new_credits(
    store: Store, settings: Settings, now: datetime, balance: object, report: TickReport
) -> None:
    final_balance = balance if isinstance(balance, int) else None
    for credit in reversed(store.credits(outcome=Outcome.NEW, limit=200)):
        report.credits += 1
        decision = attribute_credit(store, settings, credit, now=now, final_balance=final_balance)
        if decision is None:
            continue  # decided by another tick
        report.completed.extend(decision.completed)
        if not decision.matched:
            report.unattributed.append(credit.key)


def read_sandbox_now(
    store: Store, provider: WalletProvider, settings: Settings, *, owner: str
) -> Callable[[], object]:
    """For `sandbox.pay_checkout`: one read of the wallet now, due or not."""
    return lambda: run_tick(
        store, provider, settings, owner=owner, now=clock.utcnow(), due_only=False
    )


def tick_soon(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    *,
    owner: str,
    now_fn: Callable[[], datetime] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
) -> None:
    """Early tick for "I've paid": run one now if due, else wait for the running or next one.

    Still single-flight and still at most one wallet call per poll interval.
    """
    now_fn = now_fn or clock.utcnow
    started = now_fn()
    # Bounded by a monotonic clock: the wall clock may jump (or be frozen in tests).
    deadline = monotonic() + settings.poll_interval_seconds + 1
    while True:
        report = run_tick(store, provider, settings, owner=owner, now=now_fn())
        if report.ran or report.reason == "idle":
            return
        last = store.wallet_state().lastTickAt
        if (last is not None and last >= started) or monotonic() >= deadline:
            return
        sleep(0.2)
