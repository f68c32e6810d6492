"""Console accounts: the first owner, more users, sign-in with a lockout, optional TOTP.

The console, the CLI and `POST /api/v1/users` all come here, so a password is hashed
one way (argon2id), an e-mail is lower-cased one way, and every sign-in attempt is
counted and audited the same whoever serves it.

Failed sign-ins count twice: against the e-mail given (known or not, so the lockout
itself tells nobody whether an account exists) and against the caller's IP. The
counters live in the store, so every process sees the same count.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import pyotp
import segno
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from checkout.config import Settings
from checkout.domain import vocabulary
from checkout.services.errors import Conflict, Forbidden, ServiceError
from checkout.storage.store import Store
from checkout.storage.users import DuplicateEmail, SeatTaken, User, UserStore

OWNER = "owner"
STAFF = "staff"
ROLES = (OWNER, STAFF)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; a megabyte of password is only a cost
MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
#: After the password, a TOTP code is awaited this long.
CODE_WAIT = timedelta(minutes=5)
TOTP_ISSUER = "UPI Checkout"
WRONG_LOGIN = "Wrong e-mail or password."
WRONG_CODE = "That code is not right (or was used already). Try the current one."
SETUP_DONE = "The first owner exists already: sign in instead."

_EMAIL = re.compile(vocabulary.EMAIL)
_CODE = re.compile(r"[0-9]{6}")
# OWASP's second argon2id setting: 19 MiB, 2 passes. Eight threads signing in at once
# stay well under 200 MB.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

# Made once per start (before gunicorn forks, so every worker holds the same one);
# `python app.py` prints it in its setup URL and nothing else ever shows it.
# It is good while no user exists, so for the first owner only.
_SETUP_TOKEN = secrets.token_urlsafe(32)


class TooManyAttempts(ServiceError):
    """Five wrong passwords for an account or from an IP within the window."""

    status = 429

    def __init__(self, retry_after: int) -> None:
        minutes = max(1, math.ceil(retry_after / 60))
        super().__init__(
            f"Too many wrong sign-ins. Try again in {minutes} minute{'s' if minutes > 1 else ''}."
        )
        self.retry_after = max(1, retry_after)

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


@dataclass(frozen=True)
class SignIn:
    """A password accepted: the session may begin, or (with TOTP) a code comes next."""

    user: User
    needs_code: bool


def setup_token() -> str:
    return _SETUP_TOKEN


def setup_url(base: str) -> str:
    return f"{base}/admin/setup?token={_SETUP_TOKEN}"


def normal_email(email: str) -> str:
    return email.strip().lower()


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    """What an unknown e-mail's password is checked against, so both take as long."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def _password_matches(stored: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def checked_email(email: str) -> str:
    value = normal_email(email)
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ServiceError("Enter an e-mail address like name@example.com", field="email")
    return value


def checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ServiceError(
            f"The password must be at least {MIN_PASSWORD} characters", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise ServiceError(
            f"The password must be at most {MAX_PASSWORD} characters", field="password"
        )
    return password


def checked_role(role: str) -> str:
    if role not in ROLES:
        raise ServiceError("The role must be owner or staff", field="role")
    return role


def create_user(
    users: UserStore,
    store: Store,
    *,
    email: str,
    password: str,
    role: str,
    by: str,
    now: datetime,
    ip: str | None = None,
    first_owner: bool = False,
) -> User:
    """Add a user (409 when the e-mail is taken); audited with who added it."""
    user = User(
        id=f"usr_{secrets.token_hex(12)}",
        email=checked_email(email),
        role=checked_role(role),
        passwordHash=hash_password(checked_password(password)),
        createdAt=now,
    )
    try:
        users.add(user, first_owner=first_owner)
    except SeatTaken:
        raise Conflict(SETUP_DONE) from None
    except DuplicateEmail:
        raise Conflict(
            "A user with this e-mail exists already", field="email", detail="taken"
        ) from None
    store.audit(
        "console_user_added",
        now=now,
        ip=ip,
        details={"user": user.id, "email": user.email, "role": user.role, "by": by},
    )
    return user


def setup_open(users: UserStore) -> bool:
    return not users.any_user()


def setup_first_owner(
    users: UserStore,
    store: Store,
    settings: Settings,
    *,
    proof: str,
    email: str,
    password: str,
    ip: str,
    now: datetime,
) -> User:
    """The first owner, by whoever holds ADMIN_SECRET (or, without one, the start-up token)."""
    if not setup_open(users):
        raise Conflict(SETUP_DONE)
    # Guesses at the secret count against the IP, like wrong passwords.
    _refuse_if_locked(users, (f"ip:{ip}",), now)
    expected = settings.admin_secret or _SETUP_TOKEN
    if not hmac.compare_digest(proof.encode(), expected.encode()):
        users.count_failure(f"ip:{ip}", now=now, length=WINDOW)
        store.audit("console_setup_refused", now=now, ip=ip, details={"email": email[:254]})
        what = "ADMIN_SECRET" if settings.admin_secret else "setup link"
        raise Forbidden(f"That is not the {what}.", field="proof")
    return create_user(
        users,
        store,
        email=email,
        password=password,
        role=OWNER,
        by="setup",
        now=now,
        ip=ip,
        first_owner=True,
    )


# -- signing in ------------------------------------------------------------------------


def _keys(email: str, ip: str) -> tuple[str, str]:
    return f"account:{normal_email(email)[:254]}", f"ip:{ip}"


def _refuse_if_locked(users: UserStore, keys: tuple[str, ...], now: datetime) -> None:
    waits = []
    for key in keys:
        window = users.window(key, now=now, length=WINDOW)
        if window is not None and window.count >= MAX_FAILURES:
            waits.append(math.ceil((window.started + WINDOW - now).total_seconds()))
    if waits:
        raise TooManyAttempts(max(waits))


def _audit(
    store: Store, outcome: str, *, email: str, user: User | None, ip: str, now: datetime
) -> None:
    """Every attempt, whatever became of it, with the e-mail given and the caller's IP."""
    store.audit(
        "console_login",
        now=now,
        ip=ip,
        details={
            "email": normal_email(email)[:254],
            "user": user.id if user else None,
            "outcome": outcome,
        },
    )


def sign_in(
    users: UserStore, store: Store, *, email: str, password: str, ip: str, now: datetime
) -> SignIn:
    """Check a password; refused with 429 while the account or the IP is locked out."""
    keys = _keys(email, ip)
    try:
        _refuse_if_locked(users, keys, now)
    except TooManyAttempts:
        _audit(store, "locked", email=email, user=None, ip=ip, now=now)
        raise
    user = users.by_email(normal_email(email)) if len(email) <= 254 else None
    matched = _password_matches(
        user.passwordHash if user else _decoy_hash(), password[:MAX_PASSWORD]
    )
    if user is None or not matched:
        for key in keys:
            users.count_failure(key, now=now, length=WINDOW)
        _audit(store, "wrong-password", email=email, user=user, ip=ip, now=now)
        raise ServiceError(WRONG_LOGIN, field="password")
    if user.totpSecret:
        _audit(store, "password-ok-code-next", email=email, user=user, ip=ip, now=now)
        return SignIn(user, needs_code=True)
    users.forget_failures(keys[0])
    _audit(store, "signed-in", email=email, user=user, ip=ip, now=now)
    return SignIn(user, needs_code=False)


def check_code(
    users: UserStore, store: Store, *, user_id: str, code: str, ip: str, now: datetime
) -> User:
    """The second step: a wrong code counts like a wrong password."""
    user = users.by_id(user_id)
    if user is None or not user.totpSecret:
        raise ServiceError(WRONG_LOGIN, field="code")
    keys = _keys(user.email, ip)
    try:
        _refuse_if_locked(users, keys, now)
    except TooManyAttempts:
        _audit(store, "locked", email=user.email, user=user, ip=ip, now=now)
        raise
    step = totp_step(user.totpSecret, code, now)
    if step is None or not users.use_totp_step(user.id, step):
        for key in keys:
            users.count_failure(key, now=now, length=WINDOW)
        _audit(store, "wrong-code", email=user.email, user=user, ip=ip, now=now)
        raise ServiceError(WRONG_CODE, field="code")
    users.forget_failures(keys[0])
    _audit(store, "signed-in", email=user.email, user=user, ip=ip, now=now)
    return user


def sign_out(users: UserStore, store: Store, *, user_id: str, ip: str, now: datetime) -> None:
    """Every session of this user ends, not only this browser's cookie."""
    users.signed_out(user_id, now)
    store.audit("console_logout", now=now, ip=ip, details={"user": user_id})


def millis(moment: datetime) -> int:
    """Unix milliseconds: how the session cookie keeps a time."""
    return int(moment.timestamp() * 1000)


def session_valid(user: User | None, signed_in_at: object) -> bool:
    """The user still exists and has not signed out since this session began."""
    if user is None or not isinstance(signed_in_at, int):
        return False
    return user.signedOutAt is None or millis(user.signedOutAt) <= signed_in_at


# -- TOTP ------------------------------------------------------------------------------


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


def totp_qr_svg(secret: str, email: str) -> str:
    """Inline SVG (no style attributes: the CSP allows none); sized by the stylesheet."""
    return segno.make(totp_uri(secret, email), error="m").svg_inline(
        scale=4, border=4, svgclass="totp-qr", title="QR code for your authenticator app"
    )


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step `code` belongs to (this one, or one either side), else None."""
    code = code.strip().replace(" ", "")
    if not _CODE.fullmatch(code):
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        moment = now + timedelta(seconds=offset * totp.interval)
        if hmac.compare_digest(totp.at(moment), code):
            return totp.timecode(moment)
    return None


def enrol_totp(
    users: UserStore, store: Store, *, user_id: str, secret: str, code: str, now: datetime
) -> None:
    step = totp_step(secret, code, now)
    if step is None:
        raise ServiceError(WRONG_CODE, field="code")
    users.set_totp(user_id, secret, step)
    store.audit("console_totp_on", now=now, details={"user": user_id})


def remove_user(users: UserStore, store: Store, *, user_id: str, by: str, now: datetime) -> None:
    if user_id == by:
        raise Conflict("You cannot remove yourself; another owner can.")
    if not users.remove_unless_last_owner(user_id):
        raise Conflict("No such user, or it is the last owner.")
    store.audit("console_user_removed", now=now, details={"user": user_id, "by": by})
