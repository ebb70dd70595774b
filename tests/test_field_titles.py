"""The schemas' field titles are read in one place, ``schemas.FieldTitles``.

A source scan fails when a module other than schemas.py reads a ``"title"`` key where it
also reads a schema (``"properties"``, ``"$ref"``, a ``*.schema.json`` file or a name
with "schema" in it): records have titles of their own (a law's), which any module may
read. The reader itself is tried on the repository's real schemas.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest
from conftest import PROJECT, Repo

from site_builder.reading.schemas import FieldText, FieldTitles, Schemas, field_text
from site_builder.tools import diff, powersheet

SCHEMA_KEYS = {"properties", "$ref"}


def _reads_title(node: ast.AST) -> bool:
    """``x["title"]``, ``x.get("title", …)`` or ``"title" in x``."""
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load):
        return isinstance(node.slice, ast.Constant) and node.slice.value == "title"
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        first = node.args[0] if node.args else None
        return (
            node.func.attr == "get" and isinstance(first, ast.Constant) and first.value == "title"
        )
    if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant):
        in_ops = all(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
        return node.left.value == "title" and in_ops
    return False


def _reads_schema(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value in SCHEMA_KEYS or node.value.endswith(".schema.json")
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    return isinstance(name, str) and "schema" in name.lower()


def schema_title_reads(folder: Path) -> list[str]:
    """Where a module other than schemas.py reads a schema's titles: file:line."""
    found = []
    for path in sorted(folder.rglob("*.py")):
        if path.name == "schemas.py":
            continue
        text = path.read_text(encoding="utf-8")
        lines = text.splitlines()
        for statement in ast.parse(text).body:  # each top-level function, class or statement
            nodes = list(ast.walk(statement))
            if not any(_reads_schema(n) for n in nodes):
                continue
            for line in sorted({n.lineno for n in nodes if _reads_title(n)}):
                found.append(f"{path.name}:{line}: {lines[line - 1].strip()}")
    return found


def test_only_schemas_reads_field_titles() -> None:
    assert schema_title_reads(PROJECT / "site_builder") == []


@pytest.mark.parametrize(
    "body",
    [
        'return {k: p.get("title", k) for k, p in doc.get("properties", {}).items()}',
        'return json.loads(Path("power.schema.json").read_text())["properties"]["id"]["title"]',
        'return [n["title"] for n in schema.values()]',
        'return "title" in node and "$ref" not in node',
    ],
)
def test_the_scan_finds_a_schema_title_read(tmp_path: Path, body: str) -> None:
    (tmp_path / "tables.py").write_text(f"def f(doc, node):\n    {body}\n", encoding="utf-8")
    assert schema_title_reads(tmp_path) == [f"tables.py:2: {body}"]


def test_the_scan_leaves_record_titles_alone(tmp_path: Path) -> None:
    code = (
        'def f(law, schemas):\n    return law.get("title")\n\n\ndef g(s):\n    return s.documents\n'
    )
    (tmp_path / "search.py").write_text(code, encoding="utf-8")
    assert schema_title_reads(tmp_path) == []


# --- the reader, on the real schemas --------------------------------------------------


@pytest.fixture(scope="module")
def titles() -> FieldTitles:
    return Schemas(PROJECT / "schema").titles


def test_top_level_titles_in_schema_order(titles: FieldTitles) -> None:
    schema = json.loads((PROJECT / "schema/power.schema.json").read_text(encoding="utf-8"))
    power = titles.of("power")
    assert list(power) == list(schema["properties"])
    assert power["name"] == "职权名称" and power["category"] == "职权类别"
    assert titles.titled("power") == {
        k: v["title"] for k, v in schema["properties"].items() if "title" in v
    }
    assert titles.of("nothing") == {} and titles.titled("nothing") == {}


def test_nested_fields_follow_refs_and_lists(titles: FieldTitles) -> None:
    trail = titles.trail("power.legal_basis.article")
    assert [t.title for t in trail] == ["法律依据", "条款"]
    assert all(isinstance(t, FieldText) for t in trail)
    assert trail[-1].description
    # A $ref to common.schema.json beside the property's own title and description.
    kind = titles.trail("power.legal_basis.kind")[-1]
    assert kind.title == "依据类别" and kind.description.startswith("依据的类别")
    assert titles.trail("department.id") == [
        FieldText("标识", "小写英文字母、数字和连字符组成的稳定标识，同时是文件名。")
    ]


def test_an_untitled_field_is_named_by_its_key(tmp_path: Path) -> None:
    docs = {"power": {"properties": {"a": {"title": "甲"}, "b": {"type": "string"}, "c": 1}}}
    titles = FieldTitles(docs)
    assert titles.of("power") == {"a": "甲", "b": "b", "c": "c"}
    assert titles.titled("power") == {"a": "甲"}
    assert field_text({}, {}, "b") == FieldText("b", "")
    assert field_text({"title": "乙"}, {"title": "丙", "description": "说明"}, "b") == FieldText(
        "乙", "说明"
    )


def test_reading_a_folder_is_lenient(tmp_path: Path) -> None:
    (tmp_path / "power.schema.json").write_text("{broken", encoding="utf-8")
    (tmp_path / "law.schema.json").write_text(
        '{"properties": {"title": {"title": "名称"}}}', encoding="utf-8"
    )
    titles = FieldTitles.read(tmp_path, ("power", "law", "flow"))
    assert titles.titled("power") == {} and titles.titled("flow") == {}
    assert titles.titled("law") == {"title": "名称"}


def test_the_callers_read_the_same_titles(repo: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    power = FieldTitles.read(repo.root / "schema", ("power",))
    assert diff._snapshot(repo.root).titles["power"] == power.titled("power")
    # Without header synonyms, export heads its columns with the schema's titles.
    monkeypatch.setattr(powersheet, "_synonyms", lambda: {})
    headers = dict(powersheet.headers(repo.root))
    assert headers["name"] == power.of("power")["name"] == "职权名称"
    (repo.root / "schema/power.schema.json").write_text("{broken", encoding="utf-8")
    assert dict(powersheet.headers(repo.root))["name"] == "name"
