"""jsonschema-rs decides validity for speed, jsonschema explains: the two must agree.

Every sample record, and records mutated at one place by hypothesis (a field dropped,
a value replaced by arbitrary text, numbers, lists or mappings), are valid for one
exactly when they are valid for the other. A record the fast validator wrongly passed
would lose its error messages, so this is the property that matters.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from conftest import PROJECT
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.reading import model, sources
from site_builder.reading.config import load_config
from site_builder.reading.schemas import Schemas

SCHEMAS = Schemas(PROJECT / "schema", load_config(PROJECT).category_names)
FILES, _ = model.discover(PROJECT)
RECORDS: list[tuple[str, Any]] = []
for _kind, _rel in FILES:
    _source, _ = sources.read(PROJECT, _rel)
    if _source is not None:
        RECORDS.append((_kind, _source.data))

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(10**6), 10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "2024-02-30",
            "2024-13-01",
            "２０２４-01-01",
            "abc\n",
            "zq-a-xk-001\n",
            "ZQ",
            "",
            "..",
            "行政许可",
        ]
    )
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def agree(kind: str, data: Any) -> bool:
    fast = SCHEMAS._fast[kind].is_valid(data)
    slow = not list(SCHEMAS._validators[kind].iter_errors(data))
    return bool(fast == slow)


def places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path to a value inside ``value``."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += places(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += places(item, (*path, i))
    return found


def test_every_kind_has_a_fast_validator() -> None:
    assert set(SCHEMAS._fast) == set(SCHEMAS._validators)


@pytest.mark.parametrize("index", range(0, len(RECORDS), 7))
def test_they_agree_on_the_sample(index: int) -> None:
    kind, data = RECORDS[index]
    assert agree(kind, data)
    assert SCHEMAS._fast[kind].is_valid(data)


@settings(
    max_examples=600, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(st.data())
def test_they_agree_on_records_changed_at_one_place(data: st.DataObject) -> None:
    kind, record = data.draw(st.sampled_from(RECORDS))
    changed = copy.deepcopy(record)
    path = data.draw(st.sampled_from(places(changed)[1:] or [()]))
    if not path:
        return
    parent = changed
    for key in path[:-1]:
        parent = parent[key]
    if data.draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(VALUES)
    assert agree(kind, changed), (kind, path, changed)
