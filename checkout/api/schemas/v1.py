"""The merchant API's (/api/v1) requests, and the lists and acknowledgements it answers."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StrictBool,
    StrictStr,
    model_validator,
)
from pydantic_core import PydanticCustomError

from checkout.api.schemas.common import (
    NO_CONTROL_SCHEMA,
    Document,
    Email,
    Money,
    OrderId,
    Schema,
    ShortText,
    Url,
    Utr,
    no_control,
)
from checkout.domain import vocabulary
from checkout.domain.vocabulary import pattern
from checkout.services.presenters import (
    ApiKeyView,
    CheckoutSession,
    DeliveryStatus,
    EventId,
    EventType,
    KeyScope,
    Reply,
    SessionId,
    Status,
    WebhookDeliveryView,
    WebhookEndpointView,
)


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


class ListCheckoutSessionsQuery(Schema):
    status: Status | None = None
    orderId: OrderId | None = None
    createdAfter: AwareDatetime | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    startingAfter: SessionId | None = None


class CreateWebhookEndpointBody(Schema):
    url: Url
    events: Annotated[list[EventType], Field(min_length=1, max_length=8)] | None = None


class ListWebhookDeliveriesQuery(Schema):
    status: DeliveryStatus | None = None
    eventId: EventId | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 50


class CreateApiKeyBody(Schema):
    name: Annotated[
        StrictStr,
        Field(min_length=1, max_length=100, json_schema_extra=NO_CONTROL_SCHEMA),
        AfterValidator(no_control),
    ]
    scope: KeyScope = Field(
        default="all", description="all: the merchant API; evidence: only /api/v1/evidence/*"
    )
    urlToken: StrictBool = Field(
        default=False,
        description="A relay URL token (?token=) instead of a Bearer key; scope evidence only",
    )

    @model_validator(mode="after")
    def _url_tokens_post_evidence_only(self) -> CreateApiKeyBody:
        if self.urlToken and self.scope != "evidence":
            raise PydanticCustomError(
                "url_token_scope", "a relay URL token needs scope evidence", {"field": "scope"}
            )
        return self


class CreatePaymentLinkBody(Schema):
    title: Annotated[
        StrictStr,
        Field(min_length=1, max_length=120, json_schema_extra=NO_CONTROL_SCHEMA),
        AfterValidator(no_control),
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


class CheckoutSessionList(Reply):
    object: Literal["list"]
    data: list[CheckoutSession]
    hasMore: bool
    nextCursor: SessionId | None = Field(description="Pass as startingAfter for the next page")


class WebhookEndpointList(Reply):
    object: Literal["list"]
    data: list[WebhookEndpointView]


class DeletedWebhookEndpoint(Reply):
    id: str
    deleted: Literal[True]


class WebhookDeliveryList(Reply):
    object: Literal["list"]
    data: list[WebhookDeliveryView]


class ApiKeyList(Reply):
    object: Literal["list"]
    data: list[ApiKeyView]


class RevokedApiKey(Reply):
    id: str
    revoked: Literal[True]


class ClaimUtrBody(Schema):
    utr: Utr


class UtrClaimAnswer(Reply):
    status: Status = Field(description="The checkout's status after the claim")
    utrStatus: Literal["matched", "waiting", "mismatch"]


class ListUtrClaimsQuery(Schema):
    status: Literal["waiting", "matched", "mismatch", "expired"] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 100
