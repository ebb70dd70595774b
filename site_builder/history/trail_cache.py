"""The trail's cache on disk: an index (``trail.json``) and append-only segment files.

It stores and loads ``Change`` lists by commit id and checks everything it reads: a
file that fails a check raises ``CorruptCache`` and the trail is computed again. Which
commits are new, and what they changed, is ``trail``'s business, not this module's.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

from site_builder.history import gitstore
from site_builder.history.changes import (
    ADDED,
    CANCELLED,
    CHANGED,
    DELETED,
    SUBMODULE,
    UNREADABLE_FILE,
    Change,
    FieldChange,
    Unread,
)

CACHE_VERSION = 6  # 6: files of old commits that could not be read
CACHE_FILE = "trail.json"


def _segment(changes: list[Change]) -> dict[str, Any]:
    """Changes as cache rows: each commit's metadata once, then one row per change."""
    commits: dict[str, int] = {}
    meta: list[list[Any]] = []
    rows: list[list[Any]] = []
    for c in changes:
        if c.commit not in commits:
            commits[c.commit] = len(meta)
            meta.append([c.commit, c.date, c.timestamp, c.author, c.pr, c.title])
        fields = [[f.field, f.old, f.new] for f in c.fields]
        rows.append(
            [
                commits[c.commit],
                c.kind,
                c.record[0],
                c.record[1],
                c.path,
                fields,
                c.name,
                c.public,
                c.readable,
            ]
        )
    return {"commits": meta, "changes": rows}


def _from_segment(doc: dict[str, Any]) -> list[Change]:
    meta = doc["commits"]
    changes = []
    for r in doc["changes"]:
        sha, date, timestamp, author, pr, title = meta[r[0]]
        fields = tuple(FieldChange(*f) for f in r[5])
        changes.append(
            Change(
                sha,
                date,
                timestamp,
                author,
                pr,
                title,
                r[1],
                (r[2], r[3]),
                r[4],
                fields,
                r[6],
                r[7],
                r[8],
            )
        )
    return changes


class CorruptCache(Exception):
    """A cache file that fails its checks: the trail is computed again."""


_COMMIT_ID = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SEGMENT_NAME = re.compile(rf"segment-(?:{_COMMIT_ID.pattern})(?:-all)?\.json")
_KINDS = {ADDED, CHANGED, CANCELLED, DELETED}
_RECORD_KINDS = {"power", "department", "law"}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _valid_index(doc: Any) -> bool:
    """Whether ``doc`` is an index of this version: head, segment file names, renames."""
    return (
        isinstance(doc, dict)
        and doc.get("version") == CACHE_VERSION
        and isinstance(doc.get("head"), str)
        and isinstance(doc.get("segments"), list)
        # Only names this cache writes: an index never leads outside its folder.
        and all(isinstance(n, str) and _SEGMENT_NAME.fullmatch(n) for n in doc["segments"])
        and isinstance(doc.get("renamed"), list)
        and all(
            isinstance(r, list) and len(r) == 4 and all(isinstance(x, str) for x in r)
            for r in doc["renamed"]
        )
        and isinstance(doc.get("unread"), list)
        and all(
            isinstance(u, list)
            and len(u) == 4
            and all(isinstance(x, str) for x in u)
            and u[3] in (UNREADABLE_FILE, SUBMODULE)
            for u in doc["unread"]
        )
    )


