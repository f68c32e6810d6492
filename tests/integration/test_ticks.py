"""Ticks end to end: real store (both backends), the sandbox wallet, and MobiKwik over HTTP.

DESIGN §5: distinct amounts, one ticker per wallet, a credit ledger, attribution
that fails closed, evidence time, and provider trouble that is not payment news.
Time moves only through the `clock` fixture, in whole seconds (nx-27017 compares
datetimes to the second).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from mongoengine import ValidationError

from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.providers.mobikwik import MobikwikProvider
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts
from checkout.services.checkouts import CheckoutRequest
from checkout.services.errors import Conflict, NotFound, Unavailable
from checkout.services.health import health_report
from checkout.services.sandbox import credit_wallet, pay_checkout
from checkout.services.ticker import Ticker
from checkout.services.ticks import MAX_BACKOFF, TickReport, run_tick, tick_soon
from checkout.storage.models import (
    AmountReservation,
    AuditLog,
    Order,
    PaymentSession,
    WalletCredit,
    WalletState,
)
from checkout.storage.store import Store
from tests.conftest import Clock, race
from tests.support.wallet import BALANCE_PATH, HISTORY_PATH, StubWallet

INTERVAL = 3  # POLL_INTERVAL_SECONDS in tick_settings


@dataclass
class Gate:
    """One gateway's services over a real store and wallet, driven by the fake clock."""

    store: Store
    provider: WalletProvider
    settings: Settings
    clock: Clock

    def open(self, order_id: str, paise: int, **fields: Any) -> PaymentSession:
        return checkouts.create_checkout(
            self.store,
            self.provider,
            self.settings,
            CheckoutRequest(order_id=order_id, amount_paise=paise, **fields),
            now=self.clock(),
        )

    def tick(self, owner: str = "ticker") -> TickReport:
        return run_tick(self.store, self.provider, self.settings, owner=owner, now=self.clock())

    def next_tick(self, owner: str = "ticker") -> TickReport:
        self.clock.advance(seconds=INTERVAL)
        return self.tick(owner)

    def session(self, order_id: str) -> PaymentSession:
        found = self.store.session_by_order_id(order_id)
        assert found is not None
        return found

    def status(self, order_id: str) -> str:
        return str(self.session(order_id).status)

    def pay_sandbox(self, paise: int) -> None:
        credit_wallet(self.store, paise, now=self.clock(), note="test")


@pytest.fixture
def gate(store: Store, sandbox: SandboxProvider, tick_settings: Settings, clock: Clock) -> Gate:
    return Gate(store, sandbox, tick_settings, clock)


@pytest.fixture
def mk_gate(
    store: Store, mobikwik: MobikwikProvider, tick_settings: Settings, clock: Clock
) -> Gate:
    return Gate(store, mobikwik, tick_settings, clock)


@pytest.fixture
def history_gate(
    store: Store, mobikwik_history: MobikwikProvider, tick_settings: Settings, clock: Clock
) -> Gate:
    return Gate(store, mobikwik_history, tick_settings, clock)


def orders_of(order_id: str) -> list[Order]:
    return list(Order.objects(orderId=order_id))


def completions_of(order_id: str) -> int:
    return AuditLog.objects(orderId=order_id, action="payment_completed").count()


# -- 1. distinct amounts, exact attribution --------------------------------------------------


def test_exact_credit_completes_its_checkout_and_writes_one_order(gate: Gate) -> None:
    gate.pay_sandbox(500000)  # money already in the wallet pays nothing
    opened = gate.open("A", 101800, email="a@example.com", product_details={"name": "Chai"})
    assert opened.amountPaise == 101800
    assert opened.initialBalancePaise == 500000
    gate.tick()
    gate.pay_sandbox(101800)
    report = gate.next_tick()

    assert report.completed == ["A"]
    session = gate.session("A")
    assert session.status == "completed"
    assert session.late is False
    assert session.finalBalancePaise == 601800
    assert session.payableUntil is None
    (order,) = orders_of("A")
    assert (order.status, order.paymentMethod) == ("confirmed", "UPI")
    assert (order.totalAmountPaise, order.amountPaidPaise) == (101800, 101800)
    assert order.email == "a@example.com" and order.productDetails == {"name": "Chai"}
    assert order.creditKeys == session.creditKeys and len(order.creditKeys) == 1
    (entry,) = AuditLog.objects(orderId="A", action="payment_completed")
    assert entry.details["amountPaise"] == 101800
    (credit,) = gate.store.credits()
    assert (credit.amountPaise, credit.outcome, credit.orderIds) == (101800, "exact", ["A"])

    # Later ticks see nothing new: still one order, one audit entry.
    assert gate.next_tick().completed == []
    assert len(orders_of("A")) == 1 and completions_of("A") == 1


