"""The stub MobiKwik balance API a bench points the gateway at.

It is the tests' `StubWallet` (pytest-httpserver's werkzeug server, no pytest), so the
bench and the tests answer the gateway in one way; here it runs on a server of its own.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from pytest_httpserver import HTTPServer

from support.net import HOST
from tests.support.wallet import StubWallet

WALLET_TOKEN = "bench-wallet-token"  # noqa: S105 - loopback bench only
WALLET_BALANCE_PAISE = 500050  # ₹5000.50, never moving: nobody pays in these benches


@contextlib.contextmanager
def stub_wallet() -> Iterator[StubWallet]:
    """The wallet on its own loopback port; only requests with WALLET_TOKEN count as calls."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per wallet call
    server = HTTPServer(host=HOST, port=0)
    server.start()
    try:
        wallet = StubWallet(server, token=WALLET_TOKEN)
        wallet.balance_paise = WALLET_BALANCE_PAISE
        yield wallet
    finally:
        server.clear()
        server.stop()
