"""The customer's receipt: what the success page shows, and the one e-mail sent after it.

The e-mail goes through the mail outbox (checkout.storage.mail), queued by the
webhook worker's round from the same `checkout.completed` debt the completing update
wrote (outbox.publish_owed_events), so a crash anywhere only repeats work, and the
job's key ("receipt:<orderId>") keeps it to one message per checkout. The worker
leases, sends and retries it with the webhooks' backoff: one way of doing outbox work.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_string
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime as rfc2822_date
from zoneinfo import ZoneInfo

from babel.core import UnknownLocaleError
from babel.dates import format_datetime
from babel.support import NullTranslations, Translations
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from checkout.config import Settings
from checkout.domain.money import display_rupees
from checkout.domain.vocabulary import DeliveryStatus, Status
from checkout.mail import SEND_TIMEOUT_SECONDS, MailError, SmtpServer, send_message
from checkout.storage.mail import MailJob, MailStore
from checkout.storage.models import PaymentSession
from checkout.storage.store import Store

log = logging.getLogger(__name__)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEMPLATES = os.path.join(ROOT, "templates")
TRANSLATIONS = os.path.join(ROOT, "translations")
EMAIL_TEMPLATE = "pay/receipt_email.txt"
# Headers unfolded up to SMTP's 998-character line: Python's folder (3.11) drops the space
# where it splits a non-ASCII Subject into encoded words ("₹499.00 का" read back "₹499.00का").
POLICY = SMTP.clone(max_line_length=998)


@dataclass(frozen=True)
class Receipt:
    order_id: str
    amount_text: str
    merchant: str
    paid_at: datetime
    paid_at_text: str  # in DISPLAY_TIMEZONE, e.g. "2 Dec 2026, 3:04 pm IST"
    utr: str | None  # the bank's reference (RRN) when the evidence gave one
    late: bool


def local_time_text(moment: datetime, timezone: str, language: str = "en") -> str:
    """ "2 Dec 2026, 3:04 pm IST" ("2 दिस॰ 2026, 3:04 pm IST" in Hindi): the customer's clock,
    not the server's UTC, with the zone named so the reader knows which clock it is."""
    local = moment.astimezone(ZoneInfo(timezone))
    zone = local.strftime("%Z")
    if language != "en":
        try:
            return f"{format_datetime(local, 'd MMM y, h:mm a', locale=language)} {zone}"
        except (ValueError, UnknownLocaleError):
            pass  # a language Babel does not know: the English form below
    hour = local.hour % 12 or 12
    noon = "am" if local.hour < 12 else "pm"
    return f"{local.day} {local:%b %Y}, {hour}:{local:%M} {noon} {zone}"


def receipt_for(
    store: Store, settings: Settings, session: PaymentSession, *, language: str = "en"
) -> Receipt | None:
    """The receipt of a completed checkout, its time written for `language`; None for any
    other state."""
    if session.status != Status.COMPLETED.value or session.completedAt is None:
        return None
    utr = None
    for key in session.creditKeys or []:
        credit = store.credit_by_key(key)
        if credit is not None and credit.rrn:
            utr = credit.rrn
            break
    paid = session.amountPaidPaise if session.amountPaidPaise is not None else session.amountPaise
    return Receipt(
        order_id=session.orderId,
        amount_text=display_rupees(paid),
        merchant=settings.upi_payee_name,
        paid_at=session.completedAt,
        paid_at_text=local_time_text(session.completedAt, settings.display_timezone, language),
        utr=utr,
        late=bool(session.late),
    )


