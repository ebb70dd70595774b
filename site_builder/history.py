"""Git history: the only module that imports pygit2.

The published list is the first-parent history of the published branch. This
module reads revisions without checking them out (their data is read from git's
objects), tells whether the working tree has uncommitted data, and derives the
update trail of every record.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import json
import os
import re
import shutil
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pygit2

from site_builder import sources
from site_builder.disclosure import is_public
from site_builder.errors import SiteBuilderError, UsageError

# What a revision's site is built from.
SOURCES = ("site.yaml", "data", "schema", "templates")


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH, when set: the time a reproducible build stands for, over the commit's."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(epoch) if epoch.isdigit() else None


def head_time(root: Path) -> int | None:
    """The time the files at ``root`` stand for: SOURCE_DATE_EPOCH, else HEAD's commit time, else None."""
    epoch = source_date_epoch()
    if epoch is not None:
        return epoch
    repo = open_repository(root)
    if repo is None or repo.head_is_unborn:
        return None
    return int(resolve(repo, "HEAD").commit_time)


def open_repository(root: Path) -> pygit2.Repository | None:
    """Return the git repository whose work tree is ``root`` (or contains it), or None."""
    path = pygit2.discover_repository(str(root))
    if path is None:
        return None
    repo = pygit2.Repository(path)
    return None if repo.is_bare else repo


def partial_clone(repo: pygit2.Repository) -> bool:
    """Whether ``repo`` is a partial clone (``git clone --filter``): objects may be missing."""
    config = repo.config
    if "extensions.partialclone" in config:
        return True
    return any(
        entry.name.startswith("remote.") and entry.name.endswith(".promisor")
        for entry in config
        if str(entry.value).lower() == "true"
    )


def _missing(repo: pygit2.Repository, oid: pygit2.Oid | None) -> UsageError:
    """The error for an object git does not have: a partial clone's, or a damaged repository's."""
    named = f"git 对象 {str(oid)[:12]}" if oid is not None else "部分 git 对象"
    if partial_clone(repo):
        return UsageError(
            f"这是部分克隆（partial clone）：仓库里没有旧版本文件的内容（{named}），"
            "无法生成修改记录和公布版本。请完整克隆仓库：git clone 时不要加 --filter；"
            "在 GitHub Actions 中，actions/checkout 不要设置 filter，并设置 fetch-depth: 0。"
        )
    return UsageError(f"仓库缺少{named}，仓库可能已损坏：请运行 git fsck 检查，或重新克隆仓库。")


def _object(repo: pygit2.Repository, oid: pygit2.Oid) -> pygit2.Object:
    """The object ``oid``; a UsageError saying what to do when git does not have it."""
    try:
        return repo[oid]
    except KeyError as exc:
        raise _missing(repo, oid) from exc


def _bytes(repo: pygit2.Repository, oid: pygit2.Oid) -> bytes:
    """The raw content of object ``oid`` (a blob's bytes, a tree's entries)."""
    try:
        return bytes(repo.odb.read(oid)[1])
    except (KeyError, pygit2.GitError) as exc:
        raise _missing(repo, oid) from exc


def tracks(root: Path, folder: str) -> bool:
    """Whether git tracks any file under ``folder`` of ``root`` (in the index or at HEAD)."""
    repo = open_repository(root)
    if repo is None:
        return False
    workdir = Path(repo.workdir).resolve()
    try:
        prefix = (root.resolve() / folder).relative_to(workdir).as_posix().rstrip("/") + "/"
    except ValueError:
        return False
    if any(entry.path.startswith(prefix) for entry in repo.index):
        return True
    if repo.head_is_unborn:
        return False
    try:
        repo.head.peel(pygit2.Commit).tree[prefix.rstrip("/")]
    except KeyError:
        return False
    return True


