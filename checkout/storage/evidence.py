"""Every message a relay posts, and the relays themselves (issue 9).

Messages that are not credits are kept as sender, time and a hash of the text,
never the text (OTPs); the credits themselves live in the ledger.
"""

from __future__ import annotations

from datetime import datetime

from mongoengine import Document, IntField, StringField
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
    # Counted, not dated: a silence is named by the count it began at, and integers
    # compare alike on every store (nx-27017 keeps a $set date as text).
    seen = IntField(default=0)
    silentAt = IntField(default=0)  # the `seen` count a silence was noticed at: once each
    silentSince = UTCDateTimeField()  # lastSeenAt when that silence was noticed
    pendingEvent = StringField()  # owed to the outbox, written with the silence


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
            upsert=True,
            set__lastSeenAt=now,
            set_on_insert__firstSeenAt=now,
            set_on_insert__silentAt=0,
            inc__seen=1,
        )

    def relays(self) -> list[RelaySeen]:
        return list(RelaySeen.objects)

    def mark_silent(self, relay: RelaySeen, event: str) -> bool:
        """Owe `event` for this silence; False when a message came in between or it was owed."""
        if relay.silentAt == relay.seen:
            return False
        # Exact values only: nx-27017 matches no missing field with $ne in an update.
        return bool(
            RelaySeen.objects(id=relay.id, seen=relay.seen, silentAt=relay.silentAt).update_one(
                set__silentAt=relay.seen,
                set__silentSince=relay.lastSeenAt,
                set__pendingEvent=event,
            )
        )

    def relays_owing_events(self) -> list[RelaySeen]:
        return list(RelaySeen.objects(pendingEvent__exists=True))

    def relay_event_queued(self, relay: RelaySeen, event: str) -> None:
        # Only this silence's debt: a newer one, written meanwhile, stays owed.
        RelaySeen.objects(id=relay.id, silentAt=relay.silentAt, pendingEvent=event).update_one(
            unset__pendingEvent=True
        )