def _valid_segment(doc: Any, repo: gitstore.Repository) -> bool:
    """Whether ``doc`` is a segment whose rows are well formed and whose commits are in ``repo``."""
    if not (
        isinstance(doc, dict)
        and isinstance(doc.get("commits"), list)
        and isinstance(doc.get("changes"), list)
    ):
        return False
    meta, rows = doc["commits"], doc["changes"]
    for m in meta:
        if not (
            isinstance(m, list)
            and len(m) == 6
            and all(isinstance(m[i], str) for i in (0, 1, 3, 5))
            and _is_int(m[2])
            and (m[4] is None or _is_int(m[4]))
            and _COMMIT_ID.fullmatch(m[0])
            and m[0] in repo  # a segment of another repository names commits not in this one
        ):
            return False
    return all(
        isinstance(r, list)
        and len(r) == 9
        and _is_int(r[0])
        and 0 <= r[0] < len(meta)
        and r[1] in _KINDS
        and r[2] in _RECORD_KINDS
        and all(isinstance(r[i], str) for i in (3, 4, 6))
        and isinstance(r[5], list)
        and all(isinstance(f, list) and len(f) == 3 and isinstance(f[0], str) for f in r[5])
        and isinstance(r[7], bool)
        and isinstance(r[8], bool)
        for r in rows
    )


class TrailCache:
    """The trail's cache: an index (head, renames, segment files) and append-only segments.

    An update writes only the changes of the new commits, as a new segment; the
    segments are merged into one when there are more than ``MAX_SEGMENTS``.
    Everything read is checked (an index and its segments are the cache's only
    source of truth): a cache that fails a check is discarded and written anew.
    """

    MAX_SEGMENTS = 20

    def __init__(self, folder: Path, repo: gitstore.Repository) -> None:
        self.folder = folder
        self.repo = repo
        self.index_file = folder / CACHE_FILE

    def read_index(self) -> dict[str, Any] | None:
        try:
            doc = json.loads(self.index_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        ok = _valid_index(doc) and all((self.folder / name).is_file() for name in doc["segments"])
        return doc if ok else None

    def load(self, segments: list[str], newest: list[Change]) -> list[Change]:
        """``newest`` and then the changes of ``segments``, newest segment first; ``CorruptCache`` if one fails its checks."""
        changes = list(newest)
        for name in reversed(segments):
            try:
                doc = json.loads((self.folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise CorruptCache(name) from exc
            if not _valid_segment(doc, self.repo):
                raise CorruptCache(name)
            changes += _from_segment(doc)
        return changes

    def clear(self) -> None:
        """Remove the cache's own files (and whatever sits in their place); best effort."""
        try:
            if self.folder.exists() and not self.folder.is_dir():
                self.folder.unlink()  # a file where the cache folder belongs
                return
            entries = list(self.folder.iterdir()) if self.folder.is_dir() else []
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith((CACHE_FILE, "segment-")):
                with contextlib.suppress(OSError):
                    if entry.is_dir() and not entry.is_symlink():
                        shutil.rmtree(entry)
                    else:
                        entry.unlink()

    def _write(self, name: str, doc: dict[str, Any]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)  # a folder where the file belongs
        # A temporary name of its own: two builds may update the cache at once.
        tmp = self.folder / f"{name}.{os.getpid()}-{threading.get_ident()}.tmp"
        try:
            tmp.write_text(
                json.dumps(doc, ensure_ascii=False, separators=(",", ":")), encoding="utf-8"
            )
            tmp.replace(target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    def save(
        self,
        head: str,
        renamed: dict[tuple[str, str], tuple[str, str]],
        segments: list[str],
        new: list[Change],
        old: dict[str, Any] | None,
        unread: tuple[Unread, ...],
    ) -> list[str]:
        """Record the new changes; return the segment files the index now lists, oldest first."""
        if new or not segments:
            name = f"segment-{head}.json"
            self._write(name, _segment(new))
            segments = [*segments, name]
        written = list(segments)
        if len(segments) > self.MAX_SEGMENTS:
            merged = self.load(segments, [])
            name = f"segment-{head}-all.json"
            self._write(name, _segment(merged))
            segments = [name]
        index = {
            "version": CACHE_VERSION,
            "head": head,
            "segments": segments,
            "renamed": [[*k, *v] for k, v in sorted(renamed.items())],
            "unread": [[u.commit, u.date, u.path, u.why] for u in unread],
        }
        self._write(CACHE_FILE, index)
        for stale in {*written, *(old or {}).get("segments", [])} - set(segments):
            (self.folder / stale).unlink(missing_ok=True)
        return segments
