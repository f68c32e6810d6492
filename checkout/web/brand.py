"""The merchant's brand on every customer page: logo, colour, support contact, policy link.

A customer paying on a gateway's page is asked to trust a page they have never seen;
the merchant's own logo, colour and support contact are what they recognise. Everything
is read once, when the blueprint is registered (start-up): a logo that cannot be read is
refused there, not on a customer's screen, and a colour that does not reach AA contrast
on a theme is replaced there by a shade that does (checkout.domain.contrast), logged once.

The logo is a file the gateway serves at /brand/logo (cached for a day, its URL carrying
a version so a new file shows at once), or a path under static/. The colours are a few
CSS custom properties in the page's own nonce'd <style> after app.css (base.html): a
request less than a stylesheet of its own, within the pay page's 80 KB.

The UPI app buttons' icons (static/img/apps/*.svg, drawn for this project) are inlined
into the page for the same reason: four requests of ~1 KB of headers each, for 250 bytes.
"""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, request, send_file, url_for
from flask.blueprints import BlueprintSetupState
from markupsafe import Markup

from checkout.config import ConfigError, Settings
from checkout.domain.contrast import BrandShades, brand_shades
from checkout.web.routes import bp

log = logging.getLogger("checkout")

EXTENSION_KEY = "checkout.brand"
ICONS_KEY = "checkout.app_icons"
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
LOGO_MAX_BYTES = 512 * 1024  # a logo, not a photo: every pay page loads it
CACHE_SECONDS = 86400
# Pages a paying customer reaches; every other page (/, the console, the docs) is the operator's.
CUSTOMER_PREFIXES = ("/pay/", "/l/", "/checkout")


@dataclass(frozen=True)
class Brand:
    name: str
    logo_file: str | None  # served at /brand/logo
    logo_static: str | None  # a name under static/
    logo_version: str
    shades: BrandShades | None
    css: str
    support_email: str
    support_phone: str
    policy_url: str
    site_url: str

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_file or self.logo_static)

    @property
    def has_support(self) -> bool:
        return bool(self.support_email or self.support_phone)


def _logo(raw: str, static_folder: str) -> tuple[str | None, str | None, str]:
    """(file, static name, version) for MERCHANT_LOGO; refused unless it is a readable image."""
    if not raw:
        return None, None, ""
    name = raw.removeprefix("static/")
    in_static = os.path.realpath(os.path.join(static_folder, name))
    inside = in_static.startswith(os.path.realpath(static_folder) + os.sep)
    path, static_name = (in_static, name) if inside and os.path.isfile(in_static) else (raw, None)
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in LOGO_TYPES:
        raise ConfigError(
            f"MERCHANT_LOGO must be a {', '.join(sorted(LOGO_TYPES))} file, got {raw!r}"
        )
    try:
        with open(path, "rb") as handle:
            content = handle.read(LOGO_MAX_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"MERCHANT_LOGO cannot be read: {raw!r} ({error.strerror})") from None
    if not content or len(content) > LOGO_MAX_BYTES:
        raise ConfigError(f"MERCHANT_LOGO must be a non-empty file of at most 512 KiB: {raw!r}")
    version = hashlib.sha256(content).hexdigest()[:12]
    return (None, static_name, version) if static_name else (os.path.abspath(path), None, version)


def _css(shades: BrandShades | None) -> str:
    if shades is None:
        return ""
    light, dark = shades.light, shades.dark
    return (
        f"/* MERCHANT_BRAND_COLOR {shades.requested}: a shade per theme that reaches 4.5:1 */\n"
        f":root {{ --accent: {light.color}; --accent-fg: {light.ink}; }}\n"
        "@media (prefers-color-scheme: dark) {\n"
        f"  :root {{ --accent: {dark.color}; --accent-fg: {dark.ink}; }}\n"
        "}\n"
    )


