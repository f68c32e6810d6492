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
from checkout.domain.lifecycle import Status
from checkout.domain.matching import (
    CreditEvidence,
    OpenCheckout,
    attribute,
    balance_credit,
)
from checkout.providers.base import ProviderError, WalletProvider
from checkout.services import wallet
from checkout.services.checkouts import complete_checkout, expire_overdue
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
    store: Store, provider: WalletProvider, settings: Settings, *, owner: str, now: datetime
) -> TickReport:
    expired = expire_overdue(store, now=now)
    if not store.any_payable(now):
        return TickReport(ran=False, reason="idle", expired=expired)
    state = store.claim_tick(owner, now, wallet.LEASE)
    if state is None:
        return TickReport(ran=False, reason="busy", expired=expired)
    try:
        changes = _observe(store, provider, state, now)
    except ProviderError as exc:
        wallet.record_fault(store, owner, state, exc, now=now, settings=settings)
        return TickReport(ran=True, reason="provider-error", expired=expired, error=exc.reason)
    report = TickReport(ran=True, reason="ok", expired=expired)
    try:
        # Attribute while still holding the lease: whoever waits for this tick
        # ("I've paid") sees its results as soon as it sees the tick as finished.
        _attribute_new_credits(store, settings, now, changes.get("baselinePaise"), report)
    finally:
        wallet.record_success(store, owner, changes, now=now, settings=settings)
    return report


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
                    amountPaise=credit.amount_paise,
                    occurredAt=credit.occurred_at,
                    observedAt=now,
                )
            )
            if credit.occurred_at is not None:
                cursor = max(cursor, credit.occurred_at)
        return {"cursor": cursor}
    balance = provider.balance()
    if state.baselinePaise is None:
        return {"baselinePaise": balance, "baselineAt": now}
    amount = balance_credit(state.baselinePaise, balance)
    if amount is not None:
        # Same baseline and balance give the same key: a tick retried after a crash
        # cannot ledger one payment twice.
        baseline_at = state.baselineAt.isoformat() if state.baselineAt else "-"
        store.record_credit(
            WalletCredit(
                key=f"{provider.name}:balance:{baseline_at}:{state.baselinePaise}:{balance}",
                provider=provider.name,
                amountPaise=amount,
                occurredAt=None,
                observedAt=now,
                balanceAfterPaise=balance,
            )
        )
    return {"baselinePaise": balance, "baselineAt": now}


def _attribute_new_credits(
    store: Store, settings: Settings, now: datetime, balance: object, report: TickReport
) -> None:
    final_balance = balance if isinstance(balance, int) else None
    for credit in reversed(store.credits(outcome="new", limit=200)):
        report.credits += 1
        open_checkouts = [
            OpenCheckout(
                id=s.orderId,
                amount_paise=s.amountPaise,
                created_at=s.createdAt,
                status=Status(s.status),
            )
            for s in store.payable_sessions(now)
        ]
        evidence_time = credit.occurredAt or credit.observedAt
        result = attribute(CreditEvidence(credit.amountPaise, evidence_time), open_checkouts)
        completed = [
            order_id
            for order_id in result.checkout_ids
            if complete_checkout(
                store, order_id, now=now, credit_key=credit.key, final_balance=final_balance
            )
        ]
        event = None if result.matched else "credit.unattributed"
        store.set_credit_outcome(credit.key, result.outcome.value, completed, event)
        report.completed.extend(completed)
        if not result.matched:
            report.unattributed.append(credit.key)
            store.audit(
                "credit_unattributed",
                now=now,
                details={
                    "credit": credit.key,
                    "amountPaise": credit.amountPaise,
                    "outcome": result.outcome.value,
                },
            )
            log.warning(
                "credit of %d paise left unattributed (%s)",
                credit.amountPaise,
                result.outcome.value,
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
