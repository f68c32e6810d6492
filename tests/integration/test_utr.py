"""The customer's UTR through the service, on both stores: weighed against the ledger's
evidence with that RRN, never believed alone, and never a way to fish for a payment."""

from __future__ import annotations

import pytest

from checkout.services import utr
from checkout.services.errors import Conflict, InvalidRequest
from checkout.services.ticks import finish_interrupted
from checkout.storage.claims import ClaimStore, UtrClaim
from checkout.storage.models import Order, PaymentSession, WalletCredit
from tests.conftest import Clock
from tests.integration import test_evidence
from tests.integration.test_evidence import Setup, open_checkout, sms

setup = test_evidence.setup  # the fixture: store, evidence store, settings

RRN = "633612345678"


def credit_text(rupees: str, rrn: str = RRN) -> str:
    return (
        f"Credit Alert!\nRs.{rupees} credited to HDFC Bank A/c XX4821 on 02-12-26 from VPA "
        f"asha.k@okicici (UPI {rrn})"
    )


@pytest.fixture(autouse=True)
def claims(setup: Setup) -> ClaimStore:
    repo = ClaimStore()
    repo.ensure_indexes()
    return repo


def claim(setup: Setup, clock: Clock, order_id: str, rrn: str = RRN) -> utr.ClaimResult:
    store, _, settings = setup
    session = PaymentSession.objects.get(orderId=order_id)
    return utr.claim(store, ClaimStore(), settings, session, rrn, now=clock(), ip="203.0.113.9")


def status(order_id: str) -> str:
    return str(PaymentSession.objects.get(orderId=order_id).status)


def test_a_claim_before_the_evidence_waits_then_the_evidence_completes_it(
    setup: Setup, clock: Clock
) -> None:
    store, _, settings = setup
    # Two checkouts asking ₹499: the first pays 499.00, the second a suffixed amount.
    open_checkout(store, settings, clock, "ORD-A", 49900)
    open_checkout(store, settings, clock, "ORD-B", 49900)
    b_paise = PaymentSession.objects.get(orderId="ORD-B").amountPaise
    assert b_paise != 49900
    clock.advance(seconds=20)
    assert claim(setup, clock, "ORD-B") == utr.ClaimResult("pending", "waiting")
    assert status("ORD-B") == "pending"  # a claim alone completes nothing

    clock.advance(seconds=20)
    # B's customer dropped the paise: ₹499.00 is A's exact amount, but B's claim is
    # weighed before the exact-amount rule.
    got = sms(setup, clock, credit_text("499.00"))
    assert (got.outcome, got.order_ids) == ("credited", ["ORD-B"])
    assert (status("ORD-A"), status("ORD-B")) == ("pending", "completed")
    credit = WalletCredit.objects.get(key=f"rrn:{RRN}")
    assert (credit.state, credit.outcome, credit.orderIds) == ("attributed", "utr", ["ORD-B"])
    assert UtrClaim.objects.get(orderId="ORD-B").status == "matched"
    assert Order.objects.get(orderId="ORD-B").amountPaidPaise == 49900


def test_a_waiting_claim_of_the_exact_amount_completes_its_checkout(
    setup: Setup, clock: Clock
) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-EXACT", 25000)
    clock.advance(seconds=10)
    assert claim(setup, clock, "ORD-EXACT").utr_status == "waiting"
    clock.advance(seconds=10)
    assert sms(setup, clock, credit_text("250.00")).order_ids == ["ORD-EXACT"]
    assert Order.objects.get(orderId="ORD-EXACT").amountPaidPaise == 25000


