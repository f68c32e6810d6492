"""The evidence endpoints over HTTP: three SMS bodies, three ways for a relay to prove itself.

Each post goes through the Flask client as a relay sends it: the raw bytes, the
headers, the query. The SMS Gateway for Android app signs the raw body followed by
X-Timestamp with HMAC-SHA256 (its PayloadSingingPlugin), so the signatures here are
made the same way over the very bytes posted.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout.config import Settings
from checkout.gateway import Gateway
from checkout.storage.evidence import EvidenceMessage, RelaySeen
from tests.conftest import AUTH, Clock
from tests.functional.conftest import assert_error
from tests.functional.test_evidence_keys import bearer, issue
from tests.functional.test_merchant_api import open_checkout

SMS = "/api/v1/evidence/sms"
EMAIL = "/api/v1/evidence/email"
HEARTBEAT = "/api/v1/evidence/heartbeat"
SIGNING_KEY = "app-signing-key-5f1c2e"
DEVICE = "ffffffffceb0b1db0000018e937c815b"
HDFC = "VM-HDFCBK-S"
IST = timezone(timedelta(hours=5, minutes=30))
ALERT_EMAIL = (
    b"Authentication-Results: mx.google.com;\r\n"
    b"       dkim=pass header.i=@hdfcbank.net header.s=sel1 header.b=Qm9ndXM=\r\n"
    b"From: HDFC Bank InstaAlerts <alerts@hdfcbank.net>\r\n"
    b"To: shop.owner@example.in\r\n"
    b"Subject: You have done a UPI txn. Check details!\r\n"
    b"Date: Wed, 02 Dec 2026 09:41:07 +0530\r\n"
    b"Message-ID: <20261202094107.633611223344@hdfcbank.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Dear Customer,\r\n\r\n"
    b"Rs.1018.00 has been credited to account **4821 from VPA asha.k@okicici on 02-12-26.\r\n\r\n"
    b"Your UPI transaction reference number is 633611223344.\r\n"
)


def credit_sms(rupees: str, rrn: str) -> str:
    return (
        f"Credit Alert!\nRs.{rupees} credited to HDFC Bank A/c XX4821 on 02-12-26 "
        f"from VPA asha.k@okicici (UPI {rrn})"
    )


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(sms_gateway_signing_key=SIGNING_KEY)


# -- the three bodies -------------------------------------------------------------------

Body = tuple[bytes, str]  # the raw bytes and their Content-Type


def plain_json(sender: str, text: str, clock: Clock) -> Body:
    body = {"from": sender, "text": text, "receivedAt": clock().isoformat()}
    return json.dumps(body).encode(), "application/json"


def app_webhook(sender: str, text: str, clock: Clock, *, event_id: str = "Ey6ECgOkVVFjz3") -> Body:
    """Byte for byte the shape the app posts (gson, no spaces), in the phone's +05:30."""
    local = clock().astimezone(IST).isoformat(timespec="milliseconds")
    body = {
        "deviceId": DEVICE,
        "event": "sms:received",
        "id": event_id,
        "payload": {
            "messageId": "abc123",
            "message": text,
            "phoneNumber": sender,
            "simNumber": 1,
            "receivedAt": local,
        },
        "webhookId": "wh-1",
    }
    return json.dumps(body, separators=(",", ":")).encode(), "application/json; charset=UTF-8"


def form(sender: str, text: str, clock: Clock) -> Body:
    return urlencode({"from": sender, "text": text}).encode(), "application/x-www-form-urlencoded"


BODIES: dict[str, Callable[[str, str, Clock], Body]] = {
    "json": plain_json,
    "app": app_webhook,
    "form": form,
}


# -- the three proofs -------------------------------------------------------------------


def signature(raw: bytes, stamp: str, key: str = SIGNING_KEY) -> str:
    return hmac.new(key.encode(), raw + stamp.encode(), hashlib.sha256).hexdigest()


def signed(raw: bytes, clock: Clock, *, skew: int = 0, key: str = SIGNING_KEY) -> dict[str, str]:
    stamp = str(int(clock().timestamp()) + skew)
    return {"X-Signature": signature(raw, stamp, key), "X-Timestamp": stamp}


def post(
    client: FlaskClient,
    path: str,
    body: Body,
    *,
    headers: dict[str, str] | None = None,
    token: str | None = None,
) -> TestResponse:
    raw, content_type = body
    url = f"{path}?{urlencode({'token': token})}" if token is not None else path
    return client.post(url, data=raw, headers={"Content-Type": content_type, **(headers or {})})


def relays() -> set[str]:
    return {relay.id for relay in RelaySeen.objects}


