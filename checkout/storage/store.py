"""Repository over MongoDB: every state change is one conditional update.

Services hold the rules; this module only knows how to ask MongoDB for one
atomic step each. The in-memory store (mongomock) does a find and an update
in two Python steps, so there every write runs under one lock to give the
same all-or-nothing behaviour a real server gives.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mongoengine import connect, disconnect
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError, PyMongoError

from checkout.config import MEMORY_SCHEME
from checkout.domain.lifecycle import CHECKOUT_EVENTS, can_transition, event_for
from checkout.domain.vocabulary import EventType, Status
from checkout.storage.known_debits import KnownDebit
from checkout.storage.ledger import WalletLedger
from checkout.storage.memory import STORE_LOCK, LockingMongoClient
from checkout.storage.models import (
    ALL_DOCUMENTS,
    AmountReservation,
    AuditLog,
    Nonce,
    Order,
    PaymentSession,
    UTCDateTimeField,
    WalletCredit,
    newest_first,
)

ALIAS = "default"


# What the review queue shows of a checkout a credit could pay.
CANDIDATE_FIELDS = (
    "orderId",
    "amountPaise",
    "totalAmountPaise",
    "createdAt",
    "status",
    "payableUntil",
)


class StoreError(RuntimeError):
    """The store could not be reached or refused an operation."""


class DuplicateOrderId(ValueError):
    """A session with this orderId exists already."""


_DUPLICATE = (NotUniqueError, DuplicateKeyError)
_AS_UTC = UTCDateTimeField()
_STATUS_FIELDS = {"_id": 0, "orderId": 1, "status": 1, "expiresAt": 1, "source": 1}


@dataclass(frozen=True)
class StatusView:
    """What a status poll needs of a checkout (Store.status_view)."""

    orderId: str
    status: str
    expiresAt: datetime
    source: str | None


class Store(WalletLedger):
    """The one object through which services read and change stored state."""

    def __init__(self, uri: str, db_name: str) -> None:
        self.uri = uri
        self.db_name = db_name
        self.in_memory = uri.startswith(MEMORY_SCHEME)
        self._lock: contextlib.AbstractContextManager[Any]
        # In memory, the one lock every mongomock call takes also makes each find-then-update
        # one step; MongoDB makes each conditional update atomic by itself.
        self._lock = STORE_LOCK if self.in_memory else contextlib.nullcontext()
        disconnect(ALIAS)
        if self.in_memory:
            connect(
                db=db_name,
                alias=ALIAS,
                host="mongodb://localhost",
                mongo_client_class=LockingMongoClient,
                tz_aware=True,
                uuidRepresentation="standard",
            )
        else:
            connect(
                db=db_name,
                alias=ALIAS,
                host=uri,
                tz_aware=True,
                uuidRepresentation="standard",
                serverSelectionTimeoutMS=5000,
                connectTimeoutMS=5000,
            )

    # -- lifecycle -----------------------------------------------------------------

    def ensure_indexes(self) -> None:
        for document in (*ALL_DOCUMENTS, KnownDebit):
            document.ensure_indexes()

    def ping(self) -> None:
        try:
            PaymentSession._get_db().command("ping")
        except PyMongoError as exc:
            raise StoreError(str(exc)) from exc

    def drop_everything(self) -> None:
        """Tests and the bench start from an empty store."""
        for document in (*ALL_DOCUMENTS, KnownDebit):
            document.drop_collection()
        self.ensure_indexes()

    @contextlib.contextmanager
    def atomic(self) -> Iterator[None]:
        with self._lock:
            yield

    # -- nonces --------------------------------------------------------------------

    def add_nonce(self, value: str, ip: str, now: datetime, expires_at: datetime) -> None:
        Nonce(nonce=value, ip=ip, createdAt=now, expiresAt=expires_at).save(force_insert=True)

    def nonce_is_live(self, value: str, now: datetime) -> bool:
        return Nonce.objects(nonce=value, used=False, expiresAt__gt=now).first() is not None

    def consume_nonce(self, value: str, now: datetime) -> bool:
        with self._lock:
            updated = Nonce.objects(nonce=value, used=False, expiresAt__gt=now).update_one(
                set__used=True, set__usedAt=now
            )
        return updated == 1

    # -- amounts -------------------------------------------------------------------

    def reserve_amount(
        self, candidates: Iterable[int], order_id: str, release_after: datetime, now: datetime
    ) -> int | None:
        """Claim the first free amount; the unique index settles races."""
        with self._lock:
            AmountReservation.objects(releaseAfter__lte=now).delete()
            candidates = list(candidates)
            taken = {r.paise for r in AmountReservation.objects(paise__in=candidates).only("paise")}
            for paise in candidates:
                if paise in taken:
                    continue
                try:
                    AmountReservation(
                        paise=paise, orderId=order_id, releaseAfter=release_after
                    ).save(force_insert=True)
                except _DUPLICATE:
                    continue
                return paise
        return None

    def reserved_amounts(self, low: int, high: int, *, now: datetime) -> list[int]:
        """Amounts held between ``low`` and ``high`` (inclusive) that are still reserved."""
        with self._lock:
            held = AmountReservation.objects(
                paise__gte=low, paise__lte=high, releaseAfter__gt=now
            ).only("paise")
            return [reservation.paise for reservation in held]

    def earliest_release(self, low: int, high: int, *, now: datetime) -> datetime | None:
        """When the first amount between ``low`` and ``high`` frees up, if any is held."""
        with self._lock:
            first = (
                AmountReservation.objects(paise__gte=low, paise__lte=high, releaseAfter__gt=now)
                .order_by("releaseAfter")
                .only("releaseAfter")
                .first()
            )
        return first.releaseAfter if first else None

    def release_amount(self, order_id: str, paise: int | None = None) -> None:
        """Free an order's reservations, or only the one for ``paise``.

        A create that loses an orderId race frees just the amount it reserved:
        the winner, with the same orderId, keeps its own.
        """
        query = {"orderId": order_id} if paise is None else {"orderId": order_id, "paise": paise}
        AmountReservation.objects(**query).delete()

    def shorten_reservation(self, order_id: str, release_after: datetime) -> None:
        AmountReservation.objects(orderId=order_id, releaseAfter__gt=release_after).update(
            set__releaseAfter=release_after
        )

    # -- sessions ------------------------------------------------------------------

    def insert_session(self, session: PaymentSession) -> PaymentSession:
        try:
            with self._lock:
                session.save(force_insert=True)
        except _DUPLICATE as exc:
            raise DuplicateOrderId(session.orderId) from exc
        return session

    def order_id_taken(self, order_id: str) -> bool:
        return PaymentSession.objects(orderId=order_id).only("id").first() is not None

    def session_by_order_id(self, order_id: str) -> PaymentSession | None:
        return PaymentSession.objects(orderId=order_id).first()

    def status_view(
        self, *, order_id: str | None = None, token: str | None = None
    ) -> StatusView | None:
        """What a status poll reads, by orderId or by hosted-page token, without building a
        whole document: polls are most of the traffic, and hydrating a document costs more
        than the rest of such a request."""
        query = {"orderId": order_id} if order_id is not None else {"token": token}
        found = PaymentSession._get_collection().find_one(query, _STATUS_FIELDS)
        if found is None:
            return None
        return StatusView(
            orderId=found["orderId"],
            status=found["status"],
            expiresAt=_AS_UTC.to_python(found["expiresAt"]),
            source=found.get("source"),
        )

    def session_by_token(self, token: str) -> PaymentSession | None:
        return PaymentSession.objects(token=token).first()

    def session_by_id(self, session_id: str) -> PaymentSession | None:
        return PaymentSession.objects(id=session_id).first()

    def transition(
        self,
        order_id: str,
        source: Status,
        target: Status,
        changes: dict[str, Any],
        conditions: dict[str, Any] | None = None,
    ) -> PaymentSession | None:
        """Move one session from ``source`` to ``target`` if it is still in ``source``.

        Only moves the lifecycle allows are asked for. One exact source state per
        update: nx-27017 (the test server) mis-evaluates `$in` beside a date
        comparison on a field an earlier update wrote, so callers try each source in
        turn (`lifecycle.sources_of`). The same update records the webhook event the
        change owes (the outbox), so no crash can separate a change from its event.
        """
        if not can_transition(source, target):
            raise ValueError(f"a checkout cannot move from {source} to {target}")
        updates = {f"set__{name}": value for name, value in changes.items()}
        updates["push__pendingEvents"] = event_for(target)
        with self._lock:
            return PaymentSession.objects(
                orderId=order_id, status=source, **(conditions or {})
            ).modify(new=True, set__status=target, **updates)

    def overdue_pending(self, now: datetime, limit: int = 500) -> list[PaymentSession]:
        return list(PaymentSession.objects(status=Status.PENDING, expiresAt__lte=now).limit(limit))

    def payable_sessions(self, now: datetime) -> list[PaymentSession]:
        """Sessions money may still be attributed to (pending, or inside the grace window)."""
        return list(
            PaymentSession.objects(payableUntil__gt=now).only(
                "orderId", "amountPaise", "createdAt", "status", "expiresAt"
            )
        )

    def payable_asking(
        self, paise: int, *, now: datetime, opened_after: datetime, opened_before: datetime
    ) -> list[PaymentSession]:
        """Payable sessions opened in the window whose amount, or requested amount, is `paise`.

        Two plain queries rather than one `$or`: nx-27017 mishandles operators beside a
        date comparison on a `$set`-written field (payableUntil).
        """
        found: dict[str, PaymentSession] = {}
        for field in ("amountPaise", "totalAmountPaise"):
            query = PaymentSession.objects(
                payableUntil__gt=now,
                createdAt__gt=opened_after,
                createdAt__lt=opened_before,
                **{field: paise},
            )
            for session in query.only(*CANDIDATE_FIELDS).limit(100):
                found.setdefault(session.orderId, session)
        return list(found.values())

    def recently_paid(self, paise: int, *, since: datetime) -> bool:
        """Whether a checkout of exactly this amount completed after ``since``."""
        return (
            PaymentSession.objects(
                status=Status.COMPLETED, amountPaise=paise, completedAt__gt=since
            )
            .only("id")
            .first()
            is not None
        )

    def any_payable(self, now: datetime) -> bool:
        return PaymentSession.objects(payableUntil__gt=now).only("id").first() is not None

    def list_sessions(
        self,
        *,
        status: str | None = None,
        order_id: str | None = None,
        created_after: datetime | None = None,
        before: tuple[datetime, str] | None = None,
        limit: int = 20,
    ) -> list[PaymentSession]:
        filters = {"status": status, "orderId": order_id, "createdAt__gt": created_after}
        return newest_first(PaymentSession, filters, field="createdAt", before=before, limit=limit)

    # -- orders and audit ----------------------------------------------------------

    def insert_order(self, order: Order) -> bool:
        try:
            with self._lock:
                order.save(force_insert=True)
        except _DUPLICATE:
            return False
        return True

    def sessions_owing_orders(self, limit: int = 100) -> list[PaymentSession]:
        with self._lock:
            return list(PaymentSession.objects(orderPending=True).limit(limit))

    def order_written(self, order_id: str) -> None:
        with self._lock:
            PaymentSession.objects(orderId=order_id, orderPending=True).update_one(
                set__orderPending=False
            )

    def order_by_order_id(self, order_id: str) -> Order | None:
        return Order.objects(orderId=order_id).first()

    def audit(
        self,
        action: str,
        *,
        now: datetime,
        order_id: str | None = None,
        ip: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        AuditLog(action=action, orderId=order_id, ip=ip, timestamp=now, details=details or {}).save(
            force_insert=True
        )

    def audit_trail(self, order_id: str) -> list[AuditLog]:
        return list(AuditLog.objects(orderId=order_id).order_by("timestamp"))

    # -- the outbox: events owed by state changes ----------------------------------

    def sessions_owing_events(self, limit: int = 100) -> list[PaymentSession]:
        # `$in` over the known types rather than "non-empty list": nx-27017 (the test
        # server) cannot evaluate `pendingEvents.0 $exists`.
        owed = sorted({*CHECKOUT_EVENTS, EventType.CHECKOUT_REFUNDED})
        return list(PaymentSession.objects(pendingEvents__in=owed).limit(limit))

    def credits_owing_events(self, limit: int = 100) -> list[WalletCredit]:
        return list(WalletCredit.objects(pendingEvent__ne=None).limit(limit))

    def session_event_queued(self, session: PaymentSession, event: str) -> None:
        """Clear one debt; events owed by later changes stay owed."""
        with self._lock:
            PaymentSession.objects(id=session.id, pendingEvents=event).update_one(
                pull__pendingEvents=event
            )

    def credit_event_queued(self, credit: WalletCredit, event: str) -> None:
        WalletCredit.objects(id=credit.id, pendingEvent=event).update_one(set__pendingEvent=None)
