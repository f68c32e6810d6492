"""Webhooks end to end: state changes → outbox → a real receiver on loopback.

The receiver is pytest-httpserver answering what each test scripts (500, 408,
429, 4xx, or nothing at all); delivery is driven by the worker's
`run_round()`, and retries come due by moving the patched clock.
"""

from __future__ import annotations

import json
import logging
import socket
import ssl
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import outbox
from checkout.services.outbox import DeliveryWorker, InvalidWebhookUrl, check_url
from checkout.services.presenters import iso
from checkout.services.ticker import Ticker
from checkout.storage.merchant import WebhookDelivery, WebhookEndpoint
from checkout.storage.models import Order, PaymentSession
from checkout.webhooks import InvalidSignature, verify
from tests.conftest import ADMIN_SECRET, AUTH, Clock, race
from tests.integration.conftest import drop_store

V1 = "/api/v1/checkout-sessions"


@dataclass
class Received:
    body: bytes
    signature: str | None
    event_id: str | None
    content_type: str | None
    host: str | None = None

    @property
    def event(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


class Receiver:
    """A merchant's webhook endpoint: answers the scripted statuses in turn, then 200."""

    def __init__(self, httpserver: HTTPServer, path: str = "/hooks") -> None:
        self.httpserver = httpserver
        self.answers: list[int] = []
        self.received: list[Received] = []
        self._lock = threading.Lock()
        httpserver.expect_request(path, method="POST").respond_with_handler(self._handle)
        self.url = httpserver.url_for(path)

    def _handle(self, request: Request) -> Response:
        with self._lock:
            self.received.append(
                Received(
                    body=request.get_data(),
                    signature=request.headers.get("X-UPI-Signature"),
                    event_id=request.headers.get("X-UPI-Event-Id"),
                    content_type=request.headers.get("Content-Type"),
                    host=request.headers.get("Host"),
                )
            )
            status = self.answers.pop(0) if self.answers else 200
        return Response("thanks" if status < 300 else "not now", status=status)

    def types(self) -> list[str]:
        return [r.event["type"] for r in self.received]


class Hooks:
    """The gateway as a merchant sees it, plus the knobs a test turns."""

    def __init__(self, app: Flask, clock: Clock) -> None:
        self.app = app
        self.clock = clock
        self.client: FlaskClient = app.test_client()
        self.gateway: Gateway = app.extensions[EXTENSION_KEY]

    def register(self, url: str, events: list[str] | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {"url": url}
        if events:
            body["events"] = events
        answer = self.client.post("/api/v1/webhook-endpoints", json=body, headers=AUTH)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        endpoint: dict[str, Any] = answer.get_json()
        return endpoint

    def open(self, order_id: str, amount: str = "500", **fields: Any) -> dict[str, Any]:
        body = {"orderId": order_id, "amount": amount, **fields}
        answer = self.client.post(V1, json=body, headers=AUTH)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        session: dict[str, Any] = answer.get_json()
        return session

    def credit(self, **body: str) -> None:
        answer = self.client.post("/api/sandbox/credit", json=body)
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def tick(self) -> Any:
        self.clock.advance(seconds=self.gateway.settings.poll_interval_seconds)
        return self.gateway.ticker.tick()

    def pay(self, order_id: str) -> None:
        # A balance rise pays only checkouts that existed at the read before it (DESIGN
        # §5.5): one read after opening, as any real customer's scan-and-pay allows.
        self.tick()
        self.credit(orderId=order_id)
        report = self.tick()
        assert order_id in report.completed, report

    def cancel(self, session: dict[str, Any]) -> None:
        answer = self.client.post(f"{V1}/{session['id']}/cancel", headers=AUTH)
        assert answer.status_code == 200, answer.get_data(as_text=True)

    def round(self) -> int:
        return self.gateway.webhooks.run_round()

    def deliveries(self, query: str = "") -> list[dict[str, Any]]:
        answer = self.client.get(f"/api/v1/webhook-deliveries?{query}", headers=AUTH)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        data: list[dict[str, Any]] = answer.get_json()["data"]
        return data

    def only_delivery(self) -> dict[str, Any]:
        (delivery,) = self.deliveries()
        return delivery

    def now(self) -> float:
        return self.clock().timestamp()


def hooks_app(settings: Settings, mongodb_uri: str, **overrides: Any) -> Flask:
    app = create_app(
        settings.with_overrides(
            mongodb_uri=mongodb_uri,
            webhook_allow_private=True,
            rate_limit_max_requests=1000,
            **overrides,
        )
    )
    app.config["TESTING"] = True
    return app


@pytest.fixture
def hooks(settings: Settings, mongodb_uri: str, clock: Clock) -> Iterator[Hooks]:
    """On both stores: mongomock and the nx-27017 wire server."""
    app = hooks_app(settings, mongodb_uri)
    yield Hooks(app, clock)
    drop_store(app.extensions[EXTENSION_KEY].store)


@pytest.fixture
def fast_hooks(settings: Settings, clock: Clock) -> Iterator[Hooks]:
    """The in-memory store only, for what does not depend on the store's dialect."""
    app = hooks_app(settings, "mongomock://localhost")
    yield Hooks(app, clock)
    drop_store(app.extensions[EXTENSION_KEY].store)


@pytest.fixture
def receiver(httpserver: HTTPServer) -> Receiver:
    return Receiver(httpserver)


# -- the events -------------------------------------------------------------------------


def test_checkout_completed_is_delivered_once_signed(hooks: Hooks, receiver: Receiver) -> None:
    endpoint = hooks.register(receiver.url)
    opened = hooks.open("ORD-WH-1", "1018", description="Shirt")
    assert hooks.round() == 0  # nothing happened yet
    hooks.pay("ORD-WH-1")
    assert receiver.received == []  # written to the outbox; nothing is sent inside the tick

    assert hooks.round() == 1
    (got,) = receiver.received
    assert got.content_type == "application/json"
    event = verify(got.body, got.signature, endpoint["secret"], now=hooks.now())
    assert set(event) == {"id", "type", "createdAt", "data"}
    assert event["type"] == "checkout.completed"
    assert event["id"].startswith("evt_") and got.event_id == event["id"]
    data = event["data"]
    assert data["id"] == opened["id"] and data["orderId"] == "ORD-WH-1"
    assert data["status"] == "completed" and data["late"] is False
    assert data["amount"] == opened["amount"] and data["requestedAmount"] == 1018
    assert got.signature is not None
    assert got.signature.startswith(f"t={int(hooks.now())},v1=")

    # Settled once: more rounds, and more time, send nothing again.
    hooks.clock.advance(hours=7)
    assert hooks.round() == 0 and len(receiver.received) == 1
    delivery = hooks.only_delivery()
    assert delivery["status"] == "delivered" and delivery["attempts"] == 1
    assert delivery["eventId"] == event["id"] and delivery["lastStatusCode"] == 200
    assert delivery["type"] == "checkout.completed" and delivery["endpointId"] == endpoint["id"]


def test_verify_refuses_tampering_wrong_secrets_and_old_messages(
    fast_hooks: Hooks, receiver: Receiver
) -> None:
    endpoint = fast_hooks.register(receiver.url)
    session = fast_hooks.open("ORD-WH-V")
    fast_hooks.cancel(session)
    fast_hooks.round()
    (got,) = receiver.received
    secret, now = endpoint["secret"], fast_hooks.now()
    assert verify(got.body, got.signature, secret, now=now)["type"] == "checkout.cancelled"
    assert verify(got.body.decode(), got.signature, secret, now=now + 300)

    tampered = got.body.replace(b'"cancelled"', b'"completed"')
    assert tampered != got.body
    t, v1 = (got.signature or "").split(",")
    accented = "\u00e9" * 64
    refused: list[tuple[bytes, str | None, str, float]] = [
        (tampered, got.signature, secret, now),
        (got.body, got.signature, secret + "x", now),
        (got.body, got.signature, "whsec_someone_else", now),
        (got.body, got.signature, secret, now + 301),  # replayed too late
        (got.body, got.signature, secret, now - 301),
        (got.body, None, secret, now),
        (got.body, "", secret, now),
        (got.body, v1, secret, now),  # no timestamp
        (got.body, t, secret, now),  # no signature
        (got.body, f"t={int(now) + 1},{v1}", secret, now),  # timestamp swapped
        (got.body, f"{t},v1={'0' * 64}", secret, now),
        (got.body, f"{t},v1={accented}", secret, now),  # never a TypeError
    ]
    for body, header, key, when in refused:
        with pytest.raises(InvalidSignature):
            verify(body, header, key, now=when)


def test_expiry_then_a_late_payment_in_the_grace_window(hooks: Hooks, receiver: Receiver) -> None:
    hooks.register(receiver.url)
    opened = hooks.open("ORD-WH-LATE", "250", expiresInMinutes=1)
    hooks.clock.advance(minutes=2)
    report = hooks.tick()
    assert report.expired == ["ORD-WH-LATE"]
    hooks.round()
    assert receiver.types() == ["checkout.expired"]
    expired = receiver.received[0].event
    assert expired["data"]["id"] == opened["id"] and expired["data"]["status"] == "expired"

    hooks.clock.advance(minutes=30)  # inside the 60-minute grace window
    hooks.pay("ORD-WH-LATE")
    hooks.round()
    assert receiver.types() == ["checkout.expired", "checkout.completed"]
    completed = receiver.received[1].event
    assert completed["data"]["late"] is True and completed["data"]["status"] == "completed"
    assert completed["id"] != expired["id"]
    assert Order.objects.get(orderId="ORD-WH-LATE").late is True


def test_expiry_and_late_payment_before_the_worker_runs_owe_both_events(
    hooks: Hooks, receiver: Receiver
) -> None:
    """Two state changes between two worker rounds: neither event is lost."""
    hooks.register(receiver.url)
    hooks.open("ORD-WH-BOTH", "260", expiresInMinutes=1)
    hooks.clock.advance(minutes=2)
    hooks.pay("ORD-WH-BOTH")  # expiry applied by this tick, then the late completion
    hooks.round()
    assert sorted(receiver.types()) == ["checkout.completed", "checkout.expired"]
    hooks.round()
    assert len(receiver.types()) == 2


def test_an_expiry_seen_on_read_is_announced_too(fast_hooks: Hooks, receiver: Receiver) -> None:
    fast_hooks.register(receiver.url)
    opened = fast_hooks.open("ORD-WH-READ", expiresInMinutes=1)
    fast_hooks.clock.advance(minutes=1, seconds=1)
    read = fast_hooks.client.get(f"{V1}/{opened['id']}", headers=AUTH)
    assert read.get_json()["status"] == "expired"
    fast_hooks.round()
    assert receiver.types() == ["checkout.expired"]


def test_checkout_cancelled(hooks: Hooks, receiver: Receiver) -> None:
    endpoint = hooks.register(receiver.url)
    opened = hooks.open("ORD-WH-C")
    hooks.cancel(opened)
    hooks.cancel(opened)  # cancelling again changes nothing and owes nothing
    hooks.round()
    (got,) = receiver.received
    event = verify(got.body, got.signature, endpoint["secret"], now=hooks.now())
    assert event["type"] == "checkout.cancelled"
    assert event["data"]["orderId"] == "ORD-WH-C" and event["data"]["status"] == "cancelled"


def test_credit_unattributed(hooks: Hooks, receiver: Receiver) -> None:
    endpoint = hooks.register(receiver.url)
    hooks.open("ORD-WH-U", "500")  # something payable, so the ticker asks the wallet
    hooks.tick()  # the baseline
    hooks.credit(amount="7.77")  # matches no checkout
    report = hooks.tick()
    assert report.completed == [] and len(report.unattributed) == 1
    hooks.round()
    (got,) = receiver.received
    event = verify(got.body, got.signature, endpoint["secret"], now=hooks.now())
    assert event["type"] == "credit.unattributed"
    assert event["data"]["amount"] == 7.77 and event["data"]["key"] == report.unattributed[0]
    assert event["data"]["outcome"] != "matched"
    assert PaymentSession.objects.get(orderId="ORD-WH-U").status == "pending"


def test_each_endpoint_gets_the_events_it_asked_for(
    fast_hooks: Hooks, httpserver: HTTPServer
) -> None:
    everything = Receiver(httpserver, "/all")
    completions = Receiver(httpserver, "/completed-only")
    gone = Receiver(httpserver, "/deleted")
    fast_hooks.register(everything.url)
    fast_hooks.register(completions.url, ["checkout.completed"])
    deleted = fast_hooks.register(gone.url)
    removed = fast_hooks.client.delete(f"/api/v1/webhook-endpoints/{deleted['id']}", headers=AUTH)
    assert removed.status_code == 200

    fast_hooks.cancel(fast_hooks.open("ORD-WH-E1", "100"))
    fast_hooks.open("ORD-WH-E2", "200")
    fast_hooks.pay("ORD-WH-E2")
    fast_hooks.round()

    assert sorted(everything.types()) == ["checkout.cancelled", "checkout.completed"]
    assert completions.types() == ["checkout.completed"]
    assert gone.received == []
    # One event, one id, whichever endpoint receives it.
    by_type = {r.event["type"]: r.event["id"] for r in everything.received}
    assert completions.received[0].event["id"] == by_type["checkout.completed"]


def test_a_delivery_to_an_endpoint_deleted_meanwhile_fails_unsent(
    fast_hooks: Hooks, receiver: Receiver
) -> None:
    endpoint = fast_hooks.register(receiver.url)
    fast_hooks.cancel(fast_hooks.open("ORD-WH-DEL"))
    gateway = fast_hooks.gateway
    assert outbox.publish_owed_events(gateway.store, gateway.merchant, now=fast_hooks.clock())
    fast_hooks.client.delete(f"/api/v1/webhook-endpoints/{endpoint['id']}", headers=AUTH)
    fast_hooks.round()
    assert receiver.received == []
    delivery = fast_hooks.only_delivery()
    assert delivery["status"] == "failed" and delivery["lastError"] == "endpoint deleted"


# -- retries ----------------------------------------------------------------------------


def test_retries_back_off_until_the_receiver_takes_it(
    hooks: Hooks, receiver: Receiver, httpserver: HTTPServer
) -> None:
    endpoint = hooks.register(receiver.url)
    hooks.cancel(hooks.open("ORD-WH-R"))
    receiver.answers = [500, 503, 408, 429]
    start = hooks.clock()

    def attempt_due_after(seconds: int) -> None:
        """Nothing goes out a second early; at the due time exactly one attempt does."""
        sent = len(receiver.received)
        due = hooks.clock() + timedelta(seconds=seconds)
        assert hooks.only_delivery()["nextAttemptAt"] == iso(due)
        hooks.clock.advance(seconds=seconds - 1)
        assert hooks.round() == 0 and len(receiver.received) == sent
        hooks.clock.advance(seconds=1)
        assert hooks.round() == 1

    assert hooks.round() == 1  # attempt 1: 500
    delivery = hooks.only_delivery()
    assert delivery["status"] == "pending" and delivery["attempts"] == 1
    assert delivery["lastStatusCode"] == 500
    attempt_due_after(10)  # attempt 2: 503
    attempt_due_after(30)  # attempt 3: 408
    assert hooks.only_delivery()["lastStatusCode"] == 408
    attempt_due_after(90)  # attempt 4: 429
    httpserver.stop()  # the merchant's server is down: connection refused
    try:
        attempt_due_after(270)  # attempt 5: refused
    finally:
        httpserver.start()
    refused = hooks.only_delivery()
    assert refused["status"] == "pending" and refused["attempts"] == 5
    assert refused["lastStatusCode"] is None and refused["lastError"] == "ConnectionError"
    attempt_due_after(810)  # attempt 6: taken

    assert len(receiver.received) == 5  # the refused attempt never arrived
    bodies = {r.body for r in receiver.received}
    assert len(bodies) == 1  # every attempt sends the same bytes…
    assert {r.event_id for r in receiver.received} == {receiver.received[0].event["id"]}
    stamps = []
    for got in receiver.received:  # …signed afresh at each attempt
        stamps.append(int((got.signature or "").split(",")[0].removeprefix("t=")))
        verify(got.body, got.signature, endpoint["secret"], now=stamps[-1])
    assert stamps == sorted(stamps) and len(set(stamps)) == 5
    final = hooks.only_delivery()
    assert final["status"] == "delivered" and final["attempts"] == 6
    assert final["lastStatusCode"] == 200 and final["lastError"] is None
    assert final["deliveredAt"] == iso(start + timedelta(seconds=10 + 30 + 90 + 270 + 810))
    hooks.clock.advance(days=1)
    assert hooks.round() == 0 and len(receiver.received) == 5


@pytest.mark.parametrize("status", [400, 401, 404, 410, 301])
def test_a_refusal_ends_the_delivery_as_failed(
    fast_hooks: Hooks, receiver: Receiver, status: int
) -> None:
    fast_hooks.register(receiver.url)
    fast_hooks.cancel(fast_hooks.open("ORD-WH-4XX"))
    receiver.answers = [status]
    assert fast_hooks.round() == 1
    failed = fast_hooks.only_delivery()
    assert failed["status"] == "failed" and failed["lastStatusCode"] == status
    assert failed["attempts"] == 1 and failed["nextAttemptAt"] is None
    fast_hooks.clock.advance(days=2)
    assert fast_hooks.round() == 0 and len(receiver.received) == 1

    # The merchant fixed their endpoint and asks for it again.
    retried = fast_hooks.client.post(
        f"/api/v1/webhook-deliveries/{failed['id']}/retry", headers=AUTH
    )
    assert retried.status_code == 200 and retried.get_json()["status"] == "pending"
    assert fast_hooks.round() == 1
    assert len(receiver.received) == 2
    assert receiver.received[0].body == receiver.received[1].body
    done = fast_hooks.only_delivery()
    assert done["status"] == "delivered" and done["attempts"] == 2


def test_twelve_attempts_then_failed(hooks: Hooks, receiver: Receiver) -> None:
    hooks.register(receiver.url)
    hooks.cancel(hooks.open("ORD-WH-12"))
    receiver.answers = [500] * 20
    waits = []
    for _ in range(20):
        if hooks.round() == 0:
            break
        delivery = hooks.only_delivery()
        if delivery["status"] != "pending":
            break
        due = datetime.fromisoformat(delivery["nextAttemptAt"].replace("Z", "+00:00"))
        wait = int((due - hooks.clock()).total_seconds())
        waits.append(wait)
        hooks.clock.advance(seconds=wait)
    assert waits == [10, 30, 90, 270, 810, 2430, 7290] + [6 * 3600] * 4
    assert len(receiver.received) == 12
    failed = hooks.only_delivery()
    assert failed["status"] == "failed" and failed["attempts"] == 12
    assert failed["lastStatusCode"] == 500 and failed["nextAttemptAt"] is None
    hooks.clock.advance(days=3)
    assert hooks.round() == 0 and len(receiver.received) == 12


def test_the_retry_schedule() -> None:
    seconds = [int(outbox.retry_delay(n).total_seconds()) for n in range(1, 13)]
    assert seconds[:5] == [10, 30, 90, 270, 810]
    assert max(seconds) == 6 * 3600 and seconds[-1] == 6 * 3600
    assert seconds == sorted(seconds)


def test_a_stale_sending_lease_is_taken_over_after_a_crash(
    hooks: Hooks, receiver: Receiver
) -> None:
    endpoint = hooks.register(receiver.url)
    hooks.cancel(hooks.open("ORD-WH-CRASH"))
    gateway = hooks.gateway
    outbox.publish_owed_events(gateway.store, gateway.merchant, now=hooks.clock())
    # A worker leases the delivery, then its process dies before sending or settling.
    crashed = gateway.merchant.lease_due_delivery(hooks.clock(), outbox.LEASE)
    assert crashed is not None and crashed.status == "sending" and crashed.attempts == 1

    assert hooks.round() == 0  # the lease still holds: no one else sends it
    hooks.clock.advance(seconds=outbox.LEASE.total_seconds() - 1)
    assert hooks.round() == 0 and receiver.received == []
    hooks.clock.advance(seconds=1)
    assert hooks.round() == 1
    (got,) = receiver.received
    event = verify(got.body, got.signature, endpoint["secret"], now=hooks.now())
    assert event["id"] == crashed.eventId and got.body.decode() == crashed.payload
    taken = hooks.only_delivery()
    assert taken["status"] == "delivered" and taken["attempts"] == 2

    # The crashed worker coming back to life cannot overwrite the outcome.
    assert not gateway.merchant.settle_delivery(
        crashed.deliveryId, crashed.attempts, {"status": "failed", "lastError": "late"}
    )
    assert hooks.only_delivery()["status"] == "delivered"


def test_the_deliveries_list_and_its_filters(fast_hooks: Hooks, receiver: Receiver) -> None:
    fast_hooks.register(receiver.url)
    fast_hooks.cancel(fast_hooks.open("ORD-WH-L1"))
    receiver.answers = [404]
    fast_hooks.round()
    fast_hooks.clock.advance(seconds=5)
    fast_hooks.open("ORD-WH-L2")
    fast_hooks.pay("ORD-WH-L2")
    fast_hooks.round()

    listed = fast_hooks.deliveries()
    assert [d["type"] for d in listed] == ["checkout.completed", "checkout.cancelled"]
    assert [d["status"] for d in listed] == ["delivered", "failed"]
    assert [d["type"] for d in fast_hooks.deliveries("status=failed")] == ["checkout.cancelled"]
    assert fast_hooks.deliveries("status=pending") == []
    event_id = listed[0]["eventId"]
    assert [d["id"] for d in fast_hooks.deliveries(f"eventId={event_id}")] == [listed[0]["id"]]
    assert len(fast_hooks.deliveries("limit=1")) == 1
    for field in listed[0]:
        assert "secret" not in field.lower()
    for bad in ("status=lost", "limit=0", "eventId=evt_x"):
        answer = fast_hooks.client.get(f"/api/v1/webhook-deliveries?{bad}", headers=AUTH)
        assert answer.status_code == 400, bad


def test_retrying_an_unknown_delivery_is_404(fast_hooks: Hooks) -> None:
    answer = fast_hooks.client.post("/api/v1/webhook-deliveries/whd_nope/retry", headers=AUTH)
    assert answer.status_code == 404 and answer.get_json()["error"]


def test_retrying_a_delivery_being_sent_says_so(fast_hooks: Hooks, receiver: Receiver) -> None:
    fast_hooks.register(receiver.url)
    fast_hooks.cancel(fast_hooks.open("ORD-WH-BUSY"))
    gateway = fast_hooks.gateway
    outbox.publish_owed_events(gateway.store, gateway.merchant, now=fast_hooks.clock())
    leased = gateway.merchant.lease_due_delivery(fast_hooks.clock(), outbox.LEASE)
    assert leased is not None
    path = f"/api/v1/webhook-deliveries/{leased.deliveryId}/retry"
    busy = fast_hooks.client.post(path, headers=AUTH)
    assert busy.status_code == 404 and "being sent" in busy.get_json()["error"]
    assert fast_hooks.only_delivery()["status"] == "sending"


# -- exactly once -----------------------------------------------------------------------


def test_twenty_racers_on_the_completing_tick_send_one_completed_event(
    hooks: Hooks, receiver: Receiver
) -> None:
    hooks.register(receiver.url)
    hooks.open("ORD-WH-RACE", "999")
    hooks.open("ORD-WH-OTHER", "111")
    hooks.tick()
    hooks.credit(orderId="ORD-WH-RACE")
    hooks.clock.advance(seconds=hooks.gateway.settings.poll_interval_seconds)
    gateway = hooks.gateway

    def racer(index: int) -> int:
        # Half press "I've paid", half are other processes' tickers; every one then
        # runs its own delivery worker, as every process does.
        if index % 2:
            answer = hooks.app.test_client().post(
                "/api/payment-done", json={"orderId": "ORD-WH-RACE"}, headers=AUTH
            )
            assert answer.status_code == 200, answer.get_data(as_text=True)
        else:
            Ticker(gateway.store, gateway.provider, gateway.settings).tick()
        return DeliveryWorker(gateway.store, gateway.merchant, gateway.settings).run_round()

    sent = race(20, racer)
    sent.append(hooks.round())
    assert sum(sent) == 1
    assert receiver.types() == ["checkout.completed"]
    assert receiver.received[0].event["data"]["orderId"] == "ORD-WH-RACE"
    assert WebhookDelivery.objects.count() == 1
    assert Order.objects(orderId="ORD-WH-RACE").count() == 1
    assert PaymentSession.objects.get(orderId="ORD-WH-OTHER").status == "pending"


def test_racing_publishers_queue_one_delivery_per_endpoint(
    fast_hooks: Hooks, httpserver: HTTPServer
) -> None:
    first, second = Receiver(httpserver, "/one"), Receiver(httpserver, "/two")
    fast_hooks.register(first.url)
    fast_hooks.register(second.url)
    fast_hooks.cancel(fast_hooks.open("ORD-WH-PUB"))
    gateway = fast_hooks.gateway
    race(
        20,
        lambda _: outbox.publish_owed_events(
            gateway.store, gateway.merchant, now=fast_hooks.clock()
        ),
    )
    assert WebhookDelivery.objects.count() == 2
    fast_hooks.round()
    assert len(first.received) == len(second.received) == 1


def test_the_outbox_survives_a_restart(
    settings: Settings, nx_mongodb_uri: str, clock: Clock, receiver: Receiver
) -> None:
    """A crash after the state change (owed, or queued but unsent): the next process sends it."""
    restart_settings = settings.with_overrides(mongodb_db_name=f"restart_{uuid.uuid4().hex[:10]}")
    before = Hooks(hooks_app(restart_settings, nx_mongodb_uri), clock)
    endpoint = before.register(receiver.url)
    before.cancel(before.open("ORD-WH-QUEUED"))
    outbox.publish_owed_events(before.gateway.store, before.gateway.merchant, now=clock())
    before.cancel(before.open("ORD-WH-OWED"))  # owed by the state change, not queued yet
    assert receiver.received == []
    # The process dies here; a new one starts on the same store.

    after = Hooks(hooks_app(restart_settings, nx_mongodb_uri), clock)
    try:
        assert after.round() == 2
        events = [
            verify(r.body, r.signature, endpoint["secret"], now=after.now())
            for r in receiver.received
        ]
        assert sorted(e["data"]["orderId"] for e in events) == ["ORD-WH-OWED", "ORD-WH-QUEUED"]
        assert {e["type"] for e in events} == {"checkout.cancelled"}
        assert after.round() == 0 and len(receiver.received) == 2
    finally:
        drop_store(after.gateway.store)


# -- which URLs may receive webhooks ----------------------------------------------------


def production_settings(**changes: Any) -> Settings:
    return Settings(
        app_env="production",
        mongodb_uri="mongodb://db.internal:27017/",
        payment_provider="mobikwik",
        mobikwik_auth="wallet-token",
        admin_secret=ADMIN_SECRET,
        upi_id="shop@okaxis",
        wallet_receive_only=True,
        metrics_token="m" * 32,
        **changes,
    ).validated()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://93.184.215.14/hooks",
        "file:///etc/passwd",
        "gopher://93.184.215.14/",
        "http://",
        "https:///path-only",
        "93.184.215.14/hooks",
        "",
    ],
)
def test_only_http_urls_are_accepted(settings: Settings, url: str) -> None:
    with pytest.raises(InvalidWebhookUrl):
        check_url(url, settings.with_overrides(webhook_allow_private=True))


