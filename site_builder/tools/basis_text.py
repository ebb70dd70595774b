"""Legal-basis text as departments write it in their sheets, split into entries.

``parse_basis`` turns a cell such as 《中华人民共和国食品安全法》第一百二十二条；《广东省…条例》第十条
into one entry per law and article (with its kind guessed from the title and matched to the
register of laws), so that ``importer`` fills ``legal_basis`` the way the schema asks.
Nothing here reads a file or knows about spreadsheets.
"""

from __future__ import annotations

import re
from typing import Any, Protocol

# The tags departments put before a basis (【法律】…), and the kind each means.
TAG_KINDS = {
    "法律": "法律",
    "行政法规": "行政法规",
    "地方性法规": "地方性法规",
    "法规": "",  # guessed from the title
    "规章": "",  # 部门规章 or 地方政府规章, guessed from the title
    "部门规章": "部门规章",
    "地方政府规章": "地方政府规章",
    "规范性文件": "规范性文件",
    "其他规范性文件": "规范性文件",
    "三定方案": "三定方案",
    "三定": "三定方案",
}


class Notes(Protocol):
    """Where parsing notes what it guessed and the laws it found no entry for in the register."""

    guesses: list[str]
    unregistered: dict[str, list[str]]


_TAG = re.compile(r"【\s*([^】0-9]{1,10}?)\s*】")  # 【2017】 in a doc number is no tag
_ITEM = re.compile(r"(?:^|(?<=[\n;；。]))\s*[（(]?\d{1,2}[）)、.．]\s*(?=\S)")
_TITLE = re.compile(r"《([^《》]*(?:《[^《》]*》[^《》]*)*)》")
_NUM = "[一二三四五六七八九十百千零〇两0-9]+"
_ARTICLE = re.compile(rf"第{_NUM}条(?:之{_NUM})?(?:第{_NUM}款)?(?:第{_NUM}项)?")
_DOC_NUMBER = re.compile(
    r"[\u4e00-\u9fff]{1,12}(?:〔|\[|［|【)\d{4}(?:〕|\]|］|】)\d+号|(?:(?![年月日])[\u4e00-\u9fff、]){0,12}令第?[0-9一二三四五六七八九十百千零〇]+号"
)
_PLACE = re.compile(r"^(?:[\u4e00-\u9fff]{2,7}?(?:省|市|自治区|自治州|县|区))")


def norm_title(title: str) -> str:
    t = re.sub(r"[\s《》〈〉<>]", "", title)
    return t.removeprefix("中华人民共和国")


def _split(text: str) -> list[tuple[str, str]]:
    """Split into (tag, text) segments by 【tags】, then by numbered items."""
    segments: list[tuple[str, str]] = []
    matches = list(_TAG.finditer(text))
    if matches:
        head = text[: matches[0].start()].strip(" \n;；")
        if head:
            segments.append(("", head))
        for i, m in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
            segments.append((m.group(1), text[m.end() : end]))
    else:
        segments.append(("", text))
    out: list[tuple[str, str]] = []
    for tag, seg in segments:
        pieces = [p for p in _ITEM.split(seg) if p.strip(" \n;；")]
        if len(pieces) > 1 and all(_TITLE.search(p) for p in pieces):
            out += [(tag, p) for p in pieces]
        else:
            out.append((tag, _ITEM.sub("", seg, count=1) if _ITEM.match(seg) else seg))
    return [(tag, s.strip(" \n;；:：")) for tag, s in out if s.strip(" \n;；:：")]


def _guess_kind(title: str, tag: str = "") -> str:
    local = bool(_PLACE.match(title)) and not title.startswith("中华人民共和国")
    if tag == "规章":
        return "地方政府规章" if local else "部门规章"
    if tag == "法规":
        return "地方性法规" if local else "行政法规"
    if title.endswith("法") and not title.endswith("办法"):
        return "法律"
    if title.endswith("条例"):
        return "地方性法规" if local else "行政法规"
    if re.search(r"(规定|办法|细则|规则)$", title):
        return "地方政府规章" if local else "部门规章"
    return "规范性文件"


def parse_basis(
    raw: str, number: int, power: str, laws: dict[str, dict[str, Any]], plan: Notes
) -> list[dict[str, Any]]:
    """Turn a legal basis cell (tidied) into entries with kind, law or title, article and text."""
    entries: list[dict[str, Any]] = []
    for tag, text in _split(raw):
        title_match = _TITLE.search(text)
        entry: dict[str, Any] = {}
        title = title_match.group(1).strip() if title_match else ""
        registered = laws.get(norm_title(title)) if title else None
        tag_kind = TAG_KINDS.get(tag) if tag else None
        if tag and tag_kind is None:
            plan.guesses.append(f"第 {number} 行 依据标签【{tag}】无法识别，类别按名称推断")
        if tag_kind:
            kind = tag_kind
        elif registered is not None and isinstance(registered.get("kind"), str):
            kind = registered["kind"]
        elif title:
            kind = _guess_kind(title, tag)
            if tag in ("规章", "法规"):
                plan.guesses.append(f"第 {number} 行 【{tag}】《{title}》按名称推断为“{kind}”")
            else:
                plan.guesses.append(f"第 {number} 行 依据《{title}》没有标签，按名称推断为“{kind}”")
        else:
            kind = "规范性文件"
            plan.guesses.append(
                f"第 {number} 行 依据“{text[:20]}…”没有标签和书名号，类别按“规范性文件”导入，请核对"
            )
        entry["kind"] = kind
        if registered is not None:
            entry["law"] = registered["id"]
        elif title:
            entry["title"] = title
            plan.unregistered.setdefault(title, []).append(power)
        else:
            head = re.match(r"[:：\s]*([^（(\s:：;；，,。]+?)(?=第|[（(\s:：;；，,。]|$)", text)
            entry["title"] = (head.group(1) if head else text.split("\n")[0])[:60]
            plan.guesses.append(
                f"第 {number} 行 依据没有书名号《》，以首行“{entry['title']}”作为名称，请核对"
            )
        rest = text[title_match.end() :] if title_match else text
        rest_head = re.sub(r"^\s*[（(][^）)]*[）)]", "", rest)
        doc = _DOC_NUMBER.search(rest[:80])
        if doc and not entry.get("law"):
            entry["doc_number"] = doc.group(0).strip("（()）")
        article = _ARTICLE.search(rest_head)
        if article:
            entry["article"] = article.group(0)
        entry["text"] = text
        entries.append(entry)
    return entries
