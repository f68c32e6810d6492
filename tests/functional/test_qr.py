"""The QR codes decode back to exactly the UPI link the API reports (read with zxing-cpp)."""

from __future__ import annotations

import base64
import html
import re
from io import BytesIO
from urllib.parse import urlsplit

import pytest
import zxingcpp
from flask.testing import FlaskClient
from PIL import Image

from checkout.config import Settings
from tests.functional.conftest import create_ok

DATA_URI = "data:image/png;base64,"


def decode_png_data_uri(data_uri: str) -> str:
    assert data_uri.startswith(DATA_URI)
    png = base64.b64decode(data_uri.removeprefix(DATA_URI), validate=True)
    image = Image.open(BytesIO(png))
    assert image.format == "PNG"
    found = zxingcpp.read_barcodes(image)
    assert len(found) == 1, found
    assert found[0].format == zxingcpp.BarcodeFormat.QRCode
    text: str = found[0].text
    return text


@pytest.mark.parametrize(
    ("query", "am", "tn"),
    [
        ({"amount": "100", "note": "Test"}, "100.00", "&tn=Test"),
        ({"amount": "1018.5"}, "1018.50", ""),
        ({"amount": "0.01", "note": "Order #7 & co: ₹ paid?"}, "0.01", None),
        ({"amount": "100000", "note": "x" * 80}, "100000.00", "&tn=" + "x" * 80),
    ],
)
def test_upi_qr_png_decodes_to_the_upi_string(
    client: FlaskClient, settings: Settings, query: dict[str, str], am: str, tn: str | None
) -> None:
    body = client.get("/api/upi-qr", query_string=query).get_json()
    decoded = decode_png_data_uri(body["qrCode"])
    assert decoded == body["upiString"]
    assert decoded.startswith(f"upi://pay?pa={settings.upi_id}&pn=UPI%20Checkout%20Demo&am={am}&")
    if tn is not None:
        assert decoded.endswith(f"&cu=INR{tn}")
    assert " " not in decoded


def test_a_checkout_page_qr_decodes_to_its_upi_string(
    client: FlaskClient, settings: Settings
) -> None:
    create_ok(client, orderId="ORD-1")
    session = create_ok(client, orderId="ORD-2")  # 1018.02: the suffix must be in the QR too
    page = client.get(urlsplit(session["url"]).path)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    sources = re.findall(r'<img[^>]*\bsrc="(data:image/png;base64,[^"]+)"', text)
    assert len(sources) == 1
    decoded = decode_png_data_uri(html.unescape(sources[0]))
    assert decoded == session["upiString"]
    assert decoded == (
        f"upi://pay?pa={settings.upi_id}&pn=UPI%20Checkout%20Demo&am=1018.02&cu=INR"
        "&tn=Order%20ORD-2&tr=ORD-2"
    )
    # The "Pay with UPI app" link carries the same URI.
    assert f'href="{html.escape(decoded)}"' in text


def test_a_merchant_code_goes_into_every_upi_link(settings: Settings) -> None:
    """UPI_MERCHANT_CODE set: the checkout's link and /api/upi-qr carry `mc`; unset: neither."""
    from checkout import create_app
    from tests.conftest import AUTH

    for code, expected in (("5411", "&mc=5411"), ("", None)):
        app = create_app(settings.with_overrides(upi_merchant_code=code, start_ticker=False))
        client = app.test_client()
        opened = client.post(
            "/api/v1/checkout-sessions", json={"amount": "499"}, headers=AUTH
        ).get_json()
        qr = client.get("/api/upi-qr", query_string={"amount": "10"}).get_json()
        for uri in (opened["upiString"], qr["upiString"]):
            if expected:
                assert expected in uri
            else:
                assert "mc=" not in uri
