"""The objects a request needs (settings, store, wallet, ticker), kept on the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, request

from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.services.outbox import DeliveryWorker
from checkout.services.ticker import Ticker
from checkout.storage.claims import ClaimStore
from checkout.storage.evidence import EvidenceStore
from checkout.storage.links import LinkStore
from checkout.storage.merchant import MerchantStore
from checkout.storage.store import Store
from checkout.storage.users import UserStore

EXTENSION_KEY = "upi_checkout"


@dataclass
class Gateway:
    settings: Settings
    store: Store
    provider: WalletProvider
    ticker: Ticker
    merchant: MerchantStore
    webhooks: DeliveryWorker
    links: LinkStore
    evidence: EvidenceStore
    store_ready: bool = False
    claims: ClaimStore = field(default_factory=ClaimStore)  # customers' UTR claims
    users: UserStore = field(default_factory=UserStore)  # console sign-in

    def start_background(self) -> None:
        """The wallet ticker and the webhook sender: after fork or on first use, never at import."""
        self.ticker.start()
        self.webhooks.start()

    def stop_background(self, timeout: float = 5.0) -> None:
        """Both loops stop waking at once, then each finishes its round (within `timeout`)."""
        self.ticker.signal_stop()
        self.webhooks.signal_stop()
        self.ticker.stop(timeout)
        self.webhooks.stop(timeout)


def current_gateway() -> Gateway:
    gateway: Gateway = current_app.extensions[EXTENSION_KEY]
    return gateway


def client_ip() -> str:
    return request.remote_addr or "unknown"


def public_base_url() -> str:
    """Links we hand out: PUBLIC_URL when set (behind a proxy), else this request's host."""
    configured = current_gateway().settings.public_url
    return configured or request.host_url.rstrip("/")
