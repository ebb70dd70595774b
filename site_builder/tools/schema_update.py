"""``site-builder schema``: write the list's schemas into ``schema/``, or say which are stale.

The files are ``schemagen.generate``'s: the tool's default schemas with the categories of
site.yaml and without the reference list's examples. Editors read them (each data file's
first line points to one), and the site publishes them. A schema/ kept by hand (one
without the tool's mark, as the reference list's) is never overwritten unless asked. The files are written all or
nothing, as ``upgrade`` writes its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import UsageError
from site_builder.reading import layout, schemagen, tree
from site_builder.reading.config import load_config
from site_builder.tools import upgrade


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
    found = tree.files(folder, root) if os.path.lexists(folder) else []
    held = {f"{layout.SCHEMA}/{p.name}": tree.read(p, root) for p in found if p.parent == folder}
    own = sorted(
        rel
        for rel, raw in held.items()
        if rel.endswith(".schema.json") and not schemagen.is_generated(raw)
    )
    if own and not force and not check:
        raise UsageError(
            f"{'、'.join(own)} 不是本工具生成的模式，而是本仓库自己维护的，不会覆盖。"
            "若要改用本工具按 site.yaml 生成的模式，请加 --force（原文件会被替换，请先确认无自定义内容）。"
        )
    written, unchanged, kept = [], [], []
    for rel, raw in wanted.items():
        if rel in own and not force:
            kept.append(rel)
        elif held.get(rel) == raw:
            unchanged.append(rel)
        else:
            written.append(rel)
    if not check:
        folder.mkdir(exist_ok=True)
        upgrade.write_files(root, {rel: wanted[rel] for rel in written}, dict(held))
    return Updated(written, unchanged, kept)
