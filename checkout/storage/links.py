"""Payment links: a reusable page (`/l/<slug>`) that opens a fresh checkout per customer."""

from __future__ import annotations

from datetime import datetime, timedelta

from mongoengine import BooleanField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from checkout.domain.vocabulary import Status
from checkout.storage.models import PaymentSession, UTCDateTimeField

#: A slot whose checkout is not (yet) stored is someone's open in progress for this long.
CLAIM_IN_PROGRESS = timedelta(minutes=1)


class PaymentLink(Document):
    meta = {"collection": "payment_links", "indexes": [{"fields": ["slug"], "unique": True}]}

    slug = StringField(required=True)
    title = StringField(required=True, max_length=120)
    description = StringField(max_length=500)
    amountPaise = IntField()  # fixed price; None means the customer chooses
    minPaise = IntField()
    maxPaise = IntField()
    active = BooleanField(default=True)
    # How long a checkout opened from this link stays open; None: the default (services.links).
    expiresInMinutes = IntField(min_value=1, max_value=1440)
    createdAt = UTCDateTimeField(required=True)


class LinkSlot(Document):
    """One of a link's LINK_MAX_OPEN places for a pending checkout.

    The unique key makes taking a place one atomic insert (or one conditional
    update of a place whose checkout is over), so racing customers never open
    more checkouts than the link has places.
    """

    meta = {"collection": "link_slots", "indexes": [{"fields": ["key"], "unique": True}, "slug"]}

    key = StringField(required=True)  # "<slug>#<n>"
    slug = StringField(required=True)
    orderId = StringField(required=True)
    claimedAt = UTCDateTimeField(required=True)
    releaseAfter = UTCDateTimeField(required=True)  # the checkout's expiresAt


class DuplicateSlug(ValueError):
    """A link with this slug exists already."""


class LinkStore:
    """Repository for payment links and their places, in the Store's database."""

    def ensure_indexes(self) -> None:
        PaymentLink.ensure_indexes()
        LinkSlot.ensure_indexes()

    def add_link(self, link: PaymentLink) -> PaymentLink:
        try:
            link.save(force_insert=True)
        except (NotUniqueError, DuplicateKeyError) as exc:
            raise DuplicateSlug(link.slug) from exc
        return link

    def link_by_slug(self, slug: str) -> PaymentLink | None:
        return PaymentLink.objects(slug=slug, active=True).first()

    def links(self, *, limit: int = 200) -> list[PaymentLink]:
        """Newest first, disabled ones included (the console lists both)."""
        return list(PaymentLink.objects.order_by("-createdAt").limit(limit))

    def disable_link(self, slug: str) -> bool:
        """One conditional update: False when no active link has this slug."""
        return PaymentLink.objects(slug=slug, active=True).update_one(set__active=False) == 1

    def ensure_link(self, link: PaymentLink, now: datetime) -> PaymentLink:
        """Create a link if its slug is free (the demo link at start-up); keep an existing one."""
        self.ensure_indexes()
        existing = PaymentLink.objects(slug=link.slug).first()
        if existing is not None:
            return existing
        link.createdAt = link.createdAt or now
        try:
            return self.add_link(link)
        except DuplicateSlug:
            found = PaymentLink.objects(slug=link.slug).first()
            assert found is not None
            return found

    @staticmethod
    def _held(slots: list[LinkSlot], now: datetime) -> list[LinkSlot]:
        """The places still taken: their checkout is pending and not yet due to expire,
        or is being opened right now (claimed a moment ago, not stored yet)."""
        stored = {
            session.orderId: session
            for session in PaymentSession.objects(
                orderId__in=[slot.orderId for slot in slots]
            ).only("orderId", "status", "expiresAt")
        }
        held = []
        for slot in slots:
            if slot.releaseAfter <= now:
                continue
            session = stored.get(slot.orderId)
            if session is None:
                if slot.claimedAt > now - CLAIM_IN_PROGRESS:
                    held.append(slot)
            elif session.status == Status.PENDING.value and session.expiresAt > now:
                held.append(slot)
        return held

    def claim_link_slot(
        self, slug: str, capacity: int, order_id: str, *, now: datetime, release_after: datetime
    ) -> bool:
        """Take a free place among the link's first `capacity` for `order_id`.

        False when all are held."""
        slots = {slot.key: slot for slot in LinkSlot.objects(slug=slug)}
        held = {slot.key for slot in self._held(list(slots.values()), now)}
        for n in range(capacity):
            key = f"{slug}#{n}"
            if key in held:
                continue
            previous = slots.get(key)
            if previous is None:
                try:
                    LinkSlot(
                        key=key,
                        slug=slug,
                        orderId=order_id,
                        claimedAt=now,
                        releaseAfter=release_after,
                    ).save(force_insert=True)
                except (NotUniqueError, DuplicateKeyError):
                    continue  # another customer took it a moment ago
                return True
            # Conditional on the holder we saw (orderIds are never reused): one winner per place.
            taken = LinkSlot.objects(key=key, orderId=previous.orderId).update_one(
                set__orderId=order_id, set__claimedAt=now, set__releaseAfter=release_after
            )
            if taken == 1:
                return True
        return False

    def release_link_slot(self, slug: str, order_id: str) -> None:
        """Give back a place whose checkout could not be opened after all."""
        LinkSlot.objects(slug=slug, orderId=order_id).delete()

    def link_slot_frees_at(self, slug: str, capacity: int, *, now: datetime) -> datetime | None:
        """When the first of the link's held places frees up (its checkout expires).

        None when no place is held."""
        slots = [
            slot
            for slot in LinkSlot.objects(slug=slug)
            if int(slot.key.rsplit("#", 1)[1]) < capacity
        ]
        held = self._held(slots, now)
        return min((slot.releaseAfter for slot in held), default=None)
