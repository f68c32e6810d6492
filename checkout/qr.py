"""The one place that renders a QR: a UPI URI in, PNG (data URI or file) or inline SVG out.

Rendering is cached per URI; a checkout's URI never changes, so its QR is
drawn once however often its page is polled.
"""

from __future__ import annotations

import io
from functools import lru_cache

import segno

# Scale 8 with a 4-module quiet zone gives a ~300 px PNG for a typical UPI URI:
# big enough to scan from a laptop screen, small enough for the 80 KB page budget.
PNG_SCALE = 8
BORDER = 4


@lru_cache(maxsize=2048)
def qr_png_data_uri(uri: str) -> str:
    return segno.make(uri, error="m").png_data_uri(scale=PNG_SCALE, border=BORDER)


@lru_cache(maxsize=256)
def qr_png_bytes(uri: str) -> bytes:
    """The same QR as a PNG file, for the customer to keep and open from a UPI app's gallery."""
    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="png", scale=PNG_SCALE, border=BORDER)
    return out.getvalue()


@lru_cache(maxsize=2048)
def qr_svg(uri: str, title: str = "UPI payment QR code") -> str:
    return segno.make(uri, error="m").svg_inline(
        scale=PNG_SCALE, border=BORDER, title=title, omitsize=False
    )
