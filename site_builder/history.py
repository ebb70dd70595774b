"""Git history: the only module that imports pygit2.

The published list is the first-parent history of the published branch. This
module reads revisions without checking them out (their data is read from git's
objects), tells whether the working tree has uncommitted data, and derives the
update trail of every record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pygit2

from site_builder.errors import UsageError

# What a revision's site is built from.
SOURCES = ("site.yaml", "data", "schema", "templates")


def open_repository(root: Path) -> pygit2.Repository | None:
    """Return the git repository whose work tree is ``root`` (or contains it), or None."""
    path = pygit2.discover_repository(str(root))
    if path is None:
        return None
    repo = pygit2.Repository(path)
    return None if repo.is_bare else repo


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
        path = f"{prefix}{entry.name}"
        obj = repo[entry.id]
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
        obj = repo[entry.id]
        if isinstance(obj, pygit2.Tree):
            _walk_tree(repo, obj, name + "/", out)
        elif isinstance(obj, pygit2.Blob):
            out[name] = obj.data
    return out


def export(
    repo: pygit2.Repository, commit: pygit2.Commit, dest: Path, names: tuple[str, ...] = SOURCES
) -> Path:
    """Write the sources of ``commit`` into ``dest`` without touching the work tree; return ``dest``."""
    for rel, data in files_at(repo, commit, names).items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return dest


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
    for path, flags in repo.status().items():
        if flags == pygit2.enums.FileStatus.IGNORED or not path.startswith(prefix):
            continue
        rel = path[len(prefix) :]
        if rel == "site.yaml" or rel.startswith("data/"):
            changed.append(rel)
    return WorkTree(shallow=repo.is_shallow, uncommitted=tuple(sorted(changed)))
