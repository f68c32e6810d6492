""" "I've paid" floods: the pay page never holds a thread for a tick, and the seed's
payment-done lets at most a quarter of a worker's threads wait, all on one shared wait.

The wallet is a real HTTP server on loopback that can hold its answer: while it
holds, whoever waits for the early tick is visibly still waiting.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from flask import Flask
from pytest_httpserver import HTTPServer
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.gunicorn_conf import post_worker_init
from checkout.services import early_tick
from checkout.storage.models import Order, PaymentSession
from tests.conftest import AUTH, Clock
from tests.functional.conftest import create_ok
from tests.support.wallet import BALANCE_PATH, StubWallet

INTERVAL = 60  # long: a caller that waits for the next scheduled tick would wait a minute
# Shorter than the provider's 5 s timeout, so a held wallet is still holding when we look.
PATIENCE = 4.0


@dataclass
class Held:
    """A gateway on a MobiKwik wallet (a loopback server) whose answers can be held."""

    app: Flask
    wallet: StubWallet
    clock: Clock

    @property
    def gateway(self) -> Gateway:
        found: Gateway = self.app.extensions[EXTENSION_KEY]
        return found

    def hold(self) -> None:
        self.wallet.slow_seconds = 30
        self.wallet.fault = "slow"

    def release(self) -> None:
        self.wallet.fault = None

    def make_tick_due(self) -> None:
        self.clock.advance(seconds=INTERVAL)


@pytest.fixture
def held(settings: Settings, httpserver: HTTPServer, clock: Clock) -> Iterator[Held]:
    wallet = StubWallet(httpserver)
    application = create_app(
        settings.with_overrides(
            payment_provider="mobikwik",
            mobikwik_auth="held-wallet-token",
            mobikwik_api_url=httpserver.url_for(BALANCE_PATH),
            poll_interval_seconds=INTERVAL,
        )
    )
    application.config["TESTING"] = True
    found = Held(application, wallet, clock)
    try:
        yield found
    finally:
        found.release()
        application.extensions[EXTENSION_KEY].stop_background()


def _answered(futures: list[Future[TestResponse]], count: int) -> bool:
    """Whether `count` of the requests answer within PATIENCE seconds (while the wallet holds)."""
    done = threading.Event()

    def check(_: object) -> None:
        if sum(f.done() for f in futures) >= count:
            done.set()

    for future in futures:
        future.add_done_callback(check)
    check(None)
    return done.wait(PATIENCE)


def _join_early_ticks() -> None:
    for thread in threading.enumerate():
        if thread.name == "upi-early-tick":
            thread.join(30)


def test_max_waiters_is_a_quarter_of_the_worker_threads() -> None:
    assert early_tick.DEFAULT_WORKER_THREADS == 8
    assert early_tick.max_waiters() == 2
    assert [early_tick.max_waiters(n) for n in (1, 4, 8, 16)] == [1, 1, 2, 4]


def test_a_gunicorn_worker_bounds_the_waiters_by_its_own_thread_count() -> None:
    worker = SimpleNamespace(cfg=SimpleNamespace(threads=16), wsgi=None)
    try:
        post_worker_init(worker)
        assert early_tick.max_waiters() == 4
    finally:
        early_tick.set_worker_threads(early_tick.DEFAULT_WORKER_THREADS)
    assert early_tick.max_waiters() == 2


def test_concurrent_payment_done_share_one_bounded_wait(held: Held) -> None:
    client = held.app.test_client()
    create_ok(client)
    held.wallet.balance_paise += 101800  # the customer paid
    held.make_tick_due()
    calls_before = held.wallet.calls(BALANCE_PATH)
    held.hold()
    count = 8
    pool = ThreadPoolExecutor(max_workers=count)
    try:
        futures = [
            pool.submit(
                held.app.test_client().post, "/api/payment-done", json={"orderId": "ORD-12345"}
            )
            for _ in range(count)
        ]
        bound = early_tick.max_waiters()
        # Everyone beyond the bound answers from the store at once, while the wallet holds.
        answered_at_once = _answered(futures, count - bound)
        still_waiting = sum(not f.done() for f in futures)
    finally:
        held.release()
        answers = [f.result(timeout=30) for f in futures]
        pool.shutdown()
    assert answered_at_once, "callers beyond the bound waited for the tick"
    assert 1 <= still_waiting <= bound
    assert [a.status_code for a in answers] == [200] * count
    statuses = sorted(a.get_json()["status"] for a in answers)
    # The waiters share the one tick, which found the payment; the rest saw the store as it was.
    assert statuses.count("completed") == still_waiting
    assert statuses.count("not-matched") == count - still_waiting
    for answer in answers:
        body = answer.get_json()
        assert body["expected"] == 1018
        assert body["diff"] == (1018 if body["status"] == "completed" else 0)
    assert held.wallet.calls(BALANCE_PATH) == calls_before + 1
    assert Order.objects(orderId="ORD-12345").count() == 1
    assert early_tick.for_ticker(held.gateway.ticker).waiting == 0


def _pay_page(held: Held) -> tuple[str, str]:
    client = held.app.test_client()
    opened = client.post(
        "/api/v1/checkout-sessions", json={"orderId": "ORD-PAGE", "amount": "99"}, headers=AUTH
    )
    assert opened.status_code == 201, opened.get_data(as_text=True)
    token = opened.get_json()["url"].rsplit("/pay/", 1)[1]
    page = client.get(f"/pay/{token}").get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert found, page
    return token, found.group(1)


@pytest.mark.parametrize("htmx", [True, False], ids=["htmx", "no-js"])
def test_ive_paid_answers_at_once_with_a_busy_state_and_polling_shows_the_result(
    held: Held, htmx: bool
) -> None:
    token, csrf = _pay_page(held)
    held.wallet.balance_paise += 9900
    held.make_tick_due()
    held.hold()
    headers = {"HX-Request": "true"} if htmx else {}
    with ThreadPoolExecutor(max_workers=1) as pool:
        pressed = pool.submit(
            held.app.test_client().post,
            f"/pay/{token}/paid",
            data={"csrf_token": csrf},
            headers=headers,
        )
        client = held.app.test_client()
        try:
            answered = _answered([pressed], 1)
            ticking = early_tick.for_ticker(held.gateway.ticker).in_flight
            response = pressed.result(timeout=30)
            if htmx:
                fragment = response.get_data(as_text=True)
                poll = re.search(r'hx-get="([^"]+)"', fragment)
                poll_url = poll.group(1).replace("&amp;", "&") if poll else ""
            else:
                # Followed while the wallet still holds its answer: the page must show
                # the busy state, not a result the released tick may already have.
                poll_url = response.headers.get("Location", "")
                fragment = client.get(poll_url).get_data(as_text=True) if poll_url else ""
        finally:
            held.release()
    assert answered, "the button waited for the tick"
    # The early tick did start, in a thread of its own, and was still waiting on the wallet.
    assert ticking
    assert response.status_code == (200 if htmx else 303), fragment
    assert "checking=" in poll_url, fragment
    assert "Checking for your payment" in fragment
    assert re.search(r"<button[^>]*disabled[^>]*>Checking…</button>", fragment), fragment

    _join_early_ticks()
    assert not early_tick.for_ticker(held.gateway.ticker).in_flight
    assert PaymentSession.objects.get(orderId="ORD-PAGE").status == "completed"
    if htmx:
        result = client.get(poll_url, headers={"HX-Request": "true"})
        assert result.status_code == 286  # final: htmx stops polling
    else:
        result = client.get(poll_url)
        assert result.status_code == 200
    assert "Payment received" in result.get_data(as_text=True)


def test_when_the_early_tick_finds_nothing_the_page_says_so(held: Held, clock: Clock) -> None:
    token, csrf = _pay_page(held)
    held.make_tick_due()
    client = held.app.test_client()
    pressed = client.post(
        f"/pay/{token}/paid", data={"csrf_token": csrf}, headers={"HX-Request": "true"}
    )
    assert pressed.status_code == 200
    poll = re.search(r'hx-get="([^"]+)"', pressed.get_data(as_text=True))
    assert poll
    poll_url = poll.group(1).replace("&amp;", "&")
    _join_early_ticks()
    after = client.get(poll_url, headers={"HX-Request": "true"})
    assert after.status_code == 200
    text = after.get_data(as_text=True)
    assert "Checking for your payment" not in text
    assert "We haven't received" in text
    assert re.search(r"<button[^>]*>I've paid</button>", text)
    # The next poll says the page shows "not yet" already: nothing changed, so htmx keeps it.
    following = re.search(r'hx-get="([^"]+)"', text)
    assert following and "noted=1" in following.group(1)
    assert client.get(following.group(1).replace("&amp;", "&")).status_code == 204
