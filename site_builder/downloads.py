"""Open-data files under ``data/`` in the site, and the pages that list and describe them.

Every table is defined once, in ``TABLES``: its columns, how each value is read from
a record, and for schema fields the path of the field in the JSON Schemas, from which
the column's Chinese title and description are taken. The CSV files, the Excel
edition, the data dictionary and the Table Schemas of ``datapackage.json`` are all
written from that one definition, so they cannot drift apart.

Non-public powers are in no file: not their records, not their YAML sources, and
references to them from public powers are removed. Everything is reproducible: rows
and keys are sorted, and the zip and xlsx files carry fixed timestamps (the source
commit's time, or SOURCE_DATE_EPOCH), never the clock.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from site_builder import datapackage, render
from site_builder.model import Record, resolve_flow
from site_builder.pages import Page, Site

Cell = str | int | float | None

DATA = "data"
LIST_SEPARATOR = "、"
ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a zip entry can carry


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
        return f"{DATA}/{self.name}.csv"


@dataclass(frozen=True)
class ColumnDoc:
    """A column with its Chinese title and description resolved from the schemas."""

    name: str
    type: str
    title: str
    description: str
    field: str


@dataclass(frozen=True)
class DownloadFile:
    """One file of the downloads, as the page and the data package describe it."""

    path: str  # from the site root
    format: str
    mediatype: str
    title: str
    row: str
    table: Table | None = None
    group: str = ""
    size: int = 0
    extra: dict[str, str] = field(default_factory=dict)


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
        Column("content", _get("content"), "power.content"),
        Column("handling_unit", _get("handling_unit"), "power.handling_unit"),
        Column("power_source", _get("power_source"), "power.power_source"),
        Column("levels", _get("levels"), "power.levels", note="多个取值以“、”分隔。"),
        Column("target", _get("target"), "power.target", note="多个取值以“、”分隔。"),
        Column(
            "statutory_time_limit_value",
            _get("statutory_time_limit", "value"),
            "power.statutory_time_limit.value",
            type="number",
            depth=2,
        ),
        Column(
            "statutory_time_limit_unit",
            _get("statutory_time_limit", "unit"),
            "power.statutory_time_limit.unit",
            depth=2,
        ),
        Column(
            "committed_time_limit_value",
            _get("committed_time_limit", "value"),
            "power.committed_time_limit.value",
            type="number",
            depth=2,
        ),
        Column(
            "committed_time_limit_unit",
            _get("committed_time_limit", "unit"),
            "power.committed_time_limit.unit",
            depth=2,
        ),
        Column("status", _get("status"), "power.status"),
        Column("adjustment_action", _get("adjustment", "action"), "power.adjustment.action"),
        Column("adjustment_date", _get("adjustment", "date"), "power.adjustment.date", type="date"),
        Column("effective_from", _get("effective_from"), "power.effective_from", type="date"),
        Column("effective_to", _get("effective_to"), "power.effective_to", type="date"),
        Column(
            "flow_ref",
            _get("flow", "ref"),
            "power.flow.ref",
            depth=2,
        ),
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
        Column("remark", _get("remark"), "power.remark"),
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
        titles = site.ds.field_titles.get(c.record[0], {})
        fields = "；".join(
            titles.get(f.field, "所属部门" if f.field == "department" else f.field)
            for f in c.fields
        )
        rows.append((c, site.change_department(c), fields))
    return rows


def _department_rows(site: Site) -> list[Record]:
    return sorted(site.ds.departments.values(), key=lambda d: d.id)


def _law_rows(site: Site) -> list[Record]:
    return sorted(site.ds.laws.values(), key=lambda law: law.id)


def _jurisdiction_rows(site: Site) -> list[dict[str, Any]]:
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
        _department_rows,
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
        _law_rows,
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
        _jurisdiction_rows,
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


class SchemaTitles:
    """Titles and descriptions of schema fields, following ``$ref`` across the schema files."""

    def __init__(self, schema_dir: Path) -> None:
        self.docs: dict[str, dict[str, Any]] = {
            p.name: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(schema_dir.glob("*.schema.json"))
        }

    def _deref(self, node: dict[str, Any], doc: str) -> tuple[dict[str, Any], str]:
        while "$ref" in node:
            target, _, pointer = node["$ref"].partition("#")
            doc = target or doc
            node = self.docs[doc]
            for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
                node = node[part]
        return node, doc

    def trail(self, dotted: str) -> list[dict[str, Any]]:
        """The schema nodes along ``kind.field.field…``, each before and after ``$ref``."""
        kind, *path = dotted.split(".")
        doc = f"{kind}.schema.json"
        node = self.docs[doc]
        nodes = []
        for part in path:
            resolved, doc = self._deref(node, doc)
            while resolved.get("type") == "array" and "items" in resolved:
                resolved, doc = self._deref(resolved["items"], doc)
            node = resolved["properties"][part]
            target, _ = self._deref(node, doc)
            nodes.append({**target, **{k: v for k, v in node.items() if k != "$ref"}})
        return nodes

    def describe(self, column: Column) -> ColumnDoc:
        if not column.field:
            return ColumnDoc(column.name, column.type, column.title, column.description, "")
        nodes = self.trail(column.field)
        named = nodes[-column.depth :]
        title = column.title or "·".join(str(n.get("title", "")) for n in named)
        leaf = str(nodes[-1].get("description", ""))
        if column.depth > 1:
            leaf = f"{nodes[-2].get('title', '')}：{leaf}"
        description = column.description or "".join(x for x in (leaf, column.note) if x)
        return ColumnDoc(column.name, column.type, title, description, column.field)


def dictionary(site: Site) -> dict[str, list[ColumnDoc]]:
    """Every table's columns with their Chinese titles and descriptions."""
    titles = SchemaTitles(site.ds.root / "schema")
    return {t.name: [titles.describe(c) for c in t.columns] for t in TABLES}


