"""Console users by API: only ADMIN_SECRET (never a managed API key) adds one.

`flask users create` calls this when the store is in memory, so the user is made in
the process that holds the store; with MongoDB the command writes the store itself.
"""

from __future__ import annotations

from checkout import clock
from checkout.api.operations import Routes
from checkout.api.routes import bp
from checkout.api.schemas.users import CreateUserBody, UserView
from checkout.gateway import client_ip, current_gateway
from checkout.services import users

people = Routes(bp, tag="Console users", master_only=True)


@people.post(
    "/api/v1/users",
    "Add a console user (ADMIN_SECRET only)",
    status=201,
    errors=(409,),
    notes={409: "A user with this e-mail exists already"},
)
def create_user(body: CreateUserBody) -> UserView:
    gateway = current_gateway()
    user = users.create_user(
        gateway.users,
        gateway.store,
        email=body.email,
        password=body.password,
        role=body.role,
        by="api",
        ip=client_ip(),
        now=clock.utcnow(),
    )
    return UserView(
        id=user.id,
        email=user.email,
        role=user.role,
        totp=bool(user.totpSecret),
        createdAt=user.createdAt,
    )