@pytest.mark.parametrize("proof", ["bearer", "token", "signature"])
@pytest.mark.parametrize("shape", list(BODIES))
def test_every_body_with_every_proof_completes_the_checkout_it_pays(
    client: FlaskClient, clock: Clock, shape: str, proof: str
) -> None:
    checkout = open_checkout(client, amount="1018")
    clock.advance(seconds=30)
    body = BODIES[shape](HDFC, credit_sms("1,018.00", "633612345678"), clock)
    if proof == "bearer":
        key = issue(client, scope="evidence")
        answer = post(client, SMS, body, headers=bearer(key["secret"]))
        relay = f"key:{key['id']}"
    elif proof == "token":
        key = issue(client, scope="evidence", urlToken=True)
        answer = post(client, SMS, body, token=key["secret"])
        relay = f"token:{key['id']}"
    else:
        answer = post(client, SMS, body, headers=signed(body[0], clock))
        relay = f"sms-gateway:{DEVICE if shape == 'app' else '-'}"
    assert answer.status_code == 200, answer.get_data(as_text=True)
    found = answer.get_json()
    assert (found["outcome"], found["rrn"], found["orderIds"]) == (
        "credited",
        "633612345678",
        [checkout["orderId"]],
    )
    assert '"amount":1018' in answer.get_data(as_text=True).replace(" ", "")  # a JSON number
    assert relays() == {relay}
    status = client.get(f"/api/v1/checkout-sessions/{checkout['id']}", headers=AUTH)
    assert status.get_json()["status"] == "completed"


def test_the_answer_carries_only_what_the_evidence_gave(client: FlaskClient, clock: Clock) -> None:
    headers = bearer(issue(client, scope="evidence")["secret"])
    credited = post(
        client, SMS, plain_json(HDFC, credit_sms("75.50", "633600000001"), clock), headers=headers
    )
    assert credited.status_code == 200, credited.get_data(as_text=True)
    answer = credited.get_json()
    assert set(answer) == {"id", "outcome", "amount", "rrn", "bank", "orderIds"}
    assert answer["outcome"] == "credited" and answer["orderIds"] == []
    assert answer["id"].startswith("cr_") and isinstance(answer["bank"], str)
    debit = "Sent Rs.334.00\nFrom HDFC Bank A/C *9862\nTo CHAI POINT\nOn 02/12/26\nRef 633645678901"
    for sender, text, outcome in (
        (HDFC, debit, "ignored"),
        ("+919812345678", credit_sms("75.50", "633600000002"), "rejected"),
        (HDFC, credit_sms("75.50", "633600000001"), "duplicate"),
    ):
        reply = post(client, SMS, plain_json(sender, text, clock), headers=headers)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        shown = reply.get_json()
        assert shown["outcome"] == outcome and isinstance(shown["id"], str)
        assert None not in shown.values()  # absent keys are left out, never null
        assert set(shown) <= {"id", "outcome", "amount", "rrn", "bank", "orderIds"}
    assert shown["id"] == answer["id"]  # a duplicate names the credit it repeats


def test_the_app_webhook_is_read_as_the_app_posts_it(client: FlaskClient, clock: Clock) -> None:
    body = app_webhook(HDFC, credit_sms("210.00", "633600000003"), clock, event_id="evt-1")
    first = post(client, SMS, body, headers=signed(body[0], clock))
    assert first.status_code == 200 and first.get_json()["outcome"] == "credited"
    # The app retries (a timeout on its side): the same event id, signed anew.
    clock.advance(seconds=20)
    again = post(client, SMS, body, headers=signed(body[0], clock))
    assert again.status_code == 200, again.get_data(as_text=True)
    assert (again.get_json()["outcome"], again.get_json()["id"]) == (
        "duplicate",
        first.get_json()["id"],
    )
    # Only event, payload.message and payload.phoneNumber are needed.
    bare = json.dumps(
        {"event": "sms:received", "payload": {"message": "hello", "phoneNumber": "+919812345678"}}
    ).encode()
    minimal = post(client, SMS, (bare, "application/json"), headers=signed(bare, clock))
    assert minimal.status_code == 200 and minimal.get_json()["outcome"] == "rejected"
    assert relays() == {f"sms-gateway:{DEVICE}", "sms-gateway:-"}


def test_a_ping_from_the_app_is_a_heartbeat(client: FlaskClient, clock: Clock) -> None:
    ping = json.dumps(
        {"deviceId": DEVICE, "event": "system:ping", "id": "p-1", "payload": {"health": {}}},
        separators=(",", ":"),
    ).encode()
    answer = post(client, SMS, (ping, "application/json"), headers=signed(ping, clock))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"id": "p-1", "outcome": "heartbeat", "orderIds": []}
    (seen,) = RelaySeen.objects
    assert seen.id == f"sms-gateway:{DEVICE}" and seen.lastSeenAt == clock()
    assert EvidenceMessage.objects.count() == 0


