"""Wallet adapters: how the gateway learns that money came in."""

from __future__ import annotations

from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.providers.mobikwik import MobikwikProvider
from checkout.providers.no_wallet import NoWallet
from checkout.providers.sandbox import SandboxProvider, SandboxWallet


def build_provider(settings: Settings, sandbox_wallet: SandboxWallet) -> WalletProvider:
    """The configured wallet; the sandbox reads its balance from ``sandbox_wallet``."""
    if settings.sandbox:
        return SandboxProvider(sandbox_wallet)
    if settings.payment_provider == "none":
        return NoWallet()
    return MobikwikProvider(
        auth_token=settings.mobikwik_auth,
        balance_url=settings.mobikwik_api_url,
        history_url=settings.mobikwik_history_url or None,
    )