def test_same_requested_amount_gets_distinct_payable_amounts(gate: Gate) -> None:
    a = gate.open("A", 101800)
    b = gate.open("B", 101800)
    # The second takes the ruler's next suffix (see test_matching: pair sums stay distinct).
    assert (a.amountPaise, b.amountPaise) == (101800, 101802)
    gate.tick()

    gate.pay_sandbox(101802)
    assert gate.next_tick().completed == ["B"]
    assert (gate.status("A"), gate.status("B")) == ("pending", "completed")

    gate.pay_sandbox(101800)
    assert gate.next_tick().completed == ["A"]
    assert gate.status("A") == "completed"


def test_amount_suffix_always_never_uses_the_requested_amount(gate: Gate) -> None:
    gate.settings = gate.settings.with_overrides(amount_suffix="always")
    assert [gate.open(f"S{i}", 10000).amountPaise for i in range(3)] == [10001, 10003, 10007]


def test_all_hundred_amounts_taken_refuses_a_new_checkout(gate: Gate) -> None:
    opened = [gate.open(f"S{index}", 10000).amountPaise for index in range(100)]
    assert sorted(opened) == list(range(10000, 10100))
    with pytest.raises(Unavailable) as refused:
        gate.open("one-too-many", 10000)
    # It says when an amount frees up: the first reservation ends with its grace window.
    held = gate.settings.session_expiry_minutes + gate.settings.late_payment_grace_minutes
    assert refused.value.retry_after == held * 60 + 1
    assert f"about {held + 1} minutes" in refused.value.message
    assert gate.store.session_by_order_id("one-too-many") is None


# -- 4. sums, ambiguity, strays -----------------------------------------------------------------


@pytest.mark.parametrize("paid", [("A", "B"), ("A", "C"), ("A", "B", "C")])
def test_credit_equal_to_a_sum_of_pending_checkouts_completes_them_all(
    gate: Gate, paid: tuple[str, ...]
) -> None:
    amounts = {"A": 10000, "B": 25050, "C": 70007, "D": 990000}
    for order_id, paise in amounts.items():
        gate.open(order_id, paise)
    gate.tick()
    gate.pay_sandbox(sum(amounts[o] for o in paid))  # several payments between two ticks

    report = gate.next_tick()
    assert sorted(report.completed) == sorted(paid)
    for order_id in amounts:
        assert gate.status(order_id) == ("completed" if order_id in paid else "pending")
        assert len(orders_of(order_id)) == (1 if order_id in paid else 0)
    (credit,) = gate.store.credits()
    assert credit.outcome == "combination" and sorted(credit.orderIds) == sorted(paid)


def test_ambiguous_credit_completes_nothing(gate: Gate) -> None:
    for order_id, paise in {"A": 10000, "B": 40000, "C": 20000, "D": 30000}.items():
        gate.open(order_id, paise)
    gate.tick()
    gate.pay_sandbox(50000)  # A+B or C+D: never guess

    report = gate.next_tick()
    assert report.completed == []
    assert all(gate.status(o) == "pending" for o in "ABCD")
    assert Order.objects.count() == 0
    (credit,) = gate.store.credits(outcome="ambiguous")
    assert credit.amountPaise == 50000 and credit.orderIds == []
    assert report.unattributed == [credit.key]
    assert AuditLog.objects(action="credit_unattributed").count() == 1


def test_stray_credit_stays_unattributed(gate: Gate) -> None:
    gate.open("A", 10000)
    gate.tick()
    gate.pay_sandbox(777)

    report = gate.next_tick()
    assert report.completed == [] and gate.status("A") == "pending"
    (credit,) = gate.store.credits(outcome="no-match")
    assert credit.amountPaise == 777
    assert credit.balanceAfterPaise == 777
    # The checkout is still payable afterwards.
    gate.pay_sandbox(10000)
    assert gate.next_tick().completed == ["A"]


