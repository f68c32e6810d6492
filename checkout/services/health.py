"""What /health reports: the store answers, how the wallet fared on its last ticks,
how much the wallet's evidence can tell payments apart, and whether a relay fell silent.

Health never calls the wallet itself: an idle gateway makes no wallet calls.
"""

from __future__ import annotations

from typing import Any

from checkout import clock
from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.services import imap_poll, relays
from checkout.services.presenters import iso
from checkout.storage.evidence import EvidenceStore
from checkout.storage.store import Store

BALANCE_ONLY_NOTE = (
    "The wallet is read by its balance alone: a payment and a debit in the same poll look like "
    "one smaller payment, so the wallet must only ever receive (WALLET_RECEIVE_ONLY=true), and "
    "credits that several checkouts could explain wait for review. A per-payment source, the "
    "wallet's transaction history (MOBIKWIK_HISTORY_URL) or bank messages, is recommended."
)


def evidence_check(provider: WalletProvider, *, receive_only: bool) -> dict[str, Any]:
    """Advice, not an outage: a balance-only wallet works, within the limits the note names."""
    if provider.has_history:
        return {"status": "ok", "source": "history"}
    return {
        "status": "limited",
        "source": "balance",
        "receiveOnly": receive_only,
        "note": BALANCE_ONLY_NOTE,
    }


def health_report(
    store: Store,
    provider: WalletProvider,
    *,
    receive_only: bool = False,
    settings: Settings | None = None,
) -> tuple[int, dict[str, Any]]:
    """`settings` adds the relay check (checks.relay: "ok" or "silent", absent with no relay)."""
    checks: dict[str, Any] = {"evidence": evidence_check(provider, receive_only=receive_only)}
    try:
        store.ping()
        state = store.wallet_state()
    except Exception as exc:  # any store failure means we cannot take payments
        checks["store"] = {"status": "down", "error": type(exc).__name__}
        checks["provider"] = {"status": "unknown", "name": provider.name}
        return 503, {"status": "down", "checks": checks}
    checks["store"] = {"status": "ok", "inMemory": store.in_memory}
    failing = (state.consecutiveFailures or 0) > 0
    checks["provider"] = {
        "status": "degraded" if failing else "ok",
        "name": provider.name,
        "lastOkAt": iso(state.lastOkAt),
        "lastTickAt": iso(state.lastTickAt),
        "consecutiveFailures": state.consecutiveFailures or 0,
        "lastError": state.lastErrorReason if failing else None,
        "lastErrorAt": iso(state.lastErrorAt) if failing else None,
    }
    relay = None
    if settings is not None:
        relay = relays.relay_status(store, EvidenceStore(), settings, now=clock.utcnow())
        if relay is not None:
            checks["relay"] = relay
        mailbox = imap_poll.mailbox_check(store, settings)
        if mailbox is not None:
            checks["mailbox"] = mailbox
    degraded = failing or relay == relays.SILENT
    return 200, {"status": "degraded" if degraded else "ok", "checks": checks}
