"""The console's review queue: credits the gateway would not guess about, the checkouts
each could pay, and the UTR claims it refused (issue 10).

Deciding goes through checkout.services.credits (assign, dismiss), the API's own
service, so a decision from the console is the same one conditional update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.domain.vocabulary import CreditKind, CreditState
from checkout.services.credits import CreditView, credit_view, find_credit
from checkout.storage.claims import ClaimStore, UtrClaim
from checkout.storage.store import Store

QUEUE_STATES = (CreditState.NEW, CreditState.UNATTRIBUTED, CreditState.CONFLICT)
NEARBY = timedelta(hours=24)  # a payment made later than this is unlikely to be this one
MAX_CANDIDATES = 20


@dataclass(frozen=True)
class Candidate:
    """A payable checkout that could be the one this credit paid."""

    order_id: str
    amount_paise: int
    requested_paise: int
    created_at: datetime
    status: str
    claimed: bool  # a waiting UTR claim names this credit's RRN


@dataclass(frozen=True)
class QueueEntry:
    """A credit waiting for a decision; a balance rise says the window it came in."""

    credit: CreditView
    rise_since: datetime | None  # a balance rise: the previous reading


def queue(store: Store, limit: int = 50) -> list[QueueEntry]:
    """Unattributed and conflicting credits, any source (balance rises too), newest first."""
    found = store.list_credits(
        states=[str(state) for state in QUEUE_STATES],
        source=None,
        rrn=None,
        before=None,
        limit=limit,
    )
    return [
        QueueEntry(
            credit_view(credit),
            credit.windowStart if credit.kind == CreditKind.BALANCE else None,
        )
        for credit in found
    ]


def refused_claims(claims: ClaimStore | None = None, limit: int = 50) -> list[UtrClaim]:
    return (claims or ClaimStore()).claims(status="mismatch", limit=limit)


def candidates(
    store: Store, public_id: str, *, now: datetime, claims: ClaimStore | None = None
) -> tuple[CreditView, list[Candidate]]:
    """Payable checkouts this credit could pay, most likely first.

    A checkout whose customer claimed this credit's UTR comes first, then one whose
    amount to pay is the credit's, then one that asked for it (an app that dropped
    the suffix); each group by how near in time it was opened.
    """
    credit = find_credit(store, public_id)
    moment = credit.occurredAt or credit.observedAt
    claimed = (
        {claim.orderId for claim in (claims or ClaimStore()).waiting_claims(credit.rrn)}
        if credit.rrn
        else set()
    )
    sessions = {
        session.orderId: session
        for session in store.payable_asking(
            credit.amountPaise,
            now=now,
            opened_after=moment - NEARBY,
            opened_before=moment + NEARBY,
        )
    }
    for order_id in claimed - sessions.keys():
        session = store.session_by_order_id(order_id)
        if session is not None and session.payableUntil and session.payableUntil > now:
            sessions[order_id] = session
    found = [
        Candidate(
            order_id=session.orderId,
            amount_paise=session.amountPaise,
            requested_paise=session.totalAmountPaise,
            created_at=session.createdAt,
            status=session.status,
            claimed=session.orderId in claimed,
        )
        for session in sessions.values()
    ]
    found.sort(
        key=lambda c: (
            not c.claimed,
            c.amount_paise != credit.amountPaise,
            abs(c.created_at - moment),
            c.order_id,
        )
    )
    return credit_view(credit), found[:MAX_CANDIDATES]


__all__ = ["Candidate", "QueueEntry", "candidates", "queue", "refused_claims"]
