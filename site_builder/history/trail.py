"""The update trail: every record's changes, read from the first-parent history.

One pass over the published history (newest first), each commit compared with its
first parent through raw trees (``gitstore.TreeDiff``), each changed record through
``changes.compare``; renames and moves between departments are followed. The result may
be kept in and read from ``trail_cache``. Not here: git itself (``gitstore``), what a
change is (``changes``), the cache's files (``trail_cache``), editions (``editions``).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from site_builder.history import gitstore
from site_builder.history.changes import (
    CHANGED,
    SUBMODULE,
    UNREADABLE,
    UNREADABLE_FILE,
    Change,
    FieldChange,
    RecordReader,
    Unread,
    compare,
    was_public,
)
from site_builder.history.trail_cache import CorruptCache, TrailCache
from site_builder.reading.layout import record_key

_PR_PATTERNS = (
    re.compile(r"^Merge pull request #(\d+)"),  # GitHub merge commits
    re.compile(r"\(#(\d+)\)\s*$"),  # squash merges: "Title (#12)"
    re.compile(r"See merge request [^\s!]*!(\d+)"),  # GitLab
    re.compile(r"^Merge branch .* into .*\(!(\d+)\)"),
)


class Trail:
    """Every record's changes, newest first, from the first-parent history of one revision.

    The changes may come from a loader: a trail read from the cache reads its
    changes only when they are first asked for.
    """

    def __init__(
        self,
        head: str | None,
        shallow: bool,
        changes: list[Change] | Callable[[], list[Change]],
        renamed: dict[tuple[str, str], tuple[str, str]],  # new key -> old key
        unread: tuple[Unread, ...] = (),  # newest first
    ) -> None:
        self.head = head
        self.shallow = shallow
        self.renamed = renamed
        self.unread = unread
        self._changes = changes
        self._index: dict[tuple[str, str], list[Change]] | None = None

    @property
    def changes(self) -> list[Change]:
        if callable(self._changes):
            self._changes = self._changes()
        return self._changes

    def of(self, kind: str, record_id: str) -> list[Change]:
        """The changes of a record, newest first, following it through renames."""
        if self._index is None:
            self._index = {}
            for change in self.changes:
                self._index.setdefault(change.record, []).append(change)
        out: list[Change] = []
        key: tuple[str, str] | None = (kind, record_id)
        seen = set()
        while key is not None and key not in seen:
            seen.add(key)
            out.extend(self._index.get(key, []))
            key = self.renamed.get(key)
        return sorted(out, key=lambda c: -c.timestamp) if len(seen) > 1 else out


def pull_request(message: str) -> int | None:
    """The pull-request number a merge or squash message names, if any."""
    lines = message.strip().splitlines()
    for pattern in _PR_PATTERNS:
        for line in (
            lines[:1] if pattern.pattern.startswith("^") or "(#" in pattern.pattern else lines
        ):
            match = pattern.search(line)
            if match:
                return int(match.group(1))
    return None


def change_title(message: str) -> str:
    """The change note: a merge's pull-request title, or the subject without its “(#12)”."""
    lines = [line.strip() for line in message.strip().splitlines()]
    subject = lines[0] if lines else ""
    if subject.startswith(("Merge pull request", "Merge branch")):
        body = [line for line in lines[1:] if line and not line.startswith("See merge request")]
        return body[0] if body else subject
    return re.sub(r"\s*\(#\d+\)\s*$", "", subject)


# C0 controls but tab and newline, DEL and C1 controls: not allowed in XML (the feeds),
# invisible on a page, and never meant in a commit message or a name.
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """Commit text without control characters (carriage returns included)."""
    return _CONTROLS.sub("", text)


def _may_hold_records(path: str) -> bool:
    """Whether a folder can hold records: data/, data/laws/, data/departments/<id>/ and its powers/."""
    parts = path.split("/")
    if parts[0] != "data":
        return False
    if len(parts) == 1:
        return True
    if parts[1] == "laws":
        return len(parts) == 2
    if parts[1] == "departments":
        return len(parts) <= 3 or (len(parts) == 4 and parts[3] == "powers")
    return False


# A record at one side of a commit: (path, department, blob id).
_Side = tuple[str, str, gitstore.Oid]
# What changed in a record: kind, the fields, and whether everything could be read.
_Result = tuple[str, tuple[FieldChange, ...], bool]


class _Commit(NamedTuple):
    """What every change of one commit says about the commit."""

    sha: str
    date: str
    timestamp: int
    author: str
    pr: int | None
    title: str


class _Readers:
    """What reading commits one after another keeps: the records' fields and the trees read."""

    def __init__(self, repo: gitstore.Repository) -> None:
        self.records = RecordReader(repo)
        self.trees = gitstore.TreeDiff(repo, _may_hold_records)


