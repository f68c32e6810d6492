"""The console's Payments list: filters, search and pages over checkouts (issue 10).

The query lives here, not in the view, so the API can offer the same filters. Every
filter is parsed strictly: an unknown parameter or a bad value is refused with a
detail naming it, never ignored (a silently ignored filter shows the wrong money).

The store is asked with one raw query (the test server handles a raw `$regex` but not
a compiled pattern, and `$in` beside date comparisons misbehaves there, so ids found
through a UTR become `$or` terms).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Final

from checkout.domain import local_days
from checkout.domain.local_days import LocalDayError
from checkout.domain.money import MoneyError, display_rupees, parse_rupees
from checkout.domain.vocabulary import Status
from checkout.services.errors import InvalidRequest
from checkout.services.presenters import public_session_id
from checkout.storage.claims import UtrClaim
from checkout.storage.models import PaymentSession, WalletCredit

PAGE_SIZE: Final = 50
MAX_PAGE: Final = 2000  # beyond this, narrow the filters: a deep skip costs the store
MAX_QUERY: Final = 100
PARAMETERS: Final = ("status", "from", "to", "min", "max", "q", "page")
STATUSES: Final = tuple(status.value for status in Status)
UTR_RE: Final = re.compile(r"[0-9]{12}")  # a UPI UTR / bank RRN
# What a search looks in: the seed's e-mail and the merchant API's customer fields.
TEXT_FIELDS: Final = ("orderId", "email", "customer.email", "customer.phone", "customer.name")


@dataclass(frozen=True)
class CheckoutFilters:
    status: str | None = None
    first: date | None = None  # local days, inclusive
    last: date | None = None
    min_paise: int | None = None
    max_paise: int | None = None
    q: str | None = None
    page: int = 1

    def args(self, **changes: Any) -> dict[str, str]:
        """These filters as query parameters (for links to another page of them)."""
        shown = replace(self, **changes)
        values = {
            "status": shown.status,
            "from": shown.first.isoformat() if shown.first else None,
            "to": shown.last.isoformat() if shown.last else None,
            "min": _rupees_text(shown.min_paise),
            "max": _rupees_text(shown.max_paise),
            "q": shown.q,
            "page": str(shown.page) if shown.page > 1 else None,
        }
        return {name: value for name, value in values.items() if value}

    @property
    def form(self) -> dict[str, str]:
        return self.args(page=1)


@dataclass(frozen=True)
class CheckoutRow:
    order_id: str
    public_id: str
    status: str
    amount: str
    paid: str | None
    refunded: str | None
    late: bool
    customer: str
    created: str  # local wall-clock time


@dataclass(frozen=True)
class CheckoutPage:
    filters: CheckoutFilters
    rows: list[CheckoutRow]
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.filters.page > 1


def _rupees_text(paise: int | None) -> str | None:
    if paise is None:
        return None
    rupees, rest = divmod(paise, 100)
    return f"{rupees}.{rest:02d}" if rest else str(rupees)


def parse_filters(
    pairs: Iterable[tuple[str, str]], *, max_paise: int | None = None
) -> CheckoutFilters:
    """Filters from query parameters; every problem at once, each naming its parameter."""
    problems: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for name, value in pairs:
        if name not in PARAMETERS:
            problems.append({"field": name, "message": "is not a filter of this list"})
        elif name in seen:
            problems.append({"field": name, "message": "is given more than once"})
        else:
            seen[name] = value.strip()

    def refuse(name: str, message: str) -> None:
        problems.append({"field": name, "message": message})

    values: dict[str, Any] = {}
    status = seen.get("status")
    if status:
        if status in STATUSES:
            values["status"] = status
        else:
            refuse("status", f"must be one of {', '.join(STATUSES)}")
    for name, key in (("from", "first"), ("to", "last")):
        if seen.get(name):
            try:
                values[key] = local_days.parse_day(seen[name])
            except LocalDayError as exc:
                refuse(name, str(exc))
    if values.get("first") and values.get("last") and values["last"] < values["first"]:
        refuse("to", "comes before from")
    for name, key in (("min", "min_paise"), ("max", "max_paise")):
        if seen.get(name):
            try:
                values[key] = parse_rupees(seen[name], max_paise=max_paise)
            except MoneyError as exc:
                refuse(name, str(exc))
    low, high = values.get("min_paise"), values.get("max_paise")
    if low and high and high < low:
        refuse("max", "is below min")
    query = seen.get("q")
    if query:
        if len(query) > MAX_QUERY:
            refuse("q", f"must be at most {MAX_QUERY} characters")
        else:
            values["q"] = query
    page = seen.get("page")
    if page:
        if page.isascii() and page.isdigit() and 1 <= int(page) <= MAX_PAGE:
            values["page"] = int(page)
        else:
            refuse("page", f"must be a whole number from 1 to {MAX_PAGE}")
    if problems:
        raise InvalidRequest("Some filters cannot be used", problems)
    return CheckoutFilters(**values)


def raw_query(filters: CheckoutFilters, *, tz: str) -> dict[str, Any]:
    """The store query for these filters (dates as the UTC range of the local days)."""
    query: dict[str, Any] = {}
    if filters.status:
        query["status"] = filters.status
    if filters.first or filters.last:
        created: dict[str, datetime] = {}
        if filters.first:
            created["$gte"] = local_days.day_period(filters.first, tz).start
        if filters.last:
            created["$lt"] = local_days.day_period(filters.last, tz).end
        query["createdAt"] = created
    if filters.min_paise is not None or filters.max_paise is not None:
        amount: dict[str, int] = {}
        if filters.min_paise is not None:
            amount["$gte"] = filters.min_paise
        if filters.max_paise is not None:
            amount["$lte"] = filters.max_paise
        query["amountPaise"] = amount
    if filters.q:
        query["$or"] = search_terms(filters.q)
    return query


def search_terms(text: str) -> list[dict[str, Any]]:
    """A case-blind substring of the order, e-mail, phone or name; a UTR through its evidence."""
    pattern = {"$regex": re.escape(text), "$options": "i"}
    terms: list[dict[str, Any]] = [{name: pattern} for name in TEXT_FIELDS]
    digits = re.sub(r"[\s-]", "", text)
    if UTR_RE.fullmatch(digits):
        terms.extend({"orderId": order_id} for order_id in sorted(orders_paid_by_utr(digits)))
    return terms


def orders_paid_by_utr(rrn: str) -> set[str]:
    """Checkouts a UTR/RRN touches: those its credit paid, and those a customer claimed it for."""
    found: set[str] = set()
    for credit in WalletCredit.objects(rrn=rrn).only("key", "orderIds"):
        found.update(credit.orderIds or [])
        found.update(
            s.orderId for s in PaymentSession.objects(creditKeys=credit.key).only("orderId")
        )
    found.update(claim.orderId for claim in UtrClaim.objects(rrn=rrn).only("orderId"))
    return found


def search(filters: CheckoutFilters, *, tz: str) -> CheckoutPage:
    """One page of checkouts, newest first (50 a page, one more asked to know of a next)."""
    found = list(
        PaymentSession.objects(__raw__=raw_query(filters, tz=tz))
        .order_by("-createdAt", "-id")
        .skip((filters.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE + 1)
    )
    rows = [checkout_row(session, tz=tz) for session in found[:PAGE_SIZE]]
    return CheckoutPage(filters=filters, rows=rows, has_next=len(found) > PAGE_SIZE)


def local_text(moment: datetime | None, tz: str) -> str:
    if moment is None:
        return "—"
    return local_days.to_local(moment, tz).strftime("%d %b %Y, %H:%M:%S")


def customer_text(session: PaymentSession) -> str:
    customer = session.customer or {}
    parts = [customer.get("name"), customer.get("email") or session.email, customer.get("phone")]
    return " · ".join(str(part) for part in parts if part) or "—"


def checkout_row(session: PaymentSession, *, tz: str) -> CheckoutRow:
    completed = session.status == Status.COMPLETED.value
    paid = session.amountPaidPaise or session.amountPaise
    return CheckoutRow(
        order_id=session.orderId,
        public_id=public_session_id(session),
        status=session.status,
        amount=display_rupees(session.amountPaise),
        paid=display_rupees(paid) if completed else None,
        refunded=display_rupees(session.refundedAmountPaise)
        if session.refundedAmountPaise
        else None,
        late=bool(session.late),
        customer=customer_text(session),
        created=local_text(session.createdAt, tz),
    )


__all__ = [
    "PAGE_SIZE",
    "PARAMETERS",
    "CheckoutFilters",
    "CheckoutPage",
    "CheckoutRow",
    "parse_filters",
    "raw_query",
    "search",
]
