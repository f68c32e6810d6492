"""The documents MongoDB keeps: collection names follow the seed (DESIGN §8).

Amounts are stored as integer paise (`...Paise` fields) so no float ever
holds money; the API turns them into rupees at the edge.
"""

from __future__ import annotations

from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    Document,
    IntField,
    ListField,
    StringField,
)


class PaymentSession(Document):
    meta = {
        "collection": "payment_sessions",
        "indexes": [
            {"fields": ["orderId"], "unique": True},
            {"fields": ["token"], "unique": True},
            "status",
            "createdAt",
            "expiresAt",
            "payableUntil",
        ],
    }

    orderId = StringField(required=True, max_length=64)
    token = StringField(required=True)
    status = StringField(required=True, default="pending")
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
    initialBalancePaise = IntField()
    finalBalancePaise = IntField()
    late = BooleanField(default=False)
    creditKeys = ListField(StringField())
    ip = StringField()
    createdAt = DateTimeField(required=True)
    expiresAt = DateTimeField(required=True)
    closedAt = DateTimeField()
    completedAt = DateTimeField()
    payableUntil = DateTimeField()  # null once completed: nothing more can be attributed


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
    createdAt = DateTimeField(required=True)


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
    createdAt = DateTimeField(required=True)
    expiresAt = DateTimeField(required=True)
    usedAt = DateTimeField()


class AuditLog(Document):
    meta = {"collection": "logs", "indexes": ["orderId", "timestamp"]}

    action = StringField(required=True)
    orderId = StringField()
    ip = StringField()
    timestamp = DateTimeField(required=True)
    details = DictField()


class AmountReservation(Document):
    """One row per payable amount: the unique index is what makes amounts distinct."""

    meta = {
        "collection": "amount_reservations",
        "indexes": [{"fields": ["paise"], "unique": True}, "releaseAfter"],
    }

    paise = IntField(required=True)
    orderId = StringField(required=True)
    releaseAfter = DateTimeField(required=True)


class WalletCredit(Document):
    """The ledger: every observed credit, stored once before it is attributed."""

    meta = {
        "collection": "wallet_credits",
        "indexes": [{"fields": ["key"], "unique": True}, "observedAt", "outcome"],
    }

    key = StringField(required=True)
    provider = StringField(required=True)
    amountPaise = IntField(required=True)
    occurredAt = DateTimeField()
    observedAt = DateTimeField(required=True)
    balanceAfterPaise = IntField()
    outcome = StringField(default="new")  # new | exact | combination | no-match | ambiguous | …
    orderIds = ListField(StringField())


class WalletState(Document):
    """Per-wallet lease, baseline and health: shared by every process."""

    meta = {"collection": "wallet_state"}

    id = StringField(primary_key=True)
    leaseOwner = StringField()
    leaseUntil = DateTimeField()
    nextTickAt = DateTimeField()
    lastTickAt = DateTimeField()
    baselinePaise = IntField()
    baselineAt = DateTimeField()
    baselineStale = BooleanField(default=True)
    cursor = DateTimeField()
    syntheticSeq = IntField(default=0)
    lastOkAt = DateTimeField()
    lastError = StringField()
    lastErrorReason = StringField()
    lastErrorAt = DateTimeField()
    consecutiveFailures = IntField(default=0)


class SandboxWallet(Document):
    meta = {"collection": "sandbox_wallets"}

    id = StringField(primary_key=True)
    balancePaise = IntField(default=0)
    history = ListField(DictField())


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
