"""The schemas a list repository is given: the tool's defaults, made the list's own.

``site-builder schema`` writes them into ``schema/`` (``init`` does too), and a build of a
repository that holds no ``schema/`` uses them as they would be written. They are the
default schemas with the categories of site.yaml in the power's ``category`` (so an
editor completes 行政奖励 where the site has it) and without the reference list's
examples: an example that names a place of the sample (“例如 肇庆市自然资源局”) would
put another government's names into the new list's data dictionary.

A file so written says so in its ``$comment`` (``MARK``): ``validate`` warns when such a
file is no longer what this tool would write, and leaves a schema the repository keeps
by hand (the reference list's own) alone.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from site_builder.reading import defaults, layout, tree

MARK = (
    "由 site-builder 按本工具的默认模式和 site.yaml 生成，请勿手工修改："
    "修改 site.yaml 的类别或升级本工具后，运行 site-builder schema 更新。"
)

# Text that only the reference list's examples hold: its places, its area code (GB/T 2260)
# and telephone area code, its documents' prefix. An example clause holding one is left out.
SAMPLE_MARKERS = (
    "肇庆", "端州", "鼎湖", "高要", "四会", "广宁", "怀集", "封开", "德庆",
    "0758", "441200", "肇府", "肇国土",
)  # fmt: skip

# Values of an enum that name the reference list's place (驻肇: stationed in Zhaoqing), and
# what a new list is offered instead.
SAMPLE_VALUES = {"中央和省驻肇单位": "中央和省驻本地单位"}

# An example clause of a description: from “例如” (with the comma before it) to the end of
# its sentence, the sentence's full stop kept.
_EXAMPLE = re.compile(r"[，,；]?\s*例如[^。；]*")


def generate(categories: Sequence[str] | None = None) -> dict[str, bytes]:
    """The schema files (``"schema/<kind>.schema.json"``: bytes), as ``schema`` writes them."""
    out: dict[str, bytes] = {}
    folder = defaults.schema()
    for path in sorted(folder.glob("*.schema.json")):
        doc = json.loads(tree.read(path, defaults.base(path)).decode("utf-8"))
        doc = _without_samples(doc)
        if categories and path.name == "power.schema.json":
            doc["properties"]["category"]["enum"] = list(categories)
        out[f"{layout.SCHEMA}/{path.name}"] = dump(_marked(doc))
    return out


def dump(doc: Any) -> bytes:
    """A schema document as this tool writes one."""
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def is_generated(raw: bytes) -> bool:
    """Whether the schema file ``raw`` was written by this tool (it carries ``MARK``)."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("$comment") == MARK


def stale(files: Mapping[str, bytes], categories: Sequence[str]) -> list[str]:
    """The written schema files (``"schema/…"``: bytes, as read) that are not what this tool
    would write now: each a file written by the tool (a file kept by hand is the
    repository's own) that differs, and each default the written set lacks."""
    written = {rel: raw for rel, raw in files.items() if rel.startswith(f"{layout.SCHEMA}/")}
    if not any(is_generated(raw) for raw in written.values()):
        return []
    wanted = generate(categories)
    return sorted(
        rel
        for rel, raw in wanted.items()
        if rel not in written or (is_generated(written[rel]) and written[rel] != raw)
    )


def _marked(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with ``MARK`` as its ``$comment``, after ``$schema`` and ``$id``."""
    head: dict[str, Any] = {k: doc[k] for k in ("$schema", "$id") if k in doc}
    rest = {k: v for k, v in doc.items() if k not in head and k != "$comment"}
    return {**head, "$comment": MARK, **rest}


def _without_samples(node: Any) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "examples" and isinstance(value, list):
                value = [v for v in value if not _sample(json.dumps(v, ensure_ascii=False))]
                if not value:
                    continue
            elif key == "enum" and isinstance(value, list):
                value = [SAMPLE_VALUES.get(v, v) if isinstance(v, str) else v for v in value]
            elif key in ("description", "title") and isinstance(value, str):
                value = _EXAMPLE.sub(lambda m: "" if _sample(m.group()) else m.group(), value)
                if not value.strip("。；，, "):
                    continue
            else:
                value = _without_samples(value)
            out[key] = value
        return out
    if isinstance(node, list):
        return [_without_samples(v) for v in node]
    return node


def _sample(text: str) -> bool:
    return any(marker in text for marker in SAMPLE_MARKERS)