def gitlinks(root: Path, folder: str) -> list[str]:
    """Submodule entries (gitlinks) under ``folder`` of ``root``, in the index or at HEAD.

    A gitlink names a commit of another repository, not files: the build cannot publish
    it, and in the work tree it is at most an empty folder, so only git can tell.
    Paths are relative to ``root``.
    """
    repo = open_repository(root)
    if repo is None:
        return []
    workdir = Path(repo.workdir).resolve()
    try:
        base = root.resolve().relative_to(workdir).as_posix()
    except ValueError:
        return []
    prefix = "" if base == "." else base + "/"
    inside = prefix + folder.rstrip("/") + "/"
    found = {
        entry.path[len(prefix) :]
        for entry in repo.index
        if entry.mode == pygit2.GIT_FILEMODE_COMMIT and entry.path.startswith(inside)
    }
    if not repo.head_is_unborn:
        try:
            tree = repo.head.peel(pygit2.Commit).tree[inside.rstrip("/")]
        except KeyError:
            tree = None
        stack = [(tree, inside)] if isinstance(tree, pygit2.Tree) else []
        while stack:
            node, path = stack.pop()
            for entry in node:
                if entry.filemode == pygit2.GIT_FILEMODE_COMMIT:
                    found.add(f"{path}{entry.name}"[len(prefix) :])
                elif entry.filemode == pygit2.GIT_FILEMODE_TREE:
                    child = repo[entry.id]
                    if isinstance(child, pygit2.Tree):
                        stack.append((child, f"{path}{entry.name}/"))
    return sorted(found)


def resolve(repo: pygit2.Repository, revision: str) -> pygit2.Commit:
    """Return the commit that ``revision`` (a branch, tag, commit id, HEAD~2 …) names."""
    try:
        obj = repo.revparse_single(revision)
    except (KeyError, ValueError, pygit2.GitError) as exc:
        raise UsageError(f"找不到版本“{revision}”：请使用分支名、标签名或提交编号。") from exc
    commit = obj.peel(pygit2.Commit)
    assert isinstance(commit, pygit2.Commit)
    return commit


def _walk_tree(
    repo: pygit2.Repository, tree: pygit2.Tree, prefix: str, out: dict[str, bytes]
) -> None:
    for entry in tree:
        if entry.filemode == pygit2.GIT_FILEMODE_COMMIT:
            continue  # a submodule: a commit of another repository, never files of this one
        path = f"{prefix}{entry.name}"
        obj = _object(repo, entry.id)
        if isinstance(obj, pygit2.Tree):
            _walk_tree(repo, obj, path + "/", out)
        elif isinstance(obj, pygit2.Blob):
            out[path] = obj.data


def files_at(
    repo: pygit2.Repository, commit: pygit2.Commit, names: tuple[str, ...] = SOURCES
) -> dict[str, bytes]:
    """Return the files of ``commit`` under ``names`` (top-level files or folders), by path."""
    out: dict[str, bytes] = {}
    for name in names:
        try:
            entry = commit.tree[name]
        except KeyError:
            continue
        if entry.filemode == pygit2.GIT_FILEMODE_COMMIT:
            continue
        obj = _object(repo, entry.id)
        if isinstance(obj, pygit2.Tree):
            _walk_tree(repo, obj, name + "/", out)
        elif isinstance(obj, pygit2.Blob):
            out[name] = obj.data
    return out


def export(
    repo: pygit2.Repository, commit: pygit2.Commit, dest: Path, names: tuple[str, ...] = SOURCES
) -> Path:
    """Write the sources of ``commit`` into ``dest`` without touching the work tree; return ``dest``."""
    try:
        for rel, data in files_at(repo, commit, names).items():
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    except OSError as exc:  # a full disk, a permission: say so, not an internal error
        raise SiteBuilderError(
            f"无法把提交 {str(commit.id)[:12]} 的文件写入临时目录 {dest}：{exc.strerror or exc}。"
            "请检查磁盘空间和写入权限。"
        ) from exc
    return dest


