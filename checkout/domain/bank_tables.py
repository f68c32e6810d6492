"""One table per bank: the ways each bank writes "money came in" (issue 9, "Parsers").

Each template is our own regex over the normalised text (one space for any
whitespace, matched ignoring case), with named groups ``amount`` and, where
the bank gives them, ``rrn`` and ``payer``. ``source`` names where the
wording was seen; "inferred" marks a credit written after the same bank's
published debit template, because no public credit sample was found.
Wording only was taken from those sources, never their code.
"""

from __future__ import annotations

import re
from typing import Final

from .bank_text import ACCT, AMT, AMT_BARE, DATE, NAME, RRN, TIME, VPA, Template

__all__ = ["BANK_TABLES"]

_SAMPLES = "shared/evidence/samples.json"
_EML = "shared/evidence/hdfc-credit.eml"
_PENNYWISE = "github sarim2000/pennywiseai-tracker parser-core tests"
_TRAINING = "public GitHub bank-SMS training list (find_string id 48240611695)"
_SAMPLE_LIST = "public GitHub SMS sample list, 'real, user-verified' (id 57759935045)"


def _t(name: str, pattern: str, source: str) -> Template:
    return Template(name, re.compile(pattern, re.IGNORECASE), source)


_HDFC: Final = (
    _t(
        "credit-alert-vpa",
        rf"{AMT} credited to HDFC Bank A/c {ACCT} on {DATE}{TIME} from VPA {VPA}"
        rf" ?\(UPI (?:Ref(?:erence)?(?: No)?\.? ?)?{RRN}\)",
        f"{_SAMPLES}; {_SAMPLE_LIST}",
    ),
    _t(
        "linked-to-vpa",
        rf"{AMT} credited to a/c {ACCT} on {DATE}{TIME} by a/c linked to VPA {VPA}"
        rf" ?\(UPI Ref No\.? ?{RRN}\)",
        f"{_TRAINING}; {_SAMPLE_LIST}",
    ),
    _t(
        "email-upi-txn",
        rf"{AMT} has been credited to (?:your )?account {ACCT} from VPA {VPA}"
        rf"(?: [A-Z][A-Z .]{{0,58}}?)? on {DATE}\. Your UPI transaction reference number is {RRN}",
        _EML,
    ),
    _t(
        "neft-deposited",
        rf"{AMT} deposited in HDFC Bank A/c {ACCT} on {DATE} for (?:NEFT|IMPS|RTGS) Cr\b",
        _PENNYWISE,
    ),
)

_SBI: Final = (
    _t(
        "upi-user",
        rf"Dear SBI UPI User, ur A/c ?{ACCT} credited by {AMT} on {DATE}"
        rf"(?: by(?: {NAME})?)? ?\(Ref ?no\.? ?{RRN}\)",
        f"{_SAMPLES}; {_TRAINING}",
    ),
    _t(
        "ac-credited-by",
        rf"A/C {ACCT} credited by {AMT_BARE} on date {DATE} by {NAME} Ref ?no\.? ?{RRN}",
        _SAMPLE_LIST,
    ),
    _t(
        "your-ac-no",
        rf"Your a/c (?:no\.? )?{ACCT} is credited by {AMT} on {DATE}\b",
        "github prash077/SHIELD knowledge_base/legitimate/real_bank_formats.md",
    ),
)

_ICICI: Final = (
    _t(
        "credited-with-upi",
        rf"Acct {ACCT} (?:is )?credited with {AMT} on {DATE} from {NAME}\. UPI: ?{RRN}",
        "public GitHub parser notes quoting a real ICICI credit (find_string id 57354229625)",
    ),
    _t(
        "imps-linked-mobile",
        rf"ICICI Bank Account {ACCT} is credited with {AMT} on {DATE} by Account linked to"
        rf" mobile number {ACCT}\. IMPS Ref\. ?no\.? ?{RRN}",
        "public GitHub ICICI sample (find_string id 84245765)",
    ),
    _t(
        "account-credited-info",
        rf"ICICI Bank Account {ACCT} credited: ?{AMT} on {DATE}\. Info:? (?:NEFT|IMPS|UPI|RTGS)\b",
        _PENNYWISE,
    ),
)

_AXIS: Final = (
    _t(
        "info-upi",
        rf"{AMT} credited to A/c no\. {ACCT} on {DATE}{TIME}\.? (?:Info ?- ?|towards )"
        rf"UPI/P2[AM]/{RRN}/(?P<payer>[^/]{{1,60}}?)(?:/|\.| -|$)",
        f"{_SAMPLES}; {_TRAINING}",
    ),
    _t(
        "info-neft",
        rf"{AMT} credited to A/c no\. {ACCT} on {DATE}{TIME}\.? Info ?- ?(?:NEFT|IMPS|RTGS)/",
        _TRAINING,
    ),
    _t(
        "credit-line",
        rf"^Credit {AMT} A/c no\. {ACCT} {DATE}{TIME} UPI/P2[AM]/{RRN}/(?P<payer>[^/]{{1,60}}?)"
        rf"(?: SMS|/|$)",
        f"inferred from Axis's debit template in {_TRAINING}",
    ),
)

