"""JSON in and out without floats: numbers with a fraction are read as Decimal.

Rupee amounts go out as JSON numbers (the seed answers `"amount": 1018`), so
Decimals are written as their exact decimal text. One encoder serves the API
responses (through Flask) and the webhook payloads (without Flask).
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

# JSON's number grammar; str() of a finite Decimal always fits it ("1018.50", "1E+3").
_JSON_NUMBER = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
# Never shown to anyone, so no client string can pose as a number.
_MARKER = f"@num{secrets.token_hex(16)}@"


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def loads(text: str | bytes, **kwargs: Any) -> Any:
    kwargs.setdefault("parse_float", Decimal)
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
