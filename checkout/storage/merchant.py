"""What merchants integrate with: API keys, idempotency records, webhook endpoints and the outbox.

Every change here is one conditional update too: a key is revoked once, an
idempotency key is claimed by one request, a delivery is leased by one worker.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from mongoengine import (
    BooleanField,
    Document,
    IntField,
    ListField,
    StringField,
)
from mongoengine.errors import NotUniqueError
from mongoengine.queryset.visitor import Q
from pymongo.errors import DuplicateKeyError

from checkout.domain.vocabulary import DeliveryStatus
from checkout.storage import outbox_jobs
from checkout.storage.models import UTCDateTimeField
from checkout.storage.store import Store

_DUPLICATE = (NotUniqueError, DuplicateKeyError)


class ApiKey(Document):
    """Only a hash of the key is kept; the key itself is shown once."""

    meta = {
        "collection": "api_keys",
        "indexes": [{"fields": ["keyId"], "unique": True}, {"fields": ["hash"], "unique": True}],
    }

    keyId = StringField(required=True)
    name = StringField(required=True, max_length=100)
    mode = StringField(required=True)  # live | test
    prefix = StringField(required=True)  # first characters, to recognise a key in a list
    hash = StringField(required=True)  # sha256 hex of the whole key
    signingKey = StringField(required=True)  # HMAC key for redirects and form posts
    # all: the merchant API; evidence: only posting bank messages (a relay on a phone).
    scope = StringField(required=True, default="all")
    # Sent as ?token= in a relay's URL, never as a Bearer key (URLs end up in logs).
    urlToken = BooleanField(required=True, default=False)
    createdAt = UTCDateTimeField(required=True)
    revokedAt = UTCDateTimeField()
    lastUsedAt = UTCDateTimeField()


class IdempotencyRecord(Document):
    meta = {
        "collection": "idempotency_keys",
        "indexes": [
            {"fields": ["scope", "key"], "unique": True},
            {"fields": ["expiresAt"], "expireAfterSeconds": 0},
        ],
    }

    scope = StringField(required=True)  # caller + route: one key never answers another route
    key = StringField(required=True)
    requestHash = StringField(required=True)
    state = StringField(required=True, default="in-progress")  # in-progress | done
    statusCode = IntField()
    body = StringField()
    createdAt = UTCDateTimeField(required=True)
    expiresAt = UTCDateTimeField(required=True)


class WebhookEndpoint(Document):
    meta = {"collection": "webhook_endpoints", "indexes": ["active"]}

    endpointId = StringField(required=True, unique=True)
    url = StringField(required=True)
    secret = StringField(required=True)  # needed in clear to sign; shown once
    events = ListField(StringField())
    active = BooleanField(default=True)
    createdAt = UTCDateTimeField(required=True)
    deletedAt = UTCDateTimeField()


class WebhookDelivery(Document):
    meta = {
        "collection": "webhook_deliveries",
        "indexes": [
            {"fields": ["eventId", "endpointId"], "unique": True},
            ("status", "nextAttemptAt"),
            "-createdAt",
        ],
    }

    deliveryId = StringField(required=True, unique=True)
    eventId = StringField(required=True)
    endpointId = StringField(required=True)
    url = StringField(required=True)
    type = StringField(required=True)
    payload = StringField(required=True)  # the exact body, so every attempt sends the same bytes
    status = StringField(required=True, default=DeliveryStatus.PENDING)
    attempts = IntField(default=0)
    nextAttemptAt = UTCDateTimeField(required=True)
    leaseUntil = UTCDateTimeField()
    lastStatusCode = IntField()
    lastError = StringField()
    createdAt = UTCDateTimeField(required=True)
    deliveredAt = UTCDateTimeField()


MERCHANT_DOCUMENTS = (ApiKey, IdempotencyRecord, WebhookEndpoint, WebhookDelivery)


class MerchantStore:
    """Repository for the merchant-facing collections; shares the Store's lock and connection."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def ensure_indexes(self) -> None:
        for document in MERCHANT_DOCUMENTS:
            document.ensure_indexes()

    # -- API keys ------------------------------------------------------------------

    def add_key(self, key: ApiKey) -> ApiKey:
        key.save(force_insert=True)
        return key

    def key_by_hash(self, digest: str) -> ApiKey | None:
        return ApiKey.objects(hash=digest, revokedAt=None).first()

    def key_by_id(self, key_id: str) -> ApiKey | None:
        return ApiKey.objects(keyId=key_id).first()

    def api_keys(self) -> list[ApiKey]:
        return list(ApiKey.objects.order_by("createdAt"))

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        with self.store.atomic():
            return ApiKey.objects(keyId=key_id, revokedAt=None).update_one(set__revokedAt=now) == 1

    def touch_key(self, key_id: str, now: datetime) -> None:
        ApiKey.objects(keyId=key_id).update_one(set__lastUsedAt=now)

    # -- idempotency ---------------------------------------------------------------

    def claim_idempotency(
        self,
        scope: str,
        key: str,
        request_hash: str,
        now: datetime,
        ttl: timedelta,
        abandoned_after: timedelta = timedelta(minutes=2),
    ) -> IdempotencyRecord | None:
        """Insert the in-progress record; None means another request holds (or held) the key.

        An expired record is gone; so is one left in progress by a process that died
        (older than `abandoned_after`), so a crash does not block a key for a day.
        """
        with self.store.atomic():
            IdempotencyRecord.objects(scope=scope, key=key, expiresAt__lte=now).delete()
            IdempotencyRecord.objects(
                scope=scope, key=key, state="in-progress", createdAt__lte=now - abandoned_after
            ).delete()
            try:
                return IdempotencyRecord(
                    scope=scope,
                    key=key,
                    requestHash=request_hash,
                    createdAt=now,
                    expiresAt=now + ttl,
                ).save(force_insert=True)
            except _DUPLICATE:
                return None

    def idempotency_record(self, scope: str, key: str) -> IdempotencyRecord | None:
        return IdempotencyRecord.objects(scope=scope, key=key).first()

    def finish_idempotency(self, scope: str, key: str, status_code: int, body: str) -> None:
        IdempotencyRecord.objects(scope=scope, key=key, state="in-progress").update_one(
            set__state="done", set__statusCode=status_code, set__body=body
        )

    def release_idempotency(self, scope: str, key: str) -> None:
        """The request failed before answering: let the client retry with the same key."""
        IdempotencyRecord.objects(scope=scope, key=key, state="in-progress").delete()

    # -- webhook endpoints ---------------------------------------------------------

    def add_endpoint(self, endpoint: WebhookEndpoint) -> WebhookEndpoint:
        endpoint.save(force_insert=True)
        return endpoint

    def endpoints(self, *, active_only: bool = True) -> list[WebhookEndpoint]:
        query = WebhookEndpoint.objects(active=True) if active_only else WebhookEndpoint.objects
        return list(query.order_by("createdAt"))

    def endpoint(self, endpoint_id: str) -> WebhookEndpoint | None:
        return WebhookEndpoint.objects(endpointId=endpoint_id).first()

    def delete_endpoint(self, endpoint_id: str, now: datetime) -> bool:
        with self.store.atomic():
            updated = WebhookEndpoint.objects(endpointId=endpoint_id, active=True).update_one(
                set__active=False, set__deletedAt=now
            )
        return updated == 1

    # -- the outbox ----------------------------------------------------------------

    def add_delivery(self, delivery: WebhookDelivery) -> bool:
        """False when this event was already queued for this endpoint."""
        try:
            delivery.save(force_insert=True)
        except _DUPLICATE:
            return False
        return True

    def lease_due_delivery(self, now: datetime, lease: timedelta) -> WebhookDelivery | None:
        """Take one due delivery (checkout.storage.outbox_jobs)."""
        return outbox_jobs.lease_due(self.store, WebhookDelivery, now, lease)

    def settle_delivery(self, delivery_id: str, attempts: int, changes: dict[str, Any]) -> bool:
        """Record an attempt's outcome, only if no one took the delivery over meanwhile."""
        return outbox_jobs.settle(
            self.store, WebhookDelivery, attempts, changes, deliveryId=delivery_id
        )

    def retry_delivery(self, delivery_id: str, now: datetime) -> WebhookDelivery | None:
        with self.store.atomic():
            return WebhookDelivery.objects(
                deliveryId=delivery_id,
                status__in=[
                    DeliveryStatus.FAILED,
                    DeliveryStatus.PENDING,
                    DeliveryStatus.DELIVERED,
                ],
            ).modify(new=True, set__status=DeliveryStatus.PENDING, set__nextAttemptAt=now)

    def delivery(self, delivery_id: str) -> WebhookDelivery | None:
        return WebhookDelivery.objects(deliveryId=delivery_id).first()

    def deliveries(
        self,
        *,
        status: str | None = None,
        event_id: str | None = None,
        limit: int = 50,
    ) -> list[WebhookDelivery]:
        query = Q()
        if status:
            query &= Q(status=status)
        if event_id:
            query &= Q(eventId=event_id)
        return list(WebhookDelivery.objects(query).order_by("-createdAt").limit(limit))
