"""Request schemas: every JSON body and query is checked here, and nowhere else.

Strict types keep odd input (`{"$gt": ""}` where a string goes, booleans
where money goes) out of queries. The same models will feed the OpenAPI
document.
"""

from __future__ import annotations

import decimal
import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from bson.decimal128 import Decimal128
from pydantic import (
    AfterValidator,
    AwareDatetime,
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
from checkout.domain.money import MoneyError, parse_rupees, rupees_decimal
from checkout.domain.vocabulary import DeliveryStatus as _DeliveryStatus
from checkout.domain.vocabulary import EventType as _EventType
from checkout.domain.vocabulary import Status as _Status
from checkout.domain.vocabulary import pattern
from checkout.urls import url_problem

ORDER_ID_PATTERN = pattern(vocabulary.ORDER_ID)

# The vocabulary's enums, documented inline (query parameters cannot hold references).
Status = Annotated[_Status, WithJsonSchema({"type": "string", "enum": [*_Status]})]
DeliveryStatus = Annotated[
    _DeliveryStatus, WithJsonSchema({"type": "string", "enum": [*_DeliveryStatus]})
]
EventType = Annotated[_EventType, WithJsonSchema({"type": "string", "enum": [*_EventType]})]
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


def _no_control(value: str) -> str:
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
_NO_CONTROL_SCHEMA: dict[str, Any] = {"pattern": r"^[^\x00-\x1f\x7f]*$"}
OrderId = Annotated[StrictStr, Field(pattern=ORDER_ID_PATTERN)]
Email = Annotated[
    StrictStr,
    Field(max_length=254, json_schema_extra={"pattern": _EMAIL.pattern}),
    AfterValidator(_email),
]
ShortText = Annotated[
    StrictStr,
    Field(max_length=200, json_schema_extra=_NO_CONTROL_SCHEMA),
    AfterValidator(_no_control),
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
        for name in cls.model_fields:
            found = _first_unstorable(data.get(name), name)
            if found:
                field, problem = found
                raise PydanticCustomError(
                    "unstorable", "{problem}", {"field": field, "problem": problem}
                )
        return data


class CreatePaymentSessionBody(Schema):
    """The seed's create request, field for field."""

    orderId: OrderId | None = None
    productDetails: Document = Field(default_factory=dict)
    deliveryDetails: Document = Field(default_factory=dict)
    email: Email | None = None
    basePrice: Money
    tax: MoneyOrZero = 0
    couponCode: Annotated[StrictStr, Field(max_length=64)] | None = None
    nonce: Any = Field(default=None, description="64 hex characters from GET /api/nonce")

    @model_validator(mode="after")
    def _total_within_limit(self, info: ValidationInfo) -> CreatePaymentSessionBody:
        max_paise = (info.context or {}).get("max_paise")
        if max_paise is not None and self.basePrice + self.tax > max_paise:
            raise PydanticCustomError(
                "total_too_large",
                "basePrice + tax must not exceed {limit} rupees",
                {"field": "tax", "limit": str(rupees_decimal(max_paise))},
            )
        return self

    @property
    def total_paise(self) -> int:
        return self.basePrice + self.tax


class OrderRefBody(Schema):
    orderId: OrderId


class UpiQrQuery(Schema):
    amount: Money
    note: (
        Annotated[
            StrictStr,
            Field(max_length=80, json_schema_extra=_NO_CONTROL_SCHEMA),
            AfterValidator(_no_control),
        ]
        | None
    ) = None


class SandboxCreditBody(Schema):
    amount: Money | None = None
    orderId: OrderId | None = None

    @model_validator(mode="after")
    def _one_of(self) -> SandboxCreditBody:
        if (self.amount is None) == (self.orderId is None):
            raise PydanticCustomError(
                "one_of", "give either amount or orderId", {"field": "amount"}
            )
        return self


class Customer(Schema):
    email: Email | None = None
    name: ShortText | None = None
    phone: Annotated[StrictStr, Field(pattern=pattern(vocabulary.PHONE))] | None = None


class CreateCheckoutSessionBody(Schema):
    orderId: OrderId | None = None
    amount: Money
    description: ShortText | None = None
    customer: Customer = Field(default_factory=Customer)
    returnUrl: Url | None = None
    cancelUrl: Url | None = None
    metadata: Document = Field(default_factory=dict)
    expiresInMinutes: Annotated[int, Field(strict=True, ge=1, le=1440)] | None = None


SessionId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.SESSION_ID.regex))]
EventId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.EVENT_ID.regex))]


