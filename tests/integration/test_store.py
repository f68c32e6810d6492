"""The store against both backends: mongomock and a real wire-protocol server (nx-27017).

Times in these tests differ by whole seconds where a query compares them:
nx-27017 compares datetimes at one-second precision (MongoDB uses milliseconds).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from bson.decimal128 import Decimal128
from mongoengine import Document

from checkout.domain.vocabulary import Status
from checkout.services import nonces
from checkout.services.errors import Unauthorized
from checkout.storage.models import (
    AmountReservation,
    AuditLog,
    Nonce,
    Order,
    PaymentSession,
    WalletCredit,
    WalletState,
)
from checkout.storage.store import DuplicateOrderId, Store
from tests.conftest import Clock

T0 = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


def session(
    order_id: str, *, at: datetime = T0, paise: int = 101800, **fields: Any
) -> PaymentSession:
    values: dict[str, Any] = {
        "orderId": order_id,
        "token": f"tok-{order_id}",
        "totalAmountPaise": paise,
        "amountPaise": paise,
        "createdAt": at,
        "expiresAt": at + timedelta(minutes=10),
        "payableUntil": at + timedelta(minutes=70),
    }
    values.update(fields)
    return PaymentSession(**values)


def order(order_id: str, at: datetime = T0) -> Order:
    return Order(orderId=order_id, totalAmountPaise=100, amountPaidPaise=100, createdAt=at)


def unique_keys(document: type[Document]) -> set[tuple[str, ...]]:
    info = document._get_collection().index_information()
    return {tuple(name for name, _ in spec["key"]) for spec in info.values() if spec.get("unique")}


# -- indexes ----------------------------------------------------------------------------


def test_unique_indexes_exist(store: Store) -> None:
    assert ("orderId",) in unique_keys(PaymentSession)
    assert ("token",) in unique_keys(PaymentSession)
    assert ("orderId",) in unique_keys(Order)
    assert ("nonce",) in unique_keys(Nonce)
    assert ("paise",) in unique_keys(AmountReservation)
    assert ("key",) in unique_keys(WalletCredit)


def test_nonce_expiry_is_a_ttl_index(store: Store) -> None:
    info = Nonce._get_collection().index_information()
    ttl = [spec for spec in info.values() if "expireAfterSeconds" in spec]
    assert [(spec["key"], spec["expireAfterSeconds"]) for spec in ttl] == [([("expiresAt", 1)], 0)]


def test_unique_indexes_are_enforced(store: Store) -> None:
    store.insert_session(session("A"))
    with pytest.raises(DuplicateOrderId):
        store.insert_session(session("A", token="another-token"))
    with pytest.raises(DuplicateOrderId):  # the same token under another orderId
        store.insert_session(session("B", token="tok-A"))
    assert PaymentSession.objects.count() == 1
    assert store.record_credit(WalletCredit(key="k", provider="p", amountPaise=1, observedAt=T0))
    assert not store.record_credit(
        WalletCredit(key="k", provider="p", amountPaise=2, observedAt=T0)
    )
    assert [c.amountPaise for c in store.credits()] == [1]


# -- nonces -----------------------------------------------------------------------------


def test_nonce_is_consumed_once(store: Store, wall_clock: Clock) -> None:
    now = wall_clock()
    store.add_nonce("a" * 64, "127.0.0.1", now, now + timedelta(minutes=5))
    assert store.consume_nonce("a" * 64, now + timedelta(seconds=1))
    assert not store.consume_nonce("a" * 64, now + timedelta(seconds=2))
    stored = Nonce.objects.get(nonce="a" * 64)
    assert stored.used is True
    assert stored.usedAt == now + timedelta(seconds=1)


def test_expired_or_unknown_nonce_is_refused(store: Store, wall_clock: Clock) -> None:
    now = wall_clock()
    store.add_nonce("b" * 64, "127.0.0.1", now, now + timedelta(minutes=5))
    assert not store.consume_nonce("b" * 64, now + timedelta(minutes=5))  # expiry is exclusive
    assert not store.consume_nonce("b" * 64, now + timedelta(minutes=6))
    assert not store.consume_nonce("c" * 64, now)
    assert store.consume_nonce("b" * 64, now + timedelta(minutes=4, seconds=59))


# -- amount reservations ----------------------------------------------------------------


def test_reserve_amount_takes_requested_then_next_free(store: Store) -> None:
    until = T0 + timedelta(hours=1)
    candidates = list(range(101800, 101900))
    assert store.reserve_amount(candidates, "O1", until, T0) == 101800
    assert store.reserve_amount(candidates, "O2", until, T0) == 101801
    AmountReservation(paise=101802, orderId="other", releaseAfter=until).save()
    assert store.reserve_amount(candidates, "O3", until, T0) == 101803


def test_reserve_amount_returns_none_when_all_hundred_are_taken(store: Store) -> None:
    until = T0 + timedelta(hours=1)
    candidates = list(range(50000, 50100))
    got = [store.reserve_amount(candidates, f"O{i}", until, T0) for i in range(100)]
    assert got == candidates
    assert store.reserve_amount(candidates, "O-late", until, T0) is None
    assert AmountReservation.objects.count() == 100
    assert AmountReservation.objects(orderId="O-late").count() == 0


def test_stale_reservations_are_freed(store: Store) -> None:
    store.reserve_amount([700], "old", T0 + timedelta(minutes=70), T0)
    # Still reserved just before it lapses ...
    assert (
        store.reserve_amount([700], "new", T0 + timedelta(hours=3), T0 + timedelta(minutes=69))
        is None
    )
    # ... and free from the moment it does.
    later = T0 + timedelta(minutes=70)
    assert store.reserve_amount([700], "new", later + timedelta(hours=1), later) == 700
    assert [r.orderId for r in AmountReservation.objects(paise=700)] == ["new"]


def test_shorten_and_release_reservation(store: Store) -> None:
    store.reserve_amount([900], "A", T0 + timedelta(hours=2), T0)
    store.shorten_reservation("A", T0 + timedelta(minutes=5))
    store.shorten_reservation("A", T0 + timedelta(hours=5))  # never lengthens
    assert AmountReservation.objects.get(paise=900).releaseAfter == T0 + timedelta(minutes=5)
    store.release_amount("A")
    assert store.reserve_amount([900], "B", T0 + timedelta(hours=1), T0) == 900


def test_release_amount_can_free_one_reservation_of_an_order(store: Store) -> None:
    """A losing duplicate create must free its own amount, not the winner's."""
    store.reserve_amount([100], "A", T0 + timedelta(hours=1), T0)
    store.reserve_amount([100, 101], "A", T0 + timedelta(hours=1), T0)
    store.release_amount("A", paise=101)
    assert [r.paise for r in AmountReservation.objects(orderId="A")] == [100]


