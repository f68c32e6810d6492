"""Single-use nonces: the seed's guard against a replayed create request."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from checkout.domain.vocabulary import NONCE
from checkout.services.errors import Unauthorized
from checkout.storage.store import Store

_NONCE = re.compile(NONCE)


def issue_nonce(store: Store, *, ip: str, now: datetime, lifetime: timedelta) -> str:
    value = secrets.token_hex(32)
    store.add_nonce(value, ip, now, now + lifetime)
    return value


def _well_formed(value: object) -> str:
    if not isinstance(value, str) or not _NONCE.fullmatch(value):
        raise Unauthorized("A valid nonce is required", field="nonce")
    return value


def check_nonce(store: Store, value: object, *, now: datetime) -> None:
    """Refuse a request without a live nonce before telling it anything else."""
    if not store.nonce_is_live(_well_formed(value), now):
        raise Unauthorized("Nonce is invalid, expired or already used", field="nonce")


def consume_nonce(store: Store, value: object, *, now: datetime) -> None:
    """Spend a nonce in one atomic update; anything but a fresh unused one is refused."""
    if not store.consume_nonce(_well_formed(value), now):
        raise Unauthorized("Nonce is invalid, expired or already used", field="nonce")
