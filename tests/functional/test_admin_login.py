"""Console accounts: first-owner setup, sign-in and its lockout, TOTP, idle expiry, users.

CSRF is on, as in production. Time moves only through the `clock` fixture.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from mongoengine import disconnect
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from checkout.admin import access
from checkout.app import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.services import users
from checkout.services.errors import ServiceError
from checkout.storage.models import AuditLog
from checkout.storage.store import ALIAS
from checkout.storage.users import LoginFailure, User
from tests.conftest import ADMIN_SECRET, AUTH, Clock, race
from tests.support.servers import free_port

TOKEN = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"'
)
PASSWORD = "correct horse battery"
OWNER_EMAIL = "owner@shop.test"
MEMORY = "mongomock://localhost"


@pytest.fixture
def settings(settings: Settings, mongodb_uri: str) -> Settings:
    """Every test twice: mongomock, and nx-27017 (counters, seats and TOTP steps there too)."""
    return settings.with_overrides(mongodb_uri=mongodb_uri)


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings)
    application.config.update(TESTING=True, WTF_CSRF_ENABLED=True)
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


def _token(client: FlaskClient, path: str = "/admin/login") -> str:
    html = client.get(path).get_data(as_text=True)
    found = TOKEN.search(html)
    assert found, html
    return found.group(1) or found.group(2)


def add_user(gateway: Gateway, email: str = OWNER_EMAIL, role: str = "owner") -> User:
    return users.create_user(
        gateway.users,
        gateway.store,
        email=email,
        password=PASSWORD,
        role=role,
        by="test",
        now=users_now(),
    )


def users_now() -> Any:
    from checkout import clock

    return clock.utcnow()


def login(
    client: FlaskClient,
    email: str = OWNER_EMAIL,
    password: str = PASSWORD,
    next: str | None = None,
    ip: str = "127.0.0.1",
) -> TestResponse:
    data = {"csrf_token": _token(client), "email": email, "password": password}
    if next is not None:
        data["next"] = next
    return client.post("/admin/login", data=data, environ_base={"REMOTE_ADDR": ip})


def attempts(email: str) -> list[str]:
    return [
        a.details["outcome"]
        for a in AuditLog.objects(action="console_login").order_by("timestamp")
        if a.details["email"] == email
    ]


# -- setup -------------------------------------------------------------------------------


def test_setup_with_admin_secret_creates_one_owner_then_says_done(
    client: FlaskClient, gateway: Gateway
) -> None:
    page = client.get("/admin/setup").get_data(as_text=True)
    assert "ADMIN_SECRET" in page and 'name="proof"' in page
    token = _token(client, "/admin/setup")
    form = {"csrf_token": token, "email": "Owner@Shop.TEST", "password": PASSWORD}
    wrong = client.post("/admin/setup", data={**form, "confirm": PASSWORD, "proof": "nope"})
    assert wrong.status_code == 403 and "not the ADMIN_SECRET" in wrong.get_data(as_text=True)
    token_instead = {**form, "confirm": PASSWORD, "proof": users.setup_token()}
    assert client.post("/admin/setup", data=token_instead).status_code == 403
    differ = client.post("/admin/setup", data={**form, "confirm": "x" * 12, "proof": ADMIN_SECRET})
    assert differ.status_code == 400 and "passwords differ" in differ.get_data(as_text=True)
    short = {**form, "password": "short", "confirm": "short", "proof": ADMIN_SECRET}
    assert client.post("/admin/setup", data=short).status_code == 400
    assert User.objects.count() == 0

    done = client.post("/admin/setup", data={**form, "confirm": PASSWORD, "proof": ADMIN_SECRET})
    assert done.status_code == 302 and done.headers["Location"] == "/admin/login"
    (owner,) = User.objects
    assert owner.email == OWNER_EMAIL and owner.role == "owner" and owner.id.startswith("usr_")
    assert owner.passwordHash.startswith("$argon2id$") and PASSWORD not in owner.passwordHash
    after = client.get("/admin/setup")
    html = after.get_data(as_text=True)
    assert "Setup is done" in html and 'href="/admin/login"' in html and "proof" not in html
    again = client.post("/admin/setup", data={**form, "confirm": PASSWORD, "proof": ADMIN_SECRET})
    assert again.status_code == 200 and User.objects.count() == 1


def test_without_admin_secret_the_startup_token_makes_the_first_owner_only(
    settings: Settings,
) -> None:
    app = create_app(settings.with_overrides(admin_secret=""))
    app.config.update(TESTING=True, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    bare = client.get("/admin/setup").get_data(as_text=True)
    assert "setup link" in bare and 'name="proof"' not in bare
    url = f"/admin/setup?token={users.setup_token()}"
    page = client.get(url).get_data(as_text=True)
    assert f'value="{users.setup_token()}"' in page and "ADMIN_SECRET</label>" not in page
    token = _token(client, url)
    form = {"csrf_token": token, "email": OWNER_EMAIL, "password": PASSWORD, "confirm": PASSWORD}
    assert client.post("/admin/setup", data={**form, "proof": "guess"}).status_code == 403
    for attempt in range(4):  # guesses count against the IP: the sixth is refused
        guess = client.post("/admin/setup", data={**form, "proof": f"guess {attempt}"})
        assert guess.status_code == 403
    locked = client.post("/admin/setup", data={**form, "proof": users.setup_token()})
    assert locked.status_code == 429 and "Retry-After" in locked.headers
    LoginFailure.objects.delete()  # as if the window had passed
    assert (
        client.post("/admin/setup", data={**form, "proof": users.setup_token()}).status_code == 302
    )
    assert User.objects.count() == 1
    second = {**form, "email": "second@shop.test", "proof": users.setup_token()}
    assert "Setup is done" in client.post("/admin/setup", data=second).get_data(as_text=True)
    assert User.objects.count() == 1
    app.extensions[EXTENSION_KEY].stop_background()


def test_racing_setups_create_one_owner(gateway: Gateway) -> None:
    def setup(index: int) -> str:
        try:
            users.setup_first_owner(
                gateway.users,
                gateway.store,
                gateway.settings,
                proof=ADMIN_SECRET,
                email=f"owner{index}@shop.test",
                password=PASSWORD,
                ip="127.0.0.1",
                now=users_now(),
            )
        except ServiceError as exc:
            return str(exc.status)
        return "created"

    outcomes = race(8, setup)
    assert outcomes.count("created") == 1 and set(outcomes) == {"created", "409"}
    assert User.objects(role="owner").count() == 1


# -- signing in --------------------------------------------------------------------------


def test_login_sets_a_strict_cookie_follows_a_safe_next_and_audits(
    client: FlaskClient, gateway: Gateway
) -> None:
    owner = add_user(gateway)
    assert client.get("/admin/settings/users").status_code == 302
    answer = login(client, email="Owner@Shop.test", next="/admin/settings/users")
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/settings/users"
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert client.get("/admin/settings/users").status_code == 200
    assert attempts(OWNER_EMAIL) == ["signed-in"]
    entry = AuditLog.objects(action="console_login").first()
    assert entry.ip == "127.0.0.1" and entry.details["user"] == owner.id
    # Signed in already: the login page sends you on.
    assert client.get("/admin/login?next=/admin/credits").headers["Location"] == "/admin/credits"


@pytest.mark.parametrize(
    "target", ["//evil.test/x", "https://evil.test/", "/\\evil.test", "javascript:alert(1)", ""]
)
def test_next_is_only_ever_a_local_path(client: FlaskClient, gateway: Gateway, target: str) -> None:
    add_user(gateway)
    answer = login(client, next=target)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/"


def test_the_cookie_is_secure_in_production(
    settings: Settings, nx_mongodb_uri: str, httpserver: Any
) -> None:
    production = settings.with_overrides(
        app_env="production",
        mongodb_uri=nx_mongodb_uri,
        mongodb_db_name=f"users_{uuid.uuid4().hex[:12]}",
        payment_provider="mobikwik",
        mobikwik_auth="tok",
        mobikwik_api_url=httpserver.url_for("/balance"),
        upi_id="shop@okaxis",
        wallet_receive_only=True,
        secret_key="s" * 32,
        allowed_origins=("https://shop.test",),
        metrics_token="m" * 32,
    )
    application = create_app(production)
    try:
        page = application.test_client().get("/admin/login", base_url="https://gateway.test")
        assert page.status_code == 200
        cookie = page.headers["Set-Cookie"]
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    finally:
        application.extensions[EXTENSION_KEY].stop_background()
        disconnect(ALIAS)


def test_wrong_password_and_unknown_email_answer_alike(
    client: FlaskClient, gateway: Gateway
) -> None:
    add_user(gateway)
    wrong = login(client, password="not the password")
    unknown = login(client, email="nobody@shop.test", password="not the password")
    for answer in (wrong, unknown):
        assert answer.status_code == 400
        assert "Wrong e-mail or password." in answer.get_data(as_text=True)
    assert TOKEN.sub("", wrong.get_data(as_text=True)).replace("owner@shop.test", "") == TOKEN.sub(
        "", unknown.get_data(as_text=True)
    ).replace("nobody@shop.test", "")
    assert attempts(OWNER_EMAIL) == ["wrong-password"]
    assert attempts("nobody@shop.test") == ["wrong-password"]
    assert client.get("/admin/").status_code == 302


def test_five_wrong_passwords_lock_the_account_until_the_window_passes(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    add_user(gateway)
    for attempt in range(5):
        answer = login(client, password=f"wrong password {attempt}", ip=f"10.0.0.{attempt}")
        assert answer.status_code == 400
    clock.advance(minutes=5)
    locked = login(client, ip="10.0.0.99")  # the right password, from a fresh address
    assert locked.status_code == 429
    assert int(locked.headers["Retry-After"]) == 10 * 60
    assert "Try again in 10 minutes" in locked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302  # not signed in
    assert attempts(OWNER_EMAIL)[-1] == "locked"
    clock.advance(minutes=10, seconds=1)
    assert login(client, ip="10.0.0.99").status_code == 302


def test_success_resets_the_accounts_count(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    add_user(gateway)
    for attempt in range(4):
        assert login(client, password="wrong password!", ip=f"10.1.0.{attempt}").status_code == 400
    assert login(client, ip="10.1.1.1").status_code == 302
    client.post("/admin/logout", data={"csrf_token": _token(client, "/admin/")})
    clock.advance(seconds=1)
    for attempt in range(4):
        assert login(client, password="wrong password!", ip=f"10.2.0.{attempt}").status_code == 400
    assert login(client, ip="10.3.0.1").status_code == 302  # 4 since the success, not 8
    assert LoginFailure.objects(key=f"account:{OWNER_EMAIL}").count() == 0


def test_unknown_emails_count_against_the_ip(client: FlaskClient, gateway: Gateway) -> None:
    add_user(gateway)
    for attempt in range(5):
        answer = login(client, email=f"guess{attempt}@shop.test", ip="192.0.2.7")
        assert answer.status_code == 400
    from_there = login(client, ip="192.0.2.7")  # the right password, but from that IP
    assert from_there.status_code == 429 and "Retry-After" in from_there.headers
    assert login(client, ip="192.0.2.8").status_code == 302  # another IP is not locked
    # The lockout reads the same for an account that does not exist.
    client = client.application.test_client()
    for attempt in range(5):
        login(
            client, email="ghost@shop.test", password="nope nope nope", ip=f"198.51.100.{attempt}"
        )
    ghost = login(client, email="ghost@shop.test", ip="198.51.100.200")
    assert ghost.status_code == 429


def test_failures_are_counted_in_the_store(gateway: Gateway) -> None:
    """One document per key, moved by $inc: racing failures are all counted."""
    now = users_now()
    race(10, lambda _: gateway.users.count_failure("ip:203.0.113.1", now=now, length=users.WINDOW))
    window = gateway.users.window("ip:203.0.113.1", now=now, length=users.WINDOW)
    assert window is not None and window.count == 10
    assert LoginFailure.objects(key="ip:203.0.113.1").count() == 1


# -- sessions ----------------------------------------------------------------------------


def test_idle_sessions_end_after_the_configured_minutes(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    add_user(gateway)
    assert login(client).status_code == 302
    idle = gateway.settings.admin_session_idle_minutes
    for _ in range(3):  # activity keeps it alive
        clock.advance(minutes=idle - 1)
        assert client.get("/admin/").status_code == 200
    clock.advance(minutes=idle, seconds=1)
    expired = client.get("/admin/settings/users?x=1")
    assert expired.status_code == 302
    assert expired.headers["Location"] == "/admin/login?next=/admin/settings/users?x%3D1"
    page = client.get(expired.headers["Location"]).get_data(as_text=True)
    assert f"signed out after {idle} minutes" in page
    assert client.get("/admin/").status_code == 302


def test_logout_ends_every_session_of_the_user(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    add_user(gateway)
    assert login(client).status_code == 302
    with client.session_transaction() as state:
        copied = dict(state)
    clock.advance(seconds=1)
    out = client.post("/admin/logout", data={"csrf_token": _token(client, "/admin/")})
    assert out.status_code == 302 and out.headers["Location"] == "/admin/login"
    assert client.get("/admin/").status_code == 302
    with client.session_transaction() as state:  # the old cookie, replayed
        state.update(copied)
    assert client.get("/admin/").status_code == 302
    assert AuditLog.objects(action="console_logout").count() == 1


def test_every_form_refuses_a_post_without_its_csrf_token(
    client: FlaskClient, gateway: Gateway
) -> None:
    owner = add_user(gateway)
    staff = add_user(gateway, "staff@shop.test", "staff")
    bare = {"email": OWNER_EMAIL, "password": PASSWORD, "confirm": PASSWORD}
    assert client.post("/admin/setup", data={**bare, "proof": ADMIN_SECRET}).status_code == 400
    assert client.post("/admin/login", data=bare).status_code == 400
    assert attempts(OWNER_EMAIL) == []  # refused before it was an attempt
    assert login(client).status_code == 302
    posts = {
        "/admin/logout": {},
        "/admin/login/code": {"code": "123456"},
        "/admin/account/totp": {"code": "123456"},
        "/admin/settings/users": {**bare, "email": "new@shop.test", "role": "staff"},
        f"/admin/settings/users/{staff.id}/remove": {},
    }
    for path, data in posts.items():
        answer = client.post(path, data=data)
        assert answer.status_code == 400, path
        assert "expired" in answer.get_data(as_text=True), path
    assert {u.email for u in User.objects} == {owner.email, staff.email}
    assert client.get("/admin/").status_code == 200  # still signed in


# -- users -------------------------------------------------------------------------------


def test_staff_get_403_on_the_users_page_and_owners_manage_users(
    client: FlaskClient, gateway: Gateway
) -> None:
    owner = add_user(gateway)
    add_user(gateway, "staff@shop.test", "staff")
    assert login(client, email="staff@shop.test").status_code == 302
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/settings/users").status_code == 403
    token = _token(client, "/admin/")
    new = {"email": "x@shop.test", "role": "owner", "password": PASSWORD, "confirm": PASSWORD}
    assert (
        client.post("/admin/settings/users", data={**new, "csrf_token": token}).status_code == 403
    )
    remove = client.post(f"/admin/settings/users/{owner.id}/remove", data={"csrf_token": token})
    assert remove.status_code == 403 and User.objects.count() == 2

    owner_client = client.application.test_client()
    assert login(owner_client).status_code == 302
    page = owner_client.get("/admin/settings/users").get_data(as_text=True)
    assert "staff@shop.test" in page and "owner@shop.test (you)" in page
    token = _token(owner_client, "/admin/settings/users")
    added = owner_client.post(
        "/admin/settings/users",
        data={**new, "email": "Cashier@Shop.test", "role": "staff", "csrf_token": token},
    )
    assert added.status_code == 302
    assert User.objects.get(email="cashier@shop.test").role == "staff"
    taken = owner_client.post(
        "/admin/settings/users", data={**new, "email": "cashier@shop.test", "csrf_token": token}
    )
    assert taken.status_code == 400 and "exists already" in taken.get_data(as_text=True)
    staff = User.objects.get(email="staff@shop.test")
    gone = owner_client.post(f"/admin/settings/users/{staff.id}/remove", data={"csrf_token": token})
    assert gone.status_code == 302 and User.objects(email="staff@shop.test").count() == 0
    # The removed user's session ends at once.
    assert client.get("/admin/").status_code == 302
    myself = owner_client.post(
        f"/admin/settings/users/{owner.id}/remove", data={"csrf_token": token}
    )
    assert myself.status_code == 302 and User.objects(id=owner.id).count() == 1
    assert [a.details["by"] for a in AuditLog.objects(action="console_user_removed")] == [owner.id]


def test_two_owners_removing_each_other_at_once_leave_one(gateway: Gateway) -> None:
    first = add_user(gateway, "first@shop.test")
    second = add_user(gateway, "second@shop.test")
    pairs = [(first.id, second.id), (second.id, first.id)]

    def remove(index: int) -> bool:
        by, target = pairs[index % 2]
        try:
            users.remove_user(gateway.users, gateway.store, user_id=target, by=by, now=users_now())
        except ServiceError:
            return False
        return True

    for _ in range(5):
        race(2, remove)
        assert User.objects(role="owner").count() >= 1
        for person in (first, second):
            if User.objects(id=person.id).first() is None:
                person.save(force_insert=True)


# -- TOTP --------------------------------------------------------------------------------


def test_totp_enrol_then_login_asks_for_the_code(
    client: FlaskClient, gateway: Gateway, clock: Clock
) -> None:
    owner = add_user(gateway)
    assert login(client).status_code == 302
    page = client.get("/admin/account/totp")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and 'class="totp-qr"' in html
    assert " style=" not in html
    secret = re.search(r'class="totp-secret">([A-Z2-7]+)<', html)
    assert secret
    totp = pyotp.TOTP(secret.group(1))
    token = _token(client, "/admin/account/totp")
    wrong = client.post("/admin/account/totp", data={"csrf_token": token, "code": "000000"})
    assert wrong.status_code == 400 and User.objects.get(id=owner.id).totpSecret is None
    on = client.post("/admin/account/totp", data={"csrf_token": token, "code": totp.at(clock())})
    assert on.status_code == 302 and User.objects.get(id=owner.id).totpSecret == secret.group(1)
    client.post("/admin/logout", data={"csrf_token": token})

    clock.advance(seconds=30)
    step = login(client, next="/admin/settings/users")
    assert step.status_code == 302 and step.headers["Location"].startswith("/admin/login/code")
    assert client.get("/admin/").status_code == 302  # not signed in yet
    code_page = client.get(step.headers["Location"])
    assert "6-digit code" in code_page.get_data(as_text=True)
    token = _token(client, step.headers["Location"])
    bad = client.post("/admin/login/code", data={"csrf_token": token, "code": "000000"})
    assert bad.status_code == 400
    code = totp.at(clock())
    good = client.post(
        "/admin/login/code",
        data={"csrf_token": token, "code": code, "next": "/admin/settings/users"},
    )
    assert good.status_code == 302 and good.headers["Location"] == "/admin/settings/users"
    assert attempts(OWNER_EMAIL)[-3:] == ["password-ok-code-next", "wrong-code", "signed-in"]
    # The same code does not work twice.
    client.post("/admin/logout", data={"csrf_token": _token(client, "/admin/")})
    again = login(client)
    token = _token(client, again.headers["Location"])
    replay = client.post("/admin/login/code", data={"csrf_token": token, "code": code})
    assert replay.status_code == 400


# -- the CLI and the API -----------------------------------------------------------------


@contextmanager
def serving(app: Flask, port: int) -> Iterator[None]:
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        thread.join(10)


def test_users_create_asks_the_running_server_with_the_in_memory_store(
    settings: Settings,
) -> None:
    port = free_port()
    app = create_app(settings.with_overrides(port=port, mongodb_uri=MEMORY))
    runner = app.test_cli_runner()
    args = ["users", "create", "Cashier@Shop.test", "--role", "staff"]
    with serving(app, port):
        prompted = runner.invoke(args=args, input=f"{PASSWORD}\n{PASSWORD}\n")
        assert prompted.exit_code == 0, prompted.output
        assert "added cashier@shop.test (staff)" in prompted.output
        assert PASSWORD not in prompted.output
        taken = runner.invoke(args=[*args, "--password-stdin"], input=f"{PASSWORD}\n")
        assert taken.exit_code == 1 and "exists already" in taken.output
        short = runner.invoke(
            args=["users", "create", "b@shop.test", "--role", "owner", "--password-stdin"],
            input="short\n",
        )
        assert short.exit_code == 1 and "at least 12" in short.output
    (user,) = User.objects
    assert user.email == "cashier@shop.test" and user.role == "staff"
    assert AuditLog.objects(action="console_user_added").first().details["by"] == "api"
    nobody = runner.invoke(args=[*args, "--password-stdin"], input=f"{PASSWORD}\n")
    assert nobody.exit_code == 1 and "none answers" in nobody.output
    app.extensions[EXTENSION_KEY].stop_background()


def test_users_create_on_mongodb_writes_the_store(settings: Settings, nx_mongodb_uri: str) -> None:
    app = create_app(
        settings.with_overrides(
            mongodb_uri=nx_mongodb_uri, mongodb_db_name=f"users_{uuid.uuid4().hex[:12]}"
        )
    )
    try:
        result = app.test_cli_runner().invoke(
            args=["users", "create", "owner@shop.test", "--role", "owner", "--password-stdin"],
            input=f"{PASSWORD}\n",
        )
        assert result.exit_code == 0, result.output
        (user,) = User.objects
        assert user.role == "owner" and user.passwordHash.startswith("$argon2id$")
        assert AuditLog.objects(action="console_user_added").first().details["by"] == "cli"
        # And the lockout counts on the wire server too.
        gateway: Gateway = app.extensions[EXTENSION_KEY]
        now = users_now()
        for _ in range(3):
            gateway.users.count_failure("ip:1", now=now, length=users.WINDOW)
        window = gateway.users.window("ip:1", now=now, length=users.WINDOW)
        assert window is not None and window.count == 3
    finally:
        User._get_db().client.drop_database(app.extensions[EXTENSION_KEY].settings.mongodb_db_name)
        disconnect(ALIAS)


def test_without_admin_secret_the_cli_says_how_to_make_a_user(settings: Settings) -> None:
    app = create_app(settings.with_overrides(admin_secret="", mongodb_uri=MEMORY))
    result = app.test_cli_runner().invoke(
        args=["users", "create", "a@shop.test", "--role", "owner", "--password-stdin"],
        input=f"{PASSWORD}\n",
    )
    assert result.exit_code == 1 and "ADMIN_SECRET" in result.output and "setup" in result.output
    app.extensions[EXTENSION_KEY].stop_background()


def test_the_users_endpoint_takes_only_admin_secret(client: FlaskClient) -> None:
    body = {"email": "Api@Shop.test", "password": PASSWORD, "role": "owner"}
    assert client.post("/api/v1/users", json=body).status_code == 401
    key = client.post("/api/v1/api-keys", json={"name": "shop"}, headers=AUTH).get_json()
    managed = {"Authorization": f"Bearer {key['secret']}"}
    refused = client.post("/api/v1/users", json=body, headers=managed)
    assert refused.status_code == 403 and User.objects.count() == 0
    created = client.post("/api/v1/users", json=body, headers=AUTH)
    assert created.status_code == 201, created.get_json()
    answer = created.get_json()
    assert answer["email"] == "api@shop.test" and answer["role"] == "owner"
    assert answer["totp"] is False and "password" not in str(answer).lower()
    taken = client.post("/api/v1/users", json=body, headers=AUTH)
    assert taken.status_code == 409 and taken.get_json()["details"][0]["field"] == "email"
    short = client.post("/api/v1/users", json={**body, "password": "short"}, headers=AUTH)
    assert short.status_code == 400 and short.get_json()["details"][0]["field"] == "password"
    role = client.post(
        "/api/v1/users", json={**body, "email": "r@shop.test", "role": "boss"}, headers=AUTH
    )
    assert role.status_code == 400 and role.get_json()["details"][0]["field"] == "role"
    document = client.get("/api/v1/openapi.json").get_json()
    assert "post" in document["paths"]["/api/v1/users"]
    assert "409" in document["paths"]["/api/v1/users"]["post"]["responses"]


def test_a_signed_in_session_needs_a_real_user(client: FlaskClient) -> None:
    """A cookie naming a user who does not exist signs nobody in."""
    with client.session_transaction() as state:
        state[access.USER_KEY] = "usr_nobody"
        state[access.ROLE_KEY] = access.OWNER
    assert client.get("/admin/settings/users").status_code == 302
