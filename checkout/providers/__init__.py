"""Wallet adapters: how the gateway learns that money came in."""

from __future__ import annotations

from checkout.config import Settings
from checkout.providers.base import WalletProvider
from checkout.providers.mobikwik import MobikwikProvider
from checkout.providers.sandbox import SandboxProvider
from checkout.storage.store import Store


def build_provider(settings: Settings, store: Store) -> WalletProvider:
    if settings.sandbox:
        return SandboxProvider(store)
    return MobikwikProvider(
        auth_token=settings.mobikwik_auth,
        balance_url=settings.mobikwik_api_url,
        history_url=settings.mobikwik_history_url or None,
    )
