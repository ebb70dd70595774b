"""Rules on the text of a record's values, beyond the schemas: what no page or table can take.

Checked for each file on its own (``model`` runs them with the schema check, and the
result is cached with it). Each rule gives the pointer of the value, a message for
department staff and a rule name; ``report`` places the pointer on a line.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from site_builder.errors import Pointer
from site_builder.publishing import tablefiles
from site_builder.rendering import markup

# Fields that hold a name, a title or a code: never prose, never a number, so never
# legitimately starting with what a spreadsheet takes for a formula. Prose (content,
# remark, ...) may start with "- " (a Markdown list) or "@", and a phone number with
# "+": those are neutralised where a table is written (tablefiles.safe_cell) instead.
NAME_FIELDS = frozenset(
    {"name", "short_name", "full_name", "title", "short_title", "aliases", "subitem", "code"}
    | {"doc_number"}
)


def check(data: Any) -> list[tuple[Pointer, str, str]]:
    """(pointer, message, rule) for every value of ``data`` that breaks a rule here."""
    return sorted(_walk((), data, ""), key=lambda found: [str(p) for p in found[0]])


def _walk(pointer: Pointer, value: Any, key: str) -> Iterator[tuple[Pointer, str, str]]:
    if isinstance(value, dict):
        for k, item in value.items():
            yield from _walk((*pointer, k), item, str(k))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _walk((*pointer, i), item, key)
    elif isinstance(value, str):
        yield from _text(pointer, value, key)


def _text(pointer: Pointer, text: str, key: str) -> Iterator[tuple[Pointer, str, str]]:
    levels, line = markup.nesting(text)
    if levels:
        yield (
            pointer,
            f"文字第 {line + 1} 行的列表或引用嵌套了 {levels} 层，超过上限 {markup.MAX_NESTING} 层："
            "网页无法显示这样的文字，请检查是否误粘贴了内容，或减少缩进和“-”“>”的层数。",
            "markdown-depth",
        )
    if key in NAME_FIELDS and text[:1] in tablefiles.FORMULA_START:
        first = {"\t": "制表符", "\r": "回车符"}.get(text[0], f"“{text[0]}”")
        yield (
            pointer,
            f"名称、标题和编码不能以{first}开头：Excel、WPS 打开下载的表格时会把它当作公式执行。"
            f"请删除开头的{first}。",
            "formula-text",
        )
