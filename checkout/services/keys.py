"""API keys: made once, shown once, stored as a hash, checked in constant time.

A key's scope says what it may do: `all` is the merchant API (every key made
before scopes existed), `evidence` only posts bank messages, so a key kept on a
phone cannot open, cancel or read a checkout. A relay URL token is an evidence key
sent as `?token=` by forwarders that can set no header; it is never a Bearer key,
and a Bearer key is never a URL token (a URL is logged in more places).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from checkout.config import Settings
from checkout.domain.vocabulary import API_KEY_ID
from checkout.storage.merchant import ApiKey, MerchantStore
from checkout.webhooks import signing_key

MASTER_KEY_ID = "master"
SCOPE_ALL = "all"
SCOPE_EVIDENCE = "evidence"
SCOPES = (SCOPE_ALL, SCOPE_EVIDENCE)
# What a relay is called in the evidence ledger, by what it proved itself with.
ADMIN_RELAY = "admin"
KEY_RELAY = "key:"
URL_RELAY = "token:"
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Caller:
    """Who is calling the merchant API, and the key its redirects are signed with."""

    key_id: str
    signing_key: str
    scope: str = SCOPE_ALL


@dataclass(frozen=True)
class IssuedKey:
    record: ApiKey
    secret: str  # the whole key: shown to the merchant once, never stored


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_key(
    merchant: MerchantStore,
    *,
    name: str,
    sandbox: bool,
    now: datetime,
    scope: str = SCOPE_ALL,
    url_token: bool = False,
) -> IssuedKey:
    """A URL token is for evidence only: the caller's request says so (ValueError if not)."""
    if scope not in SCOPES or (url_token and scope != SCOPE_EVIDENCE):
        raise ValueError(f"no key of scope {scope!r} (url_token={url_token})")
    mode = "test" if sandbox else "live"
    key_id = API_KEY_ID.prefix + secrets.token_hex(API_KEY_ID.hex_digits // 2)
    kind = "rt" if url_token else "sk"
    secret = f"{kind}_{mode}_{secrets.token_urlsafe(32)}"
    record = merchant.add_key(
        ApiKey(
            keyId=key_id,
            name=name,
            mode=mode,
            prefix=secret[:12],
            hash=_digest(secret),
            signingKey=signing_key(secret),
            scope=scope,
            urlToken=url_token,
            createdAt=now,
        )
    )
    return IssuedKey(record=record, secret=secret)


def relay_sms_url(base_url: str, token: str) -> str:
    """Where a forwarder that can set no header posts bank SMS: the token rides along."""
    return f"{base_url}/api/v1/evidence/sms?token={token}"


def master_caller(settings: Settings) -> Caller:
    return Caller(MASTER_KEY_ID, signing_key(settings.admin_secret))


def _is_master(settings: Settings, token: str) -> bool:
    master = settings.admin_secret
    return bool(master) and hmac.compare_digest(token.encode(), master.encode())


def _live_key(merchant: MerchantStore, token: str, *, url_token: bool) -> ApiKey | None:
    """The unrevoked key this token hashes to, if it is sent the way that key is sent."""
    digest = _digest(token)
    record = merchant.key_by_hash(digest)
    if record is None or not hmac.compare_digest(record.hash, digest):
        return None
    if bool(record.urlToken) != url_token:
        return None
    return record


def _touch(merchant: MerchantStore, record: ApiKey, now: datetime) -> None:
    """lastUsedAt to the minute: a key polling 200 times a second writes once a minute,
    not on every request."""
    if record.lastUsedAt is None or now - record.lastUsedAt >= TOUCH_EVERY:
        merchant.touch_key(record.keyId, now)


def authenticate(
    merchant: MerchantStore, settings: Settings, token: str, *, now: datetime
) -> Caller | None:
    """ADMIN_SECRET is the master key; any other token must hash to a live, unrevoked key."""
    if _is_master(settings, token):
        return master_caller(settings)
    record = _live_key(merchant, token, url_token=False)
    if record is None:
        return None
    _touch(merchant, record, now)
    return Caller(record.keyId, record.signingKey, record.scope or SCOPE_ALL)


def evidence_relay(
    merchant: MerchantStore, settings: Settings, token: str, *, url_token: bool, now: datetime
) -> tuple[str | None, bool]:
    """(relay id, known): who may post evidence with this Bearer key or URL token.

    ADMIN_SECRET (as a Bearer key) and evidence keys may; a key of scope `all` is known
    but may not (a shop's backend key could otherwise pay its own checkouts).
    """
    if not url_token and _is_master(settings, token):
        return ADMIN_RELAY, True
    record = _live_key(merchant, token, url_token=url_token)
    if record is None:
        return None, False
    _touch(merchant, record, now)
    if record.scope != SCOPE_EVIDENCE:
        return None, True
    return (URL_RELAY if url_token else KEY_RELAY) + record.keyId, True


def signing_key_for(merchant: MerchantStore, settings: Settings, key_id: str | None) -> str | None:
    """The key a checkout's redirect is signed with: the one that created it."""
    if not key_id:
        return None
    if key_id == MASTER_KEY_ID:
        return master_caller(settings).signing_key if settings.admin_secret else None
    record = merchant.key_by_id(key_id)
    return record.signingKey if record is not None and record.revokedAt is None else None
