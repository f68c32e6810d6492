"""Sending one e-mail through SMTP_URL: TLS from the start, STARTTLS, or plain on loopback only.

The URL carries the password; nothing here logs or raises it. A failure is told as a
`MailError` that says whether trying again later can help (a 4xx answer, a dropped
connection) or not (a 5xx answer, a server that will not encrypt off loopback).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from checkout.config_parsers import SMTP_PORTS, is_loopback

SEND_TIMEOUT_SECONDS = 15.0


class MailError(Exception):
    """Why a message was not sent, in words safe for a log: no password, no address."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        return cls(
            scheme=parts.scheme,
            host=parts.hostname or "",
            port=parts.port or SMTP_PORTS[parts.scheme],
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
        )

    @property
    def shown(self) -> str:
        """The server as a log line may name it."""
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def loopback(self) -> bool:
        return is_loopback(f"{self.scheme}://{self.host}")

    def __repr__(self) -> str:  # a dataclass repr would print the password
        return f"SmtpServer({self.shown})"


def send_message(
    smtp_url: str,
    message: EmailMessage,
    *,
    timeout: float = SEND_TIMEOUT_SECONDS,
    context: ssl.SSLContext | None = None,
) -> None:
    """Send `message`; raises MailError. smtps: TLS at once; smtp: STARTTLS when offered,
    and without it only to a loopback server (a relay on the same host)."""
    server = SmtpServer.from_url(smtp_url)
    context = context or ssl.create_default_context()
    try:
        connection: smtplib.SMTP
        if server.scheme == "smtps":
            connection = smtplib.SMTP_SSL(
                server.host, server.port, timeout=timeout, context=context
            )
        else:
            connection = smtplib.SMTP(server.host, server.port, timeout=timeout)
        with connection:
            connection.ehlo()
            if server.scheme == "smtp":
                if connection.has_extn("starttls"):
                    connection.starttls(context=context)
                    connection.ehlo()
                elif not server.loopback:
                    raise MailError(f"{server.shown} offers no STARTTLS", retryable=False)
            if server.user:
                connection.login(server.user, server.password)
            connection.send_message(message)
    except MailError:
        raise
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        raise MailError(
            f"recipient refused ({', '.join(map(str, codes))})",
            retryable=any(code < 500 for code in codes),
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise MailError(f"sign-in refused ({exc.smtp_code})", retryable=False) from None
    except smtplib.SMTPResponseException as exc:
        raise MailError(
            f"{type(exc).__name__} ({exc.smtp_code})", retryable=exc.smtp_code < 500
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        # ssl.SSLError and timeouts are OSErrors: the server or the network, maybe for now.
        raise MailError(type(exc).__name__, retryable=True) from None
