"""Settings: every variable read, every bad value stops start-up with one line naming it."""

from __future__ import annotations

import pytest

from checkout.config import DEMO_UPI_ID, ConfigError, Settings

PRODUCTION = {
    "APP_ENV": "production",
    "MONGODB_URI": "mongodb://db.internal:27017/upi",
    "MOBIKWIK_AUTH": "token",
    "UPI_ID": "shop@okaxis",
    "ADMIN_SECRET": "x" * 32,
}


def test_defaults_are_the_embedded_gateway() -> None:
    settings = Settings.from_env({})
    assert settings.port == 3001 and settings.host == "127.0.0.1"
    assert settings.in_memory_store and settings.sandbox
    assert settings.upi_id == DEMO_UPI_ID
    assert settings.poll_interval_seconds == 3
    assert settings.nonce_expiry_minutes == 5
    assert settings.late_payment_grace_minutes == 60
    assert settings.amount_suffix == "on-collision"
    assert settings.max_amount_paise == 100000 * 100
    assert settings.rate_limit_max_requests == 5 and settings.rate_limit_window_ms == 600000
    assert settings.ratelimit_storage_uri == "memory://"
    assert (settings.log_dir, settings.log_format) == ("logs", "text")
    assert settings.trusted_proxies == 0


def test_every_seed_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "PORT": "4000",
            "HOST": "0.0.0.0",  # noqa: S104
            "MONGODB_URI": "mongodb://localhost:27017/upi_gateway",
            "MONGODB_DB_NAME": "shop",
            "MOBIKWIK_AUTH": "tok",
            "MOBIKWIK_API_URL": "http://127.0.0.1:9/p/wallet/balance",
            "MOBIKWIK_HISTORY_URL": "http://127.0.0.1:9/p/wallet/history/v2",
            "UPI_ID": "shop@okaxis",
            "UPI_PAYEE_NAME": "Shop",
            "ALLOWED_ORIGINS": "http://localhost:3000, https://shop.example/",
            "SESSION_EXPIRY_MINUTES": "15",
            "RATE_LIMIT_MAX_REQUESTS": "50",
            "RATE_LIMIT_WINDOW_MS": "60000",
            "ADMIN_SECRET": "secret",
            "TRUSTED_PROXIES": "1",
            "POLL_INTERVAL_SECONDS": "5",
            "NONCE_EXPIRY_MINUTES": "2",
            "LATE_PAYMENT_GRACE_MINUTES": "30",
            "AMOUNT_SUFFIX": "always",
            "MAX_AMOUNT": "2000.50",
            "RATELIMIT_STORAGE_URI": "redis://localhost:6379",
            "LOG_DIR": "/tmp/x",
            "LOG_FORMAT": "json",
        }
    )
    assert settings.port == 4000
    assert settings.payment_provider == "mobikwik"  # chosen because MOBIKWIK_AUTH is set
    assert settings.allowed_origins == ("http://localhost:3000", "https://shop.example")
    assert settings.max_amount_paise == 200050
    assert settings.mobikwik_history_url.endswith("/history/v2")
    assert (settings.amount_suffix, settings.log_format, settings.trusted_proxies) == (
        "always",
        "json",
        1,
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PORT", "abc"),
        ("PORT", "70000"),
        ("APP_ENV", "staging"),
        ("MONGODB_URI", "postgres://x"),
        ("PAYMENT_PROVIDER", "paytm"),
        ("MOBIKWIK_API_URL", "ftp://x"),
        ("UPI_ID", "not a vpa"),
        ("ALLOWED_ORIGINS", "shop.example"),
        ("SESSION_EXPIRY_MINUTES", "0"),
        ("RATE_LIMIT_MAX_REQUESTS", "-1"),
        ("RATE_LIMIT_WINDOW_MS", "5"),
        ("TRUSTED_PROXIES", "many"),
        ("POLL_INTERVAL_SECONDS", "0"),
        ("NONCE_EXPIRY_MINUTES", "1.5"),
        ("LATE_PAYMENT_GRACE_MINUTES", "x"),
        ("AMOUNT_SUFFIX", "sometimes"),
        ("MAX_AMOUNT", "1e5"),
        ("RATELIMIT_STORAGE_URI", "file:///tmp"),
        ("LOG_FORMAT", "xml"),
        ("PUBLIC_URL", "pay.example"),
        ("WEBHOOK_ALLOW_PRIVATE", "maybe"),
    ],
)
def test_a_bad_value_names_its_variable_in_one_line(variable: str, value: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({variable: value})
    message = str(raised.value)
    assert message.startswith(variable) and "\n" not in message


def test_mobikwik_without_a_token_is_refused() -> None:
    with pytest.raises(ConfigError, match="MOBIKWIK_AUTH"):
        Settings.from_env({"PAYMENT_PROVIDER": "mobikwik"})


def test_production_accepts_a_complete_setup() -> None:
    settings = Settings.from_env(PRODUCTION)
    assert settings.production and settings.payment_provider == "mobikwik"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"MONGODB_URI": "mongomock://localhost"}, "MONGODB_URI"),
        ({"PAYMENT_PROVIDER": "sandbox"}, "PAYMENT_PROVIDER"),
        ({"ADMIN_SECRET": "short"}, "ADMIN_SECRET"),
        ({"ADMIN_SECRET": ""}, "ADMIN_SECRET"),
        ({"UPI_ID": "bad id"}, "UPI_ID"),
        ({"UPI_ID": ""}, "UPI_ID"),
    ],
)
def test_production_refuses_what_loses_money(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**PRODUCTION, **change})
    assert str(raised.value).startswith(named)


def test_production_without_a_wallet_token_is_refused() -> None:
    environment = {**PRODUCTION}
    del environment["MOBIKWIK_AUTH"]
    with pytest.raises(ConfigError, match="MOBIKWIK_AUTH"):
        Settings.from_env(environment)
