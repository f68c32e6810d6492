"""The customer's UTR: their word for which payment was theirs, weighed against the ledger.

A claim alone never completes anything: only the evidence with that RRN does, and only
when it is unattributed and its amount is this checkout's payable amount or the amount
the merchant asked for (the customer typed ₹499 instead of ₹499.03). An RRN is
guessable within an hour, so a stranger must not fish with it: a checkout holds at most
`MAX_CLAIMS` claims, each lives only as long as the checkout's payable window, the
routes are rate-limited per checkout, and each UTR completes at most one checkout (the
credit is taken by one conditional update before anything completes).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from checkout.config import Settings
from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import CreditState, Status
from checkout.services import checkouts
from checkout.services.credits import public_credit_id
from checkout.services.errors import Conflict, InvalidRequest
from checkout.services.presenters import Reply, Rupees, Timestamp
from checkout.storage.claims import ClaimStore, UtrClaim
from checkout.storage.models import PaymentSession, WalletCredit
from checkout.storage.store import Store

log = logging.getLogger(__name__)

MATCHED = "matched"
WAITING = "waiting"
MISMATCH = "mismatch"
EXPIRED = "expired"  # stored only: the window closed while it waited
UTR_STATUSES = (MATCHED, WAITING, MISMATCH)
MAX_CLAIMS = 3
# Per checkout (its token on the pay page, its id or orderId on the APIs).
UTR_PATTERN = r"^[0-9]{12}$"
UTR_MESSAGE = "Enter the 12-digit UPI reference (UTR) from your payment app"
_UTR = re.compile(UTR_PATTERN)
_OPEN = (CreditState.NEW, CreditState.UNATTRIBUTED)


@dataclass(frozen=True)
class ClaimResult:
    status: str  # the checkout's status after the claim
    utr_status: str  # matched | waiting | mismatch


class UtrClaimView(Reply):
    orderId: str
    utr: str
    status: str
    reason: str | None
    amount: Rupees | None = Field(description="What the evidence with this UTR says was paid")
    otherOrderIds: list[str] = Field(description="The checkouts that evidence paid instead")
    creditId: str | None
    createdAt: Timestamp


class UtrClaimList(Reply):
    object: str
    data: list[UtrClaimView]


def checked_utr(utr: object) -> str:
    """The UTR as 12 digits (spaces a customer pasted are dropped); 400 naming `utr`."""
    text = "".join(utr.split()) if isinstance(utr, str) else ""
    if not _UTR.fullmatch(text):
        raise InvalidRequest("Validation failed", [{"field": "utr", "message": UTR_MESSAGE}])
    return text


def claim(
    store: Store,
    claims_repo: ClaimStore,
    settings: Settings,
    session: PaymentSession,
    utr: str,
    *,
    now: datetime,
    ip: str | None,
) -> ClaimResult:
    """Weigh the customer's UTR for this checkout now, or keep it until its evidence comes."""
    rrn = checked_utr(utr)
    session = checkouts.apply_expiry(store, session, now=now)
    if session.status == Status.COMPLETED.value:
        paid_by_it = credit_key(rrn) in (session.creditKeys or [])
        return ClaimResult(session.status, MATCHED if paid_by_it else MISMATCH)
    earlier = claims_repo.claim_for(session.orderId, rrn)
    if earlier is not None:
        return ClaimResult(session.status, _shown(earlier.status))
    if not _payable(session, now):
        raise Conflict(
            "This checkout can no longer be paid", field="utr", status=str(session.status)
        )
    kept = claims_repo.add_claim(
        UtrClaim(
            orderId=session.orderId,
            rrn=rrn,
            status=WAITING,
            ip=ip,
            createdAt=now,
            expiresAt=session.payableUntil,
        ),
        MAX_CLAIMS,
    )
    if kept is None:
        raise Conflict(
            f"This checkout has had {MAX_CLAIMS} UTR claims already; the merchant will review",
            field="utr",
        )
    store.audit("utr_claimed", now=now, order_id=session.orderId, ip=ip, details={"rrn": rrn})
    credit = store.credit_by_key(credit_key(rrn))
    if credit is not None:
        _weigh(store, claims_repo, kept, session, credit, now=now)
    return ClaimResult(_current(store, session).status, _shown(kept.status))


