"""Refunds sent from a balance-only wallet (the sandbox), recorded as known debits: the next
balance reading adds each back once, so a payment in the same window is read whole
(never net of the refund), a fall read before the refund was recorded pays nothing
and is no reversal, and a fresh baseline after an idle spell takes them in."""

from __future__ import annotations

import pytest

from checkout.config import Settings
from checkout.domain.refunds import BalanceChange, balance_change
from checkout.domain.vocabulary import CreditKind, CreditState
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts, refunds
from checkout.services.checkouts import CheckoutRequest
from checkout.services.presenters import public_session_id
from checkout.services.sandbox import credit_wallet
from checkout.services.ticks import run_tick
from checkout.storage.known_debits import CONSUMED, PENDING, KnownDebit
from checkout.storage.models import WalletCredit
from checkout.storage.store import Store
from tests.conftest import Clock

INTERVAL = 3  # POLL_INTERVAL_SECONDS in tick_settings


class Shop:
    """A sandbox shop: checkouts, the wallet, ticks and refunds, on the fake clock."""

    def __init__(self, store: Store, settings: Settings, clock: Clock) -> None:
        self.store, self.settings, self.clock = store, settings, clock
        self.provider = SandboxProvider(store)

    def open(self, order_id: str, paise: int) -> None:
        checkouts.create_checkout(
            self.store,
            self.provider,
            self.settings,
            CheckoutRequest(order_id=order_id, amount_paise=paise),
            now=self.clock(),
        )

    def tick(self) -> list[str]:
        self.clock.advance(seconds=INTERVAL)
        report = run_tick(
            self.store, self.provider, self.settings, owner="ticker", now=self.clock()
        )
        return report.completed

    def wallet(self, paise: int) -> None:
        credit_wallet(self.store, paise, now=self.clock(), note="test")

    def status(self, order_id: str) -> str:
        session = self.store.session_by_order_id(order_id)
        assert session is not None
        return str(session.status)

    def refund(self, order_id: str, paise: int, *, from_wallet: bool = True) -> None:
        session = self.store.session_by_order_id(order_id)
        assert session is not None
        refunds.create_refund(
            self.store,
            self.settings,
            public_session_id(session),
            amount_paise=paise,
            utr="512312341234",
            note=None,
            by="usr_test",
            now=self.clock(),
            from_wallet=from_wallet,
        )

    def paid(self, order_id: str, paise: int) -> None:
        """Open a checkout and have its customer pay it (so it can be refunded)."""
        self.open(order_id, paise)
        self.tick()
        self.wallet(paise)
        assert self.tick() == [order_id]


@pytest.fixture
def shop(store: Store, tick_settings: Settings, clock: Clock) -> Shop:
    assert tick_settings.sandbox and refunds.balance_only_wallet(tick_settings)
    return Shop(store, tick_settings, clock)


def test_a_payment_beside_a_refund_in_one_window_is_read_whole(shop: Shop) -> None:
    shop.wallet(100_000)
    shop.paid("R", 30_000)
    shop.open("A", 50_000)
    shop.tick()
    shop.wallet(-20_000)  # the merchant sends ₹200 back from the wallet...
    shop.refund("R", 20_000)  # ...and records it
    shop.wallet(50_000)  # the customer of A pays in the same window: the balance rose ₹300

    assert shop.tick() == ["A"]
    rise = WalletCredit.objects(kind=CreditKind.BALANCE, amountPaise=50_000).first()
    assert rise is not None and rise.balanceAfterPaise == 160_000
    (known,) = KnownDebit.objects
    assert (known.state, known.amountPaise, known.orderId) == (CONSUMED, 20_000, "R")
    # Added back once: the next readings see no change and ledger nothing.
    entries = WalletCredit.objects.count()
    shop.open("B", 20_000)
    assert shop.tick() == [] and WalletCredit.objects.count() == entries
    assert shop.status("B") == "pending"


def test_a_refund_alone_is_a_known_fall_that_pays_nothing(shop: Shop) -> None:
    shop.paid("R", 30_000)
    shop.open("A", 10_000)
    shop.tick()
    shop.wallet(-10_000)
    shop.refund("R", 10_000)

    assert shop.tick() == []
    (entry,) = WalletCredit.objects(kind=CreditKind.DEBIT)
    assert (entry.amountPaise, entry.state) == (10_000, CreditState.KNOWN)
    # Not an open debit: a payment of the same amount is A's, not the refund reversed.
    shop.wallet(10_000)
    assert shop.tick() == ["A"]


def test_a_fall_read_before_the_refund_was_recorded_is_explained_not_added_twice(
    shop: Shop,
) -> None:
    shop.paid("R", 30_000)
    shop.open("A", 15_000)
    shop.tick()
    shop.wallet(-15_000)  # sent...
    assert shop.tick() == []  # ...read as a fall nobody explained yet...
    shop.refund("R", 15_000)  # ...then recorded

    assert shop.tick() == []  # no phantom rise of ₹150 pays A
    assert shop.status("A") == "pending"
    (fall,) = WalletCredit.objects(kind=CreditKind.DEBIT)
    assert fall.state == CreditState.KNOWN
    (known,) = KnownDebit.objects
    assert known.consumedBy == fall.key
    shop.wallet(15_000)  # A's customer pays: not read as the fall reversed
    assert shop.tick() == ["A"]


def test_a_fresh_baseline_after_an_idle_spell_takes_the_refund_in(shop: Shop) -> None:
    shop.paid("R", 30_000)  # nothing else is payable: the gateway goes idle
    shop.clock.advance(minutes=5)
    shop.wallet(-12_000)
    shop.refund("R", 12_000)
    shop.open("A", 12_000)  # re-reads the balance, which holds the refund already

    (known,) = KnownDebit.objects
    assert known.state == CONSUMED and (known.consumedBy or "").startswith("baseline:")
    assert shop.tick() == [] and shop.status("A") == "pending"
    assert not WalletCredit.objects(kind=CreditKind.BALANCE, amountPaise=12_000)


def test_a_refund_sent_from_another_account_leaves_no_known_debit(shop: Shop) -> None:
    shop.paid("R", 30_000)
    shop.refund("R", 5_000, from_wallet=False)
    assert KnownDebit.objects.count() == 0
    shop.refund("R", 5_000)
    assert [d.state for d in KnownDebit.objects] == [PENDING]


def test_balance_change_adds_the_known_falls_back() -> None:
    assert balance_change(100_000, 130_000, 20_000).rise == 50_000
    assert balance_change(100_000, 80_000, 20_000) == BalanceChange(0, 0, 20_000)
    assert balance_change(100_000, 70_000, 20_000).fall == 10_000
    with pytest.raises(ValueError):
        balance_change(0, 0, -1)
