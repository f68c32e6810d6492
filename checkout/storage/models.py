"""The documents MongoDB keeps: collection names follow the seed (DESIGN §8).

Amounts are stored as integer paise (`...Paise` fields) so no float ever
holds money; the API turns them into rupees at the edge.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    StringField,
)
from mongoengine.queryset.visitor import Q

from checkout.domain.vocabulary import CreditKind, CreditState, Outcome, Status


class UTCDateTimeField(DateTimeField):
    """A datetime that always reads back as an aware UTC datetime.

    MongoDB keeps UTC milliseconds and pymongo (tz_aware=True) hands them back
    aware. Not every server that speaks the wire protocol does: nx-27017 (the
    SQLite-backed test server) keeps a datetime written by `$set` as the text
    ``2026-11-26 10:00:00.123000`` and returns that string; a client without
    tz_aware returns naive datetimes. Both are read here as the UTC moment they
    were written as, so services never compare a string or a naive datetime
    with an aware one (a TypeError in a tick, an AttributeError in /health).
    """

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.strip())
            except ValueError:
                return value
        if isinstance(value, datetime):
            if value.tzinfo is None:
                return value.replace(tzinfo=UTC)
            return value.astimezone(UTC)
        return value


class PaymentSession(Document):
    meta = {
        "collection": "payment_sessions",
        "indexes": [
            {"fields": ["orderId"], "unique": True},
            {"fields": ["token"], "unique": True},
            "status",
            "createdAt",
            "completedAt",  # the console's takings: completions in a local period
            "expiresAt",
            "payableUntil",
            "pendingEvents",
            "orderPending",
        ],
    }

    orderId = StringField(required=True, max_length=64)
    token = StringField(required=True)
    status = StringField(required=True, default=Status.PENDING)
    source = StringField(default="seed")  # seed | v1 | link
    productDetails = DictField()
    deliveryDetails = DictField()
    email = StringField()
    couponCode = StringField()
    description = StringField()
    customer = DictField()
    metadata = DictField()
    returnUrl = StringField()
    cancelUrl = StringField()
    basePricePaise = IntField()
    taxPaise = IntField()
    totalAmountPaise = IntField(required=True)  # what the merchant asked for
    amountPaise = IntField(required=True)  # what the customer must pay (may carry a suffix)
    amountPaidPaise = IntField()  # set when the evidence paid another amount (a UTR claim)
    initialBalancePaise = IntField()
    finalBalancePaise = IntField()
    late = BooleanField(default=False)
    creditKeys = ListField(StringField())
    ip = StringField()
    keyId = StringField()  # the API key that created it (signs its redirect)
    # Outbox: the webhook event this state change owes, set in the same update as the
    # change itself, so a crash before the webhook is queued loses nothing.
    pendingEvents = ListField(StringField())
    # Set by the completing update and cleared once the order is written: a crash in
    # between leaves a debt that every tick (idle too) repays, so each completed
    # checkout ends with exactly one order.
    orderPending = BooleanField(default=False)
    createdAt = UTCDateTimeField(required=True)
    expiresAt = UTCDateTimeField(required=True)
    closedAt = UTCDateTimeField()
    completedAt = UTCDateTimeField()
    payableUntil = UTCDateTimeField()  # null once completed: nothing more can be attributed
    # Refunds the merchant recorded (checkout.storage.refunds): unset until the first, so
    # the conditional update can match "no refund yet" on documents older than the field.
    refundedAmountPaise = IntField()
    refunds = ListField(DictField())
    piiErasedAt = UTCDateTimeField()  # personal fields erased (retention, or on request)


class Order(Document):
    meta = {
        "collection": "orders",
        "indexes": [{"fields": ["orderId"], "unique": True}, "createdAt"],
    }

    orderId = StringField(required=True)
    productDetails = DictField()
    deliveryDetails = DictField()
    email = StringField()
    totalAmountPaise = IntField(required=True)
    amountPaidPaise = IntField(required=True)
    status = StringField(default="confirmed")
    paymentMethod = StringField(default="UPI")
    late = BooleanField(default=False)
    creditKeys = ListField(StringField())
    createdAt = UTCDateTimeField(required=True)
    piiErasedAt = UTCDateTimeField()  # personal fields erased (retention, or on request)


class Nonce(Document):
    meta = {
        "collection": "nonces",
        "indexes": [
            {"fields": ["nonce"], "unique": True},
            {"fields": ["expiresAt"], "expireAfterSeconds": 0},
            "used",
        ],
    }

    nonce = StringField(required=True)
    used = BooleanField(default=False)
    ip = StringField()
    createdAt = UTCDateTimeField(required=True)
    expiresAt = UTCDateTimeField(required=True)
    usedAt = UTCDateTimeField()


class AuditLog(Document):
    meta = {"collection": "logs", "indexes": ["orderId", "timestamp"]}

    action = StringField(required=True)
    orderId = StringField()
    ip = StringField()
    timestamp = UTCDateTimeField(required=True)
    details = DictField()
    piiErasedAt = UTCDateTimeField()  # personal fields erased (retention, or on request)


class AmountReservation(Document):
    """One row per payable amount: the unique index is what makes amounts distinct."""

    meta = {
        "collection": "amount_reservations",
        "indexes": [{"fields": ["paise"], "unique": True}, "releaseAfter"],
    }

    paise = IntField(required=True)
    orderId = StringField(required=True)
    releaseAfter = UTCDateTimeField(required=True)


class WalletCredit(Document):
    """The ledger: every observed credit, stored once before it is attributed."""

    meta = {
        "collection": "wallet_credits",
        "indexes": [
            {"fields": ["key"], "unique": True},
            "observedAt",
            "outcome",
            "state",
            "kind",
            "rrn",
            "textHash",
        ],
    }

    key = StringField(required=True)
    provider = StringField(required=True)  # who saw it: the wallet's name, "sms" or "email"
    # payment: one payment (a history item); balance: a rise between two reads;
    # debit: a fall, kept so that a rise equal to it reads as its reversal.
    kind = StringField(default=CreditKind.PAYMENT)
    amountPaise = IntField(required=True)
    occurredAt = UTCDateTimeField()
    # A balance rise happened after this read (the previous one) and by observedAt.
    windowStart = UTCDateTimeField()
    observedAt = UTCDateTimeField(required=True)
    balanceAfterPaise = IntField()
    outcome = StringField(default=Outcome.NEW)  # vocabulary.Outcome
    # new → attributing (decision written, completions under way) → attributed, or
    # new → unattributed; debits: open → reversed. The decision is written before any
    # checkout completes, so a restart resumes it and never matches the credit again.
    state = StringField(default=CreditState.NEW)
    orderIds = ListField(StringField())
    pendingEvent = StringField()  # credit.unattributed, until the outbox has queued it
    # What a bank message said (SMS, e-mail): the key is "rrn:<rrn>" when it has one,
    # so an SMS and an e-mail for one payment make one credit.
    rrn = StringField()
    bank = StringField()
    payer = StringField()
    rawText = StringField()  # kept for the merchant to read
    textHash = StringField()
    relay = StringField()
    dismissReason = StringField()
    piiErasedAt = UTCDateTimeField()  # personal fields erased (retention, or on request)


class WalletState(Document):
    """Per-wallet lease, baseline and health: shared by every process."""

    meta = {"collection": "wallet_state"}

    id = StringField(primary_key=True)
    leaseOwner = StringField()
    leaseUntil = UTCDateTimeField()
    nextTickAt = UTCDateTimeField()
    lastTickAt = UTCDateTimeField()
    baselinePaise = IntField()
    baselineAt = UTCDateTimeField()
    cursor = UTCDateTimeField()
    syntheticSeq = IntField(default=0)
    lastOkAt = UTCDateTimeField()
    lastError = StringField()
    lastErrorReason = StringField()
    lastErrorAt = UTCDateTimeField()
    consecutiveFailures = IntField(default=0)


class SandboxWallet(Document):
    meta = {"collection": "sandbox_wallets"}

    id = StringField(primary_key=True)
    balancePaise = IntField(default=0)
    history = ListField(DictField())


def newest_first(
    document: type[Document],
    filters: dict[str, Any],
    *,
    field: str,
    before: tuple[datetime, str] | None,
    limit: int,
) -> list[Any]:
    """One page, newest first, after a (time, id) cursor: the listings' one paging rule.

    ``filters`` with a None value are left out, so callers pass every filter they take.
    """
    query = Q(**{name: value for name, value in filters.items() if value is not None})
    if before:
        moment, ident = before
        query &= Q(**{f"{field}__lt": moment}) | Q(**{field: moment, "id__lt": ident})
    return list(document.objects(query).order_by(f"-{field}", "-id").limit(limit))


ALL_DOCUMENTS: tuple[type[Document], ...] = (
    PaymentSession,
    Order,
    Nonce,
    AuditLog,
    AmountReservation,
    WalletCredit,
    WalletState,
    SandboxWallet,
)
