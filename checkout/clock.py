"""The gateway's one clock.

MongoDB keeps milliseconds, so times are cut to milliseconds here: a time
read back from the store compares equal to the time that was written. Tests
move time by patching `utcnow`, never the code that calls it.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime | None) -> str | None:
    """How every answer, page and webhook writes a time: UTC, milliseconds, a trailing Z."""
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z") if moment else None


def utcnow() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
