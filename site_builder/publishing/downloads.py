"""The open-data files under ``data/`` in the site, and the JSON Schemas: CSV, JSON, the
Excel workbook and the zips of YAML sources, each written from the public view.

Every table is defined once, in ``tables.TABLES``, from which the CSV files, the
Excel edition, the data dictionary and the Table Schemas of ``datapackage.json`` are
all written, so they cannot drift apart.

Non-public powers are in no file: not their records, not their YAML sources, and
references to them from public powers are removed (``public_records``). Everything is
reproducible: rows and keys are sorted, and the zip and xlsx files carry fixed
timestamps (the source commit's time, or SOURCE_DATE_EPOCH), never the clock.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

from site_builder.publishing import jsonfile, public_records, tablefiles
from site_builder.publishing.archive import stamp, zip_bytes
from site_builder.publishing.manifest import Files
from site_builder.reading import layout
from site_builder.structure import urls
from site_builder.structure.pages import Site
from site_builder.structure.tables import (
    TABLES,
    Cell,
    Table,
    department_rows,
    dictionary,
    jurisdiction_rows,
    law_rows,
)


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


def json_files(site: Site) -> Iterator[tuple[str, bytes]]:
    """The JSON files, one by one: the whole list, the tables, each department, each power."""
    powers = {p.id: public_records.public_data(site, p) for p in site.powers}
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


def source_entries(site: Site) -> dict[str, bytes]:
    """The repository's public sources: site.yaml, schema/ and data/ without non-public powers."""
    # site.yaml and the schemas as read for the build; the data as read and checked.
    entries = {rel: site.ds.files[rel] for rel in sorted(site.ds.files)}
    if layout.JURISDICTIONS in site.ds.texts:
        entries[layout.JURISDICTIONS] = site.ds.texts.raw(layout.JURISDICTIONS)
    for records in (site.ds.laws, site.ds.flows, site.ds.departments):
        for record in records.values():
            entries[record.path] = public_records.source_text(site, record)
    for p in site.powers:
        entries[p.path] = public_records.source_text(site, p)
    return entries


def zip_files(site: Site) -> dict[str, bytes]:
    when = build_time(site)
    entries = source_entries(site)
    files = {urls.sources(): zip_bytes(entries, when)}
    by_folder: dict[str, dict[str, bytes]] = {}  # data/departments/<folder>/… by folder
    for path, data in entries.items():
        if folder := layout.department_of(path):
            by_folder.setdefault(folder, {})[path] = data
    for dept in department_rows(site):
        own = by_folder.get(dept.id, {})
        files[urls.department_sources(dept.id)] = zip_bytes(own, when)
    return files


def schema_files(site: Site) -> dict[str, bytes]:
    """The JSON Schemas at stable addresses, with ``$id`` absolute when base_url is set."""
    base = site.config.base
    files = {}
    for rel in sorted(site.ds.files):
        if not rel.startswith(f"{layout.SCHEMA}/"):
            continue
        raw = site.ds.files[rel]  # as read for the build, never read again
        power = rel == layout.schema_file("power")
        if base or power:
            doc = json.loads(raw)
            if power:
                doc = public_records.published_schema(doc)
            if base:
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
    creator = site.config.publisher or site.config.title
    return tablefiles.write_workbook(sheets, title=title, creator=creator, when=build_time(site))


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
