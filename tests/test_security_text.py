"""What a data file may hold, and what the CSV and Excel downloads may carry (#15).

Characters that break the feeds and the workbook, structures nested deep enough to
exhaust the stack, Markdown nested absurdly deep, and text that a spreadsheet would run
as a formula. The bad-input corpus (tests/bad-inputs) has the same classes through the
CLI; these tests reach the edges directly.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder import sources
from site_builder.errors import Severity

REFUSED = [
    "\x00",
    "\x01",
    "\x07",
    "\x0b",
    "\x0c",
    "\x1b",
    "\x1f",
    "\x7f",
    "\x80",
    "\x85",
    "\x9f",
    "\ufdd0",
    "\ufdef",
    "\ufffe",
    "\uffff",
    "\U0001fffe",
    "\U0010ffff",
]
ALLOWED = ["\t", "\n", "\r", " ", "\xa0", "\u3000", "\ufffd", "\U0010fffd", "\u2028", "甲"]


def _errors(text: str) -> tuple[Any, list[tuple[int, int, str]]]:
    data, problems = sources.parse("x.yaml", text)
    return data, [(p.line, p.column, p.rule) for p in problems if p.severity == Severity.ERROR]


@pytest.mark.parametrize("ch", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_a_refused_character_written_raw_is_reported_where_it_is(ch: str) -> None:
    data, errors = _errors(f"id: a\nname: 某某{ch}许可\n")
    assert data is None
    assert errors == [(2, 9, "forbidden-character")]


@pytest.mark.parametrize("ch", REFUSED, ids=[f"U+{ord(c):04X}" for c in REFUSED])
def test_a_refused_character_written_as_an_escape_is_reported_at_its_field(ch: str) -> None:
    escape = f"\\x{ord(ch):02X}" if ord(ch) <= 0xFF else f"\\U{ord(ch):08X}"
    data, errors = _errors(f'id: a\nlist:\n  - 甲\n  - "某某{escape}许可"\n')
    assert data is None
    assert errors == [(4, 5, "forbidden-character")]


def test_a_refused_character_in_a_key_is_reported() -> None:
    _, errors = _errors('id: a\n"na\\x07me": 某某\n')
    assert [rule for *_, rule in errors] == ["forbidden-character"]


def test_a_lone_surrogate_escape_is_a_clear_error() -> None:
    data, problems = sources.parse("x.yaml", 'name: "某某\\ud800许可"\n')
    assert data is None
    assert [(p.line, p.rule) for p in problems] == [(1, "yaml-syntax")]
    assert "不成对的代理字符" in problems[0].message


@pytest.mark.parametrize("ch", ALLOWED, ids=[f"U+{ord(c):04X}" for c in ALLOWED])
def test_ordinary_characters_are_kept(ch: str) -> None:
    text = sources.dump({"name": f"某某{ch}许可"})
    assert sources.parse("x.yaml", text) == ({"name": f"某某{ch}许可"}, [])


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(max_size=20), st.sampled_from(REFUSED), st.text(max_size=20))
def test_any_text_holding_a_refused_character_is_refused_however_it_is_written(
    before: str, ch: str, after: str
) -> None:
    text = sources.dump({"v": [before + ch + after]})
    data, problems = sources.parse("x.yaml", text)
    assert data is None
    assert "forbidden-character" in {p.rule for p in problems}
    assert all(p.line >= 1 for p in problems)


def _nested(depth: int, style: str) -> str:
    """A document nested ``depth`` levels deep (the top mapping counts as one)."""
    inner = depth - 1
    if style == "flow":
        return "v: " + "[" * inner + "]" * inner + "\n"
    if style == "block-map":
        return "".join("  " * i + "k:\n" for i in range(depth)) + "  " * depth + "x\n"
    return "v:\n" + "  " + "- " * inner + "x\n"


@pytest.mark.parametrize("style", ["flow", "block-map", "block-list"])
def test_nesting_up_to_the_limit_is_read(style: str) -> None:
    data, problems = sources.parse("x.yaml", _nested(sources.MAX_DEPTH, style))
    assert data is not None and problems == []


@pytest.mark.parametrize("style", ["flow", "block-map", "block-list"])
@pytest.mark.parametrize("depth", [sources.MAX_DEPTH + 1, 5000])
def test_nesting_beyond_the_limit_is_refused_with_its_line(style: str, depth: int) -> None:
    data, problems = sources.parse("x.yaml", _nested(depth, style))
    assert data is None
    assert [p.rule for p in problems] == ["yaml-depth"]
    assert problems[0].line >= 1 and "64 层" in problems[0].message


def test_the_history_reader_does_not_build_a_structure_nested_too_deep() -> None:
    assert sources.load_lenient(_nested(5000, "flow")) is None
    assert sources.load_lenient(_nested(3, "flow")) == {"v": [[]]}