# -- sessions and transitions -----------------------------------------------------------


def test_transition_is_conditional(store: Store) -> None:
    store.insert_session(session("A"))
    done = store.transition(
        "A", Status.PENDING, Status.COMPLETED, {"completedAt": T0, "payableUntil": None}
    )
    assert done is not None
    assert (done.status, done.completedAt, done.payableUntil) == ("completed", T0, None)
    assert store.transition("A", Status.PENDING, Status.COMPLETED, {"completedAt": T0}) is None
    assert store.transition("A", Status.PENDING, Status.CANCELLED, {"closedAt": T0}) is None
    assert store.session_by_order_id("A").status == "completed"


def test_transition_asks_only_for_moves_the_lifecycle_allows(store: Store) -> None:
    store.insert_session(session("A"))
    with pytest.raises(ValueError, match="cannot move from completed to pending"):
        store.transition("A", Status.COMPLETED, Status.PENDING, {})
    with pytest.raises(ValueError):
        store.transition("A", Status.EXPIRED, Status.CANCELLED, {})
    assert store.session_by_order_id("A").status == "pending"


def test_transition_extra_conditions(store: Store) -> None:
    store.insert_session(session("A"))
    expires = T0 + timedelta(minutes=10)
    early = expires - timedelta(seconds=1)
    assert (
        store.transition(
            "A", Status.PENDING, Status.EXPIRED, {}, conditions={"expiresAt__lte": early}
        )
        is None
    )
    expired = store.transition(
        "A",
        Status.PENDING,
        Status.EXPIRED,
        {"closedAt": expires},
        conditions={"expiresAt__lte": expires},
    )
    assert expired is not None and expired.status == "expired"


