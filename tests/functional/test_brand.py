"""The merchant's brand on customer pages, error pages that lead back to the merchant,
the QR as a file, and the note for a personal UPI ID (issue 11)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import zxingcpp
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image

from checkout import create_app
from checkout.config import ConfigError, Settings
from checkout.domain.contrast import AA, DARK_THEME, LIGHT_THEME, contrast_ratio
from checkout.gateway import EXTENSION_KEY
from tests.conftest import AUTH, SHOP_ORIGIN

ROOT = Path(__file__).resolve().parents[2]
PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360f8cfc0f01f0005010201a6e2d7e60000000049454e44ae426082"
)
BRAND = {
    "merchant_brand_color": "#ffcc00",  # unreadable on a light page: a darker shade is derived
    "merchant_support_email": "help@shop.example",
    "merchant_support_phone": "+91 98765 43210",
    "merchant_policy_url": "https://shop.example/policy",
    "merchant_site_url": "https://shop.example/",
}


@pytest.fixture
def make_client(settings: Settings) -> Iterator[Any]:
    apps: list[Flask] = []

    def make(**overrides: Any) -> FlaskClient:
        app = create_app(settings.with_overrides(**overrides))
        app.config["TESTING"] = True
        apps.append(app)
        return app.test_client()

    yield make
    for app in apps:
        app.extensions[EXTENSION_KEY].stop_background()


@pytest.fixture
def logo(tmp_path: Path) -> Path:
    path = tmp_path / "logo.png"
    path.write_bytes(PNG_1PX)
    return path


def open_checkout(client: FlaskClient, **body: Any) -> tuple[dict[str, Any], str]:
    body.setdefault("amount", 499)
    response = client.post("/api/v1/checkout-sessions", json=body, headers=AUTH)
    assert response.status_code == 201, response.get_data(as_text=True)
    created: dict[str, Any] = response.json
    return created, urlsplit(created["url"]).path


def test_the_brand_is_on_the_pay_page_and_the_link_page(
    make_client: Any, logo: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="checkout"):
        client = make_client(merchant_logo=str(logo), **BRAND)
    derived = [r.getMessage() for r in caplog.records if "MERCHANT_BRAND_COLOR" in r.getMessage()]
    assert len(derived) == 2  # once per theme, at start-up, not per request
    assert "does not reach 4.5:1 contrast on the light theme; using #" in derived[0]
    assert "#ffcc00 used as is on the dark theme" in derived[1]

    _, path = open_checkout(client)
    for page in (client.get(path), client.get("/l/demo")):
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert 'class="brand-logo" src="/brand/logo?v=' in html
        assert "<style nonce=" in html and "--accent: #" in html
        assert 'href="mailto:help@shop.example"' in html
        assert 'href="tel:+919876543210"' in html
        assert 'href="https://shop.example/policy"' in html
    for _ in range(3):
        client.get(path)
    assert sum("MERCHANT_BRAND_COLOR" in r.getMessage() for r in caplog.records) == 2


def test_the_logo_is_served_with_its_type_and_cached(make_client: Any, logo: Path) -> None:
    client = make_client(merchant_logo=str(logo))
    response = client.get("/brand/logo")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.data == PNG_1PX
    assert response.cache_control.public and response.cache_control.max_age == 86400
    again = client.get("/brand/logo", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_logo_under_static_is_linked_there(make_client: Any) -> None:
    client = make_client(merchant_logo="static/img/favicon.svg")
    html = client.get("/l/demo").get_data(as_text=True)
    assert 'src="/static/img/favicon.svg?v=' in html
    assert client.get("/brand/logo").status_code == 404


@pytest.mark.parametrize(
    ("name", "why"),
    [("missing.png", "cannot be read"), ("logo.txt", "must be a"), ("empty.png", "non-empty")],
)
def test_a_logo_that_cannot_be_shown_is_refused_at_start(
    settings: Settings, tmp_path: Path, name: str, why: str
) -> None:
    (tmp_path / "logo.txt").write_text("not an image")
    (tmp_path / "empty.png").write_bytes(b"")
    with pytest.raises(ConfigError, match=why):
        create_app(settings.with_overrides(merchant_logo=str(tmp_path / name)))


def test_the_brand_style_gives_each_theme_a_shade_that_passes(make_client: Any) -> None:
    client = make_client(merchant_brand_color="#ffcc00")
    response = client.get("/l/demo")
    html = response.get_data(as_text=True)
    nonce = response.headers["Content-Security-Policy"].split("style-src 'self' 'nonce-")[1]
    opening = f'<style nonce="{nonce.split(chr(39))[0]}">'
    assert opening in html  # the page's CSP nonce: no 'unsafe-inline' needed
    css = html.split(opening, 1)[1].split("</style>", 1)[0]
    light_part, dark_part = css.split("prefers-color-scheme: dark")
    light = light_part.split("--accent: ", 1)[1][:7]
    dark = dark_part.split("--accent: ", 1)[1][:7]
    assert dark == "#ffcc00" and light != "#ffcc00"
    for colour, theme in ((light, LIGHT_THEME), (dark, DARK_THEME)):
        assert all(contrast_ratio(colour, bg) >= AA for bg in theme.backgrounds)


def test_without_brand_settings_nothing_is_added(client: FlaskClient) -> None:
    html = client.get("/l/demo").get_data(as_text=True)
    assert "<style" not in html and "brand-logo" not in html and "brand-footer" not in html


def test_an_error_page_of_a_checkout_leads_to_its_cancel_url(make_client: Any) -> None:
    client = make_client(**BRAND)
    created, path = open_checkout(client, cancelUrl=f"{SHOP_ORIGIN}/cancel")
    # A stale form (no CSRF token) on the checkout's own page: a readable 400.
    page = client.post(f"{path}/paid", headers={"Accept": "text/html"})
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    back = html.split('<a class="button" href="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    assert back.startswith(f"{SHOP_ORIGIN}/cancel?")
    assert parse_qs(urlsplit(back).query)["orderId"] == [created["orderId"]]
    assert "Back to the start" not in html
    assert 'href="mailto:help@shop.example"' in html


def test_an_error_page_without_a_checkout_leads_to_the_site(make_client: Any) -> None:
    client = make_client(**BRAND)
    html = client.get("/pay/no-such-token").get_data(as_text=True)
    assert 'href="https://shop.example/"' in html
    assert "Back to the start" not in html and 'href="/"' not in html


def test_with_neither_an_error_page_shows_the_support_contact_and_no_back_link(
    make_client: Any,
) -> None:
    client = make_client(merchant_support_email="help@shop.example")
    html = client.get("/l/no-such-link").get_data(as_text=True)
    assert 'href="mailto:help@shop.example"' in html
    assert 'class="button"' not in html and "Back to the start" not in html


def test_the_operator_pages_keep_back_to_the_start(make_client: Any) -> None:
    client = make_client(**BRAND)
    html = client.get("/no-such-page").get_data(as_text=True)
    assert "Back to the start" in html
    assert "help@shop.example" not in html


def test_cancelled_and_expired_pages_lead_to_the_site_without_a_cancel_url(
    make_client: Any,
) -> None:
    client = make_client(**BRAND)
    created, path = open_checkout(client)
    cancelled = client.post(f"/api/v1/checkout-sessions/{created['id']}/cancel", headers=AUTH)
    assert cancelled.status_code == 200, cancelled.get_data(as_text=True)
    html = client.get(path).get_data(as_text=True)
    assert 'class="button" href="https://shop.example/"' in html
    assert 'href="/"' not in html


def test_the_qr_downloads_as_a_png_of_the_same_payment(client: FlaskClient) -> None:
    created, path = open_checkout(client)
    html = client.get(path).get_data(as_text=True)
    assert f'href="{path}/qr.png" download' in html
    response = client.get(f"{path}/qr.png")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    disposition = response.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="upi-{created["orderId"]}.png"'
    found = zxingcpp.read_barcodes(Image.open(BytesIO(response.data)))
    assert [code.text for code in found] == [created["upiString"]]


def test_a_closed_checkout_has_no_qr_to_download(client: FlaskClient) -> None:
    created, path = open_checkout(client)
    client.post(f"/api/v1/checkout-sessions/{created['id']}/cancel", headers=AUTH)
    response = client.get(f"{path}/qr.png", headers={"Accept": "text/html"})
    assert response.status_code == 409
    assert response.mimetype == "text/html"


def test_the_personal_upi_id_note_goes_with_a_merchant_code(make_client: Any) -> None:
    personal = make_client()
    _, path = open_checkout(personal)
    assert "personal UPI ID" in personal.get(path).get_data(as_text=True)
    merchant = make_client(upi_merchant_code="5411")
    _, path = open_checkout(merchant)
    html = merchant.get(path).get_data(as_text=True)
    assert "personal UPI ID" not in html
    assert "mc=5411" in html


def test_the_amount_can_be_copied_as_the_app_takes_it(client: FlaskClient) -> None:
    _, path = open_checkout(client, amount="1018.5")
    html = client.get(path).get_data(as_text=True)
    assert 'data-copy="1018.50"' in html


def test_the_app_buttons_carry_inline_icons(client: FlaskClient) -> None:
    _, path = open_checkout(client)
    html = client.get(path).get_data(as_text=True)
    buttons = html.split('<ul class="app-links"', 1)[1].split("</ul>", 1)[0]
    assert buttons.count('<svg aria-hidden="true" focusable="false" width="20" height="20" ') == 4
    for name in ("GPay", "PhonePe", "Paytm", "BHIM"):
        assert f"</svg>{name}</a>" in buttons


def test_the_sandbox_says_so_once(client: FlaskClient) -> None:
    for path in ("/l/demo",):
        html = client.get(path).get_data(as_text=True)
        assert html.count("no real money") == 1
    page = client.post(
        "/l/demo",
        data={"name": "Asha", "email": "asha@example.com", "csrf_token": _csrf(client)},
    )
    assert page.status_code in (302, 303), page.get_data(as_text=True)
    html = client.get(urlsplit(page.headers["Location"]).path).get_data(as_text=True)
    assert html.count("no real money") == 1


def _csrf(client: FlaskClient) -> str:
    html = client.get("/l/demo").get_data(as_text=True)
    return html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]


def test_an_embedded_error_page_has_no_back_link(make_client: Any) -> None:
    client = make_client(**BRAND)
    html = client.get("/pay/no-such-token?embed=1").get_data(as_text=True)
    assert 'class="button"' not in html and "Back to the start" not in html
    assert 'href="mailto:help@shop.example"' in html
