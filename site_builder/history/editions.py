"""Published editions: the tags matching the site's pattern, and the powers at each.

Each edition's powers are read from git's objects (no checkout): their name,
department, category, status, whether they were public then, and the blob id of
their file. Not here: the update trail (``trail``), git itself (``gitstore``), or the
downloads of an edition (``edition_downloads``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from site_builder.history import gitstore
from site_builder.history.changes import UNREADABLE, RecordReader, was_public
from site_builder.history.trail import printable
from site_builder.reading import layout
from site_builder.reading.layout import record_key


@dataclass(frozen=True)
class EditionPower:
    """A power as it stood at an edition."""

    id: str
    name: str
    department: str
    category: str
    status: str
    public: bool
    blob: str


@dataclass(frozen=True)
class Edition:
    """A published edition: a tag matching the configured pattern, and the powers at it."""

    tag: str
    commit: str
    date: str
    timestamp: int
    title: str
    powers: dict[str, EditionPower]


def editions(root: Path, pattern: str) -> list[Edition]:
    """Read every edition (tag matching ``pattern``), oldest first, from git's objects."""
    repo = gitstore.open_repository(root)
    if repo is None or repo.head_is_unborn:
        return []
    reader = RecordReader(repo)
    found = []
    for tag, commit, tag_message in gitstore.tags(repo, pattern):
        message = printable(tag_message)
        powers = {}
        for path, blob_id in gitstore.files_under(repo, commit, layout.DEPARTMENTS):
            found_key = record_key(path)
            if found_key is None or found_key[0][0] != "power":
                continue
            blocks = reader.fields(blob_id) or {}
            values = {
                key: reader.value(blocks.get(key))
                for key in ("name", "category", "status", "disclosure")
            }
            public = was_public("power", values["disclosure"], reader.readable(blob_id))
            values = {k: None if v is UNREADABLE else v for k, v in values.items()}
            pid, department = found_key[0][1], found_key[1]
            text = {key: str(values[key] or "") for key in ("name", "category", "status")}
            powers[pid] = EditionPower(
                pid,
                text["name"],
                department,
                text["category"],
                text["status"],
                public,
                str(blob_id),
            )
        found.append(
            Edition(
                tag,
                str(commit.id),
                gitstore.commit_date(commit),
                commit.commit_time,
                (message or "").strip().split("\n")[0],
                powers,
            )
        )
    return sorted(found, key=lambda e: (e.timestamp, e.tag))
