"""Settings: every variable read, every bad value stops start-up with one line naming it."""

from __future__ import annotations

from dataclasses import fields

import pytest

from checkout.config import DEMO_UPI_ID, ENV_VARIABLES, VARIABLE, ConfigError, Settings

PRODUCTION = {
    "APP_ENV": "production",
    "MONGODB_URI": "mongodb://db.internal:27017/upi",
    "MOBIKWIK_AUTH": "token",
    "MOBIKWIK_HISTORY_URL": "https://webapi.mobikwik.com/p/wallet/history/v2",
    "UPI_ID": "shop@okaxis",
    "ADMIN_SECRET": "x" * 32,
    "RATELIMIT_STORAGE_URI": "redis://limits.internal:6379",
    "METRICS_TOKEN": "m" * 32,
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


def test_every_variable_is_declared_on_the_field_it_sets() -> None:
    """One table: each field names its variable, parser and default text, written once."""
    declared = {
        item.name: item.metadata[VARIABLE] for item in fields(Settings) if VARIABLE in item.metadata
    }
    assert tuple(variable.name for variable in declared.values()) == ENV_VARIABLES
    assert {item.name for item in fields(Settings)} - set(declared) == {
        "start_ticker",
        "hold_console_logs",
    }
    chosen = {variable.name for variable in declared.values() if variable.choose}
    assert chosen == {"PAYMENT_PROVIDER", "UPI_ID", "WEB_CONCURRENCY"}
    assert all(declared[a].default == "" for a in ("payment_provider", "upi_id", "web_concurrency"))


def test_settings_built_in_code_start_from_what_an_empty_environment_reads() -> None:
    # The chosen settings included: the sandbox, the demo UPI ID, one worker in memory.
    assert Settings() == Settings.from_env({})
    assert (Settings().payment_provider, Settings().upi_id) == ("sandbox", DEMO_UPI_ID)
    assert Settings().web_concurrency == 1


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
        ("SMS_TRUSTED_SENDERS", "VM-HDFCBK-S"),
        ("DISPLAY_TIMEZONE", "India/Delhi"),
        ("DEFAULT_LANGUAGE", "hindi"),
        ("MERCHANT_BRAND_COLOR", "blue"),
        ("MERCHANT_SUPPORT_EMAIL", "shop.example.in"),
        ("MERCHANT_SUPPORT_PHONE", "call us"),
        ("MERCHANT_POLICY_URL", "policy.html"),
        ("UPI_MERCHANT_CODE", "54111"),
        ("SMTP_URL", "smtp://user@mail.example"),
        ("SMTP_URL", "http://mail.example"),
        ("ADMIN_SESSION_IDLE_MINUTES", "1"),
        ("RATE_LIMIT_STATUS", "lots"),
        ("RATE_LIMIT_KEYED", "300 per fortnight"),
        ("PII_RETENTION_DAYS", "0"),
        ("SMS_TRUSTED_SENDERS", "HDFCBK, +919812345678"),
        ("SMS_ACCEPT_BARE_HEADERS", "sometimes"),
        ("EMAIL_TRUSTED_SENDERS", "alerts at hdfcbank.net"),
        ("EMAIL_AUTHSERV_ID", "mx google com"),
        ("EMAIL_REQUIRE_DKIM", "perhaps"),
        ("RELAY_SILENCE_MINUTES", "0"),
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


def test_production_refuses_a_balance_only_wallet_unless_it_only_receives() -> None:
    balance_only = {k: v for k, v in PRODUCTION.items() if k != "MOBIKWIK_HISTORY_URL"}
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(balance_only)
    message = str(raised.value)
    assert message.startswith("WALLET_RECEIVE_ONLY") and "\n" not in message
    assert "MOBIKWIK_HISTORY_URL" in message  # says what is better
    promised = Settings.from_env({**balance_only, "WALLET_RECEIVE_ONLY": "true"})
    assert promised.balance_only and promised.wallet_receive_only
    assert not Settings.from_env(PRODUCTION).balance_only
    # Outside production a balance-only wallet needs no promise (the seed's own setup).
    assert not Settings.from_env({"MOBIKWIK_AUTH": "tok"}).wallet_receive_only


def test_worker_count_defaults_to_one_in_memory_and_two_on_mongodb() -> None:
    assert Settings.from_env({}).web_concurrency == 1
    assert Settings.from_env({"MONGODB_URI": "mongodb://db:27017/"}).web_concurrency == 2
    assert Settings.from_env({"MONGODB_URI": "mongodb://db:27017/", "WEB_CONCURRENCY": "4"}) == (
        Settings.from_env({"MONGODB_URI": "mongodb://db:27017/"}).with_overrides(web_concurrency=4)
    )


@pytest.mark.parametrize("value", ["0", "65", "two", "-1"])
def test_a_bad_worker_count_names_web_concurrency(value: str) -> None:
    with pytest.raises(ConfigError, match=r"^WEB_CONCURRENCY"):
        Settings.from_env({"MONGODB_URI": "mongodb://db:27017/", "WEB_CONCURRENCY": value})


def test_the_in_memory_store_runs_one_worker() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({"WEB_CONCURRENCY": "2"})
    assert str(raised.value).startswith("WEB_CONCURRENCY must be 1 with the in-memory store")


def test_production_refuses_per_process_rate_limits_with_several_workers() -> None:
    per_process = {**PRODUCTION, "RATELIMIT_STORAGE_URI": "memory://"}
    with pytest.raises(ConfigError) as raised:
        Settings.from_env(per_process)  # two workers by default on MongoDB
    message = str(raised.value)
    assert message.startswith("RATELIMIT_STORAGE_URI") and "\n" not in message
    assert "redis://" in message and "mongodb://" in message
    assert Settings.from_env({**per_process, "WEB_CONCURRENCY": "1"}).web_concurrency == 1
    shared = {**PRODUCTION, "RATELIMIT_STORAGE_URI": "mongodb://db.internal:27017/limits"}
    assert Settings.from_env({**shared, "WEB_CONCURRENCY": "8"}).web_concurrency == 8


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"MOBIKWIK_API_URL": "http://webapi.mobikwik.com/p/wallet/balance"}, "MOBIKWIK_API_URL"),
        (
            {"MOBIKWIK_HISTORY_URL": "http://webapi.mobikwik.com/p/wallet/history/v2"},
            "MOBIKWIK_HISTORY_URL",
        ),
        ({"WEBHOOK_ALLOW_PRIVATE": "true"}, "WEBHOOK_ALLOW_PRIVATE"),
        ({"SECRET_KEY": "k" * 31}, "SECRET_KEY"),
        ({"PUBLIC_URL": "http://pay.example.com"}, "PUBLIC_URL"),
        ({"ALLOWED_ORIGINS": "https://shop.example, http://shop.example"}, "ALLOWED_ORIGINS"),
        ({"ALLOWED_ORIGINS": "http://127.0.0.1.nip.io"}, "ALLOWED_ORIGINS"),
    ],
)
def test_production_refuses_weak_settings_in_one_line(change: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**PRODUCTION, **change})
    message = str(raised.value)
    assert message.startswith(named) and "\n" not in message
    # The same value is fine outside production.
    assert Settings.from_env({**PRODUCTION, **change, "APP_ENV": "development"})


