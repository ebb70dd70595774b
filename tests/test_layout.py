"""site_builder/reading/layout.py is the one home of the repository's folder layout.

A source scan fails when another module spells a place of the repository itself: a
folder or file name of the layout (``"departments"``, ``"schema"``, ``"site.yaml"``)
as a part of a path (an operand of ``/``, an argument of ``Path()``, ``joinpath`` or
``os.path.join``), a path written out in one string (``"data/jurisdictions.yaml"``,
``f"{rel}/department.yaml"``, ``"schema/"``), or a distinctive file name on its own
(``rel == "site.yaml"``). Messages may name the same places for people: a string with
a space or a Chinese character is a message, never a path, and dictionary keys and
table names (``"departments"``) are not paths either. The paths of the built site are
urls.py's (test_urls.py); what a build reads is ``layout.sources``, which serve watches
and builds hashes (tested here).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import PROJECT, Repo

from site_builder import history
from site_builder.engine import builds
from site_builder.engine.timings import Timings
from site_builder.reading import layout, validation
from site_builder.reading.config import load_config
from site_builder.tools import serve

PACKAGE = PROJECT / "site_builder"
EXCLUDED = {
    "layout.py",  # the home
}

# Every name of a folder or file of the layout: as a part of a path, each is a place.
NAMES = {
    layout.CONFIG,
    layout.SCHEMA,
    *layout.JURISDICTIONS.split("/"),
    *layout.LAWS.split("/"),
    *layout.FLOWS.split("/"),
    *layout.DEPARTMENTS.split("/"),
    layout.DEPARTMENT_FILE,
    layout.POWERS,
    layout.TEMPLATES,
    layout.STATIC,
    layout.CODEOWNERS,
    layout.CACHE,
}
# The built site has folders called data/, departments/, laws/ and powers/ too (urls.py):
# in a path written out, those names are the repository's only where the layout puts them
# (data/departments, data/laws, data/flows) or in the path of a record (…/powers/<id>.yaml).
SHARED = {"data", "departments", "laws", "flows", "powers"}
FOLDERS = (layout.DEPARTMENTS, layout.LAWS, layout.FLOWS)
# What nothing else is called: a string that is exactly one of them is a path on its own.
DISTINCT = {
    layout.CONFIG,
    layout.JURISDICTIONS.split("/")[-1],
    layout.DEPARTMENT_FILE,
    layout.CODEOWNERS,
    layout.CACHE,
}
# A path written out: no space, no Chinese, at least one "/" (f-strings' values as {x}).
PATH_LIKE = re.compile(r"[\w.*{}<>-]*(?:/[\w.*{}<>-]*)+", re.ASCII)
JOINS = {"Path", "PurePath", "PurePosixPath", "joinpath"}


def _text(node: ast.expr) -> str | None:
    """A string literal as written, an f-string's values as ``{x}``; None for others."""
    if isinstance(node, ast.Constant):
        return node.value if isinstance(node.value, str) else None
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value if isinstance(v, ast.Constant) else "{x}"
            for v in node.values
            if isinstance(v, ast.Constant | ast.FormattedValue)
        )
    return None


def _names_a_place(text: str, joined: bool) -> bool:
    """Whether ``text`` spells a place of the layout: any of its names when it is a part
    of a path (``joined``), else a path written out, or a distinctive name on its own."""
    if joined and text in NAMES:
        return True
    if text in DISTINCT:
        return True
    if not PATH_LIKE.fullmatch(text):
        return False
    # A value may end in "/" ({'../' * depth}schema/…): a part starts after the values.
    parts = {re.sub(r"^(\{x\})+", "", part) for part in text.split("/")}
    if parts & (NAMES - SHARED):
        return True
    in_folder = any(re.search(rf"(^|/){re.escape(f)}(/|$)", text) for f in FOLDERS)
    return in_folder or (text.endswith(".yaml") and bool(parts & SHARED))


