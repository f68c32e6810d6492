"""Refund rules: full or partial, never above what was paid; the refund link to the payer."""

from __future__ import annotations

import pytest

from checkout.domain.refunds import RefundError, check_refund, is_full, refund_uri, refundable


def test_partial_then_full() -> None:
    total = check_refund(4000, 10000, None)
    assert total == 4000 and not is_full(10000, total)
    total = check_refund(6000, 10000, total)
    assert total == 10000 and is_full(10000, total) and refundable(10000, total) == 0


@pytest.mark.parametrize("amount", [10001, 0, -1, True])
def test_refused(amount: int) -> None:
    with pytest.raises(RefundError):
        check_refund(amount, 10000, 0)


def test_refused_above_what_is_left() -> None:
    with pytest.raises(RefundError):
        check_refund(2, 10000, 9999)
    assert refundable(100, 500) == 0


def test_refund_link_pays_the_payer_through_the_one_builder() -> None:
    uri = refund_uri(
        payer_vpa="asha@okaxis", payer_name="Asha & Co", amount_paise=12345, reference="ORD-1"
    )
    assert (
        uri
        == "upi://pay?pa=asha@okaxis&pn=Asha%20%26%20Co&am=123.45&cu=INR&tn=Refund%20ORD-1&tr=ORD-1"
    )
    assert refund_uri(payer_vpa=None, payer_name="x", amount_paise=1, reference="r") is None
    assert refund_uri(payer_vpa="HDFC BANK", payer_name="x", amount_paise=1, reference="r") is None
