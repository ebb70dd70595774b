"""Server-rendered, accessible SVG bar charts for the site's statistics, in pure Python.

``bar_chart()`` returns one inline ``<svg>`` element (no XML declaration): a horizontal bar
chart with the labels on the left, one bar per row in the given order and the value written
at the end of each bar, so the chart reads in black-and-white print and without colour.

- The SVG has ``role="img"``, is labelled by its ``<title>`` and described by a ``<desc>``
  holding a Chinese summary of the data; every id inside starts with ``chart_id``.
- Text widths are estimated (CJK and full-width characters 1 em, ASCII about 0.55 em),
  long labels wrap onto a second line and are then cut with “…”; a cut label carries its
  full text in a ``<title>`` child. ``layout()`` exposes the geometry so tests can check that
  labels never run into the bars or into each other.
- It scales to its container (``viewBox``, ``width="100%"``, ``max-width`` = natural width).
- Output is deterministic: the same input gives the same bytes; coordinates have 1 decimal.
- Empty input gives an SVG that says “暂无数据” (never an empty string).

Links on labels (``Bar.href``) get the ``root`` prefix when relative. They carry
``tabindex="-1"``: an ``role="img"`` element is one graphic for assistive technology, so the
links are for pointer users only, and the page must offer the same links in the HTML table
that it shows beside the chart.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from site_builder.rendering.geometry import Extent

__all__ = ["Bar", "Box", "ChartLayout", "Row", "bar_chart", "describe", "layout", "text_width"]

FONT_FAMILY = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
FONT_SIZE = 14.0  # user units (px at natural size)
LINE_HEIGHT = 17.0  # between the lines of a wrapped label
ROW_HEIGHT = 28.0  # a row with a one-line label
BAR_HEIGHT = 16.0
PAD = 8.0  # around the chart
GAP = 8.0  # label → baseline, bar end → value
LABEL_MAX_EM = 10.0  # the label column is at most this wide; longer labels wrap
LABEL_MAX_LINES = 2
PLOT_WIDTH = 220.0  # the longest bar

TEXT_COLOUR = "#1a1a1a"  # 17.4:1 on white
LINK_COLOUR = "#0b4f8a"  # 8.4:1 on white
BAR_COLOUR = "#2f6aa3"  # 5.6:1 on white (graphics need 3:1)
AXIS_COLOUR = "#595959"  # 7:1 on white

ELLIPSIS = "…"
_NO_LINE_START = set("，。、；：？！）》」』”’〕】…,.;:?!)]}%")
_CHART_ID = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: a label (Chinese), a count and an optional relative link."""

    label: str
    value: int
    href: str | None = None


@dataclass(frozen=True)
class Box(Extent):
    """An axis-aligned rectangle in the chart's user units."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Row:
    """The computed geometry of one bar: where its label, bar and value text go."""

    bar: Bar
    lines: tuple[str, ...]  # the label as drawn, wrapped and possibly cut with “…”
    truncated: bool
    label_box: Box  # estimated extent of the drawn label text
    bar_box: Box  # width 0 for a zero value
    value_text: str
    value_box: Box
    row_box: Box


@dataclass(frozen=True)
class ChartLayout:
    """The geometry of a whole chart: natural size, plot area and one ``Row`` per bar."""

    width: float
    height: float
    label_width: float  # width of the label column
    plot_x: float  # the baseline: x of every bar's start
    plot_width: float  # length of the longest bar
    rows: tuple[Row, ...]


def char_width(char: str) -> float:
    """Estimated advance of one character, in em."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0.0
    if unicodedata.east_asian_width(char) in ("F", "W", "A"):
        return 1.0
    if char.isascii():
        if char.isupper() or char in "mwMW@%&":
            return 0.7
        return 0.55
    return 0.7


def text_width(text: str, font_size: float = FONT_SIZE) -> float:
    """Estimated width of ``text`` in user units: CJK 1 em, ASCII about 0.55 em (generous)."""
    return sum(char_width(c) for c in text) * font_size


