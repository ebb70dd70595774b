"""Open-data files under ``data/`` in the site: for now, every published change as CSV."""

from __future__ import annotations

import csv
import io

from site_builder.pages import Site

CHANGES_COLUMNS = (
    "date",
    "commit",
    "pull_request",
    "change",
    "record_type",
    "record_id",
    "name",
    "department",
    "fields",
    "note",
    "author",
)


def changes_csv(site: Site) -> bytes:
    """Every published change, newest first: UTF-8, no BOM, one row per record changed by a commit."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CHANGES_COLUMNS)
    for c in site.changes:
        titles = site.ds.field_titles.get(c.record[0], {})
        fields = "；".join(
            titles.get(f.field, "所属部门" if f.field == "department" else f.field)
            for f in c.fields
        )
        writer.writerow(
            [
                c.date,
                c.commit,
                c.pr or "",
                c.kind,
                c.record[0],
                c.record[1],
                c.name,
                site.change_department(c),
                fields,
                c.title,
                c.author,
            ]
        )
    return out.getvalue().encode("utf-8")


def files(site: Site) -> dict[str, bytes]:
    """The download files of the site."""
    return {"data/changes.csv": changes_csv(site)}
