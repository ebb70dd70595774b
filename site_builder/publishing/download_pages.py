"""The downloads' catalogue and the pages that list and describe the files.

Each file is described once (``DownloadFile``), for the downloads page, the data
dictionary and ``datapackage.json``. ``finish`` makes these once the data files are
written (it needs their sizes and hashes); ``files`` makes a site's whole downloads in
this process, as for an edition.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from site_builder.publishing import datapackage, downloads
from site_builder.publishing.manifest import Entry, entries
from site_builder.rendering import render
from site_builder.structure import urls
from site_builder.structure.pages import Page, Site
from site_builder.structure.tables import TABLES, Table, department_rows, dictionary


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
        "base_url": site.config.base,
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
    for part in downloads.data_parts(site):
        out.update(part())
    return out | finish(site, entries(out))


def finish(site: Site, data: Mapping[str, Entry]) -> dict[str, bytes]:
    """With the data files made (``data``: their sizes and hashes): the data package,
    the schemas and the downloads pages."""
    listed = catalogued(site, data)
    package = datapackage.descriptor(site, listed, data, dictionary(site))
    out = {datapackage.PATH: package}
    schemas = downloads.schema_files(site)
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