class ListCheckoutSessionsQuery(Schema):
    status: Status | None = None
    orderId: OrderId | None = None
    createdAfter: AwareDatetime | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    startingAfter: SessionId | None = None


class CreateWebhookEndpointBody(Schema):
    url: Url
    events: Annotated[list[EventType], Field(min_length=1, max_length=4)] | None = None


class ListWebhookDeliveriesQuery(Schema):
    status: DeliveryStatus | None = None
    eventId: EventId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class CreateApiKeyBody(Schema):
    name: Annotated[
        StrictStr,
        Field(min_length=1, max_length=100, json_schema_extra=_NO_CONTROL_SCHEMA),
        AfterValidator(_no_control),
    ]


class CreatePaymentLinkBody(Schema):
    title: Annotated[
        StrictStr,
        Field(min_length=1, max_length=120, json_schema_extra=_NO_CONTROL_SCHEMA),
        AfterValidator(_no_control),
    ]
    amount: Money | None = None
    minAmount: Money | None = None
    maxAmount: Money | None = None
    description: ShortText | None = None
    slug: Annotated[StrictStr, Field(pattern=pattern(vocabulary.SLUG))] | None = None
    # How long each checkout opened from the link stays open (default: 15 or less).
    expiresInMinutes: Annotated[int, Field(strict=True, ge=1, le=1440)] | None = None

    @model_validator(mode="after")
    def _fixed_or_range(self) -> CreatePaymentLinkBody:
        ranged = self.minAmount is not None and self.maxAmount is not None
        if (self.amount is None) == (not ranged):
            raise PydanticCustomError(
                "fixed_or_range",
                "give either amount, or both minAmount and maxAmount",
                {"field": "amount"},
            )
        if ranged and self.minAmount > self.maxAmount:  # type: ignore[operator]
            raise PydanticCustomError(
                "range", "minAmount must not be above maxAmount", {"field": "minAmount"}
            )
        return self


# -- responses --------------------------------------------------------------------------
# What every endpoint answers. Nothing validates outgoing data at run time: these models
# describe the answers in /api/v1/openapi.json, and the tests check real answers against
# them (tests/functional/test_openapi.py, tests/functional/test_schemathesis.py).


def _json_number(value: Any) -> Any:
    """Amounts go out as JSON numbers (Decimal once read back), never as strings."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


Rupees = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    WithJsonSchema({"type": "number", "description": "Rupees, at most two decimals"}),
]
Timestamp = Annotated[
    AwareDatetime, Field(description="ISO 8601 UTC, e.g. 2026-11-26T10:00:00.000Z")
]
EndpointId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.ENDPOINT_ID.regex))]
DeliveryId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.DELIVERY_ID.regex))]
ApiKeyId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.API_KEY_ID.regex))]


class Reply(BaseModel):
    """An answer documents every key it has: an undocumented key fails the tests."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Reply):
    field: str
    message: str


class ErrorBody(BaseModel):
    """Every 4xx/5xx of the API; some errors add context (e.g. `status` on a 409)."""

    model_config = ConfigDict(extra="allow")

    error: Annotated[str, Field(min_length=1)]
    details: list[ErrorDetail]


class StoreCheck(Reply):
    status: Literal["ok", "down"]
    inMemory: bool | None = None
    error: str | None = None


class ProviderCheck(Reply):
    status: Literal["ok", "degraded", "unknown"]
    name: str
    lastOkAt: Timestamp | None = None
    lastTickAt: Timestamp | None = None
    consecutiveFailures: int | None = None
    lastError: str | None = None
    lastErrorAt: Timestamp | None = None


class EvidenceCheck(Reply):
    """How well the wallet's evidence tells payments apart (advice: never turns health down)."""

    status: Literal["ok", "limited"]
    source: Literal["history", "balance"]
    receiveOnly: bool | None = None
    note: str | None = None


class HealthChecks(Reply):
    store: StoreCheck
    provider: ProviderCheck
    evidence: EvidenceCheck


