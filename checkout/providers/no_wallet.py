"""PAYMENT_PROVIDER=none: no wallet is watched; checkouts complete from pushed evidence only.

It poses as a wallet with a history that never holds a payment, so the ticker and
a checkout opened after an idle spell take the history path, which never asks for a
balance: the ticker still expires checkouts and finishes what a crash left, and
bank messages (checkout.services.evidence) are what completes checkouts.
"""

from __future__ import annotations

from datetime import datetime

from checkout.providers.base import BAD_RESPONSE, ObservedCredit, ProviderError


class NoWallet:
    name = "none"
    has_history = True

    def balance(self) -> int:
        """Asked only by GET /api/balance: there is no balance to tell."""
        raise ProviderError(BAD_RESPONSE, "no wallet is watched (PAYMENT_PROVIDER=none)")

    def credits_since(self, since: datetime | None) -> list[ObservedCredit]:
        return []
