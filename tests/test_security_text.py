"""What a data file may hold, and what the CSV and Excel downloads may carry (#15).

Characters that break the feeds and the workbook, structures nested deep enough to
exhaust the stack, Markdown nested absurdly deep, and text that a spreadsheet would run
as a formula. The bad-input corpus (tests/bad-inputs) has the same classes through the
CLI; these tests reach the edges directly.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from conftest import LICENCE, PENALTY, Check, Git, Repo
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.errors import Severity
from site_builder.publishing import tablefiles
from site_builder.reading import sources
from site_builder.rendering import markup

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


# --- Markdown nested absurdly deep ------------------------------------------------------

DEEP_MARKDOWN = {
    "one line of markers": "- " * 600 + "某某",
    "ordered markers": "1. " * 600 + "某某",
    "indented items": "\n".join("    " * i + "- 某某" for i in range(600)),
}


@pytest.mark.parametrize("text", DEEP_MARKDOWN.values(), ids=DEEP_MARKDOWN.keys())
def test_markdown_nested_too_deep_renders_as_escaped_text_and_never_raises(text: str) -> None:
    markup.to_html.cache_clear()
    html = markup.to_html(text + "<script>alert(1)</script>")
    assert html.startswith("<p>") and "<ul>" not in html and "<ol>" not in html
    assert "<script>" not in html and "某某" in html


def test_markdown_at_the_limit_is_still_a_list() -> None:
    text = "- " * markup.MAX_NESTING + "某某"
    assert markup.nesting(text) == (0, 0)
    assert markup.to_html(text).count("<ul>") == markup.MAX_NESTING
    assert markup.nesting("甲\n乙\n" + "- " * (markup.MAX_NESTING + 1) + "某某") == (21, 2)


@pytest.mark.parametrize("text", DEEP_MARKDOWN.values(), ids=DEEP_MARKDOWN.keys())
def test_markdown_nested_too_deep_is_a_data_error_on_its_field(
    repo: Repo, problems: Check, text: str
) -> None:
    repo.power(LICENCE, responsibilities=[{"step": "shouli", "duty": text}])
    found = problems("markdown-depth")
    assert [(p["field"], p["severity"]) for p in found] == [("responsibilities[0].duty", "error")]
    assert found[0]["line"] >= 10 and "超过上限 20 层" in found[0]["message"]


def test_markdown_of_real_records_is_not_refused(repo: Repo, problems: Check) -> None:
    content = "对某某活动实施许可：\n\n1. 申请\n    - 书面申请\n        > 引用条文\n2. 受理\n"
    repo.power(LICENCE, content=content, remark="- " * 5 + "备注")
    assert problems("markdown-depth") == []


# --- text a spreadsheet would run ------------------------------------------------------------


@pytest.mark.parametrize("first", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("field", ["name", "subitem", "code", "aliases"])
def test_a_name_that_starts_a_formula_is_refused(
    repo: Repo, problems: Check, first: str, field: str
) -> None:
    value = first + 'HYPERLINK("http://evil.example/","某某")'
    repo.power(LICENCE, **{field: [value] if field == "aliases" else value})
    found = problems("formula-text")
    assert [p["field"] for p in found] == [f"{field}[0]" if field == "aliases" else field]
    assert found[0]["line"] >= 1 and "当作公式执行" in found[0]["message"]


def test_prose_and_phone_numbers_may_start_with_formula_characters(
    repo: Repo, problems: Check
) -> None:
    repo.power(LICENCE, content="- 第一项\n- 第二项", remark="@市甲局 +1 项")
    repo.department(phone="+86 758 1234567")
    assert problems("formula-text") == []


def test_safe_cell_prefixes_exactly_what_starts_a_formula() -> None:
    for first in "=+-@\t\r":
        assert tablefiles.safe_cell(first + "1+1") == "'" + first + "1+1"
    for text in ["", "'=1", " =1", "１+1", "甲=1", "1-1"]:
        assert tablefiles.safe_cell(text) == text


HOSTILE = {
    "content": "=1+2",
    "remark": '@SUM(1+1)*cmd|" /C calc"!A0',
    "handling_unit": "-2+3",
}


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_csv_of_a_build_neutralises_formulas(repo: Repo) -> None:
    repo.power(LICENCE, **HOSTILE)
    repo.power(
        PENALTY,
        legal_basis=[{"kind": "法律", "title": "中华人民共和国某某法", "article": "+第三十条"}],
    )
    repo.write(".gitignore", "/public/\n/.cache/\n")
    git = Git(repo)
    git.commit("初始版本")
    repo.power(LICENCE, **HOSTILE, fees=[{"item": "某某费", "standard": "\t=2*3"}])
    git.commit('=HYPERLINK("http://evil.example/","点击")', author="@evil")
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    data = repo.root / "public/data"
    powers = {row["id"]: row for row in _read_csv(data / "powers.csv")}
    licence = powers["zq-a-xk-001"]
    assert licence["content"] == "'=1+2"
    assert licence["remark"] == "'" + HOSTILE["remark"]
    assert licence["handling_unit"] == "'-2+3"
    changes = _read_csv(data / "changes.csv")
    assert changes[0]["note"] == "'" + '=HYPERLINK("http://evil.example/","点击")'
    assert changes[0]["author"] == "'@evil"
    # No cell of any CSV starts a formula.
    tables = sorted(data.glob("*.csv"))
    assert len(tables) >= 5
    for table in tables:
        with table.open(encoding="utf-8", newline="") as f:
            for row in csv.reader(f):
                assert not [cell for cell in row if cell and cell[0] in "=+-@\t\r"], (
                    table.name,
                    row,
                )


def _formula_cells(book: Any) -> list[str]:
    return [
        f"{sheet.title}!{cell.coordinate}"
        for sheet in book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]


def test_the_excel_edition_holds_formula_text_as_text(repo: Repo) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    repo.power(LICENCE, **HOSTILE)
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(repo.root / "public/data/powers.xlsx")
    assert _formula_cells(book) == []
    texts = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert set(HOSTILE.values()) <= texts  # the text itself, not a quote-prefixed copy


def test_the_export_workbook_holds_formula_text_as_text(repo: Repo, tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    repo.power(LICENCE, **HOSTILE)
    out = tmp_path / "zq-a.xlsx"
    result = repo.cli("export", "--department", "zq-a", "--out", str(out))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert _formula_cells(book) == []
    texts = {cell.value for sheet in book.worksheets for row in sheet.iter_rows() for cell in row}
    assert "=1+2" in texts


def test_a_workbook_takes_text_with_characters_xml_cannot_hold(tmp_path: Path) -> None:
    """Text from old revisions or commit messages can hold them; the workbook is still written."""
    openpyxl = pytest.importorskip("openpyxl")
    rows: list[list[str | int | float | None]] = [
        ["甲\x07乙\uffff丙\ud800丁", "=1+1", -5],
    ]
    sheet = tablefiles.Sheet("表", ["a", "b", "c"], rows)
    when = datetime(2024, 1, 1, tzinfo=UTC)
    raw = tablefiles.write_workbook([sheet], title="t", creator="c", when=when)
    path = tmp_path / "t.xlsx"
    path.write_bytes(raw)
    book = openpyxl.load_workbook(path)
    values = [c.value for c in next(book.worksheets[0].iter_rows(min_row=2))]
    assert values == ["甲乙丙丁", "=1+1", -5]
    assert _formula_cells(book) == []


def test_write_csv_keeps_numbers_and_neutralises_texts() -> None:
    raw = tablefiles.write_csv(["a", "b", "c"], [[-5, "-5", None], [2.5, "=A1", "甲"]])
    assert raw.decode("utf-8") == "a,b,c\n-5,'-5,\n2.5,'=A1,甲\n"


# --- submodules under data/ -------------------------------------------------------------------


def _add_gitlink(git: Git, path: str) -> None:
    """Commit a gitlink at ``path`` (naming the repository's own first commit), as
    ``git submodule add`` would, and leave the empty folder a checkout leaves."""
    first = git.git.head.target
    git.git.index.read()
    git.git.index.add(git.pygit2.IndexEntry(path, first, git.pygit2.GIT_FILEMODE_COMMIT))
    git.git.index.write()
    (git.repo.root / path).mkdir(parents=True, exist_ok=True)
    git.commit("加入子模块")
    assert git.git.head.peel(git.pygit2.Commit).tree[path].filemode == 0o160000


@pytest.mark.parametrize(
    "path", ["data/laws/vendor", "data/departments/zq-a/powers/zq-a-xk-009.yaml"]
)
def test_a_gitlink_under_data_is_refused_by_validate_and_build(
    repo: Repo, problems: Check, path: str
) -> None:
    repo.write(".gitignore", "/public/\n/.cache/\n")
    git = Git(repo)
    git.commit("初始版本")
    _add_gitlink(git, path)
    found = problems("submodule")
    assert [(p["path"], p["line"], p["severity"]) for p in found] == [(path, 1, "error")]
    assert "子模块" in found[0]["message"]
    result = repo.cli("build")
    assert result.exit_code == 1 and f"{path}:1:" in result.output
    assert "Traceback" not in result.output and not (repo.root / "public").exists()


def test_a_folder_holding_a_repository_of_its_own_is_refused(repo: Repo, problems: Check) -> None:
    """An initialised submodule, or a repository copied in: its .git is in the work tree."""
    (repo.root / "data/laws/vendor").mkdir()
    (repo.root / "data/laws/vendor/.git").write_text("gitdir: ../../../.git/modules/vendor\n")
    repo.write("data/laws/vendor/waibu.yaml", "id: waibu\n")
    found = problems("submodule")
    assert [(p["path"], p["severity"]) for p in found] == [("data/laws/vendor", "error")]


def test_folders_without_submodules_are_not_reported(repo: Repo, problems: Check) -> None:
    Git(repo).commit("初始版本")
    (repo.root / "data/laws/empty").mkdir()
    assert problems("submodule") == []
