"""UPI addresses and ``upi://pay`` links.

The link is what a customer's UPI app reads from the QR code: if it carries
the wrong amount, the payment cannot be told apart from others (DESIGN §5),
and if a payee name containing ``&`` is not encoded, it rewrites the other
parameters. Building it in exactly one place keeps both from happening.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import quote

from checkout.domain.money import format_rupees

__all__ = ["UpiError", "build_upi_uri", "is_valid_vpa"]

# Explicit ASCII classes: str patterns would otherwise let \w match any script.
_VPA_RE: Final[re.Pattern[str]] = re.compile(r"[A-Za-z0-9._-]{2,256}@[A-Za-z][A-Za-z0-9.-]{1,64}")


class UpiError(ValueError):
    """A UPI link that must not be built, because an app would misread or refuse it."""


def is_valid_vpa(vpa: str) -> bool:
    """Whether ``vpa`` has the ``handle@psp`` shape UPI apps accept.

    Checked at configuration time too, so a typo in the merchant's UPI ID
    fails at start rather than on a customer's phone.
    """
    return isinstance(vpa, str) and _VPA_RE.fullmatch(vpa) is not None


def build_upi_uri(
    *,
    payee_vpa: str,
    payee_name: str,
    amount_paise: int,
    note: str | None = None,
    reference: str | None = None,
    merchant_code: str | None = None,
) -> str:
    """The one place a ``upi://pay`` link is made.

    ``merchant_code`` is the payee's 4-digit MCC (UPI_MERCHANT_CODE): apps treat a link
    with ``mc`` as a payment to a merchant, not to a person, and apply merchant limits.

    Parameter order is fixed so the same checkout always renders the same
    QR code (it is cached) and tests can compare whole strings. ``@`` stays
    readable because it is the VPA's own separator; everything else that
    could end or split a parameter is percent-encoded.
    """
    if not is_valid_vpa(payee_vpa):
        raise UpiError("payee UPI ID must look like name@bank")
    if isinstance(amount_paise, bool) or not isinstance(amount_paise, int) or amount_paise <= 0:
        raise UpiError("amount must be a positive number of paise")
    if merchant_code and not (
        len(merchant_code) == 4 and merchant_code.isascii() and merchant_code.isdigit()
    ):
        raise UpiError("merchant code must be 4 digits")
    params: list[tuple[str, str]] = [
        ("pa", payee_vpa),
        ("pn", payee_name),
        ("am", format_rupees(amount_paise)),
        ("cu", "INR"),
    ]
    if merchant_code:
        params.append(("mc", merchant_code))
    if note:
        params.append(("tn", note))
    if reference:
        params.append(("tr", reference))
    try:
        query = "&".join(f"{key}={quote(value, safe='@')}" for key, value in params)
    except UnicodeEncodeError as error:
        # Lone surrogates (e.g. from a JSON "\ud800" escape) have no UTF-8 form.
        raise UpiError("payee name, note and reference must be valid text") from error
    return f"upi://pay?{query}"


# Apps that register a scheme of their own. On Android `upi://pay` opens a chooser;
# iOS has no system chooser, so a button per app is what opens the right one there.
# BHIM (NPCI's own app) answers the standard `upi://pay` itself and has no other scheme.
UPI_APP_SCHEMES: tuple[tuple[str, str], ...] = (
    ("GPay", "tez://upi/pay"),
    ("PhonePe", "phonepe://pay"),
    ("Paytm", "paytmmp://pay"),
    ("BHIM", "upi://pay"),
)


def app_links(upi_uri: str) -> list[tuple[str, str]]:
    """The same payment as `upi_uri`, addressed to each app in UPI_APP_SCHEMES."""
    prefix, separator, query = upi_uri.partition("?")
    if prefix != "upi://pay" or not separator:
        raise UpiError("not a upi://pay link")
    return [(name, f"{scheme}?{query}") for name, scheme in UPI_APP_SCHEMES]
