"""The transition table is what the store's conditional updates may ask for."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from checkout.domain.lifecycle import (
    ALLOWED_TRANSITIONS,
    TERMINAL,
    can_transition,
    effective_status,
    payable_until,
    sources_of,
)
from checkout.domain.vocabulary import Status

P, C, E, X = Status.PENDING, Status.COMPLETED, Status.EXPIRED, Status.CANCELLED
EXPECTED_ALLOWED = {(P, C), (P, E), (P, X), (E, C), (X, C)}

T0 = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=60)


def test_status_values_match_the_seed_api() -> None:
    assert [status.value for status in Status] == ["pending", "completed", "expired", "cancelled"]
    assert Status("pending") is Status.PENDING
    assert f"{Status.CANCELLED}" == "cancelled"


def test_terminal_states() -> None:
    assert frozenset({C, E, X}) == TERMINAL
    assert P not in TERMINAL


@pytest.mark.parametrize("source", list(Status))
@pytest.mark.parametrize("target", list(Status))
def test_transition_table(source: Status, target: Status) -> None:
    assert can_transition(source, target) is ((source, target) in EXPECTED_ALLOWED)


def test_nothing_goes_back_to_pending_and_completed_is_final() -> None:
    assert all(P not in targets for targets in ALLOWED_TRANSITIONS.values())
    assert ALLOWED_TRANSITIONS[C] == frozenset()
    assert set(ALLOWED_TRANSITIONS) == set(Status)


def test_table_is_read_only() -> None:
    with pytest.raises(TypeError):
        ALLOWED_TRANSITIONS[C] = frozenset({P})  # type: ignore[index]


@pytest.mark.parametrize(
    ("status", "now", "expected"),
    [
        (P, T0 - timedelta(seconds=1), P),
        (P, T0, E),
        (P, T0 + timedelta(days=1), E),
        (C, T0 + timedelta(days=1), C),
        (X, T0 + timedelta(days=1), X),
        (E, T0 - timedelta(minutes=5), E),
        (C, T0 - timedelta(minutes=5), C),
    ],
)
def test_effective_status(status: Status, now: datetime, expected: Status) -> None:
    assert effective_status(status, T0, now) is expected


def test_effective_status_compares_instants_not_wall_clocks() -> None:
    india = timezone(timedelta(hours=5, minutes=30))
    assert effective_status(P, T0, datetime(2025, 1, 1, 17, 29, tzinfo=india)) is P
    assert effective_status(P, T0, datetime(2025, 1, 1, 17, 30, tzinfo=india)) is E


def test_naive_datetimes_are_refused() -> None:
    naive = datetime(2025, 1, 1, 12, 0)
    with pytest.raises(ValueError, match="timezone-aware"):
        effective_status(P, naive, T0)
    with pytest.raises(ValueError, match="timezone-aware"):
        payable_until(X, T0, naive, GRACE)


CLOSED = T0 - timedelta(minutes=10)


@pytest.mark.parametrize(
    ("status", "closed_at", "expected"),
    [
        (P, None, T0 + GRACE),
        (P, CLOSED, T0 + GRACE),
        (E, None, T0 + GRACE),
        (E, T0 + timedelta(minutes=2), T0 + timedelta(minutes=2) + GRACE),
        (X, CLOSED, CLOSED + GRACE),
        (X, None, T0 + GRACE),
        (C, None, None),
        (C, CLOSED, None),
    ],
)
def test_payable_until(status: Status, closed_at: datetime | None, expected: datetime) -> None:
    assert payable_until(status, T0, closed_at, GRACE) == expected


def test_negative_grace_is_refused() -> None:
    with pytest.raises(ValueError, match="grace"):
        payable_until(P, T0, None, -GRACE)


def test_sources_of_follow_the_table() -> None:
    assert sources_of(C) == (P, E, X)  # pending first: the store asks for it first
    assert sources_of(E) == (P,) and sources_of(X) == (P,)
    assert sources_of(P) == ()
