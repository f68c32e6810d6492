"""Requests of the refunds API (issue 10): amounts in rupees, like every other amount."""

from __future__ import annotations

from pydantic import Field

from checkout.api.schemas.common import Money, Schema, ShortText, Utr


class CreateRefundBody(Schema):
    amount: Money
    utr: Utr | None = None
    note: ShortText | None = Field(default=None, min_length=1)
    fromWallet: bool = Field(
        default=False,
        description=(
            "Sent from the watched wallet. With a balance-only wallet its next balance "
            "reading then adds the refund back, so a payment beside it is read whole."
        ),
    )
