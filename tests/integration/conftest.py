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

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from mongoengine import disconnect

from checkout.config import Settings
from checkout.providers.mobikwik import MobikwikProvider
from checkout.providers.sandbox import SandboxProvider
from checkout.storage.models import PaymentSession
from checkout.storage.store import ALIAS, Store
from tests.conftest import Clock
from tests.support.wallet import StubWallet

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


@pytest.fixture
def wallet(wallet: StubWallet) -> StubWallet:
    wallet.slow_seconds = WALLET_TIMEOUT * 3  # a "slow" answer outlasts the provider's timeout
    return wallet


@pytest.fixture
def mobikwik(wallet: StubWallet) -> MobikwikProvider:
    """Balance-only MobiKwik, as the seed polls it."""
    return MobikwikProvider(
        auth_token=TOKEN,
        balance_url=wallet.balance_url,
        timeout=WALLET_TIMEOUT,
    )


@pytest.fixture
def mobikwik_history(wallet: StubWallet) -> MobikwikProvider:
    """MobiKwik with MOBIKWIK_HISTORY_URL set: transaction ids and times."""
    return MobikwikProvider(
        auth_token=TOKEN,
        balance_url=wallet.balance_url,
        history_url=wallet.history_url,
        timeout=WALLET_TIMEOUT,
    )
