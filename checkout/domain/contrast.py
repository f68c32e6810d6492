"""WCAG 2 contrast for the merchant's brand colour.

MERCHANT_BRAND_COLOR fills the primary button and colours links on a light and on a
dark page. A colour that reads on one theme rarely reads on both, and a customer who
cannot read "Pay with UPI app" cannot pay; so each theme gets a shade of the colour
that reaches AA (4.5:1) against every background it sits on and with the button text
drawn on it: the colour itself when it already does, else the nearest darker (light
theme) or lighter (dark theme) mix of it. Mixing towards black or white moves the
luminance one way only, so a search over the mix always ends, at pure black or white
at worst, and the shade kept is the closest to what the merchant asked for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = [
    "AA",
    "BLACK",
    "DARK_THEME",
    "LIGHT_THEME",
    "WHITE",
    "BrandShades",
    "Shade",
    "Theme",
    "brand_shades",
    "contrast_ratio",
    "mix",
    "relative_luminance",
    "shade_for",
]

AA: Final = 4.5
WHITE: Final = "#ffffff"
BLACK: Final = "#000000"
_HEX_RE: Final = re.compile(r"#[0-9a-f]{6}")
_MIX_STEPS: Final = 1000  # mix fractions searched in steps of 0.1 %


@dataclass(frozen=True)
class Theme:
    """A page theme: the backgrounds brand text and links sit on, and where to move a shade."""

    name: str
    backgrounds: tuple[str, ...]
    towards: str  # BLACK: darken for a light page; WHITE: lighten for a dark page


# The page and card backgrounds of static/css/app.css (--bg, --card), in each scheme.
LIGHT_THEME: Final = Theme("light", ("#f3f4f7", "#ffffff"), BLACK)
DARK_THEME: Final = Theme("dark", ("#111317", "#1d2026"), WHITE)


@dataclass(frozen=True)
class Shade:
    """The colour a theme uses, the ink for text on it, and whether it had to be derived."""

    color: str
    ink: str
    derived: bool


@dataclass(frozen=True)
class BrandShades:
    requested: str
    light: Shade
    dark: Shade


def _channels(color: str) -> tuple[int, int, int]:
    value = color.strip().lower()
    if not _HEX_RE.fullmatch(value):
        raise ValueError(f"not a #rrggbb colour: {color!r}")
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def _linear(channel: int) -> float:
    c = channel / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(color: str) -> float:
    """WCAG 2 relative luminance of a #rrggbb colour, 0 (black) to 1 (white)."""
    r, g, b = (_linear(c) for c in _channels(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2 contrast ratio, 1 to 21, the same whichever colour comes first."""
    a, b = relative_luminance(first), relative_luminance(second)
    lighter, darker = max(a, b), min(a, b)
    return (lighter + 0.05) / (darker + 0.05)


def mix(color: str, towards: str, steps: int, of: int = _MIX_STEPS) -> str:
    """`color` moved `steps`/`of` of the way to `towards`, per sRGB channel, rounded."""
    if not 0 <= steps <= of:
        raise ValueError("steps must lie between 0 and of")
    mixed = (
        (c * (of - steps) + t * steps + of // 2) // of
        for c, t in zip(_channels(color), _channels(towards), strict=True)
    )
    return "#" + "".join(f"{c:02x}" for c in mixed)


def _ink(color: str) -> str:
    """The button text: white or black, whichever reads better on `color`."""
    return WHITE if contrast_ratio(color, WHITE) >= contrast_ratio(color, BLACK) else BLACK


def _passes(color: str, theme: Theme) -> bool:
    if contrast_ratio(color, _ink(color)) < AA:
        return False
    return all(contrast_ratio(color, bg) >= AA for bg in theme.backgrounds)


def shade_for(color: str, theme: Theme) -> Shade:
    """The colour itself if it reaches AA on `theme`, else the least mix towards
    `theme.towards` that does (pure black or white always does)."""
    if _passes(color, theme):
        return Shade(color.lower(), _ink(color), derived=False)
    # Passing is monotonic in the mix (luminance only moves away from the backgrounds,
    # and the ink's contrast only grows once it does): bisect for the smallest step.
    low, high = 0, _MIX_STEPS  # low fails, high passes
    while high - low > 1:
        middle = (low + high) // 2
        if _passes(mix(color, theme.towards, middle), theme):
            high = middle
        else:
            low = middle
    found = mix(color, theme.towards, high)
    return Shade(found, _ink(found), derived=True)


def brand_shades(color: str) -> BrandShades:
    """The shades of the merchant's colour for the light and the dark page."""
    return BrandShades(color.lower(), shade_for(color, LIGHT_THEME), shade_for(color, DARK_THEME))
