"""CSV exports for the accountant: checkouts (the Payments filters) and evidence (wallet credits).

A year of checkouts must not sit in memory, so rows are read from the store in
batches with no query cache and written out a few hundred at a time: the caller
streams what `csv_chunks` yields. Amounts are rupees with two decimals made from
paise by integer arithmetic; times are ISO 8601 in DISPLAY_TIMEZONE with its offset,
so a spreadsheet shows the shop's day. A text cell that a spreadsheet would read as a
formula gets a leading apostrophe (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any, Final
from zoneinfo import ZoneInfo

from checkout.domain.money import MoneyError, format_rupees, parse_rupees
from checkout.domain.vocabulary import CREDIT_ID, SESSION_ID, Status
from checkout.services.errors import InvalidRequest
from checkout.storage.models import PaymentSession, WalletCredit

__all__ = [
    "CHECKOUT_COLUMNS",
    "CHECKOUT_FILTERS",
    "EVIDENCE_COLUMNS",
    "EVIDENCE_FILTERS",
    "CheckoutFilters",
    "DayRange",
    "checkout_filters",
    "checkout_rows",
    "csv_chunks",
    "day_range",
    "evidence_rows",
    "safe_cell",
]

#: Rows fetched from the store per round trip, and written out per chunk.
BATCH_SIZE: Final = 500

CHECKOUT_FILTERS: Final = ("status", "from", "to", "min", "max")
EVIDENCE_FILTERS: Final = ("from", "to")

CHECKOUT_COLUMNS: Final = (
    "id",
    "orderId",
    "status",
    "createdAt",
    "completedAt",
    "closedAt",
    "requestedAmount",
    "amount",
    "amountPaid",
    "refundedAmount",
    "late",
    "source",
    "customerName",
    "email",
    "phone",
    "description",
    "evidenceKeys",
)
EVIDENCE_COLUMNS: Final = (
    "id",
    "observedAt",
    "occurredAt",
    "provider",
    "kind",
    "amount",
    "state",
    "outcome",
    "orderIds",
    "rrn",
    "bank",
    "payer",
    "relay",
    "balanceAfter",
    "dismissReason",
)

# What a spreadsheet may run as a formula (OWASP's list: = + - @, tab, carriage return).
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class DayRange:
    """Local days asked for, and the UTC instants that bound them (end exclusive)."""

    first: date | None
    last: date | None
    start: datetime | None
    end: datetime | None

    def label(self) -> str:
        """For the download's file name: `2026-12-01_2026-12-31`, `all` when open."""
        if self.first is None and self.last is None:
            return "all"
        return f"{self.first or 'start'}_{self.last or 'now'}"


@dataclass(frozen=True)
class CheckoutFilters:
    """The Payments page's filters: status, local days and the requested amount (paise)."""

    days: DayRange
    status: str | None = None
    min_paise: int | None = None
    max_paise: int | None = None


def _day_start(day: date, zone: tzinfo) -> datetime:
    """The UTC instant a local day begins (midnight in `zone`)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def _single(args: Mapping[str, Any], allowed: Sequence[str]) -> dict[str, str]:
    """Each known parameter once; any other parameter, or a repeated one, is refused."""
    getlist = getattr(args, "getlist", None)
    details = [
        {"field": name, "message": "unknown filter"} for name in sorted(set(args) - set(allowed))
    ]
    values: dict[str, str] = {}
    for name in allowed:
        given = list(getlist(name)) if getlist else ([args[name]] if name in args else [])
        if len(given) > 1:
            details.append({"field": name, "message": "given more than once"})
        elif given and str(given[0]).strip():
            values[name] = str(given[0]).strip()
    if details:
        raise InvalidRequest("Some filters were not understood.", details)
    return values


def _date(name: str, text: str | None, details: list[dict[str, str]]) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        details.append({"field": name, "message": "must be a date, YYYY-MM-DD"})
        return None


def _days(values: Mapping[str, str], zone: tzinfo, details: list[dict[str, str]]) -> DayRange:
    first = _date("from", values.get("from"), details)
    last = _date("to", values.get("to"), details)
    if first and last and last < first:
        details.append({"field": "to", "message": "must not be before from"})
    return DayRange(
        first=first,
        last=last,
        start=_day_start(first, zone) if first else None,
        end=_day_start(last + timedelta(days=1), zone) if last else None,
    )


def _amount(name: str, text: str | None, details: list[dict[str, str]]) -> int | None:
    if text is None:
        return None
    try:
        return parse_rupees(text, allow_zero=True)
    except MoneyError as exc:
        details.append({"field": name, "message": str(exc)})
        return None


def day_range(args: Mapping[str, Any], timezone: str) -> DayRange:
    """The evidence export's filters: `from` and `to`, local days in `timezone`."""
    values = _single(args, EVIDENCE_FILTERS)
    details: list[dict[str, str]] = []
    days = _days(values, ZoneInfo(timezone), details)
    if details:
        raise InvalidRequest("Some filters were not understood.", details)
    return days


