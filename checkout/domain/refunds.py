"""Refunds: money the merchant sends back by hand, recorded against a paid checkout.

There is no PSP to push money back, so a refund is a payment the merchant makes in
their own UPI app to the payer's address; the gateway only records it. The rules
live here so the API, the console and the store's guard agree on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from checkout.domain.upi import build_upi_uri, is_valid_vpa

__all__ = [
    "BalanceChange",
    "RefundError",
    "balance_change",
    "check_refund",
    "is_full",
    "refund_uri",
    "refundable",
]


class RefundError(ValueError):
    """A refund that must not be recorded: it would send back more than was paid."""


def refundable(paid_paise: int, refunded_paise: int | None) -> int:
    """What is left to refund: never negative, even on a document edited by hand."""
    return max(0, paid_paise - (refunded_paise or 0))


def check_refund(amount_paise: int, paid_paise: int, refunded_paise: int | None) -> int:
    """The refunded total after this refund; refuses one above what is left."""
    if isinstance(amount_paise, bool) or not isinstance(amount_paise, int) or amount_paise <= 0:
        raise RefundError("a refund must be a positive number of paise")
    left = refundable(paid_paise, refunded_paise)
    if amount_paise > left:
        raise RefundError("a refund cannot exceed what is left of the amount paid")
    return (refunded_paise or 0) + amount_paise


def is_full(paid_paise: int, refunded_paise: int | None) -> bool:
    """Whether everything paid has been sent back (a full refund, possibly in parts)."""
    return refundable(paid_paise, refunded_paise) == 0


def refund_uri(
    *, payer_vpa: str | None, payer_name: str, amount_paise: int, reference: str
) -> str | None:
    """The ``upi://pay`` link that pays the payer back; None without a usable VPA.

    Built by the one URI builder, so a refund QR is encoded as every other QR is.
    """
    if not payer_vpa or not is_valid_vpa(payer_vpa):
        return None
    return build_upi_uri(
        payee_vpa=payer_vpa,
        payee_name=payer_name,
        amount_paise=amount_paise,
        note=f"Refund {reference}",
        reference=reference,
    )


@dataclass(frozen=True)
class BalanceChange:
    """One balance reading, with the falls the merchant recorded (refunds sent from the
    watched wallet) added back: at most one of `rise` and `fall` is non-zero."""

    rise: int  # what came in: one credit to attribute
    fall: int  # a fall nobody recorded: an open debit
    known: int  # the recorded falls this reading accounts for


def balance_change(baseline_paise: int, balance_paise: int, known_paise: int) -> BalanceChange:
    """What came in between two readings, once the known debits are added back.

    A payment of ₹500 and a recorded refund of ₹200 in one window show as a rise of
    ₹300; read with the known ₹200 it is the ₹500 that was paid, never ₹300.
    """
    if known_paise < 0:
        raise ValueError("a known debit is a fall: it cannot be negative")
    net = balance_paise - baseline_paise + known_paise
    return BalanceChange(rise=max(net, 0), fall=max(-net, 0), known=known_paise)
