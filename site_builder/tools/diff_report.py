"""The reviewer's report of a ``diff.Diff``: a Markdown comment for a pull request, JSON for tools.

Nothing here reads a repository; ``diff.compare`` gathers what changed, this module only says it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from site_builder import report
from site_builder.errors import Problem, Severity
from site_builder.history.changes import FieldChange
from site_builder.reading import layout
from site_builder.tools.diff import KINDS, Diff, Person, RecordChange


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
