"""Payment links: create them, and open a checkout for one customer of a link."""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from checkout.config import Settings
from checkout.domain.money import display_rupees
from checkout.providers.base import WalletProvider
from checkout.services.checkouts import CheckoutRequest, create_checkout, new_order_id
from checkout.services.errors import ServiceError
from checkout.storage.links import PaymentLink, add_link, ensure_link
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store

DEMO_SLUG = "demo"
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{1,40}")


def slugify(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:24] or "link"
    return f"{base}-{secrets.token_hex(3)}"


def create_link(
    *,
    title: str,
    now: datetime,
    amount_paise: int | None = None,
    min_paise: int | None = None,
    max_paise: int | None = None,
    description: str | None = None,
    slug: str | None = None,
) -> PaymentLink:
    if amount_paise is None and (min_paise is None or max_paise is None):
        raise ServiceError("A link needs a fixed amount, or both a minimum and a maximum")
    if min_paise is not None and max_paise is not None and min_paise > max_paise:
        raise ServiceError("The minimum must not be above the maximum", field="min")
    slug = slug or slugify(title)
    if not _SLUG.fullmatch(slug):
        raise ServiceError("A slug is 2-41 lowercase letters, digits and dashes", field="slug")
    return add_link(
        PaymentLink(
            slug=slug,
            title=title,
            description=description,
            amountPaise=amount_paise,
            minPaise=None if amount_paise is not None else min_paise,
            maxPaise=None if amount_paise is not None else max_paise,
            createdAt=now,
        )
    )


def ensure_demo_link(now: datetime) -> PaymentLink:
    return ensure_link(
        PaymentLink(
            slug=DEMO_SLUG,
            title="Demo: a cup of chai",
            description="A sandbox checkout: no real money moves.",
            amountPaise=1000,
        ),
        now,
    )


def amount_hint(link: PaymentLink) -> str:
    if link.amountPaise is not None:
        return display_rupees(link.amountPaise)
    return f"{display_rupees(link.minPaise)} to {display_rupees(link.maxPaise)}"


def open_link_checkout(
    store: Store,
    provider: WalletProvider,
    settings: Settings,
    link: PaymentLink,
    *,
    name: str,
    email: str,
    note: str | None,
    chosen_paise: int | None,
    now: datetime,
    ip: str | None,
) -> PaymentSession:
    amount = link.amountPaise if link.amountPaise is not None else chosen_paise
    if amount is None:
        raise ServiceError("Enter an amount", field="amount")
    if link.amountPaise is None and not link.minPaise <= amount <= link.maxPaise:
        raise ServiceError(f"Choose an amount from {amount_hint(link)}", field="amount")
    description = link.title if not note else f"{link.title}: {note}"
    return create_checkout(
        store,
        provider,
        settings,
        CheckoutRequest(
            order_id=new_order_id(),
            amount_paise=amount,
            source="link",
            email=email,
            description=description[:200],
            customer={"name": name, "email": email},
            metadata={"link": link.slug},
            ip=ip,
        ),
        now=now,
    )
