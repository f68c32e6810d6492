"""Payment links: create them, and open a checkout for one customer of a link.

A link is public: anyone can open checkouts from it, and each one holds a payable
amount for its whole grace window (DESIGN §5.1), so a stranger could take every
amount near the link's price. Caps fight that instead of a shorter hold (which
would let a late payer pay someone else's checkout): a link has at most
LINK_MAX_OPEN pending checkouts at once, each person may open only a few a
minute (web routes), and a link's checkouts expire sooner than others, so
abandoned ones give their place back quickly.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import datetime, timedelta

from checkout.config import Settings
from checkout.domain.money import display_rupees
from checkout.domain.vocabulary import SLUG
from checkout.providers.base import WalletProvider
from checkout.services.checkouts import CheckoutRequest, create_checkout, new_order_id
from checkout.services.errors import Conflict, NotFound, ServiceError, Unavailable
from checkout.storage.links import DuplicateSlug, LinkStore, PaymentLink
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store

DEMO_SLUG = "demo"
#: A link's checkouts stay open this long unless the link says otherwise (or the
#: SESSION_EXPIRY_MINUTES of every checkout is shorter): a customer on a link page
#: pays at once, and an abandoned checkout gives its place back sooner.
LINK_DEFAULT_EXPIRY_MINUTES = 15
MAX_EXPIRY_MINUTES = 1440
_SLUG = re.compile(SLUG)


def slugify(title: str) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:24] or "link"
    return f"{base}-{secrets.token_hex(3)}"


class SlugTaken(Conflict):
    """Another link has this slug."""


def create_link(
    repo: LinkStore,
    *,
    title: str,
    now: datetime,
    amount_paise: int | None = None,
    min_paise: int | None = None,
    max_paise: int | None = None,
    description: str | None = None,
    slug: str | None = None,
    expires_in_minutes: int | None = None,
) -> PaymentLink:
    if amount_paise is None and (min_paise is None or max_paise is None):
        raise ServiceError("A link needs a fixed amount, or both a minimum and a maximum")
    if min_paise is not None and max_paise is not None and min_paise > max_paise:
        raise ServiceError("The minimum must not be above the maximum", field="min")
    slug = slug or slugify(title)
    if not _SLUG.fullmatch(slug):
        raise ServiceError("A slug is 2-41 lowercase letters, digits and dashes", field="slug")
    if expires_in_minutes is not None and not 1 <= expires_in_minutes <= MAX_EXPIRY_MINUTES:
        raise ServiceError(
            f"A link's checkouts expire after 1 to {MAX_EXPIRY_MINUTES} minutes",
            field="expiresInMinutes",
        )
    link = PaymentLink(
        slug=slug,
        title=title,
        description=description,
        amountPaise=amount_paise,
        minPaise=None if amount_paise is not None else min_paise,
        maxPaise=None if amount_paise is not None else max_paise,
        expiresInMinutes=expires_in_minutes,
        createdAt=now,
    )
    try:
        return repo.add_link(link)
    except DuplicateSlug:
        raise SlugTaken("This slug is taken", field="slug", detail="taken") from None


def find_link(repo: LinkStore, slug: str) -> PaymentLink:
    """The link behind ``/l/<slug>``; 404 when there is none."""
    link = repo.link_by_slug(slug)
    if link is None:
        raise NotFound("This payment link does not exist", field="slug")
    return link


def expiry_minutes(link: PaymentLink, settings: Settings) -> int:
    """The link's own expiry, else 15 minutes or SESSION_EXPIRY_MINUTES, whichever is less."""
    if link.expiresInMinutes:
        return int(link.expiresInMinutes)
    return min(LINK_DEFAULT_EXPIRY_MINUTES, settings.session_expiry_minutes)


def ensure_demo_link(repo: LinkStore, now: datetime) -> PaymentLink:
    return repo.ensure_link(
        PaymentLink(
            slug=DEMO_SLUG,
            title="Demo: a cup of chai",
            # The page's own sandbox banner says no real money moves: not twice.
            description="Try the whole payment flow, from the pay page to the receipt.",
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
    repo: LinkStore,
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
    order_id = new_order_id()
    minutes = expiry_minutes(link, settings)
    expires_at = now + timedelta(minutes=minutes)
    capacity = settings.link_max_open
    if not repo.claim_link_slot(link.slug, capacity, order_id, now=now, release_after=expires_at):
        raise _link_full(repo, link, capacity, now)
    request = CheckoutRequest(
        order_id=order_id,
        amount_paise=amount,
        source="link",
        email=email,
        description=description[:200],
        customer={"name": name, "email": email},
        metadata={"link": link.slug},
        expires_in_minutes=minutes,
        ip=ip,
    )
    try:
        return create_checkout(store, provider, settings, request, now=now)
    except BaseException:
        repo.release_link_slot(link.slug, order_id)
        raise


def _link_full(repo: LinkStore, link: PaymentLink, capacity: int, now: datetime) -> Unavailable:
    frees_at = repo.link_slot_frees_at(link.slug, capacity, now=now)
    wait = max(60, math.ceil((frees_at - now).total_seconds())) if frees_at else 60
    minutes = math.ceil(wait / 60)
    return Unavailable(
        f"{capacity} checkouts from this link are waiting for payment right now, the most it "
        f"keeps open at once. Please try again in about {minutes} minute"
        f"{'s' if minutes != 1 else ''}.",
        retry_after=wait,
    )
