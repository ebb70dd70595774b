"""Validate records against the JSON Schemas in ``schema/``: the only module that imports jsonschema.

Messages are written for department staff, in Chinese, and name the field and the fix.
It is also the one reader of the schemas' field titles and descriptions (``FieldTitles``),
which name the fields on the pages, in the downloads, in the workbook and in a diff.
"""

from __future__ import annotations

import copy
import difflib
import functools
import json
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource

from site_builder.engine import cache
from site_builder.errors import Pointer, SiteBuilderError
from site_builder.reading import layout, schemagen, tree

KINDS = ("site", "jurisdictions", "department", "power", "law", "flow")
_TYPE_NAMES = {
    "string": "文字",
    "object": "一组字段（映射）",
    "array": "列表",
    "number": "数字",
    "integer": "整数",
    "boolean": "true 或 false",
    "null": "空值",
}


def _type_of(value: Any) -> str:
    if isinstance(value, bool):
        return _TYPE_NAMES["boolean"]
    if value is None:
        return _TYPE_NAMES["null"]
    for name, py in (
        ("string", str),
        ("object", dict),
        ("array", list),
        ("integer", int),
        ("number", float),
    ):
        if isinstance(value, py):
            return _TYPE_NAMES[name]
    return type(value).__name__


def _read(schema_dir: Path) -> dict[str, bytes]:
    """The schema files of a repository's ``schema/`` (``"schema/<name>"``: bytes), read by
    the rule of every folder the build reads: no links, no special files."""
    return {
        f"{layout.SCHEMA}/{path.name}": tree.read(path, schema_dir.parent)
        for path in tree.files(schema_dir, schema_dir.parent)
        if path.parent == schema_dir and path.name.endswith(".schema.json")
    }


class Schemas:
    """The record schemas of one repository, with the category set taken from the site configuration."""

    def __init__(self, schema_dir: Path, categories: Sequence[str] | None = None) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        # The bytes of each schema file as read ("schema/<name>"): what the downloads publish.
        self.files: dict[str, bytes] = {}
        registry: Registry = Registry()
        # A repository without schema/ uses the ones the tool would write into it.
        self.generated = not os.path.lexists(schema_dir)
        try:
            found = schemagen.generate(categories) if self.generated else _read(schema_dir)
            for rel, raw in found.items():
                doc = json.loads(raw.decode("utf-8"))
                name = rel.removeprefix(f"{layout.SCHEMA}/")
                self.files[rel] = raw
                self.documents[name.removesuffix(".schema.json")] = doc
                registry = registry.with_resource(name, Resource.from_contents(doc))
        except (OSError, ValueError) as exc:
            raise SiteBuilderError(f"无法读取 JSON Schema（{schema_dir}）：{exc}") from exc
        # The documents as written, for their titles (``documents`` may narrow the categories).
        self.titles = FieldTitles(dict(self.documents))
        missing = [k for k in KINDS if k not in self.documents]
        if missing:
            raise SiteBuilderError(
                f"schema/ 中缺少 {', '.join(k + '.schema.json' for k in missing)}"
            )
        if categories:
            power = copy.deepcopy(self.documents["power"])
            power["properties"]["category"]["enum"] = list(categories)
            self.documents["power"] = power
        # What the checks depend on, besides the tool's code: a key for cached results.
        self.fingerprint = cache.fingerprint(json.dumps(self.documents, sort_keys=True))
        self._fast = _fast_validators(self.documents)
        self._validators = {
            kind: _Validator(
                doc, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
            )
            for kind, doc in self.documents.items()
        }

    def property_order(self, kind: str) -> dict[str, Any]:
        """Return the schema of ``kind`` (its ``properties`` order is the canonical key order)."""
        return self.documents[kind]

    def check(self, kind: str, data: Any) -> list[tuple[Pointer, str]]:
        """Return (pointer, message) for every schema violation of ``data``.

        jsonschema-rs answers whether ``data`` is valid a hundred times faster; only
        a record it finds invalid goes through jsonschema, for the precise messages.
        """
        fast = self._fast.get(kind)
        if fast is not None and fast.is_valid(data):
            return []
        validator = self._validators[kind]
        errors = list(validator.iter_errors(data))
        # A date both fails its pattern and is no date: one message is enough.
        patterned = {tuple(e.absolute_path) for e in errors if e.validator == "pattern"}
        out = [
            _explain(one, validator.schema)
            for e in errors
            if not (e.validator == "format" and tuple(e.absolute_path) in patterned)
            for one in _each_missing(e)
        ]
        return sorted(set(out), key=lambda pm: (tuple(str(p) for p in pm[0]), pm[1]))


