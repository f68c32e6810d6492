"""The mail outbox: one stored job per message, leased and retried like a webhook delivery.

A job is keyed by what it is about ("receipt:<orderId>"), so queueing it twice (a
completion seen again after a crash) keeps one job. The address and the message are
kept only until the job is settled: after that the job holds no personal data.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mongoengine import Document, IntField, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from checkout.domain.vocabulary import DeliveryStatus
from checkout.storage import outbox_jobs
from checkout.storage.models import UTCDateTimeField
from checkout.storage.store import Store

_DUPLICATE = (NotUniqueError, DuplicateKeyError)


class MailJob(Document):
    meta = {
        "collection": "mail_outbox",
        "indexes": [{"fields": ["key"], "unique": True}, ("status", "nextAttemptAt")],
    }

    key = StringField(required=True)  # what it is about: "receipt:<orderId>"
    orderId = StringField(required=True)
    recipient = StringField()  # erased once settled
    message = StringField()  # the whole RFC 5322 message, so every attempt sends the same
    status = StringField(required=True, default=DeliveryStatus.PENDING)
    attempts = IntField(default=0)
    nextAttemptAt = UTCDateTimeField(required=True)
    leaseUntil = UTCDateTimeField()
    lastError = StringField()
    createdAt = UTCDateTimeField(required=True)
    sentAt = UTCDateTimeField()


class MailStore:
    """Repository for the mail outbox; every change one conditional update."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def ensure_indexes(self) -> None:
        MailJob.ensure_indexes()

    def add_job(self, job: MailJob) -> bool:
        """False when a job with this key exists already (queued once per subject)."""
        try:
            job.save(force_insert=True)
        except _DUPLICATE:
            return False
        return True

    def job(self, key: str) -> MailJob | None:
        return MailJob.objects(key=key).first()

    def lease_due_job(self, now: datetime, lease: timedelta) -> MailJob | None:
        """Take one due job (checkout.storage.outbox_jobs)."""
        return outbox_jobs.lease_due(self.store, MailJob, now, lease)

    def settle_job(self, key: str, attempts: int, changes: dict[str, Any]) -> bool:
        """Record an attempt's outcome, only if no one took the job over meanwhile."""
        if changes.get("status") in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
            changes = {**changes, "recipient": None, "message": None}
        return outbox_jobs.settle(self.store, MailJob, attempts, changes, key=key)
