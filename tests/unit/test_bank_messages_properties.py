# ruff: noqa: E501  (templates read best whole)
"""Generated variants of every bank's credit: the right answer, or never a credit.

Each template below follows a format of tests/unit/test_bank_messages.py (its
sources are named there). Hypothesis varies what banks vary: the way the
amount is written, the account mask, spacing and line breaks, letter case,
the payer, and whether a reference is given at all.
"""

from __future__ import annotations

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain.bank_sms import parse_sms
from checkout.domain.bank_text import amount_paise
from checkout.domain.evidence import MessageKind

# (bank, text with {amt} {acct} {date} {vpa} {name} {bal} {ref}, the {ref} text with {rrn})
WITH_REFERENCE = [
    ("HDFC", "Credit Alert!\n{amt} credited to HDFC Bank A/c {acct} on {date} from VPA {vpa}{ref}", " (UPI {rrn})"),
    ("HDFC", "HDFC Bank: {amt} credited to a/c {acct} on {date} by a/c linked to VPA {vpa}{ref}.", " (UPI Ref No {rrn})"),
    ("SBI", "Dear SBI UPI User, ur A/c{acct} credited by {amt} on {sdate} by {ref}", "(Ref no {rrn})"),
    ("ICICI", "Dear Customer, Acct {acct} is credited with {amt} on {idate} from {name}.{ref}-ICICI Bank.", " UPI:{rrn}"),
    ("AXIS", "{amt} credited to A/c no. {acct} on {date} at 11:59:28 IST. Info- {ref}{name}/Axis Bank - Axis Bank", "UPI/P2A/{rrn}/"),
    ("KOTAK", "Received {amt} in your Kotak Bank AC {acct} from {vpa} on {date}.{ref}", "UPI Ref:{rrn}."),
    ("PNB", "Ac {acct} Credited with {amt} {ldate} 08:53:21 thru UPI . Aval Bal Rs.{bal} CR. {ref}Helpline 18001800-PNB", "(UPI Ref ID:{rrn}) "),
    ("BOB", "{amt} credited to A/c {acct} via {ref} by {name}. AvlBal:Rs{bal} -Bank of Baroda", "IMPS/{rrn}"),
    ("CANARA", "Dear Customer, your A/c {acct} has been credited with {amt} on {date}{ref}. Total Avail.bal INR {bal} - Canara Bank", " UPI Ref {rrn}"),
    ("UNION", "A/c {acct} Credited for {amt} on {ldate} 20:05:45 by Mob Bk {ref}Avl Bal Rs:{bal}.Never Share OTP/PIN/CVV-Union Bank of India", "ref no {rrn} "),
    ("INDUSIND", "A/C *{acct} credited by {amt} from {vpa}.{ref} Avl Bal:{bal}. Not you? Call 18602677777 - IndusInd bank", " RRN:{rrn}."),
    ("IDBI", "IDBI Bank Acct {acct} credited with {amt} on {idate} from {name}.{ref} -IDBI Bank", " UPI:{rrn}."),
    ("FEDERAL", "{amt} credited to your A/c {acct} via IMPS on {fdate} 11:45:30 {ref}Bal:Rs {bal} -Federal Bank", "IMPS Ref no {rrn} "),
]  # fmt: skip
# Banks whose template carries no reference at all.
WITHOUT_REFERENCE = [
    ("IDFC", "Your A/C {acct} is credited by {amt} on {date} 17:36. New Bal :INR {bal}"),
    ("YES", "{amt} has been credited to your YES BANK A/c ending {acct}. Thank you"),
    ("SBI", "Your a/c no. {acct} is credited by {amt} on {idate}. Avl Bal {bal} -SBI"),
]  # fmt: skip

NOT_CREDIT_WORDS = [
    "Rs.10.00 debited from your a/c",
    "OTP 482913",
    "refund",
    "Txn reversed",
    "failed",
    "UPI mandate",
    "AutoPay",
    "get cashback",
    "special offer",
    "Pre-approved loan",
    "will be debited",
    "Do not share it. 482913 is the OTP for",
]
NAMES = ["ASHA K", "ANURAG JAIN", "PRIYA", "SRINIVASAN R", "JOHN DOE", "Sohom Jana"]
VPAS = ["asha.k@okicici", "priya@okaxis", "9829172900@ptyes", "j.doe2182-1@okhdfcbank", "abcd@ybl"]
MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]


def indian(whole: int) -> str:
    digits = str(whole)
    if len(digits) <= 3:
        return digits
    head, tail = digits[:-3], digits[-3:]
    pairs = [head[max(0, end - 2) : end] for end in range(len(head), 0, -2)]
    return ",".join([*reversed(pairs), tail])


@st.composite
def written_amounts(draw: st.DrawFn) -> tuple[str, int]:
    paise = draw(st.integers(min_value=1, max_value=10**9))
    whole, cents = divmod(paise, 100)
    forms = [
        f"Rs.{indian(whole)}.{cents:02d}",
        f"Rs {whole}.{cents:02d}",
        f"INR {whole}.{cents:02d}",
        f"INR {whole:,}.{cents:02d}",
        f"₹ {whole}.{cents:02d}",
    ]
    if cents % 10 == 0:
        forms.append(f"Rs {whole}.{cents // 10}")
    if cents == 0 and whole:
        forms += [f"Rs{whole}", f"₹{indian(whole)}", f"Rs.{indian(whole)}", f"INR {whole}"]
    form = draw(st.sampled_from(forms))
    return form, paise