def test_debit_moves_the_baseline_and_pays_nothing(mk_gate: Gate, wallet: StubWallet) -> None:
    wallet.balance_paise = 100000
    mk_gate.open("A", 10000)
    mk_gate.tick()
    wallet.balance_paise -= 4000  # the merchant spent money
    assert mk_gate.next_tick().credits == 0
    assert mk_gate.store.wallet_state().baselinePaise == 96000
    wallet.balance_paise += 10000
    assert mk_gate.next_tick().completed == ["A"]


def test_exact_amount_and_a_sum_both_explaining_a_rise_complete_nothing(
    gate: Gate,
) -> None:
    """Issue 7.1: ₹60 and ₹20 paid in one tick look like the ₹80 checkout paid."""
    for order_id, paise in {"P60": 6000, "P20": 2000, "P80": 8000}.items():
        gate.open(order_id, paise)
    gate.tick()
    gate.pay_sandbox(6000)
    gate.pay_sandbox(2000)

    report = gate.next_tick()
    assert report.completed == []
    assert [gate.status(o) for o in ("P60", "P20", "P80")] == ["pending"] * 3
    (credit,) = gate.store.credits()
    assert credit.outcome == "ambiguous" and credit.state == "unattributed"
    assert Order.objects.count() == 0


def test_a_rise_equal_to_a_recent_fall_is_a_reversal_and_pays_nothing(
    mk_gate: Gate, wallet: StubWallet
) -> None:
    """Issue 7.2: a ₹25 debit seen and then reversed must not pay the ₹25 checkout."""
    wallet.balance_paise = 100000
    mk_gate.open("A", 2500)
    mk_gate.tick()
    wallet.balance_paise -= 2500
    mk_gate.next_tick()
    wallet.balance_paise += 2500  # the bank reverses the debit

    report = mk_gate.next_tick()
    assert report.completed == [] and mk_gate.status("A") == "pending"
    (credit,) = mk_gate.store.credits()
    assert credit.outcome == "reversal"
    (line,) = AuditLog.objects(action="credit_unattributed")
    assert line.details["outcome"] == "reversal" and "reversal" in line.details["why"]

    # The fall is used up: the customer's real payment afterwards completes A.
    wallet.balance_paise += 2500
    assert mk_gate.next_tick().completed == ["A"]


def test_a_balance_rise_cannot_pay_a_checkout_opened_after_the_previous_read(
    mk_gate: Gate, wallet: StubWallet, clock: Clock
) -> None:
    """Issue 7.3: a stray ₹33 lands, a ₹33 checkout opens under a second later."""
    mk_gate.open("A", 10000)  # keeps the gateway awake
    mk_gate.tick()
    clock.advance(seconds=1)
    wallet.balance_paise += 3300  # stray money, between two reads
    mk_gate.open("B", 3300)

    report = mk_gate.next_tick()
    assert report.completed == [] and mk_gate.status("B") == "pending"
    (credit,) = mk_gate.store.credits()
    assert credit.outcome == "before-checkout"
    assert credit.windowStart is not None and credit.windowStart < mk_gate.session("B").createdAt

    # B's own payment, made after a read that B predates, completes it.
    wallet.balance_paise += 3300
    assert mk_gate.next_tick().completed == ["B"]


# -- 5. evidence time ---------------------------------------------------------------------------


def test_credit_before_a_checkout_existed_does_not_complete_it(
    history_gate: Gate, wallet: StubWallet, clock: Clock
) -> None:
    history_gate.open("A", 10000)  # keeps the gateway awake
    history_gate.tick()
    clock.advance(seconds=10)
    wallet.credit(55500, at=clock())  # nobody was asking for 555.00 yet
    clock.advance(seconds=10)
    history_gate.open("B", 55500)

    report = history_gate.next_tick()
    assert report.completed == [] and history_gate.status("B") == "pending"
    (credit,) = history_gate.store.credits()
    assert credit.outcome == "before-checkout"
    assert credit.occurredAt == clock() - timedelta(seconds=INTERVAL + 10)

    # The same amount paid after B was opened completes it.
    wallet.credit(55500, at=clock())
    assert history_gate.next_tick().completed == ["B"]


