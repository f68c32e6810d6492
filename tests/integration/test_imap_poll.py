"""Bank alert e-mail read from a real IMAP server (dovecot on loopback), on both stores:
decided by the evidence service, marked seen only once decided, faults recorded
without the password, and plain IMAP refused off loopback."""

from __future__ import annotations

import imaplib
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from checkout.config import ConfigError, Settings
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts, imap_poll
from checkout.services.checkouts import CheckoutRequest
from checkout.services.imap_poll import Mailbox
from checkout.services.ticker import Ticker
from checkout.storage.evidence import EvidenceStore, RelaySeen
from checkout.storage.models import PaymentSession, WalletCredit, WalletState
from checkout.storage.store import Store
from tests.conftest import Clock
from tests.support.imap import PASSWORD, ImapServer, imap_server
from tests.support.servers import HOST, free_port

ALERT = (Path(__file__).resolve().parents[1] / "data" / "evidence" / "hdfc-credit.eml").read_bytes()
ALERT_ID = "<20261202094107.633611223344@hdfcbank.net>"
# The alert's Date is 09:41:07 +05:30; its checkout opens a little before.
BEFORE_THE_ALERT = datetime(2026, 12, 2, 4, 5, tzinfo=UTC)
OWNER = "test-poller"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[ImapServer]:
    with imap_server() as server:
        yield server


@pytest.fixture
def mailbox(dovecot: ImapServer) -> str:
    """A mailbox of this test's own on the shared server."""
    return f"T{uuid.uuid4().hex[:10]}"


@pytest.fixture
def repo() -> EvidenceStore:
    created = EvidenceStore()
    created.ensure_indexes()
    return created


@pytest.fixture
def mail_settings(
    tick_settings: Settings, dovecot: ImapServer, mailbox: str, clock: Clock
) -> Settings:
    clock.current = BEFORE_THE_ALERT
    return tick_settings.with_overrides(
        payment_provider="sandbox",
        email_authserv_id="mx.google.com",
        evidence_imap_url=dovecot.url(mailbox=mailbox),
    )


def open_checkout(store: Store, settings: Settings, clock: Clock, order_id: str) -> None:
    checkouts.create_checkout(
        store, SandboxProvider(store), settings, CheckoutRequest(order_id, 101800), now=clock()
    )


def poll(
    store: Store, repo: EvidenceStore, settings: Settings, clock: Clock
) -> imap_poll.PollReport:
    return imap_poll.poll_mailbox(store, repo, settings, owner=OWNER, now=clock())


def test_the_hdfc_alert_completes_its_checkout_and_is_marked_seen(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
) -> None:
    open_checkout(store, mail_settings, clock, "ORD-MAIL")
    dovecot.deliver(ALERT, mailbox)
    assert dovecot.flags(mailbox) == {ALERT_ID: False}
    clock.advance(minutes=10)

    report = poll(store, repo, mail_settings, clock)

    assert (report.reason, report.outcomes, report.completed) == ("ok", ["credited"], ["ORD-MAIL"])
    assert PaymentSession.objects.get(orderId="ORD-MAIL").status == "completed"
    credit = WalletCredit.objects.get()
    assert (credit.rrn, credit.amountPaise, credit.provider) == ("633611223344", 101800, "email")
    # Dated by the alert's own Date header, not by when the poll happened to fetch it.
    assert credit.occurredAt == datetime(2026, 12, 2, 4, 11, 7, tzinfo=UTC)
    assert dovecot.flags(mailbox) == {ALERT_ID: True}
    relay = f"imap:alerts@{HOST}/{mailbox}"
    assert [seen.id for seen in RelaySeen.objects] == [relay]
    check = imap_poll.mailbox_check(mail_settings)
    assert check is not None and (check["status"], check["lastError"]) == ("ok", None)


def test_a_second_poll_reads_nothing_new(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
) -> None:
    dovecot.deliver(ALERT, mailbox)
    assert poll(store, repo, mail_settings, clock).outcomes == ["credited"]
    inside_the_interval = poll(store, repo, mail_settings, clock)
    assert (inside_the_interval.ran, inside_the_interval.reason) == (False, "busy")

    clock.advance(minutes=2)
    again = poll(store, repo, mail_settings, clock)

    assert (again.ran, again.reason, again.outcomes) == (True, "ok", [])
    assert WalletCredit.objects.count() == 1


