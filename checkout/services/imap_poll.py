"""Bank alert e-mail fetched from a mailbox (EVIDENCE_IMAP_URL), for merchants who
cannot route mail to the push endpoint.

A message is marked \\Seen only after the evidence service has decided it, so a
crash between the two re-reads it next time, and the service's de-duplication (by
RRN and Message-ID) makes that second reading change nothing. Polls are
single-flight across processes through a lease of their own in wallet_state, so
two workers never read one message at once and the mailbox is asked at most once
per interval. A mailbox that cannot be reached is a fault to record and back off
from; it never touches a checkout, and no log line or stored error holds its password.
"""

from __future__ import annotations

import contextlib
import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import unquote, urlsplit

from checkout.config import Settings
from checkout.config_parsers import IMAP_PORTS
from checkout.services import evidence, wallet
from checkout.services.evidence import Relay
from checkout.services.presenters import iso
from checkout.storage.evidence import EvidenceStore
from checkout.storage.models import WalletState
from checkout.storage.store import Store

log = logging.getLogger(__name__)

# The poller's own document in wallet_state: its lease, when it may poll next, its faults.
LEASE_ID = "imap"
LEASE = timedelta(seconds=60)
# While no checkout can be paid, a credit still has to reach the ledger (a late payment,
# one made before its checkout), but a mailbox need not be asked every few seconds.
IDLE_INTERVAL = timedelta(seconds=60)
# A mailbox that refuses us is asked less and less often: providers lock accounts that retry a
# wrong password without pause.
MAX_BACKOFF = timedelta(minutes=10)
# Messages decided per poll; the rest wait for the next one, so the lease stays short.
BATCH = 100
TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Mailbox:
    """Where to read, split out of EVIDENCE_IMAP_URL; the password never leaves repr=False."""

    tls: bool
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    name: str

    @classmethod
    def from_url(cls, url: str) -> Mailbox:
        parts = urlsplit(url)
        return cls(
            tls=parts.scheme == "imaps",
            host=parts.hostname or "",
            port=parts.port or IMAP_PORTS[parts.scheme],
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            name=unquote(parts.path.lstrip("/")) or "INBOX",
        )

    @property
    def relay(self) -> Relay:
        return Relay(f"imap:{self.user}@{self.host}/{self.name}")

    def __str__(self) -> str:
        scheme = "imaps" if self.tls else "imap"
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.name}"


