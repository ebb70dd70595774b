"""Rewrite data files in one canonical form without changing their meaning.

Canonical form: the ``$schema`` header line, keys in the order of the schema's
``properties`` (unknown keys keep their place at the end, for ``validate`` to
report), no null or empty fields, literal blocks for multi-line or long text.
Comments other than the header block are not kept.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from site_builder.errors import Problem, UsageError
from site_builder.reading import formats, layout, model, sources
from site_builder.reading.schemas import Schemas

_SCHEMA_LINE = "# yaml-language-server: $schema="


@dataclass
class FmtResult:
    changed: list[str] = field(default_factory=list)
    diffs: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _kinds(root: Path) -> dict[str, str]:
    files, _ = model.discover(root)
    kinds = {rel: kind for kind, rel in files}
    if (root / layout.CONFIG).is_file():
        kinds[layout.CONFIG] = "site"
    return kinds


def _select(root: Path, paths: list[str], kinds: dict[str, str]) -> list[str]:
    if not paths:
        return sorted(kinds)
    chosen: set[str] = set()
    for raw in paths:
        target = (
            root / raw
        ).resolve()  # -C DIR acts as cd DIR, so paths are relative to the repository
        try:
            rel = target.relative_to(root.resolve()).as_posix()
        except ValueError as exc:
            raise UsageError(f"{raw} 不在仓库 {root} 中。") from exc
        matched = [
            k for k in kinds if k == rel or rel in (".", "") or k.startswith(rel.rstrip("/") + "/")
        ]
        if not matched:
            raise UsageError(f"{raw} 不是可格式化的数据文件（site.yaml、data/ 下的 .yaml 文件）。")
        chosen.update(matched)
    return sorted(chosen)


def format_files(root: Path, paths: list[str], check: bool) -> FmtResult:
    """Format ``paths`` (default: every data file); with ``check``, only report diffs."""
    formats.of_repository(root)  # a newer tool's files are not this one's to rewrite
    kinds = _kinds(root)
    schemas = Schemas(root / layout.SCHEMA)
    result = FmtResult()
    for rel in _select(root, paths, kinds):
        source, problems = sources.read(root, rel)
        errors = [p for p in problems if p.severity == "error"]
        if source is None or errors:
            result.problems += errors or problems
            continue
        text = canonical_text(source.text, source.data, kinds[rel], rel, schemas)
        raw = (root / rel).read_bytes()
        if text.encode("utf-8") == raw:
            continue
        result.changed.append(rel)
        if check:
            result.diffs += difflib.unified_diff(
                source.text.splitlines(keepends=True),
                text.splitlines(keepends=True),
                f"a/{rel}",
                f"b/{rel}",
            )
        else:
            (root / rel).write_bytes(text.encode("utf-8"))
    return result


def schema_header(kind: str, rel: str) -> str:
    """Return the ``$schema`` comment line for a file of ``kind`` at ``rel``."""
    depth = len(PurePosixPath(rel).parts) - 1
    return f"{_SCHEMA_LINE}{'../' * depth}{layout.schema_file(kind)}"


def canonical_text(text: str, data: Any, kind: str, rel: str, schemas: Schemas) -> str:
    """Return the canonical text of a file: header comments, then the ordered, pruned data."""
    header = [schema_header(kind, rel)]
    for line in text.lstrip("\ufeff").splitlines():
        if not line.startswith("#"):
            break
        if not line.startswith(_SCHEMA_LINE):
            header.append(line.rstrip())
    body = order(prune(data), schemas.documents[kind], schemas.documents, kind)
    dumped = sources.dump(body) if body not in (None, {}) else ""
    return "\n".join(header) + "\n" + dumped


def prune(value: Any) -> Any:
    """Drop null and empty values, recursively (an empty field says nothing)."""
    if isinstance(value, dict):
        out = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, "", [], {})}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v not in (None, "", [], {})]
    return value


def _deref(
    schema: dict[str, Any], docs: dict[str, dict[str, Any]], doc: str
) -> tuple[dict[str, Any], str]:
    while "$ref" in schema:
        target, _, fragment = schema["$ref"].partition("#")
        doc = target.removesuffix(".schema.json") if target else doc
        node: Any = docs[doc]
        for part in fragment.strip("/").split("/") if fragment else []:
            node = node[part]
        schema = node
    return schema, doc


def order(value: Any, schema: dict[str, Any], docs: dict[str, dict[str, Any]], doc: str) -> Any:
    """Order mapping keys as the schema's ``properties`` list them, recursively."""
    schema, doc = _deref(schema, docs, doc)
    if isinstance(value, dict):
        props: dict[str, Any] = schema.get("properties", {})
        keys = [k for k in props if k in value] + [k for k in value if k not in props]
        return {k: order(value[k], props[k], docs, doc) if k in props else value[k] for k in keys}
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [order(v, schema["items"], docs, doc) for v in value]
    return value