# --- writers -------------------------------------------------------------------------


def table_rows(site: Site, table: Table) -> list[list[Cell]]:
    return [[c.get(row) for c in table.columns] for row in table.rows(site)]


def _text(value: Cell) -> str:
    return "" if value is None else str(value)


def csv_bytes(table: Table, rows: list[list[Cell]]) -> bytes:
    """UTF-8 without BOM, ``\\n`` line ends, a header of column names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    for row in rows:
        writer.writerow([_text(v) for v in row])
    return out.getvalue().encode("utf-8")


def changes_csv(site: Site) -> bytes:
    """Every published change, newest first: UTF-8, no BOM, one row per record changed by a commit."""
    table = next(t for t in TABLES if t.name == "changes")
    return csv_bytes(table, table_rows(site, table))


def json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=2) + "\n").encode("utf-8")


def public_data(site: Site, p: Record) -> dict[str, Any]:
    """A public power's record as in its YAML, plus its department, without references to
    non-public powers."""
    data = copy.deepcopy(p.data)
    for rel in data.get("related_departments", []):
        if rel.get("power") and rel["power"] not in site.public_ids:
            del rel["power"]
    adjustment = data.get("adjustment") or {}
    if adjustment.get("target_power") and adjustment["target_power"] not in site.public_ids:
        del adjustment["target_power"]
    data["department"] = p.department
    return data


def json_files(site: Site) -> dict[str, bytes]:
    powers = {p.id: public_data(site, p) for p in site.powers}
    files = {
        f"{DATA}/powers.json": json_bytes([powers[pid] for pid in sorted(powers)]),
        f"{DATA}/departments.json": json_bytes([d.data for d in _department_rows(site)]),
        f"{DATA}/laws.json": json_bytes([law.data for law in _law_rows(site)]),
        f"{DATA}/jurisdictions.json": json_bytes(_jurisdiction_rows(site)),
    }
    for dept in _department_rows(site):
        own = [powers[p.id] for p in site.by_department[dept.id]]
        files[f"{DATA}/departments/{dept.id}.json"] = json_bytes({**dept.data, "powers": own})
    for pid, data in powers.items():
        files[f"{DATA}/powers/{pid}.json"] = json_bytes(data)
    return files


def build_time(site: Site) -> datetime:
    """The time the files stand for: the source commit's time, or 1980-01-01."""
    if site.time is None:
        return ZIP_EPOCH
    return max(datetime.fromtimestamp(site.time, tz=UTC), ZIP_EPOCH)


def zip_bytes(entries: dict[str, bytes], when: datetime) -> bytes:
    """A reproducible zip: sorted entries, one fixed timestamp, fixed permissions, no extra fields."""
    stamp = when.astimezone(UTC).timetuple()[:6]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that the permissions below are read
            info.external_attr = (0o100644 & 0xFFFF) << 16
            archive.writestr(info, entries[name], compresslevel=9)
    return out.getvalue()


def _source_text(site: Site, record: Record) -> bytes:
    """A record's YAML source; rewritten without references when it names a non-public power."""
    raw = (site.ds.root / record.path).read_bytes()
    if record.kind != "power":
        return raw
    scrubbed = public_data(site, record)
    del scrubbed["department"]
    if scrubbed == record.data:
        return raw
    from site_builder import sources

    head = "\n".join(_leading_comments(site.ds.texts.get(record.path, "")))
    return ((head + "\n" if head else "") + sources.dump(scrubbed)).encode("utf-8")


