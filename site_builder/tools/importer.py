"""Import a department's power list from a spreadsheet or CSV file.

``plan_import`` reads the table and turns rows into power records (headers through the
synonym table ``import_headers.yaml``, categories through a code table, legal basis text
split into entries), and says what it would do; ``apply`` writes the files. Nothing
prints here: ``report_lines`` gives the report for the CLI.

It is longer than most (about 550 lines) because reading a department's sheet is one job
with many columns: headers, rows continued on the next line, categories, levels, time limits
and duties each need their own tolerant reading, and the report says what each guessed.
The legal-basis text, the largest part, is ``basis_text``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.errors import UsageError
from site_builder.reading import layout, pinyin, sources
from site_builder.reading.config import load_config
from site_builder.reading.schemas import Schemas
from site_builder.tools import fmt, powersheet, spreadsheet
from site_builder.tools.basis_text import norm_title, parse_basis

IGNORED_FIELDS = ("department", "seq", "record")
KEY_FIELDS = ("code", "name", "category")  # a row with all of these empty continues the row above
FIELD_TITLES = {
    "code": "事项编码",
    "name": "职权名称",
    "subitem": "子项名称",
    "category": "职权类别",
    "content": "职权内容",
    "legal_basis": "法律依据",
    "handling_unit": "承办机构",
    "power_source": "职权来源",
    "levels": "行使层级",
    "target": "服务对象",
    "remark": "备注",
    "penalty": "处罚（违法行为和处罚种类）",
    "coercion": "行政强制（对象和措施）",
    "levy": "行政征收（项目和标准）",
}
REQUIRED_BY_CATEGORY = {"行政处罚": "penalty", "行政强制": "coercion", "行政征收": "levy"}


def normalise_header(text: str) -> str:
    """A header as compared: without any whitespace (full-width included)."""
    return "".join(text.replace("\u3000", " ").split())


def field_of(header: str) -> str | None:
    """Return the field a header names, or None."""
    wanted = normalise_header(header)
    for name, synonyms in spreadsheet.header_table()["fields"].items():
        if wanted in (normalise_header(s) for s in synonyms):
            return str(name)
    return None


def export_header(field_name: str) -> str:
    """The header written for ``field_name`` by export: its first synonym."""
    return str(spreadsheet.header_table()["fields"][field_name][0])


# ---------------------------------------------------------------------------- plan


@dataclass
class Planned:
    """One power that the import would write."""

    path: str  # relative to the repository root
    row: int
    data: dict[str, Any]
    status: str  # 新增 / 变更 / 未变
    old_text: str | None = None
    changes: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    root: Path
    table: spreadsheet.Table
    department: str
    codes: str
    records: dict[str, Planned] = field(default_factory=dict)
    rows_read: int = 0
    skipped: list[tuple[int, str]] = field(default_factory=list)
    unmapped: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    guesses: list[str] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)  # field → ids lacking it
    unregistered: dict[str, list[str]] = field(default_factory=dict)  # title → ids citing it
    notes: list[str] = field(default_factory=list)
    # Register laws by id, to write a record's basis as export does and see whether the sheet changed it.
    register: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return Path(self.table.path).name


def plan_import(
    root: Path, table_path: Path | str, department: str, codes: str | None = None
) -> ImportPlan:
    """Read ``table_path`` and plan the power files of ``department``; write nothing."""
    dept_file = root / layout.DEPARTMENTS / department / layout.DEPARTMENT_FILE
    if not dept_file.is_file():
        raise UsageError(
            f"部门“{department}”不存在（找不到 {layout.department_file(department)}）："
            "请检查 --department，或先建立该部门。"
        )
    config = load_config(root)
    tables = spreadsheet.header_table()["codes"]
    if codes is not None and codes not in tables:
        raise UsageError(f"未知的类别编码表“{codes}”，可选：{'、'.join(sorted(tables))}。")
    code_table = (
        {str(k): str(v) for k, v in tables[codes].items()}
        if codes
        else {c.code: c.name for c in config.categories}
    )
    table = spreadsheet.read_table(table_path)
    plan = ImportPlan(root, table, department, codes or "本站")
    if table.encoding:
        plan.notes.append(f"文字编码：{table.encoding}")
    if table.sheet:
        plan.notes.append(f"工作表：{table.sheet}（表头在第 {table.header_row} 行）")

    columns: dict[str, int] = {}
    for i, header in enumerate(table.headers):
        if not header:
            continue
        name = field_of(header)
        if name is None:
            plan.unmapped.append(header)
        elif name in columns:
            plan.unmapped.append(f"{header}（与前一列同为“{FIELD_TITLES.get(name, name)}”）")
        else:
            columns[name] = i
            if name in ("department", "seq"):
                plan.ignored.append(header)
    if "name" not in columns:
        known = "、".join(spreadsheet.header_table()["fields"]["name"])
        raise spreadsheet.TableError(
            f"{plan.where} 第 {table.header_row} 行的表头中没有职权名称列：请把该列命名为 {known} 之一。"
        )

    laws = _register(root)
    plan.register = powersheet.law_titles(root)
    existing = _existing(root, department)
    schemas = Schemas(root / layout.SCHEMA)
    rows = _merge_continuations(table, columns, plan)
    plan.rows_read = len(table.rows)
    for number, values in rows:
        record = _record(plan, number, values, columns, code_table, config.category_names, laws)
        if record is None:
            continue
        rel = layout.power_file(department, record["id"])
        if rel in plan.records:
            first = plan.records[rel].row
            plan.skipped.append(
                (number, f"与第 {first} 行的标识 {record['id']} 相同（事项编码或名称重复），未导入")
            )
            continue
        plan.records[rel] = _compare(root, rel, number, record, existing, schemas)
    return plan


def _merge_continuations(
    table: spreadsheet.Table, columns: dict[str, int], plan: ImportPlan
) -> list[tuple[int, dict[str, str]]]:
    """Rows as {field: text}; a row whose key cells are empty is appended to the row above."""
    out: list[tuple[int, dict[str, str]]] = []
    for row in table.rows:
        values = {name: row.get(i) for name, i in columns.items()}
        if all(not values.get(k, "").strip() for k in KEY_FIELDS):
            if not out:
                plan.skipped.append((row.number, "没有职权名称、编码和类别，也没有上一行可接续"))
                continue
            above = out[-1][1]
            for name, value in values.items():
                if value.strip() and value != above.get(name, ""):
                    above[name] = (above.get(name, "").rstrip() + "\n" + value.strip()).strip()
            plan.notes.append(f"第 {row.number} 行没有名称、编码和类别，已接续到第 {out[-1][0]} 行")
            continue
        out.append((row.number, values))
    return out


def _record(
    plan: ImportPlan,
    number: int,
    values: dict[str, str],
    columns: dict[str, int],
    code_table: dict[str, str],
    configured: tuple[str, ...],
    laws: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    """The power of one row, starting from its whole-record column (None: the row is
    skipped, with the reason in ``plan.skipped``)."""
    base = _whole_record(plan, number, values)
    name = _clean(values.get("name", "")) or str(base.get("name", ""))
    if not name:
        plan.skipped.append((number, "职权名称为空"))
        return None
    category = _row_category(plan, number, values, base, code_table, configured)
    if category is None:
        return None
    record = copy.deepcopy(base)
    record["name"] = name
    record["category"] = category
    for key in ("code", "subitem", "content", "handling_unit", "power_source", "remark"):
        if key in columns and values.get(key, "").strip():
            record[key] = _clean(values[key])
    if "id" not in record:
        record["id"] = power_id(plan.department, record.get("code", ""), name, category, plan)
    if "levels" in columns and values["levels"].strip():
        levels = _levels(values["levels"], number, plan)
        if levels:
            record["levels"] = levels
    if "target" in columns and values["target"].strip():
        record["target"] = _unique(
            [t for t in re.split(r"[,，、;；\n]+", _clean(values["target"])) if t.strip()]
        )
    basis = values.get("legal_basis", "")
    unchanged = base.get("legal_basis") and basis == powersheet.basis_lines(
        base["legal_basis"], plan.register
    )
    if basis.strip() and not unchanged:
        record["legal_basis"] = parse_basis(clean_basis(basis), number, record["id"], laws, plan)
    for key, parse in _PARSED.items():
        cell = values.get(key, "")
        if key not in columns or not cell.strip():
            continue
        if key in base and cell == powersheet.COLUMNS[key](base, plan.register):
            continue  # as exported: keep the value, with what the cell does not show (a note, a step)
        parsed = parse(cell, number, plan)
        if parsed:
            record[key] = parsed
    record.setdefault("disclosure", {"public": True})
    record.setdefault("status", "在用")
    _note_missing(plan, record)
    return record


def _whole_record(plan: ImportPlan, number: int, values: dict[str, str]) -> dict[str, Any]:
    """The row's whole-record column (as export writes it), or {} when it has none."""
    raw_json = values.get("record", "").strip()
    if raw_json:
        try:
            loaded = json.loads(raw_json)
        except ValueError:
            plan.notes.append(f"第 {number} 行“完整记录”列不是有效的 JSON，已忽略该列")
        else:
            if isinstance(loaded, dict):
                return loaded
    return {}