def test_an_untrusted_message_changes_nothing_and_is_still_marked_seen(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
) -> None:
    open_checkout(store, mail_settings, clock, "ORD-SAFE")
    # Stamped by another server than the merchant's own: it counts for nothing.
    forged = ALERT.replace(
        b"Authentication-Results: mx.google.com;", b"Authentication-Results: mx.evil.example;"
    )
    dovecot.deliver(forged, mailbox)
    clock.advance(minutes=10)

    report = poll(store, repo, mail_settings, clock)

    assert (report.reason, report.outcomes, report.completed) == ("ok", ["rejected"], [])
    assert PaymentSession.objects.get(orderId="ORD-SAFE").status == "pending"
    assert WalletCredit.objects.count() == 0
    assert dovecot.flags(mailbox) == {ALERT_ID: True}


def test_a_wrong_password_is_a_recorded_fault_with_no_secret_in_the_log(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    open_checkout(store, mail_settings, clock, "ORD-WAIT")
    dovecot.deliver(ALERT, mailbox)
    wrong = "not-the-password-9Z"
    settings = mail_settings.with_overrides(evidence_imap_url=dovecot.url(wrong, mailbox))
    clock.advance(minutes=10)

    with caplog.at_level(logging.DEBUG):
        report = poll(store, repo, settings, clock)
        backing_off = poll(store, repo, settings, clock)

    assert (report.ran, report.reason, report.outcomes) == (True, "auth", [])
    assert (backing_off.ran, backing_off.reason) == (False, "busy")
    state = WalletState.objects.get(id=imap_poll.LEASE_ID)
    assert (state.consecutiveFailures, state.lastErrorReason, state.leaseUntil) == (1, "auth", None)
    assert state.nextTickAt > clock()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "could not be read (auth)" in logged
    assert wrong not in logged and PASSWORD not in logged
    assert wrong not in repr(settings) and wrong not in repr(
        Mailbox.from_url(settings.evidence_imap_url)
    )
    assert PaymentSession.objects.get(orderId="ORD-WAIT").status == "pending"
    assert dovecot.flags(mailbox) == {ALERT_ID: False}


def test_a_mailbox_nobody_answers_for_is_a_fault_that_backs_off_further(
    store: Store, repo: EvidenceStore, mail_settings: Settings, clock: Clock
) -> None:
    settings = mail_settings.with_overrides(
        evidence_imap_url=f"imap://alerts:{PASSWORD}@{HOST}:{free_port()}/INBOX"
    )
    waits = []
    for _ in range(3):
        report = poll(store, repo, settings, clock)
        assert (report.ran, report.reason) == (True, "unreachable")
        state = WalletState.objects.get(id=imap_poll.LEASE_ID)
        waits.append(state.nextTickAt - clock())
        clock.current = state.nextTickAt

    assert waits == [timedelta(seconds=3), timedelta(seconds=6), timedelta(seconds=12)]
    assert WalletState.objects.get(id=imap_poll.LEASE_ID).consecutiveFailures == 3


def test_a_message_whose_seen_flag_was_lost_is_read_again_as_a_duplicate(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
) -> None:
    """A crash between the decision and the \\Seen flag: the next poll reads it again, safely."""
    open_checkout(store, mail_settings, clock, "ORD-ONCE")
    dovecot.deliver(ALERT, mailbox)
    clock.advance(minutes=10)

    def drops_before_the_flag(mail: Mailbox, settings: Settings) -> imaplib.IMAP4:
        client = imap_poll.connect(mail, settings)
        real_uid = client.uid

        def uid(command: str, *args: object) -> tuple[str, list[object]]:
            if command == "STORE":
                client.shutdown()
                raise OSError("connection reset")
            return real_uid(command, *args)

        client.uid = uid  # type: ignore[method-assign]
        return client

    crashed = imap_poll.poll_mailbox(
        store, repo, mail_settings, owner=OWNER, now=clock(), open_mailbox=drops_before_the_flag
    )
    assert (crashed.reason, crashed.completed) == ("broken", [])
    assert dovecot.flags(mailbox) == {ALERT_ID: False}
    clock.current = WalletState.objects.get(id=imap_poll.LEASE_ID).nextTickAt

    again = poll(store, repo, mail_settings, clock)

    assert (again.reason, again.outcomes, again.completed) == ("ok", ["duplicate"], ["ORD-ONCE"])
    assert WalletCredit.objects.count() == 1
    assert PaymentSession.objects.get(orderId="ORD-ONCE").status == "completed"
    assert dovecot.flags(mailbox) == {ALERT_ID: True}


def test_the_ticker_reads_the_mailbox_every_round(
    store: Store, mail_settings: Settings, dovecot: ImapServer, mailbox: str, clock: Clock
) -> None:
    open_checkout(store, mail_settings, clock, "ORD-TICK")
    dovecot.deliver(ALERT, mailbox)
    clock.advance(minutes=10)

    Ticker(store, SandboxProvider(store), mail_settings, now_fn=clock).run_once()

    assert PaymentSession.objects.get(orderId="ORD-TICK").status == "completed"
    assert dovecot.flags(mailbox) == {ALERT_ID: True}


@pytest.mark.parametrize(
    "url",
    [
        "imap://alerts:s3cret-pass@mail.example.com/INBOX",
        "imap://alerts:s3cret-pass@192.0.2.10:143/INBOX",
    ],
)
def test_plain_imap_off_loopback_is_refused_at_start_up(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"EVIDENCE_IMAP_URL": url})
    message = str(refused.value)
    assert message.startswith("EVIDENCE_IMAP_URL must use imaps://")
    assert "s3cret-pass" not in message


