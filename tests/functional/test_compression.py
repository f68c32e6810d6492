"""Static assets go out compressed, with their ETag, revalidation, CSP and caching intact;
HTML, JSON and htmx fragments (204, 286) go out as they are (checkout/compression.py)."""

from __future__ import annotations

import re
import zlib
from pathlib import Path
from urllib.parse import urlsplit

import brotli
import pytest
from flask.testing import FlaskClient

from checkout.storage.models import PaymentSession
from tests.conftest import AUTH

STATIC = Path(__file__).resolve().parents[2] / "static"
HTMX = "/static/js/htmx.min.js"
NONCE = re.compile(r"'nonce-[^']+'")


def _raw(path: str) -> bytes:
    return (STATIC / path.removeprefix("/static/")).read_bytes()


def _decoded(encoding: str, body: bytes) -> bytes:
    if encoding == "br":
        return bytes(brotli.decompress(body))
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "gzip":
        return zlib.decompress(body, 16 + zlib.MAX_WBITS)
    raise AssertionError(encoding)


@pytest.mark.parametrize(
    ("accept", "encoding"),
    [
        ("gzip, deflate", "deflate"),  # what Chromium asks over plain http
        ("gzip, deflate, br", "br"),  # and over https
    ],
)
@pytest.mark.parametrize("path", [HTMX, "/static/js/pay.js", "/static/css/app.css"])
def test_an_asset_is_compressed_and_decodes_to_the_file(
    client: FlaskClient, path: str, accept: str, encoding: str
) -> None:
    plain = client.get(path)
    answer = client.get(path, headers={"Accept-Encoding": accept})
    assert answer.status_code == 200
    assert answer.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert "Accept-Ranges" not in answer.headers  # ranges of the compressed bytes: none
    body = answer.get_data()
    assert _decoded(encoding, body) == _raw(path) == plain.get_data()
    assert len(body) < len(_raw(path)) * 0.6, (path, len(body))
    # The same policy headers and cache rule as the plain answer.
    for header in ("Cache-Control", "X-Content-Type-Options", "X-Frame-Options"):
        assert answer.headers.get(header) == plain.headers.get(header), header
    assert plain.headers["Cache-Control"]
    policy = NONCE.sub("'nonce-N'", answer.headers["Content-Security-Policy"])
    assert policy == NONCE.sub("'nonce-N'", plain.headers["Content-Security-Policy"])
    assert "script-src 'self' 'nonce-N'" in policy


def test_a_compressed_asset_keeps_a_strong_etag_of_its_own_and_revalidates(
    client: FlaskClient,
) -> None:
    plain = client.get(HTMX)
    assert plain.headers.get("Content-Encoding") is None
    assert plain.headers["Accept-Ranges"] == "bytes"
    raw_etag = plain.headers["ETag"]
    assert raw_etag.startswith('"') and not raw_etag.startswith("W/")

    packed = client.get(HTMX, headers={"Accept-Encoding": "gzip, deflate"})
    packed_etag = packed.headers["ETag"]
    assert packed_etag == raw_etag[:-1] + ':deflate"'  # another representation, another tag

    again = client.get(
        HTMX, headers={"Accept-Encoding": "gzip, deflate", "If-None-Match": packed_etag}
    )
    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == packed_etag

    # A tag of the plain file still revalidates the plain file the client holds.
    held = client.get(HTMX, headers={"Accept-Encoding": "gzip, deflate", "If-None-Match": raw_etag})
    assert held.status_code == 304
    assert held.headers.get("Content-Encoding") is None

    # A changed file (another tag) gets the whole compressed body.
    stale = client.get(HTMX, headers={"Accept-Encoding": "deflate", "If-None-Match": '"old"'})
    assert stale.status_code == 200
    assert zlib.decompress(stale.get_data()) == _raw(HTMX)


def test_a_byte_range_is_served_from_the_file_as_stored(client: FlaskClient) -> None:
    answer = client.get(HTMX, headers={"Accept-Encoding": "gzip, deflate", "Range": "bytes=0-99"})
    assert answer.status_code == 206
    assert answer.headers.get("Content-Encoding") is None
    assert answer.get_data() == _raw(HTMX)[:100]


def test_a_small_asset_is_left_as_it_is(client: FlaskClient) -> None:
    answer = client.get("/static/img/favicon.svg", headers={"Accept-Encoding": "gzip, deflate"})
    assert answer.status_code == 200
    assert len(answer.get_data()) < 500
    assert answer.headers.get("Content-Encoding") is None


def test_pages_json_and_htmx_fragments_are_never_compressed(client: FlaskClient) -> None:
    # A page carries a CSRF token and reflects its query string (the language switch):
    # compressed, its size would leak the token (BREACH). JSON may carry keys.
    accept = {"Accept-Encoding": "gzip, deflate, br"}
    created = client.post(
        "/api/v1/checkout-sessions", json={"amount": "499"}, headers={**AUTH, **accept}
    )
    assert created.status_code == 201
    assert created.headers.get("Content-Encoding") is None
    assert "Accept-Encoding" not in created.headers.get("Vary", "")
    page = urlsplit(created.get_json()["url"]).path

    html = client.get(f"{page}?x=csrf_token", headers=accept)
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert len(html.get_data()) > 2000
    assert html.headers.get("Content-Encoding") is None
    assert "'nonce-" in html.headers["Content-Security-Policy"]

    fragment = {**accept, "HX-Request": "true"}
    unchanged = client.get(f"{page}/status?seen=pending", headers=fragment)
    assert unchanged.status_code == 204
    assert unchanged.get_data() == b""
    assert unchanged.headers.get("Content-Encoding") is None

    pending = client.get(f"{page}/status", headers=fragment)
    assert pending.status_code == 200
    assert pending.headers.get("Content-Encoding") is None
    assert b"data-status" in pending.get_data()

    token = page.rsplit("/", 1)[-1]
    PaymentSession.objects(token=token).update(set__status="cancelled")
    final = client.get(f"{page}/status?seen=pending", headers=fragment)
    assert final.status_code == 286
    assert final.headers.get("Content-Encoding") is None
    assert b"data-status" in final.get_data()


def test_a_client_that_takes_only_gzip_gets_the_file_as_stored(client: FlaskClient) -> None:
    # Files are compressed as they stream, which Flask-Compress does in zstd, br or deflate
    # only; every browser that asks for gzip asks for deflate too.
    answer = client.get(HTMX, headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200
    assert answer.headers.get("Content-Encoding") is None
    assert answer.get_data() == _raw(HTMX)
