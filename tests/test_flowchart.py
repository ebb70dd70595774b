"""The flowchart: geometry checked on every sample flow and on hard synthetic flows, then the SVG."""

from __future__ import annotations

import copy
import random
import re
import xml.etree.ElementTree as ET
from itertools import combinations, pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.build import check_repository
from site_builder.reading.model import resolve_flow
from site_builder.rendering.flowchart import (
    Box,
    Flowchart,
    Label,
    describe,
    render_flowchart,
    text_width,
    time_limit_text,
    wrap_text,
)

PROJECT = Path(__file__).resolve().parent.parent
SVG = "{http://www.w3.org/2000/svg}"
EPS = 0.01

Steps = list[dict[str, Any]]
Rect = Box | Label


# ---------------------------------------------------------------- inputs


def sample_flows() -> dict[str, Steps]:
    ds = check_repository(PROJECT).dataset
    assert ds is not None
    return {pid: resolve_flow(p.data, ds.flows) for pid, p in sorted(ds.powers.items())}


SAMPLE = sample_flows()


def chain(n: int, units: list[str | None]) -> Steps:
    steps: Steps = []
    for i in range(n):
        step: dict[str, Any] = {"id": f"s{i}", "name": f"环节{i}"}
        if units[i % len(units)]:
            step["unit"] = units[i % len(units)]
        if i < n - 1:
            step["next"] = f"s{i + 1}"
        steps.append(step)
    return steps


LONG = "对依法应当经过批准而未经批准擅自从事GB/T 2260-2007规定的经营活动的单位和个人进行现场核查并制作笔录"

SYNTHETIC: dict[str, Steps] = {
    "one-step": [{"id": "only", "name": "即时办结", "unit": "窗口"}],
    "no-units": chain(4, [None]),
    "long-names": [
        {
            "id": "a",
            "name": LONG,
            "unit": "肇庆市生态环境局各县（市、区）分局行政审批服务科",
            "next": "b",
        },
        {
            "id": "b",
            "name": LONG + "并" + LONG,
            "unit": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            "time_limit": {
                "value": 1.5,
                "unit": "月",
                "note": "不含听证、检验、检测、鉴定和专家评审所需时间",
            },
            "branches": [
                {"label": LONG, "to": "c"},
                {"label": "超长条件" * 12, "outcome": LONG * 2},
                {"label": "x" * 80, "outcome": "y" * 90},
            ],
        },
        {"id": "c", "name": "送达" * 20, "unit": "窗口"},
    ],
    "fifteen-steps": chain(15, ["申请人", "窗口", "业务科室", "分管领导", "局长"]),
    "cycles": [
        {"id": "a", "name": "受理", "unit": "窗口", "next": "b"},
        {
            "id": "b",
            "name": "审查",
            "unit": "科室",
            "branches": [{"label": "退回补正", "to": "a"}, {"label": "通过", "to": "c"}],
        },
        {
            "id": "c",
            "name": "决定",
            "unit": "领导",
            "branches": [
                {"label": "重新审查", "to": "b"},
                {"label": "从头再来", "to": "a"},
                {"label": "同意", "to": "d"},
            ],
        },
        {"id": "d", "name": "送达", "unit": "窗口", "next": "a"},
    ],
    "branch-to-next": [
        {
            "id": "a",
            "name": "告知",
            "unit": "执法机构",
            "next": "b",
            "branches": [{"label": "要求听证", "to": "b"}],
        },
        {
            "id": "b",
            "name": "听证",
            "unit": "执法机构",
            "branches": [{"label": "听证结束", "to": "c"}],
        },
        {"id": "c", "name": "决定", "unit": "负责人"},
    ],
    "outcomes": [
        {
            "id": "a",
            "name": "核查",
            "unit": "申请人",
            "branches": [
                {"label": "材料齐全", "to": "b"},
                {"label": "材料不全", "outcome": "一次性告知补正"},
                {"label": "不属于本机关职权", "outcome": "不予受理"},
                {"label": "违法", "outcome": "移送执法机构"},
                {"label": "撤回申请", "outcome": "终止办理"},
            ],
        },
        {
            "id": "b",
            "name": "决定",
            "unit": "领导",
            "branches": [
                {"label": "同意", "outcome": "准予"},
                {"label": "不同意", "outcome": "不予准予并告知救济途径"},
            ],
        },
    ],
    "self-reference": [
        {
            "id": "a",
            "name": "循环",
            "unit": "窗口",
            "next": "a",
            "branches": [{"label": "再来", "to": "a"}],
        },
        {
            "id": "b",
            "name": "另一",
            "unit": "科室",
            "next": "missing",
            "branches": [{"label": "去向不明", "to": "nowhere"}],
        },
    ],
    "many-branches": [
        {
            "id": "a",
            "name": "分流",
            "unit": "窗口",
            "branches": [
                {"label": f"情形{i}：需要转入第{i}个环节办理", "to": f"t{i}"} for i in range(6)
            ],
        },
        *[
            {"id": f"t{i}", "name": f"去向{i}", "unit": ["窗口", "科室", "领导"][i % 3]}
            for i in range(6)
        ],
    ],
    "escaping": [
        {"id": "a", "name": "A&B <审查> \"引号\" '单引号'", "unit": "科室&<窗口>", "next": "b"},
        {
            "id": "b",
            "name": "决定",
            "branches": [{"label": "x < y & z", "outcome": "结果 <b>&amp;</b>"}],
        },
    ],
    "duplicates-and-odd-branches": [
        {"id": "a", "name": "甲", "next": "b"},
        {"id": "a", "name": "甲（重复）", "next": "b"},
        {
            "id": "b",
            "name": "乙",
            "branches": [
                {"label": "只有条件"},
                {"label": "既有去向又有结果", "to": "a", "outcome": "忽略"},
            ],
        },
    ],
}


