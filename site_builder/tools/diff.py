"""A semantic diff between two revisions of a repository, for reviewers.

``compare(root, base, head)`` reads both revisions (``head=None`` is the work tree),
checks each with the library's own pipeline and returns a ``Diff``: powers,
departments, laws and standard flows added, removed and changed field by field;
the problems that HEAD introduces (compared without line numbers, so an edit that
only shifts lines introduces nothing); the departments touched and who must review.
``diff_report`` formats it for people and machines. Nothing here prints or imports pygit2:
revisions are read through ``gitstore``.
"""

from __future__ import annotations

import re
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder import build
from site_builder.errors import DataError, Problem, Severity
from site_builder.history import gitstore
from site_builder.history.changes import FieldChange
from site_builder.reading import layout, model, sources
from site_builder.reading.schemas import FieldTitles

CANCELLED = "已取消"
# Record kinds compared, with their Chinese names, in the order the report shows them.
KINDS = (("power", "职权"), ("department", "部门"), ("law", "法律法规登记簿"), ("flow", "标准流程"))
# A scalar longer than this (or with a line break) is summarised by its size, not shown.
SHORT = 40
WORK_TREE = "工作区"

_LINE_IN_MESSAGE = re.compile(r"第 ?\d+ ?行")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: the revision as given, and its commit id (empty for the work tree)."""

    revision: str
    commit: str = ""

    @property
    def label(self) -> str:
        return f"{self.revision}（{self.commit[:7]}）" if self.commit else self.revision


@dataclass(frozen=True)
class RecordChange:
    """A record added, removed, cancelled or changed; ``path`` and ``department`` are HEAD's when it exists."""

    kind: str
    id: str
    name: str
    path: str
    department: str = ""
    fields: tuple[FieldChange, ...] = ()


@dataclass(frozen=True)
class Changes:
    """The records of one kind that differ between the two sides, each list sorted by id."""

    added: tuple[RecordChange, ...] = ()
    removed: tuple[RecordChange, ...] = ()
    cancelled: tuple[RecordChange, ...] = ()
    changed: tuple[RecordChange, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.cancelled or self.changed)


@dataclass(frozen=True)
class Person:
    """A maintainer or reviewer: shown as @account when there is one, otherwise by name."""

    name: str
    github: str = ""

    @property
    def handle(self) -> str:
        return f"@{self.github}" if self.github else self.name


@dataclass(frozen=True)
class DepartmentReview:
    """A touched department and the people who must review its changes."""

    id: str
    name: str
    maintainers: tuple[Person, ...]
    reviewers: tuple[Person, ...]


@dataclass(frozen=True)
class Diff:
    """Everything that differs between BASE and HEAD, ready to format."""

    base: Side
    head: Side
    records: dict[str, Changes]
    files: tuple[tuple[str, str], ...]  # (status 新增/删除/修改, path), sorted by path
    introduced: tuple[Problem, ...]
    fixed: int
    departments: tuple[DepartmentReview, ...]
    site_reviewers: tuple[Person, ...]
    central_files: tuple[str, ...]

    @property
    def introduced_errors(self) -> int:
        return sum(p.severity == Severity.ERROR for p in self.introduced)

    @property
    def introduced_warnings(self) -> int:
        return sum(p.severity == Severity.WARNING for p in self.introduced)

    @property
    def exit_code(self) -> int:
        """0 when HEAD introduces no error, 1 when it does (for CI)."""
        return 1 if self.introduced_errors else 0

    @property
    def mentions(self) -> tuple[str, ...]:
        """Every reviewer's handle once, sorted: the line to paste into a review request."""
        people = [*self.site_reviewers]
        for d in self.departments:
            people += [*d.maintainers, *d.reviewers]
        # A name without an account is left out when someone of that name has one.
        named = {p.name for p in people if p.github}
        return tuple(sorted({p.handle for p in people if p.github or p.name not in named}))


# ---------------------------------------------------------------------------
# Reading one side


