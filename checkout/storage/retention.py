"""Erasing personal data (DPDP Act 2023): what is kept about people, and only that.

Amounts, ids, statuses, RRNs and the audit of what happened stay for the accounts; the
fields below are what identifies or describes a person. Each collection is one
`update_many` whose filter also says "not erased yet", so a job that dies half-way is
finished by the next run and a dry run counts exactly what a real run would change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from mongoengine import Document

from checkout.storage.claims import UtrClaim
from checkout.storage.mail import MailJob
from checkout.storage.models import AuditLog, Nonce, Order, PaymentSession, WalletCredit

# Per collection: the fields unset on erasure. Checkout notes and delivery details are
# free text a customer typed; `customer` holds their name, e-mail and phone.
CHECKOUT_FIELDS = ("customer", "email", "deliveryDetails", "ip")
ORDER_FIELDS = ("email", "deliveryDetails")
CREDIT_FIELDS = ("payer", "rawText")
# An audit entry's IP, and the e-mail typed at a console sign-in (console_login).
AUDIT_FIELDS = ("ip", "details__email")


@dataclass
class Erased:
    """How many records each collection had (or, in a dry run, would have) erased."""

    counts: dict[str, int] = field(default_factory=dict)
    order_ids: list[str] = field(default_factory=list)  # an erased customer's checkouts

    def add(self, name: str, count: int) -> None:
        self.counts[name] = self.counts.get(name, 0) + count

    @property
    def total(self) -> int:
        return sum(self.counts.values())


class PersonalDataStore:
    """Repository for erasure across every collection that holds personal data."""

    def erase_older_than(self, cutoff: datetime, now: datetime, *, dry_run: bool) -> Erased:
        erased = Erased()
        erased.add(
            "checkouts",
            _erase(PaymentSession, {"createdAt__lt": cutoff}, CHECKOUT_FIELDS, now, dry_run),
        )
        erased.add("orders", _erase(Order, {"createdAt__lt": cutoff}, ORDER_FIELDS, now, dry_run))
        erased.add(
            "credits",
            _erase(WalletCredit, {"observedAt__lt": cutoff}, CREDIT_FIELDS, now, dry_run),
        )
        erased.add("audit", _erase(AuditLog, {"timestamp__lt": cutoff}, AUDIT_FIELDS, now, dry_run))
        erased.add("utrClaims", _delete(UtrClaim.objects(createdAt__lt=cutoff), dry_run))
        erased.add("nonces", _blank_nonce_ips(Nonce.objects(createdAt__lt=cutoff), dry_run))
        return erased

    def erase_customer(self, email: str, now: datetime, *, dry_run: bool) -> Erased:
        """Everything kept about the customer who used this e-mail, wherever it was given."""
        checkouts = PaymentSession.objects(__raw__=_email_query(email, "email", "customer.email"))
        orders = Order.objects(__raw__=_email_query(email, "email"))
        # Read, not `distinct`: the nx-27017 test server's distinct ignores the filter.
        order_ids = sorted({d.orderId for q in (checkouts, orders) for d in q.only("orderId")})
        by_order = {"orderId__in": order_ids}
        erased = Erased(order_ids=order_ids)
        erased.add("checkouts", _erase_query(checkouts, CHECKOUT_FIELDS, now, dry_run))
        erased.add("orders", _erase_query(orders, ORDER_FIELDS, now, dry_run))
        erased.add(
            "credits",
            _erase(WalletCredit, {"orderIds__in": order_ids}, CREDIT_FIELDS, now, dry_run),
        )
        erased.add("audit", _erase(AuditLog, by_order, AUDIT_FIELDS, now, dry_run))
        erased.add("utrClaims", _delete(UtrClaim.objects(**by_order), dry_run))
        # A receipt still waiting to be sent holds their address: it is not sent at all.
        erased.add("mails", _delete(MailJob.objects(**by_order), dry_run))
        return erased


def _email_query(email: str, *paths: str) -> dict[str, Any]:
    """Exact, case-insensitive: the same customer may have typed Asha@… and asha@…."""
    pattern = {"$regex": f"^{re.escape(email.strip())}$", "$options": "i"}
    return {"$or": [{path: pattern} for path in paths]}


def _erase(
    document: type[Document],
    query: dict[str, Any],
    names: Iterable[str],
    now: datetime,
    dry_run: bool,
) -> int:
    return _erase_query(document.objects(**query), names, now, dry_run)


def _erase_query(queryset: Any, names: Iterable[str], now: datetime, dry_run: bool) -> int:
    pending = queryset.filter(piiErasedAt=None)
    if dry_run:
        return int(pending.count())
    changes: dict[str, Any] = {f"unset__{name}": True for name in names}
    return int(pending.update(set__piiErasedAt=now, **changes))


def _delete(queryset: Any, dry_run: bool) -> int:
    return int(queryset.count()) if dry_run else int(queryset.delete())


def _blank_nonce_ips(queryset: Any, dry_run: bool) -> int:
    """Nonces live minutes (a TTL index removes them); any left behind lose their IP."""
    pending = queryset.filter(ip__exists=True)
    return int(pending.count()) if dry_run else int(pending.update(unset__ip=True))