def test_the_heartbeat_endpoint_keeps_a_relay_alive(client: FlaskClient, clock: Clock) -> None:
    key = issue(client, scope="evidence")
    answer = client.post(HEARTBEAT, headers=bearer(key["secret"]))
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json() == {"relay": f"key:{key['id']}", "outcome": "heartbeat"}
    clock.advance(minutes=5)
    assert client.post(HEARTBEAT, headers=signed(b"", clock)).status_code == 200
    assert {r.id: r.lastSeenAt for r in RelaySeen.objects} == {
        f"key:{key['id']}": clock() - timedelta(minutes=5),
        "sms-gateway:-": clock(),
    }
    assert_error(client.post(HEARTBEAT), 401)


# -- refused proofs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "forge",
    [
        "other-key",
        "body-changed",
        "stale",
        "future",
        "no-timestamp",
        "timestamp-changed",
        "not-hex",
        "empty",
    ],
)
def test_a_forged_or_stale_signature_is_401(client: FlaskClient, clock: Clock, forge: str) -> None:
    raw, content_type = app_webhook(HDFC, credit_sms("99.00", "633600000004"), clock)
    headers = signed(raw, clock)
    if forge == "other-key":
        headers = signed(raw, clock, key="the-app-default-random-key")
    elif forge == "body-changed":
        raw = raw.replace(b"99.00", b"9900.00")
    elif forge == "stale":
        headers = signed(raw, clock, skew=-301)
    elif forge == "future":
        headers = signed(raw, clock, skew=301)
    elif forge == "no-timestamp":
        del headers["X-Timestamp"]
    elif forge == "timestamp-changed":
        headers["X-Timestamp"] = str(int(headers["X-Timestamp"]) - 1)
    elif forge == "not-hex":
        headers["X-Signature"] = "z" * 64
    else:
        headers["X-Signature"] = ""
    assert_error(post(client, SMS, (raw, content_type), headers=headers), 401)
    assert EvidenceMessage.objects.count() == 0 and relays() == set()


def test_a_signature_is_good_for_five_minutes_either_way(client: FlaskClient, clock: Clock) -> None:
    for skew, rrn in ((-300, "633600000005"), (300, "633600000006")):
        raw, content_type = app_webhook(HDFC, credit_sms("98.00", rrn), clock, event_id=rrn)
        answer = post(client, SMS, (raw, content_type), headers=signed(raw, clock, skew=skew))
        assert answer.status_code == 200, answer.get_data(as_text=True)


def test_no_signature_is_believed_without_a_signing_key(
    client: FlaskClient, gateway: Gateway, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        gateway, "settings", gateway.settings.with_overrides(sms_gateway_signing_key="")
    )
    raw, content_type = app_webhook(HDFC, credit_sms("97.00", "633600000007"), clock)
    for key in ("", SIGNING_KEY):
        answer = post(client, SMS, (raw, content_type), headers=signed(raw, clock, key=key))
        assert_error(answer, 401)
        assert "SMS_GATEWAY_SIGNING_KEY" in answer.get_json()["error"]


def test_failed_proofs_are_401_and_a_merchant_key_is_403(client: FlaskClient, clock: Clock) -> None:
    body = plain_json(HDFC, credit_sms("96.00", "633600000008"), clock)
    phone = issue(client, scope="evidence")
    forwarder = issue(client, scope="evidence", urlToken=True)
    shop = issue(client)
    client.delete(f"/api/v1/api-keys/{phone['id']}", headers=AUTH)
    refused: list[dict[str, Any]] = [
        {},
        {"headers": bearer(phone["secret"])},  # revoked
        {"headers": bearer(forwarder["secret"])},  # a URL token is no Bearer key
        {"token": forwarder["secret"] + "x"},
        {"token": ""},
        {"token": shop["secret"]},  # a Bearer key is no URL token
        {"headers": bearer("sk_test_" + "A" * 43)},
        # A wrong Bearer key decides: a good signature beside it does not rescue it.
        {"headers": {**bearer("wrong-key-0123456789"), **signed(body[0], clock)}},
    ]
    for how in refused:
        assert_error(post(client, SMS, body, **how), 401)
    merchant = post(client, SMS, body, headers=bearer(shop["secret"]))
    assert_error(merchant, 403)
    assert EvidenceMessage.objects.count() == 0 and relays() == set()
    admin = post(client, SMS, body, headers=AUTH)
    assert admin.status_code == 200 and relays() == {"admin"}


def test_an_evidence_key_is_refused_everywhere_else(client: FlaskClient) -> None:
    phone = bearer(issue(client, scope="evidence")["secret"])
    assert_error(client.get("/api/v1/checkout-sessions", headers=phone), 403)
    assert_error(client.post("/api/v1/checkout-sessions", json={"amount": "1"}, headers=phone), 403)
    assert_error(client.get("/api/v1/credits", headers=phone), 403)
    assert client.post(HEARTBEAT, headers=phone).status_code == 200


