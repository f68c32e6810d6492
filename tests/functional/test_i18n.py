"""Languages of the customer pages: how the language is chosen, kept and shown, and the
catalogues themselves (every marked string translated, the compiled .mo up to date)."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from types import SimpleNamespace
from typing import cast
from urllib.parse import urlsplit

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from checkout import create_app
from checkout.config import Settings
from checkout.errors import page_words
from checkout.gateway import EXTENSION_KEY
from checkout.i18n import ROOT, TRANSLATIONS, available_languages, init_i18n, language_name
from checkout.services import links
from checkout.storage.links import LinkStore
from tests.conftest import Clock
from tests.functional.conftest import create_ok

HTML_LANG = re.compile(r'<html lang="([a-z]+)">')
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
HINDI_PO = os.path.join(TRANSLATIONS, "hi", "LC_MESSAGES", "messages.po")
HINDI_MO = os.path.join(TRANSLATIONS, "hi", "LC_MESSAGES", "messages.mo")
# The keywords `make catalogues` extracts with (Makefile, BABEL_KEYWORDS).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "N_": None}
# msgids whose Hindi is rightly written in Latin script (brand and payment words only).
LATIN_ONLY = {"UPI ID:"}


def _lang(html: str) -> str:
    found = HTML_LANG.search(html)
    assert found, html[:300]
    return found.group(1)


def _page(client: FlaskClient) -> str:
    return urlsplit(create_ok(client)["url"]).path


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _app(settings: Settings, **overrides: object) -> Iterator[Flask]:
    application = create_app(settings.with_overrides(**overrides))
    application.config["TESTING"] = True
    yield application
    application.extensions[EXTENSION_KEY].stop_background()


# -- choosing the language -------------------------------------------------------------


def test_english_by_default(client: FlaskClient) -> None:
    html = _text(client.get(_page(client)))
    assert _lang(html) == "en"
    assert "Pay with UPI app" in html
    assert not DEVANAGARI.search(html.split("lang-switch", 1)[0])


def test_accept_language_hi_renders_hindi(client: FlaskClient) -> None:
    page = _page(client)
    response = client.get(page, headers={"Accept-Language": "hi-IN,hi;q=0.9,en;q=0.5"})
    html = _text(response)
    assert _lang(html) == "hi"
    assert "UPI ऐप से भुगतान करें" in html
    assert "मैंने भुगतान कर दिया" in html
    assert "Pay with UPI app" not in html
    assert {"Accept-Language", "Cookie"} <= set(
        response.headers["Vary"].replace(" ", "").split(",")
    )


def test_lang_param_sets_the_cookie_and_the_next_page_stays_hindi(client: FlaskClient) -> None:
    page = _page(client)
    first = client.get(f"{page}?lang=hi", headers={"Accept-Language": "en"})
    assert _lang(_text(first)) == "hi"
    cookie = first.headers["Set-Cookie"]
    assert cookie.startswith("lang=hi;")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # development: plain http on localhost
    again = client.get(page, headers={"Accept-Language": "en"})
    assert _lang(_text(again)) == "hi"
    assert "Set-Cookie" not in again.headers  # kept, not rewritten on every page
    back = client.get(f"{page}?lang=en")
    assert _lang(_text(back)) == "en"
    assert _lang(_text(client.get(page, headers={"Accept-Language": "hi"}))) == "en"


def test_in_production_the_cookie_is_secure() -> None:
    """init_i18n reads two settings; a bare app shows the cookie a production gateway sets."""
    bare = Flask(__name__, template_folder=os.path.join(ROOT, "templates"))
    production = cast(Settings, SimpleNamespace(default_language="en", production=True))
    init_i18n(bare, production)
    bare.add_url_rule("/", "home", lambda: "ok")
    cookie = bare.test_client().get("/?lang=hi").headers["Set-Cookie"]
    assert "lang=hi" in cookie and "Secure" in cookie and "HttpOnly" in cookie


def test_the_htmx_status_fragment_follows_the_cookie(client: FlaskClient) -> None:
    page = _page(client)
    client.get(f"{page}?lang=hi")
    fragment = _text(client.get(f"{page}/status", headers={"HX-Request": "true"}))
    assert "UPI ऐप से भुगतान करें" in fragment


def test_without_cookies_the_pages_own_urls_carry_the_language(app: Flask) -> None:
    """An iframe whose browser blocks our cookie: poll and form URLs keep ?lang=hi."""
    client = app.test_client(use_cookies=False)
    page = _page(client)
    html = _text(client.get(f"{page}?lang=hi&embed=1"))
    poll = re.search(r'hx-get="([^"]+)"', html)
    assert poll and "lang=hi" in poll.group(1), html
    fragment = client.get(f"{page}/status?lang=hi&embed=1", headers={"HX-Request": "true"})
    assert "UPI ऐप से भुगतान करें" in _text(fragment)
    cancel = re.search(r'action="([^"]*/cancel[^"]*)"', html)
    assert cancel and "lang=hi" in cancel.group(1)
    assert "lang=" not in re.search(r'hx-get="([^"]+)"', _text(client.get(page))).group(1)  # type: ignore[union-attr]


def test_unsupported_lang_falls_back_to_the_default(client: FlaskClient) -> None:
    page = _page(client)
    response = client.get(f"{page}?lang=xx", headers={"Accept-Language": "xx"})
    assert response.status_code == 200
    assert _lang(_text(response)) == "en"
    assert "lang=" not in response.headers.get("Set-Cookie", "")
    forged = client.get(page, headers={"Cookie": "lang=../../etc"})
    assert _lang(_text(forged)) == "en"


def test_default_language_hi(settings: Settings) -> None:
    for app in _app(settings, default_language="hi"):
        client = app.test_client()
        page = _page(client)
        assert _lang(_text(client.get(page))) == "hi"
        assert _lang(_text(client.get(page, headers={"Accept-Language": "en-GB"}))) == "en"
        assert _lang(_text(client.get(f"{page}?lang=xx"))) == "hi"


def test_the_switch_links_every_language_on_the_same_page(client: FlaskClient) -> None:
    page = _page(client)
    html = _text(client.get(f"{page}?lang=hi&embed=1"))
    nav = html.split('<nav class="lang-switch" aria-label="भाषा">', 1)[1].split("</nav>", 1)[0]
    assert f'href="{page}?embed=1&amp;lang=en" hreflang="en" lang="en"' in nav
    assert f'href="{page}?embed=1&amp;lang=hi" hreflang="hi" lang="hi" aria-current="true"' in nav
    assert ">English<" in nav and ">हिन्दी<" in nav


def test_amounts_keep_indian_grouping_in_hindi(client: FlaskClient) -> None:
    body = create_ok(client, basePrice=100000, tax=0)
    html = _text(client.get(urlsplit(body["url"]).path + "?lang=hi"))
    assert "₹1,00,0" in html  # ₹1,00,000.xx (a suffix may add paise), never ₹100,000
    assert "का भुगतान करें" in html


def test_the_console_stays_english(client: FlaskClient) -> None:
    client.get(f"{_page(client)}?lang=hi")
    html = _text(client.get("/admin/login", headers={"Accept-Language": "hi"}))
    assert _lang(html) == "en"
    assert "lang-switch" not in html


# -- error pages and form errors --------------------------------------------------------


def test_error_pages_are_translated_and_the_api_stays_english(client: FlaskClient) -> None:
    page = client.get("/no/such/page", headers={"Accept-Language": "hi", "Accept": "text/html"})
    assert page.status_code == 404
    html = _text(page)
    assert _lang(html) == "hi"
    assert "यह पेज नहीं मिला" in html
    assert "शुरुआत पर वापस जाएँ" in html
    gone = client.get("/pay/not-a-real-token?lang=hi")
    assert gone.status_code == 404
    assert "Not found" not in _text(gone)
    api = client.get("/api/no-such-thing", headers={"Accept-Language": "hi"})
    assert api.get_json()["error"] == "Not found"


def test_an_expired_form_says_so_in_hindi(client: FlaskClient) -> None:
    page = _page(client)
    answer = client.post(
        f"{page}/cancel?lang=hi",
        data={"csrf_token": "stale"},
        headers={"Accept": "text/html", "Referer": f"http://localhost{page}"},
    )
    assert answer.status_code == 400
    assert "इस फ़ॉर्म का समय खत्म हो गया है" in _text(answer)


def test_link_form_labels_hint_and_errors_in_hindi(app: Flask, clock: Clock) -> None:
    repo = app.extensions[EXTENSION_KEY].links
    assert isinstance(repo, LinkStore)
    links.create_link(
        repo, title="Chai", min_paise=10000, max_paise=10000000, slug="chai", now=clock()
    )
    client = app.test_client()
    form = _text(client.get("/l/chai?lang=hi"))
    assert "आपका नाम" in form and "राशि (रुपये में)" in form
    assert "₹100.00 से ₹1,00,000.00 तक" in form
    token = CSRF.search(form)
    assert token
    answer = client.post(
        "/l/chai",
        data={"csrf_token": token.group(1), "name": "", "email": "nope", "amount": "1,500"},
    )
    html = _text(answer)
    assert answer.status_code == 422
    assert _lang(html) == "hi"
    assert "अपना नाम डालें" in html
    assert "ईमेल पता इस तरह डालें: name@example.com" in html
    assert "राशि में कॉमा न लगाएँ" in html


def test_a_full_link_and_a_wrong_amount_say_so_in_hindi(settings: Settings, clock: Clock) -> None:
    for app in _app(settings, link_max_open=1):
        repo = app.extensions[EXTENSION_KEY].links
        links.create_link(
            repo, title="Chai", min_paise=10000, max_paise=50000, slug="chai", now=clock()
        )
        client = app.test_client()

        def post(amount: str, lang: str, client: FlaskClient = client) -> TestResponse:
            form = _text(client.get(f"/l/chai?lang={lang}"))
            token = CSRF.search(form)
            assert token
            data = {"csrf_token": token.group(1), "name": "Asha", "email": "a@example.com"}
            return client.post(f"/l/chai?lang={lang}", data={**data, "amount": amount})

        wrong = post("50", "hi")
        assert wrong.status_code == 422
        assert "₹100.00 से ₹500.00 के बीच की राशि चुनें" in _text(wrong)
        assert post("150", "hi").status_code == 303
        full = post("160", "hi")
        assert full.status_code == 503
        assert "इस लिंक से खुले 1 चेकआउट अभी भुगतान का इंतज़ार कर रहे हैं" in _text(full)
        assert "करीब " in _text(full) and " मिनट बाद फिर से कोशिश करें" in _text(full)
        english = _text(post("160", "en"))
        assert "1 checkouts from this link are waiting for payment right now" in english


def test_shaped_messages_keep_their_numbers(app: Flask) -> None:
    held = (
        "Every payable amount near this price is held by an open checkout right now, so no new "
        "one can be told apart from them. Try again in about 3 minutes."
    )
    with app.test_request_context("/pay/x?lang=hi"):
        assert page_words(held).endswith("करीब 3 मिनट बाद फिर से कोशिश करें।")
        assert page_words("Not found") == "यह पेज नहीं मिला"
        assert page_words("Words no catalogue has") == "Words no catalogue has"
    with app.test_request_context("/pay/x?lang=en"):
        assert page_words(held) == held


# -- the catalogues ---------------------------------------------------------------------


def _extracted() -> dict[str, str]:
    """Every msgid the code and templates mark, as `make catalogues` extracts them."""
    with open(os.path.join(ROOT, "babel.cfg")) as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, str] = {}
    for filename, _line, message, _comments, _context in extract_from_dir(
        ROOT, method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message  # ngettext: singular
        if msgid:
            found.setdefault(msgid, filename)
    return found


def _hindi_po() -> dict[str, list[tuple[str, str]]]:
    """msgid → (English, Hindi) pairs: one, or for ngettext the singular and plural forms."""
    with open(HINDI_PO, "rb") as handle:
        catalog = read_po(handle, locale="hi")
    found: dict[str, list[tuple[str, str]]] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(texts):
            found[ids[0]] = [(ids[0] if i == 0 else ids[-1], t) for i, t in enumerate(texts)]
    return found


def test_every_marked_string_has_a_hindi_translation() -> None:
    extracted = _extracted()
    assert "Pay with UPI app" in extracted and "Your name" in extracted  # extraction works
    hindi = _hindi_po()
    missing = {msgid: where for msgid, where in extracted.items() if msgid not in hindi}
    assert not missing, f"untranslated (run `make catalogues`, then translate): {missing}"


def test_hindi_translations_keep_placeholders_and_are_hindi() -> None:
    for msgid, pairs in _hindi_po().items():
        for english, text in pairs:
            assert sorted(PLACEHOLDER.findall(english)) == sorted(PLACEHOLDER.findall(text)), msgid
            assert msgid in LATIN_ONLY or DEVANAGARI.search(text), msgid
            text % {name: 1 for name in PLACEHOLDER.findall(text)}  # well-formed


def _key(value: object) -> object:
    return tuple(value) if isinstance(value, list | tuple) else value


def test_the_compiled_catalogue_is_up_to_date() -> None:
    with open(HINDI_PO, "rb") as handle:
        source = read_po(handle, locale="hi")
    fresh = io.BytesIO()
    write_mo(fresh, source)
    fresh.seek(0)
    with open(HINDI_MO, "rb") as handle:
        committed = read_mo(handle)
    expected = {_key(m.id): _key(m.string) for m in read_mo(fresh) if m.id}
    actual = {_key(m.id): _key(m.string) for m in committed if m.id}
    assert actual == expected, "messages.mo is stale: run `make catalogues` (or pybabel compile)"


def test_a_catalogue_folder_is_a_language(tmp_path: os.PathLike[str]) -> None:
    assert available_languages() == ("en", "hi")
    folder = os.path.join(tmp_path, "ta", "LC_MESSAGES")
    os.makedirs(folder)
    assert available_languages(str(tmp_path)) == ("en",)  # a .po alone is not yet compiled
    open(os.path.join(folder, "messages.mo"), "wb").close()
    assert available_languages(str(tmp_path)) == ("en", "ta")
    assert language_name("hi") == "हिन्दी" and language_name("en") == "English"


@pytest.mark.parametrize("code", ["en", "hi"])
def test_no_page_string_is_left_in_english_in_hindi(client: FlaskClient, code: str) -> None:
    """A rough net: the Hindi pay page has no English sentence outside brand words."""
    html = _text(client.get(f"{_page(client)}?lang={code}"))
    visible = re.sub(r"<[^>]+>", " ", html.split("<body", 1)[1])
    english = re.findall(r"\b[A-Za-z]{4,}(?:\s+[a-z]{3,}){2,}", visible)
    if code == "hi":
        assert not english, english
    else:
        assert english
