"""Compressed static assets (Flask-Compress), and only those.

The pay page must stay under 80 KB on a phone (issue 11); htmx alone is 53 KB raw and
about 18 KB compressed. Only the public assets are compressed: CSS, JavaScript and SVG.
HTML and JSON are left as they are on purpose: a page that carries a CSRF token (or a
console page, or an API answer with a key) and also reflects request input (the language
switch repeats the query string) would leak that secret through its compressed size
(BREACH) to someone who can watch the sizes on the wire. The assets hold no secret.
"""

from __future__ import annotations

from flask import Flask, Response
from flask_compress import Compress

# The public asset types under static/ and the brand logo; never text/html or JSON.
ASSET_MIMETYPES = (
    "text/css",
    "text/javascript",  # what Python's mimetypes gives .js from 3.12 on (and some systems)
    "application/javascript",
    "image/svg+xml",
)

compress = Compress()


def init_compression(app: Flask) -> None:
    """Register before every other after-request hook, so that it runs last.

    Flask runs after-request hooks in reverse order: the body and headers are final
    (Talisman's CSP, the embedding policy) by the time they are compressed.
    """
    app.config.update(
        COMPRESS_REGISTER=False,  # _compress below wraps the library's hook
        COMPRESS_MIMETYPES=list(ASSET_MIMETYPES),
        COMPRESS_MIN_SIZE=500,  # the favicon (190 B) would grow
    )
    compress.init_app(app)
    app.after_request(_compress)


def _compress(response: Response) -> Response:
    """The library's hook, minus what it gets wrong for files.

    A 206 is a byte range of the file as stored: compressing it would send bytes that
    match no Content-Range. And a compressed answer cannot honour ranges of itself, so
    it stops offering them.
    """
    if response.status_code == 206 or response.mimetype not in ASSET_MIMETYPES:
        return response  # nor a "Vary: Accept-Encoding" on answers that never vary by it
    response = compress.after_request(response)
    if "Content-Encoding" in response.headers:
        response.headers.pop("Accept-Ranges", None)
    return response
