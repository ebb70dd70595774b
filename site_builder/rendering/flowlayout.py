"""Place a flow's grid: every box and every turn of every edge, in exact coordinates.

Edges are orthogonal and are routed so that they never cross a box:

- an edge leaves its step at the bottom and enters its target at the top; an edge
  to the next row turns once in the gap between the two rows;
- any other edge (skipping rows, going back up, a step pointing at itself) turns
  into a *channel*, the strip between two lanes that holds no box, runs up or
  down there on its own track and turns into the gap above its target;
- an outcome sits in the results column in the row of its step, with the branch
  condition above it.

Branch labels sit on the first leg of their edge, below the step, each on its own
band with a white background, where no other line passes. Every coordinate is a
multiple of 0.5 px, so the geometry is exact and the output is the same bytes for
the same input. ``layout`` runs the phases in order: channels and tracks, across
(lanes, tracks, boxes), ports, turns and labels, headers, then down (gap, row, gap …).
"""

from __future__ import annotations

from typing import Any

from site_builder.rendering.flowgrid import (
    RESULT_W,
    Box,
    Lane,
    Layout,
    Link,
    Node,
    Outcome,
    even,
    grid,
    half,
)
from site_builder.rendering.flowtext import (
    HEADER_FS,
    HEADER_LH,
    NAME_FS,
    NAME_LH,
    SMALL_FS,
    SMALL_LH,
    TextLine,
    step_name,
    text_width,
    time_limit_text,
    wrap_text,
)

RESULTS_HEADER = "办理结果"

BOX_W = 152  # step box width; a lane is this plus half a channel on each side
BOX_PAD = 8
TRACK = 8  # distance between parallel lines
CLEAR = 8  # distance between a channel track and a box
MIN_CHANNEL = 48
PORT_SPACING = 24  # minimum distance between two edges leaving or entering a box
RESULT_PAD = 10
END_W, END_H = 72, 32
MARGIN = 12
MIN_GAP = 32
ARROW_ROOM = 12  # shortest last leg, so the arrowhead shows
LABEL_MAX_W = 140
LABEL_PAD = 3
LABEL_CLEAR = 6  # distance between a label and a line that passes beside it
OUTCOME_GAP = 10


def layout(steps: list[dict[str, Any]]) -> Layout:
    """Lay ``steps`` out on the grid, phase by phase: each places what the next one needs."""
    lane_names, nodes, links, outcomes = grid(steps)
    rows = len(nodes)
    channel_tracks, channel_width = _channels(links, outcomes, len(lane_names))
    lanes, results_x = _x_geometry(
        steps, lane_names, nodes, links, outcomes, channel_tracks, channel_width
    )
    width = results_x + RESULT_W + MARGIN if outcomes else results_x
    _ports(nodes, links)
    orders = _turns_and_labels(nodes)
    _outcome_texts(outcomes, results_x)
    headers, results_header, header_h = _headers(lanes, outcomes, results_x)
    height = _y_geometry(nodes, orders, rows, header_h)
    return Layout(lanes, headers, nodes, links, outcomes, results_header, results_x, width, height)


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
    lines = [TextLine(t, NAME_FS, True) for t in wrap_text(step_name(step), inner, NAME_FS)]
    limit = time_limit_text(step.get("time_limit"))
    if limit:
        lines += [TextLine(t, SMALL_FS) for t in wrap_text(f"时限：{limit}", inner, SMALL_FS)]
    return tuple(lines)


def _lines_height(lines: tuple[TextLine, ...]) -> float:
    return sum(NAME_LH if ln.size == NAME_FS else SMALL_LH for ln in lines)


def _channels(
    links: list[Link], outcomes: list[Outcome], n_lanes: int
) -> tuple[dict[int, dict[int, int]], list[int]]:
    """Put every edge that is not to the next row into a channel, on a track of its own
    where it overlaps another; return each channel's tracks (by edge) and its width."""
    # channel c runs left of lane c; channel n_lanes right of the last lane
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
    return channel_tracks, channel_width