def export_revision(root: Path, revision: str, dest: Path) -> tuple[Path, str]:
    """Write what ``revision`` of the site at ``root`` is built from into ``dest``, without checkout.

    The site may sit in a sub-folder of its repository; its template overrides
    (``custom_dir``) come along. Returns the site's folder inside ``dest`` and the commit id.
    """
    repo = open_repository(root)
    if repo is None:
        raise UsageError(f"“{root}”不在 git 仓库中：读取历史版本需要 git 仓库。")
    commit = resolve(repo, revision)
    workdir = Path(repo.workdir).resolve()
    here = root.resolve()
    prefix = "" if here == workdir else here.relative_to(workdir).as_posix() + "/"
    names = [f"{prefix}{n}" for n in SOURCES]
    config = files_at(repo, commit, (f"{prefix}site.yaml",)).get(f"{prefix}site.yaml")
    if config is not None:
        text, _ = sources.decode("site.yaml", config)
        data, _ = sources.parse("site.yaml", text) if text is not None else (None, [])
        custom = data.get("custom_dir") if isinstance(data, dict) else None
        if isinstance(custom, str) and custom and not custom.startswith(("/", "..")):
            names.append(f"{prefix}{custom.strip('/')}")
    export(repo, commit, dest, tuple(names))
    site = dest / prefix if prefix else dest
    site.mkdir(parents=True, exist_ok=True)
    return site, str(commit.id)


@dataclass(frozen=True)
class WorkTree:
    """The state of the work tree: shallow clone or not, and data files with uncommitted changes."""

    shallow: bool
    uncommitted: tuple[str, ...]


def work_tree(repo: pygit2.Repository, root: Path) -> WorkTree:
    """Report uncommitted changes to the data (site.yaml and data/), relative to ``root``."""
    workdir = Path(repo.workdir).resolve()
    base = root.resolve().relative_to(workdir).as_posix() if root.resolve() != workdir else ""
    prefix = f"{base}/" if base else ""
    changed = []
    try:
        status = repo.status()
    except (pygit2.GitError, OSError) as exc:  # a file git cannot read (no read permission)
        raise UsageError(f"git 无法读取工作区中的文件：{exc}。请检查文件权限。") from exc
    for path, flags in status.items():
        if flags == pygit2.enums.FileStatus.IGNORED or not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if rel == "site.yaml" or rel.startswith("data/"):
            changed.append(rel)
    return WorkTree(shallow=repo.is_shallow, uncommitted=tuple(sorted(changed)))


def blob_id(data: bytes) -> str:
    """The id git gives a file of these bytes (SHA-1 of "blob <size>\\0" and the bytes)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def unreviewed(
    repo: pygit2.Repository,
    commit: pygit2.Commit,
    root: Path,
    read: Mapping[str, tuple[str, str]],
) -> list[str]:
    """The files read whose bytes are not those of ``commit``, relative to ``root``.

    ``read``: (git blob id, SHA-256) of the bytes each file had when the build read
    it. git's status trusts a file's size and times, and a file may change after it
    ran: the bytes themselves are compared. A file whose bytes differ from its blob
    only by git's own checkout filters (line endings) is the commit's.
    """
    workdir = Path(repo.workdir).resolve()
    here = root.resolve()
    prefix = "" if here == workdir else here.relative_to(workdir).as_posix() + "/"
    tree = commit.tree
    out = []
    for rel, (blob, sha256) in read.items():
        try:
            entry = tree[prefix + rel]
        except KeyError:  # not in the commit: untracked, ignored or only staged
            out.append(rel)
            continue
        if str(entry.id) == blob:
            continue
        obj = repo.get(entry.id)
        if not isinstance(obj, pygit2.Blob):
            out.append(rel)
            continue
        data = obj.data
        filters = repo.load_filter_list(prefix + rel, pygit2.enums.FilterMode.TO_WORKTREE)
        if filters is not None:
            data = filters.apply_to_buffer(data)
        if hashlib.sha256(data).hexdigest() != sha256:
            out.append(rel)
    return sorted(out)


# --- the update trail -------------------------------------------------------------

CACHE_VERSION = 6  # 6: files of old commits that could not be read
CACHE_FILE = "trail.json"
ADDED, CHANGED, CANCELLED, DELETED = "新增", "变更", "取消", "删除"
# A field value longer than this (as JSON) is recorded as changed without its text.
SHORT = 120
LONG = {"long": True}

_PR_PATTERNS = (
    re.compile(r"^Merge pull request #(\d+)"),  # GitHub merge commits
    re.compile(r"\(#(\d+)\)\s*$"),  # squash merges: "Title (#12)"
    re.compile(r"See merge request [^\s!]*!(\d+)"),  # GitLab
    re.compile(r"^Merge branch .* into .*\(!(\d+)\)"),
)
_RECORD_PATHS = (
    (re.compile(r"^data/departments/([^/]+)/powers/([^/]+)\.yaml$"), "power", 2),
    (re.compile(r"^data/departments/([^/]+)/department\.yaml$"), "department", 1),
    (re.compile(r"^data/laws/([^/]+)\.yaml$"), "law", 1),
)


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One top-level field of a record, before and after (``LONG`` stands for a long value)."""

    field: str
    old: Any = None
    new: Any = None


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


