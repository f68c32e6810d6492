"""The gateway's words, written once: statuses, outcomes, event types, id shapes.

Every value here is published (in the seed API, the merchant API, webhooks or the
store), so none is ever renamed; schemas, services, storage and templates import
them from here instead of spelling them again.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Final

__all__ = [
    "API_KEY_ID",
    "CREDIT_ID",
    "DELIVERY_ID",
    "EMAIL",
    "ENDPOINT_ID",
    "EVENT_ID",
    "GENERATED_ORDER_ID",
    "NONCE",
    "ORDER_ID",
    "PHONE",
    "REFUND_ID",
    "SESSION_ID",
    "SLUG",
    "CreditKind",
    "CreditState",
    "DeliveryStatus",
    "EventType",
    "IdShape",
    "Outcome",
    "Status",
    "pattern",
]


class Status(StrEnum):
    """A checkout's status: the seed API's strings, a compatibility promise."""

    PENDING = "pending"
    COMPLETED = "completed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class EventType(StrEnum):
    """Webhook event types; merchants subscribe to these names."""

    CHECKOUT_COMPLETED = "checkout.completed"
    CHECKOUT_EXPIRED = "checkout.expired"
    CHECKOUT_CANCELLED = "checkout.cancelled"
    CHECKOUT_REFUNDED = "checkout.refunded"  # money recorded as sent back to the payer
    CREDIT_UNATTRIBUTED = "credit.unattributed"
    RELAY_SILENT = "relay.silent"
    # Sent only when the owner asks for one (console Settings), to one endpoint; never
    # subscribed to, so no endpoint's list of events names it.
    WEBHOOK_TEST = "webhook.test"


class DeliveryStatus(StrEnum):
    """One webhook delivery: pending → sending → delivered, or back to pending, or failed."""

    PENDING = "pending"
    SENDING = "sending"
    DELIVERED = "delivered"
    FAILED = "failed"


class Outcome(StrEnum):
    """What attribution decided about a credit; published in ``credit.unattributed``."""

    NEW = "new"  # not decided yet (stored, never published)
    EXACT = "exact"
    COMBINATION = "combination"
    NO_MATCH = "no-match"
    AMBIGUOUS = "ambiguous"
    TOO_MANY_OPEN = "too-many-open"
    BEFORE_CHECKOUT = "before-checkout"
    REVERSAL = "reversal"
    DEBIT = "debit"  # a fall of the balance: not a credit at all
    CONFLICT = "conflict"  # the same RRN came with another amount
    ASSIGNED = "assigned"  # the merchant's decision
    DISMISSED = "dismissed"  # set aside by the merchant
    UTR = "utr"  # the customer's UTR claim named this credit's RRN
    REPEAT = "repeat"  # matches nothing open, but a checkout just paid: a customer paying twice


class CreditKind(StrEnum):
    """What a ledger entry is evidence of.

    A per-payment item (a history entry, a bank message) is one payment; a balance
    rise is whatever came in between two reads; a debit is a fall, kept so that a
    rise equal to it reads as its reversal.
    """

    PAYMENT = "payment"
    BALANCE = "balance"
    DEBIT = "debit"


class CreditState(StrEnum):
    """Where a ledger entry is in its life.

    new → attributing (decision written, completions under way) → attributed, or
    new → unattributed; a debit is open until a rise is read as its reversal, or
    known when the merchant recorded it (checkout.storage.known_debits).
    """

    NEW = "new"
    ATTRIBUTING = "attributing"
    ATTRIBUTED = "attributed"
    UNATTRIBUTED = "unattributed"
    CONFLICT = "conflict"
    DISMISSED = "dismissed"
    OPEN = "open"
    REVERSED = "reversed"
    KNOWN = "known"  # a fall the merchant recorded: a refund sent from the watched wallet


class IdShape:
    """A public id: a prefix and a fixed number of hex digits."""

    def __init__(self, prefix: str, hex_digits: int) -> None:
        self.prefix = prefix
        self.hex_digits = hex_digits
        self.regex = f"{re.escape(prefix)}[0-9a-f]{{{hex_digits}}}"

    def matches(self, value: str) -> bool:
        return re.fullmatch(self.regex, value) is not None


SESSION_ID: Final = IdShape("cs_", 24)  # the store's ObjectId behind the prefix
CREDIT_ID: Final = IdShape("cr_", 24)
ENDPOINT_ID: Final = IdShape("we_", 16)
DELIVERY_ID: Final = IdShape("whd_", 20)
API_KEY_ID: Final = IdShape("key_", 12)
EVENT_ID: Final = IdShape("evt_", 24)
REFUND_ID: Final = IdShape("rf_", 16)

# Patterns shared by the schemas and the services (each without anchors).
ORDER_ID: Final = r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,63}"
GENERATED_ORDER_ID: Final = "ORD-"  # prefix of the orderIds the gateway makes up
SLUG: Final = r"[a-z0-9][a-z0-9-]{1,40}"
NONCE: Final = r"[0-9a-f]{64}"
EMAIL: Final = r"""[^@\s<>"']{1,64}@[^@\s<>"']{1,190}\.[A-Za-z]{2,24}"""
PHONE: Final = r"\+?[0-9 \-]{6,20}"


def pattern(regex: str) -> str:
    """The JSON-Schema form of a shared pattern: anchored at both ends."""
    return f"^{regex}$"