def test_history_credits_are_ledgered_once_by_transaction_id(
    history_gate: Gate, wallet: StubWallet, clock: Clock
) -> None:
    history_gate.open("A", 10000)
    history_gate.open("B", 20000)
    history_gate.tick()
    clock.advance(seconds=1)
    txn = wallet.credit(10000, at=clock())
    assert history_gate.next_tick().completed == ["A"]
    # The history keeps listing the same item; it is never a second credit.
    for _ in range(3):
        assert history_gate.next_tick().credits == 0
    (credit,) = history_gate.store.credits()
    assert credit.key == f"mobikwik:{txn}"
    assert history_gate.status("B") == "pending"
    assert history_gate.session("A").finalBalancePaise is None  # history gives no balance


# -- 2. one ticker, only while something can be paid ---------------------------------------------


def test_idle_gateway_makes_no_wallet_calls(
    mk_gate: Gate, wallet: StubWallet, store: Store
) -> None:
    for _ in range(5):
        assert mk_gate.next_tick().reason == "idle"
    health_report(store, mk_gate.provider)
    assert wallet.calls() == 0

    mk_gate.open("A", 10000)
    assert wallet.calls() == 1  # the baseline, read once when the first checkout opens
    assert mk_gate.tick().reason == "busy"  # that read was this interval's wallet call
    assert wallet.calls() == 1
    mk_gate.next_tick()
    assert wallet.calls() == 2
    for _ in range(3):  # status reads only read the store
        checkouts.find_checkout(store, "A", now=mk_gate.clock())
    assert wallet.calls() == 2

    wallet.balance_paise += 10000
    assert mk_gate.next_tick().completed == ["A"]
    calls = wallet.calls()
    for _ in range(5):
        assert mk_gate.next_tick().reason == "idle"
    assert wallet.calls() == calls


def test_idle_after_expiry_and_grace_makes_no_wallet_calls(
    mk_gate: Gate, wallet: StubWallet, clock: Clock
) -> None:
    mk_gate.open("A", 10000)
    clock.advance(minutes=10 + 60)  # past expiry and the whole grace window
    report = mk_gate.tick()
    assert report.expired == ["A"] and report.reason == "idle"
    calls = wallet.calls()
    for _ in range(3):
        mk_gate.next_tick()
    assert wallet.calls() == calls


def test_money_that_arrived_while_idle_completes_nothing(mk_gate: Gate, wallet: StubWallet) -> None:
    wallet.balance_paise = 100000
    mk_gate.open("A", 10000)
    mk_gate.next_tick()
    wallet.balance_paise += 10000
    assert mk_gate.next_tick().completed == ["A"]
    assert mk_gate.next_tick().reason == "idle"

    wallet.balance_paise += 43210  # while nothing was open
    assert mk_gate.next_tick().reason == "idle"
    opened = mk_gate.open("B", 43210)
    assert opened.initialBalancePaise == 153210  # the baseline was read again
    for _ in range(3):
        mk_gate.next_tick()
    assert mk_gate.status("B") == "pending"
    assert mk_gate.store.credits(outcome="new") == []


def test_money_that_arrived_before_any_idle_tick_completes_nothing(
    mk_gate: Gate, wallet: StubWallet
) -> None:
    """Idle is "nothing can be paid", whether or not a tick has noticed it yet."""
    mk_gate.open("A", 10000)
    wallet.balance_paise += 10000
    assert mk_gate.next_tick().completed == ["A"]

    wallet.balance_paise += 43210  # nothing open, and no tick ran since
    mk_gate.clock.advance(seconds=INTERVAL)
    mk_gate.open("B", 43210)
    for _ in range(3):
        mk_gate.next_tick()
    assert mk_gate.status("B") == "pending"


def test_ticks_respect_the_poll_interval(mk_gate: Gate, wallet: StubWallet, clock: Clock) -> None:
    mk_gate.open("A", 10000)
    clock.advance(seconds=INTERVAL)  # the baseline read at opening was the last interval's call
    base = wallet.calls(BALANCE_PATH)
    assert mk_gate.tick("one").ran
    assert mk_gate.tick("one").reason == "busy"  # same instant: not due
    assert mk_gate.tick("other-process").reason == "busy"
    assert wallet.calls(BALANCE_PATH) == base + 1

    clock.advance(seconds=INTERVAL - 1)
    assert not mk_gate.tick("other-process").ran
    assert wallet.calls(BALANCE_PATH) == base + 1
    clock.advance(seconds=1)
    assert mk_gate.tick("other-process").ran
    assert wallet.calls(BALANCE_PATH) == base + 2
    assert mk_gate.store.wallet_state().nextTickAt == clock() + timedelta(seconds=INTERVAL)


