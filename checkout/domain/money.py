"""Money as integer paise.

Amounts are compared for equality to tell payments apart (DESIGN §5), so a
single rounding error would attribute money to the wrong checkout. Every
amount therefore lives as an ``int`` number of paise, and rupee input is
read from its decimal *text*, never through binary floating point.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

__all__ = [
    "MAX_DEFAULT_RUPEES",
    "ExponentDecimal",
    "MoneyError",
    "display_rupees",
    "format_rupees",
    "parse_rupees",
    "rupees_decimal",
]

# The UPI person-to-person cap; the app's MAX_AMOUNT defaults to it.
MAX_DEFAULT_RUPEES: Final[int] = 100000

# Bounds the work spent on hostile input before any parsing happens.
_MAX_TEXT_LENGTH: Final[int] = 32
# No real amount comes near this. It keeps int and Decimal input as bounded as
# text input, and every accepted amount formats back within _MAX_TEXT_LENGTH.
_MAX_INTEGER_DIGITS: Final[int] = _MAX_TEXT_LENGTH - len(".00")

_GENERIC: Final[str] = "must be a positive amount in rupees with at most 2 decimals"

# [0-9] rather than \d: \d also matches Devanagari, Arabic-Indic, ... digits, which int() accepts.
_STRICT_RE: Final[re.Pattern[str]] = re.compile(r"([0-9]+)(?:\.([0-9]{1,2}))?")
_PLAIN_DECIMAL_RE: Final[re.Pattern[str]] = re.compile(r"([0-9]+)(?:\.([0-9]+))?")
_TOO_MANY_DECIMALS_RE: Final[re.Pattern[str]] = re.compile(r"[0-9]*\.[0-9]{3,}")
_EXPONENT_RE: Final[re.Pattern[str]] = re.compile(
    r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)e[+-]?[0-9]+", re.IGNORECASE
)
_NON_FINITE_WORDS: Final[frozenset[str]] = frozenset({"nan", "snan", "inf", "infinity"})


class MoneyError(ValueError):
    """An amount the gateway refuses; the message is a sentence fit to show a person."""


class ExponentDecimal(Decimal):
    """A number that was written with an exponent (JSON ``1e-2``), whatever its value.

    ``Decimal("1e-2")`` prints as ``0.01``, so without this mark ``1e-2`` would pass
    as an amount while ``1e3`` (printed ``1E+3``) is refused. JSON readers build
    this type for such numbers; an amount refuses it, free-form data keeps it.
    """

    __slots__ = ()


def parse_rupees(value: object, *, max_paise: int | None = None, allow_zero: bool = False) -> int:
    """Read a rupee amount from request input and return paise.

    Input arrives as form text, JSON integers, JSON numbers (as ``Decimal``,
    the app parses JSON with ``parse_float=Decimal``) or, from Python
    callers, floats. Each is reduced to exact decimal text so the same
    amount yields the same paise whatever its route in.
    """
    if isinstance(value, bool):
        # bool is an int subclass; True must not quietly mean ₹1.
        raise MoneyError(_GENERIC)
    if isinstance(value, int):
        paise = _paise_from_int(value)
    elif isinstance(value, str):
        paise = _paise_from_str(value)
    elif isinstance(value, Decimal):
        paise = _paise_from_decimal(value)
    elif isinstance(value, float):
        # repr() is the shortest text that reads back as the same float, i.e.
        # what the sender wrote; arithmetic on the float would not be.
        paise = _paise_from_text(repr(value))
    else:
        raise MoneyError(_GENERIC)
    return _check_range(paise, max_paise=max_paise, allow_zero=allow_zero)


def format_rupees(paise: int) -> str:
    """Two-decimal rupee text without separators, the form UPI ``am=`` expects."""
    sign = "-" if paise < 0 else ""
    rupees, rest = divmod(abs(paise), 100)
    return f"{sign}{rupees}.{rest:02d}"


def display_rupees(paise: int) -> str:
    """Rupee text for people, grouped the Indian way (lakh, crore)."""
    sign = "-" if paise < 0 else ""
    rupees, rest = divmod(abs(paise), 100)
    return f"{sign}₹{_group_indian(str(rupees))}.{rest:02d}"


def rupees_decimal(paise: int) -> Decimal:
    """A Decimal that serialises as a plain JSON number.

    The seed API answers ``"amount": 1018``, so whole amounts must lose
    their ``.00``; ``Decimal.normalize()`` would do that but writes 100000
    as ``1E+5``, which is why the value is built from trimmed text.
    """
    text = format_rupees(paise).rstrip("0").rstrip(".")
    return Decimal(text)


def _group_indian(digits: str) -> str:
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    groups: list[str] = []
    while len(head) > 2:
        groups.append(head[-2:])
        head = head[:-2]
    if head:
        groups.append(head)
    groups.reverse()
    groups.append(tail)
    return ",".join(groups)


def _paise_from_int(value: int) -> int:
    if value < 0:
        raise MoneyError("must not be negative")
    if value >= 10**_MAX_INTEGER_DIGITS:
        raise MoneyError("is too large")
    return value * 100


def _paise_from_str(value: str) -> int:
    # Length is checked before stripping so padding cannot smuggle in unbounded work.
    if len(value) > _MAX_TEXT_LENGTH:
        raise MoneyError(f"must be at most {_MAX_TEXT_LENGTH} characters long")
    text = value.strip()
    if not text:
        raise MoneyError("must not be empty")
    return _paise_from_text(text)


def _paise_from_text(text: str) -> int:
    match = _STRICT_RE.fullmatch(text)
    if match is None:
        raise MoneyError(_diagnose(text))
    whole, fraction = match.group(1), match.group(2) or ""
    return _combine(whole, fraction)


def _paise_from_decimal(value: Decimal) -> int:
    if isinstance(value, ExponentDecimal):
        raise MoneyError("must be written without an exponent")
    if not value.is_finite():
        raise MoneyError("must be a finite number")
    if value.is_signed():
        raise MoneyError("must not be negative")
    text = str(value)
    match = _PLAIN_DECIMAL_RE.fullmatch(text)
    if match is None:
        # str() of a finite Decimal is plain digits unless it needs an exponent.
        raise MoneyError(_diagnose(text))
    whole, fraction = match.group(1), match.group(2) or ""
    # A JSON number such as 1018.500 is still a whole number of paise.
    if len(fraction) > 2:
        if fraction[2:].strip("0"):
            raise MoneyError("must have at most 2 decimals")
        fraction = fraction[:2]
    return _combine(whole, fraction)


def _combine(whole: str, fraction: str) -> int:
    if len(whole.lstrip("0")) > _MAX_INTEGER_DIGITS:
        raise MoneyError("is too large")
    return int(whole) * 100 + int(fraction.ljust(2, "0"))


def _diagnose(text: str) -> str:
    """Name the first thing wrong, so the person entering the amount can fix it."""
    unsigned = text.lstrip("+-").lower()
    if unsigned in _NON_FINITE_WORDS:
        return "must be a finite number"
    if _EXPONENT_RE.fullmatch(unsigned):
        return "must be written without an exponent"
    if text.startswith("-"):
        return "must not be negative"
    if text.startswith("+"):
        return "must not start with '+'"
    if "," in text or "_" in text:
        return "must be written without thousands separators"
    if _TOO_MANY_DECIMALS_RE.fullmatch(text):
        return "must have at most 2 decimals"
    return _GENERIC


def _check_range(paise: int, *, max_paise: int | None, allow_zero: bool) -> int:
    if paise == 0 and not allow_zero:
        raise MoneyError(_GENERIC)
    if max_paise is not None and paise > max_paise:
        raise MoneyError(f"must be at most {rupees_decimal(max_paise)} rupees")
    return paise