def random_flows(count: int, seed: int) -> dict[str, Steps]:
    rng = random.Random(seed)
    units = ["申请人", "综合受理窗口", "业务科室", "分管领导", "局长办公会议", None]
    flows: dict[str, Steps] = {}
    for k in range(count):
        n = rng.randint(1, 12)
        ids = [f"r{i}" for i in range(n)]
        steps: Steps = []
        for i in range(n):
            step: dict[str, Any] = {"id": ids[i], "name": "环节" * rng.randint(1, 6)}
            unit = rng.choice(units[: rng.randint(1, len(units))])
            if unit:
                step["unit"] = unit
            if rng.random() < 0.3:
                step["time_limit"] = {"value": rng.choice([0, 5, 20, 1.5]), "unit": "工作日"}
            if rng.random() < 0.7:
                step["next"] = rng.choice(ids)
            if rng.random() < 0.5:
                branches = []
                for j in range(rng.randint(1, 4)):
                    label = "条件" * rng.randint(1, 8) + str(j)
                    if rng.random() < 0.5:
                        branches.append({"label": label, "to": rng.choice(ids)})
                    else:
                        branches.append({"label": label, "outcome": "结果" * rng.randint(1, 15)})
                step["branches"] = branches
            steps.append(step)
        flows[f"random-{k}"] = steps
    return flows


ALL: dict[str, Steps] = {**SAMPLE, **SYNTHETIC, **random_flows(120, 20240601)}


def render(name: str, steps: Steps) -> Flowchart:
    fc = render_flowchart(steps, chart_id=f"fc-{name}", title=f"{name}运行流程图")
    assert fc is not None
    return fc


# ---------------------------------------------------------------- geometry helpers


def overlaps(a: Rect, b: Rect) -> bool:
    """True when the two rectangles share area (touching borders is fine)."""
    return (
        a.x < b.right - EPS
        and b.x < a.right - EPS
        and a.y < b.bottom - EPS
        and b.y < a.bottom - EPS
    )


