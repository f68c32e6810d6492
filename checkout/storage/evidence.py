"""Every message a relay posts, and the relays themselves (issue 9).

Messages that are not credits are kept as sender, time and a hash of the text,
never the text (OTPs); the credits themselves live in the ledger.
"""

from __future__ import annotations

from datetime import datetime

from mongoengine import Document, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from checkout.storage.models import UTCDateTimeField

_DUPLICATE = (NotUniqueError, DuplicateKeyError)


class EvidenceMessage(Document):
    meta = {
        "collection": "evidence_messages",
        "indexes": [
            {"fields": ["relay", "eventId"], "unique": True, "sparse": True},
            "receivedAt",
            "outcome",
        ],
    }

    channel = StringField(required=True)  # sms | email
    relay = StringField(required=True)
    eventId = StringField()  # the relay's own id: a re-delivery repeats it
    sender = StringField()
    textHash = StringField(required=True)
    text = StringField()  # only for what the merchant must read (unparsed, credited)
    outcome = StringField(required=True)
    creditKey = StringField()
    receivedAt = UTCDateTimeField(required=True)


class RelaySeen(Document):
    meta = {"collection": "relays"}

    id = StringField(primary_key=True)  # what the relay proves itself with
    firstSeenAt = UTCDateTimeField(required=True)
    lastSeenAt = UTCDateTimeField(required=True)


EVIDENCE_DOCUMENTS = (EvidenceMessage, RelaySeen)


class EvidenceStore:
    """Repository for posted messages and relays, in the Store's database."""

    def ensure_indexes(self) -> None:
        for document in EVIDENCE_DOCUMENTS:
            document.ensure_indexes()

    def add_message(self, message: EvidenceMessage) -> EvidenceMessage | None:
        """Keep a message once; None when its relay posted this event id before."""
        try:
            message.save(force_insert=True)
        except _DUPLICATE:
            return None
        return message

    def message_for_event(self, relay: str, event_id: str) -> EvidenceMessage | None:
        return EvidenceMessage.objects(relay=relay, eventId=event_id).first()

    def relay_seen(self, relay: str, now: datetime) -> None:
        RelaySeen.objects(id=relay).update_one(
            upsert=True, set__lastSeenAt=now, set_on_insert__firstSeenAt=now
        )

    def relays(self) -> list[RelaySeen]:
        return list(RelaySeen.objects)
