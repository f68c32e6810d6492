"""Pushed bank evidence through the service, on both stores: ledgered once by RRN across
SMS and e-mail, decided the moment it arrives, and failing closed on everything else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checkout.config import Settings
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts, evidence
from checkout.services.checkouts import CheckoutRequest
from checkout.services.evidence import Relay
from checkout.storage.evidence import EvidenceMessage, EvidenceStore
from checkout.storage.models import Order, PaymentSession, WalletCredit
from checkout.storage.store import Store
from tests.conftest import Clock, race

SHARED = Path(__file__).resolve().parents[1] / "data" / "evidence"
HDFC = "VM-HDFCBK-S"
HDFC_CREDIT = (
    "Credit Alert!\nRs.1,018.00 credited to HDFC Bank A/c XX4821 on 02-12-26 from VPA "
    "asha.k@okicici (UPI 633612345678)"
)
PHONE = Relay("key:key_phone000001")
Setup = tuple[Store, EvidenceStore, Settings]


@pytest.fixture
def setup(
    store: Store, tick_settings: Settings, clock: Clock
) -> tuple[Store, EvidenceStore, Settings]:
    repo = EvidenceStore()
    repo.ensure_indexes()
    settings = tick_settings.with_overrides(
        payment_provider="sandbox", email_authserv_id="mx.google.com"
    )
    return store, repo, settings


def open_checkout(
    store: Store, settings: Settings, clock: Clock, order_id: str, paise: int
) -> None:
    checkouts.create_checkout(
        store, SandboxProvider(store), settings, CheckoutRequest(order_id, paise), now=clock()
    )


def sms(
    setup: tuple[Store, EvidenceStore, Settings], clock: Clock, text: str, **extra: object
) -> evidence.Received:
    store, repo, settings = setup
    fields: dict[str, object] = {"sender": HDFC, "received_at": clock(), "event_id": None}
    fields.update(extra)
    return evidence.ingest_message(
        store,
        repo,
        settings,
        relay=PHONE,
        channel="sms",
        text=text,
        now=clock(),
        **fields,
    )


def test_a_trusted_credit_sms_completes_its_checkout_at_once(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-SMS", 101800)
    clock.advance(seconds=30)
    got = sms(setup, clock, HDFC_CREDIT)
    assert (got.outcome, got.amount_paise, got.rrn, got.bank, got.order_ids) == (
        "credited",
        101800,
        "633612345678",
        "HDFC",
        ["ORD-SMS"],
    )
    assert got.id.startswith("cr_")
    assert PaymentSession.objects.get(orderId="ORD-SMS").status == "completed"
    assert Order.objects(orderId="ORD-SMS").count() == 1

    again = sms(setup, clock, HDFC_CREDIT)
    assert (again.outcome, again.id, again.order_ids) == ("duplicate", got.id, ["ORD-SMS"])
    assert WalletCredit.objects.count() == 1


def test_the_same_rrn_by_e_mail_is_the_same_credit(setup: Setup, clock: Clock) -> None:
    store, repo, settings = setup
    open_checkout(store, settings, clock, "ORD-BOTH", 101800)
    clock.advance(seconds=30)
    first = sms(setup, clock, HDFC_CREDIT.replace("633612345678", "633611223344"))
    assert first.outcome == "credited"
    raw = (SHARED / "hdfc-credit.eml").read_bytes()
    by_mail = evidence.ingest_email(store, repo, settings, relay=PHONE, raw=raw, now=clock())
    assert (by_mail.outcome, by_mail.id) == ("duplicate", first.id)
    assert WalletCredit.objects.count() == 1


def test_an_rrn_seen_again_with_another_amount_is_a_conflict(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-LATER", 50000)
    first = sms(setup, clock, HDFC_CREDIT)  # 1018.00: pays nothing open
    assert first.outcome == "credited" and first.order_ids == []
    conflicting = sms(setup, clock, HDFC_CREDIT.replace("Rs.1,018.00", "Rs.500.00"))
    assert conflicting.outcome == "conflict"
    assert PaymentSession.objects.get(orderId="ORD-LATER").status == "pending"


@pytest.mark.parametrize(
    ("sender", "text", "outcome"),
    [
        (HDFC, "123456 is your OTP for txn of Rs.1,018.00 at SHOP. Do not share.", "ignored"),
        (HDFC, "Rs.1018.00 debited from A/c XX4821 to VPA shop@upi (UPI 633612345678)", "ignored"),
        ("+919876543210", HDFC_CREDIT, "rejected"),
        ("VM-HDFCBK-P", HDFC_CREDIT, "rejected"),
        (HDFC, "Rs.1,018.00 credited to your account. Thank you for banking with us", "unparsed"),
    ],
)
def test_what_is_not_certainly_a_trusted_credit_changes_nothing(
    setup,
    clock: Clock,
    sender: str,
    text: str,
    outcome: str,
) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-SAFE", 101800)
    got = sms(setup, clock, text, sender=sender)
    assert got.outcome == outcome and got.order_ids == []
    assert PaymentSession.objects.get(orderId="ORD-SAFE").status == "pending"
    assert WalletCredit.objects.count() == 0
    (message,) = EvidenceMessage.objects
    # Only what the merchant must read keeps its text; an OTP never does.
    assert (message.text is not None) == (outcome == "unparsed")


def test_a_credit_before_the_checkout_existed_does_not_complete_it(
    setup: Setup, clock: Clock
) -> None:
    store, _, settings = setup
    early = clock()
    clock.advance(seconds=60)
    open_checkout(store, settings, clock, "ORD-AFTER", 101800)
    got = sms(setup, clock, HDFC_CREDIT, received_at=early)
    assert got.outcome == "credited" and got.order_ids == []
    assert PaymentSession.objects.get(orderId="ORD-AFTER").status == "pending"


def test_a_redelivered_event_gets_the_first_answer(setup: Setup, clock: Clock) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-EVT", 101800)
    clock.advance(seconds=5)
    first = sms(setup, clock, HDFC_CREDIT, event_id="evt-1")
    again = sms(setup, clock, HDFC_CREDIT, event_id="evt-1")
    assert first.outcome == "credited" and (again.id, again.order_ids) == (first.id, ["ORD-EVT"])


def test_fifty_concurrent_posts_of_one_sms_make_one_credit_and_one_completion(
    setup,
    clock: Clock,
) -> None:
    store, _, settings = setup
    open_checkout(store, settings, clock, "ORD-RACE", 101800)
    clock.advance(seconds=5)
    answers = race(50, lambda _: sms(setup, clock, HDFC_CREDIT))
    assert sorted({a.outcome for a in answers}) == ["credited", "duplicate"]
    assert sum(a.outcome == "credited" for a in answers) == 1
    assert WalletCredit.objects.count() == 1
    assert Order.objects(orderId="ORD-RACE").count() == 1


def test_every_shared_sample_gets_its_expected_outcome(setup: Setup, clock: Clock) -> None:
    samples = json.loads((SHARED / "samples.json").read_text())
    for index, sample in enumerate(samples):
        got = sms(setup, clock, sample["text"], sender=sample["from"], event_id=f"s{index}")
        want = {"credited": ("credited", "duplicate", "conflict")}.get(
            sample["expect"], (sample["expect"],)
        )
        assert got.outcome in want, (sample, got)


NO_RRN = (
    "Your A/c XX987654 is credited with INR 70.00 on 30-11-2024. "
    "Total Bal:Rs.5000.00 -Bank of Baroda"
)


def test_a_message_without_rrn_is_one_credit_within_the_grace_window(
    setup: Setup, clock: Clock
) -> None:
    settings = setup[2]
    first = sms(setup, clock, NO_RRN, sender="VM-BOBSMS-S")
    assert first.outcome == "credited" and first.rrn is None
    clock.advance(minutes=5)
    again = sms(setup, clock, NO_RRN, sender="AX-BOBSMS-S")  # another operator, same message
    assert (again.outcome, again.id) == ("duplicate", first.id)
    assert WalletCredit.objects.count() == 1
    # Past the grace window the same text is a new payment of that kind.
    clock.advance(minutes=settings.late_payment_grace_minutes + 1)
    later = sms(setup, clock, NO_RRN, sender="VM-BOBSMS-S")
    assert later.outcome == "credited" and later.id != first.id
    assert WalletCredit.objects.count() == 2
    # Its window runs from the latest credit of that text, not the first one.
    clock.advance(minutes=5)
    repeated = sms(setup, clock, NO_RRN, sender="VM-BOBSMS-S")
    assert (repeated.outcome, repeated.id) == ("duplicate", later.id)
    assert WalletCredit.objects.count() == 2
