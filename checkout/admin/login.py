"""Console sign-in: first-owner setup, login (password, then a TOTP code when enrolled),
logout, TOTP enrolment, and the idle expiry every console request passes.

The views parse the form and call checkout.services.users, which counts failures in
the store and audits every attempt. The session cookie holds who is signed in, since
when, and when they were last seen; a session idle for ADMIN_SESSION_IDLE_MINUTES, or
begun before its user signed out (anywhere), is over.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import EmailField, HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from checkout import clock
from checkout.admin.access import ROLE_KEY, USER_KEY, bp, current_user_id, safe_next, signed_in
from checkout.gateway import client_ip, current_gateway
from checkout.services import users
from checkout.services.errors import ServiceError
from checkout.storage.users import User

# Times in the cookie are whole unix milliseconds: the app's JSON reads a float as Decimal.
SEEN_KEY = "admin_seen"  # the last console request
SINCE_KEY = "admin_since"  # the sign-in
PENDING_KEY = "admin_pending"  # {"user", "at"}: password accepted, TOTP code awaited
TOTP_KEY = "admin_totp_secret"  # a secret being enrolled, until its first code is shown
#: Console pages a signed-out visitor may open.
OPEN_ENDPOINTS = {"admin.login", "admin.login_code", "admin.setup", "admin.logout"}


class SetupForm(FlaskForm):
    proof = PasswordField("ADMIN_SECRET", validators=[DataRequired(), Length(max=1024)])
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        f"Password (at least {users.MIN_PASSWORD} characters)",
        validators=[DataRequired(), Length(min=users.MIN_PASSWORD, max=users.MAX_PASSWORD)],
    )
    confirm = PasswordField(
        "Password again",
        validators=[DataRequired(), EqualTo("password", message="The passwords differ.")],
    )


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=1024)])
    next = HiddenField()


class CodeForm(FlaskForm):
    code = StringField("6-digit code from your authenticator app", validators=[DataRequired()])
    next = HiddenField()


class LogoutForm(FlaskForm):
    pass


def _now() -> int:
    return users.millis(clock.utcnow())


def _begin(user: User) -> None:
    """A fresh session: nothing from before the sign-in carries over."""
    session.clear()
    now = _now()
    session[USER_KEY] = user.id
    session[ROLE_KEY] = user.role
    session[SINCE_KEY] = now
    session[SEEN_KEY] = now


def _login_again() -> Response:
    target = request.full_path.rstrip("?") if request.method == "GET" else request.path
    return redirect(url_for("admin.login", next=target))


@bp.before_request
def _session_still_good() -> Response | None:
    """Idle too long, removed, or signed out elsewhere: the session ends here."""
    user_id = current_user_id()
    if user_id is None:
        return None
    gateway = current_gateway()
    now = _now()
    seen = session.get(SEEN_KEY)
    idle = gateway.settings.admin_session_idle_minutes
    user = gateway.users.by_id(user_id)
    fresh = isinstance(seen, int) and now - seen <= idle * 60_000
    if fresh and users.session_valid(user, session.get(SINCE_KEY)):
        assert user is not None
        session[SEEN_KEY] = now
        session[ROLE_KEY] = user.role  # a role changed in the store applies at once
        return None
    session.clear()
    if not fresh:
        flash(f"You were signed out after {idle} minutes without activity. Sign in again.")
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    return _login_again()


@bp.route("/setup", methods=["GET", "POST"])
def setup() -> Any:
    gateway = current_gateway()
    if not users.setup_open(gateway.users):
        return render_template("admin/setup.html", done=True, form=None)
    with_secret = bool(gateway.settings.admin_secret)
    form = SetupForm()
    # Without ADMIN_SECRET the proof is the start-up token, carried from the printed URL.
    token = "" if with_secret else (request.args.get("token") or form.proof.data or "")
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            users.setup_first_owner(
                gateway.users,
                gateway.store,
                gateway.settings,
                proof=form.proof.data or "",
                email=form.email.data or "",
                password=form.password.data or "",
                ip=client_ip(),
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            error, status, headers = exc.message, exc.status, exc.headers()
        else:
            flash("The owner account is ready: sign in.")
            return redirect(url_for("admin.login"))
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "admin/setup.html",
            done=False,
            form=form,
            with_secret=with_secret,
            token=token,
            error=error,
        ),
        status,
        headers,
    )


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    gateway = current_gateway()
    target = request.values.get("next")
    if current_user_id() is not None and request.method == "GET":
        return redirect(safe_next(target))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = target or ""
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            outcome = users.sign_in(
                gateway.users,
                gateway.store,
                email=form.email.data or "",
                password=form.password.data or "",
                ip=client_ip(),
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            error, status, headers = exc.message, exc.status, exc.headers()
        else:
            if outcome.needs_code:
                session.clear()
                session[PENDING_KEY] = {"user": outcome.user.id, "at": _now()}
                return redirect(url_for("admin.login_code", next=form.next.data or None))
            _begin(outcome.user)
            return redirect(safe_next(form.next.data))
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "admin/login.html",
            form=form,
            error=error,
            setup_open=users.setup_open(gateway.users),
        ),
        status,
        headers,
    )


@bp.route("/login/code", methods=["GET", "POST"])
def login_code() -> Any:
    gateway = current_gateway()
    pending = session.get(PENDING_KEY)
    waited = users.CODE_WAIT.total_seconds() * 1000
    if not isinstance(pending, dict) or _now() - int(pending.get("at", 0)) > waited:
        session.pop(PENDING_KEY, None)
        return redirect(url_for("admin.login", next=request.args.get("next")))
    form = CodeForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    error, status, headers = None, 200, {}
    if form.validate_on_submit():
        try:
            user = users.check_code(
                gateway.users,
                gateway.store,
                user_id=str(pending.get("user")),
                code=form.code.data or "",
                ip=client_ip(),
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            error, status, headers = exc.message, exc.status, exc.headers()
        else:
            _begin(user)
            return redirect(safe_next(form.next.data))
    elif request.method == "POST":
        status = 400
    return render_template("admin/login.html", code_form=form, error=error), status, headers


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    LogoutForm().validate_on_submit()  # CSRFProtect has refused a post without a token
    user_id = current_user_id()
    if user_id is not None:
        gateway = current_gateway()
        users.sign_out(
            gateway.users, gateway.store, user_id=user_id, ip=client_ip(), now=clock.utcnow()
        )
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.login"))


class TotpForm(FlaskForm):
    code = StringField("6-digit code from your authenticator app", validators=[DataRequired()])


@bp.route("/account/totp", methods=["GET", "POST"])
@signed_in
def totp() -> Any:
    gateway = current_gateway()
    user = gateway.users.by_id(current_user_id() or "")
    assert user is not None  # the session check has just found them
    form = TotpForm()
    error = None
    if user.totpSecret:
        if form.validate_on_submit():
            if users.totp_step(user.totpSecret, form.code.data or "", clock.utcnow()) is None:
                error = users.WRONG_CODE
            else:
                gateway.users.set_totp(user.id, None, None)
                gateway.store.audit(
                    "console_totp_off", now=clock.utcnow(), details={"user": user.id}
                )
                flash("Two-step sign-in is off.")
                return redirect(url_for("admin.totp"))
        return render_template("admin/totp.html", enrolled=True, form=form, error=error), (
            400 if error or form.errors else 200
        )
    secret = session.get(TOTP_KEY)
    if not isinstance(secret, str):
        secret = session[TOTP_KEY] = users.new_totp_secret()
    if form.validate_on_submit():
        try:
            users.enrol_totp(
                gateway.users,
                gateway.store,
                user_id=user.id,
                secret=secret,
                code=form.code.data or "",
                now=clock.utcnow(),
            )
        except ServiceError as exc:
            error = exc.message
        else:
            session.pop(TOTP_KEY, None)
            flash("Two-step sign-in is on: the next sign-in asks for a code.")
            return redirect(url_for("admin.totp"))
    return render_template(
        "admin/totp.html",
        enrolled=False,
        form=form,
        error=error,
        secret=secret,
        qr=users.totp_qr_svg(secret, user.email),
    ), (400 if error or form.errors else 200)
