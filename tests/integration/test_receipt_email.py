"""The receipt e-mail end to end: a completed checkout → the mail outbox → a real SMTP
server on loopback (aiosmtpd), driven by the webhook worker's `run_round()`.

Retries come due by moving the patched clock; "seen twice" is the completion's debt
written again, as a crash between queueing and clearing it would leave it.
"""

from __future__ import annotations

import logging
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from flask import Flask

from checkout import create_app
from checkout.config import ConfigError, Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.mail import MailError, send_message
from checkout.services import sandbox
from checkout.services.receipts import job_key
from checkout.storage.mail import MailJob
from checkout.storage.models import PaymentSession
from tests.conftest import AUTH, Clock
from tests.integration.conftest import drop_store
from tests.support.servers import HOST, free_port

V1 = "/api/v1/checkout-sessions"
USER, PASSWORD = "receipts", "smtp-pass-never-logged"
CUSTOMER = "asha@example.org"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class Mailbox:
    """An SMTP server's handler: answers the scripted RCPT refusals in turn, then accepts."""

    def __init__(self) -> None:
        self.refusals: list[str] = []
        self.received: list[Received] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self._lock = threading.Lock()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        with self._lock:
            if self.refusals:
                return self.refusals.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, _class=EmailMessage, policy=default)
        with self._lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login, data.password))
        return AuthResult(success=(data.login, data.password) == (USER.encode(), PASSWORD.encode()))


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """aiosmtpd on loopback, plain (no STARTTLS), with a sign-in: the loopback exception."""
    handler = Mailbox()
    port = free_port()
    controller = Controller(
        handler,
        hostname=HOST,
        port=port,
        auth_require_tls=False,
        authenticator=handler.authenticate,
    )
    controller.start()
    yield handler, port
    controller.stop()


class Shop:
    def __init__(self, app: Flask, clock: Clock) -> None:
        self.app = app
        self.clock = clock
        self.client = app.test_client()
        self.gateway: Gateway = app.extensions[EXTENSION_KEY]

    def open(self, order_id: str, email: str | None = CUSTOMER) -> dict[str, Any]:
        body: dict[str, Any] = {"orderId": order_id, "amount": "499"}
        if email:
            body["customer"] = {"email": email}
        answer = self.client.post(V1, json=body, headers=AUTH)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        opened: dict[str, Any] = answer.get_json()
        return opened

    def pay_by_sms(self, order_id: str) -> None:
        gateway = self.gateway
        sandbox.send_bank_sms(
            gateway.store, gateway.evidence, gateway.settings, order_id, now=self.clock()
        )
        assert self.session(order_id).status == "completed"

    def session(self, order_id: str) -> PaymentSession:
        found = self.gateway.store.session_by_order_id(order_id)
        assert found is not None
        return found

    def round(self) -> int:
        return self.gateway.webhooks.run_round()


@pytest.fixture
def shop(
    settings: Settings, mongodb_uri: str, clock: Clock, mailbox: tuple[Mailbox, int]
) -> Iterator[Shop]:
    """On both stores: mongomock and the nx-27017 wire server."""
    _, port = mailbox
    app = create_app(
        settings.with_overrides(
            mongodb_uri=mongodb_uri,
            smtp_url=f"smtp://{USER}:{PASSWORD}@{HOST}:{port}",
            mail_from="orders@shop.example.in",
            upi_payee_name="Asha Stores",
            rate_limit_max_requests=1000,
        )
    )
    app.config["TESTING"] = True
    yield Shop(app, clock)
    drop_store(app.extensions[EXTENSION_KEY].store)