def _x_geometry(
    steps: list[dict[str, Any]],
    lane_names: list[str],
    nodes: list[Node],
    links: list[Link],
    outcomes: list[Outcome],
    channel_tracks: dict[int, dict[int, int]],
    channel_width: list[int],
) -> tuple[list[Lane], float]:
    """Place the lanes, the channels' tracks and the boxes across; return the lanes and
    the left of the results column."""
    n_lanes = len(lane_names)
    track_count = {c: len(set(channel_tracks[c].values())) for c in channel_tracks}
    box_w: list[int] = []
    for lane in range(n_lanes):
        ports = max(
            [max(len(n.exits), len(n.entries)) for n in nodes if n.lane == lane],
            default=1,
        )
        box_w.append(max(BOX_W, even((ports + 1) * PORT_SPACING)))
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
    for node in nodes:
        inner = channel_width[node.lane] / 2
        if node.kind == "step":
            node.width = box_w[node.lane]
            node.lines = _step_lines(steps[node.row], node.width - 2 * BOX_PAD)
            node.height = max(40.0, _lines_height(node.lines) + 2 * BOX_PAD)
        else:
            node.width = max(END_W, even((len(node.entries) + 1) * PORT_SPACING))
            node.height = END_H
        node.x = lanes[node.lane].x + inner + half((box_w[node.lane] - node.width) / 2)
    return lanes, x + channel_width[n_lanes] / 2


def _ports(nodes: list[Node], links: list[Link]) -> None:
    """Exits on the bottom of a box, entries on the top, ordered to limit crossings."""
    for node in nodes:
        approach = {
            id(lk): (lk.source.cx if lk.adjacent else lk.track_x, lk.source.row, lk.seq)
            for lk in node.entries
        }
        for i, lk in enumerate(sorted(node.entries, key=lambda lk: approach[id(lk)])):
            lk.entry_x = node.x + half(node.width * (i + 1) / (len(node.entries) + 1))
    for node in nodes:
        dest = {
            id(lk): (lk.target.cx if lk.adjacent else lk.track_x, lk.target.row, lk.seq)
            for lk in node.exits
        }
        for i, lk in enumerate(sorted(node.exits, key=lambda lk: dest[id(lk)])):
            lk.port_x = node.x + half(node.width * (i + 1) / (len(node.exits) + 1))
    for lk in links:  # line up a lone edge with its target when both can
        if lk.adjacent and len(lk.source.exits) == 1 and len(lk.target.entries) == 1:
            lo = max(lk.source.x, lk.target.x) + 4
            hi = min(lk.source.x + lk.source.width, lk.target.x + lk.target.width) - 4
            if lo <= hi:
                mid = lk.source.cx if lo <= lk.source.cx <= hi else lk.target.cx
                if lo <= mid <= hi:
                    lk.port_x = lk.entry_x = mid


def _turns_and_labels(nodes: list[Node]) -> dict[int, list[Link]]:
    """The order in which the edges below each node turn (by row), and the room and
    place of each edge's label between the lines that pass beside it."""
    orders: dict[int, list[Link]] = {}
    for node in nodes:
        turning = [lk for lk in node.exits if not lk.straight]
        right = sorted([lk for lk in turning if lk.dest_x > lk.port_x], key=lambda lk: -lk.port_x)
        left = sorted([lk for lk in turning if lk.dest_x < lk.port_x], key=lambda lk: lk.port_x)
        order: list[Link] = []
        while right or left:
            if right and (not left or right[0].port_x - node.cx >= node.cx - left[0].port_x):
                order.append(right.pop(0))
            else:
                order.append(left.pop(0))
        order += sorted([lk for lk in node.exits if lk.straight], key=lambda lk: lk.port_x)
        orders[node.row] = order
        for i, lk in enumerate(order):
            if lk.text:
                _place_label(node, lk, order[i + 1 :], order[:i])
    return orders