_KOTAK: Final = (
    _t(
        "received-upi",
        rf"Received {AMT} in your Kotak Bank (?:a/c|AC) {ACCT} from {VPA} on {DATE}\.?"
        rf" ?UPI Ref:? ?{RRN}",
        f"{_SAMPLES}; {_TRAINING}; {_PENNYWISE}",
    ),
    _t(
        "received-imps",
        rf"Received {AMT} on {DATE} in your Kotak Bank (?:a/c|AC) {ACCT} by an A/C linked to"
        rf" mobile {ACCT}\. IMPS Ref no\.? ?{RRN}",
        _PENNYWISE,
    ),
)

_PNB: Final = (
    _t(
        "credited-thru-upi",
        rf"A/?c {ACCT} Credited with {AMT} (?:on )?{DATE}{TIME} thru UPI ?\.[^()]{{0,80}}?"
        rf"\(UPI Ref ID: ?{RRN}\)",
        _PENNYWISE,
    ),
)

_BOB: Final = (
    _t(
        "credited-via-imps",
        rf"{AMT} credited to A/c {ACCT} via (?:IMPS|UPI)/{RRN} by {NAME}\.",
        _PENNYWISE,
    ),
    _t(
        "is-credited-with",
        rf"Your A/c {ACCT} is credited with {AMT} on {DATE}\. (?:Total |Avl ?)Bal",
        _PENNYWISE,
    ),
    _t(
        "amount-credited-to",
        rf"^{AMT} Credited to A/c {ACCT} on {DATE}\. (?:Total |Avl ?)Bal",
        _PENNYWISE,
    ),
)

_CANARA: Final = (
    _t(
        "amount-credited-towards",
        rf"An amount of {AMT} has been credited to (?:your )?(?:A/c |account )?{ACCT} on {DATE}"
        rf" towards (?:RTGS|NEFT|IMPS|UPI)\b",
        _PENNYWISE,
    ),
)

_UNION: Final = (
    _t(
        "credited-for-ref",
        rf"A/c {ACCT} Credited for {AMT} on {DATE}{TIME} by (?:Mob Bk |UPI )?ref no\.? ?{RRN}",
        f"{_TRAINING}; public GitHub samples (find_string 'Credited for Rs:')",
    ),
)

_IDFC: Final = (
    _t(
        "credited-by-inr",
        rf"Your A/C {ACCT} is credited by {AMT} on {DATE}{TIME}\. New Bal",
        "github sarim2000/pennywiseai-tracker IDFCFirstBankParser notes",
    ),
)

_INDUSIND: Final = (
    _t(
        "credited-by-from-vpa",
        rf"A/C {ACCT} credited by {AMT} from {VPA}\. RRN: ?{RRN}",
        f"{_SAMPLE_LIST}; {_PENNYWISE}",
    ),
    _t(
        "account-credited-for",
        rf"Your IndusInd Account {ACCT} has been credited for {AMT} towards (?:IMPS|UPI)/{RRN}",
        _SAMPLE_LIST,
    ),
)

_YES: Final = (
    _t(
        "credited-to-yes-ac",
        rf"{AMT} (?:has been )?credited to (?:your )?YES BANK A/c (?:ending )?{ACCT}\b",
        "public GitHub Yes Bank parser notes (find_string id 59725155330)",
    ),
)

_IDBI: Final = (
    _t(
        "acct-credited-upi",
        rf"IDBI Bank Acct {ACCT} credited (?:with|for) {AMT} on {DATE}(?:; Bal[^.;]{{0,40}})?"
        rf"(?: from {NAME})?\. ?UPI: ?{RRN}",
        "inferred from IDBI's debit template (public GitHub fixtures, find_string IDBI Bank Acct)",
    ),
)

_FEDERAL: Final = (
    _t(
        "credited-via",
        rf"{AMT} credited to your A/c {ACCT} (?:via|using) (?:IMPS|UPI|NEFT) on {DATE}{TIME}"
        rf"(?: from VPA {VPA})?[ -]{{0,3}}\(?(?:IMPS |UPI )?Ref No\.? ?{RRN}",
        f"{_PENNYWISE}; UPI wording inferred from Federal's debit in {_TRAINING}",
    ),
    _t(
        "you-have-received",
        rf"you'?ve received {AMT} in your Account {ACCT}\. Woohoo! It was sent by {NAME} on ",
        _PENNYWISE,
    ),
)

BANK_TABLES: Final[dict[str, tuple[Template, ...]]] = {
    "HDFC": _HDFC,
    "SBI": _SBI,
    "ICICI": _ICICI,
    "AXIS": _AXIS,
    "KOTAK": _KOTAK,
    "PNB": _PNB,
    "BOB": _BOB,
    "CANARA": _CANARA,
    "UNION": _UNION,
    "IDFC": _IDFC,
    "INDUSIND": _INDUSIND,
    "YES": _YES,
    "IDBI": _IDBI,
    "FEDERAL": _FEDERAL,
}
