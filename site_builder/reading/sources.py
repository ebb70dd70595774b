"""Read YAML source files: the only module that imports PyYAML.

The fast path parses with libyaml's C loader when it is present. Positions are
recovered only when a problem needs one (``locate``), by composing the file
again into nodes, which carry line and column marks.

The dialect is strict on purpose: duplicate keys, anchors, aliases and explicit
tags are refused, and scalars resolve as in YAML 1.2 (``yes``, ``on``, ``8:30``
and ``2016-11-21`` stay strings), so what a person reads is what the builder gets.

It is longer than most (about 700 lines) because it is PyYAML's one home: the strict
reader, the checks on what a file may hold before it is parsed, positions for messages,
the canonical writer that ``fmt`` and the importers use, and the edits in place that
``upgrade`` makes (a key renamed, a top-level value set, every other character kept) all
need PyYAML's internals.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from site_builder.errors import Pointer, Problem, error, warning

_FastLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SlowLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
HAS_LIBYAML: bool = _FastLoader is not yaml.SafeLoader

_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
# Digits with a leading zero (0758, 001) stay text: they are area codes and item codes, not numbers.
_FLOAT = re.compile(
    r"^[-+]?(?:\.[0-9]+|(?:0|[1-9][0-9]*)\.[0-9]*)(?:[eE][-+]?[0-9]+)?$"
    r"|^[-+]?(?:0|[1-9][0-9]*)[eE][-+]?[0-9]+$|^[-+]?\.(?:inf|Inf|INF)$|^\.(?:nan|NaN|NAN)$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_RESOLVERS: list[tuple[str, re.Pattern[str], str]] = [
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:null", _NULL, "~nN\0"),
]


def _resolvers() -> dict[str, list[tuple[str, re.Pattern[str]]]]:
    table: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
    for tag, regexp, first in _RESOLVERS:
        for ch in first:
            table.setdefault("" if ch == "\0" else ch, []).append((tag, regexp))
    return table


class _StrictLoader(_FastLoader):  # type: ignore[misc]
    """Safe loader with YAML 1.2 core scalars that records duplicate keys."""

    yaml_implicit_resolvers = _resolvers()

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[str, yaml.Mark, yaml.Mark]] = []

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = self._keys(node, lambda key_node: self.construct_object(key_node, deep=True))
        return {
            key: self.construct_object(value_node, deep=deep)
            for key, (_, value_node) in zip(keys, node.value, strict=True)
        }

    def _keys(self, node: yaml.MappingNode, make: Callable[[yaml.Node], Any]) -> list[Any]:
        """A mapping's keys, made by ``make``: each a simple value, duplicates recorded.

        Text keys are interned: the same few dozen field names recur in every record,
        and one string for each, rather than one per record, makes the records read
        afresh a quarter smaller (as small as those read back from the cache).
        """
        seen: dict[Any, yaml.Mark] = {}
        keys = []
        for key_node, _ in node.value:
            key = make(key_node)
            if type(key) is str:
                key = sys.intern(key)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "映射的键必须是简单的文字", key_node.start_mark
                )
            if key in seen:
                self.duplicates.append((str(key), key_node.start_mark, seen[key]))
            seen[key] = key_node.start_mark
            keys.append(key)
        return keys

    def resolve(self, kind: type, value: Any, implicit: tuple[bool, bool]) -> str:
        """PyYAML's resolution for this loader's table, without its generality: called for
        every node by libyaml, it is a tenth of the reading time."""
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP

    def build(self, node: yaml.Node) -> Any:
        """Build the data of a composed document, as ``construct_document`` would.

        The reader refuses anchors, aliases and tags before composing, so only the core
        scalars, lists and mappings arrive here; building them directly is about three
        times faster than PyYAML's constructor. Keys are checked and duplicates recorded by
        ``_keys``, as in ``construct_mapping``.
        """
        if isinstance(node, yaml.ScalarNode):
            tag, value = node.tag, node.value
            if tag == _STR:
                return value
            if tag == _INT_TAG:
                return int(value)
            if tag == _NULL_TAG:
                return None
            if tag == _BOOL_TAG:
                return value.lower() == "true"
            return self.construct_object(node, deep=True)  # floats, and anything unusual
        if isinstance(node, yaml.SequenceNode) and node.tag == _SEQ:
            return [self.build(item) for item in node.value]
        if isinstance(node, yaml.MappingNode) and node.tag == _MAP:
            keys = self._keys(node, self.build)
            return {
                key: self.build(value_node)
                for key, (_, value_node) in zip(keys, node.value, strict=True)
            }
        return self.construct_object(node, deep=True)


_STR, _SEQ, _MAP = (f"tag:yaml.org,2002:{name}" for name in ("str", "seq", "map"))
_INT_TAG, _NULL_TAG, _BOOL_TAG = (f"tag:yaml.org,2002:{name}" for name in ("int", "null", "bool"))
_StrictLoader.add_constructor("tag:yaml.org,2002:map", _StrictLoader.construct_mapping)


@dataclass(frozen=True)
class Source:
    """A parsed source file: its data and its text, kept to locate problems later."""

    path: str
    text: str
    data: Any


# libyaml's messages, in the words department staff read.
_YAML_HINTS: list[tuple[str, str]] = [
    (
        "found character '\\t' that cannot start any token",
        "YAML 不允许使用制表符（Tab）缩进，请改用空格。",
    ),
    ("found a tab character", "YAML 不允许使用制表符（Tab）缩进，请改用空格。"),
    (
        "mapping values are not allowed in this context",
        "此处不能出现“冒号+空格”：若值中含有“: ”，请给整个值加引号。",
    ),
    (
        "mapping values are not allowed here",
        "此处不能出现“冒号+空格”：若值中含有“: ”，请给整个值加引号，或检查上一行的缩进。",
    ),
    ("could not find expected ':'", "缺少冒号：每个字段应写成“字段名: 值”，请检查本行和上一行。"),
    ("did not find expected key", "缩进不一致：同一层的字段应左对齐，请检查本行和上一行的缩进。"),
    (
        "did not find expected '-' indicator",
        "缩进不一致：同一列表的各项“- ”应左对齐，列表项中的各字段也应左对齐；请检查本行和上一行的缩进。",
    ),
    (
        "found unknown escape character",
        "双引号内的反斜杠转义无效：请改用单引号，或写成两个反斜杠。",
    ),
    (
        "invalid Unicode character escape code",
        "双引号内的 \\u 或 \\U 转义不是有效的字符（如不成对的代理字符 \\ud800）：请删除这个转义，直接写出文字。",
    ),
    ("while scanning a quoted scalar", "引号没有闭合：请检查本行的引号是否成对。"),
    ("found unexpected end of stream", "文件意外结束：可能有未闭合的引号或括号。"),
    ("found undefined alias", "不允许使用锚点和别名（& 和 *）；若文字以 * 开头，请加引号。"),
    ("expected a single document", "一个文件只能包含一个 YAML 文档（只能有一个 ---）。"),
]


def _yaml_message(exc: yaml.MarkedYAMLError, text: str) -> str:
    raw = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    mark = exc.problem_mark
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        raw = f"found a tab character ({raw})"
    for needle, hint in _YAML_HINTS:
        if needle in raw:
            return f"YAML 语法错误：{hint}（{raw}）"
    return f"YAML 语法错误：请检查本行及上一行的格式。（{raw}）"


def _where(exc: yaml.MarkedYAMLError) -> Any:
    """The mark a person should look at: where an unclosed quote opens, else where parsing failed."""
    unclosed = "quoted scalar" in str(exc.context) and "escape" not in str(exc.problem)
    if unclosed and exc.context_mark is not None:
        return exc.context_mark
    return exc.problem_mark or exc.context_mark


def _mark(m: Any) -> tuple[int, int]:
    return (m.line + 1, m.column + 1) if m is not None else (0, 0)


# At most this many refused constructs are listed per file; an alias bomb has thousands.
MAX_REFUSED = 20


def _refused_constructs(path: str, text: str) -> list[Problem]:
    """Refuse anchors, aliases and explicit tags (scanned only when their signs appear).

    Only the parser's events are read, never data built from them, so an alias bomb is
    refused before it expands. Each alias is reported once, where it is first used.
    """
    if not any(sign in text for sign in "&*!"):
        return []
    problems: list[Problem] = []
    aliases: dict[str, tuple[int, int, int]] = {}  # name: first line, first column, uses
    for event in yaml.parse(text, Loader=_FastLoader):
        line, col = _mark(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            name = str(event.anchor)
            first_line, first_col, uses = aliases.get(name, (line, col, 0))
            aliases[name] = (first_line, first_col, uses + 1)
            continue
        if anchor := getattr(event, "anchor", None):
            message = f"不允许使用锚点（&{anchor}）：请删除锚点，把内容完整写出。"
            problems.append(error(path, (), message, "yaml-anchor", line, col))
        tag = getattr(event, "tag", None)
        if isinstance(event, yaml.NodeEvent) and tag not in (None, "!"):
            message = f"不允许使用标签（{tag}）：请删除标签；需要文字时请加引号。"
            problems.append(error(path, (), message, "yaml-tag", line, col))
    for name, (line, col, uses) in aliases.items():
        count = f"，本文件共 {uses} 处" if uses > 1 else ""
        message = f"不允许使用别名（*{name}{count}）：请把内容完整写出。"
        problems.append(error(path, (), message, "yaml-alias", line, col))
    problems.sort(key=lambda p: (p.line, p.column))
    if len(problems) > MAX_REFUSED:
        rest = problems[MAX_REFUSED]
        message = f"另有 {len(problems) - MAX_REFUSED} 处锚点、别名或标签未逐一列出：请全部删除，把内容完整写出。"
        problems = [*problems[:MAX_REFUSED], replace(rest, message=message)]
    return problems


# Characters no record may hold, written raw or as a double-quoted escape ("\x07",
# "\uFFFF"): C0 controls other than tab, line feed and carriage return, DEL, the C1
# controls, surrogates and the Unicode noncharacters. They are invisible in an editor,
# make the Atom feeds ill-formed XML and are refused by the workbook's XML, so they are
# refused here, at the edge, where the file and the line are known.
_NONCHARACTERS = "\ufdd0-\ufdef" + "".join(
    f"{chr(plane + 0xFFFE)}{chr(plane + 0xFFFF)}" for plane in range(0, 0x110000, 0x10000)
)
FORBIDDEN_CHARACTERS = re.compile(
    f"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff{_NONCHARACTERS}]"
)
_CHARACTER_NAMES = {
    "\x00": "空字符（NUL）",
    "\x0b": "垂直制表符（从 Word 复制的“手动换行”常带有它）",
    "\x0c": "换页符",
    "\x1b": "转义符（ESC）",
    "\x7f": "删除符（DEL）",
    "\x85": "下一行符（NEL）",
}


def _character_name(ch: str) -> str:
    code = ord(ch)
    if ch in _CHARACTER_NAMES:
        kind = _CHARACTER_NAMES[ch]
    elif 0xD800 <= code <= 0xDFFF:
        kind = "代理字符（不成对的 UTF-16 半个字符）"
    elif code <= 0x9F:
        kind = "控制字符"
    else:
        kind = "Unicode 非字符（保留不用的码位）"
    return f"U+{code:04X} {kind}"


def _refused_characters(path: str, text: str) -> list[Problem]:
    """Refuse the characters of FORBIDDEN_CHARACTERS written raw, at their line and column.

    One problem per line is enough to find them (a pasted block may hold hundreds).
    """
    problems: list[Problem] = []
    last_line = 0
    for match in FORBIDDEN_CHARACTERS.finditer(text):
        start = match.start()
        line = text.count("\n", 0, start) + 1
        if line == last_line:
            continue
        last_line = line
        column = start - (text.rfind("\n", 0, start) + 1) + 1
        message = (
            f"第 {column} 列有不可见的 {_character_name(match.group())}：这类字符在网页、订阅源和表格中"
            "都会出错，请在编辑器中删除它（常见于从其他系统或 Word 复制的文字）。"
        )
        problems.append(error(path, (), message, "forbidden-character", line, column))
    if len(problems) > MAX_REFUSED:
        rest = problems[MAX_REFUSED]
        message = f"另有 {len(problems) - MAX_REFUSED} 行含有不可见的控制字符或非字符，未逐一列出：请全部删除。"
        problems = [*problems[:MAX_REFUSED], replace(rest, message=message)]
    return problems


def _escaped_characters(path: str, text: str, data: Any) -> list[Problem]:
    """Refuse the characters of FORBIDDEN_CHARACTERS that double-quoted escapes produced.

    Only escapes make them (raw ones are refused before parsing), and every escape
    needs a backslash: a text without one is not walked.
    """
    if "\\" not in text:
        return []
    problems: list[Problem] = []
    stack: list[tuple[Pointer, Any]] = [((), data)]
    while stack and len(problems) < MAX_REFUSED:
        pointer, value = stack.pop()
        texts: list[tuple[Pointer, str]] = []
        if isinstance(value, str):
            texts.append((pointer, value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str):
                    texts.append(((*pointer, key), key))
                stack.append(((*pointer, key), item))
        elif isinstance(value, list):
            stack.extend(((*pointer, i), item) for i, item in enumerate(value))
        for where, string in texts:
            found = FORBIDDEN_CHARACTERS.search(string)
            if found is None:
                continue
            line, column = locate(text, where)
            code = ord(found.group())
            escape = (
                f"\\x{code:02X}"
                if code <= 0xFF
                else (f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}")
            )
            message = (
                f"双引号中的转义（如“{escape}”）写出了不可见的 {_character_name(found.group())}："
                "这类字符在网页、订阅源和表格中都会出错，请删除这个转义。"
            )
            problems.append(error(path, where, message, "forbidden-character", line, column))
    return sorted(problems, key=lambda p: (p.line, p.column))


# No record nests deeper than 7 levels (power.discretion[].tiers[].circumstances[]);
# a file nested deeper than this is a mistake or an attack, and building it would
# exhaust the stack (PyYAML composes and builds recursively). Checked on the parser's
# events, which are read iteratively, before anything is composed.
MAX_DEPTH = 64


def _too_deep(path: str, text: str) -> list[Problem]:
    """Refuse a document nested deeper than MAX_DEPTH, at the line where it gets too deep.

    A cheap bound first: a level of flow nesting needs a bracket, and a level of block
    nesting at least one more column of indentation (or of "- ", "? ", ": ") than its
    parent, except a list as a mapping's value, which may share its key's column. Only a
    text whose bound exceeds the limit is parsed for events.
    """
    # Within the bound when no line's lead of indentation and indicators is this long.
    lead = (MAX_DEPTH - 2 - text.count("[") - text.count("{")) // 2 + 1
    if lead > 0 and not re.search(f"^[ \t?:-]{{{lead},}}", text, re.MULTILINE):
        return []
    try:
        return _deeper_than_allowed(path, text, _FastLoader)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" not in str(exc.problem):
            return []  # a syntax error: parse() reports it, with its line
        # libyaml (PyYAML 6.0.4 and later) stops at a limit of its own, scanning ahead of
        # the events: PyYAML's own parser finds where the limit here is passed.
        try:
            return _deeper_than_allowed(path, text, yaml.SafeLoader)
        except yaml.YAMLError:
            return []
    except yaml.YAMLError:
        return []


def _deeper_than_allowed(path: str, text: str, loader: Any) -> list[Problem]:
    """The error at the first collection nested deeper than MAX_DEPTH, parsing with ``loader``."""
    depth = 0
    for event in yaml.parse(text, Loader=loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                line, col = _mark(event.start_mark)
                message = (
                    f"内容嵌套超过 {MAX_DEPTH} 层：一项记录最多只有七八层（如裁量基准的阶次和情节），"
                    "请检查本行附近是否误粘贴了大量括号或缩进。"
                )
                return [error(path, (), message, "yaml-depth", line, col)]
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return []


def decode(path: str, raw: bytes) -> tuple[str | None, list[Problem]]:
    """Decode UTF-8 text, naming the line and column of the first invalid byte."""
    problems: list[Problem] = []
    if raw.startswith(b"\xef\xbb\xbf"):
        problems.append(
            warning(
                path,
                (),
                "文件以 BOM（字节顺序标记）开头：请运行 site-builder fmt 去除。",
                "bom",
                1,
                1,
            )
        )
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), problems
    except UnicodeDecodeError as exc:
        head = raw[: exc.start]
        line = head.count(b"\n") + 1
        column = len(head.rsplit(b"\n", 1)[-1].decode("utf-8", "replace")) + 1
        problems.append(
            error(
                path,
                (),
                "文件不是 UTF-8 编码（可能是 GBK）：请在编辑器中以 UTF-8 编码另存。",
                "encoding",
                line,
                column,
            )
        )
        return None, problems


def parse(path: str, text: str) -> tuple[Any, list[Problem]]:
    """Parse one YAML document strictly; return its data, or None with the problems."""
    problems = _refused_characters(path, text) or _too_deep(path, text)
    problems = problems or _refused_constructs(path, text)
    if problems:
        return None, problems
    loader = _StrictLoader(text)
    try:
        node = loader.get_single_node()
        data = None if node is None else loader.build(node)
    except yaml.MarkedYAMLError as exc:
        line, col = _mark(_where(exc))
        return None, [
            *problems,
            error(path, (), _yaml_message(exc, text), "yaml-syntax", line, col),
        ]
    except yaml.YAMLError as exc:
        return None, [*problems, error(path, (), f"YAML 语法错误：{exc}", "yaml-syntax", 1, 1)]
    finally:
        loader.dispose()
    for key, mark, first in loader.duplicates:
        line, col = _mark(mark)
        problems.append(
            error(
                path,
                (),
                f"字段“{key}”重复出现（第 {first.line + 1} 行已有）：YAML 只会保留后一个，请删除或合并其中一个。",
                "duplicate-key",
                line,
                col,
            )
        )
    problems += _escaped_characters(path, text, data)
    if data is None and not problems:
        problems.append(error(path, (), "文件为空：请填写内容，或删除该文件。", "empty", 1, 1))
    return (None if problems and any(p.severity == "error" for p in problems) else data), problems


# No record needs more; a larger file is a mistake (or an attack) and is not parsed.
MAX_FILE_BYTES = 1_000_000


def read(root: Path, rel: str) -> tuple[Source | None, list[Problem]]:
    """Read, decode and parse the file ``rel`` under ``root``."""
    raw, problems = read_bytes(root, rel)
    return from_bytes(rel, raw) if raw is not None else (None, problems)


def read_bytes(root: Path, rel: str) -> tuple[bytes | None, list[Problem]]:
    """The bytes of the file ``rel`` under ``root``, unless it is too large or unreadable."""
    try:
        size = (root / rel).stat().st_size
        if size > MAX_FILE_BYTES:
            message = f"文件有 {size} 字节，超过上限 {MAX_FILE_BYTES} 字节（1 MB）：一项职权不应这么大，请检查是否误粘贴了大段内容。"
            return None, [error(rel, (), message, "too-large", 1, 1)]
        return (root / rel).read_bytes(), []
    except OSError as exc:
        return None, [error(rel, (), f"无法读取文件：{exc.strerror}", "io", 0, 0)]


def from_bytes(rel: str, raw: bytes) -> tuple[Source | None, list[Problem]]:
    """Decode and parse the bytes of the file ``rel``, already read and within the size limit."""
    text, problems = decode(rel, raw)
    if text is None:
        return None, problems
    data, more = parse(rel, text)
    problems += more
    if data is None:
        return None, problems
    return Source(rel, text, data), problems


def locate(text: str, pointer: Pointer) -> tuple[int, int]:
    """Return the 1-based line and column of the value at ``pointer``, or of its nearest parent.

    A scalar value is located where it starts; a mapping or list value where its key
    is, which is where a person looks for a field.
    """
    try:
        node = yaml.compose(text, Loader=_SlowLoader)
    except yaml.YAMLError:
        return (1, 1)
    if node is None:
        return (1, 1)
    best = node.start_mark
    for part in pointer:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    node = value_node
                    best = (
                        value_node.start_mark
                        if isinstance(value_node, yaml.ScalarNode) and value_node.value
                        else key_node.start_mark
                    )
                    break
            else:
                break
        elif (
            isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value)
        ):
            node = node.value[part]
            best = node.start_mark
        else:
            break
    return (best.line + 1, best.column + 1)


class EditError(ValueError):
    """An edit in place that cannot be made: the text does not hold what it was to change."""


def _compose(text: str) -> yaml.MappingNode:
    try:
        node = yaml.compose(text, Loader=_SlowLoader)
    except yaml.YAMLError as exc:
        raise EditError(f"YAML 语法错误：{exc}") from exc
    if not isinstance(node, yaml.MappingNode):
        raise EditError("文件的顶层不是一组字段（映射）。")
    return node


def _key_node(node: yaml.Node, pointer: Pointer) -> yaml.Node:
    """The key node of the last part of ``pointer`` (the parts before it lead to its mapping)."""
    for n, part in enumerate(pointer):
        if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            continue
        if not isinstance(node, yaml.MappingNode):
            break
        pair = next((kv for kv in node.value if kv[0].value == str(part)), None)
        if pair is None:
            break
        key_node: yaml.Node = pair[0]
        if n == len(pointer) - 1:
            return key_node
        node = pair[1]
    raise EditError(f"找不到字段 {'.'.join(str(p) for p in pointer)}。")


def rename_keys(text: str, renames: Sequence[tuple[Pointer, str]]) -> str:
    """``text`` with the key at each pointer (its mapping's path, then the key) renamed to the
    plain name given, and every other character kept: comments, quotes, order and layout.

    Each key is found where the composer marks it in the text, so only its own characters
    change (a quoted key loses its quotes: the new names are plain words). Raises EditError.
    """
    root = _compose(text)
    spans = []
    for pointer, new in renames:
        key = _key_node(root, pointer)
        spans.append((key.start_mark.index, key.end_mark.index, new))
    for start, end, new in sorted(spans, reverse=True):
        text = text[:start] + new + text[end:]
    return text


def set_top_level(text: str, key: str, value: str) -> str:
    """``text`` with the top-level field ``key`` set to the plain scalar ``value``: its value
    replaced where it is written, or, when absent, a line ``key: value`` put before the first
    field. Every other character is kept. Raises EditError (a flow mapping, a value that is
    not a single scalar)."""
    root = _compose(text)
    if root.flow_style or not root.value:
        raise EditError("文件的顶层字段不是逐行书写的（块格式）。")
    for key_node, value_node in root.value:
        if key_node.value == key:
            if not isinstance(value_node, yaml.ScalarNode) or not value_node.value:
                raise EditError(f"字段 {key} 的值不是单个的值。")
            start, end = value_node.start_mark.index, value_node.end_mark.index
            return text[:start] + value + text[end:]
    first = root.value[0][0].start_mark
    start = first.index - first.column
    newline = "\r\n" if "\r\n" in text else "\n"
    return text[:start] + f"{key}: {value}{newline}" + text[start:]


# What the dumper must quote: everything the strict loader, or a YAML 1.1 tool
# reading the same file, would take for something other than text.
_QUOTE_RESOLVERS = [
    *_RESOLVERS,
    (
        "tag:yaml.org,2002:bool",
        re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$"),
        "yYnNoO",
    ),
    (
        "tag:yaml.org,2002:int",
        re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+$|^0[0-9_]+$|^0[xob]"),
        "-+0123456789",
    ),
]


class _CanonicalDumper(yaml.SafeDumper):
    """Block style, literal blocks for multi-line or long text, Chinese unescaped."""

    yaml_implicit_resolvers: dict[str, list[tuple[str, re.Pattern[str]]]] = {}  # noqa: RUF012 (PyYAML's API)

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as the examples and editors do.
        super().increase_indent(flow, False)


for _tag, _regexp, _first in _QUOTE_RESOLVERS:
    _CanonicalDumper.add_implicit_resolver(_tag, _regexp, [c if c != "\0" else "" for c in _first])

LONG_TEXT = 80


# Characters YAML reads as line breaks besides \n and \r (pasted from Word, they are real):
# in plain or block style they would come back as spaces or newlines, so they are escaped.
_YAML_BREAKS = re.compile("[\x85\u2028\u2029]")


def _represent_str(dumper: _CanonicalDumper, value: str) -> yaml.ScalarNode:
    if _YAML_BREAKS.search(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if dumper.resolve(yaml.ScalarNode, value, (True, False)) != "tag:yaml.org,2002:str":  # type: ignore[no-untyped-call]
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    style = "|" if "\n" in value or len(value) > LONG_TEXT else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_CanonicalDumper.add_representer(str, _represent_str)


def dump(data: Any) -> str:
    """Serialise data in the canonical form (key order as given, block style)."""
    return yaml.dump(
        data,
        Dumper=_CanonicalDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=10**9,
        indent=2,
    )


_TOP_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*):(?:\s|$)")


def top_level_blocks(text: str) -> dict[str, str] | None:
    """Split a block-style YAML mapping into its top-level fields: key -> the field's text.

    Returns None when the text is not a plain block mapping (then parse it whole).
    Comment lines before a key belong to no field.
    """
    blocks: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line[0] in " -":
            if current is None:
                return None
            current.append(line)
            continue
        match = _TOP_KEY.match(line)
        if match is None or match.group(1) in blocks:
            return None
        current = blocks[match.group(1)] = [line]
    return {key: "\n".join(lines) for key, lines in blocks.items()}


def load_lenient(text: str) -> Any:
    """Parse YAML with the project's scalar rules, without the strict checks; None if it does not parse.

    For reading old revisions in the history, which may hold files that fail today's checks.
    """
    if _too_deep("", text):
        return None  # building it would exhaust the stack, here or wherever it is walked
    try:
        # Aliases are refused in records; in an old revision one may be an alias bomb,
        # a few lines that expand to billions of items once anything walks the data.
        if "*" in text and any(
            isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=_FastLoader)
        ):
            return None
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError:
        return None
