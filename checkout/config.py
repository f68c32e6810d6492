"""One settings object, read once from the environment (and `.env`).

Every value is checked at start-up so that a typo stops the server with one
line naming the variable, instead of surfacing later as a 500 on a payment.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cache
from types import MappingProxyType
from typing import Any

from checkout.config_parsers import (
    MEMORY_SCHEME,
    ConfigError,
    boolean,
    choice,
    email_address,
    email_addresses,
    hex_color,
    host_name,
    http_url,
    imap_url,
    integer,
    is_loopback,
    language_code,
    merchant_code,
    mongodb_uri,
    optional_http_url,
    optional_integer,
    origins,
    phone_number,
    rate_limit,
    readable_file,
    rupees,
    sms_headers,
    smtp_server_url,
    storage_uri,
    text,
    timezone_name,
)
from checkout.domain.money import MAX_DEFAULT_RUPEES
from checkout.domain.upi import is_valid_vpa

DEMO_UPI_ID = "demo-merchant@upi"
MIN_ADMIN_SECRET_LENGTH = 24
MIN_SECRET_KEY_LENGTH = 32
# Worker processes when WEB_CONCURRENCY is unset: the in-memory store lives in one process.
DEFAULT_WORKERS_IN_MEMORY = 1
DEFAULT_WORKERS = 2


def _provider(values: Mapping[str, Any]) -> str:
    """A wallet token (or production) means the real wallet; anything else is the sandbox."""
    return "mobikwik" if values["mobikwik_auth"] or values["app_env"] == "production" else "sandbox"


def _upi_id(values: Mapping[str, Any]) -> str:
    """The demo ID, except in production: there it must be the merchant's own (validated says)."""
    return "" if values["app_env"] == "production" else DEMO_UPI_ID


def _workers(values: Mapping[str, Any]) -> int:
    """One on the in-memory store (it lives in one process), two on MongoDB."""
    in_memory = values["mongodb_uri"].startswith(MEMORY_SCHEME)
    return DEFAULT_WORKERS_IN_MEMORY if in_memory else DEFAULT_WORKERS


# The metadata key under which a Settings field names the variable it is read from.
VARIABLE = "variable"


@dataclass(frozen=True)
class Variable:
    """How one setting is read: its variable, its parser, and the text an unset variable reads as.

    A setting with `choose` has no default of its own: when its text is empty, from_env
    picks it from the others (PAYMENT_PROVIDER from MOBIKWIK_AUTH, and so on).
    """

    name: str
    parse: Callable[[str, str], Any]
    default: str
    choose: Callable[[Mapping[str, Any]], Any] | None = None


def _read(
    name: str,
    parse: Callable[[str, str], Any],
    default: str = "",
    *,
    choose: Callable[[Mapping[str, Any]], Any] | None = None,
    secret: bool = False,
) -> Any:
    """A Settings field read from `name`, whose default is written here once, as its text.

    The field's default is that text parsed; for a chosen setting, it is what from_env
    chooses when nothing is set, so `Settings()` is `Settings.from_env({})`.
    """
    variable = Variable(name, parse, default, choose)
    metadata = {VARIABLE: variable}
    if choose is None:
        return field(default=parse(name, default), repr=not secret, metadata=metadata)
    return field(
        default_factory=lambda: choose(_unset_values()), repr=not secret, metadata=metadata
    )


