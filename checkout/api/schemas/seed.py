"""The seed API's requests and answers, field for field as the seed names them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    Field,
    StrictStr,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

from checkout.api.schemas.common import (
    NO_CONTROL_SCHEMA,
    Document,
    Email,
    Money,
    MoneyOrZero,
    OrderId,
    Schema,
    Utr,
    no_control,
)
from checkout.domain import vocabulary
from checkout.domain.money import rupees_decimal
from checkout.domain.vocabulary import pattern
from checkout.services.presenters import OrderView, Reply, Rupees, Status, Timestamp


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


class PaymentDoneBody(OrderRefBody):
    utr: Utr | None = Field(
        default=None, description="The customer's UPI reference (UTR), weighed before the tick"
    )


class UpiQrQuery(Schema):
    amount: Money
    note: (
        Annotated[
            StrictStr,
            Field(max_length=80, json_schema_extra=NO_CONTROL_SCHEMA),
            AfterValidator(no_control),
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


class MailboxCheck(Reply):
    """The bank-alert mailbox the gateway polls (EVIDENCE_IMAP_URL), from its last poll."""

    status: Literal["ok", "degraded"]
    mailbox: str = Field(description="user@host/MAILBOX, never the password")
    lastOkAt: str | None
    consecutiveFailures: int
    lastError: str | None


class HealthChecks(Reply):
    evidence: EvidenceCheck
    store: StoreCheck
    provider: ProviderCheck
    mailbox: MailboxCheck | None = None
    relay: Annotated[
        Literal["ok", "silent"] | None,
        Field(
            description="Absent until a relay has posted; `silent` (health degraded) while "
            "checkouts are payable and a relay has sent nothing for RELAY_SILENCE_MINUTES"
        ),
    ] = None


class HealthResponse(Reply):
    status: Literal["ok", "degraded", "down"]
    timestamp: Timestamp
    checks: HealthChecks


class NonceResponse(Reply):
    nonce: Annotated[str, Field(pattern=pattern(vocabulary.NONCE))]
    expiresInSeconds: int


class PaymentStatusResponse(Reply):
    status: Status


class PaymentDoneResponse(Reply):
    status: Literal["completed", "already-completed", "not-matched"]
    diff: Rupees
    sessionStatus: Status | None = Field(
        default=None, description="Only with not-matched: the checkout's own status"
    )
    expected: Rupees
    utrStatus: Literal["matched", "waiting", "mismatch"] | None = Field(
        default=None, description="Only with a utr: what the claim found"
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


class OrderResponse(Reply):
    success: Literal[True]
    order: OrderView


class SandboxCreditResponse(Reply):
    credited: Rupees
    balance: Rupees
