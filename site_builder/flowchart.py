"""Draw a power's flow as an inline SVG swimlane flowchart, in pure Python.

The layout is a grid: one lane (column) per handling unit in order of first
appearance, one row per step in the order of the procedure, and a gap between
rows that carries the horizontal parts of the edges. Edges are orthogonal and
are routed so that they never cross a box:

- an edge leaves its step at the bottom and enters its target at the top; an edge
  to the next row turns once in the gap between the two rows;
- any other edge (skipping rows, going back up, a step pointing at itself) turns
  into a *channel*, the strip between two lanes that holds no box, runs up or
  down there on its own track and turns into the gap above its target;
- outcomes that end the flow (a branch with ``outcome`` and no ``to``) are
  rounded end boxes in a column on the right, in the row of their step, with
  the branch condition above them; a step with neither ``next`` nor branches
  leads to one final 结束 box below the last row.

Branch labels sit on the first leg of their edge, below the step, each on its own
band with a white background, where no other line passes. Every coordinate is a
multiple of 0.5 px, so the geometry is exact and the output is the same bytes for
the same input.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from site_builder.geometry import Extent

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

BoxKind = Literal["header", "results-header", "step", "outcome", "end"]
EdgeKind = Literal["next", "branch", "outcome", "end"]

FONT_FAMILY = "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
DEFAULT_LANE = "办理机构"
RESULTS_HEADER = "办理结果"
END_TEXT = "结束"

BOX_W = 152  # step box width; a lane is this plus half a channel on each side
BOX_PAD = 8
NAME_FS, NAME_LH = 14, 19
SMALL_FS, SMALL_LH = 12, 16
HEADER_FS, HEADER_LH = 13, 17
TRACK = 8  # distance between parallel lines
CLEAR = 8  # distance between a channel track and a box
MIN_CHANNEL = 48
PORT_SPACING = 24  # minimum distance between two edges leaving or entering a box
RESULT_W = 168
RESULT_PAD = 10
END_W, END_H = 72, 32
MARGIN = 12
MIN_GAP = 32
ARROW_ROOM = 12  # shortest last leg, so the arrowhead shows
LABEL_MAX_W = 140
LABEL_PAD = 3
LABEL_CLEAR = 6  # distance between a label and a line that passes beside it
OUTCOME_GAP = 10
MIN_WIDTH_CAP = 680  # the chart never shrinks below this (or its natural width): in site.css

_CHART_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_OPENING = set("《（“‘【〔「『([{<")
_CLOSING = set("，。、；：？！）》”’】〕」』,.;:?!)]}>%％…")


# ---------------------------------------------------------------- public geometry


@dataclass(frozen=True)
class TextLine:
    """One line of text in a box: its text, font size and weight."""

    text: str
    size: int
    bold: bool = False


@dataclass(frozen=True)
class Lane:
    """A swimlane: one handling unit, a column of the chart."""

    index: int
    name: str
    x: float
    width: float


@dataclass(frozen=True)
class Box(Extent):
    """A rectangle of the chart: lane header, step, outcome, end, results header."""

    key: str  # unique within the chart
    kind: BoxKind
    x: float
    y: float
    width: float
    height: float
    lines: tuple[TextLine, ...]
    step_id: str | None = None  # the step's id (kind "step")
    lane: int | None = None  # the lane index (kinds "header", "step", "end")


@dataclass(frozen=True)
class Label(Extent):
    """A branch condition drawn on an edge or above an outcome box."""

    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Edge:
    """An orthogonal polyline from the border of one box to the border of another."""

    source: str  # Box.key
    target: str  # Box.key
    kind: EdgeKind
    points: tuple[tuple[float, float], ...]
    label: Label | None
    back: bool  # goes back to an earlier (or the same) step


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


# ---------------------------------------------------------------- text


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


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _unit(step: dict[str, Any]) -> str:
    return _str(step.get("unit")) or DEFAULT_LANE


def _step_name(step: dict[str, Any]) -> str:
    return _str(step.get("name")) or str(step.get("id", "")) or "（未命名环节）"


def describe(steps: list[dict[str, Any]]) -> str:
    """One Chinese sentence summing the flow up: number of steps and the handling units."""
    units: list[str] = []
    for step in steps:
        if _unit(step) not in units:
            units.append(_unit(step))
    if not steps:
        return "本流程没有环节。"
    if len(units) == 1:
        return f"本流程共{len(steps)}个环节，均由{units[0]}办理。"
    return f"本流程共{len(steps)}个环节，涉及{len(units)}个承办机构：{'、'.join(units)}。"


# ---------------------------------------------------------------- layout model


def _half(value: float) -> float:
    """Round down to a multiple of 0.5, so sums stay exact."""
    return math.floor(value * 2) / 2


def _even(value: float) -> int:
    return int(math.ceil(value / 2) * 2)


@dataclass(eq=False)
class _Node:
    key: str
    kind: Literal["step", "end"]
    row: int
    lane: int
    step_id: str | None
    lines: tuple[TextLine, ...]
    width: float = 0
    height: float = 0
    x: float = 0
    y: float = 0
    exits: list[_Link] = field(default_factory=list)
    entries: list[_Link] = field(default_factory=list)
    outcomes: list[_Outcome] = field(default_factory=list)

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


@dataclass(eq=False)
class _Link:
    """An edge between two nodes (steps or the end)."""

    seq: int
    kind: EdgeKind
    source: _Node
    target: _Node
    text: str | None
    channel: int | None = None
    track: int = 0
    track_x: float = 0
    port_x: float = 0
    entry_x: float = 0
    exit_y: float = 0
    entry_y: float = 0
    label_lines: tuple[str, ...] = ()
    label_x: float = 0
    label_y: float = 0
    label_w: float = 0
    label_h: float = 0

    @property
    def adjacent(self) -> bool:
        return self.target.row == self.source.row + 1

    @property
    def back(self) -> bool:
        return self.target.row <= self.source.row

    @property
    def straight(self) -> bool:
        return self.adjacent and self.port_x == self.entry_x

    @property
    def dest_x(self) -> float:
        """Where the edge goes after its first turn."""
        return self.entry_x if self.adjacent else self.track_x


@dataclass(eq=False)
class _Outcome:
    """A branch that ends the flow, drawn as an end box in the results column."""

    seq: int
    index: int
    source: _Node
    text: str
    condition: str | None
    track: int = 0
    track_x: float = 0
    port_y: float = 0
    lines: tuple[str, ...] = ()
    label_lines: tuple[str, ...] = ()
    label_w: float = 0
    label_h: float = 0
    x: float = 0
    y: float = 0
    height: float = 0
    label_y: float = 0


@dataclass
class _Layout:
    lanes: list[Lane]
    headers: list[Box]
    nodes: list[_Node]
    links: list[_Link]
    outcomes: list[_Outcome]
    results_header: Box | None
    results_x: float
    width: float
    height: float


def _assign_tracks(items: list[tuple[int, int, int]]) -> tuple[dict[int, int], int]:
    """Colour intervals (lo, hi, id), sorted by the caller, with the fewest tracks."""
    tracks: list[list[tuple[int, int]]] = []
    result: dict[int, int] = {}
    for lo, hi, ident in items:
        for t, used in enumerate(tracks):
            if all(hi < a or lo > b for a, b in used):
                used.append((lo, hi))
                result[ident] = t
                break
        else:
            tracks.append([(lo, hi)])
            result[ident] = len(tracks) - 1
    return result, len(tracks)


def _step_lines(step: dict[str, Any], inner: float) -> tuple[TextLine, ...]:
    lines = [TextLine(t, NAME_FS, True) for t in wrap_text(_step_name(step), inner, NAME_FS)]
    limit = time_limit_text(step.get("time_limit"))
    if limit:
        lines += [TextLine(t, SMALL_FS) for t in wrap_text(f"时限：{limit}", inner, SMALL_FS)]
    return tuple(lines)


def _lines_height(lines: tuple[TextLine, ...]) -> float:
    return sum(NAME_LH if ln.size == NAME_FS else SMALL_LH for ln in lines)


def _layout(steps: list[dict[str, Any]]) -> _Layout:
    # lanes and nodes
    lane_names: list[str] = []
    for step in steps:
        if _unit(step) not in lane_names:
            lane_names.append(_unit(step))
    n_lanes = len(lane_names)
    nodes: list[_Node] = []
    index: dict[str, _Node] = {}
    for i, step in enumerate(steps):
        node = _Node(
            f"step-{i}", "step", i, lane_names.index(_unit(step)), str(step.get("id", "")), ()
        )
        nodes.append(node)
        index.setdefault(node.step_id or "", node)

    # edges
    links: list[_Link] = []
    outcomes: list[_Outcome] = []
    seq = 0
    terminal: list[_Node] = []
    for node, step in zip(nodes, steps, strict=True):
        nxt = step.get("next")
        branches = step.get("branches")
        branches = (
            [b for b in branches if isinstance(b, dict)] if isinstance(branches, list) else []
        )
        if isinstance(nxt, str) and nxt in index:
            links.append(_Link(seq, "next", node, index[nxt], None))
            seq += 1
        for branch in branches:
            to, label, outcome = (
                branch.get("to"),
                _str(branch.get("label")),
                _str(branch.get("outcome")),
            )
            if isinstance(to, str):
                if to in index:
                    links.append(_Link(seq, "branch", node, index[to], label))
            elif outcome or label:
                text = outcome or label or ""
                cond = label if outcome else None
                outcomes.append(_Outcome(seq, len(node.outcomes), node, text, cond))
                node.outcomes.append(outcomes[-1])
            seq += 1
        if "next" not in step and not branches:
            terminal.append(node)
    rows = len(nodes)
    if terminal:
        end = _Node(
            "end", "end", rows, terminal[-1].lane, None, (TextLine(END_TEXT, NAME_FS, True),)
        )
        nodes.append(end)
        rows += 1
        for node in terminal:
            links.append(_Link(seq, "end", node, end, None))
            seq += 1
    for link in links:
        link.source.exits.append(link)
        link.target.entries.append(link)

    # channels: channel c runs left of lane c; channel n_lanes right of the last lane
    for link in links:
        if link.adjacent:
            continue
        a, b = link.source.lane, link.target.lane
        if a < b:
            link.channel = b
        elif a > b:
            link.channel = b + 1
        else:
            link.channel = a if link.back else a + 1
    # tracks: intervals in slots (gap k = 2k, row k = 2k + 1)
    per_channel: dict[int, list[tuple[int, int, int]]] = {c: [] for c in range(n_lanes + 1)}
    for i, link in enumerate(links):
        if link.channel is not None:
            out, into = 2 * (link.source.row + 1), 2 * link.target.row
            per_channel[link.channel].append((min(out, into), max(out, into), i))
    for o in outcomes:  # later (upper) outcomes of a step take outer tracks
        per_channel[n_lanes].append((2 * o.source.row + 1, 2 * o.source.row + 1, -1 - o.seq))
    channel_tracks: dict[int, dict[int, int]] = {}
    channel_width: list[int] = []
    for c in range(n_lanes + 1):
        items = sorted(per_channel[c])
        assigned, count = _assign_tracks(items)
        channel_tracks[c] = assigned
        clear = 2 * CLEAR + (TRACK if c == n_lanes else 0)  # arrows into the outcomes need room
        channel_width.append(max(MIN_CHANNEL, count * TRACK + clear))
    track_count = {c: len(set(channel_tracks[c].values())) for c in channel_tracks}

    # x geometry
    box_w: list[int] = []
    for lane in range(n_lanes):
        ports = max(
            [max(len(n.exits), len(n.entries)) for n in nodes if n.lane == lane],
            default=1,
        )
        box_w.append(max(BOX_W, _even((ports + 1) * PORT_SPACING)))
    lanes: list[Lane] = []
    x = channel_width[0] / 2
    for lane, name in enumerate(lane_names):
        width = channel_width[lane] / 2 + box_w[lane] + channel_width[lane + 1] / 2
        lanes.append(Lane(lane, name, x, width))
        x += width
    boundary = [ln.x for ln in lanes] + [x]

    def track_x(channel: int, track: int) -> float:
        # never on the boundary itself, where the dashed lane separator runs
        shift = TRACK / 2 if track_count[channel] % 2 else 0
        return boundary[channel] + (track - (track_count[channel] - 1) / 2) * TRACK + shift

    for i, link in enumerate(links):
        if link.channel is not None:
            link.track = channel_tracks[link.channel][i]
            link.track_x = track_x(link.channel, link.track)
    for o in outcomes:
        o.track = channel_tracks[n_lanes][-1 - o.seq]
        o.track_x = track_x(n_lanes, o.track)
    results_x = x + channel_width[n_lanes] / 2
    width = results_x + RESULT_W + MARGIN if outcomes else results_x

    for node in nodes:
        inner = channel_width[node.lane] / 2
        if node.kind == "step":
            node.width = box_w[node.lane]
            node.lines = _step_lines(steps[node.row], node.width - 2 * BOX_PAD)
            node.height = max(40.0, _lines_height(node.lines) + 2 * BOX_PAD)
        else:
            node.width = max(END_W, _even((len(node.entries) + 1) * PORT_SPACING))
            node.height = END_H
        node.x = lanes[node.lane].x + inner + _half((box_w[node.lane] - node.width) / 2)

    # ports: exits on the bottom, entries on the top, ordered to limit crossings
    for node in nodes:
        approach = {
            id(lk): (lk.source.cx if lk.adjacent else lk.track_x, lk.source.row, lk.seq)
            for lk in node.entries
        }
        for i, lk in enumerate(sorted(node.entries, key=lambda lk: approach[id(lk)])):
            lk.entry_x = node.x + _half(node.width * (i + 1) / (len(node.entries) + 1))
    for node in nodes:
        dest = {
            id(lk): (lk.target.cx if lk.adjacent else lk.track_x, lk.target.row, lk.seq)
            for lk in node.exits
        }
        for i, lk in enumerate(sorted(node.exits, key=lambda lk: dest[id(lk)])):
            lk.port_x = node.x + _half(node.width * (i + 1) / (len(node.exits) + 1))
    for lk in links:  # line up a lone edge with its target when both can
        if lk.adjacent and len(lk.source.exits) == 1 and len(lk.target.entries) == 1:
            lo = max(lk.source.x, lk.target.x) + 4
            hi = min(lk.source.x + lk.source.width, lk.target.x + lk.target.width) - 4
            if lo <= hi:
                mid = lk.source.cx if lo <= lk.source.cx <= hi else lk.target.cx
                if lo <= mid <= hi:
                    lk.port_x = lk.entry_x = mid

    # turn order below each node and the labels' room
    orders: dict[int, list[_Link]] = {}
    for node in nodes:
        turning = [lk for lk in node.exits if not lk.straight]
        right = sorted([lk for lk in turning if lk.dest_x > lk.port_x], key=lambda lk: -lk.port_x)
        left = sorted([lk for lk in turning if lk.dest_x < lk.port_x], key=lambda lk: lk.port_x)
        order: list[_Link] = []
        while right or left:
            if right and (not left or right[0].port_x - node.cx >= node.cx - left[0].port_x):
                order.append(right.pop(0))
            else:
                order.append(left.pop(0))
        order += sorted([lk for lk in node.exits if lk.straight], key=lambda lk: lk.port_x)
        orders[node.row] = order
        for i, lk in enumerate(order):
            if not lk.text:
                continue
            lines_below = [o.port_x for o in order[i + 1 :]] + [
                o.port_x if o.straight else o.dest_x for o in order[:i]
            ]
            lo, hi = node.x + 2, node.x + node.width - 2
            for ox in lines_below:
                if ox < lk.port_x:
                    lo = max(lo, ox + LABEL_CLEAR)
                elif ox > lk.port_x:
                    hi = min(hi, ox - LABEL_CLEAR)
            room = min(LABEL_MAX_W, hi - lo)
            wrapped = wrap_text(lk.text, room - 2 * LABEL_PAD, SMALL_FS)
            w = _even(max(text_width(t, SMALL_FS) for t in wrapped) + 2 * LABEL_PAD)
            lk.label_lines = tuple(wrapped)
            lk.label_w = w
            lk.label_h = len(wrapped) * SMALL_LH + 2
            lk.label_x = _half(min(max(lk.port_x - w / 2, lo), hi - w))

    for o in outcomes:
        o.lines = tuple(wrap_text(o.text, RESULT_W - 2 * RESULT_PAD, SMALL_FS))
        o.height = len(o.lines) * SMALL_LH + 14
        o.x = results_x
        if o.condition:
            o.label_lines = tuple(wrap_text(o.condition, RESULT_W - 2 * LABEL_PAD, SMALL_FS))
            o.label_w = _even(max(text_width(t, SMALL_FS) for t in o.label_lines) + 2 * LABEL_PAD)
            o.label_h = len(o.label_lines) * SMALL_LH + 2

    # y geometry: headers, then gap 0, row 0, gap 1, ..., row R-1, gap R
    header_lines = [
        tuple(TextLine(t, HEADER_FS, True) for t in wrap_text(ln.name, ln.width - 12, HEADER_FS))
        for ln in lanes
    ]
    header_h = max(36.0, max(len(h) for h in header_lines) * HEADER_LH + 14)
    headers = [
        Box(
            f"lane-{ln.index}",
            "header",
            ln.x,
            0,
            ln.width,
            header_h,
            header_lines[ln.index],
            lane=ln.index,
        )
        for ln in lanes
    ]
    results_header = (
        Box(
            "results",
            "results-header",
            results_x,
            0,
            RESULT_W,
            header_h,
            (TextLine(RESULTS_HEADER, HEADER_FS, True),),
        )
        if outcomes
        else None
    )
    by_row = {n.row: n for n in nodes}
    y = header_h
    for k in range(rows + 1):
        above, below = by_row.get(k - 1), by_row.get(k)
        plan: list[tuple[str, _Link]] = []
        for lk in orders[above.row] if above else []:
            if lk.label_lines:
                plan.append(("label", lk))
            if not lk.straight:
                plan.append(("exit", lk))
        if below:
            routed = [lk for lk in below.entries if not lk.adjacent]
            routed.sort(key=lambda lk: (abs(lk.track_x - lk.entry_x), lk.seq))
            plan += [("entry", lk) for lk in routed]
        rel: dict[tuple[str, int], float] = {}
        cursor = 0.0
        prev: str | None = None
        for kind, lk in plan:
            if prev is not None:
                cursor += TRACK if prev != "label" and kind != "label" else LABEL_CLEAR
            rel[(kind, lk.seq)] = cursor
            if kind == "label":
                cursor += lk.label_h
            prev = "label" if kind == "label" else "track"
        extent = cursor
        if above and below:
            gap = max(float(MIN_GAP), extent + 2 * ARROW_ROOM)
        elif plan:
            gap = extent + 2 * ARROW_ROOM
        else:
            gap = 16.0 if below else float(MARGIN)
        offset = y + _half((gap - extent) / 2)
        for kind, lk in plan:
            if kind == "label":
                lk.label_y = offset + rel[(kind, lk.seq)]
            elif kind == "exit":
                lk.exit_y = offset + rel[(kind, lk.seq)]
            else:
                lk.entry_y = offset + rel[(kind, lk.seq)]
        y += gap
        if below is None:
            continue
        below.y = y
        stack = y
        for o in below.outcomes:
            if o.label_lines:
                o.label_y = stack
                stack += o.label_h + 2
            o.y = stack
            stack += o.height + OUTCOME_GAP
        m = len(below.outcomes)
        if m:  # centre the step on its outcomes, so the arrows run straight where they can
            first, last = below.outcomes[0], below.outcomes[-1]
            middle = (first.y + first.height / 2 + last.y + last.height / 2) / 2
            if last.y + last.height - first.y > 2 * below.height:  # a tall stack: face the first
                middle = first.y + first.height / 2
            below.y = max(y, _half(middle - below.height / 2))
        for o in below.outcomes:
            lo = below.y + 6 + TRACK * o.index
            hi = below.y + below.height - 6 - TRACK * (m - 1 - o.index)
            if lo <= hi:
                o.port_y = min(max(o.y + _half(o.height / 2), lo), hi)
            else:
                o.port_y = below.y + _half(below.height * (o.index + 1) / (m + 1))
        band = max(below.y + below.height, stack - OUTCOME_GAP if below.outcomes else y) - y
        y += band
    height = y
    return _Layout(lanes, headers, nodes, links, outcomes, results_header, results_x, width, height)


def _simplify(points: list[tuple[float, float]]) -> tuple[tuple[float, float], ...]:
    """Drop repeated points and the middle of three collinear ones."""
    out: list[tuple[float, float]] = []
    for p in points:
        if out and out[-1] == p:
            continue
        if len(out) >= 2:
            (x0, y0), (x1, y1) = out[-2], out[-1]
            if (x0 == x1 == p[0]) or (y0 == y1 == p[1]):
                out[-1] = p
                continue
        out.append(p)
    return tuple(out)


def _geometry(lay: _Layout) -> tuple[list[Box], list[Edge]]:
    boxes: list[Box] = list(lay.headers)
    if lay.results_header:
        boxes.append(lay.results_header)
    for node in lay.nodes:
        boxes.append(
            Box(
                node.key,
                node.kind,
                node.x,
                node.y,
                node.width,
                node.height,
                node.lines,
                node.step_id,
                node.lane,
            )
        )
    edges: list[Edge] = []
    for lk in sorted(lay.links, key=lambda lk: lk.seq):
        s, t = lk.source, lk.target
        start = (lk.port_x, s.y + s.height)
        if lk.straight:
            pts = [start, (lk.entry_x, t.y)]
        elif lk.adjacent:
            pts = [start, (lk.port_x, lk.exit_y), (lk.entry_x, lk.exit_y), (lk.entry_x, t.y)]
        else:
            pts = [
                start,
                (lk.port_x, lk.exit_y),
                (lk.track_x, lk.exit_y),
                (lk.track_x, lk.entry_y),
                (lk.entry_x, lk.entry_y),
                (lk.entry_x, t.y),
            ]
        label = (
            Label(lk.label_x, lk.label_y, lk.label_w, lk.label_h, lk.label_lines)
            if lk.label_lines
            else None
        )
        edges.append(Edge(s.key, t.key, lk.kind, _simplify(pts), label, lk.back))
    for o in lay.outcomes:
        s = o.source
        key = f"{s.key}-outcome-{o.index}"
        lines = tuple(TextLine(t, SMALL_FS) for t in o.lines)
        boxes.append(Box(key, "outcome", o.x, o.y, RESULT_W, o.height, lines))
        ty = o.y + _half(o.height / 2)
        pts = [(s.x + s.width, o.port_y), (o.track_x, o.port_y), (o.track_x, ty), (o.x, ty)]
        label = (
            Label(o.x, o.label_y, o.label_w, o.label_h, o.label_lines) if o.label_lines else None
        )
        edges.append(Edge(s.key, key, "outcome", _simplify(pts), label, False))
    return boxes, edges


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


def _draw(lay: _Layout, boxes: Sequence[Box], edges: Sequence[Edge]) -> _Drawing:
    """Serialise the parts of a layout's SVG that do not depend on the chart's id or title."""
    return _Drawing(
        _n(lay.width),
        _n(lay.height),
        _lanes_and_headers(lay, boxes),
        _edges_and_boxes(boxes, edges),
    )


def _lanes_and_headers(lay: _Layout, boxes: Sequence[Box]) -> str:
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
) -> tuple[_Layout, tuple[Box, ...], tuple[Edge, ...], str, _Drawing]:
    steps = json.loads(steps_json)
    lay = _layout(steps)
    boxes, edges = _geometry(lay)
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
