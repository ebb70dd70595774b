"""The git history of the list: its update trail and editions, read only through pygit2 here.

``gitstore`` is the only pygit2 code (revisions, trees, blobs, the work tree); ``changes``
says what a change of a record is; ``trail`` reads every record's changes from the
first-parent history, ``trail_cache`` keeps them between builds; ``editions`` reads the
tagged editions; ``git_warnings`` words what old commits and clones hold.

This module gathers them for the build in one call, ``published()``: the trail, the
editions, and whether the work tree holds data not yet committed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from site_builder.history import gitstore
from site_builder.history.editions import Edition, editions
from site_builder.history.trail import Trail, trail


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
    repo = gitstore.open_repository(root)
    if repo is None:
        return Published(None, [], False, ())
    state = gitstore.work_tree(repo, root)
    commit = None if repo.head_is_unborn else gitstore.resolve(repo, "HEAD")
    uncommitted = set(state.uncommitted)
    if read and commit is not None:
        uncommitted.update(gitstore.unreviewed(repo, commit, root, read))
    return Published(
        trail(root, cache=cache),
        editions(root, tag_pattern) if tag_pattern else [],
        state.shallow,
        tuple(sorted(uncommitted)),
        str(commit.id) if commit else None,
        commit.commit_time if commit else None,
    )