def test_evidence_dated_before_the_checkout_is_a_mismatch(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    clock.advance(seconds=5)
    sms(setup, clock, credit_text("777.00"))  # no checkout of that amount yet: unattributed
    clock.advance(minutes=2)
    open_checkout(store, settings, clock, "ORD-LATE", 77700)
    assert claim(setup, clock, "ORD-LATE") == utr.ClaimResult("pending", "mismatch")
    assert UtrClaim.objects.get(orderId="ORD-LATE").reason == "before-checkout"
    assert WalletCredit.objects.get(key=f"rrn:{RRN}").state == "unattributed"


def test_a_claim_after_the_evidence_of_the_requested_amount_is_matched(
    setup: Setup, clock: Clock
) -> None:
    store, _, settings = setup
    always = settings.with_overrides(amount_suffix="always")
    open_checkout(store, always, clock, "ORD-X", 30000)
    open_checkout(store, always, clock, "ORD-Y", 30000)
    assert 30000 not in {s.amountPaise for s in PaymentSession.objects}
    clock.advance(seconds=30)
    # ₹300, the requested amount without its paise: no payable amount, so no engine match.
    assert sms(setup, clock, credit_text("300.00")).order_ids == []
    assert WalletCredit.objects.get(key=f"rrn:{RRN}").state == "unattributed"
    assert claim(setup, clock, "ORD-X") == utr.ClaimResult("completed", "matched")
    assert Order.objects.get(orderId="ORD-X").amountPaidPaise == 30000  # what the evidence says
    # The same UTR for the other checkout: it paid one already.
    assert claim(setup, clock, "ORD-Y") == utr.ClaimResult("pending", "mismatch")
    kept = UtrClaim.objects.get(orderId="ORD-Y")
    assert (kept.reason, kept.otherOrderIds) == ("attributed-elsewhere", ["ORD-X"])


def test_a_wrong_amount_is_a_mismatch_for_review_and_the_engine_still_decides(
    setup: Setup, clock: Clock
) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-WANT", 49900)
    open_checkout(store, settings, clock, "ORD-OTHER", 12345)
    clock.advance(seconds=10)
    assert claim(setup, clock, "ORD-WANT").utr_status == "waiting"
    clock.advance(seconds=10)
    got = sms(setup, clock, credit_text("123.45"))  # paid the other checkout's amount
    assert got.order_ids == ["ORD-OTHER"]
    assert (status("ORD-WANT"), status("ORD-OTHER")) == ("pending", "completed")
    queued = utr.list_claims(ClaimStore(), store, status="mismatch").data
    assert [(c.orderId, c.reason, c.otherOrderIds) for c in queued] == [
        ("ORD-WANT", "amount", ["ORD-OTHER"])
    ]


def test_a_reused_utr_completes_one_checkout(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-1", 20000)
    clock.advance(seconds=10)
    sms(setup, clock, credit_text("200.00"))
    assert status("ORD-1") == "completed"
    open_checkout(store, settings, clock, "ORD-2", 20000)
    assert claim(setup, clock, "ORD-2") == utr.ClaimResult("pending", "mismatch")
    assert claim(setup, clock, "ORD-1") == utr.ClaimResult("completed", "matched")
    assert Order.objects(orderId="ORD-2").count() == 0


def test_a_fourth_claim_is_refused_and_a_repeat_uses_no_slot(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-FISH", 49900)
    for n in range(3):
        assert claim(setup, clock, "ORD-FISH", f"63360000001{n}").utr_status == "waiting"
    assert claim(setup, clock, "ORD-FISH", "633600000010").utr_status == "waiting"  # a repeat
    with pytest.raises(Conflict) as refused:
        claim(setup, clock, "ORD-FISH", "633600000019")
    assert refused.value.field == "utr"
    assert UtrClaim.objects(orderId="ORD-FISH").count() == 3


def test_a_utr_must_be_twelve_digits(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-SHAPE", 49900)
    for wrong in ("63361234567", "6336123456789", "63361234567a", ""):
        with pytest.raises(InvalidRequest) as refused:
            claim(setup, clock, "ORD-SHAPE", wrong)
        assert refused.value.details[0]["field"] == "utr"
    assert UtrClaim.objects.count() == 0


def test_claims_expire_with_the_payable_window(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-GONE", 49900)
    session = PaymentSession.objects.get(orderId="ORD-GONE")
    assert claim(setup, clock, "ORD-GONE").utr_status == "waiting"
    assert session.payableUntil is not None
    clock.current = session.payableUntil
    clock.advance(seconds=1)
    paise = session.amountPaise
    got = sms(setup, clock, credit_text(f"{paise // 100}.{paise % 100:02d}"))
    assert got.order_ids == []
    assert Order.objects(orderId="ORD-GONE").count() == 0
    assert UtrClaim.objects.get(orderId="ORD-GONE").status == "expired"
    with pytest.raises(Conflict):
        claim(setup, clock, "ORD-GONE", "633600000099")


def test_a_claim_interrupted_after_taking_the_credit_is_finished_with_the_evidence_amount(
    setup: Setup, clock: Clock
) -> None:
    store, _, settings = setup
    always = settings.with_overrides(amount_suffix="always")
    open_checkout(store, always, clock, "ORD-CRASH", 30000)
    clock.advance(seconds=30)
    sms(setup, clock, credit_text("300.00"))  # the requested amount: unattributed
    # The claim's first write, then a crash: the credit names the checkout, nothing completed.
    assert store.claim_credit(f"rrn:{RRN}", "ORD-CRASH")
    assert finish_interrupted(store, now=clock()) == ["ORD-CRASH"]
    assert Order.objects.get(orderId="ORD-CRASH").amountPaidPaise == 30000
    # The customer asks again: the answer is what happened, and nothing is paid twice.
    assert claim(setup, clock, "ORD-CRASH") == utr.ClaimResult("completed", "matched")
    assert Order.objects(orderId="ORD-CRASH").count() == 1
