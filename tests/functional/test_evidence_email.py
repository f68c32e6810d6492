"""The alert e-mail endpoint believes a message only on the merchant's own mail server's
stamp: the topmost Authentication-Results, with dkim=pass aligned with From."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from checkout.config import Settings
from checkout.storage.models import PaymentSession, WalletCredit
from tests.conftest import AUTH, Clock

EML = (Path(__file__).resolve().parents[1] / "data" / "evidence" / "hdfc-credit.eml").read_bytes()
EMAIL = "/api/v1/evidence/email"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(email_authserv_id="mx.google.com")


def _open(client: FlaskClient, clock: Clock) -> str:
    # Opened before the bank's message (Date: 02 Dec 2026 09:41:07 +0530): the evidence
    # time is the Date under the signature, and a credit cannot pay a later checkout.
    clock.current = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
    answer = client.post(
        "/api/v1/checkout-sessions", json={"orderId": "ORD-MAIL", "amount": "1018"}, headers=AUTH
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return "ORD-MAIL"


def _post(client: FlaskClient, raw: bytes) -> dict[str, object]:
    answer = client.post(EMAIL, data=raw, headers={**AUTH, "Content-Type": "message/rfc822"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body: dict[str, object] = answer.get_json()
    return body


def test_a_passing_stamp_from_the_merchants_server_credits_and_completes(
    client: FlaskClient, clock: Clock
) -> None:
    order_id = _open(client, clock)
    clock.advance(seconds=5)
    got = _post(client, EML)
    assert (got["outcome"], got["rrn"], got["orderIds"]) == ("credited", "633611223344", [order_id])
    assert PaymentSession.objects.get(orderId=order_id).status == "completed"


FORGED = {
    # The sender's own header claims a pass, under the merchant server's real one that fails.
    "a lower header passes": EML.replace(b"dkim=pass", b"dkim=fail", 1).replace(
        b"From: HDFC Bank",
        b"Authentication-Results: mx.google.com; dkim=pass header.i=@hdfcbank.net\r\n"
        b"From: HDFC Bank",
    ),
    "another server's stamp": EML.replace(
        b"Authentication-Results: mx.google.com;", b"Authentication-Results: mx.evil.test;"
    ),
    "a signature from another domain": EML.replace(
        b"header.i=@hdfcbank.net", b"header.i=@mailer.example"
    ),
    "no stamp at all": EML[EML.index(b"From: ") :],
}


@pytest.mark.parametrize("raw", list(FORGED.values()), ids=list(FORGED))
def test_without_a_passing_topmost_stamp_nothing_changes(
    client: FlaskClient, clock: Clock, raw: bytes
) -> None:
    order_id = _open(client, clock)
    clock.advance(seconds=5)
    got = _post(client, raw)
    assert got["outcome"] == "rejected" and got["orderIds"] == []
    assert PaymentSession.objects.get(orderId=order_id).status == "pending"
    assert WalletCredit.objects.count() == 0
