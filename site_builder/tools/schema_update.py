"""``site-builder schema``: write the list's schemas into ``schema/``, or say which are stale.

The files are ``schemagen.generate``'s: the tool's default schemas with the categories of
site.yaml and without the reference list's examples. Editors read them (each data file's
first line points to one), and the site publishes them. A schema/ kept by hand (one
without the tool's mark, as the reference list's) is never overwritten unless asked.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import UsageError
from site_builder.reading import layout, schemagen, tree
from site_builder.reading.config import load_config


@dataclass(frozen=True)
class Updated:
    """What ``update`` wrote (or, checking, would write): the files, relative to the root."""

    written: list[str]
    unchanged: list[str]
    kept: list[str]  # the repository's own, left alone (checking without ``force``)


def update(root: Path, check: bool = False, force: bool = False) -> Updated:
    """Write the generated schemas into ``root``'s ``schema/``; with ``check``, write nothing.

    A file there without the tool's mark is the repository's own: refused unless ``force``.
    """
    config = load_config(root)
    wanted = schemagen.generate(config.category_names)
    folder = root / layout.SCHEMA
    found = {p.name: p for p in tree.files(folder, root)} if os.path.lexists(folder) else {}
    own = sorted(
        f"{layout.SCHEMA}/{name}"
        for name, path in found.items()
        if name.endswith(".schema.json") and not schemagen.is_generated(tree.read(path, root))
    )
    if own and not force and not check:
        raise UsageError(
            f"{'、'.join(own)} 不是本工具生成的模式，而是本仓库自己维护的，不会覆盖。"
            "若要改用本工具按 site.yaml 生成的模式，请加 --force（原文件会被替换，请先确认无自定义内容）。"
        )
    written, unchanged, kept = [], [], []
    for rel, raw in wanted.items():
        path = root / rel
        if rel in own and not force:
            kept.append(rel)
        elif rel.removeprefix(f"{layout.SCHEMA}/") in found and tree.read(path, root) == raw:
            unchanged.append(rel)
        else:
            written.append(rel)
    if not check:
        folder.mkdir(exist_ok=True)
        for rel in written:
            _replace(root / rel, wanted[rel])
    return Updated(written, unchanged, kept)


def _replace(path: Path, data: bytes) -> None:
    """Write ``path`` whole or not at all: a temporary file beside it, then renamed."""
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise
