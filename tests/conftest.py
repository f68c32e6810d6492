"""Shared fixtures: real parts everywhere (stores, HTTP wallets, browsers); only time is patched."""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pytest_httpserver import HTTPServer

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from tests.support.nx import nx_server
from tests.support.servers import free_port, wait_for_http
from tests.support.wallet import StubWallet

ROOT = Path(__file__).resolve().parents[1]
ADMIN_SECRET = "test-admin-secret-0123456789abcdef"
SHOP_ORIGIN = "http://shop.test"
AUTH = {"Authorization": f"Bearer {ADMIN_SECRET}"}


Result = TypeVar("Result")


def race(count: int, work: Callable[[int], Result]) -> list[Result]:
    """Run ``work(i)`` for i in range(count) on ``count`` threads released at once."""
    barrier = threading.Barrier(count)

    def run(index: int) -> Result:
        barrier.wait()
        return work(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


class Clock:
    """A settable clock that replaces checkout.clock.utcnow for one test.

    It starts at the real present (whole seconds): the stores expire TTL documents
    such as nonces by the real clock, so a fixed date in the past would make them
    vanish under the test.
    """

    def __init__(self, start: datetime | None = None) -> None:
        self.current = start or datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr("checkout.clock.utcnow", fake)
    return fake


def child_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a server the test starts: no settings leak in from outside."""
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    environment = {name: value for name, value in os.environ.items() if name in keep}
    environment.update(LOG_DIR=str(tmp_path / "logs"), PYTHONUNBUFFERED="1", **extra)
    return environment


StartServer = Callable[..., str]


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[StartServer]:
    """Run a server process the way a user would and wait for it; stopped after the test.

    `command` may contain "{port}"; the port is also passed as PORT in a clean environment.
    """
    started: list[subprocess.Popen[str]] = []

    def run(
        command: list[str],
        *,
        port: int | None = None,
        cwd: Path = ROOT,
        ready_path: str = "/health",
        **env: str,
    ) -> str:
        port = port or free_port()
        process = subprocess.Popen(
            [part.format(port=port) for part in command],
            cwd=cwd,
            env=child_environment(tmp_path, PORT=str(port), **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        base = f"http://127.0.0.1:{port}"
        wait_for_http(base + ready_path, process)
        return base

    yield run
    for process in started:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def nx_mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real MongoDB wire-protocol server on loopback (or TEST_MONGODB_URI when given)."""
    given = os.environ.get("TEST_MONGODB_URI")
    if given:
        yield given
        return
    with nx_server(tmp_path_factory.mktemp("nx27017")) as uri:
        yield uri


@pytest.fixture(params=["mongomock", "nx-27017"])
def mongodb_uri(request: pytest.FixtureRequest) -> str:
    """Storage tests run twice: the in-memory store and a real wire-protocol server."""
    if request.param == "mongomock":
        return "mongomock://localhost"
    uri: str = request.getfixturevalue("nx_mongodb_uri")
    return uri


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        admin_secret=ADMIN_SECRET,
        allowed_origins=(SHOP_ORIGIN,),
        log_dir=str(tmp_path / "logs"),
        mongodb_db_name=f"test_{uuid.uuid4().hex[:12]}",
        start_ticker=False,
        secret_key="test-secret-key",
    ).validated()


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


@pytest.fixture
def gateway(app: Flask) -> Gateway:
    found: Gateway = app.extensions[EXTENSION_KEY]
    return found


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def wallet(httpserver: HTTPServer) -> Iterator[StubWallet]:
    """The MobiKwik API on pytest-httpserver's loopback server, empty and answering."""
    stub = StubWallet(httpserver)
    yield stub
    stub.fault = None  # release a stalled answer before the next test uses the server
