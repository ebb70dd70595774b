"""No function in site_builder/ over about 80 lines, no module over about 500 without a reason.

A module may be longer when its docstring says why, and says how long it is ("about 630
lines"), so that the reason is reread when the module grows by more than a tenth.
"""

from __future__ import annotations

import ast
import re

from conftest import PROJECT

FUNCTION_LIMIT = 80
MODULE_LIMIT = 500
STATED = re.compile(r"about (\d+) lines")


def modules() -> list[tuple[str, ast.Module, int]]:
    found = []
    for path in sorted((PROJECT / "site_builder").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(PROJECT / "site_builder").with_suffix("").as_posix()
        found.append((name, ast.parse(text), text.count("\n")))
    return found


def long_functions() -> dict[str, int]:
    found = {}
    for name, tree, _ in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
                lines = node.end_lineno - node.lineno + 1
                if lines > FUNCTION_LIMIT:
                    found[f"{name}.{node.name}"] = lines
    return found


def unexplained_long_modules() -> dict[str, int]:
    found = {}
    for name, tree, lines in modules():
        if lines <= MODULE_LIMIT:
            continue
        stated = STATED.search(ast.get_docstring(tree) or "")
        if stated is None or abs(int(stated.group(1)) - lines) > lines / 10:
            found[name] = lines
    return found


def test_no_function_is_over_80_lines() -> None:
    assert long_functions() == {}


def test_a_long_module_says_why_and_how_long() -> None:
    assert unexplained_long_modules() == {}


def test_the_scans_see_the_package() -> None:
    names = {name for name, _, _ in modules()}
    assert {"build", "render", "cli"} <= {n.rsplit("/", 1)[-1] for n in names}
