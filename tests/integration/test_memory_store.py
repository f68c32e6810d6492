"""The in-memory store under concurrent readers and writers, as the embedded default runs it.

mongomock updates a stored document in place and copies documents lazily while
a query is read, so a read racing a write died with "dictionary changed size
during iteration" (a 500 in the embedded gateway, a flaky suite). Every access,
reads and cursor iteration included, goes through one lock.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from checkout.domain.vocabulary import Status
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store
from tests.conftest import Clock

MEMORY = "mongomock://localhost"
ROUNDS = 6
SESSIONS_PER_ROUND = 100
READERS = 3
WRITERS = 2


@pytest.fixture
def busy_scheduler() -> Iterator[None]:
    """Threads take turns every 50 µs instead of 5 ms, so a race shows up in a few rounds."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(0.00005)
    yield
    sys.setswitchinterval(previous)


def _open_sessions(store: Store, round_number: int, now: datetime) -> list[str]:
    order_ids = [f"ORD-HAMMER-{round_number}-{index:03d}" for index in range(SESSIONS_PER_ROUND)]
    for index, order_id in enumerate(order_ids):
        store.insert_session(
            PaymentSession(
                orderId=order_id,
                token=f"hammer-token-{round_number}-{index:03d}",
                totalAmountPaise=10_000 + index,
                amountPaise=10_000 + index,
                createdAt=now,
                expiresAt=now + timedelta(minutes=10),
                payableUntil=now + timedelta(minutes=70),
            )
        )
    return order_ids


@pytest.mark.parametrize("mongodb_uri", [MEMORY])
def test_reads_racing_writes_on_the_in_memory_store_never_fail(
    store: Store, wall_clock: Clock, busy_scheduler: None
) -> None:
    """Status reads and listings while checkouts complete: each completion adds fields."""
    now = wall_clock()
    failures: list[BaseException] = []
    reads = 0
    for round_number in range(ROUNDS):
        order_ids = _open_sessions(store, round_number, now)
        writing = threading.Event()
        writing.set()

        def write(offset: int, order_ids: list[str] = order_ids) -> None:
            try:
                for order_id in order_ids[offset::WRITERS]:
                    store.transition(
                        order_id,
                        Status.PENDING,
                        Status.COMPLETED,
                        {
                            "completedAt": now,
                            "closedAt": now,
                            "initialBalancePaise": 0,
                            "finalBalancePaise": 10_000,
                            "ip": "203.0.113.9",
                            "keyId": "hammer",
                        },
                    )
            except BaseException as exc:  # any failure in any thread fails the test
                failures.append(exc)

        def read(writing: threading.Event = writing, order_ids: list[str] = order_ids) -> None:
            nonlocal reads
            try:
                while writing.is_set():
                    # Copies exactly the documents the writers are changing.
                    store.list_sessions(status="pending", limit=SESSIONS_PER_ROUND)
                    assert store.session_by_order_id(order_ids[-1]) is not None
                    reads += 1
            except BaseException as exc:  # any failure in any thread fails the test
                failures.append(exc)

        writers = [threading.Thread(target=write, args=(offset,)) for offset in range(WRITERS)]
        readers = [threading.Thread(target=read) for _ in range(READERS)]
        for thread in readers + writers:
            thread.start()
        for thread in writers:
            thread.join()
        writing.clear()
        for thread in readers:
            thread.join()
        assert not failures, f"round {round_number}: {[repr(failure) for failure in failures]}"
        assert PaymentSession.objects(status="completed").count() == (
            (round_number + 1) * SESSIONS_PER_ROUND
        )
    assert reads > ROUNDS  # the readers really ran alongside the writers