def load_brand(settings: Settings, static_folder: str) -> Brand:
    """The brand as the settings give it, checked; logs the shades a colour had to give way to."""
    logo_file, logo_static, logo_version = _logo(settings.merchant_logo, static_folder)
    shades = brand_shades(settings.merchant_brand_color) if settings.merchant_brand_color else None
    if shades is not None:
        for theme, shade in (("light", shades.light), ("dark", shades.dark)):
            if shade.derived:
                log.warning(
                    "MERCHANT_BRAND_COLOR %s does not reach 4.5:1 contrast on the %s theme; "
                    "using %s there (text on it %s)",
                    shades.requested,
                    theme,
                    shade.color,
                    shade.ink,
                )
            else:
                log.info("MERCHANT_BRAND_COLOR %s used as is on the %s theme", shade.color, theme)
    css = _css(shades)
    return Brand(
        name=settings.upi_payee_name,
        logo_file=logo_file,
        logo_static=logo_static,
        logo_version=logo_version,
        shades=shades,
        css=css,
        support_email=settings.merchant_support_email,
        support_phone=settings.merchant_support_phone,
        policy_url=settings.merchant_policy_url,
        site_url=settings.merchant_site_url,
    )


def current_brand() -> Brand:
    found: Brand = current_app.extensions[EXTENSION_KEY]
    return found


def load_app_icons(static_folder: str) -> dict[str, Markup]:
    """Each app button's icon as inline SVG, decorative (the button's text names the app)."""
    icons: dict[str, Markup] = {}
    folder = os.path.join(static_folder, "img", "apps")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".svg"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                svg = handle.read().strip()
            attrs = 'aria-hidden="true" focusable="false" width="20" height="20" '
            # The project's own files (static/img/apps), never anyone's input.
            marked = svg.replace("<svg ", "<svg " + attrs, 1)
            icons[name.removesuffix(".svg")] = Markup(marked)  # noqa: S704
    return icons


@bp.record_once
def _load(state: BlueprintSetupState) -> None:
    from checkout.gateway import EXTENSION_KEY as GATEWAY_KEY

    app = state.app
    settings: Settings = app.extensions[GATEWAY_KEY].settings
    app.extensions[EXTENSION_KEY] = load_brand(settings, app.static_folder or "static")
    app.extensions[ICONS_KEY] = load_app_icons(app.static_folder or "static")


@bp.get("/brand/logo")
def logo() -> Response:
    brand = current_brand()
    if not brand.logo_file:
        return Response(status=404)
    suffix = os.path.splitext(brand.logo_file)[1].lower()
    response = send_file(
        brand.logo_file,
        mimetype=LOGO_TYPES[suffix],
        max_age=CACHE_SECONDS,
        etag=brand.logo_version,
        conditional=True,
    )
    response.cache_control.public = True
    return response


def logo_url(brand: Brand) -> str | None:
    if brand.logo_static:
        return url_for("static", filename=brand.logo_static, v=brand.logo_version)
    if brand.logo_file:
        return url_for("pay.logo", v=brand.logo_version)
    return None


def is_customer_page() -> bool:
    return request.path.startswith(CUSTOMER_PREFIXES)


def merchant_exit() -> str | None:
    """Where an error page sends the customer back to: the checkout's own cancelUrl or
    returnUrl when the page belongs to one, else MERCHANT_SITE_URL; never the gateway."""
    from checkout.web.routes import _session, merchant_return_url

    if request.args.get("embed") == "1":
        return None  # inside the merchant's own page, which closes the frame itself
    token = (request.view_args or {}).get("token")
    if token:
        found: str | None
        try:
            found = merchant_return_url(_session(str(token)), leaving=True)
        except Exception:  # an error page must render whatever the store says
            found = None
        if found:
            return found
    site: str = current_brand().site_url
    return site or None


@bp.app_context_processor
def _brand_context() -> dict[str, Any]:
    brand = current_app.extensions.get(EXTENSION_KEY)
    if brand is None:
        return {}
    return {
        "brand": brand,
        "brand_logo_url": logo_url(brand),
        "app_icons": current_app.extensions.get(ICONS_KEY, {}),
        "customer_page": is_customer_page(),
        "merchant_exit": merchant_exit,
    }