def _clean(text: str) -> str:
    """Drop characters XML 1.0 cannot hold and turn line breaks into spaces."""
    return _XML_INVALID.sub("", " ".join(text.split()))


def _esc(text: str) -> str:
    return escape(_clean(text), quote=True)


def _num(value: float) -> str:
    """A coordinate rounded to 1 decimal, without a trailing “.0”."""
    rounded = round(value + 0.0, 1)
    if rounded == 0:
        return "0"
    text = f"{rounded:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _greedy(text: str, max_width: float) -> list[str]:
    """Fill lines up to ``max_width``; closing punctuation never starts a line."""
    lines: list[str] = []
    current = ""
    for char in text:
        if current and text_width(current + char) > max_width:
            space = current.rfind(" ")
            if char in _NO_LINE_START and len(current) > 1:
                lines.append(current[:-1])
                current = current[-1]
            elif _inside_word(current[-1], char) and space > 0:
                lines.append(current[:space])  # break English text at the last space
                current = current[space + 1 :]
            else:
                lines.append(current)
                current = ""
            if char == " " and not current:
                continue
        current += char
    if current or not lines:
        lines.append(current)
    return lines


def _inside_word(before: str, after: str) -> bool:
    return before.isascii() and before.isalnum() and after.isascii() and after.isalnum()


def _preferred_break(text: str, k: int) -> bool:
    """A good place for a line break: after a space, punctuation or 局, or after a place
    name such as 端州区 / 德庆县 / 肇庆市 at the start of a department's name."""
    if text[k - 1] in " 、，；）局" or text[k] in " （":
        return True
    return 3 <= k <= 6 and text[k - 1] in "市区县" and text.find(text[k - 1]) == k - 1


def _split_two(text: str, max_width: float) -> tuple[str, str] | None:
    """The best break of ``text`` into two lines that both fit, or None if there is none."""
    best: tuple[int, float, int] | None = None  # (not preferred, width of the longer line, k)
    for k in range(1, len(text)):
        first, second = text[:k].rstrip(), text[k:].lstrip()
        if not first or not second or text[k] in _NO_LINE_START:
            continue
        longer = max(text_width(first), text_width(second))
        if longer > max_width:
            continue
        inside_word = _inside_word(text[k - 1], text[k])
        key = (0 if _preferred_break(text, k) else 2 if inside_word else 1, longer, k)
        if best is None or key < best:
            best = key
    if best is None:
        return None
    k = best[2]
    return text[:k].rstrip(), text[k:].lstrip()


def _wrap(text: str, max_width: float, max_lines: int) -> tuple[tuple[str, ...], bool]:
    """Break ``text`` into at most ``max_lines`` lines of at most ``max_width``; cut with “…”.

    Two lines are balanced and broken at a natural place (after punctuation or a leading
    place name such as 端州区) where possible; longer text is filled greedily and cut.
    """
    if text_width(text) <= max_width:
        return (text,), False
    if max_lines >= 2:
        pair = _split_two(text, max_width)
        if pair is not None:
            return pair, False
    lines = _greedy(text, max_width)
    if len(lines) <= max_lines:
        return tuple(lines), False
    kept = lines[: max_lines - 1]
    last = lines[max_lines - 1]
    while last and text_width(last + ELLIPSIS) > max_width:
        last = last[:-1]
    return (*kept, last.rstrip(" （《「『“‘([{") + ELLIPSIS), True


def _value_text(value: int, unit: str) -> str:
    return f"{value}{unit}" if value else "0"


