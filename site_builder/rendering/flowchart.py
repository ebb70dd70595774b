"""Draw a power's flow as an inline SVG swimlane flowchart, in pure Python.

``render_flowchart`` is the entry: flowlayout.py lays the steps out on a grid of lanes
and rows with orthogonal edges that never cross a box (its docstring tells how),
flowtext.py measures and wraps the text, and this module writes the SVG. Drawn once per
distinct flow: powers that follow one standard flow share its layout and drawing.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from site_builder.rendering.flowgrid import Box, Edge, Label, Lane, Layout, shapes
from site_builder.rendering.flowlayout import layout
from site_builder.rendering.flowtext import (
    HEADER_FS,
    HEADER_LH,
    NAME_FS,
    NAME_LH,
    SMALL_FS,
    SMALL_LH,
    TextLine,
    describe,
    text_width,
    time_limit_text,
    wrap_text,
)

__all__ = [
    "Box",
    "Edge",
    "Flowchart",
    "Label",
    "Lane",
    "TextLine",
    "describe",
    "render_flowchart",
    "text_width",
    "time_limit_text",
    "wrap_text",
]

FONT_FAMILY = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
MIN_WIDTH_CAP = 680  # the chart never shrinks below this (or its natural width): in site.css

_CHART_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class Flowchart:
    """The SVG and the geometry it was drawn from."""

    svg: str
    width: float
    height: float
    lanes: tuple[Lane, ...]
    boxes: tuple[Box, ...]
    edges: tuple[Edge, ...]

    @property
    def labels(self) -> tuple[Label, ...]:
        return tuple(e.label for e in self.edges if e.label is not None)

    def box(self, key: str) -> Box:
        return next(b for b in self.boxes if b.key == key)


# ---------------------------------------------------------------- SVG


def _n(value: float) -> str:
    """A coordinate with one decimal at most: ``12``, ``12.5``, never ``-0``.

    The hottest function of drawing (dozens of calls a chart): one ``format`` is about
    three times quicker than ``round`` then ``int`` then ``str``, and gives the same text.
    """
    text = f"{value:.1f}"
    if text[-2:] == ".0":
        text = text[:-2]
        return "0" if text == "-0" else text
    return text


def _esc(text: str) -> str:
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#39;")
    )


def _text_block(lines: tuple[TextLine, ...], cx: float, top: float, fill: str = "#111") -> str:
    """Centred lines starting at ``top``; baselines placed from each line's height."""
    parts: list[str] = []
    y = top
    for ln in lines:
        lh = NAME_LH if ln.size == NAME_FS else HEADER_LH if ln.size == HEADER_FS else SMALL_LH
        baseline = y + lh / 2 + ln.size * 0.35
        weight = ' font-weight="bold"' if ln.bold else ""
        parts.append(
            f'<text x="{_n(cx)}" y="{_n(baseline)}" font-size="{ln.size}"{weight} fill="{fill}"'
            f' text-anchor="middle">{_esc(ln.text)}</text>'
        )
        y += lh
    return "".join(parts)


def _block_height(lines: tuple[TextLine, ...]) -> float:
    return sum(
        NAME_LH if ln.size == NAME_FS else HEADER_LH if ln.size == HEADER_FS else SMALL_LH
        for ln in lines
    )


@dataclass(frozen=True)
class _Drawing:
    """A chart's SVG apart from its id and title, drawn once for all charts of one layout.

    Powers that follow one standard flow share a layout and differ only in the chart's
    id and title; joining these pieces around them costs far less than drawing again.
    """

    width: str  # the viewBox's width and height, as written
    height: str
    lanes_and_headers: str  # what comes before the edges' group, whose marker names the id
    edges_and_boxes: str  # the edges, boxes and labels, and the closing tag


def _svg(chart_id: str, title: str, desc: str, drawing: _Drawing) -> str:
    cid = _esc(chart_id)
    w, h = drawing.width, drawing.height
    return "".join(
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" class="flowchart-svg" id="{cid}" role="img"'
            f' aria-labelledby="{cid}-title {cid}-desc" viewBox="0 0 {w} {h}" width="{w}"'
            ' preserveAspectRatio="xMidYMin meet"'  # site.css scales it: no style attribute (CSP)
            f' font-family="{_esc(FONT_FAMILY)}">',
            f'<title id="{cid}-title">{_esc(title)}</title>',
            f'<desc id="{cid}-desc">{_esc(desc)}</desc>',
            f'<defs><marker id="{cid}-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9"'
            ' markerHeight="9" markerUnits="userSpaceOnUse" orient="auto">'
            '<path d="M0,1L10,5L0,9z" fill="#1a1a1a"/></marker></defs>',
            drawing.lanes_and_headers,
            # edges under the boxes and labels
            '<g class="edges" fill="none" stroke="#1a1a1a" stroke-width="1.3"'
            f' marker-end="url(#{cid}-arrow)">',
            drawing.edges_and_boxes,
        )
    )


