"""Known debits: refunds the merchant sent from the watched wallet and recorded here.

With a balance-only wallet a refund is a fall of the balance. Recorded as a known
debit, the next balance reading adds it back, so a payment that came in during the
same window is read whole, never as the payment net of the refund. Each known debit
is consumed once, by one conditional update naming what consumed it.
"""

from __future__ import annotations

from datetime import datetime

from mongoengine import Document, IntField, StringField

from checkout.domain.vocabulary import CreditKind, CreditState
from checkout.storage.models import UTCDateTimeField, WalletCredit

PENDING = "pending"
CONSUMED = "consumed"


class KnownDebit(Document):
    """A fall of `amountPaise` the next balance reading should find (a refund sent)."""

    meta = {"collection": "known_debits", "indexes": ["state", "consumedBy", "refundId"]}

    refundId = StringField(required=True)
    orderId = StringField(required=True)
    amountPaise = IntField(required=True)
    state = StringField(required=True, default=PENDING)  # pending | consumed
    # The balance reading's ledger key that accounted for it, or the open debit it
    # explained, or "baseline:<time>" when a fresh baseline took it in.
    consumedBy = StringField()
    createdAt = UTCDateTimeField(required=True)
    consumedAt = UTCDateTimeField()


class KnownDebitStore:
    """Repository for known debits, in the Store's database (collection `known_debits`)."""

    def ensure_indexes(self) -> None:
        KnownDebit.ensure_indexes()

    def add(self, *, refund_id: str, order_id: str, amount_paise: int, now: datetime) -> None:
        KnownDebit(
            refundId=refund_id, orderId=order_id, amountPaise=amount_paise, createdAt=now
        ).save(force_insert=True)

    def pending(self) -> list[KnownDebit]:
        """Known debits no reading has accounted for yet, oldest first."""
        return list(KnownDebit.objects(state=PENDING).order_by("createdAt", "id"))

    def consume(self, debit: KnownDebit, by: str, now: datetime) -> bool:
        """Account for one known debit, once: False when something else already did."""
        updated = KnownDebit.objects(id=debit.id, state=PENDING).update_one(
            set__state=CONSUMED, set__consumedBy=by, set__consumedAt=now
        )
        return updated == 1

    def consumed_by(self, by: str) -> list[KnownDebit]:
        return list(KnownDebit.objects(state=CONSUMED, consumedBy=by))

    def explain_debit(self, ledger_key: str) -> bool:
        """Mark a fall already in the ledger as known (a refund), so that no later rise
        of the same amount is taken for its reversal; once."""
        updated = WalletCredit.objects(
            key=ledger_key, kind=CreditKind.DEBIT, state=CreditState.OPEN
        ).update_one(set__state=CreditState.KNOWN)
        return updated == 1


__all__ = ["CONSUMED", "PENDING", "KnownDebit", "KnownDebitStore"]