def test_production_accepts_only_https() -> None:
    live = production_settings()
    assert check_url("https://93.184.215.14/hooks", live) == "https://93.184.215.14/hooks"
    with pytest.raises(InvalidWebhookUrl, match="https"):
        check_url("http://93.184.215.14/hooks", live)
    # Production refuses WEBHOOK_ALLOW_PRIVATE at start-up; check_url holds without that too.
    private_ok = replace(live, webhook_allow_private=True)
    with pytest.raises(InvalidWebhookUrl, match="https"):
        check_url("http://127.0.0.1/hooks", private_ok)
    assert check_url("https://127.0.0.1/hooks", private_ok)


PRIVATE_URLS = [
    "http://127.0.0.1:8080/hooks",
    "http://127.9.9.9/hooks",
    "http://localhost/hooks",
    "http://LOCALHOST./hooks",
    "http://[::1]/hooks",
    "http://[::ffff:127.0.0.1]/hooks",
    "http://10.0.0.7/hooks",
    "http://172.16.5.4/hooks",
    "http://192.168.1.1/hooks",
    "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/hooks",
    "http://0.0.0.0/hooks",
    "http://[fd00::1]/hooks",
    "http://[fe80::1]/hooks",
    "http://0x7f000001/hooks",
    "http://2130706433/hooks",
    "http://app.localhost/hooks",
    "http://240.0.0.1/hooks",
]


