"""The power sheet: the workbook layout that ``export`` writes and the importers read back.

One sheet, 职权清单: one row per power, a Chinese header row (the first synonym of each
field in ``import_headers.yaml``, or the schema's title), the flat fields as visible
columns written as ``COLUMNS`` says, and a last column 完整记录（请勿修改） holding the
whole record as compact JSON with sorted keys. ``site-builder import`` starts from that
JSON and compares each cell with what ``COLUMNS`` writes for the record, so a cell left
as exported keeps the value with what the cell does not show.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from site_builder.errors import UsageError
from site_builder.reading import layout, sources
from site_builder.reading.schemas import FieldTitles
from site_builder.tools import spreadsheet

SHEET = "职权清单"
RECORD_HEADER = "完整记录（请勿修改）"
LIST_SEPARATOR = "、"


@dataclass(frozen=True)
class PowerFile:
    """One power's YAML file as read from the department's folder."""

    path: str  # relative to the repository
    data: dict[str, Any]


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


def headers(root: Path) -> list[tuple[str, str]]:
    """(field, Chinese header) of the visible columns.

    With ``import_headers.yaml``, only the fields it maps (so that import reads every
    column back), each under its first synonym; without it, every column under the schema's title.
    """
    synonyms = _synonyms()
    if synonyms:
        return [(key, synonyms[key][0]) for key in COLUMNS if key in synonyms]
    # A blank title would give a header that import cannot read back: the field's name instead.
    titles = FieldTitles.read(root / layout.SCHEMA, ("power",)).of("power")
    return [(key, titles.get(key) or key) for key in COLUMNS]


def record_json(data: dict[str, Any]) -> str:
    """The record as compact JSON with sorted keys: the last column."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
