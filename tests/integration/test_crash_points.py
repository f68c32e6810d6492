"""The crash-point harness: die at every store write of a tick, a completion and a webhook
send, restart, and check that no money went to the wrong place (DESIGN §5.7).

"Dying" is an injected exception at the k-th write: that write and every later call of
the dead process raise, so nothing it would have done afterwards happens. The restarted
process shares the store (as a new process shares MongoDB) and the wallet. A clean run
first counts the writes, so every point is covered whatever the code does in between.
"""

from __future__ import annotations

import contextlib
import inspect
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from checkout.config import Settings
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts, credits, evidence, outbox, utr, wallet
from checkout.services.checkouts import CheckoutRequest
from checkout.services.errors import Conflict
from checkout.services.evidence import Relay
from checkout.services.outbox import publish_owed_events
from checkout.services.sandbox import credit_wallet
from checkout.services.ticks import run_tick
from checkout.storage.claims import ClaimStore
from checkout.storage.evidence import EvidenceStore
from checkout.storage.merchant import MerchantStore
from checkout.storage.models import Order, PaymentSession, WalletCredit
from checkout.storage.store import Store
from tests.conftest import Clock

# Every repository method that changes stored state (a write the process may die at).
STORE_WRITES = frozenset(
    {
        "reserve_amount",
        "release_amount",
        "shorten_reservation",
        "insert_session",
        "transition",
        "insert_order",
        "order_written",
        "audit",
        "record_credit",
        "decide_credit",
        "credit_attributed",
        "reverse_debit",
        "session_event_queued",
        "credit_event_queued",
        "wallet_state",  # creates the wallet document on first use
        "claim_tick",
        "finish_tick",
        "renew_lease",
        "update_wallet_state",
    }
)
MERCHANT_WRITES = frozenset(
    {"add_delivery", "lease_due_delivery", "settle_delivery", "retry_delivery"}
)
# C is never paid. No other set of these sums to 3000, 3500 or 6500, so a rise that
# collects payments made while the gateway was down is still explained one way only.
# D is paid by a forwarded bank SMS, E by the merchant assigning a stray credit to it.
# F's customer gives the UTR on the pay page before the bank's SMS arrives.
AMOUNTS = {"P": 3000, "A": 1000, "B": 2500, "C": 1300, "D": 2150, "E": 1750, "F": 1950}
PAID = ("P", "A", "B", "D", "E", "F")
STRAY = 444
SMS = (
    "Credit Alert!\nRs.{rupees} credited to HDFC Bank A/c XX4821 on 02-12-26 from VPA "
    "asha.k@okicici (UPI {rrn})"
)
EVIDENCE_WRITES = frozenset({"add_message", "relay_seen"})
CLAIM_WRITES = frozenset({"add_claim", "decide_claim"})


class ProcessDied(BaseException):
    """Not an Exception: no handler in the code under test may swallow a death."""


@dataclass
class Life:
    """Counts writes; at write number ``dies_at`` the process dies, before that write."""

    dies_at: int | None = None
    writes: int = 0
    dead: bool = False
    where: list[str] = field(default_factory=list)

    def call(self, name: str, writes: frozenset[str]) -> None:
        if self.dead:
            raise ProcessDied(name)
        if name in writes:
            self.writes += 1
            if self.writes == self.dies_at:
                self.dead = True
                self.where.append(f"{name}#{self.writes}: {_caller()}")
                raise ProcessDied(name)


def _caller() -> str:
    for frame in inspect.stack()[3:]:
        if "/checkout/" in frame.filename:
            return f"{frame.filename.rsplit('/checkout/', 1)[-1]}:{frame.function}"
    return "?"


class Mortal:
    """A repository as one process sees it: it stops answering once the process is dead."""

    def __init__(self, target: Any, life: Life, writes: frozenset[str]) -> None:
        self._target = target
        self._life = life
        self._writes = writes

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            self._life.call(name, self._writes)
            return attribute(*args, **kwargs)

        return call


class Receiver:
    """The merchant's webhook endpoint: records every event id per (type, order)."""

    def __init__(self, httpserver: HTTPServer) -> None:
        self.events: list[dict[str, Any]] = []
        httpserver.expect_request("/hooks", method="POST").respond_with_handler(self._handle)
        self.url = httpserver.url_for("/hooks")

    def _handle(self, request: Request) -> Response:
        self.events.append(request.get_json())
        return Response("ok")


