"""A checkout's states and the moves between them (DESIGN §4).

The store applies each move as one conditional update, so racing requests
complete a checkout at most once; this table is what those updates are
allowed to ask for. Time enters only as arguments, so the rules can be
tested without clocks.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Final

from checkout.domain.vocabulary import EventType, Status

__all__ = [
    "ALLOWED_TRANSITIONS",
    "TERMINAL",
    "can_transition",
    "effective_status",
    "payable_until",
    "sources_of",
]


TERMINAL: Final[frozenset[Status]] = frozenset({Status.COMPLETED, Status.EXPIRED, Status.CANCELLED})

# Expired and cancelled may still complete: the customer may have paid the
# exact amount just before the deadline or the cancel, and refusing that
# money would be worse than a late completion. Nothing returns to pending,
# so a closed checkout never reopens for new payments.
ALLOWED_TRANSITIONS: Final[Mapping[Status, frozenset[Status]]] = MappingProxyType(
    {
        Status.PENDING: frozenset({Status.COMPLETED, Status.EXPIRED, Status.CANCELLED}),
        Status.EXPIRED: frozenset({Status.COMPLETED}),
        Status.CANCELLED: frozenset({Status.COMPLETED}),
        Status.COMPLETED: frozenset(),
    }
)


def can_transition(source: Status, target: Status) -> bool:
    """Whether a conditional update from ``source`` to ``target`` may be attempted."""
    return target in ALLOWED_TRANSITIONS.get(source, frozenset())


def sources_of(target: Status) -> tuple[Status, ...]:
    """The states a checkout may enter ``target`` from, pending first.

    The store asks for each in turn, one exact state per conditional update.
    """
    return tuple(source for source in Status if can_transition(source, target))


def effective_status(status: Status, expires_at: datetime, now: datetime) -> Status:
    """The status a reader should see.

    The ticker stores expiry only every few seconds (and not at all while
    no ticker runs), so reads apply it too; ``expires_at`` is the first
    instant at which the checkout counts as expired.
    """
    _require_aware(expires_at=expires_at, now=now)
    if status == Status.PENDING and now >= expires_at:
        return Status.EXPIRED
    return status


def payable_until(
    status: Status, expires_at: datetime, closed_at: datetime | None, grace: timedelta
) -> datetime | None:
    """Until when a credit may still be attributed to this checkout (exclusive).

    Its amount stays reserved until then, so no new checkout can take the
    same amount while a late payment for this one may still arrive. A
    checkout closed before its deadline (cancelled) gets its grace from
    the moment it closed; without a recorded close time, from its deadline.
    """
    _require_aware(expires_at=expires_at, closed_at=closed_at)
    if grace < timedelta(0):
        raise ValueError("grace must not be negative")
    if status == Status.COMPLETED:
        return None
    if status == Status.PENDING:
        return expires_at + grace
    return (closed_at or expires_at) + grace


def _require_aware(**moments: datetime | None) -> None:
    # Naive datetimes (e.g. from a Mongo client without tz_aware=True) would
    # compare as if they were local time, or not compare at all.
    for name, moment in moments.items():
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")


def event_for(status: Status) -> EventType:
    """The webhook event a change into `status` owes (`checkout.completed`, …)."""
    if status not in TERMINAL:
        raise ValueError(f"no event is owed for entering {status.value}")
    return EventType(f"checkout.{status.value}")


CHECKOUT_EVENTS: frozenset[EventType] = frozenset(event_for(status) for status in TERMINAL)
