"""What each output folder was last built from, so that a build with the same inputs
into an intact output does nothing at all.

The inputs are everything a build reads: this tool's code, what ``layout.sources``
names (every data file by the SHA-256 computed as it was read; site.yaml, the schemas,
the templates and static files, the site's own templates), lunr.js, what git says
(the commit, the editions, uncommitted files) and SOURCE_DATE_EPOCH. The record lives
in ``.cache/builds.json``; like every cache it is dropped when damaged, and the output
is trusted only when every file its manifest lists is still there, unmodified since the
manifest was written, with nothing added.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from site_builder.engine import cache
from site_builder.errors import Problem
from site_builder.history import Published, gitstore
from site_builder.publishing import manifest, search
from site_builder.reading import defaults, layout, tree
from site_builder.reading.model import Dataset

FILE = "builds.json"


def cache_dir(root: Path) -> Path | None:
    """The build cache of ``root``, or None when git tracks anything in it.

    A cache that arrives with the sources (a pull request can force-add an ignored
    file) was not made here: it could map a file's bytes to other data, or forge the
    history. Such a cache is neither read nor written, and the build says so.
    """
    return None if gitstore.tracks(root, layout.CACHE) else cache.folder(root)


def inputs_key(ds: Dataset, git: Published, preview: bool) -> str:
    """One SHA-256 over every input of a build of ``ds``."""
    h = hashlib.sha256(cache.code_fingerprint().encode())

    def add(label: str, data: bytes) -> None:
        h.update(f"{label}\0{len(data)}\0".encode() + data)

    def read(path: Path) -> bytes:
        try:
            return path.read_bytes()
        except OSError:  # rendering names the file that cannot be read
            return b"\0unreadable"

    for name in layout.sources(ds.config.theme_overrides):
        path = ds.root / name
        if name == layout.DATA:  # as read and checked: a file changed since is refused
            add("digests", json.dumps(sorted(ds.digests.items())).encode())
        elif path.is_dir():
            for rel in tree.scan(path).files:  # no link followed
                add(f"{name}/{rel}", read(path / rel))
        else:
            add(name, read(path) if path.is_file() else b"")
    for name, path in sorted(search.lunr_files(ds.root).items()):
        add(name, read(path))
    # The tool's own theme and schemas, which a repository uses where it holds none.
    for label, folder in (("theme", defaults.templates()), ("schemas", defaults.schema())):
        for rel in tree.scan(folder).files:
            add(f"{label}/{rel}", read(folder / rel))
    state = {
        "commit": git.commit,
        "time": git.commit_time,
        "shallow": git.shallow,
        "uncommitted": list(git.uncommitted),
        "editions": [[e.tag, e.commit] for e in git.editions],
        "preview": preview,
        "epoch": os.environ.get("SOURCE_DATE_EPOCH"),
    }
    add("git", json.dumps(state, sort_keys=True).encode())
    return h.hexdigest()


def _record(folder: Path | None) -> dict[str, Any]:
    found = cache.load(folder / FILE, cache.code_fingerprint()) if folder else None
    return found if isinstance(found, dict) else {}


def unchanged(folder: Path | None, out: Path, key: str) -> list[Problem] | None:
    """The problems the last build reported, if it had these inputs and its output is intact
    (``folder`` is the build cache; None: there is none)."""
    entry = _record(folder).get(str(out.resolve()))
    if not isinstance(entry, dict) or entry.get("key") != key or not manifest.intact(out):
        return None
    try:
        return [Problem.from_json(p) for p in entry.get("problems", [])]
    except (TypeError, ValueError):
        return None


def remember(folder: Path | None, out: Path, key: str, problems: list[Problem]) -> None:
    if folder is None:
        return
    record = _record(folder)
    record[str(out.resolve())] = {
        "key": key,
        "problems": [p.to_json() for p in problems],
    }
    cache.save(folder / FILE, cache.code_fingerprint(), record)