def test_one_receipt_per_checkout_even_when_the_completion_is_seen_twice(
    shop: Shop, mailbox: tuple[Mailbox, int], caplog: pytest.LogCaptureFixture
) -> None:
    server, _ = mailbox
    caplog.set_level(logging.DEBUG)
    shop.open("ORD-RCPT-1")
    shop.pay_by_sms("ORD-RCPT-1")
    assert server.received == []  # queued by the worker's round, never inside the payment

    shop.round()
    (got,) = server.received
    assert server.logins == [(USER.encode(), PASSWORD.encode())]
    assert got.rcpt_tos == [CUSTOMER]
    assert got.mail_from == "orders@shop.example.in"
    message = got.message
    assert message["From"] == "Asha Stores <orders@shop.example.in>"
    assert message["To"] == CUSTOMER
    assert message["Subject"] == "Receipt: ₹499.00 paid to Asha Stores"
    body = message.get_content()
    session = shop.session("ORD-RCPT-1")
    credit = shop.gateway.store.credit_by_key(session.creditKeys[0])
    assert credit is not None and credit.rrn
    assert "Order: ORD-RCPT-1" in body
    assert "Amount paid: ₹499.00" in body
    assert f"UPI reference (UTR): {credit.rrn}" in body
    assert " IST" in body  # DISPLAY_TIMEZONE's clock, not UTC

    # A crash after the receipt was queued but before the debt was cleared: seen again.
    PaymentSession.objects(orderId="ORD-RCPT-1").update_one(
        push__pendingEvents="checkout.completed"
    )
    shop.clock.advance(hours=7)
    shop.round()
    shop.round()
    assert len(server.received) == 1
    job = MailJob.objects(key=job_key("ORD-RCPT-1")).get()
    assert job.status == "delivered" and job.attempts == 1 and job.sentAt is not None
    assert job.recipient is None and job.message is None  # nothing personal kept once sent
    assert PASSWORD not in caplog.text
    assert "receipt mail for ORD-RCPT-1" in caplog.text


def test_a_refused_receipt_is_retried_with_backoff(
    shop: Shop, mailbox: tuple[Mailbox, int]
) -> None:
    server, _ = mailbox
    server.refusals = ["451 4.3.0 Mailbox busy, try again later"]
    shop.open("ORD-RCPT-2")
    shop.pay_by_sms("ORD-RCPT-2")

    shop.round()
    assert server.received == []
    job = MailJob.objects(key=job_key("ORD-RCPT-2")).get()
    assert job.status == "pending" and job.attempts == 1
    assert job.lastError == "recipient refused (451)"
    assert job.recipient == CUSTOMER  # kept until it is sent

    shop.round()  # not due yet: the first retry waits 10 s
    assert server.received == []
    shop.clock.advance(seconds=11)
    shop.round()
    (got,) = server.received
    assert got.message["Subject"] == "Receipt: ₹499.00 paid to Asha Stores"
    job.reload()
    assert job.status == "delivered" and job.attempts == 2


def test_a_permanent_refusal_is_not_retried(shop: Shop, mailbox: tuple[Mailbox, int]) -> None:
    server, _ = mailbox
    server.refusals = ["550 5.1.1 No such user"]
    shop.open("ORD-RCPT-3")
    shop.pay_by_sms("ORD-RCPT-3")
    shop.round()
    shop.clock.advance(hours=7)
    shop.round()
    assert server.received == []
    job = MailJob.objects(key=job_key("ORD-RCPT-3")).get()
    assert job.status == "failed" and job.attempts == 1 and job.recipient is None


def test_no_email_on_the_checkout_means_no_receipt(
    shop: Shop, mailbox: tuple[Mailbox, int]
) -> None:
    server, _ = mailbox
    shop.open("ORD-RCPT-4", email=None)
    shop.pay_by_sms("ORD-RCPT-4")
    shop.round()
    assert server.received == []
    assert MailJob.objects(key=job_key("ORD-RCPT-4")).first() is None


def test_a_server_that_is_down_is_tried_again(shop: Shop, mailbox: tuple[Mailbox, int]) -> None:
    """Settings pointing at a port nothing listens on: the job waits, nothing is lost."""
    server, _ = mailbox
    shop.gateway.webhooks.receipts.settings = shop.gateway.settings.with_overrides(
        smtp_url=f"smtp://{USER}:{PASSWORD}@{HOST}:{free_port()}"
    )
    shop.open("ORD-RCPT-5")
    shop.pay_by_sms("ORD-RCPT-5")
    shop.round()
    job = MailJob.objects(key=job_key("ORD-RCPT-5")).get()
    assert job.status == "pending" and job.lastError == "ConnectionRefusedError"
    assert PASSWORD not in (job.lastError or "")
    assert server.received == []


# -- the transport, against aiosmtpd with TLS -------------------------------------------


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def _message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "orders@shop.example.in"
    message["To"] = CUSTOMER
    message["Subject"] = "Receipt"
    message.set_content("Paid.")
    return message


def _server_context(tls_files: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*tls_files)
    return context


