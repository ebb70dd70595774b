"""Published JSON is byte-for-byte what the standard library writes, whichever writer ran."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.publishing import jsonfile

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def reference(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode()


@settings(max_examples=400, derandomize=True)
@given(VALUES)
def test_pretty_writes_what_the_standard_library_writes(value: Any) -> None:
    assert jsonfile.pretty(value) == reference(value)


def test_the_cases_orjson_writes_differently_are_caught() -> None:
    nan, inf = float("nan"), float("inf")
    for value in ({"small": 1e-07, "large": 1e22}, [2**65], {"text": "1e5 件"}, [inf, -inf]):
        assert jsonfile.pretty(value) == reference(value)
    assert jsonfile.pretty([nan]) == reference([nan])  # NaN, which is not equal to itself
    for value in ({"sha256": "3e5f" * 16, "count": 12},):  # hex text is orjson's to write
        assert jsonfile.pretty(value) == reference(value)