def test_the_relay_url_token_never_reaches_a_log(
    client: FlaskClient, settings: Settings, clock: Clock
) -> None:
    token = issue(client, scope="evidence", urlToken=True)
    body = plain_json(HDFC, credit_sms("95.00", "633600000009"), clock)
    assert post(client, SMS, body, token=token["secret"]).status_code == 200
    post(client, SMS, body, token=token["secret"] + "typo")
    # Whatever quotes the relay URL (a proxy error, a traceback) is redacted as well.
    logging.getLogger("checkout").warning("relay posted to %s", token["relayUrl"])
    logging.getLogger("checkout").warning("relay posted to %s&x=1", f"{SMS}?a=1&token=abc123def456")
    logged = Path(settings.log_dir, "combined.log").read_text(encoding="utf-8")
    assert f"POST {SMS} 200" in logged and f"POST {SMS} 401" in logged
    assert token["secret"] not in logged and token["secret"][8:] not in logged
    assert "abc123def456" not in logged
    assert f"{SMS}?token=[redacted]" in logged and "&token=[redacted]&x=1" in logged


# -- malformed bodies -------------------------------------------------------------------


def _json(value: Any) -> Body:
    return json.dumps(value).encode(), "application/json"


WEBHOOK = {"event": "sms:received", "payload": {"message": "x", "phoneNumber": HDFC}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_json({"text": "hello"}), "from"),
        (_json({"from": HDFC}), "text"),
        (_json({"from": HDFC, "text": "   "}), "text"),
        (_json({"from": HDFC, "text": "a\x07b"}), "text"),
        (_json({"from": HDFC, "text": "x" * 2001}), "text"),
        (_json({"from": ["VM-HDFCBK-S"], "text": "x"}), "from"),
        (_json({"from": "VM\ud800", "text": "x"}), "from"),
        (_json({"from": HDFC, "text": "x", "receivedAt": "2026-12-02T10:00:00"}), "receivedAt"),
        (_json({"from": HDFC, "text": "x", "receivedAt": "yesterday"}), "receivedAt"),
        (_json({"event": "sms:received"}), "payload"),
        (_json({**WEBHOOK, "payload": {"phoneNumber": HDFC}}), "payload.message"),
        (_json({**WEBHOOK, "payload": {"message": "x"}}), "payload.phoneNumber"),
        (_json({**WEBHOOK, "event": "sms:sent"}), "event"),
        (
            _json({**WEBHOOK, "payload": {**WEBHOOK["payload"], "simNumber": "1"}}),
            "payload.simNumber",
        ),
        (_json(["VM-HDFCBK-S", "text"]), "body"),
        ((b"{not json", "application/json"), "body"),
        ((b"[" * 40 + b"]" * 40, "application/json"), "body"),
        ((b"from=VM-HDFCBK-S&text=x", "text/plain"), "body"),
        ((b"from=VM-HDFCBK-S", "application/x-www-form-urlencoded"), "text"),
    ],
)
def test_a_malformed_sms_is_400_naming_the_field(
    client: FlaskClient, body: Body, field: str
) -> None:
    assert_error(post(client, SMS, body, headers=AUTH), 400, field)
    assert EvidenceMessage.objects.count() == 0


def test_bodies_over_64_kib_are_refused(client: FlaskClient, clock: Clock) -> None:
    big = b'{"from":"VM-HDFCBK-S","text":"' + b"x" * (64 * 1024) + b'"}'
    assert_error(post(client, SMS, (big, "application/json"), headers=signed(big, clock)), 413)
    assert_error(post(client, EMAIL, (b"x" * (65 * 1024), "message/rfc822"), headers=AUTH), 413)


# -- e-mail -----------------------------------------------------------------------------


def test_an_alert_email_is_posted_raw(client: FlaskClient, clock: Clock) -> None:
    raw = ALERT_EMAIL
    for headers in (AUTH, signed(raw, clock)):
        answer = post(client, EMAIL, (raw, "message/rfc822"), headers=headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        found = answer.get_json()
        assert found["outcome"] in {"credited", "duplicate", "rejected", "ignored", "unparsed"}
        assert set(found) <= {"id", "outcome", "amount", "rrn", "bank", "orderIds"}
    assert relays() == {"admin", "sms-gateway:-"}
    assert_error(post(client, EMAIL, (raw, "application/json"), headers=AUTH), 400, "body")
    assert_error(post(client, EMAIL, (b"", "message/rfc822"), headers=AUTH), 400, "body")
    assert_error(post(client, EMAIL, (raw, "message/rfc822")), 401)
