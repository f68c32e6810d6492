"""What a bank message says, read without guessing (DESIGN §6, issue 9).

The shapes the parsers answer with and the services consume. Parsers are pure
functions, one table per bank, and fail closed: anything not certainly a credit
from a trusted sender is not a credit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

__all__ = ["MessageKind", "ReadMessage", "SenderVerdict"]


class SenderVerdict(StrEnum):
    TRUSTED = "trusted"
    REJECTED = "rejected"  # a phone number, a promotional header, an unknown header


class MessageKind(StrEnum):
    CREDIT = "credit"  # certainly money in: amount known
    NOT_CREDIT = "not-credit"  # a debit, reversal, failure, mandate, OTP, promotion, balance
    UNPARSED = "unparsed"  # looks like a credit, but could not be read with certainty


@dataclass(frozen=True)
class ReadMessage:
    """One message as read: ``amount_paise`` is set only for a credit."""

    kind: MessageKind
    bank: str | None = None  # "HDFC", "SBI", … (the table that read it)
    amount_paise: int | None = None
    rrn: str | None = None  # the 12-digit UPI reference, when the message gives one
    payer: str | None = None  # payer VPA or name, when given
    occurred_at: datetime | None = None  # the time the bank's text states (minute or better)
    rule: str | None = None  # "HDFC/credit-alert-vpa", "generic": which template read a credit
