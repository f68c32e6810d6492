# ruff: noqa: E501  (the samples are quoted whole, as the banks write them)
"""Bank SMS and alert e-mail read as the gateway must: credits certain, the rest refused.

Samples are real formats from public sources, named on each; names, accounts and
references are the sources' own placeholders. Where a source gave a reference
that is not 12 digits, it is kept: such a message must not become a credit with
a made-up RRN.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from checkout.domain.bank_senders import (
    DEFAULT_TRUSTED_SMS_SENDERS,
    bank_for_header,
    sms_sender_verdict,
)
from checkout.domain.bank_sms import GENERIC_RULE, parse_sms
from checkout.domain.evidence import MessageKind, SenderVerdict
from checkout.domain.money import parse_rupees

SHARED = Path(__file__).resolve().parents[1] / "data" / "evidence"
SAMPLES = json.loads((SHARED / "samples.json").read_text(encoding="utf-8"))

PENNYWISE = "github sarim2000/pennywiseai-tracker parser-core/src/test/kotlin"
TRAINING = "public GitHub bank-SMS training list (find_string id 48240611695)"
SAMPLE_LIST = "public GitHub SMS sample list marked real, user-verified (id 57759935045)"


def read(sender: str, text: str, received_at: datetime | None = None):
    verdict, header = sms_sender_verdict(
        sender, trusted=DEFAULT_TRUSTED_SMS_SENDERS, accept_bare=False
    )
    return verdict, parse_sms(text, bank=bank_for_header(header), received_at=received_at)


@pytest.mark.parametrize(
    "sample", SAMPLES, ids=lambda sample: f"{sample['from']}-{sample['expect']}"
)
def test_every_shared_sample_reads_as_expected(sample: dict[str, str]) -> None:
    verdict, message = read(sample["from"], sample["text"])
    if sample["expect"] == "rejected":
        assert verdict is SenderVerdict.REJECTED
        return
    assert verdict is SenderVerdict.TRUSTED
    if sample["expect"] == "ignored":
        assert message.kind is MessageKind.NOT_CREDIT
        return
    assert message.kind is MessageKind.CREDIT
    assert message.amount_paise == parse_rupees(sample["amount"])
    assert message.rrn == sample["rrn"]
    assert message.rule is not None and message.rule != GENERIC_RULE  # each bank has its table


# (source, sender, text, bank, amount in rupees, rrn or None)
CREDITS = [
    # HDFC
    (SAMPLE_LIST, "AD-HDFCBK", "Credit Alert! Rs.3000.00 credited to HDFC Bank A/c xx1234 on 25-06-25 from VPA 9829172900@ptyes (UPI 287130386996)", "HDFC", "3000.00", "287130386996"),
    (TRAINING, "VM-HDFCBK-S", "HDFC Bank: Rs. 1.00 credited to a/c XXXXXX2002 on 23-01-24 by a/c linked to VPA 9777777711@fam (UPI Ref No 408888887329).", "HDFC", "1.00", "408888887329"),
    (SAMPLE_LIST, "AD-HDFCBK", "HDFC Bank: Rs. 23000.00 credited to a/c XXXXXX1234 on 12-09-22 by a/c linked to VPA sainiprem410@ybl (UPI Ref No 225524688883).", "HDFC", "23000.00", "225524688883"),
    (PENNYWISE, "CP-HDFCBK-S", "Update! INR 1.00 deposited in HDFC Bank A/c XX9999 on 30-MAR-26 for NEFT Cr-CITI0100000-ACME TECHNOLOGIES-PERSON NAME-CITIN99999999999.Avl bal INR 8.00. Cheque deposits in A/C are subject to clearing", "HDFC", "1.00", None),
    # SBI
    (TRAINING, "JD-SBIUPI-S", "Dear SBI UPI User, ur A/cX0429 credited by Rs500 on 04Feb24 by  (Ref no 403585759002)", "SBI", "500", "403585759002"),
    (SAMPLE_LIST, "VM-SBIINB-S", "A/C X4567 credited by 2000.0 on date 15Aug26 by Jane Roe Refno 123456789013 -SBI", "SBI", "2000.0", "123456789013"),
    ("github prash077/SHIELD real_bank_formats.md", "VM-SBIBNK-S", "Your a/c no. XXXXXXX1234 is credited by Rs.5,000.00 on 21-Feb-26. Avl Bal Rs.25,430.50 -SBI", "SBI", "5000.00", None),
    # ICICI
    ("public GitHub notes quoting a real ICICI credit (id 57354229625)", "JD-ICICIT-S", "Dear Customer, Acct XX910 is credited with Rs 1.00 on 25-Jul-26 from Sohom Jana. UPI:620647267681-ICICI Bank.", "ICICI", "1.00", "620647267681"),
    ("public GitHub ICICI sample (id 84245765)", "VM-ICICIT-S", "ICICI Bank Account XX022 is credited with Rs 1,925.00 on 29-Jul-23 by Account linked to mobile number XXXXX56689. IMPS Ref. no. 321011467780.", "ICICI", "1925.00", "321011467780"),
    (PENNYWISE, "VK-ICICIT-S", "ICICI Bank Account XX378 credited:Rs. 6,000.00 on 24-Jun-26. Info NEFT-FDRLM4175907234-JOHN JOSE. Available Balance is Rs. 16,079.44.", "ICICI", "6000.00", None),
    # Axis
    (TRAINING, "JD-AXISBK-S", "INR 5590.00 credited to A/c no. XX8926 on 09-11-23 at 11:59:28 IST. Info- UPI/P2A/334365332111/ANURAG JAIN/Axis Bank - Axis Bank", "AXIS", "5590.00", "334365332111"),
    (TRAINING, "JD-AXISBK-S", "INR 216.35 credited to A/c no. XX8926 on 06-01-24 at 07:32:16 IST. Info- NEFT/CMS333334641/NEXTBIL. Avl Bal- INR 33478.22 - Axis Bank", "AXIS", "216.35", None),
    (SAMPLE_LIST, "VM-AXISBK-S", "Axis Bank: INR 900.00 credited to A/c no. XX3456 on 15-08-2026 towards UPI/P2A/123456789013/Jane Roe. Avl bal: INR 25900.00", "AXIS", "900.00", "123456789013"),
    # Kotak
    (TRAINING, "JD-KOTAKB-S", "Received Rs.50.00 in your Kotak Bank AC X8136 from abcd4321@oksbi on 03-02-24.UPI Ref:400653974000.", "KOTAK", "50.00", "400653974000"),
    (PENNYWISE, "JD-KOTAKB-S", "Received Rs. 329.00 on 15-04-26 in your Kotak Bank A/C x2451 by an A/C linked to mobile x111. IMPS Ref no 610511412340.", "KOTAK", "329.00", "610511412340"),
    # PNB
    (PENNYWISE, "VM-PNBSMS-S", "Ac XX7582 Credited with Rs.4750.00 11-07-2025 08:53:21 thru UPI . Aval Bal Rs.82431.67 CR. (UPI Ref ID:714628305917) Helpline 18001800/18002021-PNB", "PNB", "4750.00", "714628305917"),
    # Bank of Baroda
    (PENNYWISE, "VM-BOBTXN-S", "Rs.2500.00 credited to A/c XX456789 via IMPS/518233445566 by JOHN DOE. AvlBal:Rs25000.00 -Bank of Baroda", "BOB", "2500.00", "518233445566"),
    (PENNYWISE, "VM-BOBSMS-S", "Your A/c XX987654 is credited with INR 70.00 on 30-11-2024. Total Bal:Rs.5000.00 -Bank of Baroda", "BOB", "70.00", None),
    (PENNYWISE, "VM-BOBTXN-S", "Rs.5000.00 Credited to A/c XX112233 on 01-12-2024. AvlBal:Rs12345.67 -Bank of Baroda", "BOB", "5000.00", None),
    # Canara
    (PENNYWISE, "VA-CANBNK-S", "An amount of INR 13,30,614.75 has been credited to XXXX6785 on 02/12/2025 towards RTGS by Sender AXIS MUTUAL FUND PO, IFSC UTIB0000004, Sender A/c XXXX9108, AXIS BANK, MUMBAI BRANCH, UTR UTIBR72025120200011461, Total Avail. Bal INR 2679815.88- Canara Bank", "CANARA", "1330614.75", None),
    # Union Bank
    (TRAINING, "JD-UNIONB-S", "A/c *9172 Credited for Rs:501.00 on 23-01-2024 20:05:45 by Mob Bk ref no 402347890661 Avl Bal Rs:556.00.Never Share OTP/PIN/CVV-Union Bank of India", "UNION", "501.00", "402347890661"),
    ("public GitHub Gradio example (find_string 'Credited for Rs:')", "JD-UNIONB-S", "A/c *0186 Credited for Rs:5000.00 on 26-12-2025 21:11:28 by Mob Bk ref no 696279687099 Avl Bal Rs:5818.22.", "UNION", "5000.00", "696279687099"),
    # IDFC First
    ("github sarim2000/pennywiseai-tracker IDFCFirstBankParser notes", "BM-IDFCBK-S", "Your A/C XXXXXXX5678 is credited by INR 500.00 on 06/08/25 17:36. New Bal :INR 10000.00", "IDFC", "500.00", None),
    # IndusInd
    (SAMPLE_LIST, "VM-INDUSB-S", "A/c *XX0960 credited by Rs 38000.00 from j.doe2182-1@okhdfcbank. RRN: 433340613562. Not You? call 18602677777- IndusInd Bank", "INDUSIND", "38000.00", "433340613562"),
    (PENNYWISE, "VM-INDUSB-S", "A/C *XX1234 credited by Rs 25000.00 from xxxx.yyyy@ybl. RRN:510048508040. Avl Bal:105502.12. Not you? Call 18602677777 - IndusInd bank.", "INDUSIND", "25000.00", "510048508040"),
    (SAMPLE_LIST, "VM-INDUSB-S", "Your IndusInd Account 15XXXXX0960 has been credited for INR 20000 towards IMPS/315615390081. Call 18602677777 to report issue-IndusInd Bank", "INDUSIND", "20000", "315615390081"),
    # Yes Bank
    ("public GitHub Yes Bank parser notes (id 59725155330)", "VM-YESBNK-S", "INR 500.00 has been credited to your YES BANK A/c ending XX3456. Ref 778899001", "YES", "500.00", None),
    # IDBI: written after IDBI's published debit template (no public credit sample found)
    ("inferred from the IDBI debit fixtures (find_string 'IDBI Bank Acct')", "AD-IDBIBK-S", "IDBI Bank Acct XX569 credited with Rs 115.00 on 09-Jun-26 from SRINIVASAN R. UPI:002733174962. To Block UPI send SMS UPIBLOCK", "IDBI", "115.00", "002733174962"),
    # Federal
    (PENNYWISE, "AD-FEDBNK", "Rs 3500.50 credited to your A/c XX4567 via IMPS on 18AUG2024 11:45:30 IMPS Ref no 654321098765 Bal:Rs 25000.75 -Federal Bank", "FEDERAL", "3500.50", "654321098765"),
    (PENNYWISE, "AD-FEDBNK", "Jane, you've received INR 50,000.00 in your Account XXXXXXXX1896. Woohoo! It was sent by SAMPLE PERSON on July 24, 2024. -Federal Bank", "FEDERAL", "50000.00", None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "sender", "text", "bank", "amount", "rrn"),
    CREDITS,
    ids=[f"{row[3]}-{index}" for index, row in enumerate(CREDITS)],
)
def test_each_banks_credit_formats_are_read_by_its_table(
    source: str, sender: str, text: str, bank: str, amount: str, rrn: str | None
) -> None:
    verdict, message = read(sender.replace("AD-FEDBNK", "AD-FEDBNK-S"), text)
    assert verdict is SenderVerdict.TRUSTED, source
    assert message.kind is MessageKind.CREDIT, source
    assert message.bank == bank
    assert message.rule is not None and message.rule.startswith(f"{bank}/"), message.rule
    assert message.amount_paise == parse_rupees(amount)
    assert message.rrn == rrn


# (source, sender, text): what must never be a credit
NOT_CREDITS = [
    ("HDFC UPI debit (shared samples)", "VM-HDFCBK-S", SAMPLES[4]["text"]),
    (TRAINING, "JD-SBIUPI-S", "Dear UPI user A/C X0429 debited by 20.0 on date 22Jan24 trf to Mr Narayan Badat Refno 437652379634. If not u? call 1800111109. -SBI"),
    (PENNYWISE, "JD-ICICIT-S", "ICICI Bank Acct XX051 debited for Rs 180.00 on 10-Nov-25; DINDUGAL ORIGIN credited. UPI:568069174081. Call 18002662 for dispute. SMS BLOCK 051 to 9215676766. 06:33 PM"),
    (PENNYWISE, "VM-PNBSMS-S", "Your a/c no XX847 is debited for Rs 3200 on 11-07-25 03:14:52 and a/c XX291 credited (IMPS Ref no 712845931206) .If not done by you, pl. forward this SMS from registered mobile to 9264092640 to report unauthorized txn & block IBS/MBS. Download PNB ONE.-PNB"),
    (TRAINING, "JD-AXISBK-S", "UPI mandate has been successfully created towards TATA TECHNOLOGIES LI for INR 15000.00. Funds blocked from A/c no. XX8926. 12e5d61d2ac145738241fbf117bb295c@okaxis - Axis Bank"),
    (TRAINING, "JD-AXISBK-S", "You have received UPI mandate collect request from TATA TECHNOLOGIES LI for INR 15000.00. Log into Google Pay app to authorize - Axis Bank"),
    (PENNYWISE, "VM-HDFCBK-S", "Auto Pay HDFC Bank NACH Mandate : Rs. 100000.00 UMRN:HDFC7031703262015557 To:NationalSecuritiesClearin Freq ADHO received today for processing."),
    (PENNYWISE, "JD-KOTAKB-S", "Cashback of Rs.50.00 has been sent to your Kotak Bank A/c x5555. Credited on 14-10-25. UPI Ref 9999999999"),
    (PENNYWISE, "JM-KOTAKB-S", "INR 2 from Airport Lounge refunded to your Kotak Credit Card x8848 on 17-Jul-2026. Opted for EMI? Please call 18602662666 to cancel."),
    (PENNYWISE, "VM-HDFCBK-S", "Transaction Reversed!On HDFC Bank CREDIT Card xx5555 Amt: Rs.862.16 By AMAZON 000 On 2026-08-21:05:20:26"),
    (PENNYWISE, "AX-ICICIT-S", "Payment of Rs 26,266.00 has been received on your ICICI Bank Credit Card XX9006 through Bharat Bill Payment System on 06-DEC-25."),
    (PENNYWISE, "JD-ICICIT-S", "ICICI BANK NEFT Transaction with reference number IN12603221231681 for Rs. 22050.00 has been credited to the beneficiary account on 01-02-2026 at 10:32:51"),
    (PENNYWISE, "AD-FEDBNK-S", "Digital Gold India Private Limited has received Rs 21.00 from your A/c 7990 via NEFT on 10-Jan-2026 12:06:17. Ref no. FBBT260103879100 - Federal Bank"),
    (PENNYWISE, "AX-FEDBNK-S", "Hi,Rs.1100credited in your A/c XX3223 on 15JAN2026 13:03:07 using cash deposit machine at FBL-CHANGANASSERY. Current Bal: Rs.1181.90 - Federal Bank"),
    ("public GitHub Canara test (find_string id 7953455530)", "VK-CANBNK-S", "INR 25,000.00 has been CREDITED to your A/c XXX810 on 17/06/2025 by CASH.Total bal is INR 38,118.00. Please Install Canara ai1 app for Mobile Banking services - Canara Bank"),
    (SAMPLE_LIST, "VM-INDUSB-S", "INR 1,952.00 has been credited to your IndusInd A/C 159***660960 towards Interest Credit for the quarter ending June - IndusInd Bank"),
    ("github sarim2000/pennywiseai-tracker TestIDFCFirstBankParser", "BM-IDFCBK-S", "Your A/C XXXXXXX1234 is credited by INR 125.50 on 01/01/25 for monthly interest. New Bal :INR 15125.50"),
    (TRAINING, "JD-AXISBK-S", "Flipkart Refund Processed: Refund of Rs. 237.0 for favoru Household wrap ... is successfully transferred and will be credited to your account by Oct 04, 2023."),
    ("shared samples", "AD-HDFCBK-S", SAMPLES[5]["text"]),
    (PENNYWISE, "CP-YESBNK-S", "Get exciting offers on Yes Bank Credit Cards. Apply now! Visit yesbank.in"),
    ("balance enquiry wording", "VM-SBIBNK-S", "Dear Customer, the balance in your A/c XX1234 is Rs.5,000.00 as on 02-12-26 09:41. -SBI"),
    ("failed UPI wording", "VM-HDFCBK-S", "Your UPI txn of Rs.1018.00 to asha.k@okicici failed. Amount if debited will be credited back. UPI Ref 633612345678"),
]  # fmt: skip


@pytest.mark.parametrize(("source", "sender", "text"), NOT_CREDITS)
def test_debits_mandates_refunds_otps_offers_and_balances_are_not_credits(
    source: str, sender: str, text: str
) -> None:
    _, message = read(sender, text)
    assert message.kind is MessageKind.NOT_CREDIT, source


def test_a_credit_of_no_known_template_from_a_known_bank_goes_to_the_generic_rule() -> None:
    # Bank of Baroda UPI wording not in its table: verb, INR amount and a 12-digit reference.
    text = "Dear BOB UPI User: Your account is credited with INR 100.00 by UPI Ref No 401234567890"
    message = parse_sms(text, bank="BOB", received_at=None)
    assert (message.kind, message.rule, message.amount_paise) == (
        MessageKind.CREDIT,
        GENERIC_RULE,
        10000,
    )
    assert message.rrn == "401234567890"


@pytest.mark.parametrize(
    "text",
    [
        "Rs.1018.00 credited to your account.",  # no reference
        "Your account is credited. UPI Ref 633612345678",  # no amount
        "Rs.1018.00 credited, Rs.20.00 charged. Ref 633612345678",  # two amounts
        "Rs.1018.00 credited. Ref 633612345678 and 633612345679",  # two references
        "Rs.1,01,8.00 credited to a/c XX12. UPI Ref 633612345678",  # no grouping banks use
        "Rs.1018.505 credited to a/c XX12. UPI Ref 633612345678",  # a third decimal
    ],
)
def test_a_credit_that_cannot_be_read_with_certainty_is_unparsed(text: str) -> None:
    assert parse_sms(text, bank=None, received_at=None).kind is MessageKind.UNPARSED


def test_the_generic_rule_ignores_the_balance_but_not_a_far_away_amount() -> None:
    credited = "Rs.1018.00 credited to a/c XX4821. UPI Ref 633612345678. Avl Bal Rs.5,000.00"
    assert parse_sms(credited, bank=None, received_at=None).amount_paise == 101800
    far = "Your account XX4821 has been credited today, thank you for banking with us, " + (
        "your reference is 633612345678 and the transfer was of Rs.1018.00"
    )
    assert parse_sms(far, bank=None, received_at=None).kind is MessageKind.UNPARSED


@pytest.mark.parametrize(
    ("text", "stated"),
    [
        (SAMPLES[3]["text"], datetime(2026, 12, 2, 6, 29, 28, tzinfo=UTC)),  # Axis, IST seconds
        (CREDITS[15][2], datetime(2025, 7, 11, 3, 23, 21, tzinfo=UTC)),  # PNB dd-mm-yyyy
        (CREDITS[20][2], datetime(2024, 1, 23, 14, 35, 45, tzinfo=UTC)),  # Union
        (CREDITS[22][2], datetime(2025, 8, 6, 12, 6, tzinfo=UTC)),  # IDFC, to the minute
        (CREDITS[28][2], datetime(2024, 8, 18, 6, 15, 30, tzinfo=UTC)),  # Federal 18AUG2024
    ],
)
def test_evidence_time_is_the_banks_stated_time_in_ist(text: str, stated: datetime) -> None:
    received = datetime(2030, 1, 1, tzinfo=UTC)
    assert parse_sms(text, bank=None, received_at=received).occurred_at == stated


def test_a_date_alone_leaves_the_time_to_the_relay_or_to_the_caller() -> None:
    text = SAMPLES[0]["text"]  # "on 02-12-26": a date, no time
    received = datetime(2026, 12, 2, 4, 11, 30, tzinfo=UTC)
    assert parse_sms(text, bank="HDFC", received_at=received).occurred_at == received
    assert parse_sms(text, bank="HDFC", received_at=None).occurred_at is None
    naive = datetime(2026, 12, 2, 4, 11, 30)
    assert parse_sms(text, bank="HDFC", received_at=naive).occurred_at == received


def test_an_impossible_stated_time_is_no_time() -> None:
    text = "INR 10.00 credited to A/c no. XX8926 on 31-02-26 at 25:61:00 IST. Info- UPI/P2A/633634567890/A B/Axis Bank"
    assert parse_sms(text, bank="AXIS", received_at=None).occurred_at is None
