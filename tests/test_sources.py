"""The strict YAML dialect: what is refused, where, and how scalars resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from site_builder.reading import sources


def rules(text: str) -> list[tuple[str, int, int]]:
    _, problems = sources.parse("f.yaml", text)
    return [(p.rule, p.line, p.column) for p in problems]


def test_clean_file_parses_without_problems() -> None:
    data, problems = sources.parse("f.yaml", "a: 1\nb:\n  - x\n")
    assert problems == []
    assert data == {"a": 1, "b": ["x"]}


def test_duplicate_key_is_an_error_at_the_second_key() -> None:
    data, problems = sources.parse("f.yaml", "name: 甲\ncontent: x\nname: 乙\n")
    assert data is None
    assert [(p.rule, p.line, p.column) for p in problems] == [("duplicate-key", 3, 1)]
    assert "第 1 行" in problems[0].message


def test_duplicate_key_in_nested_mapping() -> None:
    assert rules("a:\n  - k: 1\n    k: 2\n") == [("duplicate-key", 3, 5)]


@pytest.mark.parametrize(
    ("text", "rule", "line"),
    [
        ("a: &x 1\n", "yaml-anchor", 1),
        ("a: 1\nb:\n  - *x\n", "yaml-alias", 3),
        ("a: !!str 3\n", "yaml-tag", 1),
        ("a: !custom x\n", "yaml-tag", 1),
    ],
)
def test_anchors_aliases_and_tags_are_refused(text: str, rule: str, line: int) -> None:
    found = rules(text)
    assert (rule, line) in [(r, ln) for r, ln, _ in found]


def test_text_with_ampersand_and_star_is_fine() -> None:
    data, problems = sources.parse("f.yaml", "a: 甲&乙 * 说明\nb: '*重点'\n")
    assert problems == []
    assert data == {"a": "甲&乙 * 说明", "b": "*重点"}


def test_scalars_resolve_as_yaml_1_2() -> None:
    data, _ = sources.parse(
        "f.yaml", "a: yes\nb: on\nc: 8:30\nd: 2016-11-21\ne: 0758\nf: true\ng: 12\nh: 1.5\ni: ~\n"
    )
    assert data == {
        "a": "yes",
        "b": "on",
        "c": "8:30",
        "d": "2016-11-21",
        "e": "0758",
        "f": True,
        "g": 12,
        "h": 1.5,
        "i": None,
    }


def test_syntax_error_names_line_and_column_in_chinese() -> None:
    _, problems = sources.parse("f.yaml", "a: 1\nb: c: d\n")
    assert [(p.rule, p.line) for p in problems] == [("yaml-syntax", 2)]
    assert "冒号" in problems[0].message


def test_tab_indentation_gets_a_chinese_hint() -> None:
    _, problems = sources.parse("f.yaml", "a:\n\tb: 1\n")
    assert problems[0].rule == "yaml-syntax"
    assert "制表符" in problems[0].message


def test_empty_file_is_an_error() -> None:
    assert rules("# only a comment\n") == [("empty", 1, 1)]


def test_two_documents_are_refused() -> None:
    assert [r for r, _, _ in rules("a: 1\n---\nb: 2\n")] == ["yaml-syntax"]


def test_non_utf8_bytes_are_reported_with_line() -> None:
    text, problems = sources.decode("f.yaml", "name: 甲\ncontent: 乙\n".encode("gbk"))
    assert text is None
    assert [(p.rule, p.line) for p in problems] == [("encoding", 1)]
    assert "UTF-8" in problems[0].message


def test_bom_is_accepted_with_a_warning() -> None:
    text, problems = sources.decode("f.yaml", "\ufeffa: 1\n".encode())
    assert text == "a: 1\n"
    assert [(p.rule, p.severity) for p in problems] == [("bom", "warning")]


def test_locate_finds_keys_and_list_items() -> None:
    text = "a:\n  b:\n    - 1\n    - x: 2\n"
    assert sources.locate(text, ("a", "b", 1, "x")) == (4, 10)  # the scalar value
    assert sources.locate(text, ("a", "b")) == (2, 3)  # a list: its key
    assert sources.locate(text, ("a", "b", 0)) == (3, 7)
    # A missing key points at the nearest existing parent.
    assert sources.locate(text, ("a", "missing")) == (1, 1)


@pytest.mark.parametrize(
    "value",
    [
        "yes",
        "12345",
        "8:30",
        "0758",
        "null",
        "",
        "1.5",
        "true",
        "2016-11-21",
        "多行\n文本\n",
        "x" * 100,
    ],
)
def test_dump_round_trips_every_string(value: str) -> None:
    data, problems = sources.parse("f.yaml", sources.dump({"v": value}))
    assert problems == []
    assert data == {"v": value}


def test_two_problems_at_one_place_are_both_reported(tmp_path: Path) -> None:
    from site_builder import report

    (tmp_path / "a.yaml").write_bytes(
        b"\xef\xbb\xbf"
    )  # a BOM and nothing else: a warning and an error, both at 1:1
    _, problems = sources.read(tmp_path, "a.yaml")
    placed = report.place(problems, {})
    assert [p.rule for p in placed] == ["bom", "empty"] or [p.rule for p in placed] == [
        "empty",
        "bom",
    ]
    assert report.has_errors(placed)
