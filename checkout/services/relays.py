"""The silence rule: a relay that stops posting while checkouts wait must be noticed.

A relay counts as configured from its first message or ping. Its silence matters
only while something can be paid: a quiet phone with nothing open is no fault,
but with a customer waiting, the evidence that would complete their checkout may
be lost in a dead phone. Then /health turns degraded, one `relay.silent` event is
owed, and the pay page asks the customer for their UTR.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from checkout.config import Settings
from checkout.domain.vocabulary import EventType
from checkout.services.sandbox import SANDBOX_RELAY
from checkout.storage.evidence import EvidenceStore, RelaySeen
from checkout.storage.store import Store

SILENT = "silent"
OK = "ok"
# The sandbox's own "bank SMS" comes from no phone: it has nothing to fall silent.
UNWATCHED = frozenset({SANDBOX_RELAY.id})


def _watched(evidence: EvidenceStore) -> list[RelaySeen]:
    return [relay for relay in evidence.relays() if relay.id not in UNWATCHED]


def _silent(relays: list[RelaySeen], settings: Settings, now: datetime) -> list[RelaySeen]:
    quiet_since = now - timedelta(minutes=settings.relay_silence_minutes)
    return [relay for relay in relays if relay.lastSeenAt <= quiet_since]


def relay_status(
    store: Store, evidence: EvidenceStore, settings: Settings, *, now: datetime
) -> str | None:
    """None with no relay configured; "silent" while something is payable and a relay is quiet."""
    relays = _watched(evidence)
    if not relays:
        return None
    if _silent(relays, settings, now) and store.any_payable(now):
        return SILENT
    return OK


def notice_silence(
    store: Store, evidence: EvidenceStore, settings: Settings, *, now: datetime
) -> list[str]:
    """Owe one `relay.silent` per silence, in the update that marks it; returns those marked.

    Safe from every ticker at once: the mark is conditional on the relay's message
    count, so a message in between, or a second ticker, makes it a no-op.
    """
    relays = _silent(_watched(evidence), settings, now)
    if not relays or not store.any_payable(now):
        return []
    return [
        relay.id for relay in relays if evidence.mark_silent(relay, EventType.RELAY_SILENT.value)
    ]