def record_key(path: str) -> tuple[tuple[str, str], str] | None:
    """Return ((kind, id), department) for a record's path, or None for other files."""
    for pattern, kind, group in _RECORD_PATHS:
        match = pattern.match(path)
        if match:
            return (kind, match.group(group)), match.group(1) if kind != "law" else ""
    return None


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


def _date(commit: pygit2.Commit) -> str:
    zone = timezone(timedelta(minutes=commit.commit_time_offset))
    return datetime.fromtimestamp(commit.commit_time, tz=UTC).astimezone(zone).date().isoformat()


# One entry of a raw git tree object: "<mode> <name>\0<20-byte id>".
_TREE_ENTRY = re.compile(rb"[0-7]+ [^\0]+\0.{20}", re.DOTALL)


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


class _Unreadable:
    """The value of a field that cannot be read: not UTF-8, not YAML, or nested too deep."""

    def __repr__(self) -> str:
        return "UNREADABLE"


# Old commits may hold files that today's checks refuse: the trail says it could not
# read them instead of showing their fields as removed, or stopping the build.
UNREADABLE: Any = _Unreadable()


def _public(kind: str, disclosure: Any, readable: bool) -> bool:
    """Whether a record read from an old commit was public then (``disclosure.is_public``),
    given its ``disclosure`` field as read and whether its file could be read at all.

    A power whose file or disclosure cannot be read may have been withheld: it counts as
    withheld. Other kinds of record have no disclosure and are public.
    """
    unknown = kind == "power" and (not readable or disclosure is UNREADABLE)
    return is_public(disclosure) and not unknown