def _row_category(
    plan: ImportPlan,
    number: int,
    values: dict[str, str],
    base: dict[str, Any],
    code_table: dict[str, str],
    configured: tuple[str, ...],
) -> str | None:
    """The row's category, read through the code table (None: the row is skipped)."""
    raw_category = _clean(values.get("category", ""))
    if raw_category:
        category = _category(raw_category, code_table)
        if category is None:
            plan.skipped.append(
                (
                    number,
                    f"职权类别“{raw_category}”无法识别（编码表：{plan.codes}）：请填写类别名称，或用 --codes 指定编码表",
                )
            )
            return None
    else:
        category = str(base.get("category", ""))
        if not category:
            plan.skipped.append((number, "职权类别为空"))
            return None
    if category not in configured:
        plan.skipped.append(
            (
                number,
                f"职权类别“{category}”（表中为“{raw_category}”）不在本站 site.yaml 的类别中，未导入；"
                f"如需导入，请先在 site.yaml 的 categories 中增加该类别",
            )
        )
        return None
    return category


def _note_missing(plan: ImportPlan, record: dict[str, Any]) -> None:
    """Note the fields the record still lacks that every power (or its category) needs."""
    needed = ["content", "legal_basis"]
    if record["category"] in REQUIRED_BY_CATEGORY:
        needed.append(REQUIRED_BY_CATEGORY[record["category"]])
    for key in needed:
        if not record.get(key):
            plan.missing.setdefault(key, []).append(record["id"])