def checkout_filters(args: Mapping[str, Any], timezone: str) -> CheckoutFilters:
    """Read the Payments filters from a query string; every problem is one detail (400)."""
    values = _single(args, CHECKOUT_FILTERS)
    details: list[dict[str, str]] = []
    status = values.get("status")
    if status is not None and status not in set(Status):
        details.append({"field": "status", "message": f"must be one of {', '.join(Status)}"})
    days = _days(values, ZoneInfo(timezone), details)
    low = _amount("min", values.get("min"), details)
    high = _amount("max", values.get("max"), details)
    if low is not None and high is not None and high < low:
        details.append({"field": "max", "message": "must not be below min"})
    if details:
        raise InvalidRequest("Some filters were not understood.", details)
    return CheckoutFilters(days=days, status=status, min_paise=low, max_paise=high)


def _range(field: str, days: DayRange) -> dict[str, datetime]:
    bounds: dict[str, datetime] = {}
    if days.start:
        bounds[f"{field}__gte"] = days.start
    if days.end:
        bounds[f"{field}__lt"] = days.end
    return bounds


def _checkout_query(filters: CheckoutFilters) -> dict[str, Any]:
    query: dict[str, Any] = _range("createdAt", filters.days)
    if filters.status:
        query["status"] = filters.status
    if filters.min_paise is not None:
        query["totalAmountPaise__gte"] = filters.min_paise
    if filters.max_paise is not None:
        query["totalAmountPaise__lte"] = filters.max_paise
    return query


# -- cells ----------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A cell's text; one a spreadsheet would run as a formula starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _rupees(paise: int | None) -> str:
    return "" if paise is None else format_rupees(int(paise))


def _local(zone: tzinfo) -> Callable[[datetime | None], str]:
    def shown(moment: datetime | None) -> str:
        if not isinstance(moment, datetime):
            return ""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
        return aware.astimezone(zone).isoformat(timespec="seconds")

    return shown


def checkout_rows(filters: CheckoutFilters, timezone: str) -> Iterator[list[object]]:
    """The matching checkouts, oldest first, one row each; read in batches, never all at once."""
    shown = _local(ZoneInfo(timezone))
    query = PaymentSession.objects(**_checkout_query(filters)).order_by("createdAt", "id")
    for session in query.no_cache().batch_size(BATCH_SIZE):
        customer = session.customer or {}
        paid = session.amountPaidPaise or session.amountPaise
        completed = session.status == Status.COMPLETED
        yield [
            f"{SESSION_ID.prefix}{session.id}",
            session.orderId,
            session.status,
            shown(session.createdAt),
            shown(session.completedAt),
            shown(session.closedAt),
            _rupees(session.totalAmountPaise),
            _rupees(session.amountPaise),
            _rupees(paid) if completed else "",
            _rupees(session.refundedAmountPaise or 0),
            "yes" if session.late else "no",
            session.source,
            customer.get("name"),
            session.email or customer.get("email"),
            customer.get("phone"),
            session.description,
            " ".join(session.creditKeys or []),
        ]


def evidence_rows(days: DayRange, timezone: str) -> Iterator[list[object]]:
    """Every credit observed in the local days, oldest first, whatever its state or source."""
    shown = _local(ZoneInfo(timezone))
    query = WalletCredit.objects(**_range("observedAt", days)).order_by("observedAt", "id")
    for credit in query.no_cache().batch_size(BATCH_SIZE):
        yield [
            f"{CREDIT_ID.prefix}{credit.id}",
            shown(credit.observedAt),
            shown(credit.occurredAt),
            credit.provider,
            credit.kind,
            _rupees(credit.amountPaise),
            credit.state,
            credit.outcome,
            " ".join(credit.orderIds or []),
            credit.rrn,
            credit.bank,
            credit.payer,
            credit.relay,
            _rupees(credit.balanceAfterPaise),
            credit.dismissReason,
        ]


def csv_chunks(
    columns: Sequence[str], rows: Iterable[Sequence[object]], *, chunk_rows: int = BATCH_SIZE
) -> Iterator[str]:
    """The header, then the rows as CSV text, `chunk_rows` at a time (each cell made safe)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(columns)
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        pending += 1
        if pending >= chunk_rows:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue()