def on_border(point: tuple[float, float], box: Box) -> bool:
    x, y = point
    inside_x = box.x - EPS <= x <= box.right + EPS
    inside_y = box.y - EPS <= y <= box.bottom + EPS
    on_h = inside_x and (abs(y - box.y) < EPS or abs(y - box.bottom) < EPS)
    on_v = inside_y and (abs(x - box.x) < EPS or abs(x - box.right) < EPS)
    return on_h or on_v


def crosses(p: tuple[float, float], q: tuple[float, float], r: Rect) -> bool:
    """True when the axis-parallel segment pq runs through the inside of r."""
    (x0, y0), (x1, y1) = p, q
    if abs(y0 - y1) < EPS:
        return (
            r.y + EPS < y0 < r.bottom - EPS
            and max(min(x0, x1), r.x) < min(max(x0, x1), r.right) - EPS
        )
    return (
        r.x + EPS < x0 < r.right - EPS and max(min(y0, y1), r.y) < min(max(y0, y1), r.bottom) - EPS
    )


def segments(
    points: tuple[tuple[float, float], ...],
) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    return list(pairwise(points))


def expected_edges(steps: Steps) -> int:
    ids = {s["id"] for s in steps}
    count = 0
    for s in steps:
        count += s.get("next") in ids
        for b in s.get("branches", []):
            count += b["to"] in ids if "to" in b else 1
        count += "next" not in s and not s.get("branches")
    return count


def check_geometry(fc: Flowchart, steps: Steps) -> None:
    boxes = list(fc.boxes)
    labels = list(fc.labels)
    keys = [b.key for b in boxes]
    assert len(keys) == len(set(keys))
    by_key = {b.key: b for b in boxes}

    # every step exactly once, in list order from top to bottom, plus at most one end
    step_boxes = [b for b in boxes if b.kind == "step"]
    assert [b.step_id for b in step_boxes] == [s["id"] for s in steps]
    assert all(a.y < b.y for a, b in combinations(step_boxes, 2))
    assert len([b for b in boxes if b.kind == "end"]) == (
        1 if any("next" not in s and not s.get("branches") for s in steps) else 0
    )

    # no two boxes or labels share area
    rects: list[Rect] = [*boxes, *labels]
    for a, b in combinations(rects, 2):
        assert not overlaps(a, b), (a, b)

    # everything lies in the chart; steps and the end lie in their lane; outcomes right of the lanes
    for r in rects:
        assert r.x >= -EPS and r.y >= -EPS, r
        assert r.right <= fc.width + EPS and r.bottom <= fc.height + EPS, r
    lanes = {ln.index: ln for ln in fc.lanes}
    for b in boxes:
        if b.kind in ("step", "end", "header"):
            assert b.lane is not None
            lane = lanes[b.lane]
            assert lane.x - EPS <= b.x and b.right <= lane.x + lane.width + EPS, (b, lane)
        if b.kind in ("outcome", "results-header"):
            assert b.x >= fc.lanes[-1].x + fc.lanes[-1].width - EPS
    units = [(s.get("unit") or "办理机构") for s in steps]
    assert [ln.name for ln in fc.lanes] == list(dict.fromkeys(units))
    for b, unit in zip(step_boxes, units, strict=True):
        assert b.lane is not None and fc.lanes[b.lane].name == unit

    # edges: orthogonal, from border to border, through no box, labels clear of other lines
    assert len(fc.edges) == expected_edges(steps)
    for e in fc.edges:
        assert len(e.points) >= 2
        for p, q in segments(e.points):
            assert abs(p[0] - q[0]) < EPS or abs(p[1] - q[1]) < EPS, e
            assert p != q
            for b in boxes:
                assert not crosses(p, q, b), (e, b)
        assert on_border(e.points[0], by_key[e.source]), e
        assert on_border(e.points[-1], by_key[e.target]), e
        last = segments(e.points)[-1]
        assert abs(last[0][0] - last[1][0]) + abs(last[0][1] - last[1][1]) >= 10, "arrowhead room"
        for other in fc.edges:
            if other is e or other.label is None:
                continue
            for p, q in segments(e.points):
                assert not crosses(p, q, other.label), (e, other.label)

    # text fits its box
    for b in boxes:
        for line in b.lines:
            assert text_width(line.text, line.size) <= b.width - 8 + EPS or len(line.text) == 1, (
                b,
                line,
            )
    for lb in labels:
        for t in lb.lines:
            assert text_width(t, 12) <= lb.width + EPS or len(t) == 1