def test_production_accepts_https_and_localhost_origins() -> None:
    settings = Settings.from_env(
        {
            **PRODUCTION,
            "SECRET_KEY": "k" * 32,
            "PUBLIC_URL": "https://pay.example.com",
            "ALLOWED_ORIGINS": "https://shop.example,http://localhost:3000,http://127.0.0.1:8080",
            # A wallet reached over loopback (a local TLS forwarder) never crosses a network.
            "MOBIKWIK_API_URL": "http://127.0.0.1:8443/p/wallet/balance",
        }
    )
    assert settings.allowed_origins[1:] == ("http://localhost:3000", "http://127.0.0.1:8080")
    # An empty SECRET_KEY is derived from ADMIN_SECRET, which production makes long.
    assert Settings.from_env(PRODUCTION).secret_key == ""


def test_evidence_settings_are_read_and_default_to_the_built_in_lists() -> None:
    defaults = Settings.from_env({})
    assert (defaults.sms_trusted_senders, defaults.email_trusted_senders) == ((), ())
    assert defaults.email_require_dkim and not defaults.sms_accept_bare_headers
    assert (defaults.relay_silence_minutes, defaults.sms_gateway_signing_key) == (30, "")
    settings = Settings.from_env(
        {
            "SMS_GATEWAY_SIGNING_KEY": "app-key",
            "SMS_TRUSTED_SENDERS": "hdfcbk, SBIUPI,",
            "SMS_ACCEPT_BARE_HEADERS": "true",
            "EMAIL_TRUSTED_SENDERS": "Alerts@HDFCBank.net,credit_cards@icicibank.com",
            "EMAIL_AUTHSERV_ID": "MX.Google.com",
            "EMAIL_REQUIRE_DKIM": "false",
            "RELAY_SILENCE_MINUTES": "45",
        }
    )
    assert settings.sms_trusted_senders == ("HDFCBK", "SBIUPI")
    assert settings.email_trusted_senders == ("alerts@hdfcbank.net", "credit_cards@icicibank.com")
    assert settings.email_authserv_id == "mx.google.com"
    assert settings.sms_accept_bare_headers and not settings.email_require_dkim
    assert settings.relay_silence_minutes == 45
    # A secret: never in the settings' repr (which a traceback may print).
    assert "app-key" not in repr(settings)


def test_production_runs_without_a_wallet() -> None:
    no_wallet = {k: v for k, v in PRODUCTION.items() if not k.startswith("MOBIKWIK")}
    settings = Settings.from_env({**no_wallet, "PAYMENT_PROVIDER": "none"})
    assert settings.payment_provider == "none"
    assert not settings.sandbox and not settings.balance_only


def test_production_refuses_email_without_dkim() -> None:
    with pytest.raises(ConfigError) as raised:
        Settings.from_env({**PRODUCTION, "EMAIL_REQUIRE_DKIM": "false"})
    message = str(raised.value)
    assert message.startswith("EMAIL_REQUIRE_DKIM") and "\n" not in message
