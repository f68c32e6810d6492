"""Logging: console plus rotating `combined.log` and `error.log`, text or JSON lines.

Secrets never reach a log: the request line carries the path without its
query string, and no header value is ever logged. As a last line of defence
every managed handler redacts what is a credential wherever it turns up in a
message: the hosted-page token in `/pay/<token>` (whoever holds it can act on
that checkout), the value after `Bearer`, and a relay URL's `?token=` (whoever
holds it can post evidence). gunicorn's own loggers get the same filter
(checkout/gunicorn_conf.py): its error log quotes bad request lines, and its
access log every request line.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import re
from collections import deque
from datetime import UTC, datetime

from checkout.config import Settings

_MANAGED = "_upi_checkout_handler"
_REDACTED = "_upi_checkout_redacted"
REDACTED = "[redacted]"
_SECRETS = (
    (re.compile(r"(/pay/)[A-Za-z0-9_\-]{8,}"), rf"\g<1>{REDACTED}"),
    (re.compile(r"(?i)(bearer\s+)[^\s\"',;]+"), rf"\g<1>{REDACTED}"),
    # A relay URL token (/api/v1/evidence/sms?token=…): whoever holds it can post evidence.
    (re.compile(r"([?&]token=)[^&#\s\"']+"), rf"\g<1>{REDACTED}"),
)


def redact(text: str) -> str:
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


_PLAIN = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with credentials blanked out, for every handler after it.

    A traceback can quote a URL too (an exception's message), so the exception text
    is rendered here, redacted, and kept on the record where formatters look for it.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, _REDACTED, False):
            return True  # another handler's filter has cleaned this very record already
        setattr(record, _REDACTED, True)
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _PLAIN.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger) -> None:
    """The filter on a logger and on each of its handlers (records from child loggers too).

    Idempotent: calling it again after the handlers were replaced adds none twice.
    """
    for owner in (logger, *logger.handlers):
        if not any(isinstance(existing, RedactingFilter) for existing in owner.filters):
            owner.addFilter(RedactingFilter())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = record.exc_text or self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class HeldConsole(logging.StreamHandler):
    """The `flask` CLI's console: log lines wait there until a command is given -v.

    The app logs while it loads (the in-memory store, the rate limiter's reset), before
    click has read the command's options; without -v those lines and later ones stay
    in the log files only. Errors always print.
    """

    HELD_LINES = 200

    def __init__(self) -> None:
        super().__init__()
        self.held: deque[logging.LogRecord] = deque(maxlen=self.HELD_LINES)
        self.shown = False

    def emit(self, record: logging.LogRecord) -> None:
        if self.shown or record.levelno >= logging.ERROR:
            super().emit(record)
        else:
            self.held.append(record)

    def show(self) -> None:
        """Print what was held, and every line from now on."""
        self.acquire()
        try:
            self.shown = True
            while self.held:
                super().emit(self.held.popleft())
        finally:
            self.release()


def show_held_console_logs() -> None:
    """-v on a CLI command: its console prints the log lines after all."""
    for handler in logging.getLogger().handlers:
        if isinstance(handler, HeldConsole):
            handler.show()


def configure_logging(settings: Settings) -> None:
    """Idempotent: a second app in the same process replaces the handlers, never stacks them."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _MANAGED, False):
            root.removeHandler(handler)
            handler.close()
    formatter: logging.Formatter
    if settings.log_format == "json":
        formatter = JsonFormatter()
    else:
        formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    console = HeldConsole() if settings.hold_console_logs else logging.StreamHandler()
    handlers: list[logging.Handler] = [console]
    os.makedirs(settings.log_dir, exist_ok=True)
    combined = logging.handlers.RotatingFileHandler(
        os.path.join(settings.log_dir, "combined.log"), maxBytes=10_000_000, backupCount=5
    )
    errors = logging.handlers.RotatingFileHandler(
        os.path.join(settings.log_dir, "error.log"), maxBytes=10_000_000, backupCount=5
    )
    errors.setLevel(logging.ERROR)
    handlers += [combined, errors]
    for handler in handlers:
        handler.addFilter(RedactingFilter())
        handler.setFormatter(formatter)
        setattr(handler, _MANAGED, True)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    for noisy in ("werkzeug", "urllib3", "pymongo"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if not settings.email_require_dkim:
        logging.getLogger("checkout.evidence").warning(
            "EMAIL_REQUIRE_DKIM=false: bank alert e-mail is believed WITHOUT a DKIM check, so "
            "anyone who can send this mailbox a message can pay a checkout; tests only"
        )
