"""Who holds a lease, and whether that holder can still be alive.

A lease held by a process killed mid-tick would otherwise block every other
process until it runs out. Owners name their host, process id and the process's
start time, so a holder on this host that is gone (or whose pid now belongs to
a newer process) is recognised at once; holders elsewhere are trusted until
their short lease runs out, which a live holder renews while it works.
"""

from __future__ import annotations

import os
import socket
import uuid
from pathlib import Path

_SEPARATOR = "|"
_FIELDS = 5


def process_owner(role: str) -> str:
    """A lease owner id for ``role`` in this process: host|pid|start|role|random."""
    pid = os.getpid()
    start = _start_time(pid) or "-"
    return _SEPARATOR.join(
        (socket.gethostname(), str(pid), start, role.replace(_SEPARATOR, "-"), uuid.uuid4().hex[:8])
    )


def owner_is_dead(owner: str | None) -> bool:
    """True only when ``owner`` certainly cannot be running any more.

    Unknown formats and other hosts are never declared dead: a wrong "dead"
    would let two ticks run at once.
    """
    if not owner:
        return False
    parts = owner.split(_SEPARATOR)
    if len(parts) != _FIELDS or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid, start = int(parts[1]), parts[2]
    if not _pid_exists(pid) or _state(pid) == "Z":  # a zombie was killed, only not reaped
        return True
    current = _start_time(pid)
    # The pid was reused by a process that started later: the owner is gone.
    return start != "-" and current is not None and current != start


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux), or None elsewhere."""
    fields = _stat(pid)
    return fields[19] if len(fields) > 19 else None


def _state(pid: int) -> str | None:
    fields = _stat(pid)
    return fields[0] if fields else None


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 on (state first); empty where there is no /proc."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return []
    # The command name (field 2) may hold spaces and parentheses: split after the last ")".
    return stat.rsplit(")", 1)[-1].split()
