"""The contract between the payment ticker and the wallets it watches.

Adapters translate every way a wallet API can let us down into one exception
type with a small, fixed vocabulary of reasons, so the ticker can record the
fault and back off without ever mistaking provider trouble for payment news
(DESIGN §5.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

TIMEOUT = "timeout"
NETWORK = "network"
UNAUTHORIZED = "unauthorized"
SERVER_ERROR = "server-error"
HTTP_ERROR = "http-error"
BAD_RESPONSE = "bad-response"


class ProviderError(Exception):
    """A wallet could not tell us its state; says nothing about payments.

    ``reason`` is one of the module constants so health reporting and back-off
    can branch on it; ``message`` is for humans and never carries credentials.
    """

    def __init__(self, reason: str, message: str) -> None:
        # Passing both to Exception keeps the error picklable across processes.
        super().__init__(reason, message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return f"{self.reason}: {self.message}"


@dataclass(frozen=True)
class ObservedCredit:
    """One incoming payment as the wallet reported it, before attribution.

    ``key`` is the provider's own transaction id so the ledger can store each
    credit exactly once however often it is seen; ``occurred_at`` (aware, UTC)
    lets attribution refuse checkouts created after the money arrived.
    """

    key: str
    amount_paise: int
    occurred_at: datetime | None


class WalletProvider(Protocol):
    """What the ticker needs from a wallet, whatever its API looks like."""

    name: str
    has_history: bool

    def balance(self) -> int:
        """Current balance in paise; raises ProviderError on any failure."""
        ...

    def credits_since(self, since: datetime | None) -> list[ObservedCredit]:
        """Successful credits strictly after ``since``, oldest first.

        Only meaningful when ``has_history``; balance-only wallets get their
        credits synthesised from balance changes instead.
        """
        ...