def weigh_waiting_claims(
    store: Store, credit: WalletCredit, *, now: datetime, claims_repo: ClaimStore | None = None
) -> list[str] | None:
    """New evidence with an RRN meets the claims waiting for it, before the exact-amount rule.

    The orderIds it completed, or None when no claim took the credit (the engine decides).
    """
    if not credit.rrn:
        return None
    claims_repo = claims_repo or ClaimStore()
    for waiting in claims_repo.waiting_claims(credit.rrn):
        session = store.session_by_order_id(waiting.orderId)
        if session is None:
            continue
        if not _payable(session, now):
            claims_repo.decide_claim(waiting, EXPIRED, decidedAt=now, reason="not-payable")
            continue
        if _weigh(store, claims_repo, waiting, session, credit, now=now):
            return [waiting.orderId]
        credit = store.credit_by_key(credit.key) or credit
    return None


def credit_key(rrn: str) -> str:
    return f"rrn:{rrn}"  # the ledger's key for evidence with an RRN (services/evidence.py)


def list_claims(
    claims_repo: ClaimStore, store: Store, *, status: str | None, limit: int = 100
) -> UtrClaimList:
    """Claims newest first: refused ones (`mismatch`) are the review queue."""
    views = []
    for found in claims_repo.claims(status=status, limit=limit):
        credit = store.credit_by_key(found.creditKey) if found.creditKey else None
        others = list(credit.orderIds) if credit else list(found.otherOrderIds)
        views.append(
            UtrClaimView(
                orderId=found.orderId,
                utr=found.rrn,
                status=found.status,
                reason=found.reason,
                amount=rupees_decimal(found.amountPaise) if found.amountPaise else None,
                otherOrderIds=[order for order in others if order != found.orderId],
                creditId=public_credit_id(credit) if credit else None,
                createdAt=found.createdAt,
            )
        )
    return UtrClaimList(object="list", data=views)


def _weigh(
    store: Store,
    claims_repo: ClaimStore,
    waiting: UtrClaim,
    session: PaymentSession,
    credit: WalletCredit,
    *,
    now: datetime,
) -> bool:
    """One claim against the evidence with its RRN; True when it completed the checkout."""
    reason = _refusal(session, credit)
    if reason is None:
        if not store.claim_credit(credit.key, session.orderId):
            reason = "attributed-elsewhere"  # another decider took it first
        elif checkouts.complete_checkout(
            store,
            session.orderId,
            now=now,
            credit_key=credit.key,
            final_balance=None,
            amount_paid=credit.amountPaise,
        ) or _paid_by(store, session.orderId, credit.key):
            # (or a tick's finish_interrupted completed it from this claim's decision first)
            store.credit_attributed(credit.key)
            claims_repo.decide_claim(
                waiting,
                MATCHED,
                creditKey=credit.key,
                amountPaise=credit.amountPaise,
                decidedAt=now,
            )
            store.audit(
                "utr_matched",
                now=now,
                order_id=session.orderId,
                details={"credit": credit.key, "amountPaise": credit.amountPaise},
            )
            return True
        else:
            store.unassign_credit(credit.key)
            reason = "not-payable"
    claims_repo.decide_claim(
        waiting,
        MISMATCH,
        reason=reason,
        creditKey=credit.key,
        amountPaise=credit.amountPaise,
        otherOrderIds=[order for order in credit.orderIds if order != session.orderId],
        decidedAt=now,
    )
    refused = {"credit": credit.key, "reason": reason, "amountPaise": credit.amountPaise}
    refused["otherOrderIds"] = list(credit.orderIds)
    store.audit("utr_mismatch", now=now, order_id=session.orderId, details=refused)
    log.warning("UTR claim refused (%s): left for the merchant to review", reason)
    return False


def _refusal(session: PaymentSession, credit: WalletCredit) -> str | None:
    """Why this evidence cannot be this checkout's payment, or None when it can."""
    if (credit.state or CreditState.NEW) not in _OPEN:
        return "attributed-elsewhere" if credit.orderIds else str(credit.state)
    if credit.amountPaise not in (session.amountPaise, session.totalAmountPaise):
        return "amount"
    paid_at = credit.occurredAt or credit.observedAt
    # Bank texts state the minute: a payment in the checkout's first minute reads as its start.
    if paid_at < session.createdAt.replace(second=0, microsecond=0):
        return "before-checkout"
    return None


def _payable(session: PaymentSession, now: datetime) -> bool:
    return (
        session.status != Status.COMPLETED.value
        and session.payableUntil is not None
        and session.payableUntil > now
    )


def _paid_by(store: Store, order_id: str, key: str) -> bool:
    current = store.session_by_order_id(order_id)
    return (
        current is not None
        and current.status == Status.COMPLETED.value
        and key in (current.creditKeys or [])
    )


def _current(store: Store, session: PaymentSession) -> PaymentSession:
    return store.session_by_order_id(session.orderId) or session


def _shown(status: str) -> str:
    return status if status in UTR_STATUSES else MISMATCH
