"""Console users through the API (`POST /api/v1/users`): what the CLI sends with the
in-memory store, where the users live inside the running server."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictStr

from checkout.api.schemas.common import Email, Schema
from checkout.services.presenters import Reply, Timestamp
from checkout.services.users import MAX_PASSWORD, MIN_PASSWORD

UserRole = Literal["owner", "staff"]


class CreateUserBody(Schema):
    email: Email
    password: Annotated[StrictStr, Field(min_length=MIN_PASSWORD, max_length=MAX_PASSWORD)]
    role: UserRole = "staff"


class UserView(Reply):
    id: Annotated[str, Field(pattern=r"^usr_[0-9a-f]{24}$")]
    email: str
    role: UserRole
    totp: bool = Field(description="Two-step sign-in (TOTP) is on")
    createdAt: Timestamp
