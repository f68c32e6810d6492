"""Personal data is kept while its purpose lasts (PII_RETENTION_DAYS), then erased.

The daily run takes a lease of its own in wallet_state, beside the wallet's and the
mailbox's, so that of all the processes running a ticker exactly one erases each day,
and one that dies mid-run leaves a lease the next takes over.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from pymongo.errors import PyMongoError

from checkout.config import Settings
from checkout.services import wallet
from checkout.storage.retention import Erased, PersonalDataStore
from checkout.storage.store import Store

log = logging.getLogger(__name__)

LEASE_ID = "retention"
LEASE = timedelta(minutes=10)
EVERY = timedelta(days=1)
RETRY_AFTER_FAULT = timedelta(hours=1)
PURGED = "personal-data.purged"
ERASED = "customer.erased"


def cutoff(settings: Settings, now: datetime) -> datetime:
    return now - timedelta(days=settings.pii_retention_days)


def purge_personal_data(
    store: Store,
    repo: PersonalDataStore,
    settings: Settings,
    *,
    now: datetime,
    dry_run: bool,
    by: str,
) -> Erased:
    """Erase (or, in a dry run, count) what is older than the retention period; audited."""
    erased = repo.erase_older_than(cutoff(settings, now), now, dry_run=dry_run)
    if not dry_run:
        store.audit(
            PURGED,
            now=now,
            details={"by": by, "before": cutoff(settings, now).isoformat(), **erased.counts},
        )
    return erased


def erase_customer(
    store: Store, repo: PersonalDataStore, email: str, *, now: datetime, dry_run: bool, by: str
) -> Erased:
    """A customer's request to be forgotten. The audit names their checkouts, not them."""
    erased = repo.erase_customer(email, now, dry_run=dry_run)
    if not dry_run:
        store.audit(
            ERASED, now=now, details={"by": by, "orderIds": erased.order_ids, **erased.counts}
        )
    return erased


def purge_when_due(
    store: Store, repo: PersonalDataStore, settings: Settings, *, owner: str, now: datetime
) -> Erased | None:
    """The ticker's daily step: None when another process holds it or it is not yet due."""
    current = store.wallet_state(LEASE_ID)
    state = store.claim_tick(
        owner, now, LEASE, dead_owner=wallet.dead_holder(current), lease_id=LEASE_ID
    )
    if state is None:
        return None
    try:
        erased = purge_personal_data(store, repo, settings, now=now, dry_run=False, by="retention")
    except PyMongoError as exc:
        log.error("personal data purge failed (%s); retrying within the hour", type(exc).__name__)
        store.finish_tick(
            owner,
            {"lastTickAt": now, "lastErrorReason": "store", "nextTickAt": now + RETRY_AFTER_FAULT},
            lease_id=LEASE_ID,
        )
        return None
    store.finish_tick(
        owner,
        {"lastTickAt": now, "lastOkAt": now, "nextTickAt": now + EVERY, "lastErrorReason": None},
        lease_id=LEASE_ID,
    )
    if erased.total:
        log.info(
            "personal data erased after %d days: %s", settings.pii_retention_days, erased.counts
        )
    return erased
