"""``data/datapackage.json``: a Frictionless Data Package (v2) describing every download.

CSV resources carry a Table Schema generated from the same column table as the
CSV files (``tables.TABLES``); JSON, XLSX and ZIP resources are listed with
their format, size and hash, without a schema.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from site_builder.publishing import jsonfile
from site_builder.structure import urls

if TYPE_CHECKING:
    from site_builder.publishing.download_pages import DownloadFile
    from site_builder.publishing.manifest import Entry
    from site_builder.structure.pages import Site
    from site_builder.structure.tables import ColumnDoc, Table

PATH = urls.data_package()
PACKAGE_PROFILE = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_PROFILE = "https://datapackage.org/profiles/2.0/dataresource.json"
TABLE_SCHEMA_PROFILE = "https://datapackage.org/profiles/2.0/tableschema.json"


def resource_name(f: DownloadFile) -> str:
    """A table's name, or a name made from the file's path (``departments-zq-a-json``)."""
    if f.table is not None:
        return f.table.name
    rel = urls.data_name(f.path)
    return re.sub(r"[^a-z0-9]+", "-", rel.lower()).strip("-")


def table_schema(table: Table, columns: list[ColumnDoc]) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "$schema": TABLE_SCHEMA_PROFILE,
        "fields": [
            {"name": c.name, "type": c.type, "title": c.title, "description": c.description}
            for c in columns
        ],
        "missingValues": [""],
    }
    if table.primary_key:
        schema["primaryKey"] = list(table.primary_key)
    if table.foreign_keys:
        schema["foreignKeys"] = [
            {
                "fields": list(fk.fields),
                # A reference without a resource is to the table itself (Table Schema v2).
                "reference": {"fields": list(fk.reference)}
                | ({} if fk.resource == table.name else {"resource": fk.resource}),
            }
            for fk in table.foreign_keys
        ]
    return schema


def version(site: Site) -> str | None:
    """The edition tag at the source commit, else the short commit; None outside git."""
    if site.commit is None:
        return None
    for edition in reversed(site.git.editions if site.git else []):
        if edition.commit == site.commit:
            return edition.tag
    return site.commit[:12]


def descriptor(
    site: Site,
    listed: list[DownloadFile],
    files: Mapping[str, Entry],
    columns: dict[str, list[ColumnDoc]],
) -> bytes:
    """The data package descriptor, as bytes (sorted keys, two-space indent); ``files``
    are the data files' sizes and hashes."""
    config = site.config
    base = config.base
    name = f"{site.config.jurisdiction}-quanze-qingdan"
    package: dict[str, Any] = {
        "$schema": PACKAGE_PROFILE,
        "name": name,
        "id": base + "/" if base else f"urn:site-builder:{name}",
        "title": site.config.title,
        "resources": [],
    }
    if config.description:
        package["description"] = config.description
    if (licence := config.licence) is not None:
        entry = {"name": licence.name, "title": licence.title, "path": licence.url}
        package["licenses"] = [{k: v for k, v in entry.items() if v}]
    if (tag := version(site)) is not None:
        package["version"] = tag
    if site.time is not None:
        package["created"] = datetime.fromtimestamp(site.time, tz=UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
    if config.repository and config.repository.url:
        package["sources"] = [{"title": "权责清单数据仓库（git）", "path": config.repository.url}]
    if config.publisher:
        package["contributors"] = [{"title": config.publisher, "roles": ["publisher"]}]
    if base:
        package["homepage"] = base + "/"
    for f in listed:
        written = files[f.path]
        resource: dict[str, Any] = {
            "name": resource_name(f),
            "path": urls.data_name(f.path),
            "title": f.title,
            "description": f.row,
            "format": f.format,
            "mediatype": f.mediatype,
            "bytes": written.size,
            "hash": "sha256:" + written.sha256,
        }
        if f.format in ("csv", "json"):
            resource["encoding"] = "utf-8"
        if f.table is not None:
            resource["type"] = "table"
            resource["schema"] = table_schema(f.table, columns[f.table.name])
        elif f.format == "xlsx":
            # The same tables as the CSVs, which carry the schemas; without this, readers
            # such as frictionless take the workbook's first sheet for a table and guess its types.
            resource["type"] = "file"
        package["resources"].append(resource)
    return jsonfile.pretty(package)
