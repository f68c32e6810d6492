"""A wallet kept in the store, so anyone can watch the whole flow without an account.

It reports only a balance, like the seed's wallet API, so the sandbox walks
the same synthesised-credit path that a balance-only provider does.
"""

from __future__ import annotations

from datetime import datetime

from checkout.providers.base import ObservedCredit
from checkout.storage.store import Store


class SandboxProvider:
    name = "sandbox"
    has_history = False

    def __init__(self, store: Store) -> None:
        self._store = store

    def balance(self) -> int:
        return self._store.sandbox_balance()

    def credits_since(self, since: datetime | None) -> list[ObservedCredit]:
        return []
