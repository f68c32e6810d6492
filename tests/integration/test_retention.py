"""Retention (issue 12): personal data older than PII_RETENTION_DAYS is erased, exactly the
personal fields, on both stores; a dry run changes nothing; one customer can be erased."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from checkout.config import Settings
from checkout.services import retention
from checkout.services.ticker import Ticker
from checkout.storage.claims import UtrClaim
from checkout.storage.mail import MailJob
from checkout.storage.models import AuditLog, Nonce, Order, PaymentSession, WalletCredit
from checkout.storage.retention import PersonalDataStore
from checkout.storage.store import Store
from tests.conftest import Clock

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
OLD = NOW - timedelta(days=181)
RECENT = NOW - timedelta(days=179)
SETTINGS = Settings(pii_retention_days=180)


def checkout_at(order_id: str, at: datetime, email: str = "asha@example.in") -> None:
    PaymentSession(
        orderId=order_id,
        token=f"tok-{order_id}",
        status="completed",
        totalAmountPaise=49900,
        amountPaise=49903,
        amountPaidPaise=49903,
        email=email,
        customer={"name": "Asha Rao", "email": email, "phone": "+919876543210"},
        deliveryDetails={"address": "12 MG Road, Pune"},
        productDetails={"sku": "TEA-1"},
        ip="203.0.113.7",
        createdAt=at,
        expiresAt=at + timedelta(minutes=10),
    ).save()
    Order(
        orderId=order_id,
        email=email,
        deliveryDetails={"address": "12 MG Road, Pune"},
        totalAmountPaise=49900,
        amountPaidPaise=49903,
        createdAt=at,
    ).save()
    WalletCredit(
        key=f"sms:{order_id}",
        provider="sms",
        amountPaise=49903,
        observedAt=at,
        rrn=f"6123{order_id[-4:]:0>8}",
        payer="asha@okaxis",
        rawText="Rs.499.03 credited to a/c XX1234 from asha@okaxis",
        state="attributed",
        orderIds=[order_id],
    ).save()
    UtrClaim(
        orderId=order_id,
        slot=1,
        rrn="612345678901",
        status="matched",
        ip="203.0.113.7",
        createdAt=at,
        expiresAt=at + timedelta(minutes=10),
    ).save()
    AuditLog(action="checkout.completed", orderId=order_id, ip="203.0.113.7", timestamp=at).save()
    Nonce(
        nonce=f"n-{order_id}", ip="203.0.113.7", createdAt=at, expiresAt=NOW + timedelta(days=1)
    ).save()


def snapshot() -> dict[str, Any]:
    def rows(document: Any) -> list[dict[str, Any]]:
        return sorted(
            (
                {k: v for k, v in d.to_mongo().to_dict().items() if k != "_id"}
                for d in document.objects
            ),
            key=repr,
        )

    return {
        d.__name__: rows(d)
        for d in (PaymentSession, Order, WalletCredit, UtrClaim, AuditLog, Nonce)
    }


def test_purge_erases_exactly_the_personal_fields_of_old_records(store: Store) -> None:
    checkout_at("ORD-OLD-0001", OLD)
    checkout_at("ORD-NEW-0002", RECENT)
    for at in (OLD, RECENT):
        AuditLog(
            action="console_login",
            ip="198.51.100.9",
            timestamp=at,
            details={"email": "meera@shop.test", "user": "usr_1", "outcome": "wrong-password"},
        ).save()
    repo = PersonalDataStore()

    before = snapshot()
    counted = retention.purge_personal_data(store, repo, SETTINGS, now=NOW, dry_run=True, by="test")
    assert snapshot() == before, "a dry run changes nothing"
    assert counted.counts == {
        "checkouts": 1,
        "orders": 1,
        "credits": 1,
        "audit": 2,
        "utrClaims": 1,
        "nonces": 1,
    }

    erased = retention.purge_personal_data(store, repo, SETTINGS, now=NOW, dry_run=False, by="test")
    assert erased.counts == counted.counts

    old = PaymentSession.objects.get(orderId="ORD-OLD-0001")
    assert (old.email, old.customer, old.deliveryDetails, old.ip) == (None, {}, {}, None)
    # What the accounts need stays.
    assert (old.status, old.amountPaidPaise, old.totalAmountPaise) == ("completed", 49903, 49900)
    assert old.productDetails == {"sku": "TEA-1"}
    old_order = Order.objects.get(orderId="ORD-OLD-0001")
    assert (old_order.email, old_order.deliveryDetails, old_order.amountPaidPaise) == (
        None,
        {},
        49903,
    )
    credit = WalletCredit.objects.get(key="sms:ORD-OLD-0001")
    assert (credit.payer, credit.rawText) == (None, None)
    assert (credit.rrn, credit.amountPaise, credit.orderIds) == (
        "612300000001",
        49903,
        ["ORD-OLD-0001"],
    )
    assert not UtrClaim.objects(orderId="ORD-OLD-0001")
    audit = AuditLog.objects.get(orderId="ORD-OLD-0001", action="checkout.completed")
    assert audit.ip is None
    old_login, new_login = AuditLog.objects(action="console_login").order_by("timestamp")
    assert old_login.ip is None
    assert old_login.details == {"user": "usr_1", "outcome": "wrong-password"}
    assert new_login.details["email"] == "meera@shop.test" and new_login.ip == "198.51.100.9"
    assert Nonce.objects.get(nonce="n-ORD-OLD-0001").ip is None

    recent = PaymentSession.objects.get(orderId="ORD-NEW-0002")
    assert recent.email == "asha@example.in" and recent.customer["phone"] == "+919876543210"
    assert WalletCredit.objects.get(key="sms:ORD-NEW-0002").payer == "asha@okaxis"
    assert UtrClaim.objects(orderId="ORD-NEW-0002").count() == 1

    again = retention.purge_personal_data(store, repo, SETTINGS, now=NOW, dry_run=True, by="test")
    assert again.total == 0, "erased records are not counted twice"
    purges = AuditLog.objects(action=retention.PURGED)
    assert [entry.details["checkouts"] for entry in purges] == [1]


def test_erase_customer_on_request_only_touches_their_checkouts(store: Store) -> None:
    checkout_at("ORD-ASHA-0001", RECENT, email="Asha@Example.in")
    checkout_at("ORD-RAVI-0002", RECENT, email="ravi@example.in")
    for order_id, address in (("ORD-ASHA-0001", "Asha@Example.in"), ("ORD-RAVI-0002", "ravi@x.in")):
        MailJob(
            key=f"receipt:{order_id}",
            orderId=order_id,
            recipient=address,
            message="To: ...",
            nextAttemptAt=NOW,
            createdAt=NOW,
        ).save()
    repo = PersonalDataStore()

    erased = retention.erase_customer(
        store, repo, "asha@example.in", now=NOW, dry_run=False, by="test"
    )

    assert erased.order_ids == ["ORD-ASHA-0001"]
    assert erased.counts["mails"] == 1  # her receipt, still waiting, is never sent
    assert [job.orderId for job in MailJob.objects] == ["ORD-RAVI-0002"]
    assert PaymentSession.objects.get(orderId="ORD-ASHA-0001").customer == {}
    assert WalletCredit.objects.get(key="sms:ORD-ASHA-0001").payer is None
    assert PaymentSession.objects.get(orderId="ORD-RAVI-0002").email == "ravi@example.in"
    assert WalletCredit.objects.get(key="sms:ORD-RAVI-0002").payer == "asha@okaxis"
    entry = AuditLog.objects.get(action=retention.ERASED)
    assert entry.details["orderIds"] == ["ORD-ASHA-0001"] and "asha" not in repr(entry.details)


def test_the_ticker_purges_once_a_day_under_its_lease(store: Store, clock: Clock) -> None:
    clock.current = NOW
    checkout_at("ORD-OLD-0001", OLD)
    first = Ticker(store, None, SETTINGS, now_fn=clock)  # type: ignore[arg-type]
    second = Ticker(store, None, SETTINGS, now_fn=clock)  # type: ignore[arg-type]

    assert first.purge_personal_data() is not None
    assert second.purge_personal_data() is None, "another process already ran today's purge"
    checkout_at("ORD-OLD-0002", OLD)
    clock.current = NOW + timedelta(hours=2)
    assert first.purge_personal_data() is None, "not due again within the day"
    clock.current = NOW + timedelta(days=1, minutes=1)
    assert second.purge_personal_data() is not None
    assert PaymentSession.objects.get(orderId="ORD-OLD-0002").email is None
    assert AuditLog.objects(action=retention.PURGED).count() == 2