class _Reader:
    """Reads records' top-level fields from blobs, parsing only what differs; caches by blob id."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self.repo = repo
        self.blocks: dict[str, dict[str, str]] = {}
        self.unreadable: set[str] = set()  # blob ids of files that cannot be read at all
        self.values: dict[str, Any] = {}
        self.trees: dict[bytes, frozenset[bytes]] = {}
        self.submodules: list[str] = []  # gitlinks met by ``changed``, for its caller to take

    def fields(self, blob_id: pygit2.Oid | None) -> dict[str, str] | None:
        """The top-level fields of a record's blob, each as its YAML text; None when there is
        no blob, {} (and the blob counted unreadable) when it cannot be read."""
        if blob_id is None:
            return None
        key = str(blob_id)
        if key not in self.blocks:
            try:
                text: str | None = _bytes(self.repo, blob_id).decode("utf-8")
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

    def readable(self, blob_id: pygit2.Oid | None) -> bool:
        self.fields(blob_id)
        return blob_id is None or str(blob_id) not in self.unreadable

    def entries(self, tree_id: pygit2.Oid | None) -> frozenset[bytes]:
        """The raw entries of a tree object (mode, name, id), remembered for the next commit."""
        if tree_id is None:
            return frozenset()
        key = tree_id.raw
        found = self.trees.get(key)
        if found is None:
            found = frozenset(_TREE_ENTRY.findall(_bytes(self.repo, tree_id)))
            if len(self.trees) > 4096:
                self.trees.clear()
            self.trees[key] = found
        return found

    def changed(
        self, old: pygit2.Oid | None, new: pygit2.Oid | None, prefix: str = ""
    ) -> list[tuple[str, pygit2.Oid | None, pygit2.Oid | None]]:
        """Blobs that differ between two trees, descending only into subtrees that changed and may hold records."""
        if old == new:
            return []
        sides: dict[str, list[Any]] = {}
        old_entries, new_entries = self.entries(old), self.entries(new)
        for side, differing in ((0, old_entries - new_entries), (1, new_entries - old_entries)):
            for raw in differing:
                mode, _, rest = raw.partition(b" ")
                raw_name, _, oid = rest.partition(b"\0")
                name = raw_name.decode("utf-8", "replace")
                slot = sides.setdefault(name, [None, None, False])
                if mode == b"160000":  # a submodule: a commit of another repository, never read
                    if side == 1:
                        self.submodules.append(prefix + name)
                    continue
                slot[side] = pygit2.Oid(raw=oid)
                slot[2] = slot[2] or mode == b"40000"
        out: list[tuple[str, pygit2.Oid | None, pygit2.Oid | None]] = []
        for name, (old_id, new_id, is_tree) in sorted(sides.items()):
            path = prefix + name
            if old_id is None and new_id is None:
                continue
            if is_tree:
                if _may_hold_records(path):
                    out.extend(self.changed(old_id, new_id, path + "/"))
            else:
                out.append((path, old_id, new_id))
        return out

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


def _compare(
    reader: _Reader, old: pygit2.Oid | None, new: pygit2.Oid | None
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


def _commit_changes(
    repo: pygit2.Repository,
    reader: _Reader,
    commit: pygit2.Commit,
    renamed: dict[tuple[str, str], tuple[str, str]],
    unread: list[Unread],
) -> list[Change]:
    """The changes ``commit`` made to records; what it holds that cannot be read goes to ``unread``."""
    parent = commit.parents[0] if commit.parents else None
    before: dict[tuple[str, str], tuple[str, str, pygit2.Oid]] = {}
    after: dict[tuple[str, str], tuple[str, str, pygit2.Oid]] = {}
    for path, old_id, new_id in reader.changed(parent.tree_id if parent else None, commit.tree_id):
        found = record_key(path)
        if found is None:
            continue
        if old_id is not None:
            before[found[0]] = (path, found[1], old_id)
        if new_id is not None:
            after[found[0]] = (path, found[1], new_id)
    author = printable(
        (commit.parents[1].author if len(commit.parents) > 1 else commit.author).name
    )
    message = printable(commit.message)
    sha, date, pr, title = (
        str(commit.id),
        _date(commit),
        pull_request(message),
        change_title(message),
    )
    out: list[Change] = []
    unread.extend(Unread(sha, date, path, SUBMODULE) for path in reader.submodules)
    reader.submodules.clear()
    # A record removed and another of the same kind added, equal but for the id: a rename.
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
    for key in sorted(set(before) | set(after)):
        if key in pairs.values():
            continue
        old_key = pairs.get(key)
        old = before.get(old_key or key)
        cur = after.get(key)
        result = _compare(reader, old[2] if old else None, cur[2] if cur else None)
        if old_key:
            renamed[key] = old_key
            others = tuple(f for f in (result[1] if result else ()) if f.field != "id")
            result = (CHANGED, (FieldChange("id", old_key[1], key[1]), *others), True)
        if old and cur and old[1] != cur[1]:  # moved to another department
            moved = FieldChange("department", old[1], cur[1])
            result = (
                result[0] if result else CHANGED,
                (moved, *(result[1] if result else ())),
                result[2] if result else True,
            )
        path = cur[0] if cur else old[0] if old else ""
        # Name and disclosure from the newest side that can be read; when neither can be
        # read, whether the power was public then is unknown, so it counts as withheld.
        sides = [s[2] for s in (cur, old) if s is not None and reader.readable(s[2])]
        latest = (reader.fields(sides[0]) if sides else None) or {}
        public = _public(key[0], reader.value(latest.get("disclosure")), bool(sides))
        if result is None:
            if public or key[0] != "power":
                continue
            # A withheld power's file touched without a change in meaning: kept (it is never
            # published), so that the commit's message, which may name it, is withheld too.
            result = (CHANGED, (), True)
        name = reader.value(latest.get("name") or latest.get("title"))
        if name is UNREADABLE:
            name = None
        out.append(
            Change(
                sha,
                date,
                commit.commit_time,
                author,
                pr,
                title,
                result[0],
                key,
                path,
                result[1],
                str(name or key[1]),
                public,
                result[2],
            )
        )
        if not result[2]:
            unread.append(Unread(sha, date, path, UNREADABLE_FILE))
    return out


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


class _Corrupt(Exception):
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


def _valid_segment(doc: Any, repo: pygit2.Repository) -> bool:
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


class _Cache:
    """The trail's cache: an index (head, renames, segment files) and append-only segments.

    An update writes only the changes of the new commits, as a new segment; the
    segments are merged into one when there are more than ``MAX_SEGMENTS``.
    Everything read is checked (an index and its segments are the cache's only
    source of truth): a cache that fails a check is discarded and written anew.
    """

    MAX_SEGMENTS = 20

    def __init__(self, folder: Path, repo: pygit2.Repository) -> None:
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
        """``newest`` and then the changes of ``segments``, newest segment first; ``_Corrupt`` if one fails its checks."""
        changes = list(newest)
        for name in reversed(segments):
            try:
                doc = json.loads((self.folder / name).read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise _Corrupt(name) from exc
            if not _valid_segment(doc, self.repo):
                raise _Corrupt(name)
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


def trail(root: Path, revision: str = "HEAD", cache: Path | None = None) -> Trail | None:
    """Read the update trail of ``revision``: one pass over its first-parent history.

    Returns None when ``root`` is not in a git repository. With ``cache`` (a folder),
    the result is kept by commit id, and a later call processes only the commits
    added since; when the history was rewritten (a force push) it starts again.
    Changes read from the cache are loaded when they are first asked for; a cache
    that fails its checks (damaged, or of another repository) is recomputed and
    written anew, and one that cannot be written is done without.
    """
    repo = open_repository(root)
    if repo is None:
        return None
    if repo.head_is_unborn:
        return Trail(None, repo.is_shallow, [], {})
    try:
        return _trail(root, repo, revision, cache)
    except pygit2.GitError as exc:  # an object git cannot read: missing, or damaged
        raise _missing(repo, None) from exc


def _trail(root: Path, repo: pygit2.Repository, revision: str, cache: Path | None) -> Trail:
    head = resolve(repo, revision)
    store = _Cache(cache, repo) if cache else None
    index = previous = store.read_index() if store else None
    new_commits: list[pygit2.Commit] = []
    commit: pygit2.Commit | None = head
    while commit is not None:
        if index is not None and str(commit.id) == index["head"]:
            break
        new_commits.append(commit)
        commit = commit.parents[0] if commit.parents else None
    else:
        index = None  # the cached head is not in this history: rewritten, start again
    renamed = {(r[0], r[1]): (r[2], r[3]) for r in index["renamed"]} if index else {}
    reader = _Reader(repo)
    changes: list[Change] = []
    found: list[Unread] = []
    for c in new_commits:
        changes.extend(_commit_changes(repo, reader, c, renamed, found))
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
    except _Corrupt:  # found while merging the segments
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
        repo = open_repository(self.root)
        assert repo is not None  # the trail was read from it
        store = _Cache(self.cache, repo)
        try:
            return store.load(self.segments, self.newest)
        except _Corrupt:
            return _rebuild(repo, resolve(repo, self.head), store, self.renamed)


def _rebuild(
    repo: pygit2.Repository,
    head: pygit2.Commit,
    store: _Cache,
    renamed: dict[tuple[str, str], tuple[str, str]],
) -> list[Change]:
    """The whole trail computed again, for a cache that failed its checks when read,
    and written to the cache anew; ``renamed`` (the trail's) is updated in place."""
    fresh: dict[tuple[str, str], tuple[str, str]] = {}
    everything: list[Change] = []
    unread: list[Unread] = []
    reader = _Reader(repo)
    node: pygit2.Commit | None = head
    while node is not None:
        everything.extend(_commit_changes(repo, reader, node, fresh, unread))
        node = node.parents[0] if node.parents else None
    renamed.clear()
    renamed.update(fresh)  # the Trail holds this very dictionary
    store.clear()
    with contextlib.suppress(OSError):  # the cache cannot be written: do without it
        store.save(str(head.id), renamed, [], everything, None, tuple(unread))
    return everything


# --- published editions -----------------------------------------------------------


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
    repo = open_repository(root)
    if repo is None or repo.head_is_unborn:
        return []
    reader = _Reader(repo)
    found = []
    for ref in repo.references.iterator(pygit2.enums.ReferenceFilter.TAGS):
        tag = ref.shorthand
        if not fnmatch.fnmatchcase(tag, pattern):
            continue
        target = repo[ref.target]
        commit = target.peel(pygit2.Commit)
        message = printable(target.message) if isinstance(target, pygit2.Tag) else ""
        powers = {}
        for path, blob_id in _record_blobs(repo, commit.tree):
            found_key = record_key(path)
            if found_key is None or found_key[0][0] != "power":
                continue
            blocks = reader.fields(blob_id) or {}
            values = {
                key: reader.value(blocks.get(key))
                for key in ("name", "category", "status", "disclosure")
            }
            public = _public("power", values["disclosure"], reader.readable(blob_id))
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
                _date(commit),
                commit.commit_time,
                (message or "").strip().split("\n")[0],
                powers,
            )
        )
    return sorted(found, key=lambda e: (e.timestamp, e.tag))


