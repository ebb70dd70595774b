"""build() reads as the stages in order; what it used to carry has a home of its own.

Source scans fail when build.py raises the data's problems itself (the build's problems
are gathered in ``report.Collected``, which raises them), when the garbage collector is
tuned anywhere but parallel.py, or when build() grows back past a table of contents.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import PROJECT

from site_builder import report
from site_builder.engine import schedule
from site_builder.errors import DataError, error, warning
from site_builder.structure.pages import Page

SOURCES = PROJECT / "site_builder"


def test_build_raises_the_data_problems_only_through_the_collector() -> None:
    text = (SOURCES / "build.py").read_text(encoding="utf-8")
    assert not re.search(r"raise DataError|has_errors\(", text)
    assert "stop_on_errors()" in text


def test_only_parallel_tunes_the_garbage_collector() -> None:
    tuning = re.compile(r"\bgc\.(set_threshold|freeze|unfreeze)\(")
    found = [p.name for p in SOURCES.rglob("*.py") if tuning.search(p.read_text(encoding="utf-8"))]
    assert found == ["parallel.py"]


def test_build_is_a_table_of_contents() -> None:
    tree = ast.parse((SOURCES / "build.py").read_text(encoding="utf-8"))
    [build] = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "build"]
    body = build.body[1:]  # without the docstring
    assert body[-1].end_lineno is not None
    assert body[-1].end_lineno - body[0].lineno + 1 <= 35


def test_the_collector_raises_every_problem_once_one_is_an_error() -> None:
    first = warning("a.yaml", (), "先", "rule")
    problems = report.Collected([first])
    problems.stop_on_errors()  # warnings only: the build goes on
    second = error("b.yaml", (), "后", "rule")
    problems.add([], [second])
    with pytest.raises(DataError) as caught:
        problems.stop_on_errors()
    assert caught.value.problems == [first, second]  # in the order found


def power(department: str, pid: str) -> Page:
    return Page(
        f"powers/{pid}.html", "power.html", {"power": SimpleNamespace(department=department)}
    )


def test_pages_are_dealt_in_shares_that_keep_a_department_together() -> None:
    gazette = Page(
        "departments/a/gazette.html",
        "gazette.html",
        {"department": SimpleNamespace(id="a"), "views": [1, 2, 3]},
    )
    pages = [
        power("a", "a-1"),
        power("b", "b-1"),
        gazette,
        power("a", "a-2"),
        Page("index.html", "index.html"),
    ]
    dealt = schedule.shares(pages, 3)
    assert sorted(p.path for share in dealt for p in share) == sorted(p.path for p in pages)
    [with_a] = [share for share in dealt if gazette in share]
    assert {p.path for p in with_a} == {gazette.path, "powers/a-1.html", "powers/a-2.html"}
    assert dealt[0] == with_a  # the heaviest first
    assert all(dealt) and len(schedule.shares(pages, 10)) == 3  # no empty shares


def imported_packages(path: Path) -> set[str]:
    """The site_builder subpackages that a module imports (``tools`` for site_builder.tools.x)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = (
            [node.module]
            if isinstance(node, ast.ImportFrom) and node.module
            else [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else []
        )
        for name in names:
            parts = name.split(".")
            if parts[0] == "site_builder" and len(parts) > 1:
                found.add(parts[1])
    return found


def test_the_package_is_grouped_by_stage() -> None:
    groups = {p.name for p in SOURCES.iterdir() if (p / "__init__.py").is_file()}
    assert groups == {
        "reading",
        "history",
        "structure",
        "rendering",
        "publishing",
        "engine",
        "tools",
    }


def test_the_build_never_imports_the_tools() -> None:
    # The commands beside the build (import, export, fmt, diff, serve …) may use the build;
    # the build must not depend on them, so that changing a tool cannot change a site.
    found = sorted(
        p.relative_to(SOURCES).as_posix()
        for p in SOURCES.rglob("*.py")
        if "tools" in imported_packages(p)
        and p.relative_to(SOURCES).parts[0] not in ("tools", "cli.py")
    )
    assert found == []
    assert "tools" in imported_packages(SOURCES / "cli.py")  # the scan sees such imports
