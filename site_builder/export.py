"""A department's powers as an Excel workbook that staff can edit and import again.

One sheet, 职权清单: one row per power sorted by id, a Chinese header row (the first
synonym of each field in ``import_headers.yaml``, or the schema's title), the flat
fields as visible columns, and a last column 完整记录（请勿修改） holding the whole record
as compact JSON with sorted keys, so that nothing is lost: ``site-builder import``
starts from that JSON and applies the visible columns on top.

The bytes are reproducible: the workbook's times are the source commit's time (or
SOURCE_DATE_EPOCH, or 1980-01-01), never the clock, and the zip entries are sorted
with one fixed timestamp (the same writer as the Excel edition of the downloads).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from site_builder import history, layout, sources, spreadsheet, tablefiles
from site_builder.archive import stamp
from site_builder.errors import UsageError

SHEET = "职权清单"
RECORD_HEADER = "完整记录（请勿修改）"
LIST_SEPARATOR = "、"
EXCEL_CELL_LIMIT = 32767  # the most characters an Excel cell holds


@dataclass(frozen=True)
class PowerFile:
    """One power's YAML file as read from the department's folder."""

    path: str  # relative to the repository
    data: dict[str, Any]


@dataclass
class Export:
    """The workbook and what staff should know about it."""

    data: bytes
    powers: int
    warnings: list[str] = field(default_factory=list)


# --- reading the repository ----------------------------------------------------------


def department_powers(root: Path, department: str) -> tuple[list[PowerFile], list[str]]:
    """The department's power files sorted by id, and messages about files that could not be read.

    Files are read as they are, valid or not, so that an export loses nothing.
    """
    folder = root / layout.DEPARTMENTS / department
    if not (folder / layout.DEPARTMENT_FILE).is_file():
        raise UsageError(
            f"找不到部门“{department}”：{folder.relative_to(root).as_posix()}/department.yaml 不存在。"
            "请使用 data/departments/ 下的文件夹名作为 --department。"
        )
    found: list[PowerFile] = []
    skipped: list[str] = []
    powers = folder / layout.POWERS
    for path in sorted(powers.glob("*.yaml")) if powers.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        source, problems = sources.read(root, rel)
        if source is None or not isinstance(source.data, dict):
            reason = problems[0].message if problems else "内容不是一个记录"
            skipped.append(
                f"{rel}：无法读取，未导出（{reason}）。请先运行 site-builder validate 修正。"
            )
            continue
        found.append(PowerFile(rel, source.data))
    found.sort(key=lambda p: str(p.data.get("id") or Path(p.path).stem))
    return found, skipped


def law_titles(root: Path) -> dict[str, dict[str, Any]]:
    """The register of laws by id (title, short_title, kind), read leniently."""
    laws: dict[str, dict[str, Any]] = {}
    for path in (
        sorted((root / layout.LAWS).glob("*.yaml")) if (root / layout.LAWS).is_dir() else []
    ):
        source, _ = sources.read(root, path.relative_to(root).as_posix())
        if source is not None and isinstance(source.data, dict):
            laws[str(source.data.get("id") or path.stem)] = source.data
    return laws


def source_time(root: Path) -> datetime:
    """The time the workbook stands for: SOURCE_DATE_EPOCH, the HEAD commit's time, or 1980."""
    return stamp(history.head_time(root))


# --- the columns ---------------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _listed(value: Any) -> str:
    if isinstance(value, list):
        return LIST_SEPARATOR.join(_text(v) for v in value)
    return _text(value)


def _time_limit(value: Any) -> str:
    if not isinstance(value, dict):
        return _text(value)
    text = f"{_text(value.get('value'))}{_text(value.get('unit'))}"
    return f"{text}（{value['note']}）" if value.get("note") else text


def duty_lines(entries: Any) -> str:
    """Responsibilities, one per line: “【step】duty”, or the duty alone when it names no step."""
    lines = []
    for e in entries or []:
        if isinstance(e, dict):
            step = e.get("step")
            lines.append(f"【{step}】{_text(e.get('duty'))}" if step else _text(e.get("duty")))
    return "\n".join(lines)