def _ecma(pattern: str) -> str:
    """``pattern`` for Python's ``re`` with the meaning JSON Schema gives it (ECMA-262): there
    ``$`` matches only at the end of the text, in Python also before a final newline, so that
    an id "zq-a-xk-001\\n" would pass ``^[a-z0-9-]+$`` and put a newline into a file name.
    Each ``$`` outside a character class becomes ``\\Z``."""
    out: list[str] = []
    i, in_class = 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "$":
            ch = r"\Z"
        out.append(ch)
        i += 1
    return "".join(out)


@functools.lru_cache(maxsize=1024)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(_ecma(pattern))


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Iterator[ValidationError]:
    """The ``pattern`` keyword, matched as JSON Schema (and jsonschema-rs) match it."""
    if validator.is_type(instance, "string") and not _compiled(pattern).search(instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


# jsonschema's extend() has no type hints; it returns a subclass of the validator it extends.
_Validator: type[Draft202012Validator] = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"pattern": _pattern}
)


def _refuse(uri: str) -> Any:
    raise ValueError(f"不读取外部 Schema：{uri}")  # schemas refer only to files in schema/


def _fast_validators(documents: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """jsonschema-rs validators of the same documents; none where it cannot compile them
    (then jsonschema alone checks, as it always gives the answer)."""
    try:
        registry = jsonschema_rs.Registry(
            [(f"{kind}.schema.json", doc) for kind, doc in documents.items()], retriever=_refuse
        )
    except (ValueError, jsonschema_rs.ReferencingError):
        return {}
    fast = {}
    for kind, doc in documents.items():
        try:
            fast[kind] = jsonschema_rs.validator_for(
                doc, registry=registry, validate_formats=True, retriever=_refuse
            )
        except (ValueError, jsonschema_rs.ReferencingError):
            continue
    return fast


def _each_missing(e: ValidationError) -> list[ValidationError]:
    """Split a ``required`` error into one per missing field, so that every one is named."""
    rule: Any = e.validator_value
    if e.validator != "required" or not isinstance(e.instance, dict):
        return [e]
    missing = [k for k in rule if k not in e.instance]
    if len(missing) < 2:
        return [e]
    split = []
    for field in missing:
        one = copy.copy(e)
        one.validator_value = [field]
        split.append(one)
    return split


def _explain(e: ValidationError, root: Any) -> tuple[Pointer, str]:
    """Turn one jsonschema error into a pointer and a Chinese message."""
    pointer: Pointer = tuple(e.absolute_path)
    v, value = e.validator, e.instance
    rule: Any = e.validator_value
    own_schema: Any = e.schema
    title = own_schema.get("title") if isinstance(own_schema, dict) else None
    name = title or "该值"
    if v == "required":
        return _missing(e, root, pointer)
    if v == "additionalProperties":
        return _unknown(e, pointer)
    if v == "type":
        return pointer, _wrong_type(name, rule, value)
    if v == "enum":
        options = "、".join(str(o) for o in rule)
        return pointer, f"{name}的取值“{value}”无效，可选：{options}。"
    if v == "const":
        return pointer, f"{name}应为“{rule}”。"
    if v == "minLength" or (v == "pattern" and value == ""):
        return pointer, f"{name}不能为空：请填写内容，不需要的字段请删除。"
    if v == "minItems":
        return pointer, f"{name}至少需要 {rule} 项。"
    if v == "uniqueItems":
        return pointer, f"{name}中有重复项，请删除重复的一项。"
    if v == "pattern":
        return pointer, _mismatch(name, rule, value)
    if v == "format":
        return (
            pointer,
            f"{name}“{value}”不是有效的{'日期（YYYY-MM-DD）' if rule == 'date' else rule}。",
        )
    if v in ("minimum", "exclusiveMinimum"):
        return pointer, f"{name}不能小于 {rule}。"
    if v == "maxLength":
        return pointer, f"{name}太长：最多 {rule} 个字符。"
    if v == "anyOf" and all(isinstance(b, dict) and set(b) == {"required"} for b in rule):
        fields = " 或 ".join("+".join(b["required"]) for b in rule)
        return pointer, f"{name}须至少填写 {fields}{_condition(e, root)}。"
    if v == "not":
        present = [k for k in _required_in(rule) if isinstance(value, dict) and k in value]
        if present:
            return (*pointer, present[0]), f"不应填写字段 {present[0]}{_condition(e, root)}。"
    return pointer, f"{name}不符合要求：{e.message}"


def _missing(e: ValidationError, root: Any, pointer: Pointer) -> tuple[Pointer, str]:
    """A required field left out: pointed at the field, named by its title."""
    rule: Any = e.validator_value
    own_schema: Any = e.schema
    missing = [k for k in rule if isinstance(e.instance, dict) and k not in e.instance]
    field = missing[0] if missing else str(rule)
    own = own_schema.get("properties", {}).get(field, {}) if isinstance(own_schema, dict) else {}
    label = own.get("title") or _title_of(root, list(e.absolute_schema_path), field)
    return (*pointer, field), f"缺少必填字段 {field}（{label}）{_condition(e, root)}。"


def _unknown(e: ValidationError, pointer: Pointer) -> tuple[Pointer, str]:
    """A field the schema does not know: the likely misspelling, and the fields allowed."""
    own_schema: Any = e.schema
    value = e.instance
    extras = sorted(
        set(value if isinstance(value, dict) else ()) - set(own_schema.get("properties", {}))
    )
    names = list(own_schema.get("properties", {}))
    extra = extras[0] if extras else "?"
    close = difflib.get_close_matches(extra, names, n=1, cutoff=0.6)
    hint = f"是否应为 {close[0]}？" if close else "请检查拼写。"
    return (*pointer, extra), f"未知字段 {extra}：{hint}此处可用的字段：{'、'.join(names)}。"


def _wrong_type(name: str, rule: Any, value: Any) -> str:
    """A value of another type, with a hint for the usual slips (a number for a code)."""
    wanted = rule if isinstance(rule, list) else [rule]
    expected = "或".join(_TYPE_NAMES.get(w, str(w)) for w in wanted)
    if value is None:
        # "content:" with nothing after it, as a template leaves a field.
        return f"{name}没有填写（应为{expected}）：请填写内容，不需要的可选字段请整行删除。"
    hint = ""
    if "string" in wanted and isinstance(value, int | float) and not isinstance(value, bool):
        hint = '纯数字的编码、电话号码请加引号，例如 "12345"。'
    elif "boolean" in wanted and isinstance(value, str):
        hint = "请填写 true（是）或 false（否）。"
    return f"{name}应为{expected}，实际是{_type_of(value)}。{hint}"


def _mismatch(name: str, rule: str, value: Any) -> str:
    """A text that does not match its pattern: an id, a date, or another pattern."""
    # A newline or other control character is shown as \\n, on the message's one line.
    value = json.dumps(value, ensure_ascii=False)[1:-1] if isinstance(value, str) else value
    if rule.startswith("^[a-z0-9]"):
        return f"{name}“{value}”格式无效：只能使用小写英文字母、数字和连字符，且以字母或数字开头。"
    if "\\d{4}" in rule:
        return f"{name}“{value}”不是有效日期：请写成 YYYY-MM-DD，例如 2016-11-21。"
    return f"{name}“{value}”格式无效（应符合 {rule}）。"


def _title_of(root: dict[str, Any], schema_path: list[Any], field: str) -> str:
    """Find the title of ``field`` in the nearest enclosing ``properties`` along ``schema_path``."""
    node: Any = root
    title = field
    for part in schema_path:
        if isinstance(node, dict) and field in node.get("properties", {}):
            title = node["properties"][field].get("title", title)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if isinstance(node, dict) and field in node.get("properties", {}):
        title = node["properties"][field].get("title", title)
    return title


def _required_in(schema: Any) -> Iterable[str]:
    if isinstance(schema, dict):
        yield from schema.get("required", [])
        for branch in schema.get("anyOf", []):
            yield from _required_in(branch)


def _condition(e: ValidationError, root: dict[str, Any]) -> str:
    """Describe the ``if`` that made a ``then``/``else`` branch apply, e.g. “（category 为“行政处罚”时）”."""
    path = list(e.absolute_schema_path)
    for i in range(len(path) - 1, -1, -1):
        if path[i] in ("then", "else"):
            node: Any = root
            for part in path[:i]:
                node = node[part]
            condition = node.get("if", {}).get("properties", {})
            parts = []
            for field, rule in condition.items():
                wanted = rule.get("const", rule.get("enum"))
                shown = (
                    "、".join(map(str, wanted)) if isinstance(wanted, list) else str(wanted).lower()
                )
                parts.append(f"{field} {'为' if path[i] == 'then' else '不为'}“{shown}”")
            return f"（{'且'.join(parts)}时）" if parts else ""
    return ""


# --- field titles ----------------------------------------------------------------------


@dataclass(frozen=True)
class FieldText:
    """What a schema says about one field, for people: its title and its description."""

    title: str
    description: str


def field_text(node: Mapping[str, Any], resolved: Mapping[str, Any], name: str) -> FieldText:
    """The text of a property ``node`` whose ``$ref`` leads to ``resolved`` (``node`` itself
    without one): the property's own words first, then its target's; untitled, its ``name``."""
    return FieldText(
        str(node.get("title") or resolved.get("title", name)),
        str(node.get("description") or resolved.get("description", "")),
    )


class FieldTitles:
    """The titles of the fields of each kind of record, from the schema documents by kind
    (``"power"`` for ``power.schema.json``), following ``$ref`` across the documents."""

    def __init__(self, documents: Mapping[str, Any]) -> None:
        self.documents = documents

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> FieldTitles:
        """From the schema files as the build read them (``"schema/<name>"``: bytes)."""
        return cls(
            {
                rel.removeprefix(f"{layout.SCHEMA}/").removesuffix(".schema.json"): json.loads(raw)
                for rel, raw in sorted(files.items())
                if rel.startswith(f"{layout.SCHEMA}/")
            }
        )

    @classmethod
    def read(cls, schema_dir: Path, kinds: Iterable[str]) -> FieldTitles:
        """From the files ``<kind>.schema.json`` in ``schema_dir``, leniently: a kind whose file
        is missing or is no JSON has no titles (a diff or an export goes on without them)."""
        documents = {}
        for kind in kinds:
            try:
                documents[kind] = json.loads(
                    (schema_dir / f"{kind}.schema.json").read_text(encoding="utf-8")
                )
            except (OSError, ValueError):
                continue
        return cls(documents)

    def _properties(self, kind: str) -> dict[str, Any]:
        doc = self.documents.get(kind)
        props = doc.get("properties", {}) if isinstance(doc, dict) else {}
        return props if isinstance(props, dict) else {}

    def titled(self, kind: str) -> dict[str, str]:
        """The top-level fields of ``kind`` that have a title, in the schema's order."""
        return {
            key: str(prop["title"])
            for key, prop in self._properties(kind).items()
            if isinstance(prop, dict) and "title" in prop
        }

    def of(self, kind: str) -> dict[str, str]:
        """Every top-level field of ``kind`` under its title, or under its name when untitled."""
        titled = self.titled(kind)
        return {key: titled.get(key, key) for key in self._properties(kind)}

    def deref(self, node: dict[str, Any], kind: str) -> tuple[dict[str, Any], str]:
        """The schema ``node`` of document ``kind`` stands for, following each ``$ref``, and
        the kind of the document it is in."""
        while "$ref" in node:
            target, _, pointer = node["$ref"].partition("#")
            kind = target.removesuffix(".schema.json") if target else kind
            node = self.documents[kind]
            for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
                node = node[part]
        return node, kind

    def trail(self, dotted: str) -> list[FieldText]:
        """The text of each field along ``kind.field.field…`` (through lists to their items);
        a property's own title or description wins over its ``$ref`` target's."""
        kind, *path = dotted.split(".")
        node: dict[str, Any] = self.documents[kind]
        texts = []
        for part in path:
            resolved, kind = self.deref(node, kind)
            while resolved.get("type") == "array" and "items" in resolved:
                resolved, kind = self.deref(resolved["items"], kind)
            node = resolved["properties"][part]
            target, _ = self.deref(node, kind)
            merged = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            texts.append(
                FieldText(str(merged.get("title", "")), str(merged.get("description", "")))
            )
        return texts
