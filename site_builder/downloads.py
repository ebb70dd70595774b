"""Open-data files under ``data/`` in the site, and the pages that list and describe them.

Every table is defined once, in ``tables.TABLES``, from which the CSV files, the
Excel edition, the data dictionary and the Table Schemas of ``datapackage.json`` are
all written, so they cannot drift apart.

Non-public powers are in no file: not their records, not their YAML sources, and
references to them from public powers are removed. Everything is reproducible: rows
and keys are sorted, and the zip and xlsx files carry fixed timestamps (the source
commit's time, or SOURCE_DATE_EPOCH), never the clock.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from site_builder import datapackage, jsonfile, render, tablefiles, urls
from site_builder.archive import stamp, zip_bytes
from site_builder.manifest import Entry, Files, entries
from site_builder.model import Record
from site_builder.pages import Page, Site
from site_builder.tables import (
    TABLES,
    Cell,
    Table,
    department_rows,
    dictionary,
    jurisdiction_rows,
    law_rows,
)


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


# --- writers -------------------------------------------------------------------------


def table_rows(site: Site, table: Table) -> list[list[Cell]]:
    return [[c.get(row) for c in table.columns] for row in table.rows(site)]


def csv_bytes(table: Table, rows: list[list[Cell]]) -> bytes:
    """UTF-8 without BOM, ``\\n`` line ends, a header of column names; a text that a
    spreadsheet would run as a formula is neutralised (``tablefiles.safe_cell``)."""
    return tablefiles.write_csv([c.name for c in table.columns], rows)


def changes_csv(site: Site) -> bytes:
    """Every published change, newest first: UTF-8, no BOM, one row per record changed by a commit."""
    table = next(t for t in TABLES if t.name == "changes")
    return csv_bytes(table, table_rows(site, table))


def json_bytes(value: Any) -> bytes:
    return jsonfile.pretty(value)


def public_data(site: Site, p: Record) -> dict[str, Any]:
    """A public power's record as in its YAML, plus its department, without references to
    non-public powers. Only what is changed is copied: the record itself stays as read."""
    data = {**p.data, "department": p.department}
    related = data.get("related_departments") or []
    if any(rel.get("power") and rel["power"] not in site.public_ids for rel in related):
        data["related_departments"] = [
            {k: v for k, v in rel.items() if k != "power" or not v or v in site.public_ids}
            for rel in related
        ]
    adjustment = data.get("adjustment") or {}
    if adjustment.get("target_power") and adjustment["target_power"] not in site.public_ids:
        data["adjustment"] = {k: v for k, v in adjustment.items() if k != "target_power"}
    return data


def json_files(site: Site) -> Iterator[tuple[str, bytes]]:
    """The JSON files, one by one: the whole list, the tables, each department, each power."""
    powers = {p.id: public_data(site, p) for p in site.powers}
    yield urls.all_powers(), json_bytes([powers[pid] for pid in sorted(powers)])
    yield urls.all_departments(), json_bytes([d.data for d in department_rows(site)])
    yield urls.all_laws(), json_bytes([law.data for law in law_rows(site)])
    yield urls.all_jurisdictions(), json_bytes(jurisdiction_rows(site))
    for dept in department_rows(site):
        own = [powers[p.id] for p in site.by_department[dept.id]]
        yield urls.department_data(dept.id), json_bytes({**dept.data, "powers": own})
    for pid, data in powers.items():
        yield urls.power_data(pid), json_bytes(data)


def build_time(site: Site) -> datetime:
    """The time the files stand for: the source commit's time, or 1980-01-01."""
    return stamp(site.time)


def _source_text(site: Site, record: Record) -> bytes:
    """A record's YAML source; rewritten without references when it names a non-public power.

    The bytes are those the build read and checked (never the file as it is now)."""
    raw = site.ds.texts.raw(record.path)
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
    # site.yaml and the schemas as read for the build; the data as read and checked.
    entries = {rel: site.ds.files[rel] for rel in sorted(site.ds.files)}
    if "data/jurisdictions.yaml" in site.ds.texts:
        entries["data/jurisdictions.yaml"] = site.ds.texts.raw("data/jurisdictions.yaml")
    for records in (site.ds.laws, site.ds.flows, site.ds.departments):
        for record in records.values():
            entries[record.path] = _source_text(site, record)
    for p in site.powers:
        entries[p.path] = _source_text(site, p)
    return entries


def zip_files(site: Site) -> dict[str, bytes]:
    when = build_time(site)
    entries = source_entries(site)
    files = {urls.sources(): zip_bytes(entries, when)}
    by_folder: dict[str, dict[str, bytes]] = {}  # data/departments/<folder>/… by folder
    for path, data in entries.items():
        if path.startswith(DEPARTMENTS_FOLDER):
            by_folder.setdefault(path.split("/", 3)[2], {})[path] = data
    for dept in department_rows(site):
        own = by_folder.get(dept.id, {})
        files[urls.department_sources(dept.id)] = zip_bytes(own, when)
    return files


DEPARTMENTS_FOLDER = "data/departments/"