def _leading_comments(text: str) -> list[str]:
    lines = []
    for line in text.lstrip("\ufeff").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.rstrip())
    return lines


def source_entries(site: Site) -> dict[str, bytes]:
    """The repository's public sources: site.yaml, schema/ and data/ without non-public powers."""
    root = site.ds.root
    entries = {"site.yaml": (root / "site.yaml").read_bytes()}
    for path in sorted((root / "schema").glob("*.schema.json")):
        entries[f"schema/{path.name}"] = path.read_bytes()
    if "data/jurisdictions.yaml" in site.ds.texts:
        entries["data/jurisdictions.yaml"] = (root / "data/jurisdictions.yaml").read_bytes()
    for records in (site.ds.laws, site.ds.flows, site.ds.departments):
        for record in records.values():
            entries[record.path] = _source_text(site, record)
    for p in site.powers:
        entries[p.path] = _source_text(site, p)
    return entries


def zip_files(site: Site) -> dict[str, bytes]:
    when = build_time(site)
    entries = source_entries(site)
    files = {f"{DATA}/sources.zip": zip_bytes(entries, when)}
    for dept in _department_rows(site):
        folder = f"data/departments/{dept.id}/"
        own = {k: v for k, v in entries.items() if k.startswith(folder)}
        files[f"{DATA}/departments/{dept.id}.zip"] = zip_bytes(own, when)
    return files


def schema_files(site: Site) -> dict[str, bytes]:
    """The JSON Schemas at stable addresses, with ``$id`` absolute when base_url is set."""
    base = str(site.config.raw.get("base_url") or "").rstrip("/")
    files = {}
    for path in sorted((site.ds.root / "schema").glob("*.schema.json")):
        raw = path.read_bytes()
        if base:
            doc = json.loads(raw)
            doc["$id"] = f"{base}/schema/{path.name}"
            raw = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        files[f"schema/{path.name}"] = raw
    return files


def xlsx_bytes(site: Site, tables: dict[str, list[list[Cell]]]) -> bytes:
    """The Excel edition: one sheet per table, a Chinese header row, frozen, reproducible."""
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Font  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped, unused-ignore]

    docs = dictionary(site)
    book = Workbook()
    book.remove(book.worksheets[0])
    for table in TABLES:
        sheet = book.create_sheet(table.sheet)
        columns = docs[table.name]
        sheet.append([c.title for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        widths = [_width(c.title) for c in columns]
        for row in tables[table.name]:
            values: list[Cell] = [
                ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row
            ]
            sheet.append(values)
            for i, v in enumerate(values):
                if isinstance(v, str) and v.startswith("="):
                    sheet.cell(sheet.max_row, i + 1).data_type = "s"  # text, not a formula
                widths[i] = max(widths[i], _width(_text(v)))
        for i, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)
        sheet.freeze_panes = "A2"
    when = build_time(site).replace(tzinfo=None)
    book.properties.creator = str(site.config.raw.get("publisher") or site.config.title)
    book.properties.title = f"{site.config.title}（Excel 版）"
    book.properties.created = when
    book.properties.modified = when
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED)
    ExcelWriter(book, archive).save()  # save_workbook() would stamp the clock
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as written:
        entries = {name: written.read(name) for name in written.namelist()}
    return zip_bytes(entries, build_time(site))


def _width(text: str) -> int:
    longest = max((line for line in text.splitlines()), key=len, default="")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


# --- the catalogue, the pages and the files --------------------------------------------

FORMATS = {
    "csv": "text/csv",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "zip": "application/zip",
}


