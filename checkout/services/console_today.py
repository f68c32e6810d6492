"""The console's Today page: takings by local day, week and month, and what needs attention.

Takings are the amounts paid of checkouts completed in a local period (late ones
included), minus the refunds recorded in it; credits nobody could attribute are
counted apart, since they are money the merchant has but no order for.

Every figure comes from UTC range queries on indexed times (completedAt, the audit
trail's timestamp, observedAt), bucketed into local days here in Python: the test
server ignores a timezone in `$dateToString`, so no aggregation may rely on one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from checkout.config import Settings
from checkout.domain import local_days
from checkout.domain.local_days import Period
from checkout.domain.money import display_rupees
from checkout.domain.vocabulary import CreditKind, CreditState, DeliveryStatus, Status
from checkout.providers.base import WalletProvider
from checkout.services.health import health_report
from checkout.services.review import QUEUE_STATES
from checkout.storage.merchant import WebhookDelivery
from checkout.storage.models import AuditLog, PaymentSession, UTCDateTimeField, WalletCredit
from checkout.storage.store import Store

CHART_DAYS = 30
REFUNDED = "checkout_refunded"  # the audit action of a recorded refund
UNATTRIBUTED = (CreditState.UNATTRIBUTED.value, CreditState.CONFLICT.value)
# The test server compares dates to the second: ask a little wider, decide exactly here.
_SLACK = timedelta(seconds=1)
_TIME = UTCDateTimeField()
BATCH_SIZE = 5000  # one round trip per few thousand rows, not per hundred

# The chart's drawing box (SVG user units); the page scales it to its width.
CHART_WIDTH = 600
CHART_HEIGHT = 160
CHART_TOP = 8  # room above the tallest bar
BAR_GAP = 4


@dataclass
class Takings:
    """One local period's figures, in paise."""

    label: str
    period: Period
    paid_paise: int = 0
    count: int = 0
    late: int = 0
    refunded_paise: int = 0
    refunds: int = 0
    unattributed_paise: int = 0
    unattributed: int = 0

    @property
    def net_paise(self) -> int:
        return self.paid_paise - self.refunded_paise

    @property
    def net(self) -> str:
        return display_rupees(self.net_paise)

    @property
    def paid(self) -> str:
        return display_rupees(self.paid_paise)

    @property
    def refunded(self) -> str:
        return display_rupees(self.refunded_paise)

    @property
    def unattributed_amount(self) -> str:
        return display_rupees(self.unattributed_paise)


@dataclass(frozen=True)
class Bar:
    day: date
    net_paise: int
    count: int
    x: int
    y: int
    width: int
    height: int

    @property
    def net(self) -> str:
        return display_rupees(self.net_paise)


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    width: int = CHART_WIDTH
    height: int = CHART_HEIGHT
    top_paise: int = 0

    @property
    def top(self) -> str:
        return display_rupees(self.top_paise)


@dataclass(frozen=True)
class Attention:
    open_checkouts: int
    review_credits: int
    failed_deliveries: int
    retrying_deliveries: int


@dataclass(frozen=True)
class SourceHealth:
    name: str
    status: str
    detail: str


@dataclass
class Today:
    timezone: str
    now: datetime
    periods: list[Takings]
    chart: Chart
    attention: Attention
    health: list[SourceHealth] = field(default_factory=list)
    health_status: str = "ok"


def today(store: Store, provider: WalletProvider, settings: Settings, *, now: datetime) -> Today:
    tz = settings.display_timezone
    days = local_days.last_days(now, tz, CHART_DAYS)
    periods = [
        Takings("Today", days[-1]),
        Takings("This week", local_days.week_of(now, tz)),
        Takings("This month", local_days.month_of(now, tz)),
    ]
    daily = [Takings(day.first.isoformat(), day) for day in days]
    buckets = periods + daily
    start = min(t.period.start for t in buckets)
    end = max(t.period.end for t in buckets)
    _add_completions(buckets, start, end)
    _add_refunds(buckets, start, end)
    _add_unattributed(buckets, start, end)
    status, report = health_report(
        store, provider, receive_only=settings.wallet_receive_only, settings=settings
    )
    return Today(
        timezone=tz,
        now=now,
        periods=periods,
        chart=chart(daily),
        attention=attention(now=now),
        health=source_health(report.get("checks", {}), tz=tz),
        health_status=str(report.get("status", "down" if status >= 500 else "ok")),
    )


def _in(buckets: Iterable[Takings], moment: datetime | None) -> list[Takings]:
    return [t for t in buckets if moment is not None and t.period.contains(moment)]


def _rows(document: Any, query: dict[str, Any], fields: tuple[str, ...]) -> Any:
    """Projected raw rows straight from the collection: thousands of them, no documents built."""
    projection = {name: 1 for name in fields}
    return document._get_collection().find(query, projection, batch_size=BATCH_SIZE)


def _range(start: datetime, end: datetime) -> dict[str, datetime]:
    return {"$gte": start - _SLACK, "$lt": end + _SLACK}


