"""Customers' UTR claims (issue 9): kept apart from the evidence itself, since a claim is
only a customer's word and never evidence of anything until the ledger agrees."""

from __future__ import annotations

from mongoengine import Document, IntField, ListField, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from checkout.storage.models import UTCDateTimeField

_DUPLICATE = (NotUniqueError, DuplicateKeyError)


class UtrClaim(Document):
    """A customer's word that they paid with this UTR: weighed against the ledger, never
    believed alone. One per (checkout, slot), so a checkout holds at most `slot` claims."""

    meta = {
        "collection": "utr_claims",
        "indexes": [
            {"fields": ["orderId", "slot"], "unique": True},
            {"fields": ["matchedRrn"], "unique": True, "sparse": True},
            "rrn",
            "status",
            "createdAt",
        ],
    }

    orderId = StringField(required=True)
    slot = IntField(required=True)
    rrn = StringField(required=True)
    status = StringField(required=True)  # waiting | matched | mismatch
    matchedRrn = StringField()  # set only once matched: each UTR completes one checkout
    reason = StringField()  # why a mismatch: amount | attributed-elsewhere | not-payable | ...
    creditKey = StringField()
    amountPaise = IntField()  # what the evidence says was paid
    otherOrderIds = ListField(StringField())  # the checkouts the evidence went to instead
    ip = StringField()
    createdAt = UTCDateTimeField(required=True)
    expiresAt = UTCDateTimeField(required=True)  # the checkout's payable window
    decidedAt = UTCDateTimeField()


class ClaimStore:
    """Repository for UTR claims, in the Store's database (collection `utr_claims`)."""

    def ensure_indexes(self) -> None:
        UtrClaim.ensure_indexes()

    def add_claim(self, claim: UtrClaim, slots: int) -> UtrClaim | None:
        """Keep a claim in the checkout's first free slot; None when all are taken."""
        for slot in range(1, slots + 1):
            claim.slot = slot
            claim.id = None
            try:
                claim.save(force_insert=True)
            except _DUPLICATE:
                continue
            return claim
        return None

    def claim_for(self, order_id: str, rrn: str) -> UtrClaim | None:
        return UtrClaim.objects(orderId=order_id, rrn=rrn).first()

    def waiting_claims(self, rrn: str) -> list[UtrClaim]:
        """Claims on this RRN still waiting for its evidence, oldest first."""
        return list(UtrClaim.objects(rrn=rrn, status="waiting").order_by("createdAt", "id"))

    def decide_claim(self, claim: UtrClaim, status: str, **changes: object) -> bool:
        """Move a waiting claim to matched or mismatch, once."""
        updates = {f"set__{name}": value for name, value in changes.items()}
        if status == "matched":
            updates["set__matchedRrn"] = claim.rrn
        try:
            updated = UtrClaim.objects(id=claim.id, status="waiting").update_one(
                set__status=status, **updates
            )
        except _DUPLICATE:
            return False
        if updated == 1:
            claim.reload()
        return updated == 1

    def claims(self, *, status: str | None = None, limit: int = 100) -> list[UtrClaim]:
        query = UtrClaim.objects(status=status) if status else UtrClaim.objects
        return list(query.order_by("-createdAt", "-id").limit(limit))