def layout(bars: Sequence[Bar], *, unit: str = "项") -> ChartLayout:
    """Compute the chart's geometry; ``bar_chart()`` draws exactly this.

    The label column is as wide as the widest label, at most ``LABEL_MAX_EM`` em; the
    baseline follows it, the longest bar is ``PLOT_WIDTH`` long and the values follow the
    bars. Negative values are refused.
    """
    for bar in bars:
        if bar.value < 0:
            raise ValueError(f"bar_chart: negative value {bar.value} for {bar.label!r}")
    labels = [_clean(bar.label) for bar in bars]
    label_max = LABEL_MAX_EM * FONT_SIZE
    label_width = min(label_max, max((text_width(t) for t in labels), default=0.0))
    label_width = max(label_width, 2 * FONT_SIZE)
    values = [_value_text(bar.value, unit) for bar in bars]
    value_width = max((text_width(v) for v in values), default=0.0)
    plot_x = PAD + label_width + GAP
    width = plot_x + PLOT_WIDTH + GAP + value_width + PAD
    top = max((bar.value for bar in bars), default=0)

    rows: list[Row] = []
    y = PAD
    for bar, text, value_text in zip(bars, labels, values, strict=True):
        lines, truncated = _wrap(text, label_width, LABEL_MAX_LINES)
        row_height = ROW_HEIGHT + (len(lines) - 1) * LINE_HEIGHT
        row_box = Box(0.0, y, width, row_height)
        middle = y + row_height / 2
        text_height = FONT_SIZE + (len(lines) - 1) * LINE_HEIGHT
        drawn = max(text_width(line) for line in lines)
        label_box = Box(PAD + label_width - drawn, middle - text_height / 2, drawn, text_height)
        length = PLOT_WIDTH * bar.value / top if top else 0.0
        if bar.value and length < 1.0:
            length = 1.0  # a tiny but non-zero value stays visible
        bar_box = Box(plot_x, middle - BAR_HEIGHT / 2, length, BAR_HEIGHT)
        value_box = Box(
            plot_x + length + GAP,
            middle - FONT_SIZE / 2,
            text_width(value_text),
            FONT_SIZE,
        )
        rows.append(Row(bar, lines, truncated, label_box, bar_box, value_text, value_box, row_box))
        y += row_height
    return ChartLayout(
        width=width,
        height=y + PAD,
        label_width=label_width,
        plot_x=plot_x,
        plot_width=PLOT_WIDTH,
        rows=tuple(rows),
    )


def _names(bars: Sequence[Bar], limit: int = 3) -> str:
    names = "、".join(_clean(b.label) for b in bars[:limit])
    return names if len(bars) <= limit else f"{names}等{len(bars)}个"


def _group(bars: Sequence[Bar], unit: str) -> str:
    value = bars[0].value
    if len(bars) == 1:
        return f"{_clean(bars[0].label)}（{value}{unit}）"
    return f"{_names(bars)}（各{value}{unit}）"


def describe(bars: Sequence[Bar], *, unit: str = "项", noun: str = "个项目") -> str:
    """A Chinese sentence summarising the data, for the chart's ``<desc>``.

    E.g. “共10个类别，合计204项。最多的是行政处罚（66项），其次是行政许可（50项），
    最少的是非行政许可审批（2项）。”
    """
    if not bars:
        return "暂无数据。"
    total = sum(b.value for b in bars)
    head = f"共{len(bars)}{noun}，合计{total}{unit}。"
    values = sorted({b.value for b in bars}, reverse=True)
    groups = [[b for b in bars if b.value == v] for v in values]
    if len(groups) == 1:
        return f"{head}均为{values[0]}{unit}。"
    parts = [f"最多的是{_group(groups[0], unit)}"]
    if len(groups) > 2:
        parts.append(f"其次是{_group(groups[1], unit)}")
    last = groups[-1]
    if values[-1] == 0:
        parts.append(f"{_names(last)}为0" if len(last) > 1 else f"{_clean(last[0].label)}为0")
    else:
        parts.append(f"最少的是{_group(last, unit)}")
    return head + "，".join(parts) + "。"


def _href(root: str, href: str) -> str:
    if _SCHEME.match(href) or href.startswith(("/", "#")):
        return href
    return root + href


def _svg_open(chart_id: str, width: float, height: float) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}"'
        f' role="img" aria-labelledby="{chart_id}-title" aria-describedby="{chart_id}-desc"'
        f' font-family="{_esc(FONT_FAMILY)}" font-size="{_num(FONT_SIZE)}" fill="{TEXT_COLOUR}">'
    )


