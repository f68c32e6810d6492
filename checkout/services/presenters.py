"""How stored things look from outside: one model per shape, and the functions that fill them.

Each model names, types and describes its fields once. The API answers with these
models (checkout.api writes what a view returns, and /api/v1/openapi.json documents
the same classes), and a checkout session's webhook payload is the shape of its API
answer. Filling a model validates it, so a presenter that drifts from its model
fails in the tests instead of in a merchant's parser.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    StrictStr,
    WithJsonSchema,
)

from checkout.clock import iso
from checkout.config import Settings
from checkout.domain import vocabulary
from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import SESSION_ID, pattern
from checkout.domain.vocabulary import DeliveryStatus as _DeliveryStatus
from checkout.domain.vocabulary import EventType as _EventType
from checkout.domain.vocabulary import Status as _Status
from checkout.qr import qr_png_data_uri
from checkout.services.checkouts import payment_uri
from checkout.services.keys import IssuedKey
from checkout.services.links import amount_hint, expiry_minutes
from checkout.services.webhook_addresses import shown_url
from checkout.storage.links import PaymentLink
from checkout.storage.merchant import ApiKey, WebhookDelivery, WebhookEndpoint
from checkout.storage.models import Order, PaymentSession, UTCDateTimeField

# The vocabulary's enums, documented inline (query parameters cannot hold references).
Status = Annotated[_Status, WithJsonSchema({"type": "string", "enum": [*_Status]})]
DeliveryStatus = Annotated[
    _DeliveryStatus, WithJsonSchema({"type": "string", "enum": [*_DeliveryStatus]})
]
EventType = Annotated[_EventType, WithJsonSchema({"type": "string", "enum": [*_EventType]})]
SessionId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.SESSION_ID.regex))]
EventId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.EVENT_ID.regex))]
EndpointId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.ENDPOINT_ID.regex))]
DeliveryId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.DELIVERY_ID.regex))]
ApiKeyId = Annotated[StrictStr, Field(pattern=pattern(vocabulary.API_KEY_ID.regex))]
KeyScope = Literal["all", "evidence"]


def _json_number(value: Any) -> Any:
    """Amounts go out as JSON numbers (Decimal once read back), never as strings."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


# Kept a Decimal when dumped: checkout.jsonio writes it as a JSON number, digit for digit
# (pydantic's JSON mode would write a string, and a float would round).
Rupees = Annotated[
    Decimal,
    BeforeValidator(_json_number),
    WithJsonSchema({"type": "number", "description": "Rupees, at most two decimals"}),
]
Timestamp = Annotated[
    AwareDatetime,
    PlainSerializer(iso, return_type=str),
    Field(description="ISO 8601 UTC, e.g. 2026-11-26T10:00:00.000Z"),
]


class Reply(BaseModel):
    """An answer documents every key it has: an undocumented key is refused when it is built."""

    model_config = ConfigDict(extra="forbid")


Shown = TypeVar("Shown", bound=Reply)


def plain(reply: Reply) -> dict[str, Any]:
    """The answer as JSON-ready data: the fields its presenter set, in the model's order.

    A field left unset (an optional one the answer does not carry) is left out rather
    than written as null; amounts stay Decimal for checkout.jsonio to write exactly.
    """
    return reply.model_dump(mode="python", exclude_unset=True)


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


class RefundView(Reply):
    """One refund the merchant recorded (sent by hand from their own UPI app)."""

    id: Annotated[StrictStr, Field(pattern=pattern(vocabulary.REFUND_ID.regex))]
    amount: Rupees
    utr: str | None
    note: str | None
    by: str = Field(description='Who recorded it: a console user id, or "api"')
    createdAt: Timestamp


def refund_view(refund: dict[str, Any]) -> RefundView:
    return RefundView(
        id=refund["id"],
        amount=rupees_decimal(refund["amountPaise"]),
        utr=refund.get("utr"),
        note=refund.get("note"),
        by=refund["by"],
        # A datetime inside a dict is read back as the store wrote it (naive, or text).
        createdAt=UTCDateTimeField().to_python(refund["createdAt"]),
    )


class SessionView(Reply):
    """A checkout session as its webhooks carry it."""

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
    refundedAmount: Rupees = Field(description="Recorded as refunded so far")
    refunds: list[RefundView]


class CheckoutSession(SessionView):
    """A checkout session as the merchant API answers it: where to send the customer."""

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
    scope: KeyScope
    urlToken: bool = Field(description="A relay URL token (?token=), never a Bearer key")
    createdAt: Timestamp
    revokedAt: Timestamp | None
    lastUsedAt: Timestamp | None


