"""The review queue's reads on both stores: which credits wait for a decision (balance rises
included), which checkouts each could pay and in what order, and the refused UTR claims."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from checkout.domain.vocabulary import CreditKind, CreditState, Outcome
from checkout.services import review
from checkout.services.credits import public_credit_id
from checkout.storage.claims import ClaimStore, UtrClaim
from checkout.storage.models import PaymentSession, WalletCredit
from checkout.storage.store import Store

NOW = datetime.now(UTC).replace(microsecond=0)


def _session(
    store: Store, order_id: str, *, paise: int, requested: int, opened: datetime, payable: bool
) -> None:
    store.insert_session(
        PaymentSession(
            orderId=order_id,
            token=secrets.token_hex(8),
            status="pending" if payable else "expired",
            totalAmountPaise=requested,
            amountPaise=paise,
            createdAt=opened,
            expiresAt=opened + timedelta(minutes=15),
            payableUntil=NOW + timedelta(minutes=10) if payable else NOW - timedelta(minutes=1),
        )
    )


def _credit(store: Store, key: str, paise: int, **fields: object) -> WalletCredit:
    fields.setdefault("state", CreditState.UNATTRIBUTED)
    fields.setdefault("outcome", Outcome.NO_MATCH)
    store.record_credit(
        WalletCredit(key=key, provider="sandbox", amountPaise=paise, observedAt=NOW, **fields)
    )
    found = store.credit_by_key(key)
    assert found is not None
    return found


def test_candidates_claimed_first_then_same_amount_then_requested_nearest_first(
    store: Store,
) -> None:
    credit = _credit(store, "sms:rrn:512300001111", 49_900, rrn="512300001111", occurredAt=NOW)
    hour = timedelta(hours=1)
    _session(store, "ORD-FAR", paise=49_900, requested=49_900, opened=NOW - 5 * hour, payable=True)
    _session(store, "ORD-NEAR", paise=49_900, requested=49_900, opened=NOW - hour, payable=True)
    _session(store, "ORD-ASKED", paise=49_917, requested=49_900, opened=NOW, payable=True)
    _session(
        store, "ORD-CLAIM", paise=12_345, requested=12_345, opened=NOW - 9 * hour, payable=True
    )
    # Never candidates: another amount, opened days away, or no longer payable.
    _session(store, "ORD-OTHER", paise=50_000, requested=50_000, opened=NOW, payable=True)
    _session(store, "ORD-OLD", paise=49_900, requested=49_900, opened=NOW - 30 * hour, payable=True)
    _session(store, "ORD-GONE", paise=49_900, requested=49_900, opened=NOW, payable=False)
    claims = ClaimStore()
    for order_id in ("ORD-CLAIM", "ORD-GONE"):  # a claim on a closed checkout offers nothing
        claims.add_claim(
            UtrClaim(
                orderId=order_id,
                rrn="512300001111",
                status="waiting",
                createdAt=NOW,
                expiresAt=NOW + timedelta(minutes=10),
            ),
            slots=3,
        )

    view, found = review.candidates(store, public_credit_id(credit), now=NOW, claims=claims)

    assert view.id == public_credit_id(credit)
    assert [c.order_id for c in found] == ["ORD-CLAIM", "ORD-NEAR", "ORD-FAR", "ORD-ASKED"]
    assert [c.claimed for c in found] == [True, False, False, False]
    assert found[3].requested_paise == 49_900 and found[3].amount_paise == 49_917


def test_queue_has_every_undecided_source_and_refused_claims_are_listed(store: Store) -> None:
    rise = _credit(
        store,
        "sandbox:balance:1:0:777",
        777,
        kind=CreditKind.BALANCE,
        windowStart=NOW - timedelta(seconds=5),
        balanceAfterPaise=777,
    )
    conflict = _credit(store, "sms:rrn:1", 100, state=CreditState.CONFLICT, outcome="conflict")
    _credit(store, "sms:rrn:2", 200, state=CreditState.ATTRIBUTED, outcome=Outcome.EXACT)
    _credit(store, "sms:rrn:3", 300, state=CreditState.DISMISSED, outcome=Outcome.DISMISSED)
    _credit(
        store,
        "sandbox:balance:2:777:0",
        777,
        kind=CreditKind.DEBIT,
        state=CreditState.OPEN,
        outcome=Outcome.DEBIT,
    )
    claims = ClaimStore()
    claims.add_claim(
        UtrClaim(
            orderId="ORD-REFUSED",
            rrn="512399998888",
            status="waiting",
            createdAt=NOW,
            expiresAt=NOW + timedelta(minutes=10),
        ),
        slots=3,
    )
    (claim,) = claims.claims(status="waiting")
    assert claims.decide_claim(claim, "mismatch", reason="amount", amountPaise=100)

    queued = {entry.credit.id: entry.rise_since for entry in review.queue(store)}
    assert queued == {public_credit_id(rise): rise.windowStart, public_credit_id(conflict): None}
    refused = review.refused_claims(claims)
    assert [(c.orderId, c.reason) for c in refused] == [("ORD-REFUSED", "amount")]
