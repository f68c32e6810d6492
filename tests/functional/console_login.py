"""Signing in to the console in functional tests: a real user, through the real login form."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator

from flask import Flask
from flask.testing import FlaskClient

from checkout import admin, clock
from checkout.app import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import users

PASSWORD = "correct horse battery staple 42"
TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)


def csrf_app(settings: Settings) -> Iterator[Flask]:
    """The app with CSRF on, as in production, and the console registered."""
    application = create_app(settings)
    application.config.update(TESTING=True, WTF_CSRF_ENABLED=True)
    if "admin" not in application.blueprints:
        application.register_blueprint(admin.bp)
    try:
        yield application
    finally:  # also when the generator is closed early
        application.extensions[EXTENSION_KEY].stop_background()


def token(html: str) -> str:
    found = TOKEN.search(html)
    assert found, html
    return found.group(1) or found.group(2)


def sign_in(client: FlaskClient, gateway: Gateway, role: str) -> str:
    """Create a user of `role` and sign in as it; answers its id (what the audit records)."""
    email = f"{role}-{secrets.token_hex(4)}@shop.test"
    user = users.create_user(
        gateway.users,
        gateway.store,
        email=email,
        password=PASSWORD,
        role=role,
        by="test",
        now=clock.utcnow(),
    )
    form = client.get("/admin/login")
    assert form.status_code == 200, form.get_data(as_text=True)
    answer = client.post(
        "/admin/login",
        data={
            "csrf_token": token(form.get_data(as_text=True)),
            "email": email,
            "password": PASSWORD,
        },
    )
    assert answer.status_code in (302, 303), answer.get_data(as_text=True)
    user_id: str = user.id
    return user_id
