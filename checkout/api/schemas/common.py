"""What every request model is made of: money, free-form documents, text, URLs and ids.

Strict types keep odd input (`{"$gt": ""}` where a string goes, booleans where
money goes) out of queries, and every text a request gives must fit in the store.
Request models are checked here and nowhere else; the error body is the one
answer every refusal gets.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Annotated, Any

from bson.decimal128 import Decimal128
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    ValidationInfo,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import PydanticCustomError

from checkout.domain import vocabulary
from checkout.domain.money import MoneyError, parse_rupees
from checkout.domain.vocabulary import pattern
from checkout.services import utr
from checkout.services.errors import ServiceError
from checkout.services.presenters import Reply
from checkout.urls import url_problem

ORDER_ID_PATTERN = pattern(vocabulary.ORDER_ID)
_EMAIL = re.compile(pattern(vocabulary.EMAIL))
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_DEPTH = 4
MAX_KEYS = 50


def _money(value: Any, info: ValidationInfo, *, allow_zero: bool) -> int:
    max_paise = (info.context or {}).get("max_paise")
    try:
        return parse_rupees(value, max_paise=max_paise, allow_zero=allow_zero)
    except MoneyError as exc:
        raise ValueError(str(exc)) from None


def _positive_money(value: Any, info: ValidationInfo) -> int:
    return _money(value, info, allow_zero=False)


def _money_or_zero(value: Any, info: ValidationInfo) -> int:
    return _money(value, info, allow_zero=True)


# Decimal text above zero: digits with a non-zero one, or 0.x / 0.0x.
_POSITIVE_RUPEES_TEXT = r"^([0-9]*[1-9][0-9]*(\.[0-9]{1,2})?|[0-9]+\.([1-9][0-9]?|0[1-9]))$"
_MONEY_SCHEMA = WithJsonSchema(
    {
        "oneOf": [
            {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.01},
            {"type": "string", "pattern": _POSITIVE_RUPEES_TEXT},
        ],
        "description": 'Rupees, at most two decimals (e.g. 1018 or "1018.50")',
    }
)
_MONEY_OR_ZERO_SCHEMA = WithJsonSchema(
    {
        "oneOf": [
            {"type": "number", "minimum": 0, "multipleOf": 0.01},
            {"type": "string", "pattern": r"^[0-9]+(\.[0-9]{1,2})?$"},
        ],
        "description": 'Rupees, zero or more, at most two decimals (e.g. 18 or "18.50")',
    }
)
Money = Annotated[int, BeforeValidator(_positive_money), _MONEY_SCHEMA]
MoneyOrZero = Annotated[int, BeforeValidator(_money_or_zero), _MONEY_OR_ZERO_SCHEMA]


def no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an email address like name@example.com")
    return value


def _http_url(value: str) -> str:
    problem = url_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _unstorable(text: str) -> str | None:
    """Why the store cannot keep this text (a key or a value), or None when it can.

    BSON strings are UTF-8, so a lone surrogate (JSON "\\ud800") fails on the write,
    after every check has passed; NUL ends a BSON key and has no place in a value.
    """
    if "\x00" in text:
        return "must not contain NUL characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (it holds a lone surrogate)"
    return None


def _first_unstorable(value: Any, where: str) -> tuple[str, str] | None:
    """(field path, reason) of the first text in `value` the store cannot keep."""
    if isinstance(value, str):
        problem = _unstorable(value)
        return (where, problem) if problem else None
    if isinstance(value, dict):
        for key, item in value.items():
            problem = _unstorable(key) if isinstance(key, str) else None
            if problem:
                return where, f"keys {problem}"
            found = _first_unstorable(item, f"{where}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _first_unstorable(item, f"{where}.{index}")
            if found:
                return found
    return None


def _document(value: Any, depth: int = 0) -> Any:
    """Free-form merchant data: keys cannot be operators or paths, nesting is bounded."""
    if depth > MAX_DEPTH:
        raise ValueError(f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, dict):
        if len(value) > MAX_KEYS:
            raise ValueError(f"has more than {MAX_KEYS} keys")
        clean = {}
        for key, item in value.items():
            if not isinstance(key, str) or not key or key.startswith("$") or "." in key:
                raise ValueError("keys must be non-empty and must not start with $ or contain .")
            clean[key] = _document(item, depth + 1)
        return clean
    if isinstance(value, list):
        if len(value) > MAX_KEYS:
            raise ValueError(f"has more than {MAX_KEYS} items")
        return [_document(item, depth + 1) for item in value]
    if isinstance(value, Decimal):
        try:
            return Decimal128(value)
        except decimal.DecimalException:
            # More digits than a stored decimal keeps, or out of its range: refuse, never round.
            raise ValueError("holds a number that cannot be stored exactly") from None
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 2**63:
        raise ValueError("holds a number too large to store")
    if isinstance(value, str) and len(value) > 2000:
        raise ValueError("holds a text longer than 2000 characters")
    return value


def _top_document(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("must be an object")
    result: dict[str, Any] = _document(value)
    return result


Document = Annotated[
    dict[str, Any],
    BeforeValidator(_top_document),
    WithJsonSchema(
        {
            "type": "object",
            "additionalProperties": True,
            "maxProperties": MAX_KEYS,
            "propertyNames": {"minLength": 1, "pattern": r"^[^$.][^.]*$"},
            "description": f"Free-form JSON: keys must not start with $ or contain a dot; "
            f"at most {MAX_KEYS} keys or items per level, nested {MAX_DEPTH} levels deep",
        }
    ),
]


# Schema-only hints (json_schema_extra): the AfterValidators decide; the patterns tell
# clients and fuzzers what they accept.
NO_CONTROL_SCHEMA: dict[str, Any] = {"pattern": r"^[^\x00-\x1f\x7f]*$"}
OrderId = Annotated[StrictStr, Field(pattern=ORDER_ID_PATTERN)]


def _utr(value: str) -> str:
    try:
        return utr.checked_utr(value)
    except ServiceError:
        raise ValueError(utr.UTR_MESSAGE) from None


# The customer's UPI reference: 12 digits (spaces pasted from an app are dropped).
Utr = Annotated[
    StrictStr,
    Field(max_length=20, json_schema_extra={"pattern": r"^[0-9 ]{12,20}$"}),
    AfterValidator(_utr),
]
Email = Annotated[
    StrictStr,
    Field(max_length=254, json_schema_extra={"pattern": _EMAIL.pattern}),
    AfterValidator(_email),
]
ShortText = Annotated[
    StrictStr,
    Field(max_length=200, json_schema_extra=NO_CONTROL_SCHEMA),
    AfterValidator(no_control),
]
Url = Annotated[
    StrictStr,
    Field(
        max_length=2048,
        json_schema_extra={"pattern": r"^https?://[A-Za-z0-9_.\-\[\]:]+([/?#][^\x00-\x1f\x7f]*)?$"},
    ),
    AfterValidator(_http_url),
]


class Schema(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _storable_text(cls, data: Any) -> Any:
        """Every text a request gives, in every field and at any depth, fits in the store.

        One rule for all fields, free-form ones (productDetails, metadata, ...) included,
        so a field added later cannot forget it; ignored (unknown) fields are not read.
        """
        if not isinstance(data, dict):
            return data
        for name, info in cls.model_fields.items():
            key = info.alias or name  # what the request calls it ("from" for from_)
            found = _first_unstorable(data.get(key), key)
            if found:
                field, problem = found
                raise PydanticCustomError(
                    "unstorable", "{problem}", {"field": field, "problem": problem}
                )
        return data


class ErrorDetail(Reply):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx of the API; some errors add context (e.g. `status` on a 409)."""

    model_config = ConfigDict(extra="allow")

    error: Annotated[str, Field(min_length=1)]
    details: list[ErrorDetail]
