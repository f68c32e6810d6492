"""Servers a bench starts itself: up within a bound, stopped by their own pid, CPU counted.

Every wait is bounded: a server gets a fixed time to come up and to stop.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from support import ROOT
from support.net import HOST
from tests.support.servers import stop, wait_for_http

VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
GUNICORN = str(VENV_BIN / "gunicorn")

START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


class ServerProcess:
    """A server we start ourselves, stopped by its own pid (SIGTERM, then SIGKILL)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        port: int,
        env: dict[str, str],
        workdir: Path,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.port = port
        self.env = env
        self.log_path = workdir / f"{name}.out"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServerProcess:
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self._wait_ready()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _wait_ready(self) -> None:
        try:
            wait_for_http(f"http://{HOST}:{self.port}/health", self.proc, START_TIMEOUT)
        except AssertionError as failure:
            self.stop()
            raise RuntimeError(f"{self.name} did not come up: {failure}\n{self.tail()}") from None

    def stop(self) -> None:
        if self.proc is None:
            return
        stop(self.proc, STOP_TIMEOUT)
        self.proc = None
        self._log.close()

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])


def _stat_fields(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; everything after its ')' is split safely.
    return raw[raw.rfind(")") + 2 :].split()


def process_tree_cpu_seconds(root: int) -> float:
    """User+system CPU seconds used so far by `root` and its live descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields_ = _stat_fields(int(entry.name))
            if fields_:
                parents[int(entry.name)] = int(fields_[1])
    tree = {root}
    grew = True
    while grew:
        grew = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                grew = True
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in tree:
        fields_ = _stat_fields(pid)
        if fields_:
            total += (int(fields_[11]) + int(fields_[12])) / ticks
    return total


@contextlib.contextmanager
def workdir(prefix: str) -> Iterator[Path]:
    """A scratch directory for server output; BENCH_KEEP_TMP=1 keeps it for a post-mortem."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    finally:
        if os.environ.get("BENCH_KEEP_TMP"):
            print(f"  (kept {path})")
        else:
            shutil.rmtree(path, ignore_errors=True)
