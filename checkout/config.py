"""One settings object, read once from the environment (and `.env`).

Every value is checked at start-up so that a typo stops the server with one
line naming the variable, instead of surfacing later as a 500 on a payment.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

from checkout.domain.money import MAX_DEFAULT_RUPEES, MoneyError, parse_rupees
from checkout.domain.upi import is_valid_vpa

MEMORY_SCHEME = "mongomock://"
DEMO_UPI_ID = "demo-merchant@upi"
MIN_ADMIN_SECRET_LENGTH = 24
MIN_SECRET_KEY_LENGTH = 32
# Worker processes when WEB_CONCURRENCY is unset: the in-memory store lives in one process.
DEFAULT_WORKERS_IN_MEMORY = 1
DEFAULT_WORKERS = 2


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line naming the variable."""


def _integer(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
        value = int(raw.strip())
        if not low <= value <= high:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
        return value

    return parse


def _optional_integer(low: int, high: int) -> Callable[[str, str], int]:
    """A whole number, or 0 when empty: the default depends on other settings."""
    parse_integer = _integer(low, high)

    def parse(name: str, raw: str) -> int:
        return parse_integer(name, raw) if raw.strip() else 0

    return parse


def _choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ConfigError(f"{name} must be one of {', '.join(options)}, got {raw!r}")
        return value

    return parse


def _boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _text(name: str, raw: str) -> str:
    return raw.strip()


def _rupees(name: str, raw: str) -> int:
    try:
        return parse_rupees(raw)
    except MoneyError as exc:
        raise ConfigError(f"{name} must be an amount in rupees, {exc}, got {raw!r}") from None


def _http_url(name: str, raw: str) -> str:
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {raw!r}")
    return value


def _optional_http_url(name: str, raw: str) -> str:
    return _http_url(name, raw).rstrip("/") if raw.strip() else ""


def _origins(name: str, raw: str) -> tuple[str, ...]:
    origins = []
    for item in raw.split(","):
        item = item.strip().rstrip("/")
        if not item:
            continue
        parts = urlsplit(item)
        if parts.scheme not in {"http", "https"} or not parts.netloc or parts.path:
            raise ConfigError(
                f"{name} must be a comma-separated list of origins like https://shop.example, "
                f"got {item!r}"
            )
        origins.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(origins)


def _mongodb_uri(name: str, raw: str) -> str:
    value = raw.strip()
    if not value.startswith((MEMORY_SCHEME, "mongodb://", "mongodb+srv://")):
        raise ConfigError(
            f"{name} must start with mongodb://, mongodb+srv:// or {MEMORY_SCHEME} (in-memory), "
            f"got {value.split('@')[-1]!r}"
        )
    return value


def _is_loopback(url: str) -> bool:
    """localhost and loopback addresses: plain http there never crosses a network."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _storage_uri(name: str, raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("memory://", "mongodb://", "mongodb+srv://", "redis://", "rediss://")):
        raise ConfigError(f"{name} must be memory://, mongodb://… or redis://…, got {value!r}")
    return value


# env variable → (attribute, parser, default text)
_SPEC: dict[str, tuple[str, Callable[[str, str], Any], str]] = {
    "PORT": ("port", _integer(1, 65535), "3001"),
    "HOST": ("host", _text, "127.0.0.1"),
    "APP_ENV": ("app_env", _choice("development", "production"), "development"),
    "MONGODB_URI": ("mongodb_uri", _mongodb_uri, "mongomock://localhost"),
    "MONGODB_DB_NAME": ("mongodb_db_name", _text, "upi_gateway"),
    "PAYMENT_PROVIDER": ("payment_provider", _choice("mobikwik", "sandbox", ""), ""),
    "MOBIKWIK_AUTH": ("mobikwik_auth", _text, ""),
    "MOBIKWIK_API_URL": (
        "mobikwik_api_url",
        _http_url,
        "https://webapi.mobikwik.com/p/wallet/balance",
    ),
    "MOBIKWIK_HISTORY_URL": ("mobikwik_history_url", _optional_http_url, ""),
    "UPI_ID": ("upi_id", _text, ""),
    "UPI_PAYEE_NAME": ("upi_payee_name", _text, "UPI Checkout Demo"),
    "ALLOWED_ORIGINS": ("allowed_origins", _origins, "http://localhost:3000"),
    "SESSION_EXPIRY_MINUTES": ("session_expiry_minutes", _integer(1, 1440), "10"),
    "RATE_LIMIT_MAX_REQUESTS": ("rate_limit_max_requests", _integer(1, 1_000_000), "5"),
    "RATE_LIMIT_WINDOW_MS": ("rate_limit_window_ms", _integer(1000, 86_400_000), "600000"),
    "ADMIN_SECRET": ("admin_secret", _text, ""),
    "TRUSTED_PROXIES": ("trusted_proxies", _integer(0, 10), "0"),
    "POLL_INTERVAL_SECONDS": ("poll_interval_seconds", _integer(1, 3600), "3"),
    "NONCE_EXPIRY_MINUTES": ("nonce_expiry_minutes", _integer(1, 1440), "5"),
    "LATE_PAYMENT_GRACE_MINUTES": ("late_payment_grace_minutes", _integer(0, 10080), "60"),
    "AMOUNT_SUFFIX": ("amount_suffix", _choice("on-collision", "always"), "on-collision"),
    "MAX_AMOUNT": ("max_amount_paise", _rupees, str(MAX_DEFAULT_RUPEES)),
    "RATELIMIT_STORAGE_URI": ("ratelimit_storage_uri", _storage_uri, "memory://"),
    "LOG_DIR": ("log_dir", _text, "logs"),
    "LOG_FORMAT": ("log_format", _choice("text", "json"), "text"),
    "PUBLIC_URL": ("public_url", _optional_http_url, ""),
    "SECRET_KEY": ("secret_key", _text, ""),
    "WEBHOOK_ALLOW_PRIVATE": ("webhook_allow_private", _boolean, "false"),
    "WALLET_RECEIVE_ONLY": ("wallet_receive_only", _boolean, "false"),
    "WEB_CONCURRENCY": ("web_concurrency", _optional_integer(1, 64), ""),
    "LINK_MAX_OPEN": ("link_max_open", _integer(1, 10_000), "20"),
}


ENV_VARIABLES: tuple[str, ...] = tuple(_SPEC)


@dataclass(frozen=True)
class Settings:
    """Everything the gateway can be told; built by `Settings.from_env`."""

    port: int = 3001
    host: str = "127.0.0.1"
    app_env: str = "development"
    mongodb_uri: str = "mongomock://localhost"
    mongodb_db_name: str = "upi_gateway"
    payment_provider: str = "sandbox"
    mobikwik_auth: str = field(default="", repr=False)
    mobikwik_api_url: str = "https://webapi.mobikwik.com/p/wallet/balance"
    mobikwik_history_url: str = ""
    upi_id: str = DEMO_UPI_ID
    upi_payee_name: str = "UPI Checkout Demo"
    allowed_origins: tuple[str, ...] = ("http://localhost:3000",)
    session_expiry_minutes: int = 10
    rate_limit_max_requests: int = 5
    rate_limit_window_ms: int = 600_000
    admin_secret: str = field(default="", repr=False)
    trusted_proxies: int = 0
    poll_interval_seconds: int = 3
    nonce_expiry_minutes: int = 5
    late_payment_grace_minutes: int = 60
    amount_suffix: str = "on-collision"
    max_amount_paise: int = MAX_DEFAULT_RUPEES * 100
    ratelimit_storage_uri: str = "memory://"
    log_dir: str = "logs"
    log_format: str = "text"
    public_url: str = ""
    secret_key: str = field(default="", repr=False)
    webhook_allow_private: bool = False
    # The merchant's promise that nothing is ever paid out of the watched wallet.
    wallet_receive_only: bool = False
    web_concurrency: int = DEFAULT_WORKERS_IN_MEMORY  # gunicorn worker processes
    link_max_open: int = 20  # pending checkouts one payment link may hold at once
    # Not read from the environment: lets tests and `flask poll` run without the thread.
    start_ticker: bool = True

    @property
    def production(self) -> bool:
        return self.app_env == "production"

    @property
    def in_memory_store(self) -> bool:
        return self.mongodb_uri.startswith(MEMORY_SCHEME)

    @property
    def sandbox(self) -> bool:
        return self.payment_provider == "sandbox"

    @property
    def balance_only(self) -> bool:
        """The wallet is watched through its balance alone (no per-payment history)."""
        return self.payment_provider == "mobikwik" and not self.mobikwik_history_url

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and check every variable; raise ConfigError naming the first bad one."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for variable, (attribute, parse, default) in _SPEC.items():
            raw = env.get(variable)
            values[attribute] = parse(variable, default if raw is None else raw)
        if not values["payment_provider"]:
            chosen_mobikwik = values["mobikwik_auth"] or values["app_env"] == "production"
            values["payment_provider"] = "mobikwik" if chosen_mobikwik else "sandbox"
        if not values["upi_id"] and values["app_env"] != "production":
            values["upi_id"] = DEMO_UPI_ID
        if not values["web_concurrency"]:
            in_memory = values["mongodb_uri"].startswith(MEMORY_SCHEME)
            values["web_concurrency"] = DEFAULT_WORKERS_IN_MEMORY if in_memory else DEFAULT_WORKERS
        return cls(**values).validated()

    def with_overrides(self, **changes: Any) -> Settings:
        """Settings with some values replaced (tests, CLI); checked again."""
        known = {f.name for f in fields(self)}
        unknown = set(changes) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return replace(self, **changes).validated()

    def validated(self) -> Settings:
        if not is_valid_vpa(self.upi_id):
            raise ConfigError(f"UPI_ID must be a UPI ID like yourname@bank, got {self.upi_id!r}")
        if not self.upi_payee_name:
            raise ConfigError("UPI_PAYEE_NAME must not be empty")
        if self.payment_provider == "mobikwik" and not self.mobikwik_auth:
            raise ConfigError("MOBIKWIK_AUTH is required when PAYMENT_PROVIDER=mobikwik")
        if self.in_memory_store and self.web_concurrency > 1:
            raise ConfigError(
                f"WEB_CONCURRENCY must be 1 with the in-memory store (MONGODB_URI={MEMORY_SCHEME}),"
                f" got {self.web_concurrency}: each worker process would keep its own payments"
            )
        if self.production:
            if self.in_memory_store:
                raise ConfigError(
                    "MONGODB_URI must point at MongoDB when APP_ENV=production "
                    "(the in-memory store loses every payment on restart)"
                )
            if self.sandbox:
                raise ConfigError("PAYMENT_PROVIDER=sandbox is refused when APP_ENV=production")
            if len(self.admin_secret) < MIN_ADMIN_SECRET_LENGTH:
                raise ConfigError(
                    f"ADMIN_SECRET must be at least {MIN_ADMIN_SECRET_LENGTH} characters "
                    "when APP_ENV=production"
                )
            if self.upi_id == DEMO_UPI_ID:
                raise ConfigError("UPI_ID must be your own UPI ID when APP_ENV=production")
            weak = self._weak_for_production()
            if weak:
                raise ConfigError(weak[0])
        return self

    def _weak_for_production(self) -> list[str]:
        """Settings that work but leave money or secrets exposed: one line each."""
        problems = []
        if self.balance_only and not self.wallet_receive_only:
            problems.append(
                "WALLET_RECEIVE_ONLY=true is required when APP_ENV=production with a balance-only "
                "wallet (no MOBIKWIK_HISTORY_URL): a payment and a debit in one poll look like one "
                "smaller payment; set MOBIKWIK_HISTORY_URL (recommended), or promise that nothing "
                "is ever paid out of this wallet"
            )
        if self.ratelimit_storage_uri.startswith("memory://") and self.web_concurrency > 1:
            problems.append(
                f"RATELIMIT_STORAGE_URI=memory:// counts in each of the {self.web_concurrency} "
                "worker processes (WEB_CONCURRENCY), so every limit multiplies; point it at Redis "
                "(redis://...) or MongoDB (mongodb://...) when APP_ENV=production"
            )
        for variable, url in (
            ("MOBIKWIK_API_URL", self.mobikwik_api_url),
            ("MOBIKWIK_HISTORY_URL", self.mobikwik_history_url),
        ):
            if url.startswith("http://") and not _is_loopback(url):
                problems.append(
                    f"{variable} must use https when APP_ENV=production "
                    "(the wallet token goes with every request)"
                )
        if self.webhook_allow_private:
            problems.append(
                "WEBHOOK_ALLOW_PRIVATE=true is refused when APP_ENV=production "
                "(webhooks could reach services inside your network)"
            )
        if self.secret_key and len(self.secret_key) < MIN_SECRET_KEY_LENGTH:
            problems.append(
                f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} characters when "
                "APP_ENV=production (or empty, to derive it from ADMIN_SECRET)"
            )
        if self.public_url.startswith("http://"):
            problems.append("PUBLIC_URL must use https when APP_ENV=production")
        plain = [o for o in self.allowed_origins if o.startswith("http://") and not _is_loopback(o)]
        if plain:
            problems.append(
                "ALLOWED_ORIGINS must use https when APP_ENV=production (http only for localhost), "
                f"got {plain[0]!r}"
            )
        return problems
