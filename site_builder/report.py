"""Gather and present problems: collect them stage by stage, resolve their positions,
sort them, and format them as text, JSON or GitHub annotations."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace

from site_builder.errors import DataError, Problem, Severity
from site_builder.reading import sources

FORMATS = ("text", "json", "github")


def place(problems: Iterable[Problem], texts: Mapping[str, str]) -> list[Problem]:
    """Give every problem a line and column from its file's text, then sort by file and position."""
    placed = []
    for p in problems:
        if p.line == 0 and p.path in texts:
            line, column = sources.locate(texts[p.path], p.pointer)
            p = replace(p, line=line, column=column)
        placed.append(p)
    return sorted(set(placed), key=lambda p: (p.path, p.line, p.column, p.field_path, p.message))


def strictly(problems: list[Problem], strict: bool) -> list[Problem]:
    """With ``strict``, every warning counts as an error."""
    if not strict:
        return problems
    return [replace(p, severity=Severity.ERROR) for p in problems]


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity == Severity.ERROR for p in problems)


class Collected:
    """The problems of a build, gathered stage by stage in the order found; the gates
    between stages stop the build with every problem so far once any is an error."""

    def __init__(self, *found: Iterable[Problem]) -> None:
        self.problems: list[Problem] = []
        self.add(*found)

    def add(self, *found: Iterable[Problem]) -> None:
        for problems in found:
            self.problems += problems

    def stop_on_errors(self) -> None:
        """Raise DataError with every problem collected, if any of them is an error."""
        if has_errors(self.problems):
            raise DataError(self.problems)


def summary(problems: list[Problem]) -> str:
    errors = sum(p.severity == Severity.ERROR for p in problems)
    warnings = len(problems) - errors
    if not problems:
        return "校验通过：没有发现问题。"
    return f"发现 {errors} 个错误、{warnings} 个警告。"


def as_dict(p: Problem) -> dict[str, str | int]:
    """A problem as JSON-ready data: the form every JSON output uses."""
    return {
        "path": p.path,
        "line": p.line,
        "column": p.column,
        "severity": str(p.severity),
        "field": p.field_path,
        "rule": p.rule,
        "message": p.message,
    }


def format_problems(problems: list[Problem], fmt: str) -> str:
    """Format problems; the output ends with a newline unless it is empty."""
    if fmt == "json":
        doc = {
            "errors": sum(p.severity == Severity.ERROR for p in problems),
            "warnings": sum(p.severity == Severity.WARNING for p in problems),
            "problems": [as_dict(p) for p in problems],
        }
        return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    lines = [_github(p) if fmt == "github" else _text(p) for p in problems]
    return "".join(line + "\n" for line in lines)


def _text(p: Problem) -> str:
    where = f"{p.path}:{p.line}:{p.column}" if p.line else p.path
    field = f"{p.field_path}: " if p.field_path else ""
    return f"{where}: {p.severity}: {field}{p.message}"


def _escape(value: str, props: bool = False) -> str:
    value = value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return value.replace(":", "%3A").replace(",", "%2C") if props else value


def _github(p: Problem) -> str:
    props = [f"file={_escape(p.path, True)}"]
    if p.line:
        props += [f"line={p.line}", f"col={p.column}"]
    if p.field_path:
        props.append(f"title={_escape(p.field_path, True)}")
    return f"::{p.severity} {','.join(props)}::{_escape(p.message)}"