def _add_completions(buckets: list[Takings], start: datetime, end: datetime) -> None:
    """Checkouts completed in [start, end): one indexed range query, projected."""
    query = {"completedAt": _range(start, end), "status": Status.COMPLETED.value}
    fields = ("completedAt", "amountPaise", "amountPaidPaise", "late")
    for row in _rows(PaymentSession, query, fields):
        paid = int(row.get("amountPaidPaise") or row.get("amountPaise") or 0)
        for bucket in _in(buckets, _TIME.to_python(row.get("completedAt"))):
            bucket.paid_paise += paid
            bucket.count += 1
            bucket.late += 1 if row.get("late") else 0


def _add_refunds(buckets: list[Takings], start: datetime, end: datetime) -> None:
    """Refunds recorded in [start, end), from the audit trail (one entry per refund)."""
    query = {"timestamp": _range(start, end), "action": REFUNDED}
    for row in _rows(AuditLog, query, ("timestamp", "details")):
        amount = int((row.get("details") or {}).get("amountPaise") or 0)
        for bucket in _in(buckets, _TIME.to_python(row.get("timestamp"))):
            bucket.refunded_paise += amount
            bucket.refunds += 1


def _add_unattributed(buckets: list[Takings], start: datetime, end: datetime) -> None:
    """Credits seen in the period that no checkout took (state decided in Python: no `$in`)."""
    query = {"observedAt": _range(start, end)}
    for row in _rows(WalletCredit, query, ("observedAt", "state", "kind", "amountPaise")):
        if row.get("state") not in UNATTRIBUTED or row.get("kind") == CreditKind.DEBIT.value:
            continue
        for bucket in _in(buckets, _TIME.to_python(row.get("observedAt"))):
            bucket.unattributed_paise += int(row.get("amountPaise") or 0)
            bucket.unattributed += 1


def chart(daily: list[Takings]) -> Chart:
    """Bars scaled to the best day; a day of net refunds draws no bar (its table row says so)."""
    top = max([t.net_paise for t in daily] + [0])
    slot = CHART_WIDTH // max(len(daily), 1)
    usable = CHART_HEIGHT - CHART_TOP
    bars = []
    for index, takings in enumerate(daily):
        height = takings.net_paise * usable // top if top > 0 and takings.net_paise > 0 else 0
        if takings.net_paise > 0:
            height = max(height, 1)
        bars.append(
            Bar(
                day=takings.period.first,
                net_paise=takings.net_paise,
                count=takings.count,
                x=index * slot + BAR_GAP // 2,
                y=CHART_HEIGHT - height,
                width=slot - BAR_GAP,
                height=height,
            )
        )
    return Chart(bars=bars, top_paise=top)


def open_checkouts(*, now: datetime) -> int:
    """Pending and not yet expired: the few unexpired ones by their index, status read here
    (the test server scans for `status` beside a date range)."""
    rows = _rows(PaymentSession, {"expiresAt": {"$gt": now}}, ("status",))
    return sum(1 for row in rows if row.get("status") == Status.PENDING.value)


def attention(*, now: datetime) -> Attention:
    review = sum(WalletCredit.objects(state=str(state)).count() for state in QUEUE_STATES)
    return Attention(
        open_checkouts=open_checkouts(now=now),
        review_credits=review,
        failed_deliveries=WebhookDelivery.objects(status=DeliveryStatus.FAILED.value).count(),
        retrying_deliveries=WebhookDelivery.objects(
            status=DeliveryStatus.PENDING.value, attempts__gte=1
        ).count(),
    )


_SOURCE_NAMES = {
    "store": "Store",
    "provider": "Wallet",
    "evidence": "Wallet evidence",
    "relay": "SMS relay",
    "mailbox": "Alert mailbox",
}


def source_health(checks: dict[str, Any], *, tz: str) -> list[SourceHealth]:
    """/health's checks, one row per evidence source, in words."""
    rows = []
    for key, name in _SOURCE_NAMES.items():
        check = checks.get(key)
        if check is None:
            continue
        if isinstance(check, str):  # the relay check is a bare status
            rows.append(SourceHealth(name, check, ""))
            continue
        status = str(check.get("status", "unknown"))
        rows.append(SourceHealth(name, status, _detail(key, check, tz)))
    return rows


def _when(text: object, tz: str) -> str:
    """An ISO time from /health on the merchant's clock."""
    try:
        moment = datetime.fromisoformat(str(text))
    except ValueError:
        return str(text or "")
    return local_days.to_local(moment, tz).strftime("%d %b, %H:%M")


def _detail(key: str, check: dict[str, Any], tz: str) -> str:
    if key == "provider":
        parts = [str(check.get("name") or "")]
        if check.get("consecutiveFailures"):
            parts.append(f"{check['consecutiveFailures']} failed reads: {check.get('lastError')}")
        elif check.get("lastOkAt"):
            parts.append(f"last read {_when(check['lastOkAt'], tz)}")
        return "; ".join(p for p in parts if p)
    if key == "evidence":
        if check.get("source") == "history":
            return "per-payment history"
        return str(check.get("note") or "balance only")
    if key == "store":
        return "in memory" if check.get("inMemory") else "MongoDB"
    if key == "mailbox":
        failures = check.get("consecutiveFailures")
        if failures:
            return f"{failures} failed polls"
        return f"last read {_when(check['lastOkAt'], tz)}" if check.get("lastOkAt") else ""
    return ""


__all__ = ["CHART_DAYS", "Chart", "Takings", "Today", "chart", "today"]
