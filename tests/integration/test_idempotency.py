"""Idempotency-Key on both stores: one claim per key, races, failures and the 24-hour window.

The claim is one insert under a unique index, so however many requests race
with one key, one runs and the others replay its answer. Threads start
together on a barrier; the clock starts at the real present because both
stores purge TTL-indexed records (idempotency_keys.expiresAt) by the wall clock.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import idempotency
from checkout.services.errors import Conflict, Unavailable
from checkout.storage.merchant import IdempotencyRecord, MerchantStore
from checkout.storage.models import AmountReservation, PaymentSession
from checkout.storage.store import Store
from tests.conftest import AUTH, Clock, race
from tests.integration.conftest import drop_store

V1 = "/api/v1/checkout-sessions"


@pytest.fixture
def idem_app(settings: Settings, mongodb_uri: str, wall_clock: Clock) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(mongodb_uri=mongodb_uri))
    application.config["TESTING"] = True
    gateway: Gateway = application.extensions[EXTENSION_KEY]
    yield application
    drop_store(gateway.store)


@pytest.fixture
def merchant(store: Store) -> MerchantStore:
    merchant_store = MerchantStore(store)
    merchant_store.ensure_indexes()
    return merchant_store


def post(app: Flask, body: dict[str, Any], key: str) -> TestResponse:
    return app.test_client().post(V1, json=body, headers={**AUTH, "Idempotency-Key": key})


# -- over HTTP --------------------------------------------------------------------------


def test_twenty_concurrent_requests_with_one_key_create_one_checkout(idem_app: Flask) -> None:
    body = {"amount": "777", "orderId": "ORD-IDEM-RACE"}
    answers = race(20, lambda _: post(idem_app, body, "one-key"))

    assert Counter(a.status_code for a in answers) == {201: 20}, [a.get_json() for a in answers]
    assert len({a.get_data() for a in answers}) == 1  # byte for byte the first answer
    replayed = [a.headers.get("Idempotent-Replayed") for a in answers]
    assert replayed.count("true") == 19 and replayed.count(None) == 1
    assert PaymentSession.objects.count() == 1
    assert AmountReservation.objects.count() == 1
    assert IdempotencyRecord.objects.get().state == "done"


def test_racing_bodies_under_one_key_let_exactly_one_through(idem_app: Flask) -> None:
    answers = race(12, lambda index: post(idem_app, {"amount": str(100 + index)}, "contested"))
    codes = Counter(a.status_code for a in answers)
    assert codes == {201: 1, 409: 11}, [a.get_json() for a in answers]
    (winner,) = [a.get_json() for a in answers if a.status_code == 201]
    for refused in (a for a in answers if a.status_code == 409):
        assert refused.get_json()["details"][0]["field"] == "Idempotency-Key"
    assert PaymentSession.objects.count() == 1
    assert PaymentSession.objects.get().totalAmountPaise == winner["requestedAmount"] * 100


def test_a_key_is_free_again_after_24_hours(idem_app: Flask, wall_clock: Clock) -> None:
    first = post(idem_app, {"amount": "10"}, "daily-key")
    assert first.status_code == 201
    wall_clock.advance(hours=23)
    replay = post(idem_app, {"amount": "10"}, "daily-key")
    assert replay.headers.get("Idempotent-Replayed") == "true"
    assert replay.get_json()["id"] == first.get_json()["id"]

    wall_clock.advance(hours=2)
    fresh = post(idem_app, {"amount": "20"}, "daily-key")
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.get_json()["id"] != first.get_json()["id"]
    assert PaymentSession.objects.count() == 2
    assert IdempotencyRecord.objects.count() == 1  # the old record made way for the new one


def test_cancel_races_with_one_key_answer_alike(idem_app: Flask) -> None:
    opened = post(idem_app, {"amount": "55"}, "open-it").get_json()

    def cancel(_: int) -> TestResponse:
        return idem_app.test_client().post(
            f"{V1}/{opened['id']}/cancel", headers={**AUTH, "Idempotency-Key": "cancel-it"}
        )

    answers = race(10, cancel)
    assert Counter(a.status_code for a in answers) == {200: 10}
    assert {a.get_json()["status"] for a in answers} == {"cancelled"}
    assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 9


# -- the service ------------------------------------------------------------------------


def run_once(
    merchant: MerchantStore,
    clock: Clock,
    produce: Callable[[], tuple[int, str]],
    *,
    key: str = "k",
    body: bytes = b'{"amount": "1"}',
    wait_seconds: float = 5.0,
    sleep: Callable[[float], None] | None = None,
) -> tuple[int, str, bool]:
    return idempotency.run_once(
        merchant,
        scope="master:create",
        key=key,
        body=body,
        now=clock(),
        produce=produce,
        wait_seconds=wait_seconds,
        **({"sleep": sleep} if sleep else {}),
    )


def test_the_first_answer_is_kept_and_replayed(merchant: MerchantStore, wall_clock: Clock) -> None:
    calls = []

    def produce() -> tuple[int, str]:
        calls.append(1)
        return 201, json.dumps({"id": "cs_first", "n": len(calls)})

    assert run_once(merchant, wall_clock, produce) == (201, '{"id": "cs_first", "n": 1}', False)
    assert run_once(merchant, wall_clock, produce) == (201, '{"id": "cs_first", "n": 1}', True)
    assert len(calls) == 1
    with pytest.raises(Conflict, match="different request body"):
        run_once(merchant, wall_clock, produce, body=b'{"amount": "2"}')
    # Another scope, or another key, is another request.
    other = idempotency.run_once(
        merchant, scope="key_x:create", key="k", body=b"{}", now=wall_clock(), produce=produce
    )
    assert other[2] is False and len(calls) == 2


def test_a_server_failure_releases_the_key(merchant: MerchantStore, wall_clock: Clock) -> None:
    def unavailable() -> tuple[int, str]:
        raise Unavailable("wallet down")

    def crash() -> tuple[int, str]:
        raise RuntimeError("bug")

    def raised() -> tuple[int, str]:
        raise Conflict("refused before any answer")

    with pytest.raises(Unavailable):
        run_once(merchant, wall_clock, unavailable)
    with pytest.raises(Conflict):
        run_once(merchant, wall_clock, raised)
    with pytest.raises(RuntimeError):
        run_once(merchant, wall_clock, crash)
    assert IdempotencyRecord.objects.count() == 0
    assert run_once(merchant, wall_clock, lambda: (201, "{}")) == (201, "{}", False)


def test_a_refusal_is_kept_and_replayed(merchant: MerchantStore, wall_clock: Clock) -> None:
    # The caller writes a refusal as it writes any error answer; the key keeps that text.
    refusal = json.dumps({"error": "orderId 'A' is already used", "details": []})
    assert run_once(merchant, wall_clock, lambda: (409, refusal)) == (409, refusal, False)
    assert run_once(merchant, wall_clock, lambda: (201, "{}")) == (409, refusal, True)


def test_a_retry_waits_for_the_first_request_to_answer(
    merchant: MerchantStore, wall_clock: Clock
) -> None:
    started, release = threading.Event(), threading.Event()

    def slow() -> tuple[int, str]:
        started.set()
        assert release.wait(5)
        return 201, '{"id": "cs_slow"}'

    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        release.set()  # the first request answers while the retry waits
        time.sleep(seconds)  # and gets the time to do so

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(run_once, merchant, wall_clock, slow)
        assert started.wait(5)
        retry = run_once(merchant, wall_clock, lambda: (500, "never"), sleep=sleep)
        assert first.result(10) == (201, '{"id": "cs_slow"}', False)
    assert retry == (201, '{"id": "cs_slow"}', True)
    assert waits


def test_a_retry_gives_up_on_a_request_still_in_progress(
    merchant: MerchantStore, wall_clock: Clock
) -> None:
    body = b'{"amount": "1"}'
    request_hash = hashlib.sha256(body).hexdigest()
    assert merchant.claim_idempotency(
        "master:create", "k", request_hash, wall_clock(), idempotency.KEEP_FOR
    )
    with pytest.raises(Conflict, match="still in progress"):
        run_once(merchant, wall_clock, lambda: (201, "{}"), wait_seconds=0)
    with pytest.raises(Conflict, match="different request body"):
        run_once(merchant, wall_clock, lambda: (201, "{}"), body=b"{}", wait_seconds=0)


def test_a_claim_is_taken_once_until_it_expires(merchant: MerchantStore, wall_clock: Clock) -> None:
    claims = race(
        20,
        lambda index: merchant.claim_idempotency(
            "s", "k", f"h{index}", wall_clock(), idempotency.KEEP_FOR
        ),
    )
    assert sum(claim is not None for claim in claims) == 1
    wall_clock.advance(hours=24)
    assert merchant.claim_idempotency("s", "k", "later", wall_clock(), idempotency.KEEP_FOR)
    assert IdempotencyRecord.objects.get().requestHash == "later"


def test_a_claim_left_by_a_crashed_process_is_taken_over(
    merchant: MerchantStore, wall_clock: Clock
) -> None:
    """The first request died mid-way: after two minutes the key serves a retry again."""
    assert merchant.claim_idempotency("s", "k", "h", wall_clock(), idempotency.KEEP_FOR)
    wall_clock.advance(minutes=1)
    assert merchant.claim_idempotency("s", "k", "h", wall_clock(), idempotency.KEEP_FOR) is None
    wall_clock.advance(minutes=1)
    assert merchant.claim_idempotency("s", "k", "h", wall_clock(), idempotency.KEEP_FOR)
    merchant.finish_idempotency("s", "k", 201, "{}")
    wall_clock.advance(minutes=5)  # a finished answer is kept for the whole 24 hours
    assert merchant.claim_idempotency("s", "k", "h", wall_clock(), idempotency.KEEP_FOR) is None


@pytest.mark.parametrize(
    "key",
    ["", "a b", "x" * 256, "\u00e9t\u00e9", "new\nline"],
    ids=["empty", "space", "long", "utf8", "nl"],
)
def test_invalid_keys_are_refused_before_anything_is_stored(
    merchant: MerchantStore, wall_clock: Clock, key: str
) -> None:
    with pytest.raises(idempotency.InvalidIdempotencyKey):
        run_once(merchant, wall_clock, lambda: (201, "{}"), key=key)
    assert IdempotencyRecord.objects.count() == 0


def test_the_longest_valid_key_is_accepted(merchant: MerchantStore, wall_clock: Clock) -> None:
    key = "".join(chr(33 + i % 94) for i in range(255))
    assert run_once(merchant, wall_clock, lambda: (201, "{}"), key=key)[2] is False
    assert run_once(merchant, wall_clock, lambda: (500, "no"), key=key) == (201, "{}", True)
