"""Text on a flowchart: measuring and wrapping Chinese text, and the words of a step.

There is no font to measure with, so widths are estimated (a CJK character is 1 em,
ASCII 0.55 em) and lines are wrapped between unbreakable pieces (a CJK character, an
ASCII word), punctuation kept with its neighbour and the lines balanced.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DEFAULT_LANE = "办理机构"
NAME_FS, NAME_LH = 14, 19
SMALL_FS, SMALL_LH = 12, 16
HEADER_FS, HEADER_LH = 13, 17

_OPENING = set("《（“‘【〔「『([{<")
_CLOSING = set("，。、；：？！）》”’】〕」』,.;:?!)]}>%％…")


@dataclass(frozen=True)
class TextLine:
    """One line of text in a box: its text, font size and weight."""

    text: str
    size: int
    bold: bool = False


def _char_width(ch: str) -> float:
    """Width of one character in em: ASCII is narrow, everything else counts as full width."""
    return 0.55 if ord(ch) < 0x80 else 1.0


def text_width(text: str, size: float) -> float:
    """Estimated width in px of ``text`` at font size ``size``."""
    return sum(_char_width(c) for c in text) * size


def _tokens(text: str) -> list[str]:
    """Split text into unbreakable pieces: CJK characters, ASCII words, punctuation attached."""
    raw: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isascii() and not ch.isspace() and ch not in _OPENING and ch not in _CLOSING:
            j = i
            while (
                j < len(text)
                and text[j].isascii()
                and not text[j].isspace()
                and text[j] not in _OPENING
                and text[j] not in _CLOSING
            ):
                j += 1
            raw.append(text[i:j])
            i = j
        else:
            raw.append(ch)
            i += 1
    tokens: list[str] = []
    pending = ""  # opening punctuation waiting for the next piece
    for tok in raw:
        if tok in _OPENING:
            pending += tok
        elif tok in _CLOSING and tokens and not pending:
            tokens[-1] += tok
        else:
            tokens.append(pending + tok)
            pending = ""
    if pending:
        tokens.append(pending)
    return tokens


@lru_cache(maxsize=65536)
def _wrap(text: str, width: float, size: float) -> tuple[str, ...]:
    return tuple(_wrap_balanced(text, width, size))


def wrap_text(text: str, width: float, size: float) -> list[str]:
    """Wrap ``text`` into balanced lines no wider than ``width`` px (see ``_wrap_balanced``)."""
    return list(_wrap(text, width, size))


def _wrap_balanced(text: str, width: float, size: float) -> list[str]:
    """Wrap ``text`` into balanced lines no wider than ``width`` px.

    Greedy wrapping first gives the number of lines; then the narrowest width that
    keeps that number evens the lines out (no lone character on the last line).
    A single character wider than ``width`` still gets a line of its own.
    """
    lines = _wrap_greedy(text, width, size)
    if len(lines) < 2:
        return lines
    lo, hi = 1, int(width)
    while lo < hi:
        mid = (lo + hi) // 2
        if len(_wrap_greedy(text, mid, size)) <= len(lines):
            hi = mid
        else:
            lo = mid + 1
    return _wrap_greedy(text, min(float(hi), width), size)


def _wrap_greedy(text: str, width: float, size: float) -> list[str]:
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for tok in _tokens(paragraph.strip()):
            if text_width(line + tok, size) <= width:
                line += tok
                continue
            if line.strip():
                lines.append(line.rstrip())
            line = tok.lstrip()
            if text_width(line, size) > width:  # a piece wider than a line: break it
                line = ""
                for ch in tok.lstrip():
                    if line and text_width(line + ch, size) > width:
                        lines.append(line)
                        line = ""
                    line += ch
        if line.strip():
            lines.append(line.rstrip())
    return lines


def _fmt_number(value: float) -> str:
    if float(value).is_integer():
        return str(int(value))
    return f"{value:g}"


def time_limit_text(limit: Any) -> str | None:
    """``{"value": 20, "unit": "工作日"}`` -> ``20个工作日``; value 0 -> ``即办``."""
    if not isinstance(limit, dict):
        return None
    value = limit.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value == 0:
        text = "即办"
    else:
        unit = str(limit.get("unit") or "")
        number = _fmt_number(value)
        text = f"{number}个{unit}" if unit in ("工作日", "自然日", "月") else f"{number}{unit}"
    note = limit.get("note")
    if isinstance(note, str) and note.strip():
        text += f"（{note.strip()}）"
    return text


def text_of(value: Any) -> str | None:
    """A text field's value without surrounding space; None when it is not text or blank."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def unit_of(step: dict[str, Any]) -> str:
    """The unit that handles a step: the name of its lane."""
    return text_of(step.get("unit")) or DEFAULT_LANE


def step_name(step: dict[str, Any]) -> str:
    """The name written in a step's box: its name, else its id."""
    return text_of(step.get("name")) or str(step.get("id", "")) or "（未命名环节）"


def describe(steps: list[dict[str, Any]]) -> str:
    """One Chinese sentence summing the flow up: number of steps and the handling units."""
    units: list[str] = []
    for step in steps:
        if unit_of(step) not in units:
            units.append(unit_of(step))
    if not steps:
        return "本流程没有环节。"
    if len(units) == 1:
        return f"本流程共{len(steps)}个环节，均由{units[0]}办理。"
    return f"本流程共{len(steps)}个环节，涉及{len(units)}个承办机构：{'、'.join(units)}。"