class ApiKeyWithSecret(ApiKeyView):
    secret: str = Field(
        description="The whole key (sk_live_…, sk_test_…; rt_… for a URL token), shown this once"
    )
    signingKey: str = Field(description="Verifies signed redirects and signs form posts")
    relayUrl: str | None = Field(
        description="A URL token's URL for posting bank SMS (null for a Bearer key)"
    )


class PaymentLinkView(Reply):
    slug: str
    title: str
    amountHint: str
    url: str
    expiresInMinutes: int
    createdAt: Timestamp


# -- presenters -----------------------------------------------------------------------


def public_session_id(session: PaymentSession) -> str:
    return f"{SESSION_ID.prefix}{session.id}"


def internal_session_id(public_id: str) -> str | None:
    """The stored id behind `cs_<24 hex>`; None for anything else (no query is made)."""
    if not SESSION_ID.matches(public_id):
        return None
    return public_id.removeprefix(SESSION_ID.prefix)


def _filled(model: type[Shown], source: object, **given: Any) -> Shown:
    """`model` filled from `source`: each field `given` names, else the attribute of its name.

    A presenter so says only where a shape differs from what is stored; a field the
    document lacks fails loudly here instead of going out missing, and a name given
    that is no field is refused by the model.
    """
    fields = model.model_fields
    values = {name: given.pop(name) if name in given else getattr(source, name) for name in fields}
    return model(**values, **given)


def session_view(session: PaymentSession) -> SessionView:
    return _filled(
        SessionView,
        session,
        id=public_session_id(session),
        amount=rupees_decimal(session.amountPaise),
        requestedAmount=rupees_decimal(session.totalAmountPaise),
        currency="INR",
        late=bool(session.late),
        customer=CustomerView(**(session.customer or {})),
        metadata=session.metadata or {},
        refundedAmount=rupees_decimal(session.refundedAmountPaise or 0),
        refunds=[refund_view(refund) for refund in session.refunds or []],
    )


def session_data(session: PaymentSession) -> dict[str, Any]:
    """The `data.object` of a checkout session's webhook events."""
    return plain(session_view(session))


def checkout_session(session: PaymentSession, settings: Settings, *, url: str) -> CheckoutSession:
    """The merchant API's session; `url` is its hosted page (only a request knows the host)."""
    return CheckoutSession(
        **dict(session_view(session)), url=url, upiString=payment_uri(session, settings)
    )


def created_payment_session(
    session: PaymentSession, settings: Settings, *, url: str
) -> CreatePaymentSessionResponse:
    """The seed's create answer: the seed's fields, plus the page, the UPI string and its QR."""
    uri = payment_uri(session, settings)
    return _filled(
        CreatePaymentSessionResponse,
        session,
        success=True,
        amount=rupees_decimal(session.amountPaise),
        url=url,
        upiString=uri,
        qrCode=qr_png_data_uri(uri),
    )


def order_view(order: Order) -> OrderView:
    return _filled(
        OrderView,
        order,
        totalAmount=rupees_decimal(order.totalAmountPaise),
        amountPaid=rupees_decimal(order.amountPaidPaise),
    )


def endpoint_view(endpoint: WebhookEndpoint) -> WebhookEndpointView:
    return _endpoint(WebhookEndpointView, endpoint)


def new_endpoint_view(endpoint: WebhookEndpoint) -> WebhookEndpointWithSecret:
    """As it is created: the signing secret is shown this once."""
    return _endpoint(WebhookEndpointWithSecret, endpoint)


def _endpoint(model: type[Shown], endpoint: WebhookEndpoint) -> Shown:
    url = shown_url(endpoint.url)
    return _filled(model, endpoint, id=endpoint.endpointId, url=url, events=[*endpoint.events])


def delivery_view(delivery: WebhookDelivery) -> WebhookDeliveryView:
    pending = delivery.status == _DeliveryStatus.PENDING
    return _filled(
        WebhookDeliveryView,
        delivery,
        id=delivery.deliveryId,
        url=shown_url(delivery.url),
        nextAttemptAt=delivery.nextAttemptAt if pending else None,
    )


def key_view(record: ApiKey) -> ApiKeyView:
    return _filled(ApiKeyView, record, id=record.keyId)


def issued_key_view(issued: IssuedKey, *, relay_url: str | None = None) -> ApiKeyWithSecret:
    """As it is issued: the whole key is shown this once (only its hash is kept)."""
    record = issued.record
    return _filled(
        ApiKeyWithSecret, record, id=record.keyId, secret=issued.secret, relayUrl=relay_url
    )


def link_view(link: PaymentLink, settings: Settings, *, url: str) -> PaymentLinkView:
    return _filled(
        PaymentLinkView,
        link,
        amountHint=amount_hint(link),
        url=url,
        expiresInMinutes=expiry_minutes(link, settings),
    )
