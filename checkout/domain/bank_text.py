"""The words and numbers every bank's message is read with (issue 9, "Parsers").

A bank message completes a checkout on its amount alone, so each piece here
reads one thing in exactly one way and says "no" when the text is anything
else: an amount with a third decimal or odd digit grouping is no amount, a
date that is not a real date is no time, and a message that so much as names
a debit, a reversal, a failure, a mandate, an OTP or an offer is no credit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

from .money import MoneyError, parse_rupees

__all__ = [
    "ACCT",
    "AMT",
    "AMT_BARE",
    "DATE",
    "IST",
    "NAME",
    "RRN",
    "TIME",
    "VPA",
    "Template",
    "amount_paise",
    "has_credit_verb",
    "is_not_credit",
    "normalise",
    "stated_time",
    "twelve_digit_numbers",
]

IST: Final = timezone(timedelta(hours=5, minutes=30), "IST")

# Longer texts are no bank alert; bounding them bounds the regex work on hostile input.
MAX_TEXT: Final[int] = 2000

# Fragments the bank tables are written in. The text they run on is normalised first
# (one space for any run of whitespace), and every table is matched ignoring case.
_CURRENCY: Final[str] = r"(?:Rs\.?|INR|₹)\s?:?\s?(?:INR\s?)?"
# [0-9], never \d: \d also matches other scripts' digits. The look-ahead refuses a
# third decimal (1018.500) instead of reading 1018.50 off its front.
_NUMBER: Final[str] = r"(?P<amount>[0-9][0-9,]*(?:\.[0-9]{1,2})?)(?![0-9]|\.[0-9])"
AMT: Final[str] = _CURRENCY + _NUMBER
AMT_BARE: Final[str] = f"(?:{_CURRENCY})?{_NUMBER}"  # SBI's UPI template writes no currency
ACCT: Final[str] = r"(?:[0-9]{0,6}[X*#]+[0-9]{2,8}|[0-9]{3,8})"
DATE: Final[str] = r"[0-9]{1,2}[-/ ]?(?:[0-9]{1,2}|[A-Z]{3})[-/ ]?(?:[0-9]{4}|[0-9]{2})"
TIME: Final[str] = r"(?: (?:at )?[0-9]{1,2}[:.][0-9]{2}(?:[:.][0-9]{2})?(?: ?[AP]M)?(?: IST)?)?"
RRN: Final[str] = r"(?<![0-9])(?P<rrn>[0-9]{12})(?![0-9])"
VPA: Final[str] = r"(?P<payer>[A-Z0-9._-]{1,64}@[A-Z][A-Z0-9]{1,30}(?:\.[A-Z0-9]{1,30}){0,3})"
NAME: Final[str] = r"(?P<payer>[A-Z][A-Z0-9 .&'-]{0,58}?)"

_WHITESPACE_RE: Final = re.compile(r"\s+")
# Indian (1,00,000) or international (100,000) grouping, nothing else.
_GROUPED_RE: Final = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,2}(?:,[0-9]{2})*,[0-9]{3}")
_TWELVE_RE: Final = re.compile(r"(?<![0-9])[0-9]{12}(?![0-9])")

# Safety boilerplate that names an OTP in an ordinary alert ("Never Share OTP/PIN/CVV").
_BOILERPLATE_RE: Final = re.compile(
    r"\b(?:never|do not|don'?t|dont|pls do not|please do not) share (?:your )?"
    r"(?:(?:OTP|PIN|CVV|password|card details|UPI PIN)[ /,&]*(?:or |and |with anyone)?)+",
    re.IGNORECASE,
)
_CREDIT_VERB_RE: Final = re.compile(
    r"\b(?:credited|received|deposited)\b|\bcredit alert\b|^credit (?:INR|Rs)\b", re.IGNORECASE
)
# Each alternative is one way a message says it is not money in. Kept as words, not
# templates, so a new template of an old kind of message is still refused.
_NOT_CREDIT_RE: Final = re.compile(
    "|".join(
        [
            # debits, in every tense banks write them
            r"\bdebit(?:ed)?\b",
            r"\bsent\b(?! by)",
            r"\bpaid\b",
            r"\bspent\b",
            r"\bwithdrawn?\b",
            r"\bwithdrawal\b",
            r"\bpurchase\b",
            r"\btransferred from\b",
            r"\bfrom your a/?c\b",
            r"\bcredited to (?:the )?beneficiary\b",
            # reversals and refunds
            r"\brevers(?:ed|al)\b",
            r"\brefund(?:ed|s)?\b",
            r"\bchargeback\b",
            # failures
            r"\bfail(?:ed|ure)?\b",
            r"\bdeclined\b",
            r"\bunsuccessful\b",
            r"\bnot (?:been )?(?:successful|processed|completed)\b",
            r"\brejected\b",
            # mandates, autopay, collect requests, anything announced for later
            r"\bmandate\b",
            r"\bauto ?pay\b",
            r"\bNACH\b",
            r"\bUMRN\b",
            r"\bstanding instruction\b",
            r"\bcollect request\b",
            r"\brequested money\b",
            r"\bwill be (?:credited|debited)\b",
            r"\bblocked\b",
            # OTPs
            r"\bOTP\b",
            r"\bone[- ]time password\b",
            r"\bverification code\b",
            # promotions and products
            r"\bcash ?back\b",
            r"\boffers?\b",
            r"\bloans?\b",
            r"\bpre-?approved\b",
            r"\bapply now\b",
            r"\brewards?\b",
            r"\bcongratulations\b",
            r"\bwin\b",
            r"\bEMI\b",
            r"\bcredit card\b",
            r"\bcard ending\b",
            # money in that is no customer's payment
            r"\binterest\b",
            r"\bcash deposit\b",
            r"\bdeposited in cash\b",
            r"\bby cash\b",
            r"\bCDM\b",
            r"\bredemption\b",
            # statements (a balance message has no credit verb, and fails on that)
            r"\bstatement\b",
            r"\bminimum (?:amount )?due\b",
        ]
    ),
    re.IGNORECASE,
)

_MONTHS: Final[dict[str, int]] = {
    name: number
    for number, name in enumerate(
        ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"],
        start=1,
    )
}
# A date and, right after it, a time to the minute: "02-12-26 09:41", "18AUG2024 11:45:30",
# "on 02-12-26 at 11:59:28 IST", "06/08/25 17:36", "23-01-2024 20:05:45".
_STATED_TIME_RE: Final = re.compile(
    r"(?<![0-9])(?P<day>[0-9]{1,2})(?P<sep>[-/ ]?)(?P<month>[0-9]{1,2}|[A-Z]{3})(?P=sep)"
    r"(?P<year>[0-9]{4}|[0-9]{2})(?![0-9])"
    r",? (?:at )?(?P<hour>[0-9]{1,2})[:.](?P<minute>[0-9]{2})(?:[:.](?P<second>[0-9]{2}))?"
    r"(?![0-9])(?: ?(?P<meridiem>[AP]M)\b)?",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Template:
    """One way one bank writes a credit; ``source`` says where its wording was seen."""

    name: str
    pattern: re.Pattern[str]
    source: str


def normalise(text: str) -> str:
    """One space for any whitespace, so a template need not care how lines were broken."""
    return _WHITESPACE_RE.sub(" ", text.replace("\u00a0", " ")).strip()


def has_credit_verb(text: str) -> bool:
    return _CREDIT_VERB_RE.search(text) is not None


def is_not_credit(text: str) -> bool:
    """Whether the message names anything that makes it no incoming payment."""
    return _NOT_CREDIT_RE.search(_BOILERPLATE_RE.sub(" ", text)) is not None


def amount_paise(written: str) -> int | None:
    """Paise for an amount as a bank writes it (``1,00,000.00``, ``1018.5``), or None."""
    whole, dot, fraction = written.partition(".")
    if "," in whole:
        if _GROUPED_RE.fullmatch(whole) is None:
            return None
        whole = whole.replace(",", "")
    try:
        return parse_rupees(whole + dot + fraction)
    except MoneyError:
        return None


def twelve_digit_numbers(text: str) -> set[str]:
    return set(_TWELVE_RE.findall(text))


def stated_time(text: str) -> datetime | None:
    """The first date-and-time the text states, read as IST and given in UTC.

    A date alone is not enough: a payment is matched against checkouts opened
    minutes apart, and midnight of the right day would be before all of them.
    """
    for match in _STATED_TIME_RE.finditer(text):
        moment = _moment(match)
        if moment is not None:
            return moment
    return None


def _moment(match: re.Match[str]) -> datetime | None:
    month_text = match["month"].upper()
    month = _MONTHS.get(month_text) if month_text.isalpha() else int(month_text)
    if month is None:
        return None
    year = int(match["year"])
    if year < 100:
        year += 2000
    hour = int(match["hour"])
    meridiem = (match["meridiem"] or "").upper()
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem == "PM" else 0)
    try:
        local = datetime(
            year,
            month,
            int(match["day"]),
            hour,
            int(match["minute"]),
            int(match["second"] or 0),
            tzinfo=IST,
        )
    except ValueError:
        return None
    return local.astimezone(UTC)
