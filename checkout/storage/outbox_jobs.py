"""The two steps every outbox job takes (a webhook delivery, a receipt e-mail), kept once.

A job is a document with `status`, `attempts`, `nextAttemptAt` and `leaseUntil`. A sender
leases the next due one; a `sending` job whose lease ran out was a crash and is taken
over. The sender then settles the attempt it leased, and only that attempt: a settle
after someone else took the job over changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from mongoengine import Document
from mongoengine.queryset.visitor import Q

from checkout.domain.vocabulary import DeliveryStatus
from checkout.storage.store import Store

Job = TypeVar("Job", bound=Document)


def lease_due(store: Store, jobs: type[Job], now: datetime, lease: timedelta) -> Job | None:
    due = Q(status=DeliveryStatus.PENDING, nextAttemptAt__lte=now) | Q(
        status=DeliveryStatus.SENDING, leaseUntil__lte=now
    )
    with store.atomic():
        leased: Job | None = (
            jobs.objects(due)  # type: ignore[attr-defined]
            .order_by("nextAttemptAt")
            .modify(
                new=True,
                set__status=DeliveryStatus.SENDING,
                set__leaseUntil=now + lease,
                inc__attempts=1,
            )
        )
        return leased


def settle(
    store: Store, jobs: type[Document], attempts: int, changes: dict[str, Any], **job_key: str
) -> bool:
    updates = {f"set__{name}": value for name, value in changes.items()}
    with store.atomic():
        updated = jobs.objects(  # type: ignore[attr-defined]
            status=DeliveryStatus.SENDING, attempts=attempts, **job_key
        ).update_one(set__leaseUntil=None, **updates)
    return bool(updated == 1)
