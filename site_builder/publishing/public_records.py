"""What of a public record the downloads publish: the record without its references to
powers that are not public, as data (the JSON files) and as YAML (the zips of sources).

Which powers are public is decided once (``disclosure``, ``Dataset.public``); this module
decides what a public record may say about the others.
"""

from __future__ import annotations

from typing import Any

from site_builder.reading.model import Record
from site_builder.structure.pages import Site

# What a published power's data adds to its file's fields, as the published schema of a
# power describes it (the file's folder says the department; the data file must say it).
ADDED_POWER_FIELDS: dict[str, Any] = {
    "department": {
        "title": "所属部门",
        "description": "职权所属部门的标识（部门文件夹名）：发布的数据由本工具按职权文件所在的文件夹加上。",
        "type": "string",
        "minLength": 1,
    }
}


def published_schema(doc: dict[str, Any]) -> dict[str, Any]:
    """The schema of a power as the site publishes it: its file's schema, and the fields
    ``public_data`` adds, so that every published power validates against it."""
    return {**doc, "properties": {**doc.get("properties", {}), **ADDED_POWER_FIELDS}}


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


def source_text(site: Site, record: Record) -> bytes:
    """A record's YAML source; rewritten without references when it names a non-public power.

    The bytes are those the build read and checked (never the file as it is now)."""
    raw = site.ds.texts.raw(record.path)
    if record.kind != "power":
        return raw
    scrubbed = public_data(site, record)
    del scrubbed["department"]
    if scrubbed == record.data:
        return raw
    from site_builder.reading import sources

    head = "\n".join(_leading_comments(site.ds.texts.get(record.path, "")))
    return ((head + "\n" if head else "") + sources.dump(scrubbed)).encode("utf-8")


def _leading_comments(text: str) -> list[str]:
    lines = []
    for line in text.lstrip("\ufeff").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.rstrip())
    return lines
