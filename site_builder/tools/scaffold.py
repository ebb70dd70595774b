"""Scaffold new records: a file with every field of the schema and a Chinese comment on each.

A power's required fields are written with empty values that ``validate`` reports until
they are filled in; optional fields are written as comments to uncomment when needed.
A department is written with every required field filled in (the command is given
them), in the form ``fmt`` writes: its optional fields are described in the comments at
the top of the file, which ``fmt`` keeps. The comments come from the schema's titles and
descriptions, so they cannot drift.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from site_builder.errors import UsageError
from site_builder.reading import layout, slugs, sources
from site_builder.reading.config import load_config
from site_builder.reading.schemas import Schemas, field_text
from site_builder.tools.fmt import _deref, canonical_text, schema_header

_MAX_DEPTH = 4


def new_power(
    root: Path, department: str, category: str, name: str, power_id: str | None = None
) -> Path:
    """Write a scaffold for a new power and return its path relative to ``root``."""
    config = load_config(root)
    dept_dir = root / layout.DEPARTMENTS / department
    if not (dept_dir / layout.DEPARTMENT_FILE).is_file():
        known = sorted(
            p.name
            for p in (root / layout.DEPARTMENTS).iterdir()
            if (p / layout.DEPARTMENT_FILE).is_file()
        )
        raise UsageError(f"部门“{department}”不存在。可选：{'、'.join(known) or '（暂无部门）'}")
    cat = config.category(category)
    if cat is None:
        raise UsageError(f"职权类别“{category}”无效。可选：{'、'.join(config.category_names)}")
    if not name.strip():
        raise UsageError("职权名称不能为空。")
    powers = dept_dir / layout.POWERS
    if power_id is None:
        prefix = f"{department}-{(cat.letter or cat.code).lower()}-"
        numbers = [
            int(m.group(1))
            for p in powers.glob(f"{prefix}*.yaml")
            if (m := re.fullmatch(re.escape(prefix) + r"(\d+)", p.stem))
        ]
        power_id = f"{prefix}{max(numbers, default=0) + 1:03d}"
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", power_id):
        raise UsageError(f"职权标识“{power_id}”无效：只能使用小写英文字母、数字和连字符。")
    target = powers / f"{power_id}.yaml"
    if target.exists():
        raise UsageError(f"{target.relative_to(root).as_posix()} 已存在，不会覆盖。")
    schemas = Schemas(root / layout.SCHEMA, config.category_names)
    rel = target.relative_to(root).as_posix()
    flow = next(
        (
            f.stem
            for f in sorted((root / layout.FLOWS).glob("*.yaml"))
            if _flow_category(f) == category
        ),
        None,
    )
    values: dict[str, Any] = {
        "id": power_id,
        "name": name.strip(),
        "category": category,
        "status": "在用",
        "disclosure": {"public": True},
    }
    if flow:
        values["flow"] = {"ref": flow}
    text = (
        schema_header("power", rel)
        + "\n"
        + "".join(
            _lines(schemas.documents["power"], schemas.documents, "power", values, 0, category)
        )
    )
    powers.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target.relative_to(root)


# An empty file that makes git keep the department's powers/ before its first power.
KEEP = ".gitkeep"


def new_department(
    root: Path,
    department: str,
    name: str,
    jurisdiction: str | None = None,
    short_name: str | None = None,
    kind: str | None = None,
) -> Path:
    """Write a new department's ``department.yaml`` (and its empty ``powers/``); return its
    path relative to ``root``. Everything is checked first; the folder appears whole."""
    config = load_config(root)
    why = slugs.problem(department)
    if why is not None:
        raise UsageError(f"部门标识“{slugs.shown(department)}”无效：{why}")
    folder = root / layout.department_folder(department)
    if folder.exists() or folder.is_symlink():
        raise UsageError(
            f"部门“{department}”已存在（{layout.department_folder(department)}/），不会覆盖。"
        )
    name = _one_line(name, "部门全称（--name）")
    places = _jurisdictions(root)
    jurisdiction = jurisdiction or config.jurisdiction
    if jurisdiction not in places:
        raise UsageError(
            f"行政区域“{slugs.shown(jurisdiction)}”不在 {layout.JURISDICTIONS} 中。"
            f"可选：{'、'.join(places) or '（暂无行政区域）'}"
        )
    schemas = Schemas(root / layout.SCHEMA, config.category_names)
    schema = schemas.documents["department"]
    kinds = list(_deref(schema["properties"]["kind"], schemas.documents, "department")[0]["enum"])
    kind = kind or kinds[0]
    if kind not in kinds:
        raise UsageError(f"单位类型（--kind）“{kind}”无效。可选：{'、'.join(kinds)}")
    values = {
        "id": department,
        "name": name,
        "short_name": _one_line(short_name, "部门简称（--short-name）")
        if short_name is not None
        else _short_name(name, places[jurisdiction]),
        "jurisdiction": jurisdiction,
        "kind": kind,
    }
    rel = layout.department_file(department)
    header = _department_header(schema, schemas.documents, kinds)
    text = canonical_text(header, values, "department", rel, schemas)
    _write_folder(root, folder, {layout.DEPARTMENT_FILE: text, f"{layout.POWERS}/{KEEP}": ""})
    return Path(rel)


def _one_line(value: str, label: str) -> str:
    value = value.strip()
    if not value:
        raise UsageError(f"{label}不能为空。")
    if any(unicodedata.category(ch).startswith("C") for ch in value):
        raise UsageError(f"{label}中有换行、制表符或其他控制字符：请只写一行文字。")
    return value


def _jurisdictions(root: Path) -> dict[str, dict[str, Any]]:
    """The jurisdictions of data/jurisdictions.yaml, by id (those it can read)."""
    source, _ = sources.read(root, layout.JURISDICTIONS)
    found = source.data.get("jurisdictions") if source and isinstance(source.data, dict) else None
    return {
        j["id"]: j
        for j in (found if isinstance(found, list) else [])
        if isinstance(j, dict) and isinstance(j.get("id"), str)
    }


def _short_name(name: str, place: dict[str, Any]) -> str:
    """The department's name without its place (江门市自然资源局 → 市自然资源局), as lists
    name departments of their own government; the whole name when it does not start so."""
    for full in (
        place.get("full_name"),
        str(place.get("name", "")).removesuffix("本级"),
        str(place.get("government", "")).removesuffix("人民政府"),
    ):
        if (
            isinstance(full, str)
            and len(full) > 1
            and full[-1] in "市县区旗"
            and name.startswith(full)
            and len(name) > len(full)
        ):
            return full[-1] + name[len(full) :]
    return name


def _department_header(schema: dict[str, Any], docs: dict[str, Any], kinds: list[str]) -> str:
    """The comments on top of a new department.yaml: what each optional field is, with its
    lines to uncomment."""
    lines = [
        "# 部门信息。必填字段已填写；单位类型 kind 可选：" + "、".join(kinds) + "。",
        "# 以下是可选字段：需要时去掉行首的“# ”并填写，然后运行 site-builder fmt。",
    ]
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        if key in required:
            continue
        resolved, sub_doc = _deref(sub, docs, "department")
        text = field_text(sub, resolved, key)
        lines.append(f"# {text.title}（可选）：{text.description}")
        lines += [f"# {line}".rstrip() for line in _example(key, resolved, docs, sub_doc, 0)]
    return "".join(f"{line}\n" for line in lines)


def _write_folder(root: Path, folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` (relative to ``folder``) into a hidden sibling, then rename it into place."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.new-", dir=folder.parent))
    try:
        for rel, text in files.items():
            target = temp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        temp.rename(folder)
    except OSError as exc:
        shutil.rmtree(temp, ignore_errors=True)
        shown = folder.relative_to(root).as_posix()
        raise UsageError(
            f"无法写入 {shown}：{exc.strerror or exc}。请检查磁盘空间和写入权限。"
        ) from exc
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _flow_category(path: Path) -> str | None:
    match = re.search(r"^category:\s*(\S+)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE)
    return match.group(1) if match else None


# Blocks that belong to one category: required (penalty, coercion, levy) or advised (discretion).
_CATEGORY_BLOCKS = {
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "levy": "行政征收",
    "discretion": "行政处罚",
}


def _lines(
    schema: dict[str, Any],
    docs: dict[str, Any],
    doc: str,
    values: dict[str, Any],
    depth: int,
    category: str,
) -> list[str]:
    """Return the lines of one mapping: comments, required fields with values, optional fields commented out."""
    schema, doc = _deref(schema, docs, doc)
    required = set(schema.get("required", []))
    alternatives = schema.get("anyOf", [])
    if alternatives and "required" in alternatives[0]:
        required |= set(alternatives[0]["required"])  # one of several: offer the first
    advised = (
        {k for k, c in _CATEGORY_BLOCKS.items() if c == category} - required
        if depth == 0
        else set()
    )
    pad = "  " * depth
    out: list[str] = []
    for key, sub in schema.get("properties", {}).items():
        if depth == 0 and key in _CATEGORY_BLOCKS and _CATEGORY_BLOCKS[key] != category:
            continue
        sub_resolved, sub_doc = _deref(sub, docs, doc)
        text = field_text(sub, sub_resolved, key)
        need = "必填" if key in required else "应填" if key in advised else "可选"
        out.append(f"{pad}# {text.title}（{need}）：{text.description}\n")
        if key in values:
            out += _value_lines(key, values[key], pad)
        elif key in required or key in advised:
            out += _placeholder(key, sub_resolved, docs, sub_doc, depth, pad)
        else:
            out += [
                f"{pad}# {line}".rstrip() + "\n"
                for line in _example(key, sub_resolved, docs, sub_doc, depth)
            ]
    return out


def _value_lines(key: str, value: Any, pad: str) -> list[str]:
    dumped = sources.dump({key: value})
    return [f"{pad}{line}\n" for line in dumped.splitlines()]


def _placeholder(
    key: str, schema: dict[str, Any], docs: dict[str, Any], doc: str, depth: int, pad: str
) -> list[str]:
    """A required field: an empty value that validation reports until it is filled in."""
    kind = schema.get("type")
    if kind == "object" and depth < _MAX_DEPTH:
        return [f"{pad}{key}:\n", *_lines(schema, docs, doc, {}, depth + 1, "")]
    if kind == "array":
        item, item_doc = _deref(schema.get("items", {}), docs, doc)
        if item.get("type") == "object" and depth < _MAX_DEPTH:
            inner = _lines(item, docs, item_doc, {}, depth + 2, "")
            first = next(i for i, line in enumerate(inner) if not line.lstrip().startswith("#"))
            inner[:first] = [f"{pad}  {line.lstrip()}" for line in inner[:first]]
            inner[first] = f"{pad}  - {inner[first].lstrip()}"
            return [f"{pad}{key}:\n", *inner]
        if "enum" in item:
            return [f"{pad}{key}:\n", f"{pad}  - {item['enum'][0]}\n"]
        return [f"{pad}{key}:\n", f'{pad}  - ""\n']
    if "enum" in schema:
        return [
            f"{pad}{key}: {schema['enum'][0]}  # 可选值：{'、'.join(map(str, schema['enum']))}\n"
        ]
    if kind in ("number", "integer"):
        return [f"{pad}{key}:\n"]
    return [f'{pad}{key}: ""\n']


def _example(
    key: str, schema: dict[str, Any], docs: dict[str, Any], doc: str, depth: int
) -> list[str]:
    """An optional field written out in full, to be uncommented (lines without the leading “# ”)."""
    kind = schema.get("type")
    if kind == "object" and depth < _MAX_DEPTH:
        inner = _example_object(schema, docs, doc, 1)
        return [f"{key}:", *inner]
    if kind == "array":
        item, item_doc = _deref(schema.get("items", {}), docs, doc)
        if item.get("type") == "object" and depth < _MAX_DEPTH:
            inner = _example_object(item, docs, item_doc, 2)
            inner[0] = "  - " + inner[0].lstrip()
            return [f"{key}:", *inner]
        return [f"{key}:", f"  - {_hint(item)}"]
    return [f"{key}: {_hint(schema)}"]


def _example_object(
    schema: dict[str, Any], docs: dict[str, Any], doc: str, level: int
) -> list[str]:
    schema, doc = _deref(schema, docs, doc)
    lines = []
    for key, sub in schema.get("properties", {}).items():
        resolved, sub_doc = _deref(sub, docs, doc)
        title = field_text(sub, resolved, key).title
        pad = "  " * level
        if resolved.get("type") == "object" and level < _MAX_DEPTH:
            lines.append(f"{pad}{key}:    # {title}")
            lines += _example_object(resolved, docs, sub_doc, level + 1)
        elif resolved.get("type") == "array":
            item, _ = _deref(resolved.get("items", {}), docs, sub_doc)
            shown = "..." if item.get("type") == "object" else _hint(item)
            lines.append(f"{pad}{key}:    # {title}")
            lines.append(f"{pad}  - {shown}")
        else:
            lines.append(f"{pad}{key}: {_hint(resolved)}    # {title}")
    return lines


def _hint(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return "|".join(map(str, schema["enum"]))
    return {"boolean": "true", "number": "0", "integer": "0"}.get(schema.get("type", ""), "")