def _row_label(row: Row, label_x: str, middle: float, root: str) -> str:
    """A bar's label, right-aligned at ``label_x`` on its row's ``middle``, in one line or
    several, linked when the bar has an ``href`` (the whole label, with the full text as a
    tooltip when it was cut short)."""
    first = middle - (len(row.lines) - 1) * LINE_HEIGHT / 2
    tooltip = f"<title>{_esc(row.bar.label)}</title>" if row.truncated else ""
    if len(row.lines) == 1:
        body = _esc(row.lines[0])
        text = (
            f'<text x="{label_x}" y="{_num(first)}" text-anchor="end"'
            f' dominant-baseline="central">{tooltip}{body}</text>'
        )
    else:
        spans = "".join(
            f'<tspan x="{label_x}" y="{_num(first + i * LINE_HEIGHT)}">{_esc(line)}</tspan>'
            for i, line in enumerate(row.lines)
        )
        text = f'<text text-anchor="end" dominant-baseline="central">{tooltip}{spans}</text>'
    if row.bar.href:
        link = _esc(_href(root, row.bar.href))
        text = (
            f'<a href="{link}" tabindex="-1" fill="{LINK_COLOUR}"'
            f' text-decoration="underline">{text}</a>'
        )
    return text


def bar_chart(
    bars: Sequence[Bar],
    *,
    chart_id: str,
    title: str,
    unit: str = "项",
    root: str = "",
    noun: str = "个项目",
) -> str:
    """Render ``bars`` as one inline horizontal bar chart ``<svg>`` (see the module docstring).

    ``chart_id`` (letters, digits, ``-``, ``_``) is the svg's id and the prefix of every id
    inside; ``title`` names the chart; ``unit`` follows each value (“66项”); ``root`` is put
    before each relative ``href``; ``noun`` counts the bars in the description (“个类别”).
    Empty ``bars`` give an SVG that says “暂无数据”.
    """
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"bar_chart: chart_id {chart_id!r} must match [A-Za-z][A-Za-z0-9_-]*")
    head = [
        f'<title id="{chart_id}-title">{_esc(title)}</title>',
        f'<desc id="{chart_id}-desc">{_esc(describe(bars, unit=unit, noun=noun))}</desc>',
    ]
    if not bars:
        width, height = 240.0, ROW_HEIGHT + 2 * PAD
        return "\n".join(
            [
                _svg_open(chart_id, width, height),
                *head,
                f'<text x="{_num(PAD)}" y="{_num(height / 2)}"'
                ' dominant-baseline="central">暂无数据</text>',
                "</svg>",
            ]
        )

    geo = layout(bars, unit=unit)
    out = [_svg_open(chart_id, geo.width, geo.height), *head]
    out.append(f'<g fill="{BAR_COLOUR}">')
    for row in geo.rows:
        if row.bar_box.width > 0:
            b = row.bar_box
            out.append(
                f'<rect x="{_num(b.x)}" y="{_num(b.y)}" width="{_num(b.width)}"'
                f' height="{_num(b.height)}"/>'
            )
    out.append("</g>")
    top, bottom = geo.rows[0].row_box.y, geo.rows[-1].row_box.bottom
    out.append(
        f'<line x1="{_num(geo.plot_x)}" y1="{_num(top)}" x2="{_num(geo.plot_x)}"'
        f' y2="{_num(bottom)}" stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    label_x = _num(PAD + geo.label_width)
    for row in geo.rows:
        middle = row.row_box.y + row.row_box.height / 2
        out.append(_row_label(row, label_x, middle, root))
        v = row.value_box
        out.append(
            f'<text x="{_num(v.x)}" y="{_num(middle)}" dominant-baseline="central">'
            f"{_esc(row.value_text)}</text>"
        )
    out.append("</svg>")
    return "\n".join(out)
