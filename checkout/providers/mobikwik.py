"""MobiKwik wallet adapter: the seed's balance call plus the optional history.

The balance endpoint is what the seed polled; the history endpoint gives real
transaction ids and times, which lets the ledger store each credit once and
attribution check evidence time (DESIGN §5 and §6). Every way the API can fail
becomes a ProviderError so a flaky wallet never moves a checkout.
"""

from __future__ import annotations

import decimal
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import requests
from urllib3.exceptions import ReadTimeoutError

from checkout.domain.money import parse_rupees
from checkout.providers.base import (
    BAD_RESPONSE,
    HTTP_ERROR,
    NETWORK,
    SERVER_ERROR,
    TIMEOUT,
    UNAUTHORIZED,
    ObservedCredit,
    ProviderError,
)

logger = logging.getLogger(__name__)

USER_AGENT = "upi-checkout/0.1 (+self-hosted UPI gateway; wallet poller)"
_SUCCESS_STATUSES = frozenset({"success", "successful", "completed"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REDACTED = "[redacted]"


def _reject_constant(name: str) -> object:
    # json would otherwise turn NaN/Infinity into binary floats, which must never hold money.
    raise ValueError(f"non-finite number {name}")


def _fail(reason: str, message: str, token: str) -> ProviderError:
    """Build the error in one place so every failure is redacted and logged alike."""
    error = ProviderError(reason, message.replace(token, _REDACTED))
    logger.warning("mobikwik: %s", error)
    return error


def _fetch_data(
    session: requests.Session, url: str, *, token: str, timeout: float, what: str
) -> dict[str, Any]:
    """GET one MobiKwik endpoint and return its ``data`` object.

    Both endpoints share the seed's headers and the ``{success, data}``
    envelope, so the whole request-and-error mapping lives here once.
    Exceptions are raised ``from None``: requests' own exceptions carry the
    prepared request, headers and all, and their text is not redacted.
    """
    headers = {
        "authorization": token,
        "Accept": "application/json",
        "x-mclient": "0",
        "User-Agent": USER_AGENT,
    }
    try:
        response = session.get(url, headers=headers, timeout=(timeout, timeout))
    except requests.Timeout:
        raise _fail(TIMEOUT, f"{what} gave no answer within {timeout}s", token) from None
    except requests.ConnectionError as exc:
        # A stall while reading the body surfaces as ConnectionError(ReadTimeoutError).
        if exc.args and isinstance(exc.args[0], ReadTimeoutError):
            raise _fail(TIMEOUT, f"{what} stalled mid-answer after {timeout}s", token) from None
        raise _fail(NETWORK, f"{what} unreachable: {exc}", token) from None
    except requests.RequestException as exc:
        raise _fail(NETWORK, f"{what} request failed: {type(exc).__name__}: {exc}", token) from None

    status = response.status_code
    if status in (401, 403):
        raise _fail(UNAUTHORIZED, f"{what} rejected the token (HTTP {status})", token)
    if status >= 500:
        raise _fail(SERVER_ERROR, f"{what} failed on the wallet's side (HTTP {status})", token)
    if not 200 <= status < 300:
        raise _fail(HTTP_ERROR, f"{what} answered HTTP {status}", token)

    try:
        body = response.json(parse_float=decimal.Decimal, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        content_type = response.headers.get("Content-Type", "no content type")[:80]
        raise _fail(BAD_RESPONSE, f"{what} answer is not JSON ({content_type})", token) from None
    if not isinstance(body, dict) or body.get("success") is not True:
        raise _fail(BAD_RESPONSE, f"{what} answer does not report success", token)
    data = body.get("data")
    if not isinstance(data, dict):
        raise _fail(BAD_RESPONSE, f"{what} answer has no data object", token)
    return data


def _timestamp(value: object) -> datetime:
    """Epoch milliseconds to an aware UTC datetime, without a binary float on the way."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"date {value!r} is not epoch milliseconds")
    try:
        return _EPOCH + timedelta(milliseconds=value)
    except OverflowError:
        raise ValueError(f"date {value!r} is out of range") from None


def _credit_key(item: dict[str, Any]) -> str:
    for field in ("transactionId", "rrn"):
        value = item.get(field)
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise ValueError("neither transactionId nor rrn")


def _credit(item: object) -> ObservedCredit | None:
    """One history item as a credit; None for debits and unsettled items.

    Raises ValueError when the item is too broken to tell, so the caller can
    count it rather than silently drop it.
    """
    if not isinstance(item, dict):
        raise ValueError(f"item is {type(item).__name__}, not an object")
    mode, status = item.get("mode"), item.get("status")
    if not isinstance(mode, str) or not isinstance(status, str):
        raise ValueError("mode or status missing")
    if mode.strip().lower() != "credit" or status.strip().lower() not in _SUCCESS_STATUSES:
        return None
    return ObservedCredit(
        key=_credit_key(item),
        amount_paise=parse_rupees(item.get("amount")),
        occurred_at=_timestamp(item.get("date")),
    )


class MobikwikProvider:
    """A MobiKwik wallet reached with the app's session token."""

    name = "mobikwik"

    def __init__(
        self,
        *,
        auth_token: str,
        balance_url: str,
        history_url: str | None = None,
        timeout: float = 5.0,
        session: requests.Session | None = None,
    ) -> None:
        # Checked here because a bad token would otherwise fail on every tick
        # with an error from deep inside http.client.
        if not auth_token or not (auth_token.isascii() and auth_token.isprintable()):
            raise ValueError("MobiKwik auth token must be non-empty printable ASCII")
        if auth_token != auth_token.strip():
            raise ValueError("MobiKwik auth token has surrounding whitespace")
        if not timeout > 0:
            raise ValueError("timeout must be positive")
        self._token = auth_token
        self._balance_url = balance_url
        self._history_url = history_url
        self._timeout = timeout
        self._session = session if session is not None else requests.Session()
        self.has_history = history_url is not None
        #: History items dropped as malformed by the last credits_since call.
        self.last_skipped = 0

    def _fetch(self, url: str, what: str) -> dict[str, Any]:
        return _fetch_data(self._session, url, token=self._token, timeout=self._timeout, what=what)

    def balance(self) -> int:
        """Wallet balance in paise; ProviderError on any failure, never a guess."""
        data = self._fetch(self._balance_url, "balance")
        try:
            return parse_rupees(data.get("balance"), allow_zero=True)
        except ValueError as exc:
            raise _fail(BAD_RESPONSE, f"balance is unusable: {exc}", self._token) from None

    def credits_since(self, since: datetime | None) -> list[ObservedCredit]:
        """Settled credits strictly after ``since``, oldest first.

        A naive ``since`` is taken as UTC, because that is how pymongo hands
        back stored datetimes. Only the page the endpoint returns is read.
        """
        if self._history_url is None:
            raise NotImplementedError("mobikwik history needs MOBIKWIK_HISTORY_URL")
        if since is not None and since.tzinfo is None:
            since = since.replace(tzinfo=UTC)

        data = self._fetch(self._history_url, "history")
        items = data.get("historyData")
        if not isinstance(items, list):
            raise _fail(BAD_RESPONSE, "history answer has no historyData list", self._token)

        found: dict[str, ObservedCredit] = {}
        skipped, first_problem = 0, ""
        for item in items:
            try:
                credit = _credit(item)
            except ValueError as exc:
                skipped += 1
                first_problem = first_problem or str(exc)
                continue
            if credit is None:
                continue
            if since is not None and credit.occurred_at is not None and credit.occurred_at <= since:
                continue
            # Overlapping pages can repeat an item; the first sighting stands.
            found.setdefault(credit.key, credit)

        self.last_skipped = skipped
        if skipped:
            logger.warning(
                "mobikwik: skipped %d malformed history item(s), first: %s",
                skipped,
                first_problem.replace(self._token, _REDACTED),
            )
        return sorted(found.values(), key=lambda c: (c.occurred_at or _EPOCH, c.key))
