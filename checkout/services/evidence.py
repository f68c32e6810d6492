"""Pushed evidence: a relay posts a bank message, the ledger keeps it once, and the
same engine that decides wallet credits decides it the moment it arrives.

Fails closed: a message that is not certainly a credit from a trusted sender
changes nothing. Every outcome is an answer the relay can forget (it never needs
to retry a message we have decided on).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from checkout.config import Settings
from checkout.domain import bank_email, bank_senders, bank_sms
from checkout.domain.evidence import MessageKind, ReadMessage, SenderVerdict
from checkout.domain.vocabulary import CreditKind
from checkout.services import utr
from checkout.services.attribution import attribute_credit
from checkout.services.credits import public_credit_id
from checkout.storage.claims import ClaimStore
from checkout.storage.evidence import EvidenceMessage, EvidenceStore
from checkout.storage.models import WalletCredit
from checkout.storage.store import Store

log = logging.getLogger(__name__)

CREDITED = "credited"
DUPLICATE = "duplicate"
IGNORED = "ignored"
REJECTED = "rejected"
UNPARSED = "unparsed"
CONFLICT = "conflict"


@dataclass(frozen=True)
class Relay:
    """Who posted, named by what it proved itself with."""

    id: str  # "key:<keyId>", "token:<tokenId>", "sms-gateway:<deviceId or ->", "admin"


@dataclass(frozen=True)
class Post:
    """One posted message and who posted it, as the service weighs it."""

    relay: Relay
    channel: str  # sms | email
    sender: str
    text: str
    event_id: str | None
    received_at: datetime | None
    now: datetime
    claims: ClaimStore | None = None  # the customers' waiting UTR claims (default repository)


@dataclass(frozen=True)
class Received:
    id: str
    outcome: str
    amount_paise: int | None = None
    rrn: str | None = None
    bank: str | None = None
    order_ids: list[str] = field(default_factory=list)


def ingest_message(
    store: Store,
    evidence: EvidenceStore,
    settings: Settings,
    *,
    relay: Relay,
    channel: str,
    sender: str,
    text: str,
    received_at: datetime | None,
    event_id: str | None,
    now: datetime,
    claims: ClaimStore | None = None,
) -> Received:
    """One forwarded SMS: trusted sender, certain credit, ledgered once, decided now."""
    evidence.relay_seen(relay.id, now)
    if event_id:
        earlier = evidence.message_for_event(relay.id, event_id)
        if earlier is not None:
            return _repeat(store, earlier)
    verdict, header = bank_senders.sms_sender_verdict(
        sender,
        trusted=_trusted(settings.sms_trusted_senders, bank_senders.DEFAULT_TRUSTED_SMS_SENDERS),
        accept_bare=settings.sms_accept_bare_headers,
    )
    post = Post(relay, channel, header or sender, text, event_id, received_at, now, claims)
    if verdict != SenderVerdict.TRUSTED:
        return _not_a_credit(evidence, post, REJECTED)
    bank = bank_senders.bank_for_header(header)
    read = bank_sms.parse_sms(text, bank=bank, received_at=received_at)
    return _credit_or_not(store, evidence, settings, post, read)


def ingest_email(
    store: Store,
    evidence: EvidenceStore,
    settings: Settings,
    *,
    relay: Relay,
    raw: bytes,
    now: datetime,
    claims: ClaimStore | None = None,
) -> Received:
    """A bank alert e-mail: believed only on the merchant's own server's dkim=pass stamp."""
    evidence.relay_seen(relay.id, now)
    alert = bank_email.parse_alert_email(raw)
    facts = alert.facts
    sender = facts.from_address or "-"
    post = Post(relay, "email", sender, alert.text, facts.message_id, facts.date, now, claims)
    trusted = bank_email.email_is_trusted(
        facts,
        authserv_id=settings.email_authserv_id,
        trusted_senders=_trusted(
            settings.email_trusted_senders, bank_senders.DEFAULT_TRUSTED_EMAIL_SENDERS
        ),
        require_dkim=settings.email_require_dkim,
    )
    if not trusted:
        return _not_a_credit(evidence, post, REJECTED)
    return _credit_or_not(store, evidence, settings, post, alert.message)


def heartbeat(evidence: EvidenceStore, *, relay: Relay, now: datetime) -> None:
    evidence.relay_seen(relay.id, now)


def _trusted(configured: tuple[str, ...], built_in: frozenset[str]) -> frozenset[str]:
    return frozenset(configured) if configured else built_in


def _credit_or_not(
    store: Store, evidence: EvidenceStore, settings: Settings, post: Post, read: ReadMessage
) -> Received:
    if read.kind == MessageKind.NOT_CREDIT:
        return _not_a_credit(evidence, post, IGNORED)
    if read.kind != MessageKind.CREDIT or read.amount_paise is None:
        return _not_a_credit(evidence, post, UNPARSED, keep_text=True)
    now = post.now
    digest = _text_hash(post.sender, post.text)
    grace = timedelta(minutes=settings.late_payment_grace_minutes)
    credit = WalletCredit(
        key=f"rrn:{read.rrn}" if read.rrn else f"text:{digest}",
        provider=post.channel,
        kind=CreditKind.PAYMENT,
        amountPaise=read.amount_paise,
        occurredAt=read.occurred_at or post.received_at or now,
        observedAt=now,
        rrn=read.rrn,
        bank=read.bank,
        payer=read.payer,
        rawText=post.text,
        textHash=digest,
        relay=post.relay.id,
    )
    if not store.record_credit(credit):
        existing = store.credit_by_key(credit.key)
        assert existing is not None
        if read.rrn is None:
            # Without an RRN the same text is one payment within the grace window of the
            # latest credit it made, and a new payment of that kind after it.
            recent = store.recent_credit_with_text(digest, since=now - grace)
            if recent is not None:
                return _duplicate_of(evidence, post, recent)
            credit.key = f"text:{digest}:{now.isoformat()}"
            if not store.record_credit(credit):
                racer = store.credit_by_key(credit.key)
                assert racer is not None
                return _duplicate_of(evidence, post, racer)
        elif existing.amountPaise != read.amount_paise:
            store.mark_conflict(existing.key)
            store.audit(
                "credit_conflict",
                now=now,
                details={"credit": existing.key, "amountPaise": read.amount_paise},
            )
            log.warning("RRN seen again with another amount: nothing completes on it")
            _log(evidence, post, CONFLICT, existing.key)
            return Received(public_credit_id(existing), CONFLICT, read.amount_paise, read.rrn)
        else:
            return _duplicate_of(evidence, post, existing)
    stored = store.credit_by_key(credit.key)
    assert stored is not None
    # A customer's waiting UTR claim is weighed before the exact-amount rule.
    completed = utr.weigh_waiting_claims(store, stored, now=now, claims_repo=post.claims)
    if completed is None:
        decision = attribute_credit(store, settings, stored, now=now)
        completed = decision.completed if decision else list(stored.orderIds)
    _log(evidence, post, CREDITED, stored.key, keep=True)
    return Received(
        public_credit_id(stored), CREDITED, stored.amountPaise, stored.rrn, stored.bank, completed
    )


def _duplicate_of(evidence: EvidenceStore, post: Post, credit: WalletCredit) -> Received:
    _log(evidence, post, DUPLICATE, credit.key)
    return _shown(credit, DUPLICATE)


def _shown(credit: WalletCredit, outcome: str) -> Received:
    return Received(
        public_credit_id(credit),
        outcome,
        credit.amountPaise,
        credit.rrn,
        credit.bank,
        list(credit.orderIds),
    )


def _not_a_credit(
    evidence: EvidenceStore, post: Post, outcome: str, *, keep_text: bool = False
) -> Received:
    message = _log(evidence, post, outcome, keep=keep_text)
    return Received(f"ev_{message.id}" if message else "ev_-", outcome)


def _log(
    evidence: EvidenceStore,
    post: Post,
    outcome: str,
    credit_key: str | None = None,
    *,
    keep: bool = False,
) -> EvidenceMessage | None:
    # Text is kept only where the merchant must read it; an OTP never is.
    return evidence.add_message(
        EvidenceMessage(
            channel=post.channel,
            relay=post.relay.id,
            eventId=post.event_id,
            sender=post.sender,
            textHash=_text_hash(post.sender, post.text),
            text=post.text if keep else None,
            outcome=outcome,
            creditKey=credit_key,
            receivedAt=post.now,
        )
    )


def _repeat(store: Store, earlier: EvidenceMessage) -> Received:
    """A re-delivered event (the relay retried): the answer it got the first time."""
    credit = store.credit_by_key(earlier.creditKey) if earlier.creditKey else None
    if credit is None:
        return Received(f"ev_{earlier.id}", earlier.outcome)
    return _shown(credit, DUPLICATE)


def _text_hash(sender: str, text: str) -> str:
    normal = " ".join(text.split())
    return hashlib.sha256(f"{sender.strip().upper()}\n{normal}".encode()).hexdigest()