_LIMIT = re.compile(
    r"^(\d+(?:\.\d+)?)\s*个?\s*(工作日|自然日|小时|个月|月|日|天)?\s*(?:[（(](.+)[）)])?$"
)
_LIMIT_UNITS = {"工作日": "工作日", "自然日": "自然日", "小时": "小时", "个月": "月", "月": "月"}
_NUMBERED = re.compile(r"^\s*(?:\d+[、.．]|[（(]\d+[）)]|[①-⑳])\s*")
_STEP = re.compile(r"^【([a-z0-9][a-z0-9-]*)】")


def _time_limit(text: str, number: int, plan: ImportPlan) -> dict[str, Any] | None:
    """“20个工作日”, “20工作日（不含听证时间）”, “即办”; a bare number or “日/天” is taken as 工作日 and reported."""
    cell = _clean(text)
    if cell in ("即办", "即时办结", "当场办结"):
        return {"value": 0, "unit": "工作日"}
    found = _LIMIT.match(cell)
    if found is None:
        plan.notes.append(f"第 {number} 行时限“{cell}”无法识别，未导入：请写成“20个工作日”或“即办”")
        return None
    value = float(found.group(1))
    unit = _LIMIT_UNITS.get(found.group(2) or "")
    if unit is None:
        unit = "工作日"
        plan.guesses.append(
            f"第 {number} 行时限“{cell}”按工作日计（行政许可法第八十二条：期限以工作日计算）"
        )
    limit: dict[str, Any] = {"value": int(value) if value.is_integer() else value, "unit": unit}
    if found.group(3):
        limit["note"] = found.group(3)
    return limit


def _items(text: str) -> list[str]:
    """Lines or numbered items (1、 （1） ①), without their numbers."""
    parts = re.split(r"\n|[；;]\s*(?=\d+[、.．]|[（(]\d+[）)]|[①-⑳])", _clean(text))
    return [_NUMBERED.sub("", p).strip(" ；;") for p in parts if _NUMBERED.sub("", p).strip(" ；;")]


