"""Each third-party library has one home: the one module that imports it.

A change of library, or of how it is called, then touches one module, and the rules
that a library's use needs (PyYAML's safe loader, nh3's allow-list, the neutralised
cells of a workbook) are kept in one place. A source scan of site_builder (every
subfolder too) maps each imported module that is neither the standard library's nor
site_builder's own to the modules that import it; a new import anywhere else fails
here until it moves to the home or the table says why it has two.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
from conftest import PROJECT

PACKAGE = PROJECT / "site_builder"

# Library (the top-level module imported) → the modules that may import it.
HOMES: dict[str, set[str]] = {
    "charset_normalizer": {"tools.spreadsheet"},
    "click": {"cli"},
    "defusedxml": {"tools.spreadsheet"},
    "jinja2": {"rendering.render"},
    "jsonschema": {"reading.schemas"},
    "jsonschema_rs": {"reading.schemas"},
    "lunr": {"publishing.search"},
    "markdown": {"rendering.markup"},
    "markupsafe": {"rendering.render"},
    "nh3": {"rendering.markup"},
    # Two homes, one for each direction: spreadsheet reads import files (with its limits),
    # tablefiles writes the workbooks (neutralising every cell a spreadsheet would run).
    "openpyxl": {"tools.spreadsheet", "publishing.tablefiles"},
    "orjson": {"publishing.jsonfile"},
    "pygit2": {"history.gitstore"},
    "pypinyin": {"reading.pinyin"},
    "referencing": {"reading.schemas"},
    "watchfiles": {"tools.serve"},
    "xlrd": {"tools.spreadsheet"},
    "yaml": {"reading.sources"},
}


def third_party(source: str) -> set[str]:
    """The top-level modules that ``source`` imports, anywhere in it, other than the
    standard library's and site_builder's."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module.split(".")[0])
    return {name for name in found if name not in sys.stdlib_module_names | {"site_builder"}}


def importers(package: Path = PACKAGE) -> dict[str, set[str]]:
    """Library → the modules of ``package`` that import it (``git.store`` for git/store.py)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package.rglob("*.py")):
        module = ".".join(path.relative_to(package).with_suffix("").parts)
        for library in third_party(path.read_text(encoding="utf-8")):
            found.setdefault(library, set()).add(module)
    return found


def test_each_library_is_imported_by_its_home_only() -> None:
    assert importers() == HOMES


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import yaml", {"yaml"}),
        ("import yaml.constructor as c", {"yaml"}),
        ("from jinja2.sandbox import SandboxedEnvironment", {"jinja2"}),
        ("def f():\n    import pygit2\n", {"pygit2"}),  # inside a function
        ("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import lunr\n", {"lunr"}),
        ("import os, json\nfrom collections.abc import Iterator", set()),
        ("from site_builder import layout\nfrom site_builder.errors import Problem", set()),
        ("from . import layout\nfrom .errors import Problem", set()),
        ("from __future__ import annotations", set()),
    ],
)
def test_the_scan_sees_every_import(source: str, expected: set[str]) -> None:
    assert third_party(source) == expected


def test_a_second_importer_fails_the_table(tmp_path: Path) -> None:
    package = tmp_path / "site_builder"
    (package / "reading").mkdir(parents=True)
    (package / "sources.py").write_text("import yaml\n", encoding="utf-8")
    (package / "reading" / "extra.py").write_text("from yaml import safe_load\n", encoding="utf-8")
    found = importers(package)
    assert found == {"yaml": {"sources", "reading.extra"}}
    assert found["yaml"] != HOMES["yaml"]
