"""Loopback only: where bench traffic may go, and the addresses clients send it from."""

from __future__ import annotations

from tests.support.servers import HOST

__all__ = ["HOST", "SOCKET_TIMEOUT", "SOURCE_IPS", "is_loopback"]

# Client source addresses: 127.0.0.2 … 127.0.0.250. The gateway limits status polls
# per client IP, so spreading clients across addresses is how one machine stands in
# for many shoppers.
SOURCE_IPS: tuple[str, ...] = tuple(f"127.0.0.{i}" for i in range(2, 251))

SOCKET_TIMEOUT = 10.0


def is_loopback(host: str) -> bool:
    return host == "localhost" or host.startswith("127.")
