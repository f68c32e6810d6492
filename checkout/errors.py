"""The one error format: JSON `{"error", "details"}` for API clients, a readable page for people.

Every refusal is a ServiceError (checkout.services.errors), raised by services and
views alike, and answered here; so are the framework's own refusals (CSRF, rate
limits, bodies too large). A 5xx is a bug, so the catch-all logs the traceback and
answers a plain 500 without any detail of what went wrong.

API clients read English (their words are part of the contract); a person reads the
page in their language: the page form translates the message and each detail when the
catalogue has it, and keeps the English words otherwise.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import gettext, ngettext
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from pymongo.errors import ConnectionFailure
from werkzeug.exceptions import HTTPException

from checkout.extensions import limiter
from checkout.services.errors import FORM_EXPIRED, RATE_LIMITED, ServiceError, TooManyRequests
from checkout.storage.store import StoreError

log = logging.getLogger(__name__)

JSON_PREFIXES = ("/api", "/health")


def N_(message: str) -> str:
    """Marks English words for the catalogue (pybabel's N_ keyword) without translating them."""
    return message


# Refusals a customer meets on a page, raised by services in English; listed here so
# `pybabel extract` finds them, translated when the page is drawn.
PAGE_MESSAGES = (
    N_("This form has expired or was not sent from this site."),
    N_("This checkout does not exist"),
    N_("This payment link does not exist"),
    N_("Payment session not found"),
    N_("Too many requests, slow down and try again later"),
)


def _link_full(found: re.Match[str]) -> str:
    minutes = int(found["minutes"])
    return ngettext(
        "%(capacity)s checkouts from this link are waiting for payment right now, the most it "
        "keeps open at once. Please try again in about %(num)d minute.",
        "%(capacity)s checkouts from this link are waiting for payment right now, the most it "
        "keeps open at once. Please try again in about %(num)d minutes.",
        minutes,
        capacity=found["capacity"],
    )


def _amounts_held(found: re.Match[str]) -> str:
    return ngettext(
        "Every payable amount near this price is held by an open checkout right now, so no new "
        "one can be told apart from them. Try again in about %(num)d minute.",
        "Every payable amount near this price is held by an open checkout right now, so no new "
        "one can be told apart from them. Try again in about %(num)d minutes.",
        int(found["minutes"]),
    )


def _amount_range(found: re.Match[str]) -> str:
    return gettext(
        "Choose an amount from %(low)s to %(high)s", low=found["low"], high=found["high"]
    )


# Services word a few refusals with numbers in them (the API's words, in English); a page
# reads them back by shape and says them in the customer's language.
_SHAPED: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(
            r"(?P<capacity>\d+) checkouts from this link are waiting for payment right now, the "
            r"most it keeps open at once\. Please try again in about (?P<minutes>\d+) minutes?\."
        ),
        _link_full,
    ),
    (
        re.compile(
            r"Every payable amount near this price is held by an open checkout right now, so no "
            r"new one can be told apart from them\. Try again in about (?P<minutes>\d+) minutes?\."
        ),
        _amounts_held,
    ),
    (re.compile(r"Choose an amount from (?P<low>₹[\d,.]+) to (?P<high>₹[\d,.]+)"), _amount_range),
)


def page_words(message: str) -> str:
    """The customer's words for an English message (gettext("") would be the catalogue header)."""
    if not message:
        return message
    for shape, words in _SHAPED:
        found = shape.fullmatch(message)
        if found:
            return words(found)
    return gettext(message)


def _wait_words(seconds: int | None = None) -> str:
    """When a refused tap may come again, in the page script's own words (messages.html):
    `seconds` from a one-counter read's refusal, else from flask-limiter's spent limit."""
    if seconds is None:
        limit = limiter.current_limit
        if limit is None:
            return gettext("Too many tries. Wait a minute, then try again.")
        seconds = max(1, int(limit.reset_at - time.time()))  # as flask-limiter's Retry-After
    if seconds == 1:
        return gettext("Too many tries. Try again in 1 second.")
    return gettext("Too many tries. Try again in %(seconds)s seconds.", seconds=seconds)


def wants_json() -> bool:
    if request.path.startswith(JSON_PREFIXES):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def error_response(
    status: int,
    message: str,
    details: list[dict[str, str]] | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    if wants_json():
        body: dict[str, Any] = {"error": message, "details": details or []}
        body.update(extra or {})
        response = jsonify(body)
    else:
        shown = [
            {"field": d.get("field", ""), "message": page_words(d.get("message", ""))}
            for d in details or []
        ]
        # htmx swaps no error answer: its page script reads the words from a fragment.
        htmx = request.headers.get("HX-Request") == "true"
        template = "errors/fragment.html" if htmx else "errors/error.html"
        response = Response(
            render_template(template, status=status, message=page_words(message), details=shown),
            mimetype="text/html",
        )
    response.status_code = status
    response.headers.update(headers or {})
    return response


def error_answer(error: ServiceError) -> Response:
    """The answer to a refusal: what the handler sends, and what an idempotent retry replays."""
    message = error.message
    if isinstance(error, TooManyRequests) and not wants_json():
        message = _wait_words(error.retry_after)
    return error_response(error.status, message, error.details, error.extra, error.headers())


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, error_answer)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Response:
        return error_response(400, FORM_EXPIRED)

    @app.errorhandler(RateLimitExceeded)
    def _rate_limited(exc: RateLimitExceeded) -> Response:
        # flask-limiter adds Retry-After and X-RateLimit-* in its after_request hook; a page
        # says the same wait in words (the API keeps its English contract).
        response = error_response(429, RATE_LIMITED if wants_json() else _wait_words())
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        messages = {
            400: N_("Bad request"),
            404: N_("Not found"),
            405: N_("Method not allowed"),
            413: N_("Request body too large (64 KiB at most)"),
            415: N_("Unsupported media type"),
        }
        details = None
        if status in (413, 415):
            details = [{"field": "body", "message": messages[status]}]
        response = error_response(status, messages.get(status, exc.name), details)
        if status == 405 and exc.get_response().headers.get("Allow"):
            response.headers["Allow"] = exc.get_response().headers["Allow"]
        return response

    @app.errorhandler(StoreError)
    @app.errorhandler(ConnectionFailure)
    def _store_down(exc: Exception) -> Response:
        # The store cannot be reached: nothing was decided, the caller may simply retry.
        log.error(
            "store unavailable on %s %s: %s", request.method, request.path, type(exc).__name__
        )
        message = N_("The payment store is unavailable; try again shortly")
        return error_response(503, message, headers={"Retry-After": "5"})

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, N_("Internal error"))
