"""nx-27017, the MongoDB wire-protocol server that stands in for MongoDB in tests and benches.

It runs in memory on a free loopback port, so every run starts from an empty server and
nothing is left on disk but its log.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from tests.support.servers import HOST, free_port, stop, wait_for_port


def start_nx_server(workdir: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The server process and its URI; the caller stops it (see `nx_server`)."""
    port = free_port()
    executable = shutil.which("nx-27017", path=os.path.dirname(sys.executable)) or "nx-27017"
    process = subprocess.Popen(
        [
            executable,
            *("--db", "memory", "--host", HOST, "-p", str(port)),
            *("--log-file", str(workdir / "nx.log"), "--pid-file", str(workdir / "nx.pid")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
    except BaseException:
        stop(process)
        raise
    return process, f"mongodb://{HOST}:{port}/"


@contextlib.contextmanager
def nx_server(workdir: Path) -> Iterator[str]:
    """A running server's URI for the `with` block; stopped when the block ends."""
    process, uri = start_nx_server(workdir)
    try:
        yield uri
    finally:
        stop(process)