def basis_lines(entries: Any, laws: dict[str, dict[str, Any]]) -> str:
    """Legal basis as lines ``【kind】《title》article``, one entry a line."""
    lines = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        title = entry.get("title") or (laws.get(str(entry.get("law"))) or {}).get("title") or ""
        kind = f"【{entry['kind']}】" if entry.get("kind") else ""
        lines.append(f"{kind}《{title}》{_text(entry.get('article'))}" if title else kind)
    return "\n".join(lines)


Render = Callable[[dict[str, Any], dict[str, dict[str, Any]]], str]


def _plain(key: str) -> Render:
    return lambda data, laws: _text(data.get(key))


def _joined(key: str) -> Render:
    return lambda data, laws: _listed(data.get(key))


# The visible columns, in order: field name → how its cell is written.
COLUMNS: dict[str, Render] = {
    "id": _plain("id"),
    "code": _plain("code"),
    "name": _plain("name"),
    "subitem": _plain("subitem"),
    "aliases": _joined("aliases"),
    "category": _plain("category"),
    "content": _plain("content"),
    "handling_unit": _plain("handling_unit"),
    "co_implementers": _joined("co_implementers"),
    "power_source": _plain("power_source"),
    "levels": _joined("levels"),
    "target": _joined("target"),
    "legal_basis": lambda data, laws: basis_lines(data.get("legal_basis"), laws),
    "statutory_time_limit": lambda data, laws: _time_limit(data.get("statutory_time_limit")),
    "committed_time_limit": lambda data, laws: _time_limit(data.get("committed_time_limit")),
    "responsibilities": lambda data, laws: duty_lines(data.get("responsibilities")),
    "accountability": lambda data, laws: "\n".join(
        _text(c) for c in data.get("accountability") or []
    ),
    "status": _plain("status"),
    "effective_from": _plain("effective_from"),
    "effective_to": _plain("effective_to"),
    "remark": _plain("remark"),
}


def _synonyms() -> dict[str, list[str]]:
    """Field → header synonyms (the first is the header export writes)."""
    fields = spreadsheet.header_table().get("fields", {})
    return {str(k): [str(n) for n in v] for k, v in fields.items() if isinstance(v, list) and v}


def _schema_titles(root: Path) -> dict[str, str]:
    path = root / layout.schema_file("power")
    if not path.is_file():
        return {}
    props = json.loads(path.read_text("utf-8")).get("properties", {})
    return {key: str(prop.get("title") or key) for key, prop in props.items()}


def headers(root: Path) -> list[tuple[str, str]]:
    """(field, Chinese header) of the visible columns.

    With ``import_headers.yaml``, only the fields it maps (so that import reads every
    column back), each under its first synonym; without it, every column under the schema's title.
    """
    synonyms = _synonyms()
    titles = _schema_titles(root)
    if synonyms:
        return [(key, synonyms[key][0]) for key in COLUMNS if key in synonyms]
    return [(key, titles.get(key, key)) for key in COLUMNS]


def record_json(data: dict[str, Any]) -> str:
    """The record as compact JSON with sorted keys: the last column."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# --- the workbook --------------------------------------------------------------------


def export_department(root: Path, department: str) -> Export:
    """The department's powers as the bytes of an .xlsx workbook."""
    powers, warnings = department_powers(root, department)
    laws = law_titles(root)
    columns = headers(root)
    rows: list[list[str | int | float | None]] = []
    for power in powers:
        whole = record_json(power.data)
        if len(whole) > EXCEL_CELL_LIMIT:
            warnings.append(
                f"{power.path}：完整记录有 {len(whole)} 个字符，超过 Excel 单元格上限 {EXCEL_CELL_LIMIT}；"
                "用 Excel 保存后该记录会被截断，请直接修改 YAML 文件。"
            )
        rows.append([*(COLUMNS[key](power.data, laws) for key, _ in columns), whole])
    sheet = tablefiles.Sheet(SHEET, [title for _, title in columns] + [RECORD_HEADER], rows)
    data = tablefiles.write_workbook(
        [sheet],
        title=f"{department} 职权清单",
        creator="site-builder",
        when=source_time(root),
        text_only=True,
    )
    return Export(data, len(powers), warnings)