@pytest.mark.parametrize("url", PRIVATE_URLS)
def test_loopback_and_private_addresses_need_the_opt_in(settings: Settings, url: str) -> None:
    with pytest.raises(InvalidWebhookUrl, match="WEBHOOK_ALLOW_PRIVATE"):
        check_url(url, settings)
    assert check_url(url, settings.with_overrides(webhook_allow_private=True)) == url


def test_an_address_is_checked_again_when_sending(
    hooks: Hooks, receiver: Receiver, settings: Settings
) -> None:
    """Registered while private addresses were allowed; refused once they are not."""
    hooks.register(receiver.url)
    hooks.cancel(hooks.open("ORD-WH-SSRF", "270"))
    strict = hooks.gateway.settings.with_overrides(webhook_allow_private=False)
    sent = DeliveryWorker(hooks.gateway.store, hooks.gateway.merchant, strict).run_round()
    assert sent == 1 and receiver.types() == []
    delivery = WebhookDelivery.objects.get()
    # Only "refused": what the address answered, or why exactly it was refused, would
    # tell a stranger something about the network behind the gateway.
    assert delivery.status == "failed" and delivery.lastError == "refused"
    assert delivery.lastStatusCode is None


def test_public_addresses_need_no_opt_in(settings: Settings) -> None:
    for url in ("https://93.184.215.14/hooks", "http://8.8.8.8:8080/x", "https://[2606:4700::1]/"):
        assert check_url(url, settings) == url


