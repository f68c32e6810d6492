"""Languages of the customer pages: Flask-Babel, one catalogue per language in translations/.

The language is chosen per request, in this order: `?lang=` (a supported one is also kept
in the `lang` cookie, so the choice survives the next page), the cookie, the browser's
Accept-Language, then DEFAULT_LANGUAGE. An unsupported code is ignored at every step,
so a typo in a link never shows a broken page. The operator's console (the admin
blueprint) is English only, so it ignores all of this. English is the source language and has
no catalogue; every other language is the folder translations/<code>/ holding one
LC_MESSAGES/messages.po and its compiled messages.mo (README, "Languages").
"""

from __future__ import annotations

import logging
import os
from typing import Any
from urllib.parse import urlencode

from babel import Locale
from flask import Flask, Response, has_request_context, request
from flask_babel import Babel, get_locale

from checkout.config import Settings
from checkout.domain.money import display_rupees

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRANSLATIONS = os.path.join(ROOT, "translations")
SOURCE_LANGUAGE = "en"
ENGLISH_ONLY_BLUEPRINTS = frozenset({"admin"})
CARRY_LANG_PREFIX = "pay."  # the customer pages' endpoints
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

log = logging.getLogger("checkout")


def available_languages(directory: str = TRANSLATIONS) -> tuple[str, ...]:
    """English, then every language with a compiled catalogue: adding one is adding a folder."""
    found = []
    if os.path.isdir(directory):
        for code in sorted(os.listdir(directory)):
            if os.path.isfile(os.path.join(directory, code, "LC_MESSAGES", "messages.mo")):
                found.append(code)
    return (SOURCE_LANGUAGE, *[code for code in found if code != SOURCE_LANGUAGE])


def language_name(code: str) -> str:
    """A language named in itself ("हिन्दी", "English"): the switch is read by who needs it."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def init_i18n(app: Flask, settings: Settings) -> None:
    """One place decides the language, so every page, form error and error page agrees."""
    languages = available_languages()
    default = settings.default_language
    if default not in languages:
        log.warning(
            "DEFAULT_LANGUAGE=%s has no catalogue in translations/; using %s",
            default,
            SOURCE_LANGUAGE,
        )
        default = SOURCE_LANGUAGE
    app.config.update(
        BABEL_DEFAULT_LOCALE=default,
        BABEL_TRANSLATION_DIRECTORIES=TRANSLATIONS,
    )

    def choose() -> str:
        if request.blueprint in ENGLISH_ONLY_BLUEPRINTS:
            return SOURCE_LANGUAGE
        asked = request.args.get("lang", "")
        if asked in languages:
            return asked
        kept = request.cookies.get(COOKIE, "")
        if kept in languages:
            return kept
        return request.accept_languages.best_match(languages) or default

    Babel(app, locale_selector=choose)

    @app.after_request
    def _keep_choice(response: Response) -> Response:
        if response.mimetype == "text/html":
            # The same URL answers in another language for another cookie or browser.
            response.vary.update(("Accept-Language", "Cookie"))
        asked = request.args.get("lang", "")
        if asked in languages and request.cookies.get(COOKIE) != asked:
            response.set_cookie(
                COOKIE,
                asked,
                max_age=COOKIE_MAX_AGE,
                samesite="Lax",
                secure=settings.production,
                httponly=True,
            )
        return response

    @app.url_defaults
    def _carry_choice(endpoint: str, values: dict[str, Any]) -> None:
        # In an iframe the browser may drop our cookie: the pay pages' own links, forms and
        # poll URLs carry the `?lang=` they were asked in, so htmx swaps keep the language.
        if not has_request_context() or not endpoint.startswith(CARRY_LANG_PREFIX):
            return
        asked = request.args.get("lang", "")
        if asked in languages and "lang" not in values:
            values["lang"] = asked

    # Amounts in templates: Indian grouping (₹1,00,000.00) whatever the language.
    app.jinja_env.filters["rupees"] = display_rupees

    @app.context_processor
    def _language_context() -> dict[str, Any]:
        return {
            "current_language": current_language(),
            "languages": [(code, language_name(code)) for code in languages],
            "lang_url": lang_url,
        }


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else SOURCE_LANGUAGE


def lang_url(code: str) -> str:
    """This page in another language: the same path and query, `lang` replaced."""
    args = [(key, value) for key, value in request.args.items(multi=True) if key != "lang"]
    return f"{request.path}?{urlencode([*args, ('lang', code)])}"
