"""PAYMENT_PROVIDER=none: no wallet is ever asked; the ticker still expires what is due."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from checkout import create_app
from checkout.config import Settings
from checkout.gateway import EXTENSION_KEY, Gateway
from checkout.providers.no_wallet import NoWallet
from tests.conftest import AUTH, Clock


@pytest.fixture
def no_wallet_app(settings: Settings) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(payment_provider="none"))
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


class Asked(AssertionError):
    pass


def test_checkouts_open_and_expire_without_asking_a_wallet(
    no_wallet_app: Flask, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    no_wallet: Gateway = no_wallet_app.extensions[EXTENSION_KEY]
    assert isinstance(no_wallet.provider, NoWallet)

    def refuse(_self: NoWallet) -> int:
        raise Asked("the balance of a gateway without a wallet was asked")

    monkeypatch.setattr(NoWallet, "balance", refuse)
    client = no_wallet_app.test_client()
    opened = client.post("/api/v1/checkout-sessions", json={"amount": "499"}, headers=AUTH)
    assert opened.status_code == 201, opened.get_data(as_text=True)
    report = no_wallet.ticker.tick()
    assert report.ran and report.reason == "ok" and report.credits == 0
    clock.advance(minutes=no_wallet.settings.session_expiry_minutes + 1)
    expired = no_wallet.ticker.tick()
    assert expired.expired == [opened.get_json()["orderId"]]
    status = client.get(f"/api/v1/checkout-sessions/{opened.get_json()['id']}", headers=AUTH)
    assert status.get_json()["status"] == "expired"


def test_the_balance_endpoint_says_no_wallet_is_watched(no_wallet_app: Flask) -> None:
    answer = no_wallet_app.test_client().get("/api/balance", headers=AUTH)
    assert answer.status_code == 502
    assert "PAYMENT_PROVIDER" not in answer.get_json()["error"]  # the reason only, no detail


def test_a_test_only_dkim_switch_is_logged_loudly(settings: Settings) -> None:
    application = create_app(settings.with_overrides(email_require_dkim=False))
    application.extensions[EXTENSION_KEY].stop_background()
    logged = Path(settings.log_dir, "combined.log").read_text(encoding="utf-8")
    assert "WARNING checkout.evidence: EMAIL_REQUIRE_DKIM=false" in logged
