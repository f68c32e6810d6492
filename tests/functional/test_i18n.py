"""Languages of the customer pages: how the language is chosen, kept, and shown."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.functional.conftest import create_ok

HTML_LANG = re.compile(r'<html lang="([a-z]+)">')


def _lang(html: str) -> str:
    found = HTML_LANG.search(html)
    assert found, html[:200]
    return found.group(1)


def _page(client: FlaskClient) -> str:
    return urlsplit(create_ok(client)["url"]).path


def test_english_by_default(client: FlaskClient) -> None:
    html = client.get(_page(client)).get_data(as_text=True)
    assert _lang(html) == "en"
    assert "Pay with UPI app" in html


def test_unsupported_lang_falls_back_to_the_default(client: FlaskClient) -> None:
    response = client.get(f"{_page(client)}?lang=xx")
    assert response.status_code == 200
    assert _lang(response.get_data(as_text=True)) == "en"
    assert "lang=" not in response.headers.get("Set-Cookie", "")
