"""Servers the tests and the benches start on loopback: a free port, bounded waits, a stop."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable
from typing import TypeVar

import requests

HOST = "127.0.0.1"

Value = TypeVar("Value")


def free_port() -> int:
    """A port nothing listens on now; the caller's server binds it a moment later."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def until(
    check: Callable[[], Value],
    timeout: float = 20.0,
    interval: float = 0.1,
    failure: str = "the condition never held",
) -> Value:
    """The first truthy value of `check()`; an AssertionError once `timeout` seconds pass.

    Every wait in a test or a bench is bounded, so a server that never comes up fails
    the run instead of hanging it.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{failure} (waited {timeout:g} s)")
        time.sleep(interval)


Process = subprocess.Popen[str] | subprocess.Popen[bytes]


def _until_up(
    probe: Callable[[], bool], process: Process | None, timeout: float, failure: str
) -> None:
    """Until `probe()` holds; at once, with what it printed, if `process` dies meanwhile."""

    def up() -> bool:
        if process is not None and process.poll() is not None:
            printed = process.stdout.read() if process.stdout else ""
            output = printed if isinstance(printed, str) else printed.decode(errors="replace")
            raise AssertionError(f"{process.args!r} exited with {process.returncode}:\n{output}")
        return probe()

    until(up, timeout, interval=0.05, failure=failure)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((HOST, port)) == 0


def _answering(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


def wait_for_port(port: int, process: Process | None = None, timeout: float = 15.0) -> None:
    """Until something accepts connections on the loopback port."""
    _until_up(lambda: _listening(port), process, timeout, f"nothing listens on {HOST}:{port}")


def wait_for_http(url: str, process: Process | None = None, timeout: float = 30.0) -> None:
    """Until `url` answers at all (any status)."""
    _until_up(lambda: _answering(url), process, timeout, f"nothing answered {url}")


def stop(process: Process, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not gone within `timeout` seconds."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
