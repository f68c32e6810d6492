"""Reading one bank message: a credit, certainly not one, or unreadable (issue 9).

The order is what makes it fail closed. First the words that make a message
no payment (a debit, reversal, failure, mandate, OTP, offer) and the absence
of any credit verb, either of which ends it as NOT_CREDIT. Then the bank's
own table, then one generic rule that wants a credit verb, one INR amount and
one 12-digit reference together. Whatever still looks like a credit is
UNPARSED, kept for a person to read: never a credit on a guess.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

from .bank_tables import BANK_TABLES
from .bank_text import (
    AMT,
    MAX_TEXT,
    Template,
    amount_paise,
    has_credit_verb,
    is_not_credit,
    normalise,
    stated_time,
    twelve_digit_numbers,
)
from .evidence import MessageKind, ReadMessage

__all__ = ["GENERIC_RULE", "parse_sms"]

GENERIC_RULE: Final[str] = "generic"

_AMOUNT_RE: Final = re.compile(AMT, re.IGNORECASE)
# An amount this close after one of these words is a balance or a limit, not the payment.
_NOT_THE_PAYMENT_RE: Final = re.compile(r"(?:bal(?:ance)?|limit|lmt)\b[^0-9]{0,12}$", re.IGNORECASE)
_CREDIT_WORD_RE: Final = re.compile(r"\b(?:credited|received|deposited)\b", re.IGNORECASE)
_NEAR: Final[int] = 60  # characters between the credit verb and its amount, at most


def parse_sms(text: str, *, bank: str | None, received_at: datetime | None) -> ReadMessage:
    """Read a bank SMS (or an alert e-mail's text) as sent by ``bank`` ("HDFC", … or None).

    With no bank, every table is tried: the caller decides whether the sender
    is trusted at all. ``occurred_at`` is the time the text states to the
    minute, else ``received_at`` (naive means UTC), else None.
    """
    clean = normalise(text)
    if is_not_credit(clean) or not has_credit_verb(clean):
        return ReadMessage(MessageKind.NOT_CREDIT, bank=bank)
    occurred_at = stated_time(clean) or _as_utc(received_at)
    if len(clean) > MAX_TEXT:
        return ReadMessage(MessageKind.UNPARSED, bank=bank, occurred_at=occurred_at)
    tables = [BANK_TABLES[bank]] if bank in BANK_TABLES else list(BANK_TABLES.values())
    for table in tables:
        for template in table:
            read = _read_template(template, clean, bank, occurred_at)
            if read is not None:
                return read
    generic = _read_generic(clean, bank, occurred_at)
    if generic is not None:
        return generic
    return ReadMessage(MessageKind.UNPARSED, bank=bank, occurred_at=occurred_at)


def _read_template(
    template: Template, clean: str, bank: str | None, occurred_at: datetime | None
) -> ReadMessage | None:
    match = template.pattern.search(clean)
    if match is None:
        return None
    paise = amount_paise(match["amount"])
    if paise is None:
        return None
    groups = match.groupdict()
    references = twelve_digit_numbers(clean)
    rrn = groups.get("rrn")
    if rrn is None:
        # A template without a reference still takes one the message gives, if only one.
        if len(references) > 1:
            return None
        rrn = next(iter(references), None)
    elif references != {rrn}:
        return None  # a second 12-digit number: which one is the payment's?
    owner = bank or _table_of(template)
    return ReadMessage(
        MessageKind.CREDIT,
        bank=owner,
        amount_paise=paise,
        rrn=rrn,
        payer=_payer(groups.get("payer")),
        occurred_at=occurred_at,
        rule=f"{owner}/{template.name}",
    )


def _read_generic(clean: str, bank: str | None, occurred_at: datetime | None) -> ReadMessage | None:
    references = twelve_digit_numbers(clean)
    if len(references) != 1:
        return None
    payments = [
        match
        for match in _AMOUNT_RE.finditer(clean)
        if _NOT_THE_PAYMENT_RE.search(clean, 0, match.start()) is None
    ]
    if len(payments) != 1:
        return None
    payment = payments[0]
    near = any(
        abs(verb.start() - payment.start()) <= _NEAR for verb in _CREDIT_WORD_RE.finditer(clean)
    )
    paise = amount_paise(payment["amount"])
    if not near or paise is None:
        return None
    return ReadMessage(
        MessageKind.CREDIT,
        bank=bank,
        amount_paise=paise,
        rrn=next(iter(references)),
        occurred_at=occurred_at,
        rule=GENERIC_RULE,
    )


def _table_of(template: Template) -> str:
    return next(name for name, table in BANK_TABLES.items() if template in table)


def _payer(raw: str | None) -> str | None:
    if raw is None:
        return None
    payer = raw.strip(" .-")
    return payer or None


def _as_utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
