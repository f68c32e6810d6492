"""URL helpers shared by the API and the pages."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit


def origin_of(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL; None for anything else, malformed included."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def with_query(url: str, **params: str) -> str:
    """Add our parameters to a merchant URL, keeping the ones it already has."""
    parts = urlsplit(url)
    query = f"{parts.query}&{urlencode(params)}" if parts.query else urlencode(params)
    return urlunsplit(parts._replace(query=query))