@dataclass(frozen=True)
class Settings:
    """Everything the gateway can be told; built by `Settings.from_env`."""

    port: int = _read("PORT", integer(1, 65535), "3001")
    host: str = _read("HOST", text, "127.0.0.1")
    app_env: str = _read("APP_ENV", choice("development", "production"), "development")
    mongodb_uri: str = _read("MONGODB_URI", mongodb_uri, "mongomock://localhost")
    mongodb_db_name: str = _read("MONGODB_DB_NAME", text, "upi_gateway")
    payment_provider: str = _read(
        "PAYMENT_PROVIDER", choice("mobikwik", "sandbox", "none", ""), choose=_provider
    )
    mobikwik_auth: str = _read("MOBIKWIK_AUTH", text, secret=True)
    mobikwik_api_url: str = _read(
        "MOBIKWIK_API_URL", http_url, "https://webapi.mobikwik.com/p/wallet/balance"
    )
    mobikwik_history_url: str = _read("MOBIKWIK_HISTORY_URL", optional_http_url)
    upi_id: str = _read("UPI_ID", text, choose=_upi_id)
    upi_payee_name: str = _read("UPI_PAYEE_NAME", text, "UPI Checkout Demo")
    allowed_origins: tuple[str, ...] = _read("ALLOWED_ORIGINS", origins, "http://localhost:3000")
    session_expiry_minutes: int = _read("SESSION_EXPIRY_MINUTES", integer(1, 1440), "10")
    rate_limit_max_requests: int = _read("RATE_LIMIT_MAX_REQUESTS", integer(1, 1_000_000), "5")
    rate_limit_window_ms: int = _read("RATE_LIMIT_WINDOW_MS", integer(1000, 86_400_000), "600000")
    admin_secret: str = _read("ADMIN_SECRET", text, secret=True)
    trusted_proxies: int = _read("TRUSTED_PROXIES", integer(0, 10), "0")
    poll_interval_seconds: int = _read("POLL_INTERVAL_SECONDS", integer(1, 3600), "3")
    nonce_expiry_minutes: int = _read("NONCE_EXPIRY_MINUTES", integer(1, 1440), "5")
    late_payment_grace_minutes: int = _read("LATE_PAYMENT_GRACE_MINUTES", integer(0, 10080), "60")
    amount_suffix: str = _read("AMOUNT_SUFFIX", choice("on-collision", "always"), "on-collision")
    max_amount_paise: int = _read("MAX_AMOUNT", rupees, str(MAX_DEFAULT_RUPEES))
    ratelimit_storage_uri: str = _read("RATELIMIT_STORAGE_URI", storage_uri, "memory://")
    log_dir: str = _read("LOG_DIR", text, "logs")
    log_format: str = _read("LOG_FORMAT", choice("text", "json"), "text")
    public_url: str = _read("PUBLIC_URL", optional_http_url)
    secret_key: str = _read("SECRET_KEY", text, secret=True)
    webhook_allow_private: bool = _read("WEBHOOK_ALLOW_PRIVATE", boolean, "false")
    # The merchant's promise that nothing is ever paid out of the watched wallet.
    wallet_receive_only: bool = _read("WALLET_RECEIVE_ONLY", boolean, "false")
    # gunicorn worker processes
    web_concurrency: int = _read("WEB_CONCURRENCY", optional_integer(1, 64), choose=_workers)
    # pending checkouts one payment link may hold at once
    link_max_open: int = _read("LINK_MAX_OPEN", integer(1, 10_000), "20")
    # Bank messages relayed to /api/v1/evidence/*: the phone app's webhook signing key,
    # whom to believe (empty: the built-in lists), and when a quiet relay counts as dead.
    sms_gateway_signing_key: str = _read("SMS_GATEWAY_SIGNING_KEY", text, secret=True)
    sms_trusted_senders: tuple[str, ...] = _read("SMS_TRUSTED_SENDERS", sms_headers)
    sms_accept_bare_headers: bool = _read("SMS_ACCEPT_BARE_HEADERS", boolean, "false")
    email_trusted_senders: tuple[str, ...] = _read("EMAIL_TRUSTED_SENDERS", email_addresses)
    email_authserv_id: str = _read("EMAIL_AUTHSERV_ID", host_name)
    email_require_dkim: bool = _read("EMAIL_REQUIRE_DKIM", boolean, "true")
    relay_silence_minutes: int = _read("RELAY_SILENCE_MINUTES", integer(1, 10080), "30")
    # A mailbox of bank alert e-mail read every poll interval (its URL holds the password),
    # and a private CA to trust for its TLS.
    evidence_imap_url: str = _read("EVIDENCE_IMAP_URL", imap_url, secret=True)
    evidence_imap_ca_file: str = _read("EVIDENCE_IMAP_CA_FILE", readable_file)
    # Local days, dates and times shown to people (console, receipts, exports).
    display_timezone: str = _read("DISPLAY_TIMEZONE", timezone_name, "Asia/Kolkata")
    # Customer pages: the language when neither ?lang=, the cookie nor the browser picks one.
    default_language: str = _read("DEFAULT_LANGUAGE", language_code, "en")
    # The merchant's brand and contact, on every customer page.
    merchant_logo: str = _read("MERCHANT_LOGO", text)
    merchant_brand_color: str = _read("MERCHANT_BRAND_COLOR", hex_color)
    merchant_support_email: str = _read("MERCHANT_SUPPORT_EMAIL", email_address)
    merchant_support_phone: str = _read("MERCHANT_SUPPORT_PHONE", phone_number)
    merchant_policy_url: str = _read("MERCHANT_POLICY_URL", optional_http_url)
    merchant_site_url: str = _read("MERCHANT_SITE_URL", optional_http_url)
    # The 4-digit MCC of a merchant VPA; unset means a personal (P2P) UPI ID.
    upi_merchant_code: str = _read("UPI_MERCHANT_CODE", merchant_code)
    # Receipt e-mail: the server (its URL holds the password) and the From address.
    smtp_url: str = _read("SMTP_URL", smtp_server_url, secret=True)
    mail_from: str = _read("MAIL_FROM", email_address)
    # Console sign-in: idle minutes before a session ends.
    admin_session_idle_minutes: int = _read("ADMIN_SESSION_IDLE_MINUTES", integer(5, 1440), "30")
    # /metrics: a Bearer token (required in production; without it, loopback only).
    metrics_token: str = _read("METRICS_TOKEN", text, secret=True)
    # Rate limits, in flask-limiter's syntax (checkout/limits.py applies them). A request
    # carrying a valid merchant key counts against KEYED for that key, whatever its IP
    # (one backend polling 1,000 orders every 5 s is 200/s). The others count per IP,
    # except ACTIONS and UTR, which count per checkout (many customers share one carrier
    # address): STATUS a status read, NONCE /api/nonce, API any other API route, LINK_OPENS
    # checkouts opened from one payment link page, SIGNED signed form posts, EVIDENCE
    # messages a relay posts.
    rate_limit_status: str = _read("RATE_LIMIT_STATUS", rate_limit, "600 per minute")
    rate_limit_keyed: str = _read("RATE_LIMIT_KEYED", rate_limit, "300 per second")
    rate_limit_nonce: str = _read("RATE_LIMIT_NONCE", rate_limit, "120 per minute")
    rate_limit_actions: str = _read("RATE_LIMIT_ACTIONS", rate_limit, "6 per minute")
    rate_limit_utr: str = _read("RATE_LIMIT_UTR", rate_limit, "5 per minute")
    rate_limit_api: str = _read("RATE_LIMIT_API", rate_limit, "120 per minute")
    rate_limit_link_opens: str = _read("RATE_LIMIT_LINK_OPENS", rate_limit, "3 per minute")
    rate_limit_signed: str = _read("RATE_LIMIT_SIGNED", rate_limit, "30 per minute")
    rate_limit_evidence: str = _read("RATE_LIMIT_EVIDENCE", rate_limit, "6000 per minute")
    # Personal data on checkouts, orders, credits, claims, nonces and the audit is erased
    # after this many days; amounts, ids, statuses and RRNs stay for the accounts.
    pii_retention_days: int = _read("PII_RETENTION_DAYS", integer(1, 36500), "180")
    # Not read from the environment: lets tests and `flask poll` run without the thread.
    start_ticker: bool = True
    # Not read from the environment: the `flask` CLI prints log lines only when asked (-v).
    hold_console_logs: bool = False

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
        for attribute, variable in _VARIABLES.items():
            raw = env.get(variable.name)
            values[attribute] = variable.parse(
                variable.name, variable.default if raw is None else raw
            )
        return cls(**_chosen(values)).validated()

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
        if self.smtp_url and not self.mail_from:
            raise ConfigError("MAIL_FROM is required when SMTP_URL is set (the receipts' sender)")
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
            if url.startswith("http://") and not is_loopback(url):
                problems.append(
                    f"{variable} must use https when APP_ENV=production "
                    "(the wallet token goes with every request)"
                )
        if not self.email_require_dkim:
            problems.append(
                "EMAIL_REQUIRE_DKIM=false is refused when APP_ENV=production "
                "(anyone could send a bank alert e-mail that pays a checkout)"
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
        if not self.metrics_token:
            problems.append("METRICS_TOKEN is required when APP_ENV=production (/metrics)")
        if self.public_url.startswith("http://"):
            problems.append("PUBLIC_URL must use https when APP_ENV=production")
        plain = [o for o in self.allowed_origins if o.startswith("http://") and not is_loopback(o)]
        if plain:
            problems.append(
                "ALLOWED_ORIGINS must use https when APP_ENV=production (http only for localhost), "
                f"got {plain[0]!r}"
            )
        return problems


# Settings attribute → how it is read, in the order the variables are read and documented.
_VARIABLES: dict[str, Variable] = {
    item.name: item.metadata[VARIABLE] for item in fields(Settings) if VARIABLE in item.metadata
}
# env variable → (attribute, parser, default text): the same table, by variable.
_SPEC: dict[str, tuple[str, Callable[[str, str], Any], str]] = {
    variable.name: (attribute, variable.parse, variable.default)
    for attribute, variable in _VARIABLES.items()
}
ENV_VARIABLES: tuple[str, ...] = tuple(_SPEC)


def _chosen(values: dict[str, Any]) -> dict[str, Any]:
    """`values` with each empty chosen setting picked from the others."""
    for attribute, variable in _VARIABLES.items():
        if variable.choose is not None and not values[attribute]:
            values[attribute] = variable.choose(values)
    return values


@cache
def _unset_values() -> Mapping[str, Any]:
    """What every setting reads as when no variable is set (before the chosen ones are picked)."""
    return MappingProxyType(
        {attribute: v.parse(v.name, v.default) for attribute, v in _VARIABLES.items()}
    )
