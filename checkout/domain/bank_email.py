"""Reading a bank alert e-mail, and deciding whether its sender is proven (issue 9).

Everything in a message's header block came from whoever sent it, except the
``Authentication-Results`` header the merchant's own mail server put on top.
So exactly that one header is read: its authserv-id must be the merchant's
server, and it must report a passing DKIM signature by the From domain's
organisation. Any lower Authentication-Results header is the sender's word
about itself and counts for nothing.
"""

from __future__ import annotations

import contextlib
import email
import email.header
import email.message
import html
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import getaddresses, parsedate_to_datetime
from typing import Final

from .bank_senders import bank_for_email_domain
from .bank_sms import parse_sms
from .evidence import ReadMessage

__all__ = [
    "AlertEmail",
    "AuthResults",
    "DkimResult",
    "EmailFacts",
    "email_is_trusted",
    "parse_alert_email",
    "parse_authentication_results",
]

_MAX_BODY: Final[int] = 20_000
# Two-label suffixes under which a registrable domain has three labels.
_SECOND_LEVEL: Final[frozenset[str]] = frozenset(
    {"co.in", "net.in", "org.in", "gov.in", "ac.in", "bank.in", "firm.in", "co.uk", "com.au"}
)
_TAG_RE: Final = re.compile(r"<[^>]*>")
_HIDDEN_RE: Final = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK_RE: Final = re.compile(r"<(?:br|/p|/div|/tr|/td|/li)\b[^>]*>", re.IGNORECASE)
_COMMENT_RE: Final = re.compile(r"\([^()]*\)")


@dataclass(frozen=True)
class DkimResult:
    result: str  # "pass", "fail", "none", …
    domain: str | None  # header.d, else the domain of header.i


@dataclass(frozen=True)
class AuthResults:
    authserv_id: str
    dkim: tuple[DkimResult, ...] = ()


@dataclass(frozen=True)
class EmailFacts:
    """What the service needs to decide whether to believe the message."""

    from_address: str | None  # None unless the From header names exactly one address
    from_domain: str | None
    date: datetime | None  # the Date header, aware UTC
    auth: AuthResults | None  # the topmost Authentication-Results header only
    message_id: str | None = None
    subject: str | None = None


@dataclass(frozen=True)
class AlertEmail:
    facts: EmailFacts
    message: ReadMessage
    text: str = field(repr=False, default="")  # the body text the parser read


def parse_alert_email(raw: bytes) -> AlertEmail:
    """Read a raw RFC 822 alert: its facts, and its body through the bank's table."""
    parsed = email.message_from_bytes(raw)
    from_address, from_domain = _single_from(parsed.get_all("From") or [])
    all_results = parsed.get_all("Authentication-Results") or []
    facts = EmailFacts(
        from_address=from_address,
        from_domain=from_domain,
        date=_date(parsed.get("Date")),
        auth=parse_authentication_results(str(all_results[0])) if all_results else None,
        message_id=_header_text(parsed.get("Message-ID")),
        subject=_header_text(parsed.get("Subject")),
    )
    text = _body_text(parsed)
    bank = bank_for_email_domain(from_domain) if from_domain else None
    return AlertEmail(facts, parse_sms(text, bank=bank, received_at=facts.date), text)


def email_is_trusted(
    facts: EmailFacts, *, authserv_id: str, trusted_senders: frozenset[str], require_dkim: bool
) -> bool:
    """Whether the message is proven to come from a trusted bank address.

    ``require_dkim=False`` (tests only) trusts the From address alone.
    """
    if facts.from_address is None or facts.from_domain is None:
        return False
    if facts.from_address not in {sender.strip().lower() for sender in trusted_senders}:
        return False
    if not require_dkim:
        return True
    auth = facts.auth
    if auth is None or auth.authserv_id.lower() != authserv_id.strip().lower():
        return False
    return any(
        dkim.result == "pass"
        and dkim.domain is not None
        and _aligned(dkim.domain, facts.from_domain)
        for dkim in auth.dkim
    )


def parse_authentication_results(value: str) -> AuthResults | None:
    """RFC 8601 ``authserv-id; method=result prop=value; …``, comments dropped."""
    text = " ".join(value.split())
    previous = None
    while previous != text:  # nested comments come off from the inside out
        previous, text = text, _COMMENT_RE.sub(" ", text)
    parts = [part.strip() for part in text.split(";")]
    head = parts[0].split()
    if not head:
        return None
    dkim: list[DkimResult] = []
    for part in parts[1:]:
        tokens = part.split()
        if not tokens or "=" not in tokens[0]:
            continue
        method, _, result = tokens[0].partition("=")
        if method.lower() != "dkim":
            continue
        props = dict(token.partition("=")[::2] for token in tokens[1:] if "=" in token)
        props = {key.lower(): item.strip('"') for key, item in props.items()}
        domain = props.get("header.d") or props.get("header.i", "").rpartition("@")[2] or None
        dkim.append(DkimResult(result.lower(), domain.lower().rstrip(".") if domain else None))
    return AuthResults(head[0].lower(), tuple(dkim))


def _aligned(signer: str, from_domain: str) -> bool:
    """Relaxed (organisational) alignment: the same domain, or a parent or child of it."""
    signer, author = signer.lower(), from_domain.lower()
    if signer == author:
        return True
    parent, child = (signer, author) if author.endswith("." + signer) else (author, signer)
    if not child.endswith("." + parent):
        return False
    labels = parent.split(".")
    # "co.in" or "in" is a suffix, not an organisation: it aligns nothing.
    return len(labels) >= 3 or (len(labels) == 2 and parent not in _SECOND_LEVEL)


def _single_from(values: list[str]) -> tuple[str | None, str | None]:
    addresses = [address for _, address in getaddresses([str(value) for value in values])]
    if len(addresses) != 1 or addresses[0].count("@") != 1:
        return None, None
    address = addresses[0].strip().lower()
    local, _, domain = address.partition("@")
    if not local or not domain:
        return None, None
    return address, domain


def _date(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        moment = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _header_text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    with contextlib.suppress(UnicodeError):  # a raw 8-bit header arrives as surrogate escapes
        text = text.encode("utf-8", "surrogateescape").decode("utf-8")
    decoded = email.header.make_header(email.header.decode_header(text))
    return str(decoded).strip() or None


def _body_text(message: email.message.Message) -> str:
    plain: str | None = None
    markup: str | None = None
    for part in message.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        kind = part.get_content_type()
        if kind == "text/plain" and plain is None:
            plain = _decoded(part)
        elif kind == "text/html" and markup is None:
            markup = _decoded(part)
    if plain is not None and plain.strip():
        return plain[:_MAX_BODY]
    if markup is not None:
        return _strip_html(markup[: _MAX_BODY * 5])[:_MAX_BODY]
    return ""


def _decoded(part: email.message.Message) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _strip_html(markup: str) -> str:
    text = _HIDDEN_RE.sub(" ", markup)
    text = _BREAK_RE.sub("\n", text)
    return html.unescape(_TAG_RE.sub(" ", text))
