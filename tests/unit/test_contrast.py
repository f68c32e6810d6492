"""The brand colour's contrast maths: WCAG's own figures, and derived shades that pass."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.domain.contrast import (
    AA,
    BLACK,
    DARK_THEME,
    LIGHT_THEME,
    WHITE,
    brand_shades,
    contrast_ratio,
    mix,
    relative_luminance,
    shade_for,
)

FAST = settings(max_examples=300, deadline=None)
colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        (BLACK, WHITE, 21.0),
        (WHITE, WHITE, 1.0),
        ("#777777", WHITE, 4.48),  # the classic "just fails AA" grey
        ("#767676", WHITE, 4.54),  # ... and the lightest grey that passes
        ("#ff0000", WHITE, 3.998),  # WebAIM: 3.99:1
        ("#808080", BLACK, 5.32),
        ("#0000ff", WHITE, 8.59),
    ],
)
def test_known_ratios(first: str, second: str, ratio: float) -> None:
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == pytest.approx(ratio, abs=0.01)


def test_luminance_ends_and_channels() -> None:
    assert relative_luminance(BLACK) == 0
    assert relative_luminance(WHITE) == pytest.approx(1)
    assert relative_luminance("#00ff00") == pytest.approx(0.7152)
    assert relative_luminance("#ABCDEF") == relative_luminance("#abcdef")


@pytest.mark.parametrize("bad", ["", "#fff", "red", "#12345g", "123456", "#1234567"])
def test_refuses_what_is_not_rrggbb(bad: str) -> None:
    with pytest.raises(ValueError, match="rrggbb"):
        relative_luminance(bad)


def test_mix_ends() -> None:
    assert mix("#336699", BLACK, 0) == "#336699"
    assert mix("#336699", BLACK, 1000) == BLACK
    assert mix("#336699", WHITE, 500) == "#99b3cc"
    with pytest.raises(ValueError):
        mix("#336699", BLACK, 1001)


def test_a_colour_that_passes_is_kept() -> None:
    light = shade_for("#0b57d0", LIGHT_THEME)
    assert (light.color, light.ink, light.derived) == ("#0b57d0", WHITE, False)
    dark = shade_for("#a8c7fa", DARK_THEME)
    assert (dark.color, dark.ink, dark.derived) == ("#a8c7fa", BLACK, False)


def test_a_bright_colour_is_darkened_for_light_and_kept_for_dark() -> None:
    shades = brand_shades("#FFCC00")  # a yellow: unreadable on white, fine on black
    assert shades.requested == "#ffcc00"
    assert shades.light.derived and not shades.dark.derived
    assert shades.dark.color == "#ffcc00"
    assert relative_luminance(shades.light.color) < relative_luminance("#ffcc00")
    for bg in LIGHT_THEME.backgrounds:
        assert contrast_ratio(shades.light.color, bg) >= AA


def test_a_deep_colour_is_lightened_for_dark() -> None:
    shades = brand_shades("#1a237e")  # a navy: fine on white, lost on a dark page
    assert not shades.light.derived and shades.dark.derived
    assert relative_luminance(shades.dark.color) > relative_luminance("#1a237e")
    for bg in DARK_THEME.backgrounds:
        assert contrast_ratio(shades.dark.color, bg) >= AA


def test_the_derived_shade_is_the_least_change_that_passes() -> None:
    shade = shade_for("#1a73e8", LIGHT_THEME)
    assert shade.derived
    # one step less towards black would fail on one of the light backgrounds
    step = next(s for s in range(1001) if mix("#1a73e8", BLACK, s) == shade.color)
    closer = mix("#1a73e8", BLACK, step - 1)
    assert min(contrast_ratio(closer, bg) for bg in LIGHT_THEME.backgrounds) < AA


@FAST
@given(colours)
def test_every_colour_gets_a_shade_that_passes_on_both_themes(colour: str) -> None:
    shades = brand_shades(colour)
    for theme, shade in ((LIGHT_THEME, shades.light), (DARK_THEME, shades.dark)):
        assert contrast_ratio(shade.color, shade.ink) >= AA
        for bg in theme.backgrounds:
            assert contrast_ratio(shade.color, bg) >= AA
        assert shade.derived == (shade.color != colour)
        if shade.derived:  # moved the way the theme moves it, never the other
            moved = relative_luminance(shade.color) - relative_luminance(colour)
            assert moved < 0 if theme is LIGHT_THEME else moved > 0


@FAST
@given(colours, colours)
def test_ratio_is_symmetric_and_bounded(first: str, second: str) -> None:
    ratio = contrast_ratio(first, second)
    assert 1 <= ratio <= 21.0001
    assert ratio == contrast_ratio(second, first)