masks = st.builds(
    lambda mask, digits: mask + digits,
    st.sampled_from(["XX", "X", "*", "**", "XXXXXX", "xx"]),
    st.from_regex(r"[0-9]{4}", fullmatch=True),
)
rrns = st.from_regex(r"[0-9]{12}", fullmatch=True)
days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def messages(draw: st.DrawFn, template: str, reference: str | None) -> tuple[str, int, str, str]:
    amount, paise = draw(written_amounts())
    rrn = draw(rrns)
    day = draw(days)
    balance = draw(st.integers(min_value=0, max_value=10**8))
    text = template.format(
        amt=amount,
        acct=draw(masks),
        date=day.strftime("%d-%m-%y"),
        sdate=day.strftime("%d") + MONTHS[day.month - 1].title() + day.strftime("%y"),
        idate=day.strftime("%d-") + MONTHS[day.month - 1].title() + day.strftime("-%y"),
        ldate=day.strftime("%d-%m-%Y"),
        fdate=day.strftime("%d") + MONTHS[day.month - 1] + day.strftime("%Y"),
        vpa=draw(st.sampled_from(VPAS)),
        name=draw(st.sampled_from(NAMES)),
        bal=f"{balance // 100}.{balance % 100:02d}",
        ref=reference.format(rrn=rrn) if reference else "",
    )
    text = draw(st.sampled_from([str, str.upper, str.lower]))(text)
    gaps = draw(st.lists(st.sampled_from([" ", "  ", "\n", " \n "]), min_size=40, max_size=40))
    spaced = iter(gaps)
    return re.sub(" ", lambda _: next(spaced, " "), text), paise, rrn, amount


Case = tuple[str, tuple[str, int, str, str]]  # (bank, (text, paise, rrn, written amount))


def variants(rows: list[tuple[str, ...]], *, referenced: bool) -> st.SearchStrategy[Case]:
    """(bank, generated message) for one of ``rows``, its reference given or left out."""
    return st.sampled_from(rows).flatmap(
        lambda row: st.tuples(
            st.just(row[0]), messages(row[1], row[2] if referenced and len(row) > 2 else None)
        )
    )


with_reference = variants(WITH_REFERENCE, referenced=True)
reference_left_out = variants(WITH_REFERENCE, referenced=False)
never_referenced = variants(WITHOUT_REFERENCE, referenced=False)


@settings(max_examples=150, deadline=None)
@given(with_reference)
def test_a_credit_with_its_reference_is_read_exactly(
    case: Case,
) -> None:
    bank, (text, paise, rrn, _) = case
    message = parse_sms(text, bank=bank, received_at=None)
    assert message.kind is MessageKind.CREDIT, text
    assert (message.bank, message.amount_paise, message.rrn) == (bank, paise, rrn)


@settings(max_examples=100, deadline=None)
@given(reference_left_out)
def test_a_credit_whose_template_needs_a_reference_is_unparsed_without_it(
    case: Case,
) -> None:
    bank, (text, _, _, _) = case
    assert parse_sms(text, bank=bank, received_at=None).kind is MessageKind.UNPARSED, text


@settings(max_examples=150, deadline=None)
@given(never_referenced)
def test_a_template_without_reference_gives_the_amount_and_no_rrn(
    case: Case,
) -> None:
    bank, (text, paise, _, _) = case
    message = parse_sms(text, bank=bank, received_at=None)
    assert (message.kind, message.amount_paise, message.rrn) == (MessageKind.CREDIT, paise, None)


@settings(max_examples=150, deadline=None)
@given(with_reference, st.sampled_from(NOT_CREDIT_WORDS), st.integers(min_value=0))
def test_a_debit_otp_refund_or_offer_word_anywhere_means_no_credit(
    case: Case, words: str, where: int
) -> None:
    bank, (text, _, _, _) = case
    pieces = text.split(" ")
    at = where % (len(pieces) + 1)
    spoiled = " ".join([*pieces[:at], words, *pieces[at:]])
    for known in (bank, None):
        assert parse_sms(spoiled, bank=known, received_at=None).kind is MessageKind.NOT_CREDIT


@settings(max_examples=150, deadline=None)
@given(with_reference)
def test_without_its_amount_a_credit_is_never_read_as_one(
    case: Case,
) -> None:
    bank, (text, _, _, amount) = case
    written = r"\s+".join(re.escape(part) for part in amount.split(" "))
    text = re.sub(written, "", text, count=1, flags=re.IGNORECASE)
    for known in (bank, None):
        assert parse_sms(text, bank=known, received_at=None).kind is not MessageKind.CREDIT


@given(written_amounts())
def test_every_written_amount_is_its_paise(written: tuple[str, int]) -> None:
    form, paise = written
    number = re.sub(r"^(?:Rs\.?|INR|₹) ?", "", form)
    assert amount_paise(number) == paise
