"""The grid a flow is laid out on, read from its steps, and the shapes it ends as.

One lane (column) per handling unit in order of first appearance, one row per step in
the order of the procedure: ``grid`` reads the steps into nodes, the links between them
(``next`` and branches to a step) and the outcomes that end the flow (a branch with
``outcome`` and no ``to``, drawn in a results column on the right); a step with neither
``next`` nor branches leads to one final 结束 node below the last row. flowlayout.py
places all of it; ``shapes`` turns the placed grid into the public boxes and polylines
that flowchart.py draws and the tests check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

from site_builder.rendering.flowtext import NAME_FS, SMALL_FS, TextLine, text_of, unit_of
from site_builder.rendering.geometry import Extent

BoxKind = Literal["header", "results-header", "step", "outcome", "end"]
EdgeKind = Literal["next", "branch", "outcome", "end"]

END_TEXT = "结束"
RESULT_W = 168  # the width of the results column and its boxes


# ---------------------------------------------------------------- public geometry


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


# ---------------------------------------------------------------- the grid


def half(value: float) -> float:
    """Round down to a multiple of 0.5, so sums stay exact."""
    return math.floor(value * 2) / 2


def even(value: float) -> int:
    """Round up to an even number, so halves of it stay whole."""
    return int(math.ceil(value / 2) * 2)


@dataclass(eq=False)
class Node:
    """A step, or the end, in its lane and row: its box once placed, and its edges."""

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
    exits: list[Link] = field(default_factory=list)
    entries: list[Link] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def cx(self) -> float:
        return self.x + self.width / 2


@dataclass(eq=False)
class Link:
    """An edge between two nodes (steps or the end)."""

    seq: int
    kind: EdgeKind
    source: Node
    target: Node
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
class Outcome:
    """A branch that ends the flow, drawn as an end box in the results column."""

    seq: int
    index: int
    source: Node
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
class Layout:
    """A flow laid out: its lanes, headers, placed nodes, routed edges and outcomes, and size."""

    lanes: list[Lane]
    headers: list[Box]
    nodes: list[Node]
    links: list[Link]
    outcomes: list[Outcome]
    results_header: Box | None
    results_x: float
    width: float
    height: float


def grid(
    steps: list[dict[str, Any]],
) -> tuple[list[str], list[Node], list[Link], list[Outcome]]:
    """The lanes' names, the nodes (by row, the end last), the links and the outcomes of
    ``steps``, not yet placed."""
    lane_names, nodes, index = _lanes_and_nodes(steps)
    links, outcomes = _edges(steps, nodes, index)
    return lane_names, nodes, links, outcomes


def _lanes_and_nodes(
    steps: list[dict[str, Any]],
) -> tuple[list[str], list[Node], dict[str, Node]]:
    """One lane per handling unit, in order of first appearance; one node per step, by row."""
    lane_names: list[str] = []
    for step in steps:
        if unit_of(step) not in lane_names:
            lane_names.append(unit_of(step))
    nodes: list[Node] = []
    index: dict[str, Node] = {}
    for i, step in enumerate(steps):
        node = Node(
            f"step-{i}", "step", i, lane_names.index(unit_of(step)), str(step.get("id", "")), ()
        )
        nodes.append(node)
        index.setdefault(node.step_id or "", node)
    return lane_names, nodes, index


def _edges(
    steps: list[dict[str, Any]], nodes: list[Node], index: dict[str, Node]
) -> tuple[list[Link], list[Outcome]]:
    """The edges between steps, the outcomes that end the flow, and the end node (added to
    ``nodes``, below the last row) for the steps that lead nowhere."""
    links: list[Link] = []
    outcomes: list[Outcome] = []
    seq = 0
    terminal: list[Node] = []
    for node, step in zip(nodes, steps, strict=True):
        nxt = step.get("next")
        branches = step.get("branches")
        branches = (
            [b for b in branches if isinstance(b, dict)] if isinstance(branches, list) else []
        )
        if isinstance(nxt, str) and nxt in index:
            links.append(Link(seq, "next", node, index[nxt], None))
            seq += 1
        for branch in branches:
            to, label, outcome = (
                branch.get("to"),
                text_of(branch.get("label")),
                text_of(branch.get("outcome")),
            )
            if isinstance(to, str):
                if to in index:
                    links.append(Link(seq, "branch", node, index[to], label))
            elif outcome or label:
                text = outcome or label or ""
                cond = label if outcome else None
                outcomes.append(Outcome(seq, len(node.outcomes), node, text, cond))
                node.outcomes.append(outcomes[-1])
            seq += 1
        if "next" not in step and not branches:
            terminal.append(node)
    if terminal:
        end_line = (TextLine(END_TEXT, NAME_FS, True),)
        end = Node("end", "end", len(nodes), terminal[-1].lane, None, end_line)
        nodes.append(end)
        for node in terminal:
            links.append(Link(seq, "end", node, end, None))
            seq += 1
    for link in links:
        link.source.exits.append(link)
        link.target.entries.append(link)
    return links, outcomes


# ---------------------------------------------------------------- boxes and polylines


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


def shapes(lay: Layout) -> tuple[list[Box], list[Edge]]:
    """The boxes and polylines of a layout, as drawn and as the tests check them."""
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
        ty = o.y + half(o.height / 2)
        pts = [(s.x + s.width, o.port_y), (o.track_x, o.port_y), (o.track_x, ty), (o.x, ty)]
        label = (
            Label(o.x, o.label_y, o.label_w, o.label_h, o.label_lines) if o.label_lines else None
        )
        edges.append(Edge(s.key, key, "outcome", _simplify(pts), label, False))
    return boxes, edges
