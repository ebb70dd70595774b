"""The column table: every table of the open-data downloads, defined once.

Each table has its columns, how each value is read from a record, and for schema
fields the path of the field in the JSON Schemas, from which the column's Chinese
title and description are taken. The CSV files, the Excel edition, the data
dictionary and the Table Schemas of ``datapackage.json`` are all written from this
one definition, so they cannot drift apart.

The module is longer than most (about 600 lines) because ``TABLES``, the declaration of
every table and column, is about 230 lines of data that read best in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from site_builder.reading.model import Record, resolve_flow
from site_builder.reading.schemas import FieldTitles
from site_builder.structure import urls
from site_builder.structure.pages import Site

Cell = str | int | float | None

LIST_SEPARATOR = "、"


# --- the column table --------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a table.

    ``field`` is the dotted path of a schema field (``power.statutory_time_limit.value``;
    arrays are stepped into): the title and description come from the schemas. Derived
    columns have no ``field`` and give ``title`` and ``description`` themselves.
    ``depth`` is how many trailing path segments name the column (“法定时限·数值”);
    ``note`` is added to a schema description.
    """

    name: str
    get: Callable[[Any], Cell]
    field: str = ""
    type: str = "string"  # a Table Schema type: string, integer, number, date
    title: str = ""
    description: str = ""
    note: str = ""
    depth: int = 1


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A CSV table (and a sheet of the Excel edition): what a row is, its columns and keys."""

    name: str  # resource name in datapackage.json
    sheet: str  # Chinese sheet name in the Excel edition
    title: str
    row: str  # what one row is
    columns: tuple[Column, ...]
    rows: Callable[[Site], Iterable[Any]]
    primary_key: tuple[str, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def path(self) -> str:
        return urls.table(self.name)


@dataclass(frozen=True)
class ColumnDoc:
    """A column with its Chinese title and description resolved from the schemas."""

    name: str
    type: str
    title: str
    description: str
    field: str


def _get(*keys: str | int) -> Callable[[Any], Cell]:
    """Read a nested value from a dict (a record's data or a list item)."""

    def read(row: Any) -> Cell:
        value: Any = row if isinstance(row, dict) else row.data
        for key in keys:
            if isinstance(value, dict):
                value = value.get(str(key))
            else:
                return None
        return _cell(value)

    return read


def _cell(value: Any) -> Cell:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() else float(value)
    if isinstance(value, list):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)


# Rows of the long tables: the power they belong to, their position and the item itself.
@dataclass(frozen=True)
class Item:
    power: str
    seq: int
    data: dict[str, Any]
    seq2: int = 0
    parent: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _basis_rows(site: Site) -> list[Item]:
    rows = []
    for p in site.powers:
        for i, basis in enumerate(p.data["legal_basis"], 1):
            law = site.ds.laws.get(basis.get("law", ""))
            title = basis.get("title") or (law.data["title"] if law else "")
            number = basis.get("doc_number") or (law.data.get("doc_number", "") if law else "")
            rows.append(Item(p.id, i, basis, extra={"title": title, "doc_number": number}))
    return rows


def _branches(step: dict[str, Any]) -> str:
    parts = []
    for b in step.get("branches", []):
        where = b.get("to") or b.get("outcome") or ""
        parts.append(f"{b.get('label', '')}→{where}")
    return "；".join(parts)


def _step_rows(site: Site) -> list[Item]:
    rows = []
    for p in site.powers:
        for i, step in enumerate(resolve_flow(p.data, site.ds.flows), 1):
            rows.append(Item(p.id, i, step, extra={"branches": _branches(step)}))
    return rows


def _discretion_rows(site: Site) -> list[Item]:
    rows = []
    for p in site.powers:
        for i, item in enumerate(p.data.get("discretion", []), 1):
            for j, tier in enumerate(item.get("tiers", []), 1):
                rows.append(Item(p.id, i, tier, seq2=j, parent=item))
    return rows


def _risk_rows(site: Site) -> list[Item]:
    return [
        Item(p.id, i, risk)
        for p in site.powers
        for i, risk in enumerate(p.data.get("integrity_risks", []), 1)
    ]


def _law_ids(p: Record) -> Cell:
    ids = sorted({b["law"] for b in p.data["legal_basis"] if "law" in b})
    return _cell(ids)


POWER_ID = Column(
    "power_id",
    lambda r: r.power,
    title="职权标识",
    description="所属职权的标识，对应 powers.csv 的 id。",
)
SEQ = Column(
    "seq",
    lambda r: r.seq,
    type="integer",
    title="序号",
    description="在本职权中的顺序，从 1 开始。",
)