def _commit_changes(
    readers: _Readers,
    commit: gitstore.Commit,
    renamed: dict[tuple[str, str], tuple[str, str]],
    unread: list[Unread],
) -> list[Change]:
    """The changes ``commit`` made to records; what it holds that cannot be read goes to ``unread``."""
    before, after = _sides(readers.trees, commit)
    about = _about(commit)
    trees, reader = readers.trees, readers.records
    unread.extend(Unread(about.sha, about.date, path, SUBMODULE) for path in trees.submodules)
    trees.submodules.clear()
    pairs = _renames(reader, before, after)
    out: list[Change] = []
    for key in sorted(set(before) | set(after)):
        if key in pairs.values():
            continue
        old_key = pairs.get(key)
        if old_key:
            renamed[key] = old_key
        change = _change(reader, about, key, before.get(old_key or key), after.get(key), old_key)
        if change is None:
            continue
        out.append(change)
        if not change.readable:
            unread.append(Unread(about.sha, about.date, change.path, UNREADABLE_FILE))
    return out


def _sides(
    trees: gitstore.TreeDiff, commit: gitstore.Commit
) -> tuple[dict[tuple[str, str], _Side], dict[tuple[str, str], _Side]]:
    """The records whose files ``commit`` changed, as they were before it and after, by key."""
    parent = commit.parents[0] if commit.parents else None
    before: dict[tuple[str, str], _Side] = {}
    after: dict[tuple[str, str], _Side] = {}
    for path, old_id, new_id in trees.changed(parent.tree_id if parent else None, commit.tree_id):
        found = record_key(path)
        if found is None:
            continue
        if old_id is not None:
            before[found[0]] = (path, found[1], old_id)
        if new_id is not None:
            after[found[0]] = (path, found[1], new_id)
    return before, after


def _about(commit: gitstore.Commit) -> _Commit:
    # A merge names the author of the branch it merges.
    author = printable(
        (commit.parents[1].author if len(commit.parents) > 1 else commit.author).name
    )
    message = printable(commit.message)
    return _Commit(
        str(commit.id),
        gitstore.commit_date(commit),
        commit.commit_time,
        author,
        pull_request(message),
        change_title(message),
    )


def _renames(
    reader: RecordReader,
    before: dict[tuple[str, str], _Side],
    after: dict[tuple[str, str], _Side],
) -> dict[tuple[str, str], tuple[str, str]]:
    """New key -> old key for each record renamed: removed, and another of the same kind
    added, equal but for the id."""
    gone = [k for k in before if k not in after]
    new = [k for k in after if k not in before]
    pairs: dict[tuple[str, str], tuple[str, str]] = {}
    for n in new:
        for g in gone:
            if g[0] == n[0] and g not in pairs.values():
                a, b = reader.fields(before[g][2]) or {}, reader.fields(after[n][2]) or {}
                if {k: v for k, v in a.items() if k != "id"} == {
                    k: v for k, v in b.items() if k != "id"
                }:
                    pairs[n] = g
                    break
    return pairs


def _change(
    reader: RecordReader,
    about: _Commit,
    key: tuple[str, str],
    old: _Side | None,
    cur: _Side | None,
    old_key: tuple[str, str] | None,
) -> Change | None:
    """The change of one record (``old_key``: its key before a rename); None when there is none to list."""
    result = _result(reader, key, old, cur, old_key)
    path = cur[0] if cur else old[0] if old else ""
    # Name and disclosure from the newest side that can be read; when neither can be
    # read, whether the power was public then is unknown, so it counts as withheld.
    sides = [s[2] for s in (cur, old) if s is not None and reader.readable(s[2])]
    latest = (reader.fields(sides[0]) if sides else None) or {}
    public = was_public(key[0], reader.value(latest.get("disclosure")), bool(sides))
    if result is None:
        if public or key[0] != "power":
            return None
        # A withheld power's file touched without a change in meaning: kept (it is never
        # published), so that the commit's message, which may name it, is withheld too.
        result = (CHANGED, (), True)
    name = reader.value(latest.get("name") or latest.get("title"))
    if name is UNREADABLE:
        name = None
    return Change(
        about.sha,
        about.date,
        about.timestamp,
        about.author,
        about.pr,
        about.title,
        result[0],
        key,
        path,
        result[1],
        str(name or key[1]),
        public,
        result[2],
    )


def _result(
    reader: RecordReader,
    key: tuple[str, str],
    old: _Side | None,
    cur: _Side | None,
    old_key: tuple[str, str] | None,
) -> _Result | None:
    """What changed in one record, a rename (to ``key`` from ``old_key``) and a move to
    another department included; None when nothing changed in meaning."""
    result = compare(reader, old[2] if old else None, cur[2] if cur else None)
    if old_key:
        others = tuple(f for f in (result[1] if result else ()) if f.field != "id")
        result = (CHANGED, (FieldChange("id", old_key[1], key[1]), *others), True)
    if old and cur and old[1] != cur[1]:  # moved to another department
        moved = FieldChange("department", old[1], cur[1])
        result = (
            result[0] if result else CHANGED,
            (moved, *(result[1] if result else ())),
            result[2] if result else True,
        )
    return result


