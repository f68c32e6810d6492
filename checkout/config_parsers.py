"""How each setting's text is read: one parser per kind of value, each raising ConfigError.

A parser takes the variable's name and its raw text, so every refusal is one line
naming the variable (checkout.config declares which parser reads which variable).
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from urllib.parse import SplitResult, urlsplit

from checkout.domain.money import MoneyError, parse_rupees

MEMORY_SCHEME = "mongomock://"


class ConfigError(ValueError):
    """A setting that cannot be used; the message is one line naming the variable."""


def integer(low: int, high: int) -> Callable[[str, str], int]:
    def parse(name: str, raw: str) -> int:
        if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
        value = int(raw.strip())
        if not low <= value <= high:
            raise ConfigError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
        return value

    return parse


def optional_integer(low: int, high: int) -> Callable[[str, str], int]:
    """A whole number, or 0 when empty: the default depends on other settings."""
    parse_integer = integer(low, high)

    def parse(name: str, raw: str) -> int:
        return parse_integer(name, raw) if raw.strip() else 0

    return parse


def choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ConfigError(f"{name} must be one of {', '.join(options)}, got {raw!r}")
        return value

    return parse


def boolean(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def text(name: str, raw: str) -> str:
    return raw.strip()


def rupees(name: str, raw: str) -> int:
    try:
        return parse_rupees(raw)
    except MoneyError as exc:
        raise ConfigError(f"{name} must be an amount in rupees, {exc}, got {raw!r}") from None


def http_url(name: str, raw: str) -> str:
    value = raw.strip()
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"{name} must be an http(s) URL, got {raw!r}")
    return value


def optional_http_url(name: str, raw: str) -> str:
    return http_url(name, raw).rstrip("/") if raw.strip() else ""


def origins(name: str, raw: str) -> tuple[str, ...]:
    found = []
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
        found.append(f"{parts.scheme}://{parts.netloc}".lower())
    return tuple(found)


def mongodb_uri(name: str, raw: str) -> str:
    value = raw.strip()
    if not value.startswith((MEMORY_SCHEME, "mongodb://", "mongodb+srv://")):
        raise ConfigError(
            f"{name} must start with mongodb://, mongodb+srv:// or {MEMORY_SCHEME} (in-memory), "
            f"got {value.split('@')[-1]!r}"
        )
    return value


def is_loopback(url: str) -> bool:
    """localhost and loopback addresses: plain http there never crosses a network."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def storage_uri(name: str, raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("memory://", "mongodb://", "mongodb+srv://", "redis://", "rediss://")):
        raise ConfigError(f"{name} must be memory://, mongodb://… or redis://…, got {value!r}")
    return value


def comma_list(
    item: str, normal: Callable[[str], str], what: str
) -> Callable[[str, str], tuple[str, ...]]:
    """A comma-separated list whose every entry, once normalised, matches `item`."""

    def parse(name: str, raw: str) -> tuple[str, ...]:
        found = []
        for entry in raw.split(","):
            entry = normal(entry.strip())
            if not entry:
                continue
            if not re.fullmatch(item, entry):
                raise ConfigError(f"{name} must be a comma-separated list of {what}, got {entry!r}")
            found.append(entry)
        return tuple(found)

    return parse


# DLT sender headers as the bank registered them (HDFCBK), without VM- or -S.
sms_headers = comma_list(
    r"[A-Z0-9]{3,11}",
    str.upper,
    "SMS sender headers like HDFCBK (without the VM- prefix or the -S suffix)",
)
email_addresses = comma_list(
    r"[^@\s,<>]+@[a-z0-9-]+(\.[a-z0-9-]+)+", str.lower, "e-mail addresses like alerts@hdfcbank.net"
)