def test_insert_order_twice_keeps_the_first(store: Store) -> None:
    assert store.insert_order(order("A")) is True
    assert store.insert_order(order("A", T0 + timedelta(seconds=5))) is False
    assert Order.objects.count() == 1
    assert store.order_by_order_id("A").createdAt == T0


def test_payable_sessions_follow_payable_until(store: Store) -> None:
    store.insert_session(session("open"))
    store.insert_session(session("gone", payableUntil=T0 + timedelta(seconds=1)))
    store.insert_session(session("paid", payableUntil=None, status="completed"))
    later = T0 + timedelta(seconds=1)
    assert {s.orderId for s in store.payable_sessions(T0)} == {"open", "gone"}
    assert {s.orderId for s in store.payable_sessions(later)} == {"open"}
    assert store.any_payable(later)
    assert not store.any_payable(T0 + timedelta(minutes=70))


def test_list_sessions_newest_first_with_cursor(store: Store) -> None:
    # Two sessions share a createdAt: the id breaks the tie, so paging loses none.
    times = [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)]
    for index, at in enumerate(times):
        store.insert_session(session(f"S{index}", at=at))
    store.transition("S1", Status.PENDING, Status.CANCELLED, {"closedAt": T0})

    everything = store.list_sessions(limit=10)
    assert [s.createdAt for s in everything] == sorted(times, reverse=True)
    assert everything[0].orderId == "S3" and everything[-1].orderId == "S0"
    tied = everything[1:3]
    assert str(tied[0].id) > str(tied[1].id)

    pages: list[str] = []
    cursor: tuple[datetime, str] | None = None
    while True:
        page = store.list_sessions(before=cursor, limit=1)
        if not page:
            break
        pages.extend(s.orderId for s in page)
        cursor = (page[-1].createdAt, page[-1].id)
    assert pages == [s.orderId for s in everything]

    assert [s.orderId for s in store.list_sessions(status="cancelled")] == ["S1"]
    assert [s.orderId for s in store.list_sessions(order_id="S2")] == ["S2"]
    after = store.list_sessions(created_after=T0 + timedelta(seconds=1))
    assert [s.orderId for s in after] == ["S3"]


# -- wallet lease, baseline -------------------------------------------------------------


def test_claim_tick_is_single_flight(store: Store) -> None:
    first = store.claim_tick("a", T0, LEASE)
    assert first is not None and first.leaseOwner == "a"
    assert first.leaseUntil == T0 + LEASE
    assert store.claim_tick("b", T0, LEASE) is None
    assert store.claim_tick("b", T0 + timedelta(seconds=29), LEASE) is None
    # A lease whose holder died runs out; then someone else may tick.
    taken_over = store.claim_tick("b", T0 + LEASE, LEASE)
    assert taken_over is not None and taken_over.leaseOwner == "b"


def test_claim_tick_respects_next_tick_at(store: Store) -> None:
    assert store.claim_tick("a", T0, LEASE) is not None
    assert store.finish_tick("a", {"nextTickAt": T0 + timedelta(seconds=3), "lastTickAt": T0})
    assert store.claim_tick("b", T0 + timedelta(seconds=2), LEASE) is None
    claimed = store.claim_tick("b", T0 + timedelta(seconds=3), LEASE)
    assert claimed is not None
    assert claimed.nextTickAt == T0 + timedelta(seconds=3)
    assert claimed.lastTickAt == T0


def test_finish_tick_only_by_the_owner(store: Store) -> None:
    assert store.claim_tick("a", T0, LEASE) is not None
    assert store.finish_tick("intruder", {"baselinePaise": 1}) is False
    state = store.wallet_state()
    assert state.leaseUntil == T0 + LEASE and state.baselinePaise is None
    assert store.finish_tick("a", {"baselinePaise": 5}) is True
    state = store.wallet_state()
    assert (state.leaseUntil, state.baselinePaise) == (None, 5)


