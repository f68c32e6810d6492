"""Parser speed: microseconds per bank message (issue 9, docs/PERFORMANCE.md).

Not a test. Reads every credit and not-credit sample of the unit tests plus the
shared samples, through `parse_sms` as the SMS endpoint calls it (sender
verdict, then the bank's table), in one process, and prints the mean and the
slowest kind. Run: .venv/bin/python bench/parser_speed.py [--rounds N]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checkout.domain.bank_email import parse_alert_email  # noqa: E402
from checkout.domain.bank_senders import (  # noqa: E402
    DEFAULT_TRUSTED_SMS_SENDERS,
    bank_for_header,
    sms_sender_verdict,
)
from checkout.domain.bank_sms import parse_sms  # noqa: E402
from tests.unit.test_bank_messages import CREDITS, NOT_CREDITS, SAMPLES, SHARED  # noqa: E402


def read(sender: str, text: str) -> None:
    _, header = sms_sender_verdict(sender, trusted=DEFAULT_TRUSTED_SMS_SENDERS, accept_bare=False)
    parse_sms(text, bank=bank_for_header(header), received_at=None)


def per_message(messages: list[tuple[str, str]], rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        for sender, text in messages:
            read(sender, text)
    return (time.perf_counter() - start) / (rounds * len(messages)) * 1e6


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--rounds", type=int, default=200)
    rounds = options.parse_args().rounds
    credits = [(row[1], row[2]) for row in CREDITS]
    others = [(row[1], row[2]) for row in NOT_CREDITS]
    shared = [(sample["from"], sample["text"]) for sample in SAMPLES]
    unknown = [("VM-HDFCBK-S", "Your account XX1 has been credited, see the app for details")]
    everything = credits + others + shared
    print(f"messages: {len(everything)} x {rounds} rounds")
    print(f"all:            {per_message(everything, rounds):7.1f} µs/message")
    print(f"credits:        {per_message(credits, rounds):7.1f} µs/message")
    print(f"not credits:    {per_message(others, rounds):7.1f} µs/message")
    print(f"unparsed:       {per_message(unknown, rounds):7.1f} µs/message")
    raw = (SHARED / "hdfc-credit.eml").read_bytes()
    start = time.perf_counter()
    for _ in range(rounds):
        parse_alert_email(raw)
    print(f"alert e-mail:   {(time.perf_counter() - start) / rounds * 1e6:7.1f} µs/message")


if __name__ == "__main__":
    main()