# ---------------------------------------------------------------- geometry tests


def test_samples_are_all_here() -> None:
    assert len(SAMPLE) > 100
    assert any(
        any(b.get("outcome") for s in steps for b in s.get("branches", []))
        for steps in SAMPLE.values()
    )


@pytest.mark.parametrize("name", sorted(ALL))
def test_geometry(name: str) -> None:
    steps = ALL[name]
    check_geometry(render(name, steps), steps)


def test_licence_with_inserted_step() -> None:
    steps = SAMPLE["zq-ziran-ziyuan-xk-001"]
    fc = render("xk", steps)
    names = [b.lines[0].text for b in fc.boxes if b.kind == "step"]
    assert names == ["申请", "受理", "补正", "审查", "现场踏勘", "决定", "送达"]
    key = {b.step_id: b.key for b in fc.boxes if b.kind == "step"}
    back = [e for e in fc.edges if e.source == key["buzheng"] and e.target == key["shouli"]]
    assert len(back) == 1 and back[0].back
    # the back edge goes up beside the boxes, not through them
    assert min(y for _, y in back[0].points) < fc.box(key["shouli"]).y
    shouli = fc.box(key["shouli"])
    assert any(x < shouli.x or x > shouli.right for x, _ in back[0].points)
    # 不予受理 is an end box beside 受理, in its row, with its condition above it
    outcome = next(e for e in fc.edges if e.source == key["shouli"] and e.kind == "outcome")
    end = fc.box(outcome.target)
    assert end.kind == "outcome" and "不予受理" in "".join(t.text for t in end.lines)
    assert end.x > shouli.right and end.y < shouli.bottom + 40
    assert outcome.label is not None and outcome.label.bottom <= end.y
    # the main path ends in 结束, below 送达
    final = next(e for e in fc.edges if e.kind == "end")
    assert final.source == key["songda"] and fc.box(final.target).y > fc.box(key["songda"]).bottom


def test_time_limits_on_steps() -> None:
    fc = render("xk", SAMPLE["zq-ziran-ziyuan-xk-001"])
    jueding = next(b for b in fc.boxes if b.step_id == "jueding")
    assert "时限：20个工作日" in [t.text for t in jueding.lines]
    assert time_limit_text({"value": 0, "unit": "工作日"}) == "即办"
    assert time_limit_text({"value": 90, "unit": "自然日"}) == "90个自然日"
    assert time_limit_text({"value": 24, "unit": "小时"}) == "24小时"
    assert (
        time_limit_text({"value": 1.5, "unit": "月", "note": "不含公告期"})
        == "1.5个月（不含公告期）"
    )
    assert time_limit_text(None) is None
    now = render("now", [{"id": "a", "name": "办理", "time_limit": {"value": 0, "unit": "工作日"}}])
    step = next(b for b in now.boxes if b.kind == "step")
    assert [t.text for t in step.lines] == ["办理", "时限：即办"]


