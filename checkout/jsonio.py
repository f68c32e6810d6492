"""JSON in and out without floats: numbers with a fraction are read as Decimal.

Rupee amounts go out as JSON numbers (the seed answers `"amount": 1018`), so
Decimals are written as their exact decimal text.
"""

from __future__ import annotations

import json
import re
import secrets
from decimal import Decimal
from typing import Any

from bson.decimal128 import Decimal128
from flask.json.provider import DefaultJSONProvider

_PLAIN_NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


class GatewayJSONProvider(DefaultJSONProvider):
    ensure_ascii = False
    sort_keys = False

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        # Never shown to anyone, so no client string can pose as a number.
        self._marker = f"@num{secrets.token_hex(16)}@"

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        kwargs.setdefault("parse_float", Decimal)
        kwargs.setdefault("parse_constant", _refuse_constant)
        return json.loads(s, **kwargs)

    def _default(self, value: Any) -> Any:
        if isinstance(value, Decimal128):
            value = value.to_decimal()
        if isinstance(value, Decimal):
            text = str(value)
            if not _PLAIN_NUMBER.fullmatch(text):
                raise TypeError(f"cannot write {text!r} as a JSON number")
            return f"{self._marker}{text}{self._marker}"
        return DefaultJSONProvider.default(value)

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        kwargs.setdefault("default", self._default)
        text = super().dumps(obj, **kwargs)
        if self._marker in text:
            text = text.replace(f'"{self._marker}', "").replace(f'{self._marker}"', "")
        return text