# -- connecting to the address that was checked (DNS rebinding) ------------------------

PUBLIC_IP = "93.184.215.14"


class Resolver:
    """DNS the test controls: scripted answers per name, one list per call (the last repeats).

    Names it has no script for go to the system resolver, so IP literals still work.
    """

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = {name: list(script) for name, script in answers.items()}
        self.calls: list[str] = []

    def __call__(self, host: str, port: object, *args: Any, **kwargs: Any) -> list[Any]:
        self.calls.append(host)
        script = self.answers.get(host)
        if script is None:
            return socket.getaddrinfo(host, port, *args, **kwargs)
        addresses = script.pop(0) if len(script) > 1 else script[0]
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port, 0, 0))
            if ":" in a
            else (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port))
            for a in addresses
        ]


def worker(hooks: Hooks, resolver: Resolver, **settings: Any) -> DeliveryWorker:
    gateway = hooks.gateway
    return DeliveryWorker(
        gateway.store,
        gateway.merchant,
        gateway.settings.with_overrides(**settings),
        resolver=resolver,
        send_timeout=1.0,
    )


def loopback_address(httpserver: HTTPServer) -> str:
    address: str = httpserver.server.server_address[0]  # type: ignore[union-attr]
    return address


def test_a_name_that_rebinds_to_loopback_after_the_check_is_never_reached(
    fast_hooks: Hooks, receiver: Receiver, httpserver: HTTPServer
) -> None:
    """The check and the connection use one lookup: the second answer never matters."""
    fast_hooks.register(f"http://rebind.test:{httpserver.port}/hooks")
    fast_hooks.cancel(fast_hooks.open("ORD-WH-DNS"))
    dns = Resolver({"rebind.test": [[PUBLIC_IP], [loopback_address(httpserver)]]})
    strict = worker(fast_hooks, dns, webhook_allow_private=False)

    assert strict.run_round() == 1
    assert dns.calls == ["rebind.test"]  # looked up once, for the check
    assert receiver.received == [] and httpserver.log == []
    tried = fast_hooks.only_delivery()
    # Sent to the public address it was checked as (nothing answers there from a test).
    assert tried["status"] == "pending" and tried["lastStatusCode"] is None
    assert tried["lastError"] in {"ConnectionError", "ConnectTimeout"}

    # The next attempt looks the name up afresh, sees loopback, and refuses it.
    fast_hooks.clock.advance(seconds=10)
    assert strict.run_round() == 1
    assert dns.calls == ["rebind.test", "rebind.test"]
    assert receiver.received == [] and httpserver.log == []
    refused = fast_hooks.only_delivery()
    assert refused["status"] == "failed" and refused["lastError"] == "refused"
    assert refused["lastStatusCode"] is None