def host_name(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value and not re.fullmatch(
        r"[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*", value
    ):
        raise ConfigError(f"{name} must be a host name like mx.google.com, got {raw!r}")
    return value


IMAP_PORTS = {"imaps": 993, "imap": 143}


def _mail_server(value: str, shape: str, schemes: Mapping[str, int]) -> SplitResult | None:
    """A mail server's URL split, with a known scheme and a numeric port (None if empty).

    The URL holds a password, so a refusal says what shape is wanted, never the value.
    """
    if not value:
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError(f"{shape} (the port is not a number)") from None
    if parts.scheme not in schemes:
        raise ConfigError(f"{shape}, got the scheme {parts.scheme!r}")
    return parts


def imap_url(name: str, raw: str) -> str:
    """`imaps://user:password@host:port/MAILBOX`, or plain `imap://` on a loopback host only.

    The URL holds the mailbox password, so no refusal ever quotes it.
    """
    value = raw.strip()
    shape = f"{name} must look like imaps://user:password@host:993/INBOX"
    parts = _mail_server(value, shape, IMAP_PORTS)
    if parts is None:
        return ""
    if not parts.hostname or not parts.username or not parts.password:
        raise ConfigError(f"{shape}: the user, the password and the host are all required")
    if parts.query or parts.fragment:
        raise ConfigError(f"{shape}, with no ?query or #fragment")
    if parts.scheme == "imap" and not is_loopback(value):
        raise ConfigError(
            f"{name} must use imaps:// (TLS) for {parts.hostname} (plain imap:// only for "
            "localhost), or the mailbox password would cross the network in the clear"
        )
    return value


def readable_file(name: str, raw: str) -> str:
    """A path to a file this process can read, or empty."""
    value = raw.strip()
    if value and not (os.path.isfile(value) and os.access(value, os.R_OK)):
        raise ConfigError(f"{name} must be a readable file, got {value!r}")
    return value


def timezone_name(name: str, raw: str) -> str:
    """An IANA zone such as Asia/Kolkata, which the standard library can load."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    value = raw.strip()
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{name} must be a time zone like Asia/Kolkata, got {raw!r}") from None
    return value


def rate_limit(name: str, raw: str) -> str:
    """flask-limiter's own syntax ("600 per minute", "20/second;1000/hour"), checked now."""
    from limits import parse_many

    value = raw.strip()
    try:
        parse_many(value)
    except ValueError:
        raise ConfigError(
            f"{name} must be a rate limit like '600 per minute' or '20/second;1000/hour', "
            f"got {raw!r}"
        ) from None
    return value


def hex_color(name: str, raw: str) -> str:
    """#rrggbb (or #rgb, written out), lower case, or empty."""
    value = raw.strip().lower()
    if not value:
        return ""
    if re.fullmatch(r"#[0-9a-f]{3}", value):
        value = "#" + "".join(c * 2 for c in value[1:])
    if not re.fullmatch(r"#[0-9a-f]{6}", value):
        raise ConfigError(f"{name} must be a colour like #1a73e8, got {raw!r}")
    return value


def shaped(
    pattern: str, what: str, *, required: bool = False, lower: bool = False
) -> Callable[[str, str], str]:
    """A single value that must match `pattern` (or be empty, unless `required`)."""

    def parse(name: str, raw: str) -> str:
        value = raw.strip().lower() if lower else raw.strip()
        if (value or required) and not re.fullmatch(pattern, value):
            raise ConfigError(f"{name} must be {what}, got {raw!r}")
        return value

    return parse


email_address = shaped(
    r"[^@\s,<>]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+", "an e-mail address like shop@example.in"
)
phone_number = shaped(r"\+?[0-9][0-9 \-]{5,18}[0-9]", "a phone number like +91 98765 43210")
language_code = shaped(r"[a-z]{2,3}", "a language code like en or hi", required=True, lower=True)
# The 4-digit merchant category code (MCC) a merchant VPA was registered with.
merchant_code = shaped(r"[0-9]{4}", "a 4-digit merchant category code")


SMTP_PORTS = {"smtps": 465, "smtp": 587}


def smtp_server_url(name: str, raw: str) -> str:
    """`smtp://user:password@host:587` (STARTTLS), `smtps://…:465` (TLS), or empty.

    A server that offers no STARTTLS is used in the clear only on a loopback host (the
    sender checks that); the URL holds the password, so no refusal quotes it.
    """
    value = raw.strip()
    shape = f"{name} must look like smtp://user:password@host:587 or smtps://user:password@host"
    parts = _mail_server(value, shape, SMTP_PORTS)
    if parts is None:
        return ""
    if not parts.hostname:
        raise ConfigError(f"{shape}, got no host")
    if bool(parts.username) != bool(parts.password):
        raise ConfigError(f"{shape}: give both the user and the password, or neither")
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ConfigError(f"{shape}, with no path, ?query or #fragment")
    return value