def catalogue(site: Site) -> list[DownloadFile]:
    """Every download, in the order the page lists them."""
    found: list[DownloadFile] = []

    def add(path: str, title: str, row: str, group: str, table: Table | None = None) -> None:
        fmt = path.rsplit(".", 1)[1]
        found.append(DownloadFile(path, fmt, FORMATS[fmt], title, row, table, group))

    for table in TABLES:
        add(table.path, table.title, table.row, "csv", table)
    add(f"{DATA}/powers.xlsx", "全部表格（Excel 版）", "每个工作表对应一个 CSV 表格", "xlsx")
    add(f"{DATA}/powers.json", "全部公开职权", "数组中的一项是一项职权的完整记录", "json")
    add(f"{DATA}/departments.json", "部门", "数组中的一项是一个部门", "json")
    add(f"{DATA}/laws.json", "法律法规登记簿", "数组中的一项是一部法律法规", "json")
    add(f"{DATA}/jurisdictions.json", "行政区域", "数组中的一项是一个行政区域", "json")
    add(
        f"{DATA}/sources.zip",
        "YAML 源文件",
        "site.yaml、schema/ 和 data/ 中的公开文件",
        "zip",
    )
    for dept in _department_rows(site):
        name = dept.data["name"]
        add(
            f"{DATA}/departments/{dept.id}.json",
            f"{name}（部门及其公开职权）",
            "部门记录，powers 中的一项是一项职权",
            "department",
        )
        add(
            f"{DATA}/departments/{dept.id}.zip",
            f"{name}（YAML 源文件）",
            "该部门文件夹中的公开文件",
            "department",
        )
    for p in site.powers:
        add(f"{DATA}/powers/{p.id}.json", p.name, "一项职权的完整记录", "power")
    return found


def data_files(site: Site) -> tuple[dict[str, bytes], list[DownloadFile]]:
    """The data files and their catalogue, with sizes."""
    rows = {t.name: table_rows(site, t) for t in TABLES}
    files = {t.path: csv_bytes(t, rows[t.name]) for t in TABLES}
    files |= json_files(site)
    files |= zip_files(site)
    files[f"{DATA}/powers.xlsx"] = xlsx_bytes(site, rows)
    listed = [
        DownloadFile(
            f.path, f.format, f.mediatype, f.title, f.row, f.table, f.group, len(files[f.path])
        )
        for f in catalogue(site)
    ]
    assert sorted(f.path for f in listed) == sorted(files), "每个下载文件都应在目录中"
    return files, listed


def download_pages(
    site: Site, listed: list[DownloadFile], package: DownloadFile, schemas: dict[str, bytes]
) -> list[Page]:
    groups: dict[str, list[DownloadFile]] = {}
    for f in listed:
        groups.setdefault(f.group, []).append(f)
    departments = [
        (
            dept,
            next(f for f in listed if f.path == f"{DATA}/departments/{dept.id}.json"),
            next(f for f in listed if f.path == f"{DATA}/departments/{dept.id}.zip"),
            [
                f
                for f in listed
                if f.group == "power"
                and site.ds.powers[f.path.rsplit("/", 1)[1][:-5]].department == dept.id
            ],
        )
        for dept in site.departments
    ]
    context = {
        "groups": groups,
        "departments": departments,
        "package": package,
        "schemas": sorted((path, len(data)) for path, data in schemas.items()),
        "tables": TABLES,
        "docs": dictionary(site),
        "base_url": str(site.config.raw.get("base_url") or "").rstrip("/"),
    }
    return [
        Page("downloads/index.html", "downloads.html", context),
        Page("downloads/dictionary.html", "dictionary.html", context),
    ]


def without(site: Site, withheld: Collection[str]) -> Site:
    """A view of ``site`` in which the powers ``withheld`` are not public either.

    An edition's downloads are built from the data at its tag; a power that is not
    public now must not reappear there, even if it was public then.
    """
    hidden = set(withheld) & site.public_ids
    if not hidden:
        return site
    view = copy.copy(site)
    view.powers = [p for p in site.powers if p.id not in hidden]
    view.withheld = sorted(
        [*site.withheld, *(p for p in site.powers if p.id in hidden)], key=lambda p: p.id
    )
    view.public_ids = site.public_ids - hidden
    view.by_department = defaultdict(list)
    for p in view.powers:
        view.by_department[p.department].append(p)
    view.changes = [
        c for c in site.changes if not (c.record[0] == "power" and c.record[1] in hidden)
    ]
    return view


def files(site: Site, withheld: Collection[str] = ()) -> dict[str, bytes]:
    """The download files of the site, the JSON Schemas, and the downloads pages.

    ``withheld``: ids of powers to leave out as well (those not public now, for an edition).
    """
    site = without(site, withheld)
    out, listed = data_files(site)
    package = datapackage.descriptor(site, listed, out, dictionary(site))
    out[datapackage.PATH] = package
    schemas = schema_files(site)
    out |= schemas
    entry = DownloadFile(
        datapackage.PATH,
        "json",
        "application/json",
        "数据包描述（Frictionless Data Package v2）",
        "每个资源（文件）的格式、大小、哈希值和表结构",
        group="package",
        size=len(package),
    )
    pages = download_pages(site, listed, entry, schemas)
    rendered = render.render_site(site, pages)
    out |= {page.path: rendered[page.path] for page in pages}
    return out