@pytest.mark.parametrize(
    "addresses",
    [
        [PUBLIC_IP, "127.0.0.1"],
        ["8.8.8.8", "10.0.0.7"],
        ["2606:4700::1", "::1"],
        ["::ffff:169.254.169.254"],
    ],
)
def test_every_address_of_a_name_is_checked(settings: Settings, addresses: list[str]) -> None:
    dns = Resolver({"mixed.test": [addresses]})
    with pytest.raises(InvalidWebhookUrl, match="WEBHOOK_ALLOW_PRIVATE"):
        check_url("https://mixed.test/hooks", settings, resolver=dns)


def test_a_pinned_send_keeps_the_name_in_the_host_header(
    fast_hooks: Hooks, receiver: Receiver, httpserver: HTTPServer
) -> None:
    """Private addresses allowed: delivered to loopback, but addressed to the name."""
    endpoint = fast_hooks.register(f"http://hooks.example:{httpserver.port}/hooks")
    fast_hooks.cancel(fast_hooks.open("ORD-WH-HOST"))
    dns = Resolver({"hooks.example": [[loopback_address(httpserver)]]})
    assert worker(fast_hooks, dns).run_round() == 1
    (got,) = receiver.received
    assert got.host == f"hooks.example:{httpserver.port}"
    assert verify(got.body, got.signature, endpoint["secret"], now=fast_hooks.now())
    delivered = fast_hooks.only_delivery()
    assert delivered["status"] == "delivered" and delivered["lastStatusCode"] == 200
    assert dns.calls == ["hooks.example"]