class HealthResponse(Reply):
    status: Literal["ok", "degraded", "down"]
    timestamp: Timestamp
    checks: HealthChecks


class NonceResponse(Reply):
    nonce: Annotated[str, Field(pattern=pattern(vocabulary.NONCE))]
    expiresInSeconds: int


class CreatePaymentSessionResponse(Reply):
    success: Literal[True]
    orderId: str
    amount: Rupees
    url: str
    status: Status
    expiresAt: Timestamp
    upiString: str
    qrCode: Annotated[str, Field(pattern=r"^data:image/png;base64,")]


class PaymentStatusResponse(Reply):
    status: Status


class PaymentDoneResponse(Reply):
    status: Literal["completed", "already-completed", "not-matched"]
    diff: Rupees
    expected: Rupees
    sessionStatus: Status | None = Field(
        default=None, description="Only with not-matched: the checkout's own status"
    )


class PaymentCancelResponse(Reply):
    status: Literal["cancelled"]


class UpiQrResponse(Reply):
    upiString: str
    qrCode: Annotated[str, Field(pattern=r"^data:image/png;base64,")]
    upiId: str
    payeeName: str
    amount: Rupees


class BalanceResponse(Reply):
    balance: Rupees


class OrderView(Reply):
    orderId: str
    productDetails: dict[str, Any]
    deliveryDetails: dict[str, Any]
    email: str | None
    totalAmount: Rupees
    amountPaid: Rupees
    status: str
    paymentMethod: str
    late: bool
    createdAt: Timestamp


class OrderResponse(Reply):
    success: Literal[True]
    order: OrderView


class SandboxCreditResponse(Reply):
    credited: Rupees
    balance: Rupees


class CustomerView(Reply):
    email: str | None = None
    name: str | None = None
    phone: str | None = None


class CheckoutSession(Reply):
    id: SessionId
    orderId: str
    amount: Rupees = Field(description="The exact amount to pay (may carry a paise suffix)")
    requestedAmount: Rupees
    currency: Literal["INR"]
    status: Status
    late: bool
    description: str | None
    customer: CustomerView
    metadata: dict[str, Any]
    returnUrl: str | None
    cancelUrl: str | None
    expiresAt: Timestamp
    createdAt: Timestamp
    completedAt: Timestamp | None
    url: str = Field(description="The hosted pay page to send the customer to")
    upiString: str


class CheckoutSessionList(Reply):
    object: Literal["list"]
    data: list[CheckoutSession]
    hasMore: bool
    nextCursor: SessionId | None = Field(description="Pass as startingAfter for the next page")


class WebhookEndpointView(Reply):
    id: EndpointId
    url: str
    events: list[EventType]
    active: bool
    createdAt: Timestamp


class WebhookEndpointWithSecret(WebhookEndpointView):
    secret: str = Field(description="The signing secret, shown this once")


class WebhookEndpointList(Reply):
    object: Literal["list"]
    data: list[WebhookEndpointView]


class DeletedWebhookEndpoint(Reply):
    id: str
    deleted: Literal[True]


class WebhookDeliveryView(Reply):
    id: DeliveryId
    eventId: EventId
    type: EventType
    endpointId: EndpointId
    url: str
    status: DeliveryStatus
    attempts: int
    nextAttemptAt: Timestamp | None
    lastStatusCode: int | None
    lastError: str | None
    createdAt: Timestamp
    deliveredAt: Timestamp | None


class WebhookDeliveryList(Reply):
    object: Literal["list"]
    data: list[WebhookDeliveryView]


class ApiKeyView(Reply):
    id: ApiKeyId
    name: str
    mode: Literal["live", "test"]
    prefix: str
    createdAt: Timestamp
    revokedAt: Timestamp | None
    lastUsedAt: Timestamp | None


class ApiKeyWithSecret(ApiKeyView):
    secret: str = Field(description="The whole key (sk_live_… or sk_test_…), shown this once")
    signingKey: str = Field(description="Verifies signed redirects and signs form posts")


class ApiKeyList(Reply):
    object: Literal["list"]
    data: list[ApiKeyView]


class RevokedApiKey(Reply):
    id: str
    revoked: Literal[True]


class PaymentLinkView(Reply):
    slug: str
    title: str
    amountHint: str
    url: str
    expiresInMinutes: int
    createdAt: Timestamp