def _place_label(node: Node, lk: Link, later: list[Link], earlier: list[Link]) -> None:
    """Wrap and place ``lk``'s label below ``node``, clear of the lines of the edges that
    turn after it (``later``) and before it (``earlier``)."""
    lines_below = [o.port_x for o in later] + [
        o.port_x if o.straight else o.dest_x for o in earlier
    ]
    lo, hi = node.x + 2, node.x + node.width - 2
    for ox in lines_below:
        if ox < lk.port_x:
            lo = max(lo, ox + LABEL_CLEAR)
        elif ox > lk.port_x:
            hi = min(hi, ox - LABEL_CLEAR)
    room = min(LABEL_MAX_W, hi - lo)
    wrapped = wrap_text(lk.text or "", room - 2 * LABEL_PAD, SMALL_FS)
    w = even(max(text_width(t, SMALL_FS) for t in wrapped) + 2 * LABEL_PAD)
    lk.label_lines = tuple(wrapped)
    lk.label_w = w
    lk.label_h = len(wrapped) * SMALL_LH + 2
    lk.label_x = half(min(max(lk.port_x - w / 2, lo), hi - w))


def _outcome_texts(outcomes: list[Outcome], results_x: float) -> None:
    """Wrap the outcomes and their conditions into the results column."""
    for o in outcomes:
        o.lines = tuple(wrap_text(o.text, RESULT_W - 2 * RESULT_PAD, SMALL_FS))
        o.height = len(o.lines) * SMALL_LH + 14
        o.x = results_x
        if o.condition:
            o.label_lines = tuple(wrap_text(o.condition, RESULT_W - 2 * LABEL_PAD, SMALL_FS))
            o.label_w = even(max(text_width(t, SMALL_FS) for t in o.label_lines) + 2 * LABEL_PAD)
            o.label_h = len(o.label_lines) * SMALL_LH + 2


def _headers(
    lanes: list[Lane], outcomes: list[Outcome], results_x: float
) -> tuple[list[Box], Box | None, float]:
    """The lanes' headers, all of the height of the tallest, the results column's, and
    their height."""
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
    return headers, results_header, header_h


def _y_geometry(
    nodes: list[Node], orders: dict[int, list[Link]], rows: int, header_h: float
) -> float:
    """Place everything down: below the headers gap 0, row 0, gap 1, …, row R-1, gap R;
    return the chart's height."""
    by_row = {n.row: n for n in nodes}
    y = header_h
    for k in range(rows + 1):
        above, below = by_row.get(k - 1), by_row.get(k)
        y += _gap(above, below, orders, y)
        if below is not None:
            y += _row(below, y)
    return y


def _gap(above: Node | None, below: Node | None, orders: dict[int, list[Link]], y: float) -> float:
    """Place the labels and the turns of the edges in the gap at ``y`` between two rows
    (either may be none: above the first, below the last); return the gap's height."""
    plan: list[tuple[str, Link]] = []
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
    offset = y + half((gap - extent) / 2)
    for kind, lk in plan:
        if kind == "label":
            lk.label_y = offset + rel[(kind, lk.seq)]
        elif kind == "exit":
            lk.exit_y = offset + rel[(kind, lk.seq)]
        else:
            lk.entry_y = offset + rel[(kind, lk.seq)]
    return gap


def _row(node: Node, y: float) -> float:
    """Place a row's step at ``y`` with its outcomes beside it; return the row's height."""
    node.y = y
    stack = y
    for o in node.outcomes:
        if o.label_lines:
            o.label_y = stack
            stack += o.label_h + 2
        o.y = stack
        stack += o.height + OUTCOME_GAP
    m = len(node.outcomes)
    if m:  # centre the step on its outcomes, so the arrows run straight where they can
        first, last = node.outcomes[0], node.outcomes[-1]
        middle = (first.y + first.height / 2 + last.y + last.height / 2) / 2
        if last.y + last.height - first.y > 2 * node.height:  # a tall stack: face the first
            middle = first.y + first.height / 2
        node.y = max(y, half(middle - node.height / 2))
    for o in node.outcomes:
        lo = node.y + 6 + TRACK * o.index
        hi = node.y + node.height - 6 - TRACK * (m - 1 - o.index)
        if lo <= hi:
            o.port_y = min(max(o.y + half(o.height / 2), lo), hi)
        else:
            o.port_y = node.y + half(node.height * (o.index + 1) / (m + 1))
    return max(node.y + node.height, stack - OUTCOME_GAP if node.outcomes else y) - y
