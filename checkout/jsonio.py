"""JSON in and out without floats: numbers with a fraction are read as Decimal.

Rupee amounts go out as JSON numbers (the seed answers `"amount": 1018`), so
Decimals are written as their exact decimal text. One encoder serves the API
responses (through Flask) and the webhook payloads (without Flask).

Reading is bounded before the parser runs: Python's decoder recurses once per
bracket, so 3000 `[` in a row would end in a RecursionError (a 500) instead of a 400.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from flask.json.provider import DefaultJSONProvider

from checkout.clock import iso
from checkout.domain.money import ExponentDecimal
from checkout.services.errors import ServiceError

# JSON's number grammar; str() of a finite Decimal always fits it ("1018.50", "1E+3").
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# Never shown to anyone, so no client string can pose as a number.
_MARKER = f"@num{secrets.token_hex(16)}@"


# Far above what any body we accept needs (free-form documents stop at 4 levels), far
# below the decoder's recursion limit.
MAX_NESTING = 32
# A string (with its escapes, even unterminated) or one bracket: all a depth count looks at.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"?|(?P<open>[\[{])|(?P<close>[\]}])', re.DOTALL)


class NestedTooDeep(ServiceError):
    """Not a ValueError on purpose: `get_json(silent=True)` must not swallow the reason."""

    status = 400


def nesting_depth(text: str) -> int:
    """How deep arrays and objects go, brackets inside strings not counted.

    Only counts: unbalanced or malformed text is left for the parser to refuse.
    """
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        if match.group("open"):
            depth += 1
            deepest = max(deepest, depth)
        elif match.group("close"):
            depth -= 1
    return deepest


def _decimal(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, exactly; an exponent stays visible.

    Decimal("1e-2") prints as 0.01, so the amount rules could not see it was written
    with an exponent, while they do refuse 1e3 (it prints as 1E+3).
    """
    return ExponentDecimal(text) if "e" in text or "E" in text else Decimal(text)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def loads(text: str | bytes, **kwargs: Any) -> Any:
    if isinstance(text, bytes | bytearray):
        # What json.loads does with bytes; a bad encoding is its ValueError, as before.
        text = bytes(text).decode(json.detect_encoding(text), "surrogatepass")
    if nesting_depth(text) > MAX_NESTING:
        raise NestedTooDeep(f"JSON is nested more than {MAX_NESTING} levels deep", field="body")
    kwargs.setdefault("parse_float", _decimal)
    kwargs.setdefault("parse_constant", _refuse_constant)
    return json.loads(text, **kwargs)


def _plain_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _number_default(fallback: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def default(value: Any) -> Any:
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        if isinstance(value, Decimal):
            text = str(value)
            if not value.is_finite() or not _JSON_NUMBER.fullmatch(text):
                raise TypeError(f"cannot write {text!r} as a JSON number")
            return f"{_MARKER}{text}{_MARKER}"
        return fallback(value)

    return default


def _unmark(text: str) -> str:
    if _MARKER in text:
        text = text.replace(f'"{_MARKER}', "").replace(f'{_MARKER}"', "")
    return text


def dumps(obj: Any, **kwargs: Any) -> str:
    kwargs.setdefault("default", _number_default(_plain_default))
    kwargs.setdefault("ensure_ascii", False)
    kwargs.setdefault("separators", (",", ":"))
    return _unmark(json.dumps(obj, **kwargs))


class GatewayJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s, **kwargs)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", _number_default(DefaultJSONProvider.default))
        return _unmark(super().dumps(obj, **kwargs))
