"""Rate limits come from settings, count a merchant key per key, a pay page per checkout,
everyone else per IP, and every 429 says when to try again (Retry-After)."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from checkout.app import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY
from tests.conftest import AUTH
from tests.functional.conftest import assert_error

V1 = "/api/v1/checkout-sessions"
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
ONE_IP = {"REMOTE_ADDR": "203.0.113.40"}


def _app(settings: Settings, **limits: str) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(**limits))
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


@pytest.fixture
def tight(settings: Settings) -> Iterator[Flask]:
    """Small limits, so each is reached in a few requests."""
    yield from _app(
        settings,
        rate_limit_status="3 per minute",
        rate_limit_keyed="8 per minute",
        rate_limit_nonce="2 per minute",
        rate_limit_actions="2 per minute",
        rate_limit_api="4 per minute",
    )


def _key(client: FlaskClient, name: str) -> dict[str, str]:
    issued = client.post("/api/v1/api-keys", json={"name": name}, headers=AUTH)
    assert issued.status_code == 201, issued.get_data(as_text=True)
    return {"Authorization": f"Bearer {issued.get_json()['secret']}"}


def _open(client: FlaskClient, order_id: str, headers: dict[str, str]) -> dict[str, str]:
    answer = client.post(V1, json={"orderId": order_id, "amount": "10"}, headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    body: dict[str, str] = answer.get_json()
    return body


def _retry_after(response: object) -> int:
    value = response.headers["Retry-After"]  # type: ignore[attr-defined]
    assert value.isdigit(), value
    seconds = int(value)
    assert 0 < seconds <= 60
    return seconds


class PacedTime:
    """The limiter's clock (time.time) moving 40 ms per request: 25 requests a second."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, step: float) -> None:
        self.now = time.time()
        self.step = step
        monkeypatch.setattr(time, "time", self.read)

    def read(self) -> float:
        return self.now

    def tick(self) -> None:
        self.now += self.step


def test_a_keyed_merchant_polling_at_25_per_second_from_one_ip_gets_no_429(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One backend polling 125 orders every 5 s: a minute of polls from one address, 1,500
    of them, far past RATE_LIMIT_STATUS (600 per minute per IP); all are answered, since
    a valid key counts per key under RATE_LIMIT_KEYED."""
    merchant = _key(client, "backend")
    for number in range(5):
        _open(client, f"POLL-{number}", merchant)
    paced = PacedTime(monkeypatch, step=0.04)
    answers = []
    for n in range(1500):
        answers.append(
            client.get(
                f"/api/payment-status/POLL-{n % 5}", headers=merchant, environ_base=ONE_IP
            ).status_code
        )
        paced.tick()
    paced.step = 0.0  # the rest within one window
    assert answers.count(200) == 1500
    # The same address without the key is held to the per-IP status limit.
    anonymous = [
        client.get("/api/payment-status/POLL-0", environ_base=ONE_IP).status_code
        for _ in range(601)
    ]
    assert anonymous.count(404) == 600  # a v1 checkout is unknown to the seed's caller
    assert anonymous[-1] == 429


def test_the_status_limit_follows_its_setting_per_ip(tight: Flask) -> None:
    client = tight.test_client()
    for _ in range(3):
        assert client.get("/api/payment-status/NOPE", environ_base=ONE_IP).status_code == 404
    refused = client.get("/api/payment-status/NOPE", environ_base=ONE_IP)
    assert_error(refused, 429)
    _retry_after(refused)
    other = {"REMOTE_ADDR": "203.0.113.41"}
    assert client.get("/api/payment-status/NOPE", environ_base=other).status_code == 404


def test_the_keyed_limit_counts_each_key_apart(tight: Flask) -> None:
    client = tight.test_client()
    first, second = _key(client, "first"), _key(client, "second")
    answers = [client.get(V1, headers=first).status_code for _ in range(9)]
    assert answers == [200] * 8 + [429]
    assert client.get(V1, headers=second).status_code == 200
    # A wrong key is nobody's key: it counts against its IP, under the route's own limit
    # (listing is a status read: RATE_LIMIT_STATUS).
    wrong = {"Authorization": "Bearer not-a-key"}
    statuses = [client.get(V1, headers=wrong, environ_base=ONE_IP).status_code for _ in range(4)]
    assert statuses == [401] * 3 + [429]


def test_the_nonce_limit_follows_its_setting(tight: Flask) -> None:
    client = tight.test_client()
    assert [client.get("/api/nonce").status_code for _ in range(3)] == [200, 200, 429]
    refused = client.get("/api/nonce")
    assert_error(refused, 429)
    _retry_after(refused)


def test_pay_page_actions_count_per_checkout_not_per_ip(tight: Flask) -> None:
    """Two customers behind one carrier address: one pressing "I've paid" until refused
    does not hold the other back. Without JS the refusal is a readable page."""
    client = tight.test_client()
    merchant = _key(client, "shop")
    pages = [_open(client, f"NAT-{n}", merchant)["url"] for n in range(2)]
    paths = ["/" + url.split("://", 1)[1].split("/", 1)[1] for url in pages]

    def press(path: str) -> tuple[int, str]:
        page = client.get(path, environ_base=ONE_IP)
        found = CSRF.search(page.get_data(as_text=True))
        assert found, page.get_data(as_text=True)
        token = found.group(1)
        answer = client.post(
            path.split("?")[0] + "/paid", data={"csrf_token": token}, environ_base=ONE_IP
        )
        return answer.status_code, answer.get_data(as_text=True)

    assert [press(paths[0])[0] for _ in range(2)] == [303, 303]
    status, text = press(paths[0])
    assert status == 429
    assert "<html" in text and re.search(r"Try again in \d+ seconds?\.", text), text
    assert press(paths[1])[0] == 303


def test_the_pay_page_poll_counts_per_checkout(tight: Flask) -> None:
    client = tight.test_client()
    merchant = _key(client, "shop")
    urls = [_open(client, f"POLL-{n}", merchant)["url"] for n in range(2)]
    polls = ["/" + u.split("://", 1)[1].split("/", 1)[1].split("?")[0] + "/status" for u in urls]
    first = [client.get(polls[0], environ_base=ONE_IP) for _ in range(4)]
    assert [answer.status_code for answer in first] == [200, 200, 200, 429]
    refused = first[3]
    seconds = _retry_after(refused)
    assert f"Try again in {seconds} second" in refused.get_data(as_text=True)
    assert client.get(polls[1], environ_base=ONE_IP).status_code == 200
