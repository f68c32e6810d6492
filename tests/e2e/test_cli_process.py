"""`flask --app app …` as a person types it: the command's output, and log lines only on -v.

The app logs while it loads (the in-memory store, the rate limiter's reset); in a
terminal those lines were noise on every command, `--help` included.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, child_environment

OWN_COMMANDS = [
    "erase-customer",
    "keys",
    "links",
    "poll",
    "purge-personal-data",
    "sandbox",
    "users",
    "webhooks",
]


def flask(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args],
        cwd=ROOT,
        env=child_environment(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )


def listed_commands(help_text: str) -> list[str]:
    lines = help_text.split("\nCommands:\n", 1)[1].splitlines()
    names = []
    for line in lines:
        if not line.startswith("  "):
            break
        names.append(line.split()[0])
    return names


def test_help_lists_the_gateways_commands_and_says_what_they_are_for(tmp_path: Path) -> None:
    result = flask(tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    # Flask's run, shell and routes and Flask-Limiter's limiter are unlisted.
    assert listed_commands(result.stdout) == OWN_COMMANDS
    about = " ".join(result.stdout.split("\nCommands:\n", 1)[1].split())
    assert "poll watches the wallet" in about and "sandbox pays into the sandbox wallet" in about
    assert "create payment links, API keys and webhook endpoints" in about
    assert "add -v to a command" in about


def test_a_commands_help_offers_dash_v_and_prints_nothing_else(tmp_path: Path) -> None:
    result = flask(tmp_path, "keys", "--help")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "-v, --verbose" in result.stdout
    assert listed_commands(result.stdout) == ["create", "list", "revoke"]


def test_a_command_prints_its_output_and_keeps_log_lines_in_the_log_file(tmp_path: Path) -> None:
    result = flask(tmp_path, "poll", "--once")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("TickReport(")
    assert result.stderr == ""
    logged = (tmp_path / "logs" / "combined.log").read_text(encoding="utf-8")
    assert "data lives in memory" in logged


def test_dash_v_prints_the_log_lines_loading_the_app_wrote(tmp_path: Path) -> None:
    result = flask(tmp_path, "poll", "--once", "-v")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("TickReport(")
    assert "WARNING checkout: data lives in memory" in result.stderr
    assert "INFO flask-limiter: Storage has been reset" in result.stderr
