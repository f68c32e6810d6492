"""Reading request JSON: the nesting count the parser is guarded by must be exact."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkout.jsonio import MAX_NESTING, NestedTooDeep, loads, nesting_depth

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=30,
)


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES, st.booleans())
def test_nesting_depth_counts_only_brackets_outside_strings(value: Any, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    assert nesting_depth(text) == _depth(value)


@pytest.mark.parametrize(
    ("text", "depth"),
    [
        ('"[[[{{{"', 0),
        ('["\\"[", ["]"]]', 2),
        ('{"a": "\\\\", "b": [1]}', 2),
        ('"unterminated [[[', 0),
        # The parser stops at the first stray close, so what follows it never recurses.
        ("]]][[", 0),
        ("][[[", 2),
    ],
)
def test_nesting_depth_of_odd_texts(text: str, depth: int) -> None:
    assert nesting_depth(text) == depth


def test_the_cap_is_checked_before_parsing() -> None:
    assert loads("[" * MAX_NESTING + "]" * MAX_NESTING) is not None
    for text in ("[" * (MAX_NESTING + 1) + "]" * (MAX_NESTING + 1), "[" * 100_000):
        with pytest.raises(NestedTooDeep):
            loads(text)
        with pytest.raises(NestedTooDeep):
            loads(text.encode("utf-16"))