def test_a_checked_address_that_refuses_gives_way_to_the_next(
    fast_hooks: Hooks, receiver: Receiver, httpserver: HTTPServer
) -> None:
    """Pinning keeps what the resolver's other addresses were for: trying the next one."""
    fast_hooks.register(f"http://hooks.example:{httpserver.port}/hooks")
    fast_hooks.cancel(fast_hooks.open("ORD-WH-NEXT"))
    nobody = "127.0.0.2" if loopback_address(httpserver) != "127.0.0.2" else "127.0.0.3"
    dns = Resolver({"hooks.example": [[nobody, loopback_address(httpserver)]]})
    assert worker(fast_hooks, dns).run_round() == 1
    assert len(receiver.received) == 1
    assert fast_hooks.only_delivery()["status"] == "delivered"


def test_a_name_that_does_not_resolve_is_retried_unsent(
    fast_hooks: Hooks, receiver: Receiver, httpserver: HTTPServer
) -> None:
    fast_hooks.register(f"http://gone.test:{httpserver.port}/hooks")
    fast_hooks.cancel(fast_hooks.open("ORD-WH-NXDOMAIN"))

    def nxdomain(host: str, *args: Any, **kwargs: Any) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    for resolver in (nxdomain, Resolver({"gone.test": [[]]})):
        fast_hooks.clock.advance(hours=6)
        assert worker(fast_hooks, resolver, webhook_allow_private=False).run_round() == 1  # type: ignore[arg-type]
        delivery = fast_hooks.only_delivery()
        assert delivery["status"] == "pending" and delivery["lastError"] == "NameResolutionError"
    assert receiver.received == []


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for hooks.example only (no IP address in it)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=hooks.example",
            "-addext",
            "subjectAltName=DNS:hooks.example",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_a_pinned_https_send_verifies_the_certificate_of_the_name(
    tls_files: tuple[Path, Path],
) -> None:
    """SNI and the certificate check use the name; only the TCP connection uses the address."""
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server_names: list[str | None] = []
    context.sni_callback = lambda _socket, name, _context: server_names.append(name)
    server = HTTPServer(host="127.0.0.1", ssl_context=context)
    hosts: list[str | None] = []

    def handle(request: Request) -> Response:
        hosts.append(request.headers.get("Host"))
        return Response("thanks")

    server.expect_request("/hooks", method="POST").respond_with_handler(handle)
    server.start()
    try:
        answer = outbox.post_pinned(
            f"https://hooks.example:{server.port}/hooks",
            "127.0.0.1",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            timeout=5.0,
            verify=str(cert),
        )
        assert answer.status_code == 200 and answer.text == "thanks"
        assert server_names == ["hooks.example"]
        assert hosts == [f"hooks.example:{server.port}"]

        # The same address under a name the certificate does not carry: refused.
        with pytest.raises(requests.exceptions.SSLError):
            outbox.post_pinned(
                f"https://other.example:{server.port}/hooks",
                "127.0.0.1",
                data=b"{}",
                headers={},
                timeout=5.0,
                verify=str(cert),
            )
        assert hosts == [f"hooks.example:{server.port}"]
    finally:
        server.clear()
        server.stop()


