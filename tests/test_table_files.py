"""One home each for reading and for writing table files.

site_builder/tools/spreadsheet.py is the only reader of import files (.xlsx, .xls, CSV and
their encodings); site_builder/publishing/tablefiles.py the only writer of CSV files and workbooks,
where every cell that a spreadsheet would run is neutralised. A source scan fails when
another module reads or writes these formats itself, and so bypasses the import limits
or the neutralising of formulas.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "site_builder"

# What each home alone may import or call: module names, and attributes of the csv module.
READING = {"xlrd", "charset_normalizer"}
SHARED = {"openpyxl"}  # read in spreadsheet.py, written in tablefiles.py
WRITING = {"writer", "DictWriter"}  # csv.writer, csv.DictWriter


def uses(source: str) -> tuple[set[str], set[str]]:
    """The top-level packages a module imports, and the attributes of ``csv`` it uses."""
    tree = ast.parse(source)
    imported: set[str] = set()
    csv_calls: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            imported.add(node.module.split(".")[0])
            if node.module == "csv":
                csv_calls |= {alias.name for alias in node.names}
        elif (
            isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "csv"
        ):
            csv_calls.add(node.attr)
    return imported, csv_calls


def test_only_spreadsheet_reads_and_only_tablefiles_writes_table_files() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        imported, csv_calls = uses(path.read_text(encoding="utf-8"))
        allowed = {
            "spreadsheet.py": READING | SHARED,
            "tablefiles.py": SHARED,
        }.get(path.name, set())
        found += [
            f"{path.name}: {name}" for name in sorted((imported & (READING | SHARED)) - allowed)
        ]
        if path.name != "tablefiles.py":
            found += [f"{path.name}: csv.{name}" for name in sorted(csv_calls & WRITING)]
    assert found == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("import csv\nw = csv.writer(out)", ({"csv"}, {"writer"})),
        ("from csv import DictWriter", ({"csv"}, {"DictWriter"})),
        ("from openpyxl.cell import WriteOnlyCell", ({"openpyxl"}, set())),
        ("import xlrd.xldate", ({"xlrd"}, set())),
    ],
)
def test_the_scan_sees_imports_and_writers(
    source: str, expected: tuple[set[str], set[str]]
) -> None:
    assert uses(source) == expected
