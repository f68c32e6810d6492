"""Races on both stores: one nonce, one credit, one amount, one orderId.

Every state change is one conditional update, so however many threads race,
one wins and the others see that they lost. Threads start together on a barrier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts
from checkout.services.checkouts import CheckoutRequest
from checkout.services.errors import Conflict
from checkout.services.sandbox import credit_wallet
from checkout.services.ticks import run_tick
from checkout.storage.models import AmountReservation, AuditLog, Order, PaymentSession, WalletCredit
from checkout.storage.store import Store
from tests.conftest import Clock, race
from tests.integration.conftest import drop_store


@pytest.fixture
def race_app(settings: Settings, mongodb_uri: str, wall_clock: Clock) -> Iterator[Flask]:
    application = create_app(
        settings.with_overrides(mongodb_uri=mongodb_uri, rate_limit_max_requests=1000)
    )
    application.config["TESTING"] = True
    gateway: Gateway = application.extensions[EXTENSION_KEY]
    yield application
    drop_store(gateway.store)


def test_hundred_threads_racing_one_nonce_open_one_session(race_app: Flask) -> None:
    nonce = race_app.test_client().get("/api/nonce").get_json()["nonce"]

    def create(index: int) -> tuple[int, Any]:
        response = race_app.test_client().post(
            "/api/create-payment-session",
            json={
                "orderId": f"ORD-RACE-{index:03d}",
                "productDetails": {"name": "Product"},
                "basePrice": 1000,
                "tax": 18,
                "nonce": nonce,
            },
        )
        return response.status_code, response.get_json()

    results = race(100, create)
    assert Counter(code for code, _ in results) == {200: 1, 401: 99}
    (winner,) = [body for code, body in results if code == 200]
    assert winner["success"] is True and winner["amount"] == 1018
    assert all(body["details"][0]["field"] == "nonce" for code, body in results if code == 401)
    assert PaymentSession.objects.count() == 1
    assert PaymentSession.objects.get().orderId == winner["orderId"]
    assert AmountReservation.objects.count() == 1


def test_threads_racing_to_complete_one_checkout_complete_it_once(
    store: Store, sandbox: SandboxProvider, tick_settings: Settings, clock: Clock
) -> None:
    opened = checkouts.create_checkout(
        store, sandbox, tick_settings, CheckoutRequest("A", 10000), now=clock()
    )

    def complete(index: int) -> bool:
        done = checkouts.complete_checkout(
            store, "A", now=clock(), credit_key=f"credit-{index}", final_balance=10000
        )
        return done is not None

    assert sum(race(20, complete)) == 1
    assert store.session_by_order_id("A").status == "completed"
    assert Order.objects(orderId="A").count() == 1
    assert AuditLog.objects(orderId="A", action="payment_completed").count() == 1
    kept = AmountReservation.objects.get(paise=opened.amountPaise)
    assert kept.releaseAfter == clock() + checkouts.REPEAT_PAYMENT_GUARD


def test_threads_racing_ticks_on_one_credit_complete_once(
    store: Store, sandbox: SandboxProvider, tick_settings: Settings, clock: Clock
) -> None:
    checkouts.create_checkout(
        store, sandbox, tick_settings, CheckoutRequest("A", 10000), now=clock()
    )
    checkouts.create_checkout(
        store, sandbox, tick_settings, CheckoutRequest("B", 20000), now=clock()
    )
    credit_wallet(store, 10000, now=clock())
    clock.advance(seconds=tick_settings.poll_interval_seconds)  # the opening read was a tick

    reports = race(
        20,
        lambda index: run_tick(
            store, sandbox, tick_settings, owner=f"process-{index}", now=clock()
        ),
    )
    assert sum(report.ran for report in reports) == 1
    assert [order_id for report in reports for order_id in report.completed] == ["A"]
    assert store.session_by_order_id("A").status == "completed"
    assert store.session_by_order_id("B").status == "pending"
    assert WalletCredit.objects.count() == 1
    assert Order.objects(orderId="A").count() == 1
    assert AuditLog.objects(orderId="A", action="payment_completed").count() == 1


def test_concurrent_reservations_of_one_amount_are_all_distinct(
    store: Store, sandbox: SandboxProvider, tick_settings: Settings, clock: Clock
) -> None:
    def open_one(index: int) -> int:
        session = checkouts.create_checkout(
            store, sandbox, tick_settings, CheckoutRequest(f"S{index}", 50000), now=clock()
        )
        return int(session.amountPaise)

    amounts = race(40, open_one)
    assert len(set(amounts)) == 40 and all(50000 <= paise < 50100 for paise in amounts)
    stored = {s.orderId: s.amountPaise for s in PaymentSession.objects}
    reserved = {r.orderId: r.paise for r in AmountReservation.objects}
    assert stored == reserved and len(stored) == 40


def test_raw_reservations_race_for_the_last_free_amounts(store: Store, clock: Clock) -> None:
    until = clock().replace(year=2027)
    for paise in range(70000, 70095):
        AmountReservation(paise=paise, orderId=f"old-{paise}", releaseAfter=until).save()

    got = race(12, lambda i: store.reserve_amount(range(70000, 70100), f"R{i}", until, clock()))
    assert sorted(p for p in got if p is not None) == list(range(70095, 70100))
    assert got.count(None) == 7
    assert AmountReservation.objects.count() == 100


def test_racing_creates_with_one_order_id_keep_the_winners_amount(
    store: Store, sandbox: SandboxProvider, tick_settings: Settings, clock: Clock
) -> None:
    def create(index: int) -> str:
        try:
            checkouts.create_checkout(
                store, sandbox, tick_settings, CheckoutRequest("SAME", 10000), now=clock()
            )
        except Conflict:
            return "conflict"
        return "created"

    assert Counter(race(10, create)) == {"created": 1, "conflict": 9}
    session = store.session_by_order_id("SAME")
    # The losers freed their own amounts only: the winner's amount stays reserved.
    assert [(r.orderId, r.paise) for r in AmountReservation.objects] == [
        ("SAME", session.amountPaise)
    ]
