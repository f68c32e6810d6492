"""Bank alert e-mail read from a real IMAP server (dovecot on loopback), on both stores:
decided by the evidence service, marked seen only once decided, faults recorded
without the password, and plain IMAP refused off loopback."""

from __future__ import annotations

import imaplib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from checkout.config import ConfigError, Settings
from checkout.providers.no_wallet import NoWallet
from checkout.providers.sandbox import SandboxProvider
from checkout.services import checkouts, imap_poll
from checkout.services.checkouts import CheckoutRequest
from checkout.services.health import health_report
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
# The alert's Date is 09:41:07 +05:30 (04:11:07 UTC); its checkout opens a little before.
BEFORE_THE_ALERT = datetime(2026, 12, 2, 4, 5, tzinfo=UTC)
OWNER = "test-poller"


@pytest.fixture(scope="session")
def dovecot() -> Iterator[ImapServer]:
    with imap_server() as server:
        yield server


@dataclass
class Case:
    """One test's store, its own mailbox on the shared server, and the settings that read it."""

    store: Store
    repo: EvidenceStore
    settings: Settings
    server: ImapServer
    mailbox: str
    clock: Clock

    def open_checkout(self, order_id: str) -> None:
        checkouts.create_checkout(
            self.store,
            SandboxProvider(self.store),
            self.settings,
            CheckoutRequest(order_id, 101800),
            now=self.clock(),
        )

    def deliver(self, raw: bytes = ALERT) -> None:
        self.server.deliver(raw, self.mailbox)

    def seen(self) -> dict[str, bool]:
        return self.server.flags(self.mailbox)

    def url(self, password: str = PASSWORD, *, tls: bool = False) -> str:
        return self.server.url(password, self.mailbox, tls=tls)

    def poll(self, settings: Settings | None = None, **options: object) -> imap_poll.PollReport:
        return imap_poll.poll_mailbox(
            self.store,
            self.repo,
            settings or self.settings,
            owner=OWNER,
            now=self.clock(),
            **options,  # type: ignore[arg-type]
        )

    def poller(self) -> WalletState:
        state: WalletState = WalletState.objects.get(id=imap_poll.LEASE_ID)
        return state

    def status(self, order_id: str) -> str:
        status: str = PaymentSession.objects.get(orderId=order_id).status
        return status


@pytest.fixture
def case(store: Store, tick_settings: Settings, dovecot: ImapServer, clock: Clock) -> Case:
    repo = EvidenceStore()
    repo.ensure_indexes()
    mailbox = f"T{uuid.uuid4().hex[:10]}"
    clock.current = BEFORE_THE_ALERT
    settings = tick_settings.with_overrides(
        payment_provider="sandbox",
        email_authserv_id="mx.google.com",
        evidence_imap_url=dovecot.url(mailbox=mailbox),
    )
    return Case(store, repo, settings, dovecot, mailbox, clock)


def test_the_hdfc_alert_completes_its_checkout_and_is_marked_seen(case: Case) -> None:
    case.open_checkout("ORD-MAIL")
    case.deliver()
    assert case.seen() == {ALERT_ID: False}
    case.clock.advance(minutes=10)

    report = case.poll()

    assert (report.reason, report.outcomes, report.completed) == ("ok", ["credited"], ["ORD-MAIL"])
    assert case.status("ORD-MAIL") == "completed"
    credit = WalletCredit.objects.get()
    assert (credit.rrn, credit.amountPaise, credit.provider) == ("633611223344", 101800, "email")
    # Dated by the alert's own Date header, not by when the poll happened to fetch it.
    assert credit.occurredAt == datetime(2026, 12, 2, 4, 11, 7, tzinfo=UTC)
    assert case.seen() == {ALERT_ID: True}
    assert [seen.id for seen in RelaySeen.objects] == [f"imap:alerts@{HOST}/{case.mailbox}"]
    check = imap_poll.mailbox_check(case.store, case.settings)
    assert check is not None and (check["status"], check["lastError"]) == ("ok", None)


def test_a_second_poll_reads_nothing_new(case: Case) -> None:
    case.deliver()
    assert case.poll().outcomes == ["credited"]
    inside_the_interval = case.poll()
    assert (inside_the_interval.ran, inside_the_interval.reason) == (False, "busy")

    case.clock.advance(minutes=2)
    again = case.poll()

    assert (again.ran, again.reason, again.outcomes) == (True, "ok", [])
    assert WalletCredit.objects.count() == 1


def test_an_untrusted_message_changes_nothing_and_is_still_marked_seen(case: Case) -> None:
    case.open_checkout("ORD-SAFE")
    # Stamped by another server than the merchant's own: it counts for nothing.
    case.deliver(
        ALERT.replace(
            b"Authentication-Results: mx.google.com;", b"Authentication-Results: mx.evil.example;"
        )
    )
    case.clock.advance(minutes=10)

    report = case.poll()

    assert (report.reason, report.outcomes, report.completed) == ("ok", ["rejected"], [])
    assert case.status("ORD-SAFE") == "pending"
    assert WalletCredit.objects.count() == 0
    assert case.seen() == {ALERT_ID: True}


