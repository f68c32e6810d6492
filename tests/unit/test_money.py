"""Money parsing must be exact: attribution compares paise for equality."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain.money import (
    MAX_DEFAULT_RUPEES,
    ExponentDecimal,
    MoneyError,
    display_rupees,
    format_rupees,
    parse_rupees,
    rupees_decimal,
)
from checkout.jsonio import loads

FAST = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    ("value", "paise"),
    [
        ("1018", 101800),
        ("1018.5", 101850),
        ("1018.50", 101850),
        ("1018.05", 101805),
        ("0.01", 1),
        ("0.5", 50),
        ("  1018.50  ", 101850),
        ("\t1018\n", 101800),
        ("007", 700),
        ("100000", 10000000),
        (1018, 101800),
        (1, 100),
        (Decimal("1018"), 101800),
        (Decimal("1018.5"), 101850),
        (Decimal("1018.50"), 101850),
        (Decimal("1018.500"), 101850),
        (Decimal("1000.0"), 100000),
        (Decimal("0.05"), 5),
        (1018.5, 101850),
        (1018.0, 101800),
        (0.1, 10),
        (0.29, 29),
        (1018.55, 101855),
    ],
)
def test_accepts(value: object, paise: int) -> None:
    assert parse_rupees(value) == paise


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "positive amount"),
        (False, "positive amount"),
        (None, "positive amount"),
        ([1018], "positive amount"),
        (b"1018", "positive amount"),
        ("", "empty"),
        ("   ", "empty"),
        ("-1", "negative"),
        ("-0", "negative"),
        ("-1018.50", "negative"),
        (-5, "negative"),
        (Decimal("-1"), "negative"),
        (Decimal("-0"), "negative"),
        (-1.5, "negative"),
        ("0", "positive amount"),
        ("0.00", "positive amount"),
        (0, "positive amount"),
        (Decimal("0"), "positive amount"),
        (0.0, "positive amount"),
        ("1018.505", "at most 2 decimals"),
        ("1018.500", "at most 2 decimals"),
        (Decimal("1018.505"), "at most 2 decimals"),
        (1018.505, "at most 2 decimals"),
        (0.1 + 0.2, "at most 2 decimals"),
        ("NaN", "finite"),
        ("nan", "finite"),
        ("Infinity", "finite"),
        ("-inf", "finite"),
        (Decimal("NaN"), "finite"),
        (Decimal("sNaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("-Infinity"), "finite"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        ("1e3", "exponent"),
        ("1E3", "exponent"),
        ("1.5e2", "exponent"),
        ("1e-2", "exponent"),
        (Decimal("1E+3"), "exponent"),
        (Decimal("1e3"), "exponent"),
        (1e16, "exponent"),
        (1e-5, "exponent"),
        ("+1018", "'+'"),
        ("1,018", "separators"),
        ("1,00,000.00", "separators"),
        ("1_000", "separators"),
        ("١٠١٨", "positive amount"),
        ("१०१८", "positive amount"),
        ("1" * 33, "32 characters"),
        (" " * 30 + "1018", "32 characters"),
        ("1018.", "positive amount"),
        (".5", "positive amount"),
        ("1 018", "positive amount"),
        ("₹1018", "positive amount"),
        ("0x10", "positive amount"),
        ("abc", "positive amount"),
        ("1018.5.0", "positive amount"),
        (10**29, "too large"),
        (Decimal("1" * 30), "too large"),
        ("1" * 30, "too large"),
    ],
)
def test_refuses(value: object, message: str) -> None:
    with pytest.raises(MoneyError, match=re.escape(message)):
        parse_rupees(value)


def test_refuses_full_width_digits() -> None:
    with pytest.raises(MoneyError):
        parse_rupees("\uff11\uff10\uff11\uff18")  # full-width "1018"


def test_largest_amount_still_formats_within_the_text_limit() -> None:
    largest = parse_rupees("9" * 29 + ".99")
    assert parse_rupees(10**29 - 1) == largest - 99
    assert len(format_rupees(largest)) == 32
    assert parse_rupees(format_rupees(largest)) == largest


def test_zero_allowed_on_request() -> None:
    assert parse_rupees("0", allow_zero=True) == 0
    assert parse_rupees(Decimal("0.00"), allow_zero=True) == 0
    assert parse_rupees(0, allow_zero=True) == 0
    with pytest.raises(MoneyError, match="negative"):
        parse_rupees("-0", allow_zero=True)


def test_maximum_is_inclusive_and_named_in_rupees() -> None:
    cap = MAX_DEFAULT_RUPEES * 100
    assert parse_rupees("100000", max_paise=cap) == cap
    assert parse_rupees(100000, max_paise=cap) == cap
    with pytest.raises(MoneyError, match=r"at most 100000 rupees"):
        parse_rupees("100000.01", max_paise=cap)
    with pytest.raises(MoneyError, match=r"at most 100000 rupees"):
        parse_rupees(Decimal("100001"), max_paise=cap)
    with pytest.raises(MoneyError, match=r"at most 500.5 rupees"):
        parse_rupees("600", max_paise=50050)


def test_message_is_a_sentence_fragment() -> None:
    with pytest.raises(MoneyError) as caught:
        parse_rupees("abc")
    assert str(caught.value) == "must be a positive amount in rupees with at most 2 decimals"
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("paise", "text"),
    [(101800, "1018.00"), (101850, "1018.50"), (1, "0.01"), (0, "0.00"), (-150, "-1.50")],
)
def test_format_rupees(paise: int, text: str) -> None:
    assert format_rupees(paise) == text


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (101800, "₹1,018.00"),
        (10000000, "₹1,00,000.00"),
        (123456789, "₹12,34,567.89"),
        (99999, "₹999.99"),
        (5, "₹0.05"),
        (0, "₹0.00"),
        (100000000000, "₹1,00,00,00,000.00"),
        (-101800, "-₹1,018.00"),
    ],
)
def test_display_rupees(paise: int, text: str) -> None:
    assert display_rupees(paise) == text


@pytest.mark.parametrize(
    ("paise", "text"),
    [
        (101800, "1018"),
        (101850, "1018.5"),
        (101855, "1018.55"),
        (5, "0.05"),
        (50, "0.5"),
        (10000000, "100000"),
        (100, "1"),
        (0, "0"),
    ],
)
def test_rupees_decimal(paise: int, text: str) -> None:
    value = rupees_decimal(paise)
    assert isinstance(value, Decimal)
    assert str(value) == text
    assert value == Decimal(paise) / 100


@FAST
@given(st.integers(min_value=1, max_value=10**9))
def test_round_trips(paise: int) -> None:
    assert parse_rupees(format_rupees(paise)) == paise
    decimal = rupees_decimal(paise)
    assert "E" not in str(decimal)
    assert parse_rupees(str(decimal)) == paise
    assert parse_rupees(decimal) == paise


@FAST
@given(st.integers(min_value=0, max_value=10**15))
def test_display_grouping(paise: int) -> None:
    text = display_rupees(paise)
    assert text.startswith("₹")
    assert text[1:].replace(",", "") == format_rupees(paise)
    whole = text[1:].split(".")[0]
    groups = whole.split(",")
    if len(groups) > 1:
        assert len(groups[-1]) == 3
        assert all(len(group) == 2 for group in groups[1:-1])
        assert 1 <= len(groups[0]) <= 2
    else:
        assert len(whole) <= 3


@FAST
@given(st.integers(min_value=1, max_value=10**9))
def test_floats_read_through_their_text(paise: int) -> None:
    # The float a JSON sender meant by "1018.55" must come back as 101855, not 101854.
    assert parse_rupees(float(format_rupees(paise))) == paise


@FAST
@given(st.text(max_size=40))
def test_never_fails_with_anything_but_money_error(text: str) -> None:
    try:
        paise = parse_rupees(text)
    except MoneyError:
        return
    assert paise > 0
    assert parse_rupees(format_rupees(paise)) == paise


@pytest.mark.parametrize("text", ["1e-2", "1E-2", "10e-1", "1e0", "1E+0", "0.5e1", "1e2"])
def test_an_exponent_is_refused_even_when_the_value_prints_plain(text: str) -> None:
    number = loads(text)
    assert isinstance(number, ExponentDecimal)
    with pytest.raises(MoneyError, match="exponent"):
        parse_rupees(number)
    # The same amount written out is fine.
    assert parse_rupees(loads(f"{Decimal(text):f}")) == int(Decimal(text) * 100)


@FAST
@given(
    whole=st.integers(min_value=0, max_value=10**6),
    fraction=st.text(alphabet="0123456789", max_size=3),
    marker=st.sampled_from(["e", "E"]),
    sign=st.sampled_from(["", "+", "-"]),
    exponent=st.integers(min_value=0, max_value=12),
)
def test_no_json_number_with_an_exponent_is_an_amount(
    whole: int, fraction: str, marker: str, sign: str, exponent: int
) -> None:
    text = f"{whole}{'.' + fraction if fraction else ''}{marker}{sign}{exponent}"
    with pytest.raises(MoneyError):
        parse_rupees(loads(text), max_paise=None)
    if Decimal(text) > 0:  # zero is refused as zero; every other value for its exponent
        with pytest.raises(MoneyError, match="exponent"):
            parse_rupees(loads(text))


@FAST
@given(st.integers(min_value=1, max_value=10**9))
def test_json_numbers_without_an_exponent_still_read_exactly(paise: int) -> None:
    assert parse_rupees(loads(format_rupees(paise))) == paise
