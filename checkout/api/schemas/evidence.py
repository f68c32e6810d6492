"""What relays post to /api/v1/evidence/*, and what they are answered.

One SMS body model reads all three shapes: `{"from", "text", "receivedAt"}` as JSON
or as a form (simple forwarders), and the "SMS Gateway for Android" webhook exactly
as the app posts it (`{"deviceId", "event", "id", "payload": {...}, "webhookId"}`),
of which only `event`, `payload.message` and `payload.phoneNumber` are required. An
e-mail is its raw RFC 822 bytes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, Field, RootModel, StrictStr, model_validator
from pydantic_core import PydanticCustomError

from checkout.api.schemas.common import NO_CONTROL_SCHEMA, Schema, no_control
from checkout.services.presenters import Reply, Rupees

RECEIVED = "sms:received"
PING = "system:ping"
# A bank SMS has line breaks; other control characters have no place in one.
_CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_SMS_CHARACTERS = 2000  # ten concatenated parts are about 1,530


def _message_text(value: str) -> str:
    if _CONTROL_BUT_LINES.search(value):
        raise ValueError("must not contain control characters other than line breaks and tabs")
    return value


MessageText = Annotated[
    StrictStr,
    Field(
        min_length=1,
        max_length=MAX_SMS_CHARACTERS,
        json_schema_extra={"pattern": r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"},
    ),
    AfterValidator(_message_text),
]
Sender = Annotated[
    StrictStr,
    Field(min_length=1, max_length=64, json_schema_extra=NO_CONTROL_SCHEMA),
    AfterValidator(no_control),
]
Identifier = Annotated[
    StrictStr,
    Field(min_length=1, max_length=200, json_schema_extra=NO_CONTROL_SCHEMA),
    AfterValidator(no_control),
]


def _missing(field: str) -> PydanticCustomError:
    return PydanticCustomError("missing", "Field required", {"field": field})


class SmsGatewayPayload(Schema):
    message: MessageText | None = None
    phoneNumber: Sender | None = None
    receivedAt: AwareDatetime | None = Field(
        default=None, description="In the phone's own offset, e.g. 2026-11-26T15:46:11.000+05:30"
    )
    messageId: Identifier | None = None
    simNumber: Annotated[int, Field(strict=True, ge=0, le=99)] | None = None


class SmsEvidenceBody(Schema):
    """A forwarded SMS, or the SMS Gateway app's webhook (`event` says which)."""

    from_: Sender | None = Field(
        default=None, alias="from", description="The sender header, e.g. VM-HDFCBK-S"
    )
    text: MessageText | None = None
    receivedAt: AwareDatetime | None = Field(
        default=None, description="When the phone received it (ISO 8601 with an offset)"
    )
    event: Literal["sms:received", "system:ping"] | None = Field(
        default=None, description="The SMS Gateway app's event: a message, or a heartbeat"
    )
    id: Identifier | None = Field(
        default=None, description="The app's event id: a re-delivery repeats it"
    )
    deviceId: Identifier | None = None
    webhookId: Identifier | None = None
    payload: SmsGatewayPayload | None = None

    @model_validator(mode="after")
    def _one_shape_complete(self) -> SmsEvidenceBody:
        if self.event is None:
            for name, value in (("from", self.from_), ("text", self.text)):
                if value is None:
                    raise _missing(name)
        elif self.event == RECEIVED:
            if self.payload is None:
                raise _missing("payload")
            for name in ("message", "phoneNumber"):
                if getattr(self.payload, name) is None:
                    raise _missing(f"payload.{name}")
        return self

    @property
    def is_ping(self) -> bool:
        return self.event == PING

    @property
    def sender(self) -> str:
        found = self.payload.phoneNumber if self.event else self.from_
        assert found is not None  # the validator saw to it
        return found

    @property
    def message(self) -> str:
        found = self.payload.message if self.event else self.text
        assert found is not None
        return found

    @property
    def received_at(self) -> datetime | None:
        return self.payload.receivedAt if self.event else self.receivedAt


class RawEmail(RootModel[bytes]):
    """The whole message as the mail server received it, headers first (RFC 5322)."""

    root: Annotated[bytes, Field(min_length=1)]


class EvidenceAnswer(Reply):
    """Every authenticated, well-formed post gets this with 200, whatever the outcome."""

    id: str = Field(
        description="The evidence id: a credit's id in /api/v1/credits when credited, the "
        "credit it repeats when a duplicate; the event id of a heartbeat"
    )
    outcome: Literal["credited", "duplicate", "ignored", "rejected", "unparsed", "heartbeat"]
    amount: Rupees | None = Field(default=None, description="When the message gave one")
    rrn: str | None = Field(default=None, description="The UPI reference (UTR), when given")
    bank: str | None = Field(default=None, description="The bank whose message it is")
    orderIds: list[str] = Field(description="What the credit completed (often none)")


class RelayHeartbeat(Reply):
    relay: str = Field(description="The relay, named by what it proved itself with")
    outcome: Literal["heartbeat"]
