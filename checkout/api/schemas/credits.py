"""Requests of the credits API: list, assign, dismiss (issue 9)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictStr

from checkout.api.schemas.common import OrderId, Schema, ShortText
from checkout.domain.vocabulary import CREDIT_ID, pattern

CreditId = Annotated[StrictStr, Field(pattern=pattern(CREDIT_ID.regex))]


class ListCreditsQuery(Schema):
    state: Literal["attributed", "unattributed", "conflict", "dismissed"] | None = None
    source: Annotated[StrictStr, Field(min_length=1, max_length=40)] | None = None
    rrn: Annotated[StrictStr, Field(pattern=r"^[0-9]{12}$")] | None = None
    limit: Annotated[int, Field(ge=1, le=100)] = 20
    startingAfter: CreditId | None = None


class AssignCreditBody(Schema):
    orderId: OrderId


class DismissCreditBody(Schema):
    reason: ShortText = Field(min_length=1)