@pytest.mark.parametrize("implicit", [False, True], ids=["smtp-starttls", "smtps"])
def test_tls_from_the_start_or_by_starttls(tls_files: tuple[Path, Path], implicit: bool) -> None:
    handler = Mailbox()
    port = free_port()
    server_tls: dict[str, Any] = (
        # aiosmtpd counts only STARTTLS as TLS for AUTH; this connection is TLS throughout.
        {"ssl_context": _server_context(tls_files), "auth_require_tls": False}
        if implicit
        else {"tls_context": _server_context(tls_files), "require_starttls": True}
    )
    controller = Controller(
        handler, hostname=HOST, port=port, authenticator=handler.authenticate, **server_tls
    )
    controller.start()
    try:
        scheme = "smtps" if implicit else "smtp"
        url = f"{scheme}://{USER}:{PASSWORD}@{HOST}:{port}"
        trusted = ssl.create_default_context(cafile=str(tls_files[0]))
        send_message(url, _message(), context=trusted)
        (got,) = handler.received
        assert got.rcpt_tos == [CUSTOMER]
        assert handler.logins == [(USER.encode(), PASSWORD.encode())]  # signed in over TLS

        # A certificate nobody vouches for: refused, and worth retrying (it may be fixed).
        with pytest.raises(MailError) as refused:
            send_message(url, _message())
        assert refused.value.retryable and PASSWORD not in refused.value.reason
        assert len(handler.received) == 1
    finally:
        controller.stop()


def test_plain_smtp_is_refused_off_loopback(
    mailbox: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server that offers no STARTTLS gets nothing unless it is on this host."""
    server, port = mailbox
    monkeypatch.setattr("checkout.mail.is_loopback", lambda url: False)
    with pytest.raises(MailError) as refused:
        send_message(f"smtp://{USER}:{PASSWORD}@{HOST}:{port}", _message())
    assert not refused.value.retryable
    assert refused.value.reason == f"smtp://{HOST}:{port} offers no STARTTLS"
    assert server.received == [] and server.logins == []  # not even the password went out


def test_the_receipt_speaks_the_default_language(
    settings: Settings, clock: Clock, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    app = create_app(
        settings.with_overrides(
            smtp_url=f"smtp://{HOST}:{port}",
            mail_from="orders@shop.example.in",
            upi_payee_name="Asha Stores, Pune",
            default_language="hi",
        )
    )
    try:
        shop = Shop(app, clock)
        shop.open("ORD-RCPT-HI")
        shop.pay_by_sms("ORD-RCPT-HI")
        shop.round()
        (got,) = server.received
        assert got.message["Subject"] == "रसीद: Asha Stores, Pune को ₹499.00 का भुगतान"
        assert "धन्यवाद। Asha Stores, Pune को आपका UPI भुगतान मिल गया है।" in got.message.get_content()
        # A comma in the payee's name: still one sender, its name quoted.
        (sender,) = got.message["From"].addresses
        assert sender.display_name == "Asha Stores, Pune"
        assert sender.addr_spec == "orders@shop.example.in"
    finally:
        drop_store(app.extensions[EXTENSION_KEY].store)


def test_a_receipt_that_cannot_be_written_never_holds_up_the_webhook(
    shop: Shop, mailbox: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _ = mailbox

    def broken(*args: Any, **kwargs: Any) -> EmailMessage:
        raise ValueError("a template that does not render")

    monkeypatch.setattr("checkout.services.receipts.receipt_message", broken)
    shop.open("ORD-RCPT-6")
    shop.pay_by_sms("ORD-RCPT-6")
    shop.round()
    assert shop.session("ORD-RCPT-6").pendingEvents == []  # the webhook's debt was paid
    assert MailJob.objects(key=job_key("ORD-RCPT-6")).first() is None
    assert server.received == []


def test_smtp_url_without_mail_from_is_refused_at_start(settings: Settings) -> None:
    with pytest.raises(ConfigError, match="MAIL_FROM is required when SMTP_URL is set"):
        settings.with_overrides(smtp_url=f"smtp://{HOST}:2525", mail_from="").validated()
    refused = ""
    try:
        Settings.from_env({"SMTP_URL": "ftp://user:hunter2@mail.example.in"})
    except ConfigError as exc:
        refused = str(exc)
    assert refused and "hunter2" not in refused  # the parser never quotes the password
