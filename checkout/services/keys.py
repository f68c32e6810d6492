"""API keys: made once, shown once, stored as a hash, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from checkout.config import Settings
from checkout.domain.vocabulary import API_KEY_ID
from checkout.storage.merchant import ApiKey, MerchantStore
from checkout.webhooks import signing_key

MASTER_KEY_ID = "master"


@dataclass(frozen=True)
class Caller:
    """Who is calling the merchant API, and the key its redirects are signed with."""

    key_id: str
    signing_key: str


@dataclass(frozen=True)
class IssuedKey:
    record: ApiKey
    secret: str  # the whole key: shown to the merchant once, never stored


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(merchant: MerchantStore, *, name: str, sandbox: bool, now: datetime) -> IssuedKey:
    mode = "test" if sandbox else "live"
    key_id = API_KEY_ID.prefix + secrets.token_hex(API_KEY_ID.hex_digits // 2)
    secret = f"sk_{mode}_{secrets.token_urlsafe(32)}"
    record = merchant.add_key(
        ApiKey(
            keyId=key_id,
            name=name,
            mode=mode,
            prefix=secret[:12],
            hash=_digest(secret),
            signingKey=signing_key(secret),
            createdAt=now,
        )
    )
    return IssuedKey(record=record, secret=secret)


def master_caller(settings: Settings) -> Caller:
    return Caller(MASTER_KEY_ID, signing_key(settings.admin_secret))


def authenticate(
    merchant: MerchantStore, settings: Settings, token: str, *, now: datetime
) -> Caller | None:
    """ADMIN_SECRET is the master key; any other token must hash to a live, unrevoked key."""
    master = settings.admin_secret
    if master and hmac.compare_digest(token.encode(), master.encode()):
        return master_caller(settings)
    digest = _digest(token)
    record = merchant.key_by_hash(digest)
    if record is None or not hmac.compare_digest(record.hash, digest):
        return None
    merchant.touch_key(record.keyId, now)
    return Caller(record.keyId, record.signingKey)


def signing_key_for(merchant: MerchantStore, settings: Settings, key_id: str | None) -> str | None:
    """The key a checkout's redirect is signed with: the one that created it."""
    if not key_id:
        return None
    if key_id == MASTER_KEY_ID:
        return master_caller(settings).signing_key if settings.admin_secret else None
    record = merchant.key_by_id(key_id)
    return record.signingKey if record is not None and record.revokedAt is None else None