# -- credentials in a webhook URL -------------------------------------------------------


def test_a_url_with_credentials_is_refused_and_never_logged_or_listed(
    fast_hooks: Hooks, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    with_password = receiver.url.replace("http://", "http://shop:hunter2@")
    answer = fast_hooks.client.post(
        "/api/v1/webhook-endpoints", json={"url": with_password}, headers=AUTH
    )
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert [d["field"] for d in answer.get_json()["details"]] == ["url"]
    for url in (with_password, receiver.url.replace("http://", "http://token@")):
        with pytest.raises(InvalidWebhookUrl) as refused:
            check_url(url, fast_hooks.gateway.settings)  # the CLI's way in
        assert refused.value.field == "url" and "password" in refused.value.message
    assert WebhookEndpoint.objects.count() == 0

    # One stored before the rule: never sent, never shown, never logged.
    fast_hooks.gateway.merchant.add_endpoint(
        WebhookEndpoint(
            endpointId="we_0123456789abcdef",
            url=with_password,
            secret="whsec_legacy",
            events=list(outbox.EVENT_TYPES),
            createdAt=fast_hooks.clock(),
        )
    )
    fast_hooks.cancel(fast_hooks.open("ORD-WH-CREDS"))
    with caplog.at_level(logging.DEBUG):
        assert fast_hooks.round() == 1
        listed = [
            fast_hooks.client.get(path, headers=AUTH).get_data(as_text=True)
            for path in ("/api/v1/webhook-endpoints", "/api/v1/webhook-deliveries")
        ]
    assert receiver.received == []
    delivery = fast_hooks.only_delivery()
    assert delivery["status"] == "failed" and "password" in delivery["lastError"]
    assert caplog.records  # the attempt was logged…
    for text in (caplog.text, *listed):
        assert "hunter2" not in text and "shop:" not in text  # …without the credentials
    assert f"localhost:{receiver.httpserver.port}/hooks" in listed[0]
