"""Console Today and Payments: signed in, CSRF on every post, strict filters, local days."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.config import Settings
from checkout.domain import local_days
from checkout.domain.vocabulary import DeliveryStatus
from checkout.gateway import Gateway
from checkout.services import console_today, outbox
from checkout.storage.claims import UtrClaim
from checkout.storage.merchant import WebhookDelivery
from checkout.storage.models import AuditLog, PaymentSession, WalletCredit
from tests.conftest import AUTH, Clock
from tests.functional.console_login import csrf_app, sign_in

V1 = "/api/v1/checkout-sessions"
TOKEN = re.compile(r'name="csrf_token"(?: type="hidden")? value="([^"]+)"')
ROWS = re.compile(r'<th scope="row"><a href="/admin/checkouts/([^"]+)">')


@pytest.fixture
def settings(settings: Settings, mongodb_uri: str) -> Settings:
    """Every test twice: mongomock, and nx-27017 (its date-as-text and `$in` quirks)."""
    return dataclasses.replace(settings, mongodb_uri=mongodb_uri).validated()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    yield from csrf_app(settings)


def _sign_in(client: FlaskClient, gateway: Gateway) -> str:
    """Staff may see and act on payments: every test here signs in as staff."""
    return sign_in(client, gateway, "staff")


def _token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, html
    return found.group(1)


def _open(client: FlaskClient, order_id: str, amount: str = "100", **fields: Any) -> str:
    answer = client.post(V1, json={"orderId": order_id, "amount": amount, **fields}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    session_id: str = answer.get_json()["id"]
    return session_id


def _listed(client: FlaskClient, query: str = "") -> list[str]:
    page = client.get(f"/admin/checkouts{query}")
    assert page.status_code == 200, page.get_data(as_text=True)
    return ROWS.findall(page.get_data(as_text=True))


def test_every_route_sends_a_signed_out_visitor_to_login(client: FlaskClient) -> None:
    _open(client, "ORD-C0")
    for path in (
        "/admin/",
        "/admin/checkouts",
        "/admin/checkouts?q=x",
        "/admin/checkouts/ORD-C0",
        "/admin/checkouts/ORD-C0/cancel",
    ):
        answer = client.get(path)
        assert answer.status_code == 302, path
        assert (
            "/admin/login" in answer.headers["Location"] and "next=" in answer.headers["Location"]
        )
    # A post with a good CSRF token (from the login page) is still sent to login.
    token = _token(client.get("/admin/login").get_data(as_text=True))
    for path in (
        "/admin/checkouts/ORD-C0/cancel",
        "/admin/checkouts/ORD-C0/deliveries/whd_1/retry",
    ):
        answer = client.post(path, data={"csrf_token": token})
        assert answer.status_code == 302 and "/admin/login" in answer.headers["Location"], path
    assert PaymentSession.objects.get(orderId="ORD-C0").status == "pending"


def test_cancel_asks_first_needs_csrf_cancels_once_and_audits_the_user(
    client: FlaskClient, gateway: Gateway
) -> None:
    _open(client, "ORD-C1")
    user = _sign_in(client, gateway)
    page = client.get("/admin/checkouts/ORD-C1").get_data(as_text=True)
    assert "/admin/checkouts/ORD-C1/cancel" in page and "/pay/" in page
    confirm = client.get("/admin/checkouts/ORD-C1/cancel")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Yes, cancel it" in html
    assert PaymentSession.objects.get(orderId="ORD-C1").status == "pending"  # a GET changes nothing

    assert client.post("/admin/checkouts/ORD-C1/cancel").status_code == 400  # no CSRF token
    forged = client.post("/admin/checkouts/ORD-C1/cancel", data={"csrf_token": "forged"})
    assert forged.status_code == 400
    assert PaymentSession.objects.get(orderId="ORD-C1").status == "pending"

    token = _token(html)
    first = client.post("/admin/checkouts/ORD-C1/cancel", data={"csrf_token": token})
    second = client.post("/admin/checkouts/ORD-C1/cancel", data={"csrf_token": token})
    assert (first.status_code, second.status_code) == (303, 303)
    assert PaymentSession.objects.get(orderId="ORD-C1").status == "cancelled"
    cancelled = AuditLog.objects(orderId="ORD-C1", action="session_cancelled")
    assert [entry.details.get("by") for entry in cancelled] == [user]
    shown = client.get("/admin/checkouts/ORD-C1").get_data(as_text=True)
    assert "Cancelled" in shown and f"by {user}" in shown and "Cancel checkout" not in shown


def test_a_paid_checkout_cannot_be_cancelled_and_links_to_its_refund(
    client: FlaskClient, gateway: Gateway, pay: Callable[[str], Any]
) -> None:
    sid = _open(client, "ORD-C2")
    pay("ORD-C2")
    _sign_in(client, gateway)
    page = client.get("/admin/checkouts/ORD-C2").get_data(as_text=True)
    assert f"/admin/checkouts/{sid}/refund" in page and "Evidence seen" in page
    assert "Completed" in page and "Cancel checkout" not in page
    token = _token(client.get("/admin/checkouts/ORD-C2/cancel").get_data(as_text=True))
    refused = client.post("/admin/checkouts/ORD-C2/cancel", data={"csrf_token": token})
    assert refused.status_code == 409 and "already completed" in refused.get_data(as_text=True)
    assert client.get("/admin/checkouts/ORD-NOPE").status_code == 404


def test_webhook_retry_is_a_csrf_post_on_this_checkouts_delivery(
    client: FlaskClient, gateway: Gateway, pay: Callable[[str], Any], clock: Clock
) -> None:
    added = client.post(
        "/api/v1/webhook-endpoints",
        json={"url": "https://shop.example.com/hooks", "events": ["checkout.completed"]},
        headers=AUTH,
    )
    assert added.status_code == 201, added.get_data(as_text=True)
    _open(client, "ORD-C3")
    pay("ORD-C3")
    outbox.publish_owed_events(gateway.store, gateway.merchant, now=clock.current)
    delivery = WebhookDelivery.objects.first()
    assert delivery is not None
    WebhookDelivery.objects(deliveryId=delivery.deliveryId).update_one(
        set__status=DeliveryStatus.FAILED, set__lastError="connection refused"
    )
    user = _sign_in(client, gateway)
    page = client.get("/admin/checkouts/ORD-C3").get_data(as_text=True)
    assert "checkout.completed" in page and "connection refused" in page
    retry = f"/admin/checkouts/ORD-C3/deliveries/{delivery.deliveryId}/retry"
    assert retry in page
    assert client.post(retry).status_code == 400  # no CSRF token
    assert WebhookDelivery.objects.get(deliveryId=delivery.deliveryId).status == "failed"
    done = client.post(retry, data={"csrf_token": _token(page)})
    assert done.status_code == 303
    assert WebhookDelivery.objects.get(deliveryId=delivery.deliveryId).status == "pending"
    assert AuditLog.objects(action="webhook_retried").first().details["by"] == user
    _open(client, "ORD-C4")
    other = client.post(
        f"/admin/checkouts/ORD-C4/deliveries/{delivery.deliveryId}/retry",
        data={"csrf_token": _token(page)},
    )
    assert other.status_code == 404  # another checkout's delivery


def test_filters_by_status_amount_and_local_days(
    client: FlaskClient,
    gateway: Gateway,
    pay: Callable[[str], Any],
    clock: Clock,
    settings: Settings,
) -> None:
    _open(client, "ORD-F1", "100")
    _open(client, "ORD-F2", "250")
    pay("ORD-F2")
    clock.advance(days=2)
    _open(client, "ORD-F3", "999.50")
    _sign_in(client, gateway)
    assert _listed(client) == ["ORD-F3", "ORD-F2", "ORD-F1"]  # newest first
    assert _listed(client, "?status=completed") == ["ORD-F2"]
    assert _listed(client, "?min=200&max=999.50") == ["ORD-F3", "ORD-F2"]
    assert _listed(client, "?max=150") == ["ORD-F1"]
    today = local_days.day_of(clock.current, settings.display_timezone)
    before = (today - timedelta(days=2)).isoformat()
    assert _listed(client, f"?from={today.isoformat()}") == ["ORD-F3"]
    assert _listed(client, f"?from={before}&to={before}") == ["ORD-F2", "ORD-F1"]
    assert _listed(client, "?status=&q=&from=&to=&min=&max=") == ["ORD-F3", "ORD-F2", "ORD-F1"]


def test_unknown_and_bad_filters_are_refused_by_name(client: FlaskClient, gateway: Gateway) -> None:
    _sign_in(client, gateway)
    for query, named in (
        ("?colour=red", "colour"),
        ("?status=paid", "status"),
        ("?from=2026-13-01", "from"),
        ("?from=2026-12-05&to=2026-12-01", "to"),
        ("?min=abc", "min"),
        ("?max=1e3", "max"),
        ("?page=0", "page"),
        ("?q=" + "x" * 101, "q"),
        ("?status=pending&status=expired", "status"),
    ):
        answer = client.get(f"/admin/checkouts{query}")
        html = answer.get_data(as_text=True)
        assert answer.status_code == 400, query
        assert f"<strong>{named}</strong>" in html and "cannot be used" in html, query


def test_search_by_email_phone_name_order_and_utr(client: FlaskClient, gateway: Gateway) -> None:
    _open(client, "ORD-S1", customer={"email": "asha@example.com", "name": "Asha Rao"})
    _open(client, "ORD-S2", "120", customer={"phone": "+91 98765 43210", "name": "Vikram"})
    _open(client, "ORD-S3", "130")
    paid = client.post("/api/sandbox/sms", json={"orderId": "ORD-S3"})
    assert paid.status_code == 200, paid.get_data(as_text=True)
    credit = WalletCredit.objects(orderIds="ORD-S3").first()
    assert credit is not None and credit.rrn
    now = PaymentSession.objects.get(orderId="ORD-S1").createdAt
    UtrClaim(
        orderId="ORD-S2", slot=1, rrn="555566667777", status="waiting", createdAt=now, expiresAt=now
    ).save()
    _sign_in(client, gateway)
    assert _listed(client, "?q=ASHA@example") == ["ORD-S1"]
    assert _listed(client, "?q=asha+rao") == ["ORD-S1"]
    assert _listed(client, "?q=98765") == ["ORD-S2"]
    assert _listed(client, "?q=ORD-S3") == ["ORD-S3"]
    assert _listed(client, f"?q={credit.rrn}") == ["ORD-S3"]
    assert _listed(client, "?q=555566667777") == ["ORD-S2"]
    assert _listed(client, "?q=.*") == []  # a search is text, never a pattern
    assert _listed(client, "?q=nobody") == []


def test_pages_of_fifty_newest_first_with_next_and_previous(
    client: FlaskClient, gateway: Gateway
) -> None:
    start = PaymentSession.objects.count()
    base = local_days.day_period(local_days.parse_day("2026-11-20"), "UTC").start
    for index in range(53):
        PaymentSession(
            orderId=f"ORD-P{index:02d}",
            token=secrets.token_urlsafe(12),
            totalAmountPaise=10000,
            amountPaise=10000,
            createdAt=base + timedelta(minutes=index),
            expiresAt=base + timedelta(minutes=index + 10),
        ).save()
    assert start == 0
    _sign_in(client, gateway)
    first = client.get("/admin/checkouts").get_data(as_text=True)
    shown = ROWS.findall(first)
    assert len(shown) == 50 and shown[0] == "ORD-P52" and shown[-1] == "ORD-P03"
    assert 'rel="next" href="/admin/checkouts?page=2"' in first and 'rel="prev"' not in first
    second = client.get("/admin/checkouts?page=2").get_data(as_text=True)
    assert ROWS.findall(second) == ["ORD-P02", "ORD-P01", "ORD-P00"]
    assert 'rel="prev" href="/admin/checkouts"' in second and 'rel="next"' not in second
    filtered = client.get("/admin/checkouts?min=100").get_data(as_text=True)
    assert 'href="/admin/checkouts?min=100&amp;page=2"' in filtered


def test_takings_across_an_ist_midnight_with_a_late_completion_and_a_refund(
    client: FlaskClient,
    gateway: Gateway,
    pay: Callable[[str], Any],
    clock: Clock,
    settings: Settings,
) -> None:
    tz = settings.display_timezone
    assert tz == "Asia/Kolkata"
    first_day = local_days.day_of(clock.current, tz) + timedelta(days=1)
    midnight = local_days.day_period(first_day, tz).end  # the IST midnight to cross
    clock.advance(seconds=(midnight - clock.current).total_seconds() - 20 * 60)

    on_time = _open(client, "ORD-T1", "100")
    _open(client, "ORD-T2", "200", expiresInMinutes=5)
    pay("ORD-T1")  # paid 20 minutes before midnight
    clock.advance(minutes=30)  # past midnight: ORD-T2 expired, inside its grace
    assert client.get("/admin/", follow_redirects=False).status_code == 302
    pay("ORD-T2")
    late = PaymentSession.objects.get(orderId="ORD-T2")
    assert late.status == "completed" and late.late and late.completedAt >= midnight
    _sign_in(client, gateway)
    token = _token(client.get(f"/admin/checkouts/{on_time}/refund").get_data(as_text=True))
    refunded = client.post(
        f"/admin/checkouts/{on_time}/refund", data={"csrf_token": token, "amount": "30"}
    )
    assert refunded.status_code == 302
    _open(client, "ORD-T3", "499")  # an open checkout: the ticker reads the wallet again
    clock.advance(seconds=settings.poll_interval_seconds)
    gateway.ticker.tick()
    stray = client.post("/api/sandbox/credit", json={"amount": "7.77"})  # nobody's payment
    assert stray.status_code == 200
    clock.advance(seconds=settings.poll_interval_seconds)
    gateway.ticker.tick()
    assert WalletCredit.objects(amountPaise=777).first().state == "unattributed"

    report = console_today.today(gateway.store, gateway.provider, settings, now=clock.current)
    today, week, month = report.periods
    assert (today.paid_paise, today.count, today.late) == (20000, 1, 1)
    assert (today.refunded_paise, today.refunds, today.net_paise) == (3000, 1, 17000)
    assert (today.unattributed, today.unattributed_paise) == (1, 777)
    before, after = report.chart.bars[-2], report.chart.bars[-1]
    assert (before.day, before.net_paise, before.count) == (first_day, 10000, 1)
    assert (after.net_paise, after.count) == (17000, 1)
    assert after.height > before.height > 0
    for period in (week, month):
        both = period.period.contains(midnight - timedelta(minutes=20))
        assert period.net_paise == (27000 if both else 17000)

    page = client.get("/admin/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "₹170.00" in html and "1 paid (1 late)" in html and "Unattributed credits: 1" in html
    assert 'role="img"' in html and "<title" in html and "Takings per day" in html
    assert f'<th scope="row">{first_day.isoformat()}</th><td>1</td><td>₹100.00</td>' in html
    assert '<span class="tile-amount">1</span> open checkouts' in html
    assert (
        '<span class="tile-amount">1</span> credits waiting for review' in html
        and "Evidence sources" in html
    )


def test_the_today_queries_have_their_indexes(gateway: Gateway) -> None:
    def keys(document: Any) -> set[tuple[str, ...]]:
        info = document._get_collection().index_information()
        return {tuple(name for name, _ in spec["key"]) for spec in info.values()}

    assert ("completedAt",) in keys(PaymentSession)
    assert ("createdAt",) in keys(PaymentSession)
    assert ("timestamp",) in keys(AuditLog)
    assert ("observedAt",) in keys(WalletCredit)


def test_the_chart_scales_to_the_best_day_and_draws_no_bar_below_zero() -> None:
    days = local_days.last_days(datetime(2026, 12, 2, 12, tzinfo=UTC), "Asia/Kolkata", 3)
    daily = [console_today.Takings(d.first.isoformat(), d) for d in days]
    daily[0].paid_paise, daily[1].paid_paise = 50000, 100
    daily[2].paid_paise, daily[2].refunded_paise = 1000, 4000  # more refunded than taken
    chart = console_today.chart(daily)
    tallest, tiny, negative = chart.bars
    usable = console_today.CHART_HEIGHT - console_today.CHART_TOP
    assert (tallest.height, tallest.y) == (usable, console_today.CHART_TOP)
    assert tiny.height == 1  # a day with takings always shows
    assert negative.height == 0 and negative.net == "-₹30.00"
    assert chart.top == "₹500.00"
    assert [bar.x for bar in chart.bars] == [2, 202, 402] and tallest.width == 196
