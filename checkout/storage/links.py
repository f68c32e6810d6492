"""Payment links: a reusable page (`/l/<slug>`) that opens a fresh checkout per customer."""

from __future__ import annotations

from datetime import datetime

from mongoengine import BooleanField, Document, IntField, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from checkout.storage.models import UTCDateTimeField


class PaymentLink(Document):
    meta = {"collection": "payment_links", "indexes": [{"fields": ["slug"], "unique": True}]}

    slug = StringField(required=True)
    title = StringField(required=True, max_length=120)
    description = StringField(max_length=500)
    amountPaise = IntField()  # fixed price; None means the customer chooses
    minPaise = IntField()
    maxPaise = IntField()
    active = BooleanField(default=True)
    createdAt = UTCDateTimeField(required=True)


class DuplicateSlug(ValueError):
    """A link with this slug exists already."""


def add_link(link: PaymentLink) -> PaymentLink:
    try:
        link.save(force_insert=True)
    except (NotUniqueError, DuplicateKeyError) as exc:
        raise DuplicateSlug(link.slug) from exc
    return link


def link_by_slug(slug: str) -> PaymentLink | None:
    return PaymentLink.objects(slug=slug, active=True).first()


def ensure_link(link: PaymentLink, now: datetime) -> PaymentLink:
    """Create a link if its slug is free (the demo link at start-up); keep an existing one."""
    PaymentLink.ensure_indexes()
    existing = PaymentLink.objects(slug=link.slug).first()
    if existing is not None:
        return existing
    link.createdAt = link.createdAt or now
    try:
        return add_link(link)
    except DuplicateSlug:
        found = PaymentLink.objects(slug=link.slug).first()
        assert found is not None
        return found