def test_early_tick_is_still_single_flight(mk_gate: Gate, wallet: StubWallet, clock: Clock) -> None:
    mk_gate.open("A", 10000)
    mk_gate.tick()
    calls = wallet.calls()
    wallet.balance_paise += 10000
    clock.advance(seconds=1)
    # "I've paid" a second after a tick: it waits for the next due tick, it does not ask again.
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds=1)

    tick_soon(mk_gate.store, mk_gate.provider, mk_gate.settings, owner="web", sleep=sleep)
    assert wallet.calls() == calls + 1
    assert len(sleeps) == INTERVAL - 1
    assert mk_gate.status("A") == "completed"


def test_early_tick_gives_up_after_one_interval(
    mk_gate: Gate, wallet: StubWallet, store: Store, clock: Clock
) -> None:
    mk_gate.open("A", 10000)
    clock.advance(seconds=INTERVAL)
    assert store.claim_tick("stuck-process", clock(), timedelta(minutes=5)) is not None
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.advance(seconds=1)

    tick_soon(
        store,
        mk_gate.provider,
        mk_gate.settings,
        owner="web",
        sleep=sleep,
        monotonic=lambda: clock().timestamp(),
    )
    assert len(sleeps) == INTERVAL + 1
    assert mk_gate.status("A") == "pending"


# -- 6. provider trouble --------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["500", "401", "html", "slow"])
def test_provider_faults_change_nothing_and_back_off(
    mk_gate: Gate, wallet: StubWallet, store: Store, clock: Clock, fault: str
) -> None:
    wallet.balance_paise = 100000
    mk_gate.open("A", 10000)
    assert mk_gate.next_tick().reason == "ok"
    wallet.fault = fault
    wallet.balance_paise += 10000  # A is paid during the outage
    clock.advance(seconds=INTERVAL)

    delays = []
    for failures in range(1, 3 if fault == "slow" else 8):
        report = mk_gate.tick()
        assert report.reason == "provider-error", report
        state = store.wallet_state()
        assert state.consecutiveFailures == failures
        assert state.baselinePaise == 100000
        assert state.leaseUntil is None
        delays.append(state.nextTickAt - clock())
        assert mk_gate.tick().reason == "busy"  # backing off: not due yet
        clock.current = state.nextTickAt

    expected = [timedelta(seconds=INTERVAL * 2**n) for n in range(len(delays))]
    assert delays == [min(delay, MAX_BACKOFF) for delay in expected]
    assert mk_gate.status("A") == "pending" and Order.objects.count() == 0
    assert WalletCredit.objects.count() == 0

    code, body = health_report(store, mk_gate.provider)
    assert code == 200 and body["status"] == "degraded"
    provider = body["checks"]["provider"]
    assert provider["status"] == "degraded"
    assert provider["lastError"] == report.error
    assert provider["consecutiveFailures"] == len(delays)
    assert isinstance(provider["lastOkAt"], str)

    wallet.fault = None
    assert mk_gate.tick().completed == ["A"]
    state = store.wallet_state()
    assert state.consecutiveFailures == 0 and state.nextTickAt == clock() + timedelta(seconds=3)
    code, body = health_report(store, mk_gate.provider)
    assert (code, body["status"], body["checks"]["provider"]["lastError"]) == (200, "ok", None)


def test_fault_reasons_are_recorded(mk_gate: Gate, wallet: StubWallet, store: Store) -> None:
    mk_gate.open("A", 10000)
    mk_gate.clock.advance(seconds=INTERVAL)
    reasons = {}
    for fault in ["500", "401", "html", "slow"]:
        wallet.fault = fault
        reasons[fault] = mk_gate.tick().error
        assert store.wallet_state().lastErrorReason == reasons[fault]
        mk_gate.clock.current = store.wallet_state().nextTickAt
    assert reasons == {
        "500": "server-error",
        "401": "unauthorized",
        "html": "bad-response",
        "slow": "timeout",
    }


