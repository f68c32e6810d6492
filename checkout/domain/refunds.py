"""Refunds: money the merchant sends back by hand, recorded against a paid checkout.

There is no PSP to push money back, so a refund is a payment the merchant makes in
their own UPI app to the payer's address; the gateway only records it. The rules
live here so the API, the console and the store's guard agree on them.
"""

from __future__ import annotations

from checkout.domain.upi import build_upi_uri, is_valid_vpa

__all__ = ["RefundError", "check_refund", "is_full", "refund_uri", "refundable"]


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
