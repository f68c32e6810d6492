"""A payment link's places for pending checkouts, on both stores: taken atomically,
given back when the checkout is over, expired, or was never stored."""

from __future__ import annotations

from datetime import timedelta

from checkout.domain.vocabulary import Status
from checkout.storage.links import CLAIM_IN_PROGRESS, LinkSlot, LinkStore
from checkout.storage.store import Store
from tests.conftest import Clock, race
from tests.integration.test_store import session

CAPACITY = 3
LINKS = LinkStore()


def _open(store: Store, clock: Clock, order_id: str, minutes: int = 10) -> bool:
    """Take a place and store the checkout that holds it, as open_link_checkout does."""
    expires = clock() + timedelta(minutes=minutes)
    if not LINKS.claim_link_slot("tea", CAPACITY, order_id, now=clock(), release_after=expires):
        return False
    store.insert_session(session(order_id, at=clock(), expiresAt=expires))
    return True


def test_places_run_out_and_say_when_the_first_frees(store: Store, wall_clock: Clock) -> None:
    assert [_open(store, wall_clock, f"ORD-{n}", minutes=10 + n) for n in range(4)] == [
        True,
        True,
        True,
        False,
    ]
    assert LINKS.link_slot_frees_at("tea", CAPACITY, now=wall_clock()) == wall_clock() + timedelta(
        minutes=10
    )
    # Another link has its own places.
    assert LINKS.claim_link_slot(
        "coffee", CAPACITY, "ORD-C", now=wall_clock(), release_after=wall_clock()
    )


def test_a_place_comes_back_when_its_checkout_is_over(store: Store, wall_clock: Clock) -> None:
    for n in range(CAPACITY):
        assert _open(store, wall_clock, f"ORD-{n}")
    assert not _open(store, wall_clock, "ORD-X")
    assert store.transition("ORD-1", Status.PENDING, Status.CANCELLED, {"closedAt": wall_clock()})
    assert _open(store, wall_clock, "ORD-X")
    assert not _open(store, wall_clock, "ORD-Y")
    assert {slot.orderId for slot in LinkSlot.objects(slug="tea")} == {"ORD-0", "ORD-2", "ORD-X"}


def test_places_free_up_when_their_checkouts_expire(store: Store, wall_clock: Clock) -> None:
    for n in range(CAPACITY):
        assert _open(store, wall_clock, f"ORD-{n}", minutes=5)
    wall_clock.advance(minutes=5)
    assert LINKS.link_slot_frees_at("tea", CAPACITY, now=wall_clock()) is None
    assert [_open(store, wall_clock, f"ORD-N{n}") for n in range(4)] == [True, True, True, False]


def test_an_open_in_progress_holds_its_place_for_a_while_only(
    store: Store, wall_clock: Clock
) -> None:
    """Claimed, but the process died before storing the checkout."""
    later = wall_clock() + timedelta(minutes=10)
    for n in range(CAPACITY):
        assert LINKS.claim_link_slot(
            "tea", CAPACITY, f"ORD-{n}", now=wall_clock(), release_after=later
        )
    assert not _open(store, wall_clock, "ORD-X")
    wall_clock.advance(seconds=CLAIM_IN_PROGRESS.total_seconds() + 1)
    assert _open(store, wall_clock, "ORD-X")


def test_a_released_place_is_free_at_once(store: Store, wall_clock: Clock) -> None:
    for n in range(CAPACITY):
        assert _open(store, wall_clock, f"ORD-{n}")
    LINKS.release_link_slot("tea", "ORD-2")
    LINKS.release_link_slot("tea", "ORD-NOT-THERE")
    assert _open(store, wall_clock, "ORD-X")
    assert not _open(store, wall_clock, "ORD-Y")


def test_racing_claims_take_each_place_once(store: Store, wall_clock: Clock) -> None:
    later = wall_clock() + timedelta(minutes=10)
    won = race(
        12,
        lambda n: LINKS.claim_link_slot(
            "tea", CAPACITY, f"ORD-{n}", now=wall_clock(), release_after=later
        ),
    )
    assert won.count(True) == CAPACITY
    assert LinkSlot.objects(slug="tea").count() == CAPACITY


def test_racing_claims_for_places_whose_checkouts_are_over(store: Store, wall_clock: Clock) -> None:
    for n in range(CAPACITY):
        assert _open(store, wall_clock, f"ORD-{n}")
        assert store.transition(
            f"ORD-{n}", Status.PENDING, Status.CANCELLED, {"closedAt": wall_clock()}
        )
    later = wall_clock() + timedelta(minutes=10)
    won = race(
        12,
        lambda n: LINKS.claim_link_slot(
            "tea", CAPACITY, f"ORD-R{n}", now=wall_clock(), release_after=later
        ),
    )
    assert won.count(True) == CAPACITY
    holders = {slot.orderId for slot in LinkSlot.objects(slug="tea")}
    assert len(holders) == CAPACITY and all(h.startswith("ORD-R") for h in holders)