@functools.lru_cache(maxsize=8)
def _environment(language: str) -> Environment:
    """Outside any request (the worker's thread): Jinja with the same catalogues as the pages."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html"]),  # the .txt body is plain text
        extensions=["jinja2.ext.i18n"],
        keep_trailing_newline=True,
    )
    translations: NullTranslations = Translations.load(TRANSLATIONS, [language])
    environment.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    return environment


def receipt_message(receipt: Receipt, settings: Settings, recipient: str) -> EmailMessage:
    """The whole message, built once when queued: every attempt sends the same bytes, and
    its Message-ID is stable so a repeat after a crash mid-send reads as the same mail."""
    template = _environment(settings.default_language).get_template(EMAIL_TEMPLATE)
    text = template.render(receipt=receipt, settings=settings)
    subject, _, body = text.partition("\n")
    message = EmailMessage(policy=POLICY)
    # An Address, not "name <addr>" text: a payee name with a comma stays one sender.
    message["From"] = Address(display_name=settings.upi_payee_name, addr_spec=settings.mail_from)
    message["To"] = recipient
    message["Subject"] = subject.removeprefix("Subject:").strip()
    message["Date"] = rfc2822_date(receipt.paid_at)
    digest = hashlib.sha256(receipt.order_id.encode()).hexdigest()[:24]
    message["Message-ID"] = f"<receipt.{digest}@{settings.mail_from.rpartition('@')[2]}>"
    message.set_content(body.lstrip("\n"))
    return message


def job_key(order_id: str) -> str:
    return f"receipt:{order_id}"


class ReceiptMailer:
    """Queues and sends receipt e-mail; does nothing while SMTP_URL or MAIL_FROM is unset."""

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.outbox = MailStore(store)

    @property
    def enabled(self) -> bool:
        return bool(self.settings.smtp_url and self.settings.mail_from)

    def queue(self, session: PaymentSession, *, now: datetime) -> bool:
        """Queue the receipt of a completed checkout that has an e-mail; True when queued now."""
        if not self.enabled or not session.email:
            return False
        receipt = receipt_for(
            self.store, self.settings, session, language=self.settings.default_language
        )
        if receipt is None:
            return False
        try:
            message = receipt_message(receipt, self.settings, session.email)
        except Exception:
            # A receipt that cannot be written (a bad template or address) must never hold
            # up the checkout's webhook, which is cleared right after this: log, go on.
            log.exception("receipt mail for %s not queued", session.orderId)
            return False
        return self.outbox.add_job(
            MailJob(
                key=job_key(session.orderId),
                orderId=session.orderId,
                recipient=session.email,
                message=message.as_string(),
                nextAttemptAt=now,
                createdAt=now,
            )
        )

    def send_one(
        self,
        *,
        now: datetime,
        lease: timedelta,
        retry_delay: Callable[[int], timedelta],
        max_attempts: int,
        timeout: float = SEND_TIMEOUT_SECONDS,
    ) -> MailJob | None:
        """Lease, send and settle one due receipt; None when nothing is due. The lease, the
        backoff and the attempts are the webhook outbox's (the worker passes them)."""
        if not self.enabled:
            return None
        job = self.outbox.lease_due_job(now, lease)
        if job is None:
            return None
        server = SmtpServer.from_url(self.settings.smtp_url)
        changes: dict[str, object]
        try:
            message = message_from_string(job.message or "", _class=EmailMessage, policy=POLICY)
            send_message(self.settings.smtp_url, message, timeout=timeout)
            changes = {"status": DeliveryStatus.DELIVERED, "sentAt": now, "lastError": None}
        except MailError as exc:
            changes = {"lastError": exc.reason}
            if exc.retryable and job.attempts < max_attempts:
                changes.update(
                    status=DeliveryStatus.PENDING, nextAttemptAt=now + retry_delay(job.attempts)
                )
            else:
                changes.update(status=DeliveryStatus.FAILED)
        self.outbox.settle_job(job.key, job.attempts, changes)
        log.info(
            "receipt mail for %s via %s: %s (attempt %d)%s",
            job.orderId,
            server.shown,
            changes["status"],
            job.attempts,
            f", {changes['lastError']}" if changes.get("lastError") else "",
        )
        return job