def trail(root: Path, revision: str = "HEAD", cache: Path | None = None) -> Trail | None:
    """Read the update trail of ``revision``: one pass over its first-parent history.

    Returns None when ``root`` is not in a git repository. With ``cache`` (a folder),
    the result is kept by commit id, and a later call processes only the commits
    added since; when the history was rewritten (a force push) it starts again.
    Changes read from the cache are loaded when they are first asked for; a cache
    that fails its checks (damaged, or of another repository) is recomputed and
    written anew, and one that cannot be written is done without.
    """
    repo = gitstore.open_repository(root)
    if repo is None:
        return None
    if repo.head_is_unborn:
        return Trail(None, repo.is_shallow, [], {})
    with gitstore.objects_read(repo):
        return _trail(root, repo, revision, cache)


def _trail(root: Path, repo: gitstore.Repository, revision: str, cache: Path | None) -> Trail:
    head = gitstore.resolve(repo, revision)
    store = TrailCache(cache, repo) if cache else None
    index = previous = store.read_index() if store else None
    new_commits: list[gitstore.Commit] = []
    for commit in gitstore.first_parents(head):
        if index is not None and str(commit.id) == index["head"]:
            break
        new_commits.append(commit)
    else:
        index = None  # the cached head is not in this history: rewritten, start again
    renamed = {(r[0], r[1]): (r[2], r[3]) for r in index["renamed"]} if index else {}
    readers = _Readers(repo)
    changes: list[Change] = []
    found: list[Unread] = []
    for c in new_commits:
        changes.extend(_commit_changes(readers, c, renamed, found))
    unread = (*found, *(Unread(*u) for u in index["unread"])) if index else tuple(found)
    if store is None:
        return Trail(str(head.id), repo.is_shallow, changes, renamed, unread)
    if previous is None:
        store.clear()  # no usable index: whatever is there is not trusted
    old_segments = index["segments"] if index else []

    def deferred(segments: list[str], newest: list[Change]) -> _Deferred:
        return _Deferred(root, store.folder, str(head.id), segments, newest, renamed)

    if index is not None and not new_commits:
        return Trail(str(head.id), repo.is_shallow, deferred(old_segments, []), renamed, unread)
    try:
        segments = store.save(str(head.id), renamed, old_segments, changes, previous, unread)
    except CorruptCache:  # found while merging the segments
        rebuilt = _rebuild(repo, head, store, renamed)
        return Trail(str(head.id), repo.is_shallow, rebuilt, renamed, unread)
    except OSError:  # the cache cannot be written: do without it
        return Trail(
            str(head.id), repo.is_shallow, deferred(old_segments, changes), renamed, unread
        )
    if segments == [*old_segments, f"segment-{head.id}.json"] or segments == old_segments:
        return Trail(
            str(head.id), repo.is_shallow, deferred(old_segments, changes), renamed, unread
        )
    return Trail(str(head.id), repo.is_shallow, deferred(segments, []), renamed, unread)


@dataclass
class _Deferred:
    """A trail's changes kept in the cache, read when first asked for: ``newest``, then
    those of ``segments``. Plain data, so that a trail read in a worker process can be
    sent back to the build."""

    root: Path
    cache: Path
    head: str
    segments: list[str]
    newest: list[Change]
    renamed: dict[tuple[str, str], tuple[str, str]]  # the trail's own, updated by a rebuild

    def __call__(self) -> list[Change]:
        repo = gitstore.open_repository(self.root)
        assert repo is not None  # the trail was read from it
        store = TrailCache(self.cache, repo)
        try:
            return store.load(self.segments, self.newest)
        except CorruptCache:
            return _rebuild(repo, gitstore.resolve(repo, self.head), store, self.renamed)


def _rebuild(
    repo: gitstore.Repository,
    head: gitstore.Commit,
    store: TrailCache,
    renamed: dict[tuple[str, str], tuple[str, str]],
) -> list[Change]:
    """The whole trail computed again, for a cache that failed its checks when read,
    and written to the cache anew; ``renamed`` (the trail's) is updated in place."""
    fresh: dict[tuple[str, str], tuple[str, str]] = {}
    everything: list[Change] = []
    unread: list[Unread] = []
    readers = _Readers(repo)
    for node in gitstore.first_parents(head):
        everything.extend(_commit_changes(readers, node, fresh, unread))
    renamed.clear()
    renamed.update(fresh)  # the Trail holds this very dictionary
    store.clear()
    with contextlib.suppress(OSError):  # the cache cannot be written: do without it
        store.save(str(head.id), renamed, [], everything, None, tuple(unread))
    return everything