def test_back_off_stays_capped_after_a_long_outage(
    mk_gate: Gate, wallet: StubWallet, store: Store, clock: Clock
) -> None:
    mk_gate.open("A", 10000)
    store.update_wallet_state({"consecutiveFailures": 500})  # hours of a dead wallet
    wallet.fault = "500"
    report = mk_gate.next_tick()
    assert report.reason == "provider-error"
    state = store.wallet_state()
    assert state.consecutiveFailures == 501
    assert state.nextTickAt == clock() + MAX_BACKOFF
    assert state.leaseUntil is None


def test_a_checkout_cannot_open_while_a_stale_baseline_cannot_be_read(
    mk_gate: Gate, wallet: StubWallet
) -> None:
    wallet.fault = "500"
    with pytest.raises(Unavailable):
        mk_gate.open("A", 10000)
    assert mk_gate.store.session_by_order_id("A") is None
    wallet.fault = None
    mk_gate.clock.advance(seconds=INTERVAL)  # the failed read backed off one interval
    assert mk_gate.open("A", 10000).amountPaise == 10000  # its amount was not kept


# -- lifecycle: expiry, late payment, cancel ------------------------------------------------------


def test_expiry_is_applied_by_the_tick(gate: Gate, clock: Clock) -> None:
    gate.open("A", 10000)
    gate.open("B", 20000, expires_in_minutes=30)
    clock.advance(minutes=10)
    report = gate.tick()
    assert report.expired == ["A"]
    assert (gate.status("A"), gate.status("B")) == ("expired", "pending")
    assert gate.session("A").closedAt == clock()
    assert AuditLog.objects(orderId="A", action="session_expired").count() == 1
    assert gate.next_tick().expired == []


def test_expiry_is_applied_on_read(gate: Gate, clock: Clock) -> None:
    gate.open("A", 10000)
    clock.advance(minutes=10, seconds=-1)
    assert checkouts.find_checkout(gate.store, "A", now=clock()).status == "pending"
    clock.advance(seconds=1)
    assert checkouts.find_checkout(gate.store, "A", now=clock()).status == "expired"
    assert gate.status("A") == "expired"  # stored, not just shown
    token = gate.session("A").token
    assert checkouts.find_checkout_by_token(gate.store, token, now=clock()).status == "expired"
    assert AuditLog.objects(orderId="A", action="session_expired").count() == 1


def test_late_payment_inside_the_grace_window_completes_late(gate: Gate, clock: Clock) -> None:
    gate.open("A", 10000)
    gate.tick()
    clock.advance(minutes=10)
    assert gate.tick().expired == ["A"]
    clock.advance(minutes=40)
    gate.pay_sandbox(10000)

    assert gate.next_tick().completed == ["A"]
    session = gate.session("A")
    assert (session.status, session.late) == ("completed", True)
    (order,) = orders_of("A")
    assert order.late is True and order.status == "confirmed"


def test_late_payment_after_the_grace_window_stays_unattributed(gate: Gate, clock: Clock) -> None:
    gate.open("A", 10000)
    gate.tick()
    clock.advance(minutes=65)
    gate.open("B", 20000)  # keeps the gateway awake
    clock.advance(minutes=5)  # A: expired 60 minutes ago, the window is over
    gate.tick()
    gate.pay_sandbox(10000)

    report = gate.next_tick()
    assert report.completed == []
    assert gate.status("A") == "expired" and orders_of("A") == []
    (credit,) = gate.store.credits(outcome="no-match")
    assert credit.amountPaise == 10000
    # Its amount is free again for a new checkout.
    assert gate.open("C", 10000).amountPaise == 10000


def test_payment_for_a_cancelled_checkout_inside_the_window_completes_late(
    gate: Gate, clock: Clock
) -> None:
    gate.open("A", 10000)
    gate.tick()
    clock.advance(minutes=1)
    cancelled = checkouts.cancel_checkout(gate.store, gate.settings, "A", now=clock())
    assert cancelled.status == "cancelled"
    gate.pay_sandbox(10000)
    assert gate.next_tick().completed == ["A"]
    assert gate.session("A").late is True


