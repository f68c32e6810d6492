"""Idempotency-Key: the same key and body get the first answer again; another body gets 409.

The first request claims the key with one insert (a unique index), so
concurrent retries create one checkout; the others wait for its answer.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from checkout.services.errors import Conflict, ServiceError
from checkout.storage.merchant import MerchantStore

KEEP_FOR = timedelta(hours=24)
KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")


class InvalidIdempotencyKey(ServiceError):
    """Not 1-255 visible ASCII characters: a 400 before anything is claimed."""


def run_once(
    merchant: MerchantStore,
    *,
    scope: str,
    key: str,
    body: bytes,
    now: datetime,
    produce: Callable[[], tuple[int, str]],
    wait_seconds: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[int, str, bool]:
    """Run `produce` once per (scope, key); returns (status, body, replayed).

    `produce` gives the answer to keep, refusals included (the caller writes them
    the way it writes any error); if it raises, nothing was decided and the key is free.
    """
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidIdempotencyKey(
            "Idempotency-Key must be 1-255 visible ASCII characters", field="Idempotency-Key"
        )
    request_hash = hashlib.sha256(body).hexdigest()
    if merchant.claim_idempotency(scope, key, request_hash, now, KEEP_FOR) is None:
        return _replay(merchant, scope, key, request_hash, wait_seconds, sleep)
    try:
        status, answer = produce()
    except Exception:
        merchant.release_idempotency(scope, key)
        raise
    merchant.finish_idempotency(scope, key, status, answer)
    return status, answer, False


def _replay(
    merchant: MerchantStore,
    scope: str,
    key: str,
    request_hash: str,
    wait_seconds: float,
    sleep: Callable[[float], None],
) -> tuple[int, str, bool]:
    deadline = time.monotonic() + wait_seconds
    while True:
        record = merchant.idempotency_record(scope, key)
        if record is None:
            raise Conflict("The first request with this Idempotency-Key failed; retry it")
        if record.requestHash != request_hash:
            raise Conflict(
                "This Idempotency-Key was used with a different request body",
                field="Idempotency-Key",
            )
        if record.state == "done":
            return record.statusCode, record.body, True
        if time.monotonic() >= deadline:
            raise Conflict(
                "A request with this Idempotency-Key is still in progress",
                field="Idempotency-Key",
            )
        sleep(0.05)
