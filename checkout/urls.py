"""URL helpers shared by the API and the pages.

Merchant URLs travel into places with stricter grammars than a URL: response
headers (Location, HX-Redirect: latin-1 only, and gunicorn refuses anything but
visible ASCII) and the CSP `form-action` list (where `;` starts a new directive).
So the API refuses what no header or policy can carry, and what goes into a
header is percent-encoded on the way out.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

# scheme://host[:port] as CSP and browsers write it: a DNS name or an IP literal, and digits.
_ORIGIN_NETLOC = re.compile(r"(?:[a-z0-9_\-.]+|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?", re.IGNORECASE)
# Everything a URL may hold as it is; quote() encodes the rest (non-ASCII, spaces, controls).
_URL_SAFE = "!#$%&'()*+,/:;=?@[]~"


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL; None for anything else, malformed included.

    A netloc with a user name, spaces, `;`, quotes or non-ASCII is no origin: it could
    not match a browser's Origin header, and it must never reach a policy header.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not _ORIGIN_NETLOC.fullmatch(parts.netloc):
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def url_problem(url: str) -> str | None:
    """Why `url` cannot be a merchant URL (a return, cancel or webhook URL); None if it can.

    Control characters are refused anywhere. In the path and query anything else
    goes (`;jsessionid=` included): header_url() encodes it.
    """
    if any(unicodedata.category(char) == "Cc" for char in url):
        return "must not contain control characters"
    try:
        netloc = urlsplit(url).netloc
    except ValueError:  # an unclosed IPv6 bracket
        netloc = ""
    if not re.match(r"https?://", url) or not netloc:
        return "must be an http(s) URL"
    if "@" in netloc:
        return "must not contain a user name or password"
    if re.search(r"[\s;,\"'<>\\]", netloc):
        return "must not contain spaces, ';', ',' or quotes in its host or port"
    if not netloc.isascii():
        return "must have an ASCII host (write an international domain as xn--…)"
    if origin_of(url) is None:
        return "must be an http(s) URL with a valid host and port"
    return None


def header_url(url: str) -> str:
    """`url` as a response header may carry it: visible ASCII only, meaning unchanged.

    Non-ASCII (a Devanagari path), spaces and anything stored before the API refused
    control characters are percent-encoded as UTF-8, which browsers decode back;
    existing %XX escapes are kept as they are.
    """
    return quote(url, safe=_URL_SAFE, errors="backslashreplace")


def with_query(url: str, **params: str) -> str:
    """Add our parameters to a merchant URL, keeping the ones it already has."""
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))
