"""`flask users create EMAIL --role owner|staff`: a console user, from the terminal.

The password is asked twice (hidden), or read from stdin with --password-stdin (one
line, for scripts). With MongoDB the command writes the store; with the in-memory
store the users live inside the running server, so it asks that server
(`POST /api/v1/users`, which only ADMIN_SECRET may call), as the other commands do.
"""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import AppGroup

from checkout import clock
from checkout.cli import RemoteBackend
from checkout.gateway import current_gateway
from checkout.services import users
from checkout.services.errors import ServiceError
from checkout.terminal import VERBOSE, failure, say


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        return users.checked_password(password)
    except ServiceError as exc:
        raise failure(exc.message) from None


def _create(email: str, password: str, role: str) -> tuple[str, str]:
    gateway = current_gateway()
    settings = gateway.settings
    if not settings.in_memory_store:
        try:
            user = users.create_user(
                gateway.users,
                gateway.store,
                email=email,
                password=password,
                role=role,
                by="cli",
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            raise failure(exc.message) from None
        return user.id, user.email
    if not settings.admin_secret:
        raise failure(
            "the in-memory store lives in the running server, which only ADMIN_SECRET may ask "
            "for a user: set ADMIN_SECRET for both, or open the setup link `make run` printed"
        )
    answer = RemoteBackend(settings)._call(
        "POST", "/api/v1/users", {"email": email, "password": password, "role": role}
    )
    return str(answer["id"]), str(answer["email"])


def register(app: Flask) -> None:
    group = AppGroup("users", help="Console users (the merchant's staff and owners).")

    @group.command("create")
    @click.argument("email")
    @click.option(
        "--role",
        type=click.Choice(users.ROLES),
        required=True,
        help="owner: also manages users, keys, webhooks and links; staff: payments only.",
    )
    @click.option("--password-stdin", is_flag=True, help="Read the password from stdin (one line).")
    def users_create(email: str, role: str, password_stdin: bool) -> None:
        """Add a console user; the password is asked twice, never echoed."""
        try:
            address = users.checked_email(email)
        except ServiceError as exc:
            raise failure(exc.message) from None
        user_id, shown = _create(address, _password(password_stdin), role)
        say(f"added {shown} ({role}), id {user_id}; sign in at /admin/login")

    for command in (group, users_create):
        command.params.append(VERBOSE)
    app.cli.add_command(group)
