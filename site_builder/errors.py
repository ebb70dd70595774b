"""Problems found in the data, and the errors the library raises.

The library never prints: it returns ``Problem`` lists or raises ``SiteBuilderError``;
only ``cli.py`` turns them into output and exit codes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

Pointer = tuple[str | int, ...]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in one file: where it is, what is wrong, and what to do.

    ``pointer`` is the path of keys and indexes to the offending value; the
    report stage turns it into a line and column when ``line`` is not known yet.
    """

    path: str
    line: int = 0
    column: int = 0
    pointer: Pointer = field(default=())
    # Every field counts in equality: two different problems at one place are two problems.
    message: str = ""
    severity: Severity = Severity.ERROR
    rule: str = ""

    @property
    def field_path(self) -> str:
        """Return the pointer written as people read it: ``legal_basis[0].kind``."""
        out = ""
        for part in self.pointer:
            if isinstance(part, int):
                out += f"[{part}]"
            else:
                out += f".{part}" if out else str(part)
        return out

    def to_json(self) -> list[object]:
        """The problem as JSON data, for caches (``from_json`` reads it back)."""
        return [
            self.path,
            self.line,
            self.column,
            list(self.pointer),
            self.message,
            str(self.severity),
            self.rule,
        ]

    @classmethod
    def from_json(cls, value: list[Any]) -> Problem:
        path, line, column, pointer, message, severity, rule = value
        return cls(path, line, column, tuple(pointer), message, Severity(severity), rule)


class SiteBuilderError(Exception):
    """Base class of errors that the CLI reports without a traceback."""

    exit_code = 2


class UsageError(SiteBuilderError):
    """The command was used wrongly (exit 2)."""


class DataError(SiteBuilderError):
    """The data has problems; carries them all (exit 1)."""

    exit_code = 1

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the data")
        self.problems = problems

    def __reduce__(self) -> tuple[type[DataError], tuple[list[Problem]]]:
        return (type(self), (self.problems,))  # so that it crosses from a worker process


class ConfigError(DataError):
    """The site configuration (site.yaml) has problems (exit 2, as for a usage error:
    nothing of the data could be checked yet)."""

    exit_code = 2


def error(
    path: str, pointer: Pointer, message: str, rule: str, line: int = 0, column: int = 0
) -> Problem:
    """Make an error-level problem."""
    return Problem(path, line, column, pointer, message, Severity.ERROR, rule)


def warning(
    path: str, pointer: Pointer, message: str, rule: str, line: int = 0, column: int = 0
) -> Problem:
    """Make a warning-level problem."""
    return Problem(path, line, column, pointer, message, Severity.WARNING, rule)
