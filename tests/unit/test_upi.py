"""The UPI link is read by the customer's app; one stray character changes what it pays."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain.upi import UpiError, app_links, build_upi_uri, is_valid_vpa

FAST = settings(max_examples=200, deadline=None)


@pytest.mark.parametrize(
    "vpa",
    [
        "merchant@okaxis",
        "ab@ybl",
        "first.last-1_x@oksbi",
        "9876543210@paytm",
        "shop@mk",
        "shop@bank.co-op",
        "a" * 256 + "@upi",
        "shop@" + "b" * 65,
    ],
)
def test_valid_vpas(vpa: str) -> None:
    assert is_valid_vpa(vpa)


@pytest.mark.parametrize(
    "vpa",
    [
        "",
        "merchant",
        "@okaxis",
        "a@okaxis",
        "merchant@",
        "merchant@o",
        "merchant@1bank",
        "merchant@@okaxis",
        "mer@chant@okaxis",
        "mer chant@okaxis",
        "merchant@ok axis",
        "merchant@okaxis\n",
        " merchant@okaxis",
        "mérchant@okaxis",
        "merchant@okäxis",
        "merchant@ok_axis",
        "mer+chant@okaxis",
        "a" * 257 + "@upi",
        "shop@" + "b" * 66,
    ],
)
def test_invalid_vpas(vpa: str) -> None:
    assert not is_valid_vpa(vpa)


def test_non_string_is_not_a_vpa() -> None:
    assert not is_valid_vpa(None)  # type: ignore[arg-type]


def test_minimal_uri() -> None:
    uri = build_upi_uri(payee_vpa="shop@okaxis", payee_name="Shop", amount_paise=101800)
    assert uri == "upi://pay?pa=shop@okaxis&pn=Shop&am=1018.00&cu=INR"


def test_full_uri_in_fixed_order() -> None:
    uri = build_upi_uri(
        payee_vpa="shop@okaxis",
        payee_name="Asha Stores",
        amount_paise=101850,
        note="Order 42",
        reference="ORD-42",
    )
    assert uri == (
        "upi://pay?pa=shop@okaxis&pn=Asha%20Stores&am=1018.50&cu=INR&tn=Order%2042&tr=ORD-42"
    )


def test_a_merchant_code_marks_the_payee_as_a_merchant() -> None:
    uri = build_upi_uri(
        payee_vpa="shop@okaxis", payee_name="Shop", amount_paise=101800, merchant_code="5411"
    )
    assert uri == "upi://pay?pa=shop@okaxis&pn=Shop&am=1018.00&cu=INR&mc=5411"


@pytest.mark.parametrize("code", ["541", "54111", "54a1", "٥٤١١"])
def test_a_merchant_code_is_four_ascii_digits(code: str) -> None:
    with pytest.raises(UpiError):
        build_upi_uri(payee_vpa="shop@okaxis", payee_name="S", amount_paise=1, merchant_code=code)


def test_empty_note_and_reference_are_omitted() -> None:
    uri = build_upi_uri(
        payee_vpa="shop@okaxis", payee_name="Shop", amount_paise=5, note="", reference=""
    )
    assert uri == "upi://pay?pa=shop@okaxis&pn=Shop&am=0.05&cu=INR"


def test_reference_without_note() -> None:
    uri = build_upi_uri(
        payee_vpa="shop@okaxis", payee_name="Shop", amount_paise=100, reference="R1"
    )
    assert uri == "upi://pay?pa=shop@okaxis&pn=Shop&am=1.00&cu=INR&tr=R1"


def test_reserved_characters_cannot_inject_parameters() -> None:
    uri = build_upi_uri(
        payee_vpa="shop@okaxis",
        payee_name="Tom & Jerry=Co #1?",
        amount_paise=100,
        note="a&am=1.00&pa=thief@ybl",
        reference="x/y+z",
    )
    assert uri == (
        "upi://pay?pa=shop@okaxis&pn=Tom%20%26%20Jerry%3DCo%20%231%3F&am=1.00&cu=INR"
        "&tn=a%26am%3D1.00%26pa%3Dthief@ybl&tr=x%2Fy%2Bz"
    )
    params = parse_qsl(urlsplit(uri).query)
    assert [key for key, _ in params] == ["pa", "pn", "am", "cu", "tn", "tr"]


def test_non_ascii_is_percent_encoded_as_utf8() -> None:
    uri = build_upi_uri(payee_vpa="shop@okaxis", payee_name="चाय ₹", amount_paise=100)
    assert uri.isascii()
    assert "pn=%E0%A4%9A%E0%A4%BE%E0%A4%AF%20%E2%82%B9&" in uri


@pytest.mark.parametrize("vpa", ["", "shop", "shop@", "sh op@okaxis", "shop@okaxis&am=1"])
def test_bad_vpa_is_refused(vpa: str) -> None:
    with pytest.raises(UpiError, match="UPI ID"):
        build_upi_uri(payee_vpa=vpa, payee_name="Shop", amount_paise=100)


@pytest.mark.parametrize("amount", [0, -1, True])
def test_bad_amount_is_refused(amount: int) -> None:
    with pytest.raises(UpiError, match="amount"):
        build_upi_uri(payee_vpa="shop@okaxis", payee_name="Shop", amount_paise=amount)


def test_upi_error_is_a_value_error() -> None:
    assert issubclass(UpiError, ValueError)


@FAST
@given(
    name=st.text(max_size=40),
    note=st.text(max_size=40),
    reference=st.text(max_size=40),
    paise=st.integers(min_value=1, max_value=10**9),
)
def test_values_survive_a_round_trip(name: str, note: str, reference: str, paise: int) -> None:
    uri = build_upi_uri(
        payee_vpa="shop@okaxis",
        payee_name=name,
        amount_paise=paise,
        note=note,
        reference=reference,
    )
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc, parts.path) == ("upi", "pay", "")
    query = parts.query
    assert "#" not in uri
    pairs = [chunk.split("=", 1) for chunk in query.split("&")]
    keys = [pair[0] for pair in pairs]
    expected_keys = ["pa", "pn", "am", "cu"]
    if note:
        expected_keys.append("tn")
    if reference:
        expected_keys.append("tr")
    assert keys == expected_keys
    decoded = dict(parse_qsl(query, keep_blank_values=True))
    assert decoded["am"] == f"{paise // 100}.{paise % 100:02d}"
    assert decoded["pa"] == "shop@okaxis"
    assert decoded["pn"] == name
    assert decoded.get("tn", "") == note
    assert decoded.get("tr", "") == reference


def test_unencodable_text_is_refused() -> None:
    with pytest.raises(UpiError, match="valid text"):
        build_upi_uri(payee_vpa="shop@okaxis", payee_name="\ud800", amount_paise=100)


def test_app_links_carry_the_same_payment() -> None:
    uri = build_upi_uri(payee_vpa="shop@okaxis", payee_name="Shop", amount_paise=101801)
    links = dict(app_links(uri))
    assert links == {
        "GPay": "tez://upi/pay?pa=shop@okaxis&pn=Shop&am=1018.01&cu=INR",
        "PhonePe": "phonepe://pay?pa=shop@okaxis&pn=Shop&am=1018.01&cu=INR",
        "Paytm": "paytmmp://pay?pa=shop@okaxis&pn=Shop&am=1018.01&cu=INR",
        "BHIM": uri,
    }


def test_app_links_need_a_upi_pay_link() -> None:
    with pytest.raises(UpiError):
        app_links("https://example.com/?pa=x@y")
