# ruff: noqa: E501  (header rewrites read best on one line)
"""Who may speak for a bank: SMS headers and alert e-mail proven by the topmost Authentication-Results."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from checkout.domain.bank_email import email_is_trusted, parse_alert_email
from checkout.domain.bank_senders import (
    DEFAULT_TRUSTED_EMAIL_SENDERS,
    DEFAULT_TRUSTED_SMS_SENDERS,
    HEADER_BANKS,
    sms_sender_verdict,
)
from checkout.domain.evidence import MessageKind, SenderVerdict

EML = (Path(__file__).resolve().parents[1] / "data" / "evidence" / "hdfc-credit.eml").read_bytes()
TRUSTED = SenderVerdict.TRUSTED
REJECTED = SenderVerdict.REJECTED


@pytest.mark.parametrize(
    ("sender", "accept_bare", "expected"),
    [
        ("VM-HDFCBK-S", False, (TRUSTED, "HDFCBK")),
        ("ax-kotakb-t", False, (TRUSTED, "KOTAKB")),
        ("JD-SBIUPI-G", False, (TRUSTED, "SBIUPI")),
        ("BZ-ICICIT", False, (TRUSTED, "ICICIT")),
        (" TX-YESBNK-S ", False, (TRUSTED, "YESBNK")),
        ("VM-HDFCBK-P", False, (REJECTED, "HDFCBK")),  # promotional
        ("VM-HDFCBK-X", False, (REJECTED, "HDFCBK")),  # no such category
        ("HDFCBK", False, (REJECTED, "HDFCBK")),  # bare, not allowed
        ("HDFCBK", True, (TRUSTED, "HDFCBK")),
        ("VM-HDFCBX-S", False, (REJECTED, "HDFCBX")),  # look-alike
        ("VM-HDFCBK1-S", False, (REJECTED, None)),
        ("+919812345678", True, (REJECTED, None)),
        ("9812345678", True, (REJECTED, None)),
        ("+91 98123 45678", True, (REJECTED, None)),
        ("562993", True, (REJECTED, None)),  # numeric promotional header
        ("VM-562993-S", True, (REJECTED, "562993")),
        ("HDFC Bank", True, (REJECTED, None)),
        ("", True, (REJECTED, None)),
    ],
)
def test_only_a_trusted_dlt_header_speaks_for_a_bank(
    sender: str, accept_bare: bool, expected: tuple[SenderVerdict, str | None]
) -> None:
    verdict = sms_sender_verdict(
        sender, trusted=DEFAULT_TRUSTED_SMS_SENDERS, accept_bare=accept_bare
    )
    assert verdict == expected


def test_the_trusted_list_is_the_callers_not_the_built_in_one() -> None:
    assert sms_sender_verdict("VM-HDFCBK-S", trusted=frozenset({"axisbk"}), accept_bare=False) == (
        REJECTED,
        "HDFCBK",
    )
    assert (
        sms_sender_verdict("VM-AXISBK-S", trusted=frozenset({"axisbk"}), accept_bare=False)[0]
        is TRUSTED
    )


def test_every_bank_of_the_issue_has_a_default_header() -> None:
    banks = {"HDFC", "SBI", "ICICI", "AXIS", "KOTAK", "PNB", "BOB", "CANARA", "UNION", "IDFC"}
    banks |= {"INDUSIND", "YES", "IDBI", "FEDERAL"}
    assert set(HEADER_BANKS.values()) == banks
    assert set(HEADER_BANKS) == DEFAULT_TRUSTED_SMS_SENDERS


def trusted(raw: bytes, *, require_dkim: bool = True, authserv: str = "mx.google.com") -> bool:
    facts = parse_alert_email(raw).facts
    return email_is_trusted(
        facts,
        authserv_id=authserv,
        trusted_senders=DEFAULT_TRUSTED_EMAIL_SENDERS,
        require_dkim=require_dkim,
    )


def test_the_shared_hdfc_alert_is_read_and_trusted() -> None:
    alert = parse_alert_email(EML)
    assert alert.message.kind is MessageKind.CREDIT
    assert (alert.message.amount_paise, alert.message.rrn) == (101800, "633611223344")
    assert alert.facts.from_address == "alerts@hdfcbank.net"
    assert alert.facts.auth is not None and alert.facts.auth.authserv_id == "mx.google.com"
    assert (
        alert.facts.date is not None and alert.facts.date.isoformat() == "2026-12-02T04:11:07+00:00"
    )
    # The text states a date only, so the evidence time is the Date header.
    assert alert.message.occurred_at == alert.facts.date
    assert trusted(EML)


def with_headers(
    raw: bytes, *, top: str | None = None, replace: tuple[str, str] | None = None
) -> bytes:
    text = raw.decode("utf-8")
    if replace is not None:
        text = text.replace(*replace)
    if top is not None:
        text = f"Authentication-Results: {top}\n" + text
    return text.encode("utf-8")


@pytest.mark.parametrize(
    ("description", "raw"),
    [
        ("another server's id", with_headers(EML, replace=("mx.google.com;", "mx.evil.example;"))),
        ("dkim failed", with_headers(EML, replace=("dkim=pass", "dkim=fail"))),
        (
            "signed by another domain",
            with_headers(
                EML, replace=("header.i=@hdfcbank.net", "header.i=@hdfcbank.net.evil.example")
            ),
        ),
        (
            "signed by a suffix",
            with_headers(EML, replace=("header.i=@hdfcbank.net", "header.d=net")),
        ),
        (
            "from an untrusted address",
            with_headers(EML, replace=("<alerts@hdfcbank.net>", "<alerts@hdfcbank-alerts.net>")),
        ),
        (
            "a look-alike From",
            with_headers(
                EML, replace=("alerts@hdfcbank.net>", "alerts@hdfcbank.net>, x@evil.example")
            ),
        ),
        # Our server put a failing header on top; the passing one below came from the sender.
        ("only a lower header passes", with_headers(EML, top="mx.google.com; dkim=none; spf=fail")),
        ("no header at all", b"From: " + EML.split(b"From: ", 1)[1]),
    ],
)
def test_an_alert_not_proven_by_the_topmost_header_is_not_trusted(
    description: str, raw: bytes
) -> None:
    assert not trusted(raw), description


def test_dkim_by_a_parent_or_child_domain_aligns() -> None:
    child = with_headers(EML, replace=("header.i=@hdfcbank.net", "header.d=mail.hdfcbank.net"))
    assert trusted(child)
    sender_child = with_headers(
        EML,
        replace=(
            "From: HDFC Bank InstaAlerts <alerts@hdfcbank.net>",
            "From: <alerts@hdfcbank.net>",
        ),
    )
    assert trusted(sender_child)


def test_without_required_dkim_only_the_sender_address_counts() -> None:
    unsigned = EML.split(b"From: ", 1)[1]
    assert trusted(b"From: " + unsigned, require_dkim=False)
    assert not trusted(
        b"From: " + unsigned.replace(b"alerts@hdfcbank.net", b"a@b.example"), require_dkim=False
    )


def test_an_html_only_alert_is_read_through_its_text() -> None:
    message = EmailMessage()
    message["From"] = "Axis Bank Alerts <alerts@axisbank.com>"
    message["Date"] = "Wed, 02 Dec 2026 11:59:30 +0530"
    message["Authentication-Results"] = "mx.google.com; dkim=pass header.d=axisbank.com"
    message.set_content(
        "<html><head><style>p{color:red}</style></head><body><p>INR 5,590.00 credited to A/c no. "
        "XX8926 on 02-12-26 at 11:59:28 IST.</p><p>Info- UPI/P2A/633634567890/ANURAG JAIN/Axis Bank"
        "</p></body></html>",
        subtype="html",
    )
    alert = parse_alert_email(message.as_bytes())
    assert alert.message.kind is MessageKind.CREDIT
    assert (alert.message.bank, alert.message.amount_paise) == ("AXIS", 559000)
    assert alert.message.occurred_at is not None and alert.message.occurred_at.hour == 6
    assert trusted(message.as_bytes())


def test_a_malformed_message_is_neither_credit_nor_trusted() -> None:
    alert = parse_alert_email(b"\x00\xff garbage without headers")
    assert alert.message.kind is MessageKind.NOT_CREDIT
    assert not trusted(b"\x00\xff garbage without headers")