def _is_join(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in JOINS
    if isinstance(func, ast.Attribute):
        if func.attr in JOINS:
            return True
        return func.attr == "join" and ast.unparse(func.value) in ("os.path", "posixpath")
    return False


def spelled_places(source: str) -> list[str]:
    """The places of the layout that a module spells itself: ``line: text``."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    joined: set[int] = set()  # parts of a path, and the items of a list of places
    constants: set[int] = set()  # the values of constants (TEMPLATES = "templates")
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            joined |= {id(node.left), id(node.right)}
        elif isinstance(node, ast.Call) and _is_join(node):
            joined |= {id(a) for a in node.args}
        elif isinstance(node, ast.Assign) and all(
            isinstance(t, ast.Name) and t.id.isupper() for t in node.targets
        ):
            constants.add(id(node.value))
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            # ("site.yaml", "data", "schema", "templates"), not {"powers", "laws"} (attributes)
            places = {t for t in map(_text, node.elts) if t in NAMES}
            if len(places) > 1 and places - SHARED:
                joined |= {id(e) for e in node.elts}
    inside_fstrings = {
        id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.expr) or id(node) in docstrings | inside_fstrings:
            continue
        text = _text(node)
        # urls.DATA = "data" is the site's: a constant is a place by a name nothing shares.
        if (id(node) in constants and text in NAMES - SHARED) or (
            text is not None and _names_a_place(text, id(node) in joined)
        ):
            found.append(f"{node.lineno}: {text!r}")
    return found


def modules() -> list[Path]:
    return [p for p in sorted(PACKAGE.rglob("*.py")) if p.name not in EXCLUDED]


@pytest.mark.parametrize("path", modules(), ids=lambda p: p.relative_to(PROJECT).as_posix())
def test_only_layout_spells_the_repository_layout(path: Path) -> None:
    found = spelled_places(path.read_text(encoding="utf-8"))
    assert not found, (
        f"{path.relative_to(PROJECT)} spells places of the repository by hand; "
        "name them with site_builder/reading/layout.py:\n" + "\n".join(found)
    )


def test_the_scan_finds_places_spelled_by_hand() -> None:
    source = '''
"""A docstring may name data/departments/ and site.yaml."""
a = root / "schema"
b = root / "data" / "departments" / dept
c = Path("templates", "static")
d = os.path.join(root, "site.yaml")
e = "data/jurisdictions.yaml"
f = f"{rel}/department.yaml"
g = rel.startswith("schema/")
h = rel == "site.yaml"
i = folder.joinpath("powers")
j = "找不到站点配置文件 site.yaml：请在仓库根目录运行。"  # a message: allowed
k = f"schema/ 中缺少 {names}"  # a message: allowed
l = {"departments": departments, "schema": schema}  # keys: allowed
m = ForeignKey(("law_id",), "laws", ("id",))  # a table's name: allowed
n = error(rel, pointer, message, "schema")  # a rule's name: allowed
o = root / layout.SCHEMA / layout.schema_file("power")  # by layout: allowed
p = "、".join(names)  # not a path: allowed
q = f"departments/{did}/index.html"  # a path of the built site (urls.py's): allowed
r = "data/powers.json"  # the site's data/ downloads: allowed
s = f"{rel}/powers/{pid}.yaml"
t = path.startswith("data/departments/")
TEMPLATES = "templates"
WATCHED = ("site.yaml", "data", "schema", "templates")
API = {"powers", "departments", "laws"}  # names of attributes: allowed
u = f"{LINE}{'../' * depth}schema/{kind}.schema.json"
'''
    found = " ".join(sorted((f.split(":")[0] for f in spelled_places(source)), key=int))
    assert found == "3 4 4 5 5 6 7 8 9 10 11 21 22 23 24 24 24 24 26", found


def test_the_layout_names_the_paths_it_draws() -> None:
    assert layout.department_file("zq-shangwu") == "data/departments/zq-shangwu/department.yaml"
    assert layout.power_file("zq-shangwu", "zq-a-1") == (
        "data/departments/zq-shangwu/powers/zq-a-1.yaml"
    )
    assert layout.schema_file("power") == "schema/power.schema.json"
    assert layout.department_of("data/departments/zq-shangwu/powers/x.yaml") == "zq-shangwu"
    assert layout.department_of("data/laws/x.yaml") == ""
    assert layout.record_key("data/departments/d/powers/p.yaml") == (("power", "p"), "d")
    assert layout.record_key("data/departments/d/department.yaml") == (("department", "d"), "d")
    assert layout.record_key("data/laws/l.yaml") == (("law", "l"), "")
    assert layout.record_key("data/flows/f.yaml") is None
    assert layout.record_key("data/departments/d/notes.yaml") is None


def test_a_build_reads_the_sources_and_the_sites_own_templates() -> None:
    assert layout.sources(None) == ("site.yaml", "data", "schema", "templates")
    assert layout.sources("overrides/") == (*layout.SOURCES, "overrides")
    assert layout.sources("templates") == layout.SOURCES


def test_serve_watches_what_a_build_reads(tmp_path: Path) -> None:
    for name in (*layout.SOURCES, "overrides"):
        (tmp_path / name).mkdir()
    watched = serve.watched_paths(tmp_path, "overrides")
    assert watched == [tmp_path / n for n in layout.sources("overrides")]


def test_a_change_to_any_source_changes_the_build_key(repo: Repo) -> None:
    """Every place of ``layout.sources`` is an input of the build record's key."""
    root = repo.root
    overrides = root / "overrides"
    overrides.mkdir()
    (overrides / "_footer.html").write_text("<footer>一</footer>\n", encoding="utf-8")
    config = root / layout.CONFIG
    config.write_text(config.read_text(encoding="utf-8") + "theme_overrides: overrides\n", "utf-8")
    assert load_config(root).theme_overrides == "overrides"

    def key() -> str:
        loaded = validation.load(root, 1, Timings())
        git = history.published(root, None, loaded.dataset.config.tag_pattern, {})
        return builds.inputs_key(loaded.dataset, git, preview=True)

    first = key()
    assert key() == first
    changes = {
        layout.CONFIG: lambda: _append(config),
        layout.DATA: lambda: _append(root / layout.JURISDICTIONS),
        layout.SCHEMA: lambda: _append(root / layout.schema_file("law"), "\n"),
        layout.TEMPLATES: lambda: _append(root / layout.TEMPLATES / "base.html"),
        "overrides": lambda: _append(overrides / "_footer.html"),
    }
    assert set(changes) == set(layout.sources("overrides"))
    for name, change in changes.items():
        before = key()
        change()
        assert key() != before, name


def _append(path: Path, text: str = "\n# 注释\n") -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")
