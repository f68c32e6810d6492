"""A wallet kept in the store, so anyone can watch the whole flow without an account.

It reports only a balance, like the seed's wallet API, so the sandbox walks
the same synthesised-credit path that a balance-only provider does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from checkout.providers.base import ObservedCredit


class SandboxWallet(Protocol):
    """The one thing the sandbox needs from the store: the pretend wallet's balance."""

    def sandbox_balance(self) -> int: ...


class SandboxProvider:
    name = "sandbox"
    has_history = False

    def __init__(self, wallet: SandboxWallet) -> None:
        self._wallet = wallet

    def balance(self) -> int:
        return self._wallet.sandbox_balance()

    def credits_since(self, since: datetime | None) -> list[ObservedCredit]:
        return []