def test_imaps_anywhere_and_plain_imap_on_loopback_are_accepted() -> None:
    tls = Settings.from_env(
        {"EVIDENCE_IMAP_URL": "imaps://me%40shop.in:p%3Ass@imap.gmail.com/INBOX"}
    )
    assert Mailbox.from_url(tls.evidence_imap_url) == Mailbox(
        tls=True, host="imap.gmail.com", port=993, user="me@shop.in", password="p:ss", name="INBOX"
    )
    assert "p%3Ass" not in repr(tls)
    local = Settings.from_env({"EVIDENCE_IMAP_URL": "imap://u:p@localhost:1143/Bank%20alerts"})
    assert Mailbox.from_url(local.evidence_imap_url).name == "Bank alerts"


def test_imaps_reads_the_alert_when_the_private_ca_is_trusted(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
) -> None:
    open_checkout(store, mail_settings, clock, "ORD-TLS")
    dovecot.deliver(ALERT, mailbox)
    clock.advance(minutes=10)
    settings = mail_settings.with_overrides(
        evidence_imap_url=dovecot.url(mailbox=mailbox, tls=True),
        evidence_imap_ca_file=dovecot.ca_file,
    )

    report = poll(store, repo, settings, clock)

    assert (report.reason, report.completed) == ("ok", ["ORD-TLS"])
    assert dovecot.flags(mailbox) == {ALERT_ID: True}


def test_imaps_to_a_certificate_nobody_vouches_for_is_a_tls_fault(
    store: Store,
    repo: EvidenceStore,
    mail_settings: Settings,
    dovecot: ImapServer,
    mailbox: str,
    clock: Clock,
) -> None:
    open_checkout(store, mail_settings, clock, "ORD-UNTLS")
    dovecot.deliver(ALERT, mailbox)
    settings = mail_settings.with_overrides(
        evidence_imap_url=dovecot.url(mailbox=mailbox, tls=True)
    )

    report = poll(store, repo, settings, clock)

    assert (report.ran, report.reason, report.outcomes) == (True, "tls", [])
    assert WalletState.objects.get(id=imap_poll.LEASE_ID).lastErrorReason == "tls"
    assert PaymentSession.objects.get(orderId="ORD-UNTLS").status == "pending"
    assert dovecot.flags(mailbox) == {ALERT_ID: False}


def test_health_names_the_mailbox_and_its_last_fault_without_the_password(
    store: Store, repo: EvidenceStore, mail_settings: Settings, dovecot: ImapServer, clock: Clock
) -> None:
    assert imap_poll.mailbox_check(mail_settings.with_overrides(evidence_imap_url="")) is None
    wrong = mail_settings.with_overrides(evidence_imap_url=dovecot.url("wrong-pass-4K"))
    poll(store, repo, wrong, clock)

    check = imap_poll.mailbox_check(wrong)

    assert check == {
        "status": "degraded",
        "mailbox": f"imap://alerts@{HOST}:{dovecot.port}/INBOX",
        "lastOkAt": None,
        "consecutiveFailures": 1,
        "lastError": "auth",
    }
