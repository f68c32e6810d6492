"""How stored things look from outside: one model per shape, for the API and the webhooks.

Each model names, types and describes its fields once; the API answers with them
and /api/v1/openapi.json documents them, and a checkout session's webhook payload
is the same shape as its API answer.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    WithJsonSchema,
)

from checkout.clock import iso
from checkout.domain import vocabulary
from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import SESSION_ID, pattern
from checkout.domain.vocabulary import DeliveryStatus as _DeliveryStatus
from checkout.domain.vocabulary import EventType as _EventType
from checkout.domain.vocabulary import Status as _Status
from checkout.storage.models import PaymentSession

# The vocabulary's enums, documented inline (query parameters cannot hold references).
Status = Annotated[_Status, WithJsonSchema({"type": "string", "enum": [*_Status]})]
DeliveryStatus = Annotated[
    _DeliveryStatus, WithJsonSchema({"type": "string", "enum": [*_DeliveryStatus]})
]
EventType = Annotated[_EventType, WithJsonSchema({"type": "string", "enum": [*_EventType]})]
SessionId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.SESSION_ID.regex))]
EventId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.EVENT_ID.regex))]


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


class CreatePaymentSessionResponse(Reply):
    success: Literal[True]
    orderId: str
    amount: Rupees
    url: str
    status: Status
    expiresAt: Timestamp
    upiString: str
    qrCode: Annotated[str, Field(pattern=r"^data:image/png;base64,")]


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


class WebhookEndpointView(Reply):
    id: EndpointId
    url: str
    events: list[EventType]
    active: bool
    createdAt: Timestamp


class WebhookEndpointWithSecret(WebhookEndpointView):
    secret: str = Field(description="The signing secret, shown this once")


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


class PaymentLinkView(Reply):
    slug: str
    title: str
    amountHint: str
    url: str
    expiresInMinutes: int
    createdAt: Timestamp


def public_session_id(session: PaymentSession) -> str:
    return f"{SESSION_ID.prefix}{session.id}"


def internal_session_id(public_id: str) -> str | None:
    """The stored id behind `cs_<24 hex>`; None for anything else (no query is made)."""
    if not SESSION_ID.matches(public_id):
        return None
    return public_id.removeprefix(SESSION_ID.prefix)


def session_data(session: PaymentSession) -> dict[str, Any]:
    return {
        "id": public_session_id(session),
        "orderId": session.orderId,
        "amount": rupees_decimal(session.amountPaise),
        "requestedAmount": rupees_decimal(session.totalAmountPaise),
        "currency": "INR",
        "status": session.status,
        "late": bool(session.late),
        "description": session.description,
        "customer": session.customer or {},
        "metadata": session.metadata or {},
        "returnUrl": session.returnUrl,
        "cancelUrl": session.cancelUrl,
        "expiresAt": iso(session.expiresAt),
        "createdAt": iso(session.createdAt),
        "completedAt": iso(session.completedAt),
    }