def _record_blobs(repo: pygit2.Repository, tree: pygit2.Tree) -> list[tuple[str, pygit2.Oid]]:
    out: list[tuple[str, pygit2.Oid]] = []

    def walk(node: pygit2.Tree, prefix: str) -> None:
        for entry in node:
            if entry.filemode == pygit2.GIT_FILEMODE_COMMIT:
                continue  # a submodule: never read
            obj = _object(repo, entry.id)
            if isinstance(obj, pygit2.Tree):
                walk(obj, f"{prefix}{entry.name}/")
            else:
                out.append((f"{prefix}{entry.name}", entry.id))

    try:
        entry = tree["data/departments"]
    except KeyError:
        return out
    departments = _object(repo, entry.id)
    if not isinstance(departments, pygit2.Tree):
        return out
    walk(departments, "data/departments/")
    return out


@dataclass(frozen=True)
class Published:
    """What git says about the published list: its trail, its editions, and the work tree's state."""

    trail: Trail | None  # None: not a git repository
    editions: list[Edition]
    shallow: bool
    uncommitted: tuple[str, ...]
    commit: str | None = None  # the commit built from
    commit_time: int | None = None  # its commit time, in seconds since the epoch


def published(
    root: Path,
    cache: Path | None,
    tag_pattern: str | None,
    read: Mapping[str, tuple[str, str]] | None = None,
) -> Published:
    """Read the trail of HEAD, the editions and the work tree's state in one go.

    ``read``: (git blob id, SHA-256) of each file the build read; those whose bytes
    are not HEAD's count as uncommitted, as git's own status reports them.
    """
    repo = open_repository(root)
    if repo is None:
        return Published(None, [], False, ())
    state = work_tree(repo, root)
    commit = None if repo.head_is_unborn else resolve(repo, "HEAD")
    uncommitted = set(state.uncommitted)
    if read and commit is not None:
        uncommitted.update(unreviewed(repo, commit, root, read))
    return Published(
        trail(root, cache=cache),
        editions(root, tag_pattern) if tag_pattern else [],
        state.shallow,
        tuple(sorted(uncommitted)),
        str(commit.id) if commit else None,
        commit.commit_time if commit else None,
    )
