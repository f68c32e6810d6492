"""One credit meets the open checkouts: decide once, write the decision, then complete.

Every source of evidence comes here: the ticker for wallet credits, the evidence
endpoints for pushed bank messages the moment they arrive. The decision is one
conditional update on the credit, made before anything completes, so racing
deciders complete once and a crash resumes the decision (`settle`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from checkout.config import Settings
from checkout.domain.matching import CreditEvidence, OpenCheckout, attribute
from checkout.domain.vocabulary import CreditKind, EventType, Outcome, Status
from checkout.services.checkouts import complete_checkout
from checkout.storage.models import WalletCredit
from checkout.storage.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    matched: bool
    completed: list[str] = field(default_factory=list)


def attribute_credit(
    store: Store,
    settings: Settings,
    credit: WalletCredit,
    *,
    now: datetime,
    final_balance: int | None = None,
) -> Decision | None:
    """Decide a new credit and act on it; None when another decider got there first."""
    grace = timedelta(minutes=settings.late_payment_grace_minutes)
    open_checkouts = [
        OpenCheckout(
            id=s.orderId,
            amount_paise=s.amountPaise,
            created_at=s.createdAt,
            status=Status(s.status),
        )
        for s in store.payable_sessions(now)
    ]
    debits = store.open_debits(now - grace) if credit.kind == CreditKind.BALANCE else []
    result = attribute(
        evidence_of(credit),
        open_checkouts,
        recent_debits={debit.amountPaise for debit in debits},
    )
    outcome = result.outcome
    if outcome == Outcome.NO_MATCH and store.recently_paid(credit.amountPaise, since=now - grace):
        outcome = Outcome.REPEAT  # said apart: the merchant refunds it
    event = None if result.matched else EventType.CREDIT_UNATTRIBUTED
    if not store.decide_credit(credit.key, outcome.value, list(result.checkout_ids), event):
        return None
    if result.matched:
        completed = settle(
            store, credit, now=now, final_balance=final_balance, ids=result.checkout_ids
        )
        return Decision(result.outcome, True, completed)
    if result.outcome == Outcome.REVERSAL:
        reversed_debit = next(d for d in debits if d.amountPaise == credit.amountPaise)
        store.reverse_debit(reversed_debit.key)
    store.audit(
        "credit_unattributed",
        now=now,
        details={
            "credit": credit.key,
            "amountPaise": credit.amountPaise,
            "outcome": outcome.value,
            "why": WHY.get(outcome, "no single explanation"),
        },
    )
    log.warning("credit of %d paise left unattributed (%s)", credit.amountPaise, outcome.value)
    return Decision(outcome, False)


WHY = {
    Outcome.REVERSAL: "equals a debit seen within the grace window: read as its reversal",
    Outcome.AMBIGUOUS: "more than one set of open checkouts explains it",
    Outcome.BEFORE_CHECKOUT: "it may have arrived before the checkout of that amount existed",
    Outcome.NO_MATCH: "no open checkout has this amount",
    Outcome.TOO_MANY_OPEN: "too many open checkouts to prove one explanation",
    Outcome.REPEAT: "a checkout of this amount was just paid: most likely paid twice",
}


def evidence_of(credit: WalletCredit) -> CreditEvidence:
    if credit.kind == CreditKind.BALANCE and credit.windowStart is not None:
        return CreditEvidence.balance_rise(
            credit.amountPaise, since=credit.windowStart, seen_at=credit.observedAt
        )
    return CreditEvidence(credit.amountPaise, credit.occurredAt or credit.observedAt)


def settle(
    store: Store,
    credit: WalletCredit,
    *,
    now: datetime,
    final_balance: int | None = None,
    ids: tuple[str, ...] | None = None,
) -> list[str]:
    """Complete the checkouts a decided credit names, then mark it attributed."""
    completed = [
        order_id
        for order_id in (ids if ids is not None else tuple(credit.orderIds))
        if complete_checkout(
            store,
            order_id,
            now=now,
            credit_key=credit.key,
            final_balance=final_balance if final_balance is not None else credit.balanceAfterPaise,
            # A UTR claim's decision resumed after a crash: paid what the evidence says.
            amount_paid=credit.amountPaise if credit.outcome == Outcome.UTR else None,
        )
    ]
    store.credit_attributed(credit.key)
    return completed
