"""Console users and the failed-login counters, in the Store's database.

Every change here is one conditional operation: the first owner is an insert that a
unique seat admits once, a counter moves by one `$inc` inside its window, and a used
TOTP step is refused by the same update that records it, so several processes (and
racing requests) agree without a lock of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from mongoengine import Document, IntField, StringField
from mongoengine.errors import NotUniqueError
from pymongo.errors import DuplicateKeyError

from checkout.storage.models import UTCDateTimeField

FIRST_OWNER_SEAT = "first-owner"
#: Failed logins are forgotten this long after their window opened (a TTL index).
COUNTER_KEPT = timedelta(days=1)


class User(Document):
    meta = {
        "collection": "users",
        "indexes": [
            {"fields": ["email"], "unique": True},
            # Every user's seat is its own id, except the first owner's: racing setups
            # insert the same seat, and the unique index admits one of them.
            {"fields": ["seat"], "unique": True},
        ],
    }

    id = StringField(primary_key=True)  # usr_…
    email = StringField(required=True, max_length=254)  # lower-cased
    role = StringField(required=True, choices=("owner", "staff"))
    passwordHash = StringField(required=True)  # argon2id
    totpSecret = StringField()  # base32; None: no second factor
    totpStep = IntField()  # the last TOTP time step accepted (a code works once)
    seat = StringField(required=True)
    createdAt = UTCDateTimeField(required=True)
    signedOutAt = UTCDateTimeField()  # sessions that began before this are over


class LoginFailure(Document):
    """Wrong passwords for one key ("account:<email>" or "ip:<address>") in one window."""

    meta = {
        "collection": "login_failures",
        "indexes": [
            {"fields": ["key"], "unique": True},
            {"fields": ["expireAt"], "expireAfterSeconds": 0},
        ],
    }

    key = StringField(required=True)
    # Unix seconds, not a date: nx-27017 keeps a `$set` date as text, and compares ints right.
    windowStart = IntField(required=True)
    count = IntField(required=True, default=0)
    expireAt = UTCDateTimeField(required=True)


class DuplicateEmail(ValueError):
    """A user with this e-mail exists already."""


class SeatTaken(ValueError):
    """The first owner exists already (another setup won the race)."""


@dataclass(frozen=True)
class Window:
    count: int
    started: datetime


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


class UserStore:
    """Repository for console users and their failed-login counters."""

    def ensure_indexes(self) -> None:
        User.ensure_indexes()
        LoginFailure.ensure_indexes()

    # -- users ---------------------------------------------------------------------

    def any_user(self) -> bool:
        return User.objects.first() is not None

    def add(self, user: User, *, first_owner: bool = False) -> User:
        """Insert `user`; as the first owner, only if no other setup got there first."""
        user.seat = FIRST_OWNER_SEAT if first_owner else user.id
        try:
            user.save(force_insert=True)
        except (NotUniqueError, DuplicateKeyError) as exc:
            if first_owner and User.objects(seat=FIRST_OWNER_SEAT).first() is not None:
                raise SeatTaken(user.email) from exc
            raise DuplicateEmail(user.email) from exc
        return user

    def by_id(self, user_id: str) -> User | None:
        return User.objects(id=user_id).first()

    def by_email(self, email: str) -> User | None:
        return User.objects(email=email).first()

    def all(self) -> list[User]:
        return list(User.objects.order_by("createdAt", "email"))

    def owners(self) -> int:
        return User.objects(role="owner").count()

    def remove(self, user_id: str) -> bool:
        return bool(User.objects(id=user_id).delete())

    def remove_unless_last_owner(self, user_id: str) -> bool:
        """Remove a user; an owner only while another owner remains.

        Two owners removing each other at once both pass the first check; whoever then
        finds no owner left puts theirs back, so the console always keeps one.
        """
        user = self.by_id(user_id)
        if user is None:
            return False
        owner = user.role == "owner"
        if owner and User.objects(role="owner", id__ne=user_id).count() == 0:
            return False
        if not self.remove(user_id):
            return False
        if owner and self.owners() == 0:
            user.save(force_insert=True)
            return False
        return True

    def set_totp(self, user_id: str, secret: str | None, step: int | None) -> bool:
        return bool(User.objects(id=user_id).update_one(set__totpSecret=secret, set__totpStep=step))

    def use_totp_step(self, user_id: str, step: int) -> bool:
        """Accept a TOTP step once: the update matches only while it is newer than the last."""
        fresh = User.objects(id=user_id, totpStep__lt=step).update_one(set__totpStep=step)
        if fresh:
            return True
        return bool(User.objects(id=user_id, totpStep=None).update_one(set__totpStep=step))

    def signed_out(self, user_id: str, now: datetime) -> None:
        User.objects(id=user_id).update_one(set__signedOutAt=now)

    # -- failed logins ---------------------------------------------------------------

    def window(self, key: str, *, now: datetime, length: timedelta) -> Window | None:
        """The key's open window, if its first failure is less than `length` ago."""
        found = LoginFailure.objects(key=key, windowStart__gt=_seconds(now - length)).first()
        if found is None:
            return None
        return Window(found.count, datetime.fromtimestamp(found.windowStart, UTC))

    def count_failure(self, key: str, *, now: datetime, length: timedelta) -> None:
        """One more failure: `$inc` inside the open window, else open a new one."""
        cutoff, start = _seconds(now - length), _seconds(now)
        expire = now + COUNTER_KEPT
        if LoginFailure.objects(key=key, windowStart__gt=cutoff).update_one(inc__count=1):
            return
        # The old window is over: the update that restarts it matches once.
        if LoginFailure.objects(key=key, windowStart__lte=cutoff).update_one(
            set__windowStart=start, set__count=1, set__expireAt=expire
        ):
            return
        try:
            LoginFailure(key=key, windowStart=start, count=1, expireAt=expire).save(
                force_insert=True
            )
        except (NotUniqueError, DuplicateKeyError):  # another process opened it just now
            LoginFailure.objects(key=key).update_one(inc__count=1)

    def forget_failures(self, key: str) -> None:
        LoginFailure.objects(key=key).delete()
