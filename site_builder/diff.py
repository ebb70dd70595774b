"""A semantic diff between two revisions of a repository, for reviewers.

``compare(root, base, head)`` reads both revisions (``head=None`` is the work tree),
checks each with the library's own pipeline and returns a ``Diff``: powers,
departments, laws and standard flows added, removed and changed field by field;
the problems that HEAD introduces (compared without line numbers, so an edit that
only shifts lines introduces nothing); the departments touched and who must review.
``markdown()`` and ``to_json()`` format it. Nothing here prints or imports pygit2:
revisions are read through ``history``.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder import build, history, layout, model, report, sources
from site_builder.errors import DataError, Problem, Severity

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
class FieldChange:
    """One top-level field of a record that differs.

    ``old``/``new`` show short values (``None`` when the field is absent or too long
    to show); ``detail`` describes long values by their size (``已修改（3 项 → 4 项）``).
    """

    field: str
    title: str
    old: str | None
    new: str | None
    detail: str = ""


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
    for kind, _name in KINDS:
        snap.titles[kind] = _titles(root / layout.schema_file(kind))
    return snap


def _titles(path: Path) -> dict[str, str]:
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    return {k: str(v["title"]) for k, v in props.items() if isinstance(v, dict) and "title" in v}


@contextmanager
def _revision(root: Path, revision: str) -> Iterator[tuple[Path, Side]]:
    """Export ``revision`` into a temporary folder (no checkout); yield its root and side."""
    with tempfile.TemporaryDirectory(prefix="site-builder-diff-") as tmp:
        site, commit = history.export_revision(root, revision, Path(tmp))
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
            fields.insert(0, FieldChange("department", "所属部门", old_dept, dept))
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
                "",
                None,
                None,
                "文件无法解析" if new is None else "文件已可解析" if old is None else "已修改",
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
            yield FieldChange(str(key), title, short_a, short_b)
        elif key not in old:
            yield FieldChange(str(key), title, None, None, f"新增（{_size(b)}）")
        elif key not in new:
            yield FieldChange(str(key), title, None, None, f"删除（原 {_size(a)}）")
        else:
            yield FieldChange(str(key), title, None, None, f"已修改（{_size(a)} → {_size(b)}）")


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


# ---------------------------------------------------------------------------
# Formatting


def summary(diff: Diff) -> str:
    """The one-line summary: 新增 N 项、取消 N 项、变更 N 项、删除 N 项；引入 N 个错误、N 个警告."""
    powers = diff.records["power"]
    return (
        f"新增 {len(powers.added)} 项、取消 {len(powers.cancelled)} 项、"
        f"变更 {len(powers.changed)} 项、删除 {len(powers.removed)} 项；"
        f"引入 {diff.introduced_errors} 个错误、{diff.introduced_warnings} 个警告"
        f"；修复 {diff.fixed} 个问题"
    )


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _record_line(change: RecordChange, names: dict[str, str]) -> str:
    where = (
        f"（{_md(names.get(change.department, change.department))}）" if change.department else ""
    )
    return f"- `{change.id}` {_md(change.name)}{where}"


def _problem_line(p: Problem) -> str:
    mark = "错误" if p.severity == Severity.ERROR else "警告"
    where = f"{p.path}:{p.line}" if p.line else p.path
    field_text = f"`{p.field_path}`：" if p.field_path else ""
    return f"- **{mark}** `{where}` {field_text}{_md(p.message)}"


_ACTIONS = (("added", "新增"), ("cancelled", "取消"), ("changed", "变更"), ("removed", "删除"))


def markdown(diff: Diff) -> str:
    """The diff as Markdown with Chinese headings, for a pull-request comment or a CI job summary."""
    names = {d.id: d.name for d in diff.departments}
    out = [
        f"## 权责清单变更：{_md(diff.base.label)} → {_md(diff.head.label)}",
        "",
        f"**摘要**：{summary(diff)}。",
        "",
    ]
    for kind, title in KINDS:
        changes = diff.records[kind]
        if not changes:
            continue
        out += [f"### {title}", ""]
        for attr, action in _ACTIONS:
            items: tuple[RecordChange, ...] = getattr(changes, attr)
            if not items:
                continue
            out.append(f"#### {action}（{len(items)}）")
            out.append("")
            for change in items:
                out.append(_record_line(change, names))
                out += [f"  - {_md_field(f)}" for f in change.fields]
            out.append("")
    others = [(s, p) for s, p in diff.files if not _is_record(p)]
    if others:
        out += ["### 其他文件", ""]
        out += [f"- {status}：`{path}`" for status, path in others]
        out.append("")
    out += ["### 新引入的问题", ""]
    if diff.introduced:
        out += [_problem_line(p) for p in diff.introduced]
    else:
        out.append("没有引入新的错误或警告。")
    if diff.fixed:
        out += ["", f"本次修改修复了 {diff.fixed} 个原有问题。"]
    out += ["", "### 涉及部门", ""]
    if diff.departments:
        out += [f"- `{d.id}` {_md(d.name)}" for d in diff.departments]
    else:
        out.append("没有涉及部门的数据。")
    out += ["", "### 审核人", ""]
    for d in diff.departments:
        out.append(
            f"- {_md(d.name)}：维护人 {_people_text(d.maintainers)}；审核人 {_people_text(d.reviewers)}"
        )
    site = _people_text(diff.site_reviewers)
    if diff.central_files:
        files = "、".join(f"`{p}`" for p in diff.central_files)
        out.append(f"- 全站审核人（修改了 {files}，必须审核）：{site}")
    else:
        out.append(f"- 全站审核人：{site}")
    if diff.mentions:
        out += [
            "",
            "请审核：" + " ".join(m if m.startswith("@") else _md(m) for m in diff.mentions),
        ]
    return "\n".join(out) + "\n"


def _md_field(f: FieldChange) -> str:
    label = f"`{f.field}`（{_md(f.title)}）" if f.title else f"`{f.field}`"
    if f.detail:
        return f"{label}：{f.detail}"
    old = _md(f.old) if f.old is not None else "（无）"
    new = _md(f.new) if f.new is not None else "（无）"
    return f"{label}：{old} → {new}"


def _people_text(people: Iterable[Person]) -> str:
    listed = [f"@{p.github}（{_md(p.name)}）" if p.github else _md(p.name) for p in people]
    return "、".join(listed) if listed else "（未指定）"


def _is_record(path: str) -> bool:
    folders = (layout.DEPARTMENTS, layout.LAWS, layout.FLOWS)
    return path.startswith(tuple(f"{f}/" for f in folders)) and path.endswith(".yaml")


def to_json(diff: Diff) -> str:
    """The same data as ``markdown``, machine-readable, with a stable key order."""
    powers = diff.records["power"]

    def record(change: RecordChange) -> dict[str, Any]:
        return {
            "id": change.id,
            "name": change.name,
            "path": change.path,
            "department": change.department,
            "fields": [
                {"field": f.field, "title": f.title, "old": f.old, "new": f.new, "detail": f.detail}
                for f in change.fields
            ],
        }

    def people(items: Iterable[Person]) -> list[dict[str, str]]:
        return [{"name": p.name, "github": p.github, "handle": p.handle} for p in items]

    doc: dict[str, Any] = {
        "base": {"revision": diff.base.revision, "commit": diff.base.commit},
        "head": {"revision": diff.head.revision, "commit": diff.head.commit},
        "summary": {
            "added": len(powers.added),
            "cancelled": len(powers.cancelled),
            "changed": len(powers.changed),
            "removed": len(powers.removed),
            "introduced_errors": diff.introduced_errors,
            "introduced_warnings": diff.introduced_warnings,
            "fixed": diff.fixed,
        },
    }
    for kind, _ in KINDS:
        changes = diff.records[kind]
        doc[kind + "s"] = {
            attr: [record(c) for c in getattr(changes, attr)] for attr, _ in _ACTIONS
        }
    doc["files"] = [{"status": status, "path": path} for status, path in diff.files]
    doc["introduced"] = [report.as_dict(p) for p in diff.introduced]
    doc["touched_departments"] = [d.id for d in diff.departments]
    doc["reviewers"] = {
        "departments": [
            {
                "id": d.id,
                "name": d.name,
                "maintainers": people(d.maintainers),
                "reviewers": people(d.reviewers),
            }
            for d in diff.departments
        ],
        "site": people(diff.site_reviewers),
        "central_files": list(diff.central_files),
        "mentions": list(diff.mentions),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