class MailboxFault(Exception):
    """The mailbox could not be read; `reason` is one word, safe to log and to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class PollReport:
    ran: bool
    reason: str  # ok | busy | off | a MailboxFault reason
    outcomes: list[str] = field(default_factory=list)  # one per message decided, in order
    completed: list[str] = field(default_factory=list)


Connect = Callable[[Mailbox, Settings], imaplib.IMAP4]


def connect(mailbox: Mailbox, settings: Settings) -> imaplib.IMAP4:
    """A logged-in connection with the mailbox selected for writing (flags are set)."""
    try:
        if mailbox.tls:
            context = ssl.create_default_context(cafile=settings.evidence_imap_ca_file or None)
            client: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                mailbox.host, mailbox.port, ssl_context=context, timeout=TIMEOUT_SECONDS
            )
        else:
            client = imaplib.IMAP4(mailbox.host, mailbox.port, timeout=TIMEOUT_SECONDS)
    except ssl.SSLError:
        raise MailboxFault("tls") from None
    except TimeoutError:
        raise MailboxFault("timeout") from None
    except (OSError, imaplib.IMAP4.error):
        raise MailboxFault("unreachable") from None
    try:
        client.login(mailbox.user, mailbox.password)
    except imaplib.IMAP4.error:
        _close(client)
        raise MailboxFault("auth") from None
    status, _ = client.select(_quoted(mailbox.name))
    if status != "OK":
        _close(client)
        raise MailboxFault("no-mailbox")
    return client


def poll_mailbox(
    store: Store,
    evidence_repo: EvidenceStore,
    settings: Settings,
    *,
    owner: str,
    now: datetime,
    open_mailbox: Connect = connect,
) -> PollReport:
    """Read every unseen message once, if a poll is due and no other process is polling."""
    if not settings.evidence_imap_url:
        return PollReport(ran=False, reason="off")
    current = store.wallet_state(LEASE_ID)
    state = store.claim_tick(
        owner, now, LEASE, dead_owner=wallet.dead_holder(current), lease_id=LEASE_ID
    )
    if state is None:
        return PollReport(ran=False, reason="busy")
    mailbox = Mailbox.from_url(settings.evidence_imap_url)
    report = PollReport(ran=True, reason="ok")
    try:
        _read(store, evidence_repo, settings, mailbox, report, owner, now, open_mailbox)
    except MailboxFault as fault:
        report.reason = fault.reason
    except (OSError, imaplib.IMAP4.error):
        # The connection broke mid-poll: what was decided stays decided (and seen or not).
        report.reason = "broken"
    except Exception:
        # A store failure while deciding: the message stays unseen and is read again.
        log.exception("reading mailbox %s failed", mailbox)
        report.reason = "error"
    if report.reason != "ok":
        _record_fault(store, owner, state, mailbox, report.reason, now=now, settings=settings)
        return report
    evidence.heartbeat(evidence_repo, relay=mailbox.relay, now=now)
    store.finish_tick(
        owner,
        {
            "lastTickAt": now,
            "lastOkAt": now,
            "nextTickAt": now + _interval(store, settings, now),
            "consecutiveFailures": 0,
            "lastErrorReason": None,
        },
        lease_id=LEASE_ID,
    )
    return report


def mailbox_check(store: Store, settings: Settings) -> dict[str, object] | None:
    """/health's entry for the alert mailbox: None when none is configured.

    Read from the poller's record alone: health never opens the mailbox itself.
    """
    if not settings.evidence_imap_url:
        return None
    state = store.wallet_state(LEASE_ID)
    failures = state.consecutiveFailures or 0
    return {
        "status": "degraded" if failures else "ok",
        "mailbox": str(Mailbox.from_url(settings.evidence_imap_url)),
        "lastOkAt": iso(state.lastOkAt) if state.lastOkAt else None,
        "consecutiveFailures": failures,
        "lastError": state.lastErrorReason if failures else None,
    }


def _read(
    store: Store,
    evidence_repo: EvidenceStore,
    settings: Settings,
    mailbox: Mailbox,
    report: PollReport,
    owner: str,
    now: datetime,
    open_mailbox: Connect,
) -> None:
    client = open_mailbox(mailbox, settings)
    try:
        status, found = client.uid("SEARCH", "UNSEEN")
        if status != "OK":
            raise MailboxFault("search")
        for uid in found[0].decode().split()[:BATCH]:
            raw = _fetch(client, uid)
            if raw is None:
                continue
            received = evidence.ingest_email(
                store, evidence_repo, settings, relay=mailbox.relay, raw=raw, now=now
            )
            # Decided: only now may the message count as read.
            client.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)")
            report.outcomes.append(received.outcome)
            report.completed.extend(received.order_ids)
            store.renew_lease(owner, now + LEASE, lease_id=LEASE_ID)
    finally:
        _close(client)


def _fetch(client: imaplib.IMAP4, uid: str) -> bytes | None:
    """The whole message, read without setting \\Seen (BODY.PEEK)."""
    status, data = client.uid("FETCH", uid, "(BODY.PEEK[])")
    if status != "OK":
        raise MailboxFault("fetch")
    for item in data:
        if isinstance(item, tuple) and len(item) == 2:
            return bytes(item[1])
    return None  # expunged by someone else meanwhile


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _close(client: imaplib.IMAP4) -> None:
    with contextlib.suppress(OSError, imaplib.IMAP4.error):
        client.logout()


def _interval(store: Store, settings: Settings, now: datetime) -> timedelta:
    every = timedelta(seconds=settings.poll_interval_seconds)
    return every if store.any_payable(now) else max(every, IDLE_INTERVAL)


def _record_fault(
    store: Store,
    owner: str,
    state: WalletState,
    mailbox: Mailbox,
    reason: str,
    *,
    now: datetime,
    settings: Settings,
) -> None:
    """Back off (doubling from the poll interval, capped); health shows the one-word reason."""
    failures = (state.consecutiveFailures or 0) + 1
    every = timedelta(seconds=settings.poll_interval_seconds)
    backoff = wallet.backoff_after(failures, every, MAX_BACKOFF)
    log.warning(
        "mailbox %s could not be read (%s); next try in %ss",
        mailbox,
        reason,
        int(backoff.total_seconds()),
    )
    store.finish_tick(
        owner,
        {
            "lastTickAt": now,
            "nextTickAt": now + backoff,
            "lastError": reason,
            "lastErrorReason": reason,
            "lastErrorAt": now,
            "consecutiveFailures": failures,
        },
        lease_id=LEASE_ID,
    )