def test_a_wrong_password_is_a_recorded_fault_with_no_secret_in_the_log(
    case: Case, caplog: pytest.LogCaptureFixture
) -> None:
    case.open_checkout("ORD-WAIT")
    case.deliver()
    wrong = "not-the-password-9Z"
    settings = case.settings.with_overrides(evidence_imap_url=case.url(wrong))
    case.clock.advance(minutes=10)

    with caplog.at_level(logging.DEBUG):
        report = case.poll(settings)
        backing_off = case.poll(settings)

    assert (report.ran, report.reason, report.outcomes) == (True, "auth", [])
    assert (backing_off.ran, backing_off.reason) == (False, "busy")
    state = case.poller()
    assert (state.consecutiveFailures, state.lastErrorReason, state.leaseUntil) == (1, "auth", None)
    assert state.nextTickAt > case.clock()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "could not be read (auth)" in logged
    assert wrong not in logged and PASSWORD not in logged
    assert wrong not in repr(settings)
    assert wrong not in repr(Mailbox.from_url(settings.evidence_imap_url))
    assert case.status("ORD-WAIT") == "pending"
    assert case.seen() == {ALERT_ID: False}


def test_a_mailbox_nobody_answers_for_is_a_fault_that_backs_off_further(case: Case) -> None:
    settings = case.settings.with_overrides(
        evidence_imap_url=f"imap://alerts:{PASSWORD}@{HOST}:{free_port()}/INBOX"
    )
    waits = []
    for _ in range(3):
        report = case.poll(settings)
        assert (report.ran, report.reason) == (True, "unreachable")
        waits.append(case.poller().nextTickAt - case.clock())
        case.clock.current = case.poller().nextTickAt

    assert waits == [timedelta(seconds=3), timedelta(seconds=6), timedelta(seconds=12)]
    assert case.poller().consecutiveFailures == 3


def test_a_message_whose_seen_flag_was_lost_is_read_again_as_a_duplicate(case: Case) -> None:
    """A crash between the decision and the \\Seen flag: the next poll reads it again, safely."""
    case.open_checkout("ORD-ONCE")
    case.deliver()
    case.clock.advance(minutes=10)

    def drops_before_the_flag(mail: Mailbox, settings: Settings) -> imaplib.IMAP4:
        client = imap_poll.connect(mail, settings)
        real_uid = client.uid

        def uid(command: str, *args: str) -> tuple[str, list[object]]:
            if command == "STORE":
                client.shutdown()
                raise OSError("connection reset")
            return real_uid(command, *args)

        client.uid = uid  # type: ignore[method-assign,assignment]
        return client

    crashed = case.poll(open_mailbox=drops_before_the_flag)
    assert (crashed.reason, crashed.completed) == ("broken", [])
    assert case.seen() == {ALERT_ID: False}
    case.clock.current = case.poller().nextTickAt

    again = case.poll()

    assert (again.reason, again.outcomes, again.completed) == ("ok", ["duplicate"], ["ORD-ONCE"])
    assert WalletCredit.objects.count() == 1
    assert case.status("ORD-ONCE") == "completed"
    assert case.seen() == {ALERT_ID: True}


def test_the_ticker_reads_the_mailbox_every_round(case: Case) -> None:
    case.open_checkout("ORD-TICK")
    case.deliver()
    case.clock.advance(minutes=10)

    Ticker(case.store, SandboxProvider(case.store), case.settings, now_fn=case.clock).run_once()

    assert case.status("ORD-TICK") == "completed"
    assert case.seen() == {ALERT_ID: True}


def test_imaps_reads_the_alert_when_the_private_ca_is_trusted(case: Case) -> None:
    case.open_checkout("ORD-TLS")
    case.deliver()
    case.clock.advance(minutes=10)
    settings = case.settings.with_overrides(
        evidence_imap_url=case.url(tls=True), evidence_imap_ca_file=case.server.ca_file
    )

    report = case.poll(settings)

    assert (report.reason, report.completed) == ("ok", ["ORD-TLS"])
    assert case.seen() == {ALERT_ID: True}


def test_imaps_to_a_certificate_nobody_vouches_for_is_a_tls_fault(case: Case) -> None:
    case.open_checkout("ORD-UNTLS")
    case.deliver()

    report = case.poll(case.settings.with_overrides(evidence_imap_url=case.url(tls=True)))

    assert (report.ran, report.reason, report.outcomes) == (True, "tls", [])
    assert case.poller().lastErrorReason == "tls"
    assert case.status("ORD-UNTLS") == "pending"
    assert case.seen() == {ALERT_ID: False}


def test_health_names_the_mailbox_and_its_last_fault_without_the_password(case: Case) -> None:
    assert (
        imap_poll.mailbox_check(case.store, case.settings.with_overrides(evidence_imap_url=""))
        is None
    )
    wrong = case.settings.with_overrides(evidence_imap_url=case.server.url("wrong-pass-4K"))
    case.poll(wrong)

    assert imap_poll.mailbox_check(case.store, wrong) == {
        "status": "degraded",
        "mailbox": f"imap://alerts@{HOST}:{case.server.port}/INBOX",
        "lastOkAt": None,
        "consecutiveFailures": 1,
        "lastError": "auth",
    }
    _, body = health_report(case.store, NoWallet(), settings=wrong)
    assert body["checks"]["mailbox"]["status"] == "degraded"
    assert "wrong-pass-4K" not in repr(body)


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
