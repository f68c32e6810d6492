"""Who may speak for a bank (issue 9, "Senders").

An SMS is the bank's only when it comes from the bank's registered DLT header
as the network shows it: a two-letter operator/circle prefix, the 6-character
header and, since 2025, a category suffix (``VM-HDFCBK-S``). Fraudsters send
look-alike credit alerts from phone numbers, so a phone number is never a bank,
and a ``-P`` (promotional) header carries no alerts. Sources for the headers:
the TRAI DLT header format as described by smsgatewayhub.com/sms-sender-id and
dskwebsite.com; the senders of shared/evidence/samples.json; the sender
patterns and test senders of github sarim2000/pennywiseai-tracker
(parser-core); github prash077/SHIELD knowledge_base/legitimate/sender_ids.md.
"""

from __future__ import annotations

import re
from typing import Final

from .evidence import SenderVerdict

__all__ = [
    "DEFAULT_TRUSTED_EMAIL_SENDERS",
    "DEFAULT_TRUSTED_SMS_SENDERS",
    "EMAIL_DOMAIN_BANKS",
    "HEADER_BANKS",
    "bank_for_email_domain",
    "bank_for_header",
    "sms_sender_verdict",
]

# Header -> the bank table that reads it.
HEADER_BANKS: Final[dict[str, str]] = {
    "HDFCBK": "HDFC",
    "SBIUPI": "SBI",
    "SBIINB": "SBI",
    "SBIBNK": "SBI",
    "ATMSBI": "SBI",
    "ICICIT": "ICICI",
    "ICICIB": "ICICI",
    "AXISBK": "AXIS",
    "KOTAKB": "KOTAK",
    "PNBSMS": "PNB",
    "PNBBNK": "PNB",
    "BOBTXN": "BOB",
    "BOBSMS": "BOB",
    "CANBNK": "CANARA",
    "UNIONB": "UNION",
    "IDFCFB": "IDFC",
    "IDFCBK": "IDFC",
    "INDUSB": "INDUSIND",
    "YESBNK": "YES",
    "IDBIBK": "IDBI",
    "FEDBNK": "FEDERAL",
}

DEFAULT_TRUSTED_SMS_SENDERS: Final[frozenset[str]] = frozenset(HEADER_BANKS)

# Alert addresses as they appear in public mail filters and parsers (github search for
# "alerts@axisbank.com": Gmail queries, Sieve filters, bank e-mail processors) and in
# shared/evidence/hdfc-credit.eml. Banks are moving to *.bank.in; HDFC's is listed.
DEFAULT_TRUSTED_EMAIL_SENDERS: Final[frozenset[str]] = frozenset(
    {
        "alerts@hdfcbank.net",
        "alerts@hdfcbank.bank.in",
        "alerts@icicibank.com",
        "alerts@axisbank.com",
        "alerts@kotak.com",
        "alerts@indusind.com",
        "alerts@yesbank.in",
        "alerts@sbi.co.in",
    }
)

# Organisational domain of an alert address -> the bank table that reads its text.
EMAIL_DOMAIN_BANKS: Final[dict[str, str]] = {
    "hdfcbank.net": "HDFC",
    "hdfcbank.com": "HDFC",
    "hdfcbank.bank.in": "HDFC",
    "sbi.co.in": "SBI",
    "icicibank.com": "ICICI",
    "axisbank.com": "AXIS",
    "kotak.com": "KOTAK",
    "indusind.com": "INDUSIND",
    "yesbank.in": "YES",
    "pnb.co.in": "PNB",
    "bankofbaroda.com": "BOB",
    "canarabank.com": "CANARA",
    "unionbankofindia.co.in": "UNION",
    "idfcfirstbank.com": "IDFC",
    "idbibank.co.in": "IDBI",
    "federalbank.co.in": "FEDERAL",
}

_DLT_RE: Final = re.compile(r"([A-Z]{2})-([A-Z0-9]{6})(?:-([A-Z]))?")
_BARE_RE: Final = re.compile(r"[A-Z0-9]{6}")
_PHONE_RE: Final = re.compile(r"\+?[0-9][0-9 ()-]{5,}")
_SERVICE_SUFFIXES: Final[frozenset[str]] = frozenset({"S", "T", "G"})


def sms_sender_verdict(
    sender: str, *, trusted: frozenset[str], accept_bare: bool
) -> tuple[SenderVerdict, str | None]:
    """Whether ``sender`` is a trusted bank header, and that header when it is shaped like one.

    The header is returned with a REJECTED verdict too (an unknown or promotional
    header), so the ledger can say who sent what it refused; a phone number has none.
    """
    shown = sender.strip().upper()
    if _PHONE_RE.fullmatch(shown):
        return SenderVerdict.REJECTED, None
    wanted = frozenset(header.strip().upper() for header in trusted)
    dlt = _DLT_RE.fullmatch(shown)
    if dlt is not None:
        header, suffix = dlt.group(2), dlt.group(3)
        if suffix is not None and suffix not in _SERVICE_SUFFIXES:
            return SenderVerdict.REJECTED, header
        return _verdict(header, wanted)
    if _BARE_RE.fullmatch(shown):
        if not accept_bare:
            return SenderVerdict.REJECTED, shown
        return _verdict(shown, wanted)
    return SenderVerdict.REJECTED, None


def bank_for_header(header: str | None) -> str | None:
    return HEADER_BANKS.get(header.upper()) if header else None


def bank_for_email_domain(domain: str) -> str | None:
    """The bank whose alerts come from ``domain`` or a subdomain of it."""
    labels = domain.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        bank = EMAIL_DOMAIN_BANKS.get(".".join(labels[start:]))
        if bank is not None:
            return bank
    return None


def _verdict(header: str, wanted: frozenset[str]) -> tuple[SenderVerdict, str]:
    # A header must have a letter: all-digit 6-character headers are promotional.
    if header in wanted and not header.isdigit():
        return SenderVerdict.TRUSTED, header
    return SenderVerdict.REJECTED, header
