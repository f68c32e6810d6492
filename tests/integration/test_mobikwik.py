"""The MobiKwik adapter against a real local HTTP server.

Nothing in requests is patched: the adapter's promise is about what happens
on the wire (headers, timeouts, refused connections), so that is what runs.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from checkout.providers import base
from checkout.providers.base import ObservedCredit, ProviderError, WalletProvider
from checkout.providers.mobikwik import MobikwikProvider
from tests.support.servers import free_port

TOKEN = "tok-SECRET-5f2c9a"
BALANCE = "/p/wallet/balance"
HISTORY = "/p/wallet/history/v2"

# 2025-11-12T10:00:00Z and onwards, in epoch milliseconds.
T0 = 1762941600000
MINUTE = 60_000


def at(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, tz=UTC)


@pytest.fixture
def provider(httpserver: HTTPServer) -> MobikwikProvider:
    return MobikwikProvider(
        auth_token=TOKEN,
        balance_url=httpserver.url_for(BALANCE),
        history_url=httpserver.url_for(HISTORY),
        timeout=2.0,
    )


def serve_balance(httpserver: HTTPServer, raw_body: str) -> None:
    httpserver.expect_request(BALANCE).respond_with_data(raw_body, content_type="application/json")


def expect_failure(call: Callable[[], object], reason: str) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        call()
    error = info.value
    assert error.reason == reason, str(error)
    assert TOKEN not in str(error)
    assert TOKEN not in error.message
    return error


# --- balance: good answers -------------------------------------------------


@pytest.mark.parametrize(
    ("raw_balance", "paise"),
    [
        ("5000.50", 500050),  # JSON number with decimals, never through a float
        ("5000", 500000),  # JSON integer
        ('"5000.50"', 500050),  # numeric string
        ('"1018"', 101800),
        ("0", 0),  # an empty wallet is a real balance
        ("0.1", 10),
        ("1018.500", 101850),  # trailing zeros beyond paise are still exact
    ],
)
def test_balance_parses_rupees_to_exact_paise(
    httpserver: HTTPServer, provider: MobikwikProvider, raw_balance: str, paise: int
) -> None:
    serve_balance(httpserver, f'{{"success": true, "data": {{"balance": {raw_balance}}}}}')
    assert provider.balance() == paise


def test_balance_sends_the_seed_headers(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        BALANCE,
        method="GET",
        headers={"authorization": "tok", "Accept": "application/json", "x-mclient": "0"},
    ).respond_with_json({"success": True, "data": {"balance": 12}})
    provider = MobikwikProvider(auth_token="tok", balance_url=httpserver.url_for(BALANCE))

    assert provider.balance() == 1200
    httpserver.check_assertions()
    request, _ = httpserver.log[0]
    assert request.headers["authorization"] == "tok"  # raw token, no "Bearer "
    assert "upi-checkout" in request.headers["User-Agent"]


def test_provider_satisfies_the_protocol() -> None:
    wallet: WalletProvider = MobikwikProvider(auth_token=TOKEN, balance_url="http://x/")
    assert wallet.name == "mobikwik"
    assert wallet.has_history is False
    assert MobikwikProvider(auth_token=TOKEN, balance_url="u", history_url="h").has_history


# --- balance: every failure is a ProviderError with the right reason ------------


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (401, base.UNAUTHORIZED),
        (403, base.UNAUTHORIZED),
        (500, base.SERVER_ERROR),
        (503, base.SERVER_ERROR),
        (404, base.HTTP_ERROR),
        (429, base.HTTP_ERROR),
    ],
)
def test_balance_maps_http_status(
    httpserver: HTTPServer, provider: MobikwikProvider, status: int, reason: str
) -> None:
    # The body echoes the token, as a careless error page might.
    httpserver.expect_request(BALANCE).respond_with_json(
        {"success": False, "message": f"bad token {TOKEN}"}, status=status
    )
    error = expect_failure(provider.balance, reason)
    assert str(status) in error.message


@pytest.mark.parametrize(
    "body",
    [
        pytest.param("<html><body>Please log in</body></html>", id="html-login-page"),
        pytest.param("", id="empty"),
        pytest.param("[1, 2]", id="not-an-object"),
        pytest.param('{"success": false}', id="success-false"),
        pytest.param('{"success": "true", "data": {"balance": 5}}', id="success-not-boolean"),
        pytest.param('{"data": {"balance": 5}}', id="success-missing"),
        pytest.param('{"success": true}', id="data-missing"),
        pytest.param('{"success": true, "data": [5]}', id="data-not-object"),
        pytest.param('{"success": true, "data": {}}', id="balance-missing"),
        pytest.param('{"success": true, "data": {"balance": null}}', id="balance-null"),
        pytest.param('{"success": true, "data": {"balance": -10.5}}', id="balance-negative"),
        pytest.param('{"success": true, "data": {"balance": "-10"}}', id="balance-negative-str"),
        pytest.param('{"success": true, "data": {"balance": "abc"}}', id="balance-non-numeric"),
        pytest.param('{"success": true, "data": {"balance": true}}', id="balance-boolean"),
        pytest.param('{"success": true, "data": {"balance": 10.505}}', id="balance-sub-paise"),
        pytest.param('{"success": true, "data": {"balance": 1e3}}', id="balance-exponent"),
        pytest.param('{"success": true, "data": {"balance": NaN}}', id="balance-nan"),
        pytest.param('{"success": true, "data": {"balance": Infinity}}', id="balance-infinity"),
        pytest.param('{"success": true, "data": {"balance": {"v": 1}}}', id="balance-object"),
        pytest.param("[" * 100_000 + "]" * 100_000, id="absurdly-nested"),
    ],
)
def test_balance_rejects_bad_answers(
    httpserver: HTTPServer, provider: MobikwikProvider, body: str
) -> None:
    httpserver.expect_request(BALANCE).respond_with_data(body, content_type="text/html")
    expect_failure(provider.balance, base.BAD_RESPONSE)


def test_balance_login_redirect_is_a_bad_response(
    httpserver: HTTPServer, provider: MobikwikProvider
) -> None:
    httpserver.expect_request(BALANCE).respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/login")})
    )
    httpserver.expect_request("/login").respond_with_data(
        "<html>login</html>", content_type="text/html"
    )
    expect_failure(provider.balance, base.BAD_RESPONSE)


def test_balance_timeout(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response('{"success": true, "data": {"balance": 1}}')

    httpserver.expect_request(BALANCE).respond_with_handler(slow)
    provider = MobikwikProvider(
        auth_token=TOKEN, balance_url=httpserver.url_for(BALANCE), timeout=0.3
    )
    started = time.monotonic()
    expect_failure(provider.balance, base.TIMEOUT)
    assert time.monotonic() - started < 0.9


def test_balance_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}{BALANCE}?token={TOKEN}"
    provider = MobikwikProvider(auth_token=TOKEN, balance_url=url, timeout=1.0)
    error = expect_failure(provider.balance, base.NETWORK)
    assert "[redacted]" in error.message  # the URL is quoted, the token is not


def test_failures_are_logged_without_the_token(
    httpserver: HTTPServer, provider: MobikwikProvider, caplog: pytest.LogCaptureFixture
) -> None:
    httpserver.expect_request(BALANCE).respond_with_data("nope", status=401)
    with caplog.at_level(logging.WARNING, logger="checkout.providers.mobikwik"):
        expect_failure(provider.balance, base.UNAUTHORIZED)
    assert any("unauthorized" in r.getMessage() for r in caplog.records)
    assert all(TOKEN not in r.getMessage() for r in caplog.records)


def test_provider_error_shape() -> None:
    error = ProviderError(base.TIMEOUT, "balance gave no answer")
    assert str(error) == "timeout: balance gave no answer"
    assert (error.reason, error.message) == ("timeout", "balance gave no answer")


@pytest.mark.parametrize("token", ["", "tok\r\nX-Evil: 1", " tok", "tök"])
def test_unusable_token_is_refused_at_construction(token: str) -> None:
    with pytest.raises(ValueError):
        MobikwikProvider(auth_token=token, balance_url="http://x/")


# --- history -----------------------------------------------------------------


def item(**fields: object) -> dict[str, object]:
    defaults: dict[str, object] = {
        "rrn": "RRN-1",
        "transactionId": "TXN-1",
        "amount": "10.00",
        "mode": "credit",
        "status": "success",
        "date": T0,
    }
    defaults.update(fields)
    return defaults


def serve_history(httpserver: HTTPServer, items: list[object]) -> None:
    body = json.dumps({"success": True, "data": {"historyData": items}})
    httpserver.expect_request(HISTORY, headers={"authorization": TOKEN}).respond_with_data(
        body, content_type="application/json"
    )


def test_history_keeps_settled_credits_oldest_first(
    httpserver: HTTPServer, provider: MobikwikProvider
) -> None:
    # Newest first, as wallet histories are usually listed.
    serve_history(
        httpserver,
        [
            item(transactionId="T5", amount="10.51", date=T0 + 5 * MINUTE),
            item(transactionId="T4", mode="debit", date=T0 + 4 * MINUTE),
            item(transactionId="T3", status="pending", date=T0 + 3 * MINUTE),
            item(transactionId="T2", status="FAILED", date=T0 + 2 * MINUTE),
            item(transactionId="T1", amount=1018, mode="CREDIT", status="Successful", date=T0),
            item(transactionId="T0", status="completed", date=T0 - MINUTE),
        ],
    )
    credits = provider.credits_since(None)

    assert credits == [
        ObservedCredit("T0", 1000, at(T0 - MINUTE)),
        ObservedCredit("T1", 101800, at(T0)),
        ObservedCredit("T5", 1051, at(T0 + 5 * MINUTE)),
    ]
    assert all(c.occurred_at is not None and c.occurred_at.tzinfo == UTC for c in credits)
    assert provider.last_skipped == 0
    httpserver.check_assertions()


def test_history_amount_json_number_is_exact(
    httpserver: HTTPServer, provider: MobikwikProvider
) -> None:
    body = (
        '{"success": true, "data": {"historyData": [{"transactionId": "T1", "amount": 10.5,'
        f' "mode": "credit", "status": "success", "date": {T0}}}]}}}}'
    )
    httpserver.expect_request(HISTORY).respond_with_data(body, content_type="application/json")
    assert provider.credits_since(None) == [ObservedCredit("T1", 1050, at(T0))]


def test_history_since_is_strict(httpserver: HTTPServer, provider: MobikwikProvider) -> None:
    serve_history(
        httpserver,
        [
            item(transactionId="later", date=T0 + 1),
            item(transactionId="same-ms", date=T0),
            item(transactionId="earlier", date=T0 - 1),
        ],
    )
    since = datetime(2025, 11, 12, 10, 0, 0, tzinfo=UTC)
    assert [c.key for c in provider.credits_since(since)] == ["later"]


def test_history_naive_since_is_read_as_utc(
    httpserver: HTTPServer, provider: MobikwikProvider
) -> None:
    serve_history(httpserver, [item(transactionId="later", date=T0 + MINUTE), item(date=T0)])
    naive = datetime(2025, 11, 12, 10, 0, 0)
    assert [c.key for c in provider.credits_since(naive)] == ["later"]


def test_history_key_falls_back_to_rrn(httpserver: HTTPServer, provider: MobikwikProvider) -> None:
    serve_history(
        httpserver,
        [
            item(transactionId=None, rrn="RRN-A", date=T0),
            item(transactionId="", rrn="RRN-B", date=T0 + 1),
            item(transactionId=None, rrn=None, date=T0 + 2),  # neither: skipped
            item(transactionId=987654321, date=T0 + 3),
        ],
    )
    assert [c.key for c in provider.credits_since(None)] == ["RRN-A", "RRN-B", "987654321"]
    assert provider.last_skipped == 1


def test_history_repeated_transaction_is_reported_once(
    httpserver: HTTPServer, provider: MobikwikProvider
) -> None:
    serve_history(httpserver, [item(transactionId="T1"), item(transactionId="T1")])
    assert len(provider.credits_since(None)) == 1


def test_history_skips_and_counts_malformed_items(
    httpserver: HTTPServer, provider: MobikwikProvider, caplog: pytest.LogCaptureFixture
) -> None:
    good = item(transactionId="good", date=T0)
    serve_history(
        httpserver,
        [
            "not an object",
            None,
            item(transactionId="m1", mode=None),
            item(transactionId="m2", status=None),
            item(transactionId="m3", amount="abc"),
            item(transactionId="m4", amount="-5"),
            item(transactionId="m5", amount=0),
            item(transactionId="m6", amount=None),
            item(transactionId="m7", amount="10.005"),
            item(transactionId="m8", date=None),
            item(transactionId="m9", date="yesterday"),
            item(transactionId="m10", date=-1),
            item(transactionId="m11", date=10**20),
            item(transactionId="m12", date=True),
            good,
            # Broken debits are still broken, but never become credits.
            item(transactionId="d1", mode="debit", amount="abc"),
        ],
    )
    with caplog.at_level(logging.WARNING, logger="checkout.providers.mobikwik"):
        credits = provider.credits_since(None)

    assert credits == [ObservedCredit("good", 1000, at(T0))]
    assert provider.last_skipped == 14
    assert any("skipped 14" in r.getMessage() for r in caplog.records)


def test_history_date_as_digit_string(httpserver: HTTPServer, provider: MobikwikProvider) -> None:
    serve_history(httpserver, [item(date=str(T0 + 1500))])
    (credit,) = provider.credits_since(None)
    assert credit.occurred_at == datetime(2025, 11, 12, 10, 0, 1, 500000, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param('{"success": true, "data": {}}', id="historyData-missing"),
        pytest.param('{"success": true, "data": {"historyData": {}}}', id="historyData-object"),
        pytest.param('{"success": true, "data": {"historyData": null}}', id="historyData-null"),
        pytest.param('{"success": false, "data": {"historyData": []}}', id="success-false"),
        pytest.param("<html>login</html>", id="html"),
    ],
)
def test_history_malformed_envelope(
    httpserver: HTTPServer, provider: MobikwikProvider, body: str
) -> None:
    httpserver.expect_request(HISTORY).respond_with_data(body, content_type="application/json")
    expect_failure(lambda: provider.credits_since(None), base.BAD_RESPONSE)


@pytest.mark.parametrize(
    ("status", "reason"),
    [(401, base.UNAUTHORIZED), (502, base.SERVER_ERROR), (404, base.HTTP_ERROR)],
)
def test_history_maps_http_status(
    httpserver: HTTPServer, provider: MobikwikProvider, status: int, reason: str
) -> None:
    httpserver.expect_request(HISTORY).respond_with_data("oops", status=status)
    expect_failure(lambda: provider.credits_since(None), reason)


def test_history_timeout(httpserver: HTTPServer) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.0)
        return Response('{"success": true, "data": {"historyData": []}}')

    httpserver.expect_request(HISTORY).respond_with_handler(slow)
    provider = MobikwikProvider(
        auth_token=TOKEN,
        balance_url=httpserver.url_for(BALANCE),
        history_url=httpserver.url_for(HISTORY),
        timeout=0.3,
    )
    expect_failure(lambda: provider.credits_since(None), base.TIMEOUT)


def test_history_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}{HISTORY}"
    provider = MobikwikProvider(auth_token=TOKEN, balance_url=url, history_url=url)
    expect_failure(lambda: provider.credits_since(None), base.NETWORK)


def test_history_without_url_is_a_programming_error() -> None:
    provider = MobikwikProvider(auth_token=TOKEN, balance_url="http://x/")
    with pytest.raises(NotImplementedError):
        provider.credits_since(None)
