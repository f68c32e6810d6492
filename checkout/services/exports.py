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
from datetime import date, datetime, tzinfo
from typing import Any, Final

from werkzeug.datastructures import MultiDict

from checkout.domain import local_days
from checkout.domain.local_days import LocalDayError
from checkout.domain.money import format_rupees
from checkout.domain.vocabulary import CREDIT_ID, SESSION_ID, CreditKind, CreditState, Status
from checkout.services import console_payments
from checkout.services.console_payments import CheckoutFilters
from checkout.services.errors import InvalidRequest
from checkout.storage.models import PaymentSession, UTCDateTimeField, WalletCredit

__all__ = [
    "CHECKOUT_COLUMNS",
    "CHECKOUT_FILTERS",
    "EVIDENCE_COLUMNS",
    "EVIDENCE_FILTERS",
    "CheckoutFilters",
    "DayRange",
    "checkout_filters",
    "checkout_label",
    "checkout_rows",
    "csv_chunks",
    "day_range",
    "evidence_rows",
    "safe_cell",
]

#: Rows fetched from the store per round trip, and written out per chunk.
BATCH_SIZE: Final = 500

CHECKOUT_FILTERS: Final = tuple(p for p in console_payments.PARAMETERS if p != "page")
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


def _pairs(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Every (name, value) of a query string, repeats included, so a repeat can be refused."""
    if isinstance(args, MultiDict):
        return [(str(name), str(value)) for name, value in args.items(multi=True)]
    return [(str(name), str(value)) for name, value in args.items()]


def day_range(args: Mapping[str, Any], timezone: str) -> DayRange:
    """The evidence export's filters: `from` and `to`, local days in `timezone`."""
    problems: list[dict[str, str]] = []
    seen: dict[str, str] = {}
    for name, value in _pairs(args):
        if name not in EVIDENCE_FILTERS:
            problems.append({"field": name, "message": "is not a filter of this export"})
        elif name in seen:
            problems.append({"field": name, "message": "is given more than once"})
        else:
            seen[name] = value.strip()
    days: dict[str, date] = {}
    for name in EVIDENCE_FILTERS:
        if seen.get(name):
            try:
                days[name] = local_days.parse_day(seen[name])
            except LocalDayError as exc:
                problems.append({"field": name, "message": str(exc)})
    first, last = days.get("from"), days.get("to")
    if first and last and last < first:
        problems.append({"field": "to", "message": "comes before from"})
    if problems:
        raise InvalidRequest("Some filters cannot be used", problems)
    return DayRange(
        first=first,
        last=last,
        start=local_days.day_period(first, timezone).start if first else None,
        end=local_days.day_period(last, timezone).end if last else None,
    )


def checkout_filters(args: Mapping[str, Any], *, max_paise: int | None = None) -> CheckoutFilters:
    """The Payments page's filters, read by its own parser; `page` means nothing here (400)."""
    pairs = _pairs(args)
    if any(name == "page" for name, _ in pairs):
        raise InvalidRequest(
            "Some filters cannot be used",
            [{"field": "page", "message": "is not a filter of this export (it has every page)"}],
        )
    return console_payments.parse_filters(pairs, max_paise=max_paise)


def checkout_label(filters: CheckoutFilters) -> str:
    """For the download's file name: the local days asked for."""
    if filters.first is None and filters.last is None:
        return "all"
    return f"{filters.first or 'start'}_{filters.last or 'now'}"


def _range(field: str, days: DayRange) -> dict[str, datetime]:
    bounds: dict[str, datetime] = {}
    if days.start:
        bounds[f"{field}__gte"] = days.start
    if days.end:
        bounds[f"{field}__lt"] = days.end
    return bounds


# -- cells ----------------------------------------------------------------------------


def safe_cell(value: object) -> str:
    """A cell's text; one a spreadsheet would run as a formula starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _rupees(paise: int | None) -> str:
    return "" if paise is None else format_rupees(int(paise))


_TIME: Final = UTCDateTimeField()


def _local(zone: tzinfo) -> Callable[[object], str]:
    """Stored time (a datetime, or nx-27017's text for a `$set` one) as local ISO 8601."""

    def shown(stored: object) -> str:
        moment = _TIME.to_python(stored) if stored is not None else None
        if not isinstance(moment, datetime):
            return ""
        return moment.astimezone(zone).isoformat(timespec="seconds")

    return shown


# Rows are read as plain dicts with only these fields: building a Document per row
# costs more than the store's own work (measured in docs/PERFORMANCE.md).
CHECKOUT_READ_FIELDS: Final = (
    "id",
    "orderId",
    "status",
    "createdAt",
    "completedAt",
    "closedAt",
    "totalAmountPaise",
    "amountPaise",
    "amountPaidPaise",
    "refundedAmountPaise",
    "late",
    "source",
    "customer",
    "email",
    "description",
    "creditKeys",
)
_CREDIT_FIELDS: Final = (
    "id",
    "observedAt",
    "occurredAt",
    "provider",
    "kind",
    "amountPaise",
    "state",
    "outcome",
    "orderIds",
    "rrn",
    "bank",
    "payer",
    "relay",
    "balanceAfterPaise",
    "dismissReason",
)


def checkout_rows(
    filters: CheckoutFilters, timezone: str, *, batch_size: int = BATCH_SIZE
) -> Iterator[list[object]]:
    """The matching checkouts, oldest first, one row each; read in batches, never all at once."""
    shown = _local(local_days.zone(timezone))
    query = PaymentSession.objects(__raw__=console_payments.raw_query(filters, tz=timezone))
    query = query.order_by("createdAt", "id").only(*CHECKOUT_READ_FIELDS)
    for row in query.no_cache().batch_size(batch_size).as_pymongo():
        customer = row.get("customer") or {}
        amount = row.get("amountPaise")
        paid = row.get("amountPaidPaise") or amount
        yield [
            f"{SESSION_ID.prefix}{row['_id']}",
            row.get("orderId"),
            row.get("status"),
            shown(row.get("createdAt")),
            shown(row.get("completedAt")),
            shown(row.get("closedAt")),
            _rupees(row.get("totalAmountPaise")),
            _rupees(amount),
            _rupees(paid) if row.get("status") == Status.COMPLETED else "",
            _rupees(row.get("refundedAmountPaise") or 0),
            "yes" if row.get("late") else "no",
            row.get("source"),
            customer.get("name"),
            row.get("email") or customer.get("email"),
            customer.get("phone"),
            row.get("description"),
            " ".join(row.get("creditKeys") or []),
        ]


def evidence_rows(
    days: DayRange, timezone: str, *, batch_size: int = BATCH_SIZE
) -> Iterator[list[object]]:
    """Every credit observed in the local days, oldest first, whatever its state or source."""
    shown = _local(local_days.zone(timezone))
    query = WalletCredit.objects(**_range("observedAt", days)).order_by("observedAt", "id")
    query = query.only(*_CREDIT_FIELDS)
    for row in query.no_cache().batch_size(batch_size).as_pymongo():
        yield [
            f"{CREDIT_ID.prefix}{row['_id']}",
            shown(row.get("observedAt")),
            shown(row.get("occurredAt")),
            row.get("provider"),
            row.get("kind") or CreditKind.PAYMENT.value,
            _rupees(row.get("amountPaise")),
            row.get("state") or CreditState.NEW.value,
            row.get("outcome"),
            " ".join(row.get("orderIds") or []),
            row.get("rrn"),
            row.get("bank"),
            row.get("payer"),
            row.get("relay"),
            _rupees(row.get("balanceAfterPaise")),
            row.get("dismissReason"),
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