def _draw(lay: Layout, boxes: Sequence[Box], edges: Sequence[Edge]) -> _Drawing:
    """Serialise the parts of a layout's SVG that do not depend on the chart's id or title."""
    return _Drawing(
        _n(lay.width),
        _n(lay.height),
        _lanes_and_headers(lay, boxes),
        _edges_and_boxes(boxes, edges),
    )


def _lanes_and_headers(lay: Layout, boxes: Sequence[Box]) -> str:
    h = _n(lay.height)
    # lanes: alternate shading, dashed separators
    out: list[str] = ['<g class="lanes">']
    for ln in lay.lanes:
        fill = "#f3f5f8" if ln.index % 2 else "#ffffff"
        out.append(
            f'<rect x="{_n(ln.x)}" y="0" width="{_n(ln.width)}" height="{h}" fill="{fill}"/>'
        )
    for bx in [ln.x for ln in lay.lanes] + [lay.lanes[-1].x + lay.lanes[-1].width]:
        out.append(
            f'<line x1="{_n(bx)}" y1="0" x2="{_n(bx)}" y2="{h}" stroke="#8a939c"'
            ' stroke-width="1" stroke-dasharray="4 3"/>'
        )
    out.append("</g>")
    # headers
    out.append('<g class="headers">')
    for b in boxes:
        if b.kind in ("header", "results-header"):
            dash = ' stroke-dasharray="4 3"' if b.kind == "results-header" else ""
            fill = "#e4e8ed" if b.kind == "header" else "#ffffff"
            out.append(
                f'<rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.width)}" height="{_n(b.height)}"'
                f' fill="{fill}" stroke="#4a4f55" stroke-width="1"{dash}/>'
            )
            top = b.y + (b.height - _block_height(b.lines)) / 2
            out.append(_text_block(b.lines, b.x + b.width / 2, top))
    out.append("</g>")
    return "".join(out)


def _edges_and_boxes(boxes: Sequence[Box], edges: Sequence[Edge]) -> str:
    out: list[str] = []
    for e in edges:
        d = "M" + "L".join(f"{_n(x)},{_n(y)}" for x, y in e.points)
        dash = ' stroke-dasharray="5 3"' if e.back else ""
        out.append(f'<path d="{d}"{dash}/>')
    out.append("</g>")
    # boxes
    out.append('<g class="boxes">')
    for b in boxes:
        if b.kind in ("header", "results-header"):
            continue
        if b.kind == "step":
            rect = 'rx="3" fill="#ffffff" stroke="#1a1a1a" stroke-width="1.5"'
        elif b.kind == "outcome":
            rect = f'rx="{_n(min(14, b.height / 2))}" fill="#ffffff" stroke="#1a1a1a" stroke-width="1.2"'
        else:
            rect = f'rx="{_n(b.height / 2)}" fill="#ffffff" stroke="#1a1a1a" stroke-width="2.5"'
        out.append(
            f'<rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.width)}" height="{_n(b.height)}" {rect}/>'
        )
        top = b.y + (b.height - _block_height(b.lines)) / 2
        out.append(_text_block(b.lines, b.x + b.width / 2, top))
    out.append("</g>")
    # labels on top, on a white ground that hides the line they sit on
    out.append('<g class="labels">')
    for e in edges:
        lb = e.label
        if lb is None:
            continue
        out.append(
            f'<rect x="{_n(lb.x)}" y="{_n(lb.y)}" width="{_n(lb.width)}" height="{_n(lb.height)}"'
            ' fill="#ffffff"/>'
        )
        lines = tuple(TextLine(t, SMALL_FS) for t in lb.lines)
        out.append(_text_block(lines, lb.x + lb.width / 2, lb.y + 1, "#333333"))
    out.append("</g>")
    out.append("</svg>")
    return "".join(out)


@lru_cache(maxsize=4096)  # powers that follow one standard flow share its layout
def _planned(
    steps_json: str,
) -> tuple[Layout, tuple[Box, ...], tuple[Edge, ...], str, _Drawing]:
    steps = json.loads(steps_json)
    lay = layout(steps)
    boxes, edges = shapes(lay)
    return lay, tuple(boxes), tuple(edges), describe(steps), _draw(lay, boxes, edges)


def render_flowchart(steps: list[dict[str, Any]], *, chart_id: str, title: str) -> Flowchart | None:
    """Return the flowchart of a power's resolved steps, or None when there are none.

    ``chart_id`` prefixes every id inside the SVG, so several charts can share a
    page; it must be a valid XML id (letters, digits, ``_ . -``).
    """
    if not steps:
        return None
    if not _CHART_ID.match(chart_id):
        raise ValueError(f"chart_id {chart_id!r} is not a valid XML id")
    lay, boxes, edges, description, drawing = _planned(json.dumps(steps, ensure_ascii=False))
    svg = _svg(chart_id, title, description, drawing)
    return Flowchart(
        svg=svg,
        width=lay.width,
        height=lay.height,
        lanes=tuple(lay.lanes),
        boxes=tuple(boxes),
        edges=tuple(edges),
    )