def _duties(text: str, number: int, plan: ImportPlan) -> list[dict[str, str]]:
    duties = []
    for item in _items(text):
        step = _STEP.match(item)
        duties.append(
            {"step": step.group(1), "duty": item[step.end() :].strip()} if step else {"duty": item}
        )
    return [d for d in duties if d["duty"]]


def _cases(text: str, number: int, plan: ImportPlan) -> list[str]:
    return _items(text)


# Fields parsed from a cell only when it differs from what export writes for the record.
_PARSED: dict[str, Callable[[str, int, ImportPlan], Any]] = {
    "statutory_time_limit": _time_limit,
    "committed_time_limit": _time_limit,
    "responsibilities": _duties,
    "accountability": _cases,
}


def _clean(text: str) -> str:
    """Tidy a cell: line breaks, full-width spaces, stray wrapping quotes."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u3000", " ")
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = text.strip()
    while len(text) >= 2 and (text[0], text[-1]) in (('"', '"'), ("'", "'"), ("“", "”")):
        inner = text[1:-1]
        if text[0] == "“" and inner.find("”") < inner.find("“"):
            break  # “甲”与“乙”: the quotes belong to the text
        text = inner.strip()
    if text.count('"') % 2:  # an unpaired ASCII quote at an end is a leftover of the export
        text = text.strip('"').strip()
    return re.sub(r"\n{2,}", "\n", text).strip()


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(i.strip() for i in items if i.strip()))


def _category(raw: str, code_table: dict[str, str]) -> str | None:
    value = raw.strip()
    if value in code_table:
        return code_table[value]
    names = set(code_table.values()) | set(spreadsheet.header_table()["codes"]["liaoning"].values())
    if value in names or value in ("非行政许可审批", "行政指导"):
        return value
    aliases = spreadsheet.header_table()["category_aliases"]
    if value in aliases:
        return str(aliases[value])
    return None


def _levels(raw: str, number: int, plan: ImportPlan) -> list[str]:
    codes = {str(k): str(v) for k, v in spreadsheet.header_table()["level_codes"].items()}
    aliases = {str(k): str(v) for k, v in spreadsheet.header_table()["level_aliases"].items()}
    out: list[str] = []
    for part in re.split(r"[,，、;；/\s]+", raw.strip()):
        if not part:
            continue
        if part in ("省级", "市级", "县级", "镇级"):
            out.append(part)
        elif part in codes:
            out.append(codes[part])
            plan.guesses.append(f"第 {number} 行 行使层级编码“{part}”按“{codes[part]}”导入")
        elif part in aliases:
            out.append(aliases[part])
        else:
            plan.guesses.append(f"第 {number} 行 行使层级“{part}”无法识别，已略去")
    return _unique(out)


def power_id(department: str, code: str, name: str, category: str, plan: ImportPlan) -> str:
    """A stable id: from the official code, else from the category letter and the name."""
    digits = re.sub(r"[^0-9a-z]+", "-", code.lower()).strip("-")
    if digits:
        return f"{department}-{digits}"[:80].rstrip("-")
    letter = ""
    for c in load_config(plan.root).categories:
        if c.name == category:
            letter = c.letter.lower()
    initials = re.sub(r"[^a-z0-9]", "", pinyin.initials(name).lower())[:16]
    digest = hashlib.sha1(name.encode("utf-8")).hexdigest()[:6]
    parts = [department, letter or "qt", initials, digest]
    return "-".join(p for p in parts if p)


def _register(root: Path) -> dict[str, dict[str, Any]]:
    """Register laws by normalised title and short title."""
    out: dict[str, dict[str, Any]] = {}
    folder = root / layout.LAWS
    if not folder.is_dir():
        return out
    for path in sorted(folder.glob("*.yaml")):
        source, _ = sources.read(root, path.relative_to(root).as_posix())
        if source is None or not isinstance(source.data, dict) or "id" not in source.data:
            continue
        for key in ("title", "short_title"):
            if isinstance(source.data.get(key), str):
                out.setdefault(norm_title(source.data[key]), source.data)
    return out


def clean_basis(text: str) -> str:
    """Tidy legal basis text: line breaks, full-width spaces, stray quotes, a leading ";1、"."""
    text = _clean(text)
    text = re.sub(r"^[;；,，\s]+", "", text)
    return text


def _existing(root: Path, department: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    folder = root / layout.DEPARTMENTS / department / layout.POWERS
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else []:
        rel = path.relative_to(root).as_posix()
        source, _ = sources.read(root, rel)
        out[rel] = source
    return out


def _compare(
    root: Path,
    rel: str,
    number: int,
    record: dict[str, Any],
    existing: dict[str, Any],
    schemas: Schemas,
) -> Planned:
    source = existing.get(rel)
    if source is None or not isinstance(source.data, dict):
        return Planned(rel, number, fmt.prune(record), "新增")
    old = fmt.prune(source.data)
    merged = fmt.prune({**old, **record})
    changes = []
    for key in list(merged) + [k for k in old if k not in merged]:
        if old.get(key) != merged.get(key):
            changes.append(
                f"{key}（{FIELD_TITLES.get(key, key)}）：{_short(old.get(key))} → {_short(merged.get(key))}"
            )
    return Planned(rel, number, merged, "变更" if changes else "未变", source.text, changes)


def _short(value: Any) -> str:
    if value is None:
        return "（无）"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " ")
    return text if len(text) <= 40 else text[:39] + "…"


def apply(plan: ImportPlan, update: bool) -> list[str]:
    """Write new powers (and, with ``update``, changed ones); return the paths written."""
    schemas = Schemas(plan.root / layout.SCHEMA)
    written = []
    for rel, item in sorted(plan.records.items()):
        if item.status == "未变" or (item.status == "变更" and not update):
            continue
        text = fmt.canonical_text(item.old_text or "", item.data, "power", rel, schemas)
        path = plan.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(rel)
    return written


def report_lines(plan: ImportPlan, write: bool, update: bool) -> list[str]:
    """The Chinese report of a plan, for the CLI to print."""
    counts = {
        s: sum(1 for r in plan.records.values() if r.status == s) for s in ("新增", "变更", "未变")
    }
    lines = [f"导入 {plan.where}（部门 {plan.department}，类别编码表：{plan.codes}）"]
    lines += [f"  {n}" for n in plan.notes]
    lines.append(
        f"读取数据行 {plan.rows_read} 行；职权：新增 {counts['新增']} 项，变更 {counts['变更']} 项，"
        f"未变 {counts['未变']} 项；跳过 {len(plan.skipped)} 行。"
    )
    if plan.unmapped:
        lines.append(
            "无法识别的列（未导入；如需导入，请在 site_builder/tools/import_headers.yaml 中增加同义词）："
        )
        lines += [f"  {h}" for h in plan.unmapped]
    if plan.ignored:
        lines.append(f"已识别但不导入的列：{'、'.join(plan.ignored)}（部门由 --department 指定）")
    if plan.skipped:
        lines.append("跳过的行：")
        lines += [f"  第 {n} 行：{reason}" for n, reason in plan.skipped]
    for rel, item in sorted(plan.records.items()):
        if item.status == "新增":
            lines.append(f"新增：{rel}（第 {item.row} 行）")
        elif item.status == "变更":
            verb = "更新" if update else "已存在且内容不同（加 --update 才会更新）"
            lines.append(f"{verb}：{rel}（第 {item.row} 行）")
            lines += [f"  {c}" for c in item.changes]
    if plan.guesses:
        lines.append("推断的值（请核对）：")
        lines += [f"  {g}" for g in plan.guesses]
    if plan.unregistered:
        lines.append("法规登记簿 data/laws/ 中没有的依据（已按名称导入；登记后可改为 law: 标识）：")
        lines += [f"  《{t}》（{len(ids)} 项职权）" for t, ids in sorted(plan.unregistered.items())]
    if plan.missing:
        lines.append("表中缺少的必填内容（导入后 validate 会报错，请补填）：")
        for key, ids in sorted(plan.missing.items()):
            lines.append(f"  {key}（{FIELD_TITLES.get(key, key)}）：{len(ids)} 项，如 {ids[0]}")
    if not write:
        lines.append("未写入任何文件：核对无误后加 --write 写入。")
    return lines