def test_cancel_never_undoes_a_completed_checkout(gate: Gate) -> None:
    gate.open("A", 10000)
    gate.tick()
    gate.pay_sandbox(10000)
    assert gate.next_tick().completed == ["A"]

    with pytest.raises(Conflict) as info:
        checkouts.cancel_checkout(gate.store, gate.settings, "A", now=gate.clock())
    assert info.value.status == 409
    assert info.value.extra == {"status": "completed"}
    assert gate.status("A") == "completed"
    assert len(orders_of("A")) == 1
    assert AuditLog.objects(orderId="A", action="session_cancelled").count() == 0


def test_cancel_twice_is_quiet_and_an_expired_checkout_cannot_be_cancelled(
    gate: Gate, clock: Clock
) -> None:
    gate.open("A", 10000)
    gate.open("B", 20000)
    first = checkouts.cancel_checkout(gate.store, gate.settings, "A", now=clock())
    again = checkouts.cancel_checkout(gate.store, gate.settings, "A", now=clock())
    assert first.status == again.status == "cancelled"
    assert AuditLog.objects(orderId="A", action="session_cancelled").count() == 1
    clock.advance(minutes=10)
    with pytest.raises(Conflict):
        checkouts.cancel_checkout(gate.store, gate.settings, "B", now=clock())
    assert gate.status("B") == "expired"


# -- 3. the ledger survives a crash ----------------------------------------------------------


def test_crash_retry_of_the_same_balance_observation_ledgers_once(
    mk_gate: Gate, wallet: StubWallet, store: Store, clock: Clock
) -> None:
    wallet.balance_paise = 100000
    mk_gate.open("A", 10000)
    mk_gate.open("B", 20000)
    mk_gate.tick()
    wallet.balance_paise += 10000
    clock.advance(seconds=INTERVAL)
    # The wallet state as the tick found it: restoring it afterwards is a process that
    # ledgered the credit and then died before it could save the new baseline.
    collection = WalletState._get_collection()
    before = collection.find_one({"_id": "wallet"})
    assert mk_gate.tick().completed == ["A"]
    collection.replace_one({"_id": "wallet"}, before)

    clock.advance(seconds=INTERVAL)
    retry = mk_gate.tick()
    assert retry.ran and retry.credits == 0
    assert WalletCredit.objects.count() == 1
    assert len(orders_of("A")) == 1 and completions_of("A") == 1
    assert mk_gate.status("B") == "pending"


RESTORED = (PaymentSession, Order, AuditLog, AmountReservation, WalletState)


def test_a_credit_ledgered_just_before_a_crash_is_attributed_once(
    mk_gate: Gate, wallet: StubWallet, store: Store, clock: Clock
) -> None:
    wallet.balance_paise = 100000
    mk_gate.open("A", 10000)
    mk_gate.tick()
    wallet.balance_paise += 10000
    clock.advance(seconds=INTERVAL)
    # Everything but the ledger as the tick found it: restoring it afterwards is a process
    # that stored the credit and died before it could attribute it or move the baseline.
    snapshot = {doc: list(doc._get_collection().find()) for doc in RESTORED}
    assert mk_gate.tick().completed == ["A"]
    for doc, rows in snapshot.items():
        doc._get_collection().delete_many({})
        if rows:
            doc._get_collection().insert_many(rows)
    (credit,) = store.credits()
    WalletCredit.objects(key=credit.key).update_one(
        set__outcome="new", set__state="new", set__orderIds=[]
    )
    assert mk_gate.status("A") == "pending" and orders_of("A") == []

    clock.advance(seconds=INTERVAL)
    retry = mk_gate.tick()
    assert retry.completed == ["A"]
    assert WalletCredit.objects.count() == 1
    assert store.credits()[0].outcome == "exact"
    assert len(orders_of("A")) == 1 and completions_of("A") == 1


def test_health_does_not_call_the_wallet(mk_gate: Gate, wallet: StubWallet, store: Store) -> None:
    mk_gate.open("A", 10000)
    calls = wallet.calls()
    code, body = health_report(store, mk_gate.provider)
    assert (code, body["status"]) == (200, "ok")
    assert body["checks"]["store"]["status"] == "ok"
    assert wallet.calls() == calls


def test_history_provider_outage_is_recorded(
    history_gate: Gate, wallet: StubWallet, store: Store
) -> None:
    history_gate.open("A", 10000)
    wallet.fault = "500"
    report = history_gate.tick()
    assert report.error == "server-error"
    assert wallet.calls(HISTORY_PATH) == 1 and wallet.calls(BALANCE_PATH) == 0
    assert health_report(store, history_gate.provider)[1]["status"] == "degraded"


