"""Git plumbing: the only module that imports pygit2.

Opening a repository, naming revisions, reading a revision's files and blobs without a
checkout, walking first-parent history, diffing raw trees, listing tags, and the state
of the work tree. It knows git, not records: what a change to a record is lives in
``changes``, the update trail in ``trail``, editions in ``editions``. Other modules name
git's objects through the aliases below, never pygit2 itself.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeAlias

import pygit2

from site_builder.errors import SiteBuilderError, UsageError
from site_builder.reading import formats, layout, sources

# The git objects other modules hold and pass back: named here so that they need not import pygit2.
Repository: TypeAlias = pygit2.Repository
Commit: TypeAlias = pygit2.Commit
Oid: TypeAlias = pygit2.Oid


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


def start_repository(root: Path, message: str, branch: str = "main") -> bool:
    """Make ``root`` a new git repository on ``branch`` holding every file in it: committed
    with ``message`` when git knows who is committing (user.name and user.email), else
    only staged. Returns whether it was committed."""
    repo = pygit2.init_repository(str(root), initial_head=branch)
    index = repo.index
    index.add_all()
    index.write()
    try:
        who = repo.default_signature
    except (KeyError, pygit2.GitError):  # no user.name / user.email: the person commits
        return False
    repo.create_commit("HEAD", who, who, message, index.write_tree(), [])
    return True


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


def read_bytes(repo: pygit2.Repository, oid: pygit2.Oid) -> bytes:
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
    repo: pygit2.Repository, commit: pygit2.Commit, names: tuple[str, ...] = layout.SOURCES
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
    repo: pygit2.Repository,
    commit: pygit2.Commit,
    dest: Path,
    names: tuple[str, ...] = layout.SOURCES,
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
    (``theme_overrides``) come along. Returns the site's folder inside ``dest`` and the commit id.
    """
    repo = open_repository(root)
    if repo is None:
        raise UsageError(f"“{root}”不在 git 仓库中：读取历史版本需要 git 仓库。")
    commit = resolve(repo, revision)
    workdir = Path(repo.workdir).resolve()
    here = root.resolve()
    prefix = "" if here == workdir else here.relative_to(workdir).as_posix() + "/"
    names = [f"{prefix}{n}" for n in layout.SOURCES]
    config = files_at(repo, commit, (f"{prefix}{layout.CONFIG}",)).get(f"{prefix}{layout.CONFIG}")
    if config is not None:
        text, _ = sources.decode(layout.CONFIG, config)
        data, _ = sources.parse(layout.CONFIG, text) if text is not None else (None, [])
        # Read as the current format has it: an old commit may name it as its format did.
        version = formats.version_of(data) or formats.CURRENT
        data, _ = formats.migrate("site", layout.CONFIG, data, min(version, formats.CURRENT))
        custom = data.get("theme_overrides") if isinstance(data, dict) else None
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
        if rel == layout.CONFIG or rel.startswith(f"{layout.DATA}/"):
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


# --- history: commits, trees and tags, for the trail and the editions -------------


@contextlib.contextmanager
def objects_read(repo: pygit2.Repository) -> Iterator[None]:
    """Turn git's error for an object it cannot read (missing, or damaged) into a UsageError."""
    try:
        yield
    except pygit2.GitError as exc:
        raise _missing(repo, None) from exc


def first_parents(commit: pygit2.Commit) -> Iterator[pygit2.Commit]:
    """``commit``, then its first parent, and so on to the root: the published history."""
    node: pygit2.Commit | None = commit
    while node is not None:
        yield node
        node = node.parents[0] if node.parents else None


def commit_date(commit: pygit2.Commit) -> str:
    """The commit's date (ISO), in the time zone it was made in."""
    zone = timezone(timedelta(minutes=commit.commit_time_offset))
    return datetime.fromtimestamp(commit.commit_time, tz=UTC).astimezone(zone).date().isoformat()


# One entry of a raw git tree object: "<mode> <name>\0<20-byte id>".
_TREE_ENTRY = re.compile(rb"[0-7]+ [^\0]+\0.{20}", re.DOTALL)


class TreeDiff:
    """Blobs that differ between two trees, read from the raw tree objects.

    It descends only into subtrees that changed and that ``descend`` (given a folder's
    path) accepts, and remembers the trees it read for the next commit. Submodules
    (gitlinks) are never read: those added are left in ``submodules`` for the caller.
    """

    def __init__(self, repo: pygit2.Repository, descend: Callable[[str], bool]) -> None:
        self.repo = repo
        self.descend = descend
        self.trees: dict[bytes, frozenset[bytes]] = {}
        self.submodules: list[str] = []

    def entries(self, tree_id: pygit2.Oid | None) -> frozenset[bytes]:
        """The raw entries of a tree object (mode, name, id), remembered for the next commit."""
        if tree_id is None:
            return frozenset()
        key = tree_id.raw
        found = self.trees.get(key)
        if found is None:
            found = frozenset(_TREE_ENTRY.findall(read_bytes(self.repo, tree_id)))
            if len(self.trees) > 4096:
                self.trees.clear()
            self.trees[key] = found
        return found

    def changed(
        self, old: pygit2.Oid | None, new: pygit2.Oid | None, prefix: str = ""
    ) -> list[tuple[str, pygit2.Oid | None, pygit2.Oid | None]]:
        """(path, old blob, new blob) of each blob that differs between trees ``old`` and ``new``."""
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
                if self.descend(path):
                    out.extend(self.changed(old_id, new_id, path + "/"))
            else:
                out.append((path, old_id, new_id))
        return out


def files_under(
    repo: pygit2.Repository, commit: pygit2.Commit, folder: str
) -> list[tuple[str, pygit2.Oid]]:
    """(path, object id) of every file under ``folder`` at ``commit``; submodules are left out."""
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
        entry = commit.tree[folder]
    except KeyError:
        return out
    top = _object(repo, entry.id)
    if not isinstance(top, pygit2.Tree):
        return out
    walk(top, f"{folder}/")
    return out


def tags(repo: pygit2.Repository, pattern: str) -> Iterator[tuple[str, pygit2.Commit, str]]:
    """Each tag whose name matches ``pattern`` (a glob), with the commit it names and its
    message (an annotated tag's; "" for a lightweight tag)."""
    for ref in repo.references.iterator(pygit2.enums.ReferenceFilter.TAGS):
        name = ref.shorthand
        if not fnmatch.fnmatchcase(name, pattern):
            continue
        target = repo[ref.target]
        commit = target.peel(pygit2.Commit)
        yield name, commit, target.message if isinstance(target, pygit2.Tag) else ""