def test_finish_tick_never_writes_an_older_baseline_over_a_newer_one(store: Store) -> None:
    """A checkout re-read the balance (after an idle spell) while a tick was in flight."""
    assert store.claim_tick("a", T0, LEASE) is not None
    reread = T0 + timedelta(seconds=1)
    store.update_wallet_state({"baselinePaise": 900, "baselineAt": reread})
    assert store.finish_tick(
        "a",
        {"lastTickAt": T0},
        baseline={"baselinePaise": 500, "baselineAt": T0},
        observed_at=T0,
    )
    state = store.wallet_state()
    assert (state.baselinePaise, state.baselineAt, state.leaseUntil) == (900, reread, None)
    # With no newer re-read, the tick's observation is the baseline.
    assert store.claim_tick("a", T0 + timedelta(seconds=5), LEASE) is not None
    later = T0 + timedelta(seconds=5)
    store.finish_tick(
        "a", {}, baseline={"baselinePaise": 1000, "baselineAt": later}, observed_at=later
    )
    assert store.wallet_state().baselinePaise == 1000


def test_wallet_state_is_one_document(store: Store) -> None:
    assert store.wallet_state().id == store.wallet_state().id
    assert WalletState.objects.count() == 1


# -- values round-trip ------------------------------------------------------------------


# nx-27017 cannot store Decimal128 at all ("Object of type Decimal128 is not JSON
# serializable", its SQLite rows are JSON), so this runs on mongomock only; any real
# MongoDB (TEST_MONGODB_URI) stores it natively.
@pytest.mark.parametrize("mongodb_uri", ["mongomock://localhost"])
def test_decimals_in_product_details_round_trip(store: Store) -> None:
    details = {
        "name": "Chai",
        "price": Decimal128(Decimal("10.50")),
        "options": [{"extra": Decimal128(Decimal("0.05"))}],
    }
    store.insert_session(session("A", productDetails=details))
    stored = store.session_by_order_id("A").productDetails
    assert stored["price"].to_decimal() == Decimal("10.50")
    assert str(stored["price"]) == "10.50"  # the scale survives: not 10.5
    assert stored["options"][0]["extra"].to_decimal() == Decimal("0.05")
    assert stored["name"] == "Chai"


def test_aware_datetimes_come_back_equal(store: Store) -> None:
    ist = timezone(timedelta(hours=5, minutes=30))
    created = datetime(2026, 11, 26, 15, 30, 0, 123000, tzinfo=ist)  # 10:00:00.123Z
    store.insert_session(session("A", at=created))
    closed = T0 + timedelta(minutes=3, milliseconds=456)
    store.transition("A", Status.PENDING, Status.CANCELLED, {"closedAt": closed})
    store.update_wallet_state({"cursor": closed, "baselineAt": created})

    stored = store.session_by_order_id("A")
    state = store.wallet_state()
    for value, written in [
        (stored.createdAt, created),  # written by an insert
        (stored.expiresAt, created + timedelta(minutes=10)),
        (stored.closedAt, closed),  # written by an update ($set)
        (state.cursor, closed),
        (state.baselineAt, created),
    ]:
        assert isinstance(value, datetime)
        assert value.utcoffset() == timedelta(0)
        assert value == written


def test_audit_trail_in_order(store: Store) -> None:
    store.audit("b", now=T0 + timedelta(seconds=1), order_id="A", ip="1.2.3.4")
    store.audit("a", now=T0, order_id="A", details={"amountPaise": 5})
    store.audit("c", now=T0, order_id="other")
    trail = store.audit_trail("A")
    assert [(e.action, e.timestamp) for e in trail] == [("a", T0), ("b", T0 + timedelta(seconds=1))]
    assert trail[0].details == {"amountPaise": 5}
    assert AuditLog.objects.count() == 3


def test_sandbox_wallet_accumulates(store: Store) -> None:
    assert store.sandbox_balance() == 0
    assert store.sandbox_credit(101800, T0, "pays A") == 101800
    assert store.sandbox_credit(50, T0, "tip") == 101850
    assert store.sandbox_balance() == 101850


def test_nonce_service_issues_and_spends_once(store: Store, wall_clock: Clock) -> None:
    value = nonces.issue_nonce(
        store, ip="127.0.0.1", now=wall_clock(), lifetime=timedelta(minutes=5)
    )
    assert len(value) == 64 and int(value, 16) >= 0
    nonces.consume_nonce(store, value, now=wall_clock())
    for bad in [value, "", None, {"$gt": ""}, value.upper(), "a" * 63]:
        with pytest.raises(Unauthorized):
            nonces.consume_nonce(store, bad, now=wall_clock())
