"""The MobiKwik wallet API as a real HTTP server on loopback, for the tests and the benches.

The gateway talks to it exactly as to the real API (its own HTTP client, timeouts and
parsing), so what a test or a bench sees is what production would do with those answers.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

BALANCE_PATH = "/p/wallet/balance"
HISTORY_PATH = "/p/wallet/history/v2"
FAULTS = (None, "500", "401", "html", "slow")


def _rupees(paise: int) -> str:
    return f"{paise // 100}.{paise % 100:02d}"


class StubWallet:
    """A balance, a history, and faults on demand, on a pytest-httpserver server.

    ``fault`` is one of FAULTS; it applies to both endpoints. A "slow" answer waits
    ``slow_seconds`` (longer than the provider's timeout); clearing the fault ends any
    answer still stalling, so the next request is not queued behind it.

    With a ``token``, a request whose Authorization header is anything else gets the
    API's 401 and is counted in ``unauthorized`` instead of in the calls.
    """

    def __init__(
        self, httpserver: HTTPServer, *, token: str | None = None, slow_seconds: float = 1.5
    ) -> None:
        self.httpserver = httpserver
        self.token = token
        self.balance_paise = 0
        self.history: list[dict[str, Any]] = []
        self.slow_seconds = slow_seconds
        self.unauthorized = 0
        self._calls: list[tuple[str, float]] = []
        self._fault: str | None = None
        self._healed = threading.Event()
        self._lock = threading.Lock()
        httpserver.expect_request(BALANCE_PATH, method="GET").respond_with_handler(self._balance)
        httpserver.expect_request(HISTORY_PATH, method="GET").respond_with_handler(self._history)

    @property
    def balance_url(self) -> str:
        return self.httpserver.url_for(BALANCE_PATH)

    @property
    def history_url(self) -> str:
        return self.httpserver.url_for(HISTORY_PATH)

    @property
    def fault(self) -> str | None:
        return self._fault

    @fault.setter
    def fault(self, value: str | None) -> None:
        assert value in FAULTS, value
        self._fault = value
        if value is None:
            self._healed.set()
        else:
            self._healed.clear()

    # -- what the test does to the wallet --------------------------------------------

    def credit(self, paise: int, *, at: datetime | None = None, txn: str | None = None) -> str:
        """Money arrives: the balance rises and the history gains a credit (newest first)."""
        when = at or datetime.now(UTC)
        with self._lock:
            self.balance_paise += paise
            key = txn or f"TXN{len(self.history) + 1:04d}"
            self.history.insert(
                0,
                {
                    "rrn": f"RRN-{key}",
                    "transactionId": key,
                    "amount": _rupees(paise),
                    "mode": "credit",
                    "status": "success",
                    "date": int(when.timestamp() * 1000),
                },
            )
            return key

    # -- what the wallet saw -----------------------------------------------------------

    def calls(self, path: str | None = None) -> int:
        """Requests that reached an endpoint (`path`, or either), faulty answers included."""
        with self._lock:
            return sum(1 for called, _ in self._calls if path in (None, called))

    def calls_between(self, start: float, end: float) -> list[float]:
        """Monotonic times of the requests that arrived in [start, end)."""
        with self._lock:
            return [at for _, at in self._calls if start <= at < end]

    # -- the endpoints ------------------------------------------------------------------

    def _refused(self, request: Request) -> Response | None:
        """The token check, the call record and the fault: what both endpoints do first."""
        if self.token is not None and request.headers.get("Authorization") != self.token:
            with self._lock:
                self.unauthorized += 1
            return self._expired()
        with self._lock:
            self._calls.append((request.path, time.monotonic()))
        if self.fault == "500":
            return Response("upstream exploded", status=500)
        if self.fault == "401":
            return self._expired()
        if self.fault == "html":
            return Response("<html><body>Please log in</body></html>", content_type="text/html")
        if self.fault == "slow" and not self._healed.wait(self.slow_seconds):
            return Response("too late", status=504)
        return None

    @staticmethod
    def _expired() -> Response:
        return Response('{"success": false, "message": "token expired"}', status=401)

    def _balance(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        with self._lock:
            paise = self.balance_paise
        # Rupees as a JSON number with two decimals, as the real API sends them.
        return Response(
            f'{{"success": true, "data": {{"balance": {_rupees(paise)}}}}}',
            content_type="application/json",
        )

    def _history(self, request: Request) -> Response:
        refused = self._refused(request)
        if refused is not None:
            return refused
        with self._lock:
            items = list(self.history)
        body = json.dumps({"success": True, "data": {"historyData": items}})
        return Response(body, content_type="application/json")