def test_wrapping() -> None:
    assert wrap_text("", 100, 12) == []
    assert wrap_text("受理", 100, 12) == ["受理"]
    lines = wrap_text("材料不全或不符合法定形式", 130, 12)
    assert "".join(lines) == "材料不全或不符合法定形式"
    assert (
        len(lines) == 2 and abs(len(lines[0]) - len(lines[1])) <= 1
    )  # balanced, no lone character
    assert all(text_width(t, 12) <= 130 for t in lines)
    assert any(
        "20" in t for t in wrap_text("自受理之日起20日内作出决定", 60, 12)
    )  # numbers stay whole
    assert not any(
        t[0] in "，。、）》" for t in wrap_text("甲，乙。丙、丁（戊）《己》" * 5, 50, 12)
    )
    assert text_width("ab", 10) == pytest.approx(11) and text_width("审查", 10) == 20


def test_box_grows_with_text() -> None:
    short = render("short", [{"id": "a", "name": "受理"}]).boxes[1]
    long = render("long", [{"id": "a", "name": LONG}]).boxes[1]
    assert long.kind == short.kind == "step"
    assert long.height > short.height and len(long.lines) > 2


def test_lanes_in_order_of_first_appearance() -> None:
    steps = [
        {"id": "a", "name": "一", "unit": "乙科", "next": "b"},
        {"id": "b", "name": "二", "next": "c"},
        {"id": "c", "name": "三", "unit": "甲科", "next": "d"},
        {"id": "d", "name": "四", "unit": "乙科"},
    ]
    fc = render("lanes", steps)
    assert [ln.name for ln in fc.lanes] == ["乙科", "办理机构", "甲科"]
    assert all(180 <= ln.width <= 240 for ln in fc.lanes)
    headers = [b for b in fc.boxes if b.kind == "header"]
    assert [b.lines[0].text for b in headers] == ["乙科", "办理机构", "甲科"]


def test_no_steps() -> None:
    assert render_flowchart([], chart_id="fc-x", title="t") is None


def test_bad_chart_id() -> None:
    with pytest.raises(ValueError):
        render_flowchart(chain(2, ["a"]), chart_id='x" onload="', title="t")


def test_describe() -> None:
    assert describe(SAMPLE["zq-ziran-ziyuan-xk-001"]) == (
        "本流程共7个环节，涉及4个承办机构：申请人、综合受理窗口、国土空间规划科、分管领导。"
    )
    assert describe(chain(3, [None])) == "本流程共3个环节，均由办理机构办理。"


# ---------------------------------------------------------------- SVG


