"""What a change to a record is, and how two versions of a record compare.

``FieldChange`` (one top-level field, before and after) is the one type both the update
trail and ``site-builder diff`` list; ``Change`` is one record's change in one commit,
``Unread`` a file of an old commit that could not be read. ``RecordReader`` reads a
record's top-level fields from a git blob and ``compare`` classifies the change between
two blobs. Not here: which commits and files to look at (``trail``), the cache
(``trail_cache``), git itself (``gitstore``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from site_builder.history import gitstore
from site_builder.reading import sources
from site_builder.reading.disclosure import is_public

ADDED, CHANGED, CANCELLED, DELETED = "新增", "变更", "取消", "删除"
# A field value longer than this (as JSON) is recorded as changed without its text.
SHORT = 120
LONG = {"long": True}


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One top-level field of a record, before and after.

    In the trail, ``old``/``new`` are the values (``LONG`` stands for a long one). In
    ``site-builder diff`` they are short texts (None when absent or too long to show),
    ``title`` is the field's title from the schema and ``detail`` describes long values
    by their size (``已修改（3 项 → 4 项）``).
    """

    field: str
    old: Any = None
    new: Any = None
    title: str = ""
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """One change of one record, published by one first-parent commit."""

    commit: str
    date: str
    timestamp: int
    author: str
    pr: int | None
    title: str
    kind: str
    record: tuple[str, str]
    path: str
    fields: tuple[FieldChange, ...]
    name: str = ""  # the record's name (a law's title) after the change, or before a deletion
    public: bool = True  # False for a power that is not public: its changes are not published
    # False when a file of the change could not be read: ``fields`` then lists only the
    # fields read on both sides, and the change may hold more.
    readable: bool = True


@dataclass(frozen=True, slots=True)
class Unread:
    """A file of an old commit that the trail could not read: ``why`` is ``UNREADABLE_FILE``
    (not UTF-8, not YAML, nested too deep) or ``SUBMODULE`` (a gitlink, never read)."""

    commit: str
    date: str
    path: str
    why: str


UNREADABLE_FILE, SUBMODULE = "unreadable", "submodule"


class _Unreadable:
    """The value of a field that cannot be read: not UTF-8, not YAML, or nested too deep."""

    def __repr__(self) -> str:
        return "UNREADABLE"


# Old commits may hold files that today's checks refuse: the trail says it could not
# read them instead of showing their fields as removed, or stopping the build.
UNREADABLE: Any = _Unreadable()


def was_public(kind: str, disclosure: Any, readable: bool) -> bool:
    """Whether a record read from an old commit was public then (``disclosure.is_public``),
    given its ``disclosure`` field as read and whether its file could be read at all.

    A power whose file or disclosure cannot be read may have been withheld: it counts as
    withheld. Other kinds of record have no disclosure and are public.
    """
    unknown = kind == "power" and (not readable or disclosure is UNREADABLE)
    return is_public(disclosure) and not unknown


class RecordReader:
    """Reads records' top-level fields from blobs, parsing only what differs; caches by blob id."""

    def __init__(self, repo: gitstore.Repository) -> None:
        self.repo = repo
        self.blocks: dict[str, dict[str, str]] = {}
        self.unreadable: set[str] = set()  # blob ids of files that cannot be read at all
        self.values: dict[str, Any] = {}

    def fields(self, blob_id: gitstore.Oid | None) -> dict[str, str] | None:
        """The top-level fields of a record's blob, each as its YAML text; None when there is
        no blob, {} (and the blob counted unreadable) when it cannot be read."""
        if blob_id is None:
            return None
        key = str(blob_id)
        if key not in self.blocks:
            try:
                text: str | None = gitstore.read_bytes(self.repo, blob_id).decode("utf-8")
            except UnicodeDecodeError:
                text = None
            blocks = sources.top_level_blocks(text) if text is not None else None
            if blocks is None:  # not a plain block mapping: parse it whole, one field per key
                data = sources.load_lenient(text) if text is not None else None
                if isinstance(data, dict):
                    blocks = {k: sources.dump({k: v}) for k, v in data.items()}
                else:
                    blocks = {}
                    self.unreadable.add(key)
            self.blocks[key] = blocks
        return self.blocks[key]

    def readable(self, blob_id: gitstore.Oid | None) -> bool:
        self.fields(blob_id)
        return blob_id is None or str(blob_id) not in self.unreadable

    def value(self, block: str | None) -> Any:
        """A field's value from its YAML text; ``UNREADABLE`` when the text does not parse."""
        if block is None:
            return None
        if block not in self.values:
            data = sources.load_lenient(block)
            self.values[block] = (
                UNREADABLE
                if data is None
                else next(iter(data.values()))
                if isinstance(data, dict) and data
                else None
            )
        return self.values[block]


def _short(value: Any) -> Any:
    return value if len(json.dumps(value, ensure_ascii=False, default=str)) <= SHORT else LONG


def compare(
    reader: RecordReader, old: gitstore.Oid | None, new: gitstore.Oid | None
) -> tuple[str, tuple[FieldChange, ...], bool] | None:
    """Classify one record's change between two blobs, list its changed fields, and say
    whether everything could be read; None when nothing changed in meaning."""
    before, after = reader.fields(old), reader.fields(new)
    if before is None and after is not None:
        return ADDED, (), reader.readable(new)
    if after is None:
        return (DELETED, (), reader.readable(old)) if before is not None else None
    assert before is not None
    if not (reader.readable(old) and reader.readable(new)):
        return CHANGED, (), False
    changed = []
    readable = True
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a == b:
            continue
        va, vb = reader.value(a), reader.value(b)
        if va is UNREADABLE or vb is UNREADABLE:
            readable = False
        elif va != vb:
            changed.append(FieldChange(key, _short(va), _short(vb)))
    if not changed and readable:
        return None
    status = next((f for f in changed if f.field == "status"), None)
    kind = CANCELLED if status is not None and status.new == "已取消" else CHANGED
    return kind, tuple(changed), readable