def schema_files(site: Site) -> dict[str, bytes]:
    """The JSON Schemas at stable addresses, with ``$id`` absolute when base_url is set."""
    base = str(site.config.raw.get("base_url") or "").rstrip("/")
    files = {}
    for rel in sorted(site.ds.files):
        if not rel.startswith("schema/"):
            continue
        raw = site.ds.files[rel]  # as read for the build, never read again
        if base:
            doc = json.loads(raw)
            doc["$id"] = f"{base}/{rel}"
            raw = (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        files[rel] = raw
    return files


def xlsx_bytes(site: Site, tables: Iterable[tuple[Table, list[list[Cell]]]]) -> bytes:
    """The Excel edition: one sheet per table, a Chinese header row, frozen, reproducible.
    ``tables`` are taken one at a time."""
    docs = dictionary(site)
    sheets = (
        tablefiles.Sheet(t.sheet, [c.title for c in docs[t.name]], rows) for t, rows in tables
    )
    title = f"{site.config.title}（Excel 版）"
    creator = str(site.config.raw.get("publisher") or site.config.title)
    return tablefiles.write_workbook(sheets, title=title, creator=creator, when=build_time(site))


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
    add(urls.workbook(), "全部表格（Excel 版）", "每个工作表对应一个 CSV 表格", "xlsx")
    add(urls.all_powers(), "全部公开职权", "数组中的一项是一项职权的完整记录", "json")
    add(urls.all_departments(), "部门", "数组中的一项是一个部门", "json")
    add(urls.all_laws(), "法律法规登记簿", "数组中的一项是一部法律法规", "json")
    add(urls.all_jurisdictions(), "行政区域", "数组中的一项是一个行政区域", "json")
    add(
        urls.sources(),
        "YAML 源文件",
        "site.yaml、schema/ 和 data/ 中的公开文件",
        "zip",
    )
    for dept in department_rows(site):
        name = dept.data["name"]
        add(
            urls.department_data(dept.id),
            f"{name}（部门及其公开职权）",
            "部门记录，powers 中的一项是一项职权",
            "department",
        )
        add(
            urls.department_sources(dept.id),
            f"{name}（YAML 源文件）",
            "该部门文件夹中的公开文件",
            "department",
        )
    for p in site.powers:
        add(urls.power_data(p.id), p.name, "一项职权的完整记录", "power")
    return found


def data_parts(site: Site) -> list[Callable[[], Files]]:
    """The data files, made in parts that can run side by side: the tables as CSV and
    as the workbook (the longest, so first; the rows are made once for both), the
    JSON files, the zips."""

    def tables() -> Iterator[tuple[str, bytes]]:
        # One table's rows at a time: made, written as CSV, then given to the workbook
        # as its sheet (the workbook asks for the next table once it has written this one).
        csvs: list[tuple[str, bytes]] = []

        def made() -> Iterator[tuple[Table, list[list[Cell]]]]:
            for t in TABLES:
                rows = table_rows(site, t)
                csvs.append((t.path, csv_bytes(t, rows)))
                yield t, rows

        workbook = xlsx_bytes(site, made())
        yield from csvs
        yield urls.workbook(), workbook

    return [tables, functools.partial(json_files, site), functools.partial(zip_files, site)]


def catalogued(site: Site, files: Mapping[str, Entry]) -> list[DownloadFile]:
    """The catalogue of the data files, with their sizes."""
    listed = [
        DownloadFile(
            f.path, f.format, f.mediatype, f.title, f.row, f.table, f.group, files[f.path].size
        )
        for f in catalogue(site)
    ]
    assert sorted(f.path for f in listed) == sorted(files), "每个下载文件都应在目录中"
    return listed


def download_pages(
    site: Site, listed: list[DownloadFile], package: DownloadFile, schemas: dict[str, bytes]
) -> list[Page]:
    groups: dict[str, list[DownloadFile]] = {}
    for f in listed:
        groups.setdefault(f.group, []).append(f)
    by_path = {f.path: f for f in listed}
    power_files: dict[str, list[DownloadFile]] = {}
    for p in site.powers:  # as the catalogue lists them
        power_files.setdefault(p.department, []).append(by_path[urls.power_data(p.id)])
    departments = [
        (
            dept,
            by_path[urls.department_data(dept.id)],
            by_path[urls.department_sources(dept.id)],
            power_files.get(dept.id, []),
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
        Page(urls.downloads(), "downloads.html", context),
        Page(urls.dictionary(), "dictionary.html", context),
    ]


def files(site: Site, withheld: Collection[str] = ()) -> dict[str, bytes]:
    """The download files of the site, the JSON Schemas, and the downloads pages.

    ``withheld``: ids of powers to leave out as well (``Site.without``).
    """
    site = site.without(withheld) if withheld else site
    out: dict[str, bytes] = {}
    for part in data_parts(site):
        out.update(part())
    return out | finish(site, entries(out))


def finish(site: Site, data: Mapping[str, Entry]) -> dict[str, bytes]:
    """With the data files made (``data``: their sizes and hashes): the data package,
    the schemas and the downloads pages."""
    listed = catalogued(site, data)
    package = datapackage.descriptor(site, listed, data, dictionary(site))
    out = {datapackage.PATH: package}
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
    return out | render.render_pages(site, pages)