@pytest.mark.parametrize(
    "name", ["zq-ziran-ziyuan-xk-001", "escaping", "cycles", "outcomes", "one-step"]
)
def test_svg_is_accessible_xml(name: str) -> None:
    steps = ALL[name]
    fc = render(name, steps)
    assert not fc.svg.startswith("<?xml")
    root = ET.fromstring(fc.svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("width") == f"{fc.width:g}"  # its natural width; site.css scales it
    assert root.get("viewBox") == f"0 0 {fc.width:g} {fc.height:g}"
    assert root.get("preserveAspectRatio", "").endswith("meet")
    assert root.get("style") is None  # the Content-Security-Policy allows no style attribute
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and desc is not None
    assert title.text == f"{name}运行流程图"
    assert desc.text == describe(steps)
    labelled = (root.get("aria-labelledby") or "").split()
    assert labelled == [title.get("id"), desc.get("id")]
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    assert all(i and i.startswith(f"fc-{name}") for i in ids)
    refs = re.findall(r"url\(#([^)]+)\)", fc.svg)
    assert refs and all(r in ids for r in refs)
    assert "font-family" in fc.svg and "@import" not in fc.svg and "url(http" not in fc.svg
    texts = ["".join(el.itertext()) for el in root.iter(f"{SVG}text")]
    for step in steps:
        assert any(step["name"][:4] in t for t in texts)


def test_text_is_escaped() -> None:
    fc = render("esc", SYNTHETIC["escaping"])
    root = ET.fromstring(fc.svg)
    texts = "".join("".join(el.itertext()) for el in root.iter(f"{SVG}text"))
    assert "<审查>" in texts and '"引号"' in texts and "'单引号'" in texts
    assert "x < y & z" in texts and "<b>&amp;</b>" in texts
    assert "<审查>" not in fc.svg and "&lt;审查&gt;" in fc.svg
    assert "科室&<窗口>" in texts


def test_two_charts_on_one_page_do_not_clash() -> None:
    a = render("a", SAMPLE["zq-ziran-ziyuan-xk-001"])
    b = render("b", SAMPLE["zq-ziran-ziyuan-xk-001"])
    page = ET.fromstring(f'<div xmlns:svg="{SVG[1:-1]}">{a.svg}{b.svg}</div>')
    ids = [el.get("id") for el in page.iter() if el.get("id")]
    assert len(ids) == len(set(ids)) > 4


def test_deterministic() -> None:
    for name in ["zq-ziran-ziyuan-xk-001", "cycles", "long-names", "random-7"]:
        steps = ALL[name]
        first = render(name, steps)
        second = render(name, copy.deepcopy(steps))
        assert first.svg.encode() == second.svg.encode()
        assert first == second
        assert not re.search(r"\d\.\d\d", first.svg), "coordinates are rounded to one decimal"


def test_input_is_not_changed() -> None:
    steps = copy.deepcopy(SAMPLE["zq-ziran-ziyuan-xk-001"])
    render("same", steps)
    assert steps == SAMPLE["zq-ziran-ziyuan-xk-001"]


def test_black_and_white_shapes() -> None:
    """Kinds are told apart by shape and line, not colour alone."""
    fc = render("bw", SYNTHETIC["outcomes"] + [{"id": "z", "name": "末"}])
    root = ET.fromstring(fc.svg)
    rects = {el.get("stroke-width") for el in root.iter(f"{SVG}rect") if el.get("stroke")}
    assert {"1.5", "1.2"} <= rects  # steps and outcomes have different outlines
    assert any(el.get("rx") and float(el.get("rx") or 0) >= 10 for el in root.iter(f"{SVG}rect"))
    assert 'stroke-dasharray="5 3"' not in fc.svg  # no back edge here: dashes mean going back
    cyc = render("cyc", SYNTHETIC["cycles"])
    assert 'stroke-dasharray="5 3"' in cyc.svg


# ---------------------------------------------------------------- property test

UNITS = ["申请人", "综合受理窗口", "业务科室", "分管领导", "局长办公会议"]


@st.composite
def flows(draw: st.DrawFn) -> Steps:
    """A random flow of 1-10 steps: any lanes, names, time limits, next steps and branches."""
    n = draw(st.integers(1, 10))
    ids = [f"s{i}" for i in range(n)]
    words = st.text(alphabet="环节审查决定送达ABC 1（）、", min_size=1, max_size=40)
    steps: Steps = []
    for i in range(n):
        step: dict[str, Any] = {"id": ids[i], "name": draw(words)}
        unit = draw(st.none() | st.sampled_from(UNITS))
        if unit:
            step["unit"] = unit
        if draw(st.booleans()):
            step["time_limit"] = {"value": draw(st.sampled_from([0, 1.5, 20])), "unit": "工作日"}
        if draw(st.booleans()):
            step["next"] = draw(st.sampled_from(ids))
        branches = []
        for j in range(draw(st.integers(0, 3))):
            label = draw(words) + str(j)
            if draw(st.booleans()):
                branches.append({"label": label, "to": draw(st.sampled_from(ids))})
            else:
                branches.append({"label": label, "outcome": draw(words)})
        if branches:
            step["branches"] = branches
        steps.append(step)
    return steps


@settings(max_examples=300, derandomize=True, deadline=None)
@given(flows())
def test_no_two_boxes_or_labels_overlap_in_any_flow(steps: Steps) -> None:
    check_geometry(render("property", steps), steps)