def _power_columns() -> tuple[Column, ...]:
    return (
        Column("id", lambda p: p.id, "power.id"),
        Column("code", _get("code"), "power.code"),
        Column("name", _get("name"), "power.name"),
        Column("subitem", _get("subitem"), "power.subitem"),
        Column("category", _get("category"), "power.category"),
        *_department_columns(),
        Column("content", _get("content"), "power.content"),
        Column("handling_unit", _get("handling_unit"), "power.handling_unit"),
        Column("power_source", _get("power_source"), "power.power_source"),
        Column("levels", _get("levels"), "power.levels", note="多个取值以“、”分隔。"),
        Column("target", _get("target"), "power.target", note="多个取值以“、”分隔。"),
        *_time_limit_columns("statutory_time_limit"),
        *_time_limit_columns("committed_time_limit"),
        Column("status", _get("status"), "power.status"),
        Column("adjustment_action", _get("adjustment", "action"), "power.adjustment.action"),
        Column("adjustment_date", _get("adjustment", "date"), "power.adjustment.date", type="date"),
        Column("effective_from", _get("effective_from"), "power.effective_from", type="date"),
        Column("effective_to", _get("effective_to"), "power.effective_to", type="date"),
        Column("flow_ref", _get("flow", "ref"), "power.flow.ref", depth=2),
        *_legal_basis_columns(),
        Column("remark", _get("remark"), "power.remark"),
    )


def _department_columns() -> tuple[Column, ...]:
    """A power's department, its name and its jurisdiction (from the department's record)."""
    return (
        Column(
            "department",
            lambda p: p.department,
            title="实施部门",
            description="实施本职权的部门的标识（部门文件夹名），对应 departments.csv 的 id。",
        ),
        Column(
            "department_name",
            lambda r: r.department_name,
            title="实施部门名称",
            description="实施本职权的部门的全称。",
        ),
        Column(
            "jurisdiction",
            lambda r: r.jurisdiction,
            "department.jurisdiction",
            note="取实施部门所属的行政区域，对应 jurisdictions.csv 的 id。",
        ),
    )


def _time_limit_columns(key: str) -> tuple[Column, ...]:
    """A time limit of a power (``key``) as two columns: its value and its unit."""
    return (
        Column(f"{key}_value", _get(key, "value"), f"power.{key}.value", type="number", depth=2),
        Column(f"{key}_unit", _get(key, "unit"), f"power.{key}.unit", depth=2),
    )


def _legal_basis_columns() -> tuple[Column, ...]:
    """A summary of a power's legal basis: how many entries, which laws (each in legal_basis.csv)."""
    return (
        Column(
            "legal_basis_count",
            lambda p: len(p.data["legal_basis"]),
            type="integer",
            title="法律依据条数",
            description="本职权的法律依据条数，逐条见 legal_basis.csv。",
        ),
        Column(
            "law_ids",
            _law_ids,
            title="引用的法律法规",
            description="法律依据引用的登记簿标识（对应 laws.csv 的 id），按标识排序，以“、”分隔。",
        ),
    )


@dataclass(frozen=True)
class PowerRow:
    """A power with what its row needs from its department."""

    record: Record
    department_name: str
    jurisdiction: str

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def department(self) -> str:
        return self.record.department

    @property
    def data(self) -> dict[str, Any]:
        return self.record.data


def _power_table_rows(site: Site) -> list[PowerRow]:
    rows = []
    for p in site.powers:
        dept = site.ds.departments[p.department].data
        rows.append(PowerRow(p, dept["name"], dept["jurisdiction"]))
    return rows


def _change_columns() -> tuple[Column, ...]:
    def text(name: str, title: str, description: str, get: Callable[[Any], Cell]) -> Column:
        return Column(name, get, title=title, description=description)

    return (
        Column(
            "date",
            lambda r: r[0].date,
            type="date",
            title="日期",
            description="修改合并（发布）的日期。",
        ),
        text("commit", "提交", "发布该修改的 git 提交的完整标识。", lambda r: r[0].commit),
        Column(
            "pull_request",
            lambda r: r[0].pr,
            type="integer",
            title="合并请求编号",
            description="该修改所属合并请求（pull request）的编号；直接提交的为空。",
        ),
        text("change", "修改类型", "新增、修改、取消或删除等。", lambda r: r[0].kind),
        text(
            "record_type",
            "记录类型",
            "power（职权）、department（部门）、law（法律法规）或 flow（标准流程）。",
            lambda r: r[0].record[0],
        ),
        text("record_id", "记录标识", "被修改记录的标识。", lambda r: r[0].record[1]),
        text("name", "名称", "记录修改后（删除时为删除前）的名称。", lambda r: r[0].name),
        text("department", "所属部门", "修改时记录所属部门的标识。", lambda r: r[1]),
        text("fields", "修改的字段", "修改的字段的中文名称，以“；”分隔。", lambda r: r[2]),
        text("note", "修改说明", "修改说明（合并请求的标题）。", lambda r: r[0].title),
        text("author", "提交人", "提出修改的人。", lambda r: r[0].author),
    )