@dataclass
class World:
    store: Store
    settings: Settings
    clock: Clock
    receiver: Receiver

    def gateway_steps(
        self, store: Any, merchant: Any, evidence_repo: Any, claims_repo: Any, owner: str
    ) -> list[Callable[[], Any]]:
        """What one gateway process does, step by step, between the customers' payments."""
        provider = SandboxProvider(self.store)  # the wallet lives outside the process

        def tick() -> Any:
            self.clock.advance(seconds=self.settings.poll_interval_seconds)
            return run_tick(store, provider, self.settings, owner=owner, now=self.clock())

        def send() -> Any:
            publish_owed_events(store, merchant, now=self.clock())
            while outbox.deliver_one(merchant, self.settings, now=self.clock()):
                pass

        def pay(paise: int) -> Callable[[], Any]:
            # The customers pay whether or not the gateway is alive.
            return lambda: credit_wallet(self.store, paise, now=self.clock(), note="customer")

        def sms(rupees: str, rrn: str) -> Callable[[], Any]:
            # The phone relays a bank SMS; it posts again until it gets an answer.
            return lambda: evidence.ingest_message(
                store,
                evidence_repo,
                self.settings,
                relay=Relay("key:phone"),
                channel="sms",
                sender="VM-HDFCBK-S",
                text=SMS.format(rupees=rupees, rrn=rrn),
                received_at=self.clock(),
                event_id=rrn,
                now=self.clock(),
                claims=claims_repo,
            )

        def assign() -> Any:
            # The merchant assigns the stray credit to E, and clicks again if it failed.
            waiting = credits.list_credits(
                store, state="unattributed", source=None, rrn=None, starting_after=None, limit=20
            )
            stray = [c for c in waiting.data if c.amount * 100 == STRAY]
            if stray:
                with contextlib.suppress(Conflict):
                    credits.assign(store, stray[0].id, "E", now=self.clock(), who="merchant")

        def claim() -> Any:
            # F's customer types the UTR from their app; they try again if the page failed.
            session = store.session_by_order_id("F")
            with contextlib.suppress(Conflict):
                utr.claim(
                    store,
                    claims_repo,
                    self.settings,
                    session,
                    "633600000003",
                    now=self.clock(),
                    ip=None,
                )

        return [
            tick,  # the read that the checkouts' payments will be measured from
            pay(AMOUNTS["P"]),
            tick,  # one exact payment
            send,
            pay(AMOUNTS["A"] + AMOUNTS["B"]),
            tick,  # two payments in one tick: one pair explains the rise
            send,
            sms("21.50", "633600000001"),  # D's payment, proven by the bank's SMS at once
            sms("4.44", "633600000002"),  # money nobody asked for: left for the merchant
            assign,
            claim,  # a UTR claim alone pays nothing: it waits for the bank
            sms("19.50", "633600000003"),  # the bank's SMS: the waiting claim takes it
            send,
        ]


@pytest.fixture
def world(store: Store, tick_settings: Settings, clock: Clock, httpserver: HTTPServer) -> World:
    settings = tick_settings.with_overrides(webhook_allow_private=True)
    receiver = Receiver(httpserver)
    merchant = MerchantStore(store)
    merchant.ensure_indexes()
    EvidenceStore().ensure_indexes()
    ClaimStore().ensure_indexes()
    outbox.add_endpoint(merchant, settings, url=receiver.url, events=None, now=clock())
    sandbox = SandboxProvider(store)
    for order_id, paise in AMOUNTS.items():
        checkouts.create_checkout(
            store, sandbox, settings, CheckoutRequest(order_id, paise), now=clock()
        )
    return World(store, settings, clock, receiver)


def live_through(world: World, dies_at: int | None) -> Life:
    """Run the day with one process that dies at write ``dies_at``, then restart it."""
    life = Life(dies_at=dies_at)
    store = Mortal(world.store, life, STORE_WRITES)
    merchant = Mortal(MerchantStore(world.store), life, MERCHANT_WRITES)
    evidence_repo = Mortal(EvidenceStore(), life, EVIDENCE_WRITES)
    claims_repo = Mortal(ClaimStore(), life, CLAIM_WRITES)
    steps = world.gateway_steps(store, merchant, evidence_repo, claims_repo, "first-process")
    for step in steps:
        # Later gateway steps fail at once; the customers' payments still happen.
        with contextlib.suppress(ProcessDied):
            step()
    # The restart: a new process on the same store. The dead one's lease (its owner id
    # says nothing about liveness here) runs out first.
    world.clock.advance(seconds=wallet.LEASE.total_seconds())
    merchant_again = MerchantStore(world.store)
    steps = world.gateway_steps(
        world.store, merchant_again, EvidenceStore(), ClaimStore(), "restarted"
    )
    tick, send, assign = steps[0], steps[3], steps[9]
    steps[10]()  # F's customer sends the UTR again
    for relayed in (steps[7], steps[8], steps[11]):
        relayed()  # the relay never got its answers, so it posts again
    for _ in range(3):
        tick()
        assign()  # the merchant sees the credit still waiting and assigns it again
        world.clock.advance(seconds=outbox.LEASE.total_seconds())
        send()
    return life


def check_invariants(world: World, life: Life) -> None:
    where = f"died at {life.where}" if life.where else "no crash"
    sessions = {s.orderId: s for s in PaymentSession.objects}
    for order_id in PAID:
        assert sessions[order_id].status == "completed", where
        assert Order.objects(orderId=order_id).count() == 1, where
        assert not sessions[order_id].orderPending, where
    assert sessions["C"].status == "pending", where
    assert Order.objects(orderId="C").count() == 0, where

    # No credit attributed twice: every checkout was completed by one credit, and no
    # two decided credits name the same checkout.
    named = Counter(order_id for c in WalletCredit.objects for order_id in c.orderIds)
    assert all(count == 1 for count in named.values()), (where, named)
    for order_id in PAID:
        assert len(sessions[order_id].creditKeys) == 1, where
    assert not WalletCredit.objects(state="attributing"), where

    # One event id per state change (re-sends repeat the id), and every change told.
    ids: dict[tuple[str, str], set[str]] = {}
    for event in world.receiver.events:
        subject = event["data"].get("orderId", "")
        ids.setdefault((event["type"], subject), set()).add(event["id"])
    assert all(len(found) == 1 for found in ids.values()), (where, ids)
    assert {("checkout.completed", o) for o in PAID} <= set(ids), (where, sorted(ids))


# More than the clean day's writes, so the crash points below cover every one of them.
CRASH_POINTS = 110


def test_the_day_without_a_crash_holds_the_invariants(world: World) -> None:
    life = live_through(world, dies_at=None)
    check_invariants(world, life)
    assert 20 < life.writes < CRASH_POINTS, life.writes


@pytest.mark.parametrize("crash_point", range(1, CRASH_POINTS))
def test_a_crash_at_any_write_loses_nothing_and_doubles_nothing(
    world: World, crash_point: int
) -> None:
    life = live_through(world, dies_at=crash_point)
    check_invariants(world, life)
