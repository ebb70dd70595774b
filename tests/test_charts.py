"""The SVG bar charts: well-formed, accessible, proportional, non-overlapping, deterministic."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from site_builder.rendering import charts
from site_builder.rendering.charts import Bar, bar_chart, layout

SVG = "{http://www.w3.org/2000/svg}"

CATEGORIES = [
    Bar("行政许可", 50, "categories/xk.html"),
    Bar("非行政许可审批", 2, "categories/sp.html"),
    Bar("行政处罚", 66, "categories/cf.html"),
    Bar("行政强制", 9),
    Bar("行政征收", 4),
    Bar("行政给付", 5),
    Bar("行政检查", 24),
    Bar("行政指导", 9),
    Bar("行政确认", 7),
    Bar("其他", 28),
]

DEPARTMENTS = [
    Bar("市自然资源局", 16),
    Bar("端州区人力资源社会保障局", 8),
    Bar("德庆县文化广电旅游体育局", 7),
    Bar("肇庆市市场监督管理局综合行政执法支队第一大队（端州区、鼎湖区、高要区）", 3),
    Bar("ABC Bureau of Very Long English Names", 1),
]


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def chart(bars: list[Bar], **kwargs: str) -> ET.Element:
    return parse(bar_chart(bars, chart_id=kwargs.pop("chart_id", "c"), title="标题", **kwargs))


def rects(root: ET.Element) -> list[ET.Element]:
    return list(root.iter(SVG + "rect"))


def test_output_is_one_svg_element_that_parses() -> None:
    svg = bar_chart(CATEGORIES, chart_id="cat", title="各类别职权数量")
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    assert "<?xml" not in svg
    root = parse(svg)
    assert root.tag == SVG + "svg"
    assert len(rects(root)) == len(CATEGORIES)


def test_accessible_name_and_description() -> None:
    root = parse(bar_chart(CATEGORIES, chart_id="cat", title="各类别职权数量", noun="个类别"))
    assert root.get("role") == "img"
    title = root.find(SVG + "title")
    desc = root.find(SVG + "desc")
    assert title is not None and desc is not None
    assert title.text == "各类别职权数量"
    assert root.get("aria-labelledby") == title.get("id") == "cat-title"
    assert root.get("aria-describedby") == desc.get("id") == "cat-desc"
    assert desc.text == (
        "共10个类别，合计204项。最多的是行政处罚（66项），其次是行政许可（50项），"
        "最少的是非行政许可审批（2项）。"
    )


def test_description_groups_ties_and_zeros() -> None:
    text = charts.describe(
        [Bar("甲", 5), Bar("乙", 5), Bar("丙", 2), Bar("丁", 0), Bar("戊", 0)], noun="个部门"
    )
    assert text == "共5个部门，合计12项。最多的是甲、乙（各5项），其次是丙（2项），丁、戊为0。"
    assert charts.describe([Bar("甲", 3), Bar("乙", 3)]) == "共2个项目，合计6项。均为3项。"


def test_every_id_is_prefixed_with_the_chart_id() -> None:
    root = chart([*CATEGORIES, *DEPARTMENTS], chart_id="home-cat")
    ids = [el.get("id") for el in root.iter() if el.get("id") is not None]
    assert ids, "the chart has ids"
    assert all(i is not None and i.startswith("home-cat") for i in ids)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("chart_id", ["", "1abc", "a b", 'a"b', "a<b"])
def test_invalid_chart_id_is_refused(chart_id: str) -> None:
    with pytest.raises(ValueError, match="chart_id"):
        bar_chart(CATEGORIES, chart_id=chart_id, title="t")


def test_bar_widths_are_proportional_to_values() -> None:
    geo = layout([Bar("甲", 40), Bar("乙", 20), Bar("丙", 10), Bar("丁", 0)])
    widths = [row.bar_box.width for row in geo.rows]
    assert widths[0] == geo.plot_width
    assert widths[1] == pytest.approx(geo.plot_width / 2)
    assert widths[2] == pytest.approx(geo.plot_width / 4)
    assert widths[3] == 0
    assert all(row.bar_box.x == geo.plot_x for row in geo.rows)


def test_drawn_rects_match_the_layout() -> None:
    geo = layout(CATEGORIES)
    drawn = [float(r.get("width", "nan")) for r in rects(chart(CATEGORIES))]
    assert drawn == [pytest.approx(row.bar_box.width, abs=0.05) for row in geo.rows]
    assert max(drawn) == geo.plot_width


def test_labels_never_overlap_bars_values_or_each_other() -> None:
    bars = [*CATEGORIES, *DEPARTMENTS, Bar("x" * 200, 5), Bar("字" * 200, 0)]
    geo = layout(bars)
    for row in geo.rows:
        assert row.label_box.x >= 0
        assert row.label_box.right <= geo.plot_x - 1, row.bar.label
        assert row.label_box.width <= geo.label_width + 0.01
        assert not row.label_box.overlaps(row.bar_box)
        assert not row.label_box.overlaps(row.value_box)
        assert not row.bar_box.overlaps(row.value_box)
        assert row.value_box.right <= geo.width
        for box in (row.label_box, row.bar_box, row.value_box):
            assert row.row_box.y <= box.y and box.bottom <= row.row_box.bottom
        for line in row.lines:
            assert charts.text_width(line) <= geo.label_width + 0.01
    for a, b in itertools.pairwise(geo.rows):
        assert a.row_box.bottom <= b.row_box.y
        assert not a.label_box.overlaps(b.label_box)
        assert not a.bar_box.overlaps(b.bar_box)
    assert geo.rows[-1].row_box.bottom <= geo.height


def test_long_labels_wrap_at_natural_places_or_are_cut_with_the_full_text_kept() -> None:
    geo = layout(DEPARTMENTS)
    rows = {row.bar.label: row for row in geo.rows}
    assert rows["市自然资源局"].lines == ("市自然资源局",)
    assert rows["端州区人力资源社会保障局"].lines == ("端州区", "人力资源社会保障局")
    assert rows["德庆县文化广电旅游体育局"].lines == ("德庆县", "文化广电旅游体育局")
    long = rows[DEPARTMENTS[3].label]
    assert long.truncated and long.lines[-1].endswith("…") and len(long.lines) == 2
    english = rows[DEPARTMENTS[4].label]
    assert english.lines[0] == "ABC Bureau of"  # English breaks between words
    assert not any(line.startswith(" ") or line.endswith(" ") for line in english.lines)
    assert layout([Bar("市场监督管理局综合行政执法", 1)]).rows[0].lines == (
        "市场监督管理局",
        "综合行政执法",
    )
    # closing punctuation never starts a line
    assert all(line[0] not in "，。、）" for row in geo.rows for line in row.lines)

    root = chart(DEPARTMENTS)
    titles = [t.text for text in root.iter(SVG + "text") for t in text.findall(SVG + "title")]
    assert titles == [row.bar.label for row in geo.rows if row.truncated]
    assert DEPARTMENTS[3].label in titles and DEPARTMENTS[0].label not in titles


def test_width_estimate_counts_cjk_as_one_em_and_ascii_narrower() -> None:
    assert charts.text_width("行政许可", 10) == 40
    assert charts.text_width("（、）", 10) == 30
    assert charts.text_width("2016", 10) == pytest.approx(22)
    assert charts.text_width("ab", 10) < charts.text_width("AB", 10) < charts.text_width("字字", 10)


def test_text_is_escaped() -> None:
    bars = [Bar('A&B<script>"x"', 3, 'a.html?x=1&y="2"')]
    svg = bar_chart(bars, chart_id="c", title="标题 <b> & 说明", root="../")
    assert "<script>" not in svg and "<b>" not in svg
    assert "A&amp;B&lt;script&gt;&quot;x&quot;" in svg
    root = parse(svg)
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert 'A&B<script>"x"' in texts
    title = root.find(SVG + "title")
    assert title is not None and title.text == "标题 <b> & 说明"
    link = root.find(f".//{SVG}a")
    assert link is not None and link.get("href") == '../a.html?x=1&y="2"'


def test_control_characters_do_not_break_the_xml() -> None:
    svg = bar_chart([Bar("甲\x00乙\x0b", 1)], chart_id="c", title="t\x01")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", svg)
    root = parse(svg)
    title = root.find(SVG + "title")
    assert title is not None and title.text == "t"
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert texts == ["甲乙", "1项"]  # dropped, not replaced: the label keeps its characters


def test_output_is_deterministic() -> None:
    first = bar_chart(DEPARTMENTS, chart_id="d", title="部门", root="../")
    second = bar_chart(list(DEPARTMENTS), chart_id="d", title="部门", root="../")
    assert first == second
    numbers = re.findall(r'(?:x|y|x1|x2|y1|y2|width|height)="([-0-9.]+)"', first)
    assert numbers and all(re.fullmatch(r"-?\d+(\.\d)?", n) for n in numbers)


def test_zero_value_is_an_empty_row_with_a_zero() -> None:
    root = chart([Bar("甲", 4), Bar("乙", 0)])
    assert len(rects(root)) == 1
    texts = ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    assert texts == ["甲", "4项", "乙", "0"]


def test_all_zero_values_draw_no_bars() -> None:
    geo = layout([Bar("甲", 0), Bar("乙", 0)])
    assert [row.bar_box.width for row in geo.rows] == [0, 0]
    assert rects(chart([Bar("甲", 0), Bar("乙", 0)])) == []


def test_single_bar_fills_the_plot() -> None:
    geo = layout([Bar("行政许可", 1)])
    assert geo.rows[0].bar_box.width == geo.plot_width
    root = chart([Bar("行政许可", 1)])
    assert [r.get("width") for r in rects(root)] == [charts._num(geo.plot_width)]


def test_tiny_values_stay_visible() -> None:
    geo = layout([Bar("甲", 100000), Bar("乙", 1)])
    assert geo.rows[1].bar_box.width >= 1


def test_negative_values_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        bar_chart([Bar("甲", -1)], chart_id="c", title="t")


def test_hrefs_get_the_root_prefix() -> None:
    bars = [
        Bar("甲", 3, "categories/xk.html"),
        Bar("乙", 2),
        Bar("丙", 1, "https://example.org/x"),
        Bar("丁", 1, "#top"),
    ]
    root = chart(bars, root="../../")
    links = list(root.iter(SVG + "a"))
    assert [a.get("href") for a in links] == [
        "../../categories/xk.html",
        "https://example.org/x",
        "#top",
    ]
    first = links[0].find(SVG + "text")
    assert first is not None and first.text == "甲"
    assert chart(bars).find(f".//{SVG}a[@href='categories/xk.html']") is not None


def test_empty_input_says_no_data() -> None:
    svg = bar_chart([], chart_id="e", title="各类别职权数量")
    root = parse(svg)
    assert root.get("role") == "img"
    assert "暂无数据" in ["".join(t.itertext()) for t in root.iter(SVG + "text")]
    desc = root.find(SVG + "desc")
    assert desc is not None and desc.text == "暂无数据。"
    assert layout([]).rows == ()


def test_scales_to_its_container_with_generic_fonts_and_no_external_resources() -> None:
    svg = bar_chart(CATEGORIES, chart_id="c", title="t")
    root = parse(svg)
    geo = layout(CATEGORIES)
    assert root.get("width") == charts._num(geo.width)  # its natural width; site.css scales it
    assert root.get("viewBox") == f"0 0 {charts._num(geo.width)} {charts._num(geo.height)}"
    assert root.get("style") is None  # the Content-Security-Policy allows no style attribute
    assert root.get("font-family") == "'Noto Sans CJK SC','Microsoft YaHei',sans-serif"
    assert "url(" not in svg and "<image" not in svg and "<style" not in svg
    assert re.findall(r"https?://[^\"]+", svg) == ["http://www.w3.org/2000/svg"]


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(colour: str, background: str = "#ffffff") -> float:
    a, b = sorted((_luminance(colour), _luminance(background)), reverse=True)
    return (a + 0.05) / (b + 0.05)


def test_colours_meet_wcag_aa_on_white() -> None:
    assert _contrast(charts.TEXT_COLOUR) >= 4.5
    assert _contrast(charts.LINK_COLOUR) >= 4.5
    assert _contrast(charts.BAR_COLOUR) >= 3  # non-text graphics
    assert _contrast(charts.AXIS_COLOUR) >= 3
    svg = bar_chart(CATEGORIES, chart_id="c", title="t")
    colours = set(re.findall(r"#[0-9a-fA-F]{6}", svg))
    assert colours <= {
        charts.TEXT_COLOUR,
        charts.LINK_COLOUR,
        charts.BAR_COLOUR,
        charts.AXIS_COLOUR,
    }
