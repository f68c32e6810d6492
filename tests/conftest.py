"""Shared fixtures: real parts everywhere (stores, HTTP wallets, browsers); only time is patched."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway

ROOT = Path(__file__).resolve().parents[1]
ADMIN_SECRET = "test-admin-secret-0123456789abcdef"
SHOP_ORIGIN = "http://shop.test"
AUTH = {"Authorization": f"Bearer {ADMIN_SECRET}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def wait_for_port(port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def start_nx_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The nx-27017 MongoDB wire-protocol server on a free loopback port, in memory."""
    port = free_port()
    executable = shutil.which("nx-27017", path=os.path.dirname(sys.executable)) or "nx-27017"
    process = subprocess.Popen(
        [
            executable,
            *("--db", "memory", "--host", "127.0.0.1", "-p", str(port)),
            *("--log-file", str(workdir / "nx.log"), "--pid-file", str(workdir / "nx.pid")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port)
    return process, f"mongodb://127.0.0.1:{port}/"


def child_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment for a server the test starts: no settings leak in from outside."""
    keep = {"PATH", "HOME", "LANG", "SYSTEMROOT"}
    environment = {name: value for name, value in os.environ.items() if name in keep}
    environment.update(LOG_DIR=str(tmp_path / "logs"), PYTHONUNBUFFERED="1", **extra)
    return environment


def wait_for_http(url: str, process: subprocess.Popen[str], timeout: float = 30.0) -> None:
    """Until `url` answers at all; fails at once (with the output) if the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"{process.args} exited with {process.returncode}:\n{output}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.RequestException:
            time.sleep(0.1)
    raise AssertionError(f"nothing answered {url}")


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
    process, uri = start_nx_server(tmp_path_factory.mktemp("nx27017"))
    try:
        yield uri
    finally:
        process.terminate()
        process.wait(10)


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
