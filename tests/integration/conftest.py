"""Integration fixtures: a real store per test (mongomock and nx-27017), real wallets over HTTP.

`Store` connects mongoengine's global "default" alias, so one store exists at a
time; each test gets its own database and drops it afterwards.

What nx-27017 (0.8.1, SQLite underneath) does differently from MongoDB, found by
these tests; the code copes with the first three, the tests with the rest:
- a datetime written by `$set` is kept as text and read back as a string
  (models.UTCDateTimeField reads it as UTC);
- `$in` next to a date comparison on such a field matches nothing
  (transitions name one exact status);
- `count_documents` with a date comparison on such a field counts nothing
  (the store never counts by date);
- dates compare to the second, not the millisecond (tests move time in seconds);
- Decimal128 cannot be stored at all (that round-trip runs on mongomock only);
- TTL indexes purge by the wall clock on every read (see `wall_clock`).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mongoengine import disconnect
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from checkout.config import Settings
from checkout.providers.mobikwik import MobikwikProvider
from checkout.providers.sandbox import SandboxProvider
from checkout.storage.models import PaymentSession
from checkout.storage.store import ALIAS, Store
from tests.conftest import Clock

BALANCE_PATH = "/p/wallet/balance"
HISTORY_PATH = "/p/wallet/history/v2"
TOKEN = "integration-wallet-token"
# Short enough to keep the suite fast, long enough for a loopback answer on a busy machine.
WALLET_TIMEOUT = 0.5


def drop_store(store: Store) -> None:
    client = PaymentSession._get_db().client
    client.drop_database(store.db_name)
    disconnect(ALIAS)


@pytest.fixture
def store(mongodb_uri: str) -> Iterator[Store]:
    """An empty store with every index, on its own database, dropped afterwards."""
    created = Store(mongodb_uri, f"it_{uuid.uuid4().hex[:12]}")
    created.ensure_indexes()
    yield created
    drop_store(created)


@pytest.fixture
def wall_clock(clock: Clock) -> Clock:
    """The fake clock, started at the real present (whole seconds).

    Real servers delete documents under a TTL index (nonces.expiresAt) by the
    wall clock; nx-27017 does it on every read. Nonces stamped with a fixed date
    that has passed in real life would vanish before the test consumes them.
    """
    clock.current = datetime.now(UTC).replace(microsecond=0)
    return clock


@pytest.fixture
def tick_settings(settings: Settings, mongodb_uri: str) -> Settings:
    return settings.with_overrides(mongodb_uri=mongodb_uri, poll_interval_seconds=3)


@pytest.fixture
def sandbox(store: Store) -> SandboxProvider:
    return SandboxProvider(store)


class StubWallet:
    """The MobiKwik API as a real HTTP server: a balance, a history, and faults on demand.

    ``fault`` is one of None, "500", "401", "html", "slow"; it applies to both endpoints.
    A "slow" answer outlasts the provider's timeout; clearing the fault ends any answer
    still stalling, so the next request is not queued behind it.
    """

    def __init__(self, httpserver: HTTPServer) -> None:
        self.httpserver = httpserver
        self.balance_paise = 0
        self.history: list[dict[str, Any]] = []
        self.slow_seconds = WALLET_TIMEOUT * 3
        self._fault: str | None = None
        self._healed = threading.Event()
        self._lock = threading.Lock()
        httpserver.expect_request(BALANCE_PATH, method="GET").respond_with_handler(self._balance)
        httpserver.expect_request(HISTORY_PATH, method="GET").respond_with_handler(self._history)

    @property
    def fault(self) -> str | None:
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        self._fault = value
        if value is None:
            self._healed.set()
        else:
            self._healed.clear()

    # -- what the test does to the wallet --------------------------------------------

    def credit(self, paise: int, *, at: datetime, txn: str | None = None) -> str:
        with self._lock:
            self.balance_paise += paise
            key = txn or f"TXN{len(self.history) + 1:04d}"
            self.history.insert(
                0,
                {
                    "rrn": f"RRN-{key}",
                    "transactionId": key,
                    "amount": f"{paise // 100}.{paise % 100:02d}",
                    "mode": "credit",
                    "status": "success",
                    "date": int(at.timestamp() * 1000),
                },
            )
            return key

    def calls(self, path: str | None = None) -> int:
        return sum(1 for request, _ in self.httpserver.log if path in (None, request.path))

    # -- the endpoints ------------------------------------------------------------------

    def _faulty(self) -> Response | None:
        if self.fault == "500":
            return Response("upstream exploded", status=500)
        if self.fault == "401":
            return Response('{"success": false, "message": "token expired"}', status=401)
        if self.fault == "html":
            return Response("<html><body>Please log in</body></html>", content_type="text/html")
        if self.fault == "slow" and not self._healed.wait(self.slow_seconds):
            return Response("too late", status=504)
        return None

    def _answer(self, data: dict[str, Any]) -> Response:
        body = json.dumps({"success": True, "data": data})
        return Response(body, content_type="application/json")

    def _balance(self, _request: Request) -> Response:
        faulty = self._faulty()
        if faulty is not None:
            return faulty
        with self._lock:
            paise = self.balance_paise
        # Rupees as a JSON number with two decimals, as the real API sends them.
        return Response(
            f'{{"success": true, "data": {{"balance": {paise // 100}.{paise % 100:02d}}}}}',
            content_type="application/json",
        )

    def _history(self, _request: Request) -> Response:
        faulty = self._faulty()
        if faulty is not None:
            return faulty
        with self._lock:
            items = list(self.history)
        return self._answer({"historyData": items})


@pytest.fixture
def wallet(httpserver: HTTPServer) -> Iterator[StubWallet]:
    stub = StubWallet(httpserver)
    yield stub
    stub.fault = None  # release a stalled answer before the next test uses the server


@pytest.fixture
def mobikwik(wallet: StubWallet) -> MobikwikProvider:
    """Balance-only MobiKwik, as the seed polls it."""
    return MobikwikProvider(
        auth_token=TOKEN,
        balance_url=wallet.httpserver.url_for(BALANCE_PATH),
        timeout=WALLET_TIMEOUT,
    )


@pytest.fixture
def mobikwik_history(wallet: StubWallet) -> MobikwikProvider:
    """MobiKwik with MOBIKWIK_HISTORY_URL set: transaction ids and times."""
    return MobikwikProvider(
        auth_token=TOKEN,
        balance_url=wallet.httpserver.url_for(BALANCE_PATH),
        history_url=wallet.httpserver.url_for(HISTORY_PATH),
        timeout=WALLET_TIMEOUT,
    )
