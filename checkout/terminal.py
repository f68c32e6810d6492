"""What the CLI puts on a terminal: its own lines, with every control character escaped;
log lines only when a command is given -v; a help that lists this gateway's commands.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import click
from flask import Flask
from flask.cli import FlaskGroup

from checkout.logs import show_held_console_logs

# Characters a terminal acts on instead of showing (ESC starts a control sequence, CR
# and LF forge lines), plus the bidi overrides that make text read as something else.
_BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_SHORT_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def printable(text: object) -> str:
    """`text` with every control character written as an escape (ESC → \\x1b).

    What the CLI prints is stored input (URLs, names, titles) or a server's answer;
    printed raw, an escape sequence could retitle, clear or rewrite the terminal.
    """
    out = []
    for char in str(text):
        if char in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[char])
        elif unicodedata.category(char) in {"Cc", "Zl", "Zp"} or char in _BIDI_CONTROLS:
            code = ord(char)
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def say(line: object) -> None:
    """Print one line of output, through printable(): the only way this CLI prints."""
    click.echo(printable(line))


def failure(message: object) -> click.ClickException:
    return click.ClickException(printable(message))


EPILOG = """UPI Checkout's commands: poll watches the wallet from this process; sandbox pays
into the sandbox wallet; links, keys and webhooks create payment links, API keys and
webhook endpoints. Each has --help.

With MongoDB they work on the store; with the in-memory store (the default) they ask the
running gateway (`make run`). Log lines go to LOG_DIR; add -v to a command to see them.

Flask's run, shell and routes still work, unlisted: `make run` or gunicorn serves the
gateway (README)."""


def _show_logs(context: click.Context, parameter: click.Parameter, verbose: bool) -> None:
    if verbose:
        show_held_console_logs()


VERBOSE = click.Option(
    ["-v", "--verbose"],
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_logs,
    help="Print log lines to stderr too, those from loading the app included.",
)


def _add_verbose_flag(commands: Iterable[click.Command]) -> None:
    for command in commands:
        command.params.append(VERBOSE)
        if isinstance(command, click.Group):
            _add_verbose_flag(command.commands.values())


def present_commands(app: Flask, own: tuple[str, ...]) -> None:
    """-v on each of the gateway's commands; under the `flask` command, a help about them.

    Flask writes its group's opening paragraph before it loads the app, so this help
    comes after the command list; Flask's and the extensions' commands are left unlisted.
    """
    _add_verbose_flag(app.cli.commands[name] for name in own)
    context = click.get_current_context(silent=True)
    top = context.find_root().command if context else None
    if not isinstance(top, FlaskGroup):
        return
    top.epilog = EPILOG
    for name, command in [*top.commands.items(), *app.cli.commands.items()]:
        command.hidden = name not in own


def stop_on_sigterm() -> None:
    """SIGTERM (systemd, Docker) stops a long-running command the way Ctrl-C does."""
    import signal

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
