"""What the CLI puts on a terminal: its own lines, with every control character escaped."""

from __future__ import annotations

import unicodedata

import click

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