# -- the ticker thread and the sandbox ------------------------------------------------------


def test_ticker_thread_completes_a_paid_checkout(
    gate: Gate, store: Store, sandbox: SandboxProvider, clock: Clock
) -> None:
    gate.open("A", 10000)
    gate.pay_sandbox(10000)  # paid before the first tick: the baseline was read at opening
    clock.advance(seconds=gate.settings.poll_interval_seconds)
    ticker = Ticker(store, sandbox, gate.settings, now_fn=clock)
    ticker.start()
    ticker.start()  # idempotent: still one thread
    try:
        assert [t.name for t in threading.enumerate()].count("upi-ticker") == 1
        deadline = time.monotonic() + 10
        while gate.status("A") != "completed" and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        ticker.stop()
    assert gate.status("A") == "completed"
    assert [t.name for t in threading.enumerate()].count("upi-ticker") == 0
    assert len(orders_of("A")) == 1


def test_sandbox_pays_the_exact_payable_amount(gate: Gate) -> None:
    gate.open("A", 10000)
    gate.open("B", 10000)
    gate.tick()
    amount, balance = pay_checkout(gate.store, "B", now=gate.clock())
    assert (amount, balance) == (10002, 10002)
    assert gate.next_tick().completed == ["B"]
    with pytest.raises(Conflict):
        pay_checkout(gate.store, "B", now=gate.clock())
    with pytest.raises(NotFound):
        pay_checkout(gate.store, "nope", now=gate.clock())
    assert gate.store.sandbox_balance() == 10002
    assert AuditLog.objects(action="sandbox_credit").count() == 1


def test_a_checkout_that_cannot_be_stored_keeps_no_amount(gate: Gate) -> None:
    with pytest.raises(ValidationError):  # the API refuses such an orderId earlier
        gate.open("X" * 65, 10000)
    assert AmountReservation.objects.count() == 0
    assert gate.open("A", 10000).amountPaise == 10000


def test_checkouts_opened_together_after_idle_share_one_wallet_call(
    mk_gate: Gate, wallet: StubWallet, store: Store, clock: Clock
) -> None:
    """The re-read at opening takes the tick lease: one call, however many open at once."""
    assert mk_gate.next_tick().reason == "idle"
    opened = race(12, lambda index: mk_gate.open(f"P{index}", 10000 + index))
    assert len(opened) == 12
    assert wallet.calls() == 1
    assert mk_gate.tick().reason == "busy"  # and it counts as this interval's tick
    assert wallet.calls() == 1
    assert store.wallet_state().nextTickAt == clock() + timedelta(seconds=INTERVAL)


def test_a_repeated_payment_does_not_pay_the_next_checkout_of_that_price(
    mk_gate: Gate, wallet: StubWallet, store: Store
) -> None:
    """The customer pays twice; the second payment stays with the merchant to refund."""
    mk_gate.open("A", 10000)
    wallet.balance_paise += 10000
    assert mk_gate.next_tick().completed == ["A"]
    mk_gate.clock.advance(seconds=INTERVAL)
    assert mk_gate.open("B", 10000).amountPaise == 10002  # ₹100.00 is still reserved
    wallet.balance_paise += 10000  # A's customer pays again
    report = mk_gate.next_tick()
    assert report.completed == [] and len(report.unattributed) == 1
    assert mk_gate.status("B") == "pending"
    # Said apart for the merchant, who refunds it: a repeat, not just "no match".
    (repeat,) = store.credits(outcome="repeat")
    assert repeat.amountPaise == 10000


def test_a_checkout_opened_right_after_another_completes_is_paid(
    mk_gate: Gate, wallet: StubWallet
) -> None:
    """The next customer opens within the same poll interval; their payment must count."""
    mk_gate.open("A", 10000)
    wallet.balance_paise += 10000
    assert mk_gate.next_tick().completed == ["A"]
    mk_gate.clock.advance(seconds=1)
    assert mk_gate.tick().reason == "idle"
    mk_gate.clock.advance(seconds=0.5)
    mk_gate.open("B", 20000)
    wallet.balance_paise += 20000
    assert mk_gate.next_tick().completed == ["B"]
