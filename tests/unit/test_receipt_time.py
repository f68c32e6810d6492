"""The receipt's date and time: the customer's clock, written as people read it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from checkout.services.receipts import local_time_text


@pytest.mark.parametrize(
    ("utc", "zone", "shown"),
    [
        (datetime(2026, 12, 2, 9, 34, tzinfo=UTC), "Asia/Kolkata", "2 Dec 2026, 3:04 pm IST"),
        (datetime(2026, 12, 1, 18, 30, tzinfo=UTC), "Asia/Kolkata", "2 Dec 2026, 12:00 am IST"),
        (datetime(2026, 12, 2, 6, 45, tzinfo=UTC), "Asia/Kolkata", "2 Dec 2026, 12:15 pm IST"),
        (datetime(2026, 7, 1, 8, 5, tzinfo=UTC), "Europe/London", "1 Jul 2026, 9:05 am BST"),
    ],
)
def test_english(utc: datetime, zone: str, shown: str) -> None:
    assert local_time_text(utc, zone) == shown


def test_hindi_names_the_month_in_hindi() -> None:
    moment = datetime(2026, 12, 2, 9, 34, tzinfo=UTC)
    assert local_time_text(moment, "Asia/Kolkata", "hi") == "2 दिस॰ 2026, 3:04 pm IST"


def test_a_language_babel_does_not_know_reads_english() -> None:
    moment = datetime(2026, 12, 2, 9, 34, tzinfo=UTC)
    assert local_time_text(moment, "Asia/Kolkata", "xx") == "2 Dec 2026, 3:04 pm IST"