@dataclass
class _Snapshot:
    """One revision on disk: its records (parsed, valid or not), its files and its problems."""

    root: Path
    records: dict[str, dict[str, tuple[str, Any]]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    site: dict[str, Any] = field(default_factory=dict)
    titles: dict[str, dict[str, str]] = field(default_factory=dict)


def _snapshot(root: Path) -> _Snapshot:
    snap = _Snapshot(root)
    try:
        snap.problems = build.check_repository(root).problems
    except DataError as exc:  # site.yaml itself is broken: nothing else could be checked
        snap.problems = list(exc.problems)
    found, _ = model.discover(root)
    for kind, rel in found:
        if kind == "jurisdictions":
            continue
        source, _ = sources.read(root, rel)
        record_id = Path(rel).parent.name if kind == "department" else Path(rel).stem
        data = source.data if source is not None else None
        # Two powers with one id (in two departments): keep the first, as the model does.
        snap.records.setdefault(kind, {}).setdefault(record_id, (rel, data))
    for name in layout.SOURCES:
        path = root / name
        if path.is_file():
            snap.files[name] = path.read_bytes()
        elif path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(root).as_posix()
                if file.is_file() and not any(part.startswith(".") for part in rel.split("/")):
                    snap.files[rel] = file.read_bytes()
    site, _ = sources.read(root, layout.CONFIG) if (root / layout.CONFIG).is_file() else (None, [])
    snap.site = site.data if site is not None and isinstance(site.data, dict) else {}
    titles = FieldTitles.read(root / layout.SCHEMA, (kind for kind, _name in KINDS))
    for kind, _name in KINDS:
        snap.titles[kind] = titles.titled(kind)
    return snap


@contextmanager
def _revision(root: Path, revision: str) -> Iterator[tuple[Path, Side]]:
    """Export ``revision`` into a temporary folder (no checkout); yield its root and side."""
    with tempfile.TemporaryDirectory(prefix="site-builder-diff-") as tmp:
        site, commit = gitstore.export_revision(root, revision, Path(tmp))
        yield site, Side(revision, commit)


def compare(root: Path, base: str, head: str | None = None) -> Diff:
    """Compare revision ``base`` with revision ``head`` (``None``: the work tree) of the repository at ``root``.

    Raises UsageError for a revision that does not exist or a folder outside git.
    """
    with _revision(root, base) as (base_root, base_side):
        old = _snapshot(base_root)
        if head is None:
            return _compare(old, _snapshot(root), base_side, Side(WORK_TREE))
        with _revision(root, head) as (head_root, head_side):
            return _compare(old, _snapshot(head_root), base_side, head_side)


# ---------------------------------------------------------------------------
# Comparing


def _compare(old: _Snapshot, new: _Snapshot, base: Side, head: Side) -> Diff:
    records = {kind: _changes(kind, old, new) for kind, _ in KINDS}
    files = _files(old.files, new.files)
    introduced, fixed = _problems(old.problems, new.problems)
    # Every file under a department's folder, valid or not, touches that department.
    touched = sorted({dept for _, path in files if (dept := layout.department_of(path))})
    departments = tuple(_department_review(dept, old, new) for dept in touched)
    site_reviewers = _people((new.site or old.site).get("reviewers"))
    central = tuple(path for _, path in files if path.startswith(layout.CENTRAL))
    return Diff(
        base=base,
        head=head,
        records=records,
        files=files,
        introduced=introduced,
        fixed=fixed,
        departments=departments,
        site_reviewers=site_reviewers,
        central_files=central,
    )


def _files(old: dict[str, bytes], new: dict[str, bytes]) -> tuple[tuple[str, str], ...]:
    out = []
    for path in sorted(old.keys() | new.keys()):
        if path not in old:
            out.append(("新增", path))
        elif path not in new:
            out.append(("删除", path))
        elif old[path] != new[path]:
            out.append(("修改", path))
    return tuple(out)


def _department_of(kind: str, path: str) -> str:
    return path.split("/")[2] if kind in ("power", "department") else ""


def _name(data: Any, record_id: str) -> str:
    if isinstance(data, dict):
        for key in ("name", "title"):
            if isinstance(data.get(key), str) and data[key]:
                return str(data[key])
    return record_id


def _changes(kind: str, old: _Snapshot, new: _Snapshot) -> Changes:
    before = old.records.get(kind, {})
    after = new.records.get(kind, {})
    titles = new.titles.get(kind) or old.titles.get(kind, {})
    added, removed, cancelled, changed = [], [], [], []
    for record_id in sorted(before.keys() | after.keys()):
        if record_id not in before:
            path, data = after[record_id]
            added.append(
                RecordChange(
                    kind, record_id, _name(data, record_id), path, _department_of(kind, path)
                )
            )
            continue
        if record_id not in after:
            path, data = before[record_id]
            removed.append(
                RecordChange(
                    kind, record_id, _name(data, record_id), path, _department_of(kind, path)
                )
            )
            continue
        old_path, old_data = before[record_id]
        path, data = after[record_id]
        fields = list(_field_changes(old_data, data, titles))
        old_dept, dept = _department_of(kind, old_path), _department_of(kind, path)
        if old_dept != dept:
            fields.insert(0, FieldChange("department", old_dept, dept, title="所属部门"))
        if not fields:
            continue
        change = RecordChange(kind, record_id, _name(data, record_id), path, dept, tuple(fields))
        was = old_data.get("status") if isinstance(old_data, dict) else None
        now = data.get("status") if isinstance(data, dict) else None
        if kind == "power" and now == CANCELLED and was != CANCELLED:
            cancelled.append(change)
        else:
            changed.append(change)
    return Changes(tuple(added), tuple(removed), tuple(cancelled), tuple(changed))


def _field_changes(old: Any, new: Any, titles: dict[str, str]) -> Iterator[FieldChange]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        if old != new:
            yield FieldChange(
                "（整个文件）",
                detail="文件无法解析"
                if new is None
                else "文件已可解析"
                if old is None
                else "已修改",
            )
        return
    keys = [*old.keys(), *(k for k in new if k not in old)]
    for key in sorted(keys, key=lambda k: (_order(k, titles), str(k))):
        a, b = old.get(key), new.get(key)
        if a == b and (key in old) == (key in new):
            continue
        title = titles.get(str(key), "")
        short_a, short_b = _short(a) if key in old else None, _short(b) if key in new else None
        if (key not in old or short_a is not None) and (key not in new or short_b is not None):
            yield FieldChange(str(key), short_a, short_b, title=title)
        elif key not in old:
            yield FieldChange(str(key), title=title, detail=f"新增（{_size(b)}）")
        elif key not in new:
            yield FieldChange(str(key), title=title, detail=f"删除（原 {_size(a)}）")
        else:
            yield FieldChange(str(key), title=title, detail=f"已修改（{_size(a)} → {_size(b)}）")


def _order(key: Any, titles: dict[str, str]) -> int:
    """Fields in the order of the schema (which is the canonical order of the file)."""
    keys = list(titles)
    return keys.index(key) if key in titles else len(keys)


def _scalar(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str) and len(value) <= SHORT and "\n" not in value:
        return value
    return None


def _short(value: Any) -> str | None:
    """A value short enough to show in one line, or None: short scalars, time limits, small flat maps."""
    text = _scalar(value)
    if text is not None:
        return text
    if isinstance(value, dict) and value:
        parts = [(str(k), _scalar(v)) for k, v in value.items()]
        if any(v is None for _, v in parts):
            return None
        if set(value) == {"value", "unit"}:  # a time limit: 20 工作日
            text = f"{_scalar(value['value'])} {_scalar(value['unit'])}"
        else:
            text = "，".join(f"{k}: {v}" for k, v in parts)
        return text if len(text) <= SHORT else None
    return None  # lists and long text are described by their size


def _size(value: Any) -> str:
    if isinstance(value, list):
        return f"{len(value)} 项"
    if isinstance(value, dict):
        return f"{len(value)} 个字段"
    if isinstance(value, str):
        return f"{len(value)} 字"
    return "1 个值"


def _problem_key(p: Problem) -> tuple[str, str, str, str, str]:
    """What a problem is, without where it is: path, rule, field, severity and message (line numbers removed)."""
    key = layout.record_key(p.path)
    # A power that moved department keeps its problems: compare powers by id, not by folder.
    path = f"power:{key[0][1]}" if key and key[0][0] == "power" else p.path
    message = _LINE_IN_MESSAGE.sub("第 N 行", p.message)
    return (path, p.rule, p.field_path, str(p.severity), message)


def _problems(old: list[Problem], new: list[Problem]) -> tuple[tuple[Problem, ...], int]:
    """Return the problems of ``new`` that ``old`` did not have, and how many of ``old`` are gone."""
    before = Counter(_problem_key(p) for p in old)
    after = Counter(_problem_key(p) for p in new)
    introduced = []
    remaining = Counter(before)
    for p in sorted(new, key=lambda p: (p.path, p.line, p.column, p.field_path, p.message)):
        key = _problem_key(p)
        if remaining[key] > 0:
            remaining[key] -= 1
        else:
            introduced.append(p)
    fixed = sum((before - after).values())
    return tuple(introduced), fixed


def _people(value: Any) -> tuple[Person, ...]:
    out = []
    for item in value if isinstance(value, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            github = item.get("github")
            out.append(Person(item["name"], github if isinstance(github, str) else ""))
    return tuple(out)


def _department_review(dept: str, old: _Snapshot, new: _Snapshot) -> DepartmentReview:
    _, data = new.records.get("department", {}).get(dept) or old.records.get("department", {}).get(
        dept, ("", None)
    )
    if not isinstance(data, dict):
        data = {}
    return DepartmentReview(
        dept,
        _name(data, dept),
        _people(data.get("maintainers")),
        _people(data.get("reviewers")),
    )
