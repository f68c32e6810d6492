"""What /health reports: the store answers, and how the wallet fared on its last ticks.

Health never calls the wallet itself: an idle gateway makes no wallet calls.
"""

from __future__ import annotations

from typing import Any

from checkout.providers.base import WalletProvider
from checkout.services.views import iso
from checkout.storage.store import Store


def health_report(store: Store, provider: WalletProvider) -> tuple[int, dict[str, Any]]:
    checks: dict[str, Any] = {}
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
    return 200, {"status": "degraded" if failing else "ok", "checks": checks}