def _change_rows(site: Site) -> list[tuple[Any, str, str]]:
    rows = []
    for c in site.changes:
        titles = site.field_titles(c.record[0])
        fields = "；".join(
            titles.get(f.field, "所属部门" if f.field == "department" else f.field)
            for f in c.fields
        )
        rows.append((c, site.change_department(c), fields))
    return rows


def department_rows(site: Site) -> list[Record]:
    return sorted(site.ds.departments.values(), key=lambda d: d.id)


def law_rows(site: Site) -> list[Record]:
    return sorted(site.ds.laws.values(), key=lambda law: law.id)


def jurisdiction_rows(site: Site) -> list[dict[str, Any]]:
    return list(site.ds.jurisdictions.values())


TABLES: tuple[Table, ...] = (
    Table(
        "powers",
        "职权",
        "行政职权",
        "一项公开的行政职权",
        _power_columns(),
        _power_table_rows,
        ("id",),
        (
            ForeignKey(("department",), "departments", ("id",)),
            ForeignKey(("jurisdiction",), "jurisdictions", ("id",)),
        ),
    ),
    Table(
        "legal_basis",
        "法律依据",
        "法律依据",
        "一项职权的一条法律依据",
        (
            POWER_ID,
            SEQ,
            Column("kind", _get("kind"), "power.legal_basis.kind"),
            Column(
                "law_id",
                _get("law"),
                "power.legal_basis.law",
                note="对应 laws.csv 的 id；登记簿中没有的依据为空。",
            ),
            Column(
                "title",
                lambda r: _cell(r.extra["title"]),
                "power.legal_basis.title",
                note="省略时取登记簿中的名称。",
            ),
            Column(
                "doc_number",
                lambda r: _cell(r.extra["doc_number"]),
                "power.legal_basis.doc_number",
                note="省略时取登记簿中的文号。",
            ),
            Column("article", _get("article"), "power.legal_basis.article"),
            Column("text", _get("text"), "power.legal_basis.text"),
        ),
        _basis_rows,
        ("power_id", "seq"),
        (
            ForeignKey(("power_id",), "powers", ("id",)),
            ForeignKey(("law_id",), "laws", ("id",)),
        ),
    ),
    Table(
        "flow_steps",
        "运行流程",
        "运行流程环节",
        "一项职权运行流程中的一个环节（标准流程与本职权的环节合并之后）",
        (
            POWER_ID,
            SEQ,
            Column("step_id", _get("id"), "flow.steps.id"),
            Column("name", _get("name"), "flow.steps.name"),
            Column("unit", _get("unit"), "flow.steps.unit"),
            Column(
                "time_limit_value",
                _get("time_limit", "value"),
                "flow.steps.time_limit.value",
                type="number",
                depth=2,
            ),
            Column(
                "time_limit_unit",
                _get("time_limit", "unit"),
                "flow.steps.time_limit.unit",
                depth=2,
            ),
            Column("description", _get("description"), "flow.steps.description"),
            Column("outputs", _get("outputs"), "flow.steps.outputs", note="多项以“、”分隔。"),
            Column("next", _get("next"), "flow.steps.next"),
            Column(
                "branches",
                lambda r: _cell(r.extra["branches"]),
                "flow.steps.branches",
                note="每个分支写作“分支条件→去向环节或结果”，多个分支以“；”分隔。",
            ),
        ),
        _step_rows,
        ("power_id", "seq"),
        (ForeignKey(("power_id",), "powers", ("id",)),),
    ),
    Table(
        "discretion",
        "裁量基准",
        "行政处罚自由裁量基准",
        "一项职权的一个违法行为的一个裁量阶次",
        (
            POWER_ID,
            Column(
                "item_seq",
                lambda r: r.seq,
                type="integer",
                title="违法行为序号",
                description="违法行为在本职权裁量基准中的顺序，从 1 开始。",
            ),
            Column(
                "violation",
                lambda r: _cell(r.parent.get("violation")),
                "power.discretion.violation",
            ),
            Column("basis", lambda r: _cell(r.parent.get("basis")), "power.discretion.basis"),
            Column(
                "tier_seq",
                lambda r: r.seq2,
                type="integer",
                title="阶次序号",
                description="裁量阶次在该违法行为中的顺序，由轻到重，从 1 开始。",
            ),
            Column("level", _get("level"), "power.discretion.tiers.level"),
            Column(
                "circumstances",
                _get("circumstances"),
                "power.discretion.tiers.circumstances",
                note="多项以“、”分隔。",
            ),
            Column("standard", _get("standard"), "power.discretion.tiers.standard"),
        ),
        _discretion_rows,
        ("power_id", "item_seq", "tier_seq"),
        (ForeignKey(("power_id",), "powers", ("id",)),),
    ),
    Table(
        "integrity_risks",
        "廉政风险",
        "廉政风险点及防控措施",
        "一项职权的一个廉政风险点",
        (
            POWER_ID,
            SEQ,
            Column("step", _get("step"), "power.integrity_risks.step"),
            Column("risk", _get("risk"), "power.integrity_risks.risk"),
            Column("level", _get("level"), "power.integrity_risks.level"),
            Column(
                "measures",
                _get("measures"),
                "power.integrity_risks.measures",
                note="多项以“、”分隔。",
            ),
        ),
        _risk_rows,
        ("power_id", "seq"),
        (ForeignKey(("power_id",), "powers", ("id",)),),
    ),
    Table(
        "departments",
        "部门",
        "部门",
        "一个部门",
        (
            Column("id", lambda d: d.id, "department.id"),
            Column("name", _get("name"), "department.name"),
            Column("short_name", _get("short_name"), "department.short_name"),
            Column("aliases", _get("aliases"), "department.aliases", note="多个以“、”分隔。"),
            Column("jurisdiction", _get("jurisdiction"), "department.jurisdiction"),
            Column("kind", _get("kind"), "department.kind"),
            Column("parent", _get("parent"), "department.parent"),
            Column("address", _get("address"), "department.address"),
            Column("phone", _get("phone"), "department.phone"),
            Column("office_hours", _get("office_hours"), "department.office_hours"),
            Column("website", _get("website"), "department.website"),
        ),
        department_rows,
        ("id",),
        (ForeignKey(("jurisdiction",), "jurisdictions", ("id",)),),
    ),
    Table(
        "laws",
        "法律法规",
        "法律法规登记簿",
        "登记簿中的一部法律、法规、规章或文件",
        (
            Column("id", lambda law: law.id, "law.id"),
            Column("title", _get("title"), "law.title"),
            Column("short_title", _get("short_title"), "law.short_title"),
            Column("kind", _get("kind"), "law.kind"),
            Column("issuer", _get("issuer"), "law.issuer"),
            Column("doc_number", _get("doc_number"), "law.doc_number"),
            Column("promulgated", _get("promulgated"), "law.promulgated", type="date"),
            Column("effective", _get("effective"), "law.effective", type="date"),
            Column("status", _get("status"), "law.status"),
            Column("repealed", _get("repealed"), "law.repealed", type="date"),
            Column("replaced_by", _get("replaced_by"), "law.replaced_by"),
            Column("url", _get("url"), "law.url"),
        ),
        law_rows,
        ("id",),
        (ForeignKey(("replaced_by",), "laws", ("id",)),),
    ),
    Table(
        "jurisdictions",
        "行政区域",
        "行政区域",
        "一个行政区域（市本级、县区或功能区）",
        (
            Column("id", _get("id"), "jurisdictions.jurisdictions.id"),
            Column("name", _get("name"), "jurisdictions.jurisdictions.name"),
            Column("full_name", _get("full_name"), "jurisdictions.jurisdictions.full_name"),
            Column("kind", _get("kind"), "jurisdictions.jurisdictions.kind"),
            Column("area_code", _get("area_code"), "jurisdictions.jurisdictions.area_code"),
            Column("parent", _get("parent"), "jurisdictions.jurisdictions.parent"),
            Column("government", _get("government"), "jurisdictions.jurisdictions.government"),
        ),
        jurisdiction_rows,
        ("id",),
    ),
    Table(
        "changes",
        "修改记录",
        "修改记录",
        "一次发布的提交对一条记录的修改（最新的在前）",
        _change_columns(),
        _change_rows,
    ),
)


# --- schema titles -------------------------------------------------------------------


def _describe(titles: FieldTitles, column: Column) -> ColumnDoc:
    """The column's documentation: its own words, or the titles along its schema field."""
    if not column.field:
        return ColumnDoc(column.name, column.type, column.title, column.description, "")
    texts = titles.trail(column.field)
    named = texts[-column.depth :]
    title = column.title or "·".join(t.title for t in named)
    leaf = texts[-1].description
    if column.depth > 1:
        leaf = f"{texts[-2].title}：{leaf}"
    description = column.description or "".join(x for x in (leaf, column.note) if x)
    return ColumnDoc(column.name, column.type, title, description, column.field)


def dictionary(site: Site) -> dict[str, list[ColumnDoc]]:
    """Every table's columns with their Chinese titles and descriptions."""
    titles = FieldTitles.from_files(site.ds.files)
    return {t.name: [_describe(titles, c) for c in t.columns] for t in TABLES}
