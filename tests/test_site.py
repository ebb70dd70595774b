"""The public site: every page kind, what each shows, and what it must never show."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from conftest import LAW, LICENCE, PENALTY, Repo

from site_builder.reading import sources

HIDDEN = {
    **LICENCE,
    "id": "zq-a-jc-009",
    "code": "441200-JC-SECRET-009",
    "name": "对战略储备物资库的秘密核查",
    "category": "行政检查",
    "content": "核查储备库位置坐标甲乙丙丁。",
    "disclosure": {
        "public": False,
        "reason": "涉及国家秘密",
        "basis": "《中华人民共和国保守国家秘密法》第十三条",
        "filed": "2021-06-30",
    },
}


def build(repo: Repo) -> Path:
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    return repo.root / "public"


def read(out: Path, rel: str) -> str:
    return (out / rel).read_text(encoding="utf-8")


def all_text(out: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace") for p in sorted(out.rglob("*")) if p.is_file()
    )


def test_every_page_kind_is_written(repo: Repo) -> None:
    out = build(repo)
    for rel in [
        "index.html",
        "kiosk.html",
        "jurisdictions/zhaoqing/index.html",
        "departments/zq-a/index.html",
        "departments/zq-a/gazette.html",
        "powers/zq-a-xk-001.html",
        "powers/zq-a-cf-001.html",
        "powers/index.html",
        "categories/xk.html",
        "categories/qt.html",
        "laws/index.html",
        "laws/xingzheng-xuke-fa.html",
        "withheld.html",
        "assets/site.css",
        "assets/site.js",
    ]:
        assert (out / rel).is_file(), rel
    assert not (
        out / "jurisdictions/duanzhou"
    ).exists()  # a jurisdiction without departments has no page


def test_non_public_power_appears_only_in_the_register_and_never_its_content(repo: Repo) -> None:
    repo.power(HIDDEN)
    out = build(repo)
    everything = all_text(out)
    for secret in (HIDDEN["name"], HIDDEN["content"], HIDDEN["id"]):
        assert secret not in everything
    register = read(out, "withheld.html")
    assert (
        HIDDEN["code"] in register and "涉及国家秘密" in register and "保守国家秘密法" in register
    )
    assert everything.count(HIDDEN["code"]) == 1
    assert "另有 1 项依法不公开的职权" in read(out, "index.html")


def test_hidden_power_is_not_linked_from_a_related_power(repo: Repo) -> None:
    repo.power(HIDDEN)
    repo.power(
        LICENCE,
        related_departments=[
            {"name": "某局", "relation": "后置", "power": HIDDEN["id"], "matter": "后续核查"}
        ],
    )
    out = build(repo)
    assert HIDDEN["name"] not in read(out, "powers/zq-a-xk-001.html")


def test_markdown_is_rendered_and_sanitised(repo: Repo) -> None:
    hostile = "本事项**重点**说明。<script>alert(1)</script> [点我](javascript:alert(1)) <img src=x onerror=alert(2)>"
    repo.power(LICENCE, content=hostile, remark="- 第一条\n- 第二条")
    page = read(build(repo), "powers/zq-a-xk-001.html")
    assert "<strong>重点</strong>" in page
    assert "<li>第一条</li>" in page
    assert "<script>alert" not in page and "javascript:" not in page and "onerror" not in page


def test_names_are_escaped(repo: Repo) -> None:
    repo.power(LICENCE, name="甲<b>乙</b>&丙")
    page = read(build(repo), "powers/zq-a-xk-001.html")
    assert "甲&lt;b&gt;乙&lt;/b&gt;&amp;丙" in page and "<b>乙</b>" not in page


def test_edit_link_follows_the_configuration(repo: Repo) -> None:
    page = read(build(repo), "powers/zq-a-xk-001.html")
    assert "提出修改" in page and "edit/main/data/departments/zq-a/powers/zq-a-xk-001.yaml" in page
    config, _ = sources.parse("site.yaml", (repo.root / "site.yaml").read_text(encoding="utf-8"))
    del config["repository"]
    repo.write("site.yaml", config)
    assert "提出修改" not in read(build(repo), "powers/zq-a-xk-001.html")


def test_theme_overrides_replace_templates_and_static_files(repo: Repo) -> None:
    config, _ = sources.parse("site.yaml", (repo.root / "site.yaml").read_text(encoding="utf-8"))
    repo.write("site.yaml", {**config, "theme_overrides": "overrides"})
    repo.write(
        "overrides/withheld.html",
        '{% extends "base.html" %}{% block main %}<h1>本地定制的登记页</h1>{% endblock %}',
    )
    repo.write("overrides/static/site.css", "body { color: #000; }\n")
    out = build(repo)
    assert "本地定制的登记页" in read(out, "withheld.html")
    assert read(out, "assets/site.css") == "body { color: #000; }\n"
    assert read(out, "assets/site.js")  # files not overridden still come from templates/static


def test_missing_theme_overrides_is_a_data_error_with_its_line(repo: Repo) -> None:
    config, _ = sources.parse("site.yaml", (repo.root / "site.yaml").read_text(encoding="utf-8"))
    repo.write("site.yaml", {**config, "theme_overrides": "nowhere"})
    result = repo.cli("build")
    assert result.exit_code == 2  # a configuration error
    assert result.stdout.startswith("site.yaml:") and "theme_overrides" in result.stdout


def test_cancelled_power_says_so_at_the_top_and_links_where_it_went(repo: Repo) -> None:
    repo.power(
        LICENCE,
        id="zq-a-xk-002",
        name="旧的许可",
        status="已取消",
        adjustment={
            "action": "整合",
            "reason": "两项许可合并办理",
            "target": "市甲局",
            "target_power": "zq-a-xk-001",
            "date": "2020-01-01",
        },
    )
    page = read(build(repo), "powers/zq-a-xk-002.html")
    banner = page.split('class="status-banner', 1)[1].split("</div>", 1)[0]
    assert "本职权已取消" in banner and "两项许可合并办理" in banner
    assert 'href="../powers/zq-a-xk-001.html"' in banner
    assert page.index("status-banner") < page.index("<h1>")


def test_delegated_power_names_the_receiving_department(repo: Repo) -> None:
    repo.department(
        id="dz-a", name="肇庆市端州区甲局", short_name="端州区甲局", jurisdiction="duanzhou"
    )
    repo.power(
        LICENCE, adjustment={"action": "下放", "reason": "便民", "target_department": "dz-a"}
    )
    page = read(build(repo), "powers/zq-a-xk-001.html")
    assert "本职权已下放" in page and 'href="../departments/dz-a/index.html"' in page


def test_power_page_shows_the_citizen_facing_fields(repo: Repo) -> None:
    repo.power(
        LICENCE,
        fees=[{"item": "不收费"}],
        service_guide={
            "conditions": ["具备条件甲"],
            "materials": [{"name": "申请表", "copies": "原件1份"}],
            "place": "市政务服务中心",
            "phone": "0758-1234567",
            "online_url": "https://www.gdzwfw.gov.cn/",
        },
        integrity_risks=[
            {"step": "shencha", "risk": "放宽审查标准", "level": "高", "measures": ["集体审议"]}
        ],
        remedies=[{"kind": "行政复议", "body": "肇庆市人民政府", "deadline": "六十日内"}],
    )
    page = read(build(repo), "powers/zq-a-xk-001.html")
    for text in (
        "法定时限",
        "20个工作日",
        "承诺时限",
        "10个工作日",
        "不收费",
        "具备条件甲",
        "申请表",
        "市政务服务中心",
        'href="tel:0758-1234567"',
        "放宽审查标准",
        "集体审议",
        "行政复议",
        "12345",
        "受理",
        "不予受理",
    ):
        assert text in page, text
    assert 'href="../laws/xingzheng-xuke-fa.html"' in page
    assert 'href="../categories/xk.html"' in page


def test_penalty_page_shows_discretion_table(repo: Repo) -> None:
    page = read(build(repo), "powers/zq-a-cf-001.html")
    table = page.split('class="discretion"', 1)[1].split("</table>", 1)[0]
    assert (
        "首次违法" in table and "罚款一万元" in table and '<th scope="col">裁量标准</th>' in table
    )
    assert "告知" in page and "听证" in page


def test_law_page_lists_citing_powers_and_marks_repeal(repo: Repo) -> None:
    repo.law(
        id="old-law",
        title="某旧条例",
        kind="行政法规",
        status="已废止",
        repealed="2011-01-21",
        replaced_by="xingzheng-xuke-fa",
    )
    repo.power(
        LICENCE,
        id="zq-a-xk-003",
        name="已取消的旧许可",
        legal_basis=[{"kind": "行政法规", "law": "old-law", "article": "第六条"}],
        status="已取消",
        adjustment={"action": "取消", "reason": "条例废止"},
    )
    out = build(repo)
    old = read(out, "laws/old-law.html")
    assert "已废止" in old and 'href="../laws/xingzheng-xuke-fa.html"' in old
    assert 'href="../powers/zq-a-xk-003.html"' in old and "第六条" in old
    current = read(out, "laws/xingzheng-xuke-fa.html")
    assert (
        'href="../powers/zq-a-xk-001.html"' in current and 'href="../laws/old-law.html"' in current
    )
    register = read(out, "laws/index.html")
    assert "某旧条例" in register and "中华人民共和国行政许可法" in register


def test_department_page_groups_powers_by_category_without_javascript(repo: Repo) -> None:
    page = read(build(repo), "departments/zq-a/index.html")
    assert 'id="cat-xk"' in page and 'id="cat-cf"' in page and 'href="#cat-xk"' in page
    xk = page.split('id="cat-xk"', 1)[1].split("</section>", 1)[0]
    assert "zq-a-xk-001.html" in xk and "zq-a-cf-001.html" not in xk


def test_category_and_index_pages(repo: Repo) -> None:
    out = build(repo)
    assert "zq-a-xk-001.html" in read(out, "categories/xk.html") and "zq-a-cf-001.html" not in read(
        out, "categories/xk.html"
    )
    az = read(out, "powers/index.html")
    # 某某许可 is indexed under M (mou), 对某某违法行为的行政处罚 under D (dui).
    m = az.split('id="letter-M"', 1)[1].split("</section>", 1)[0]
    d = az.split('id="letter-D"', 1)[1].split("</section>", 1)[0]
    assert "zq-a-xk-001.html" in m and "zq-a-cf-001.html" in d


def test_gazette_has_every_public_power_of_the_department(repo: Repo) -> None:
    repo.power(HIDDEN)
    repo.power(
        LICENCE,
        legal_basis=[
            {
                "kind": "法律",
                "law": "xingzheng-xuke-fa",
                "article": "第十二条",
                "text": "条文内容甲乙。",
            }
        ],
    )
    page = read(build(repo), "departments/zq-a/gazette.html")
    assert page.count('class="gazette-item"') == 2
    assert LICENCE["name"] in page and PENALTY["name"] in page and HIDDEN["name"] not in page
    assert "break-before: page" in read(repo.root / "public", "assets/site.css")
    item = page.split('class="gazette-item"', 1)[1]
    assert "条文内容甲乙。" in item and "<details>" not in item  # article text printed unfolded
    assert "<details>" in read(
        repo.root / "public", "powers/zq-a-xk-001.html"
    )  # folded on the web page


def test_a_flowchart_is_drawn_once_for_its_power_page_and_the_gazette(
    repo: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    from site_builder import build as pipeline
    from site_builder.rendering import flowchart

    drawn: list[str] = []
    real = flowchart.render_flowchart

    def counted(*args: Any, **kwargs: Any) -> Any:
        drawn.append(kwargs["chart_id"])
        return real(*args, **kwargs)

    monkeypatch.setattr(flowchart, "render_flowchart", counted)
    pipeline.build(repo.root, repo.root / "public", jobs=1)
    assert sorted(drawn) == ["fc-zq-a-cf-001", "fc-zq-a-xk-001"]  # once each, not twice
    out = repo.root / "public"
    svg = re.compile(r"<svg [^>]*class=\"flowchart-svg\".*?</svg>", re.S)
    for power in ("zq-a-cf-001", "zq-a-xk-001"):
        own = svg.findall(read(out, f"powers/{power}.html"))
        assert len(own) == 1 and own[0] in read(out, "departments/zq-a/gazette.html")
    for page in ("powers/zq-a-xk-001.html", "departments/zq-a/gazette.html"):
        ids = re.findall(r' id="([^"]+)"', read(out, page))
        assert len(ids) == len(set(ids)), page  # the shared chart's ids stay unique on each page


def test_home_page_has_statistics_charts_with_tables(repo: Repo) -> None:
    page = read(build(repo), "index.html")
    assert len(re.findall(r'<svg[^>]*role="img"', page)) == 3
    assert page.count("<summary>数据表</summary>") == 3
    assert "仅供查询参考" in page  # the law governs


def test_every_page_has_one_h1_and_zh_cn(repo: Repo) -> None:
    out = build(repo)
    for path in out.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert '<html lang="zh-CN">' in html, path
        assert html.count("<h1") == 1, path


def test_build_is_deterministic(repo: Repo, tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert repo.cli("build", "--out", str(first)).exit_code == 0
    assert repo.cli("build", "--out", str(second)).exit_code == 0
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


@pytest.mark.parametrize("law_status", ["已修订"])
def test_amended_law_is_marked_on_the_power_page(repo: Repo, law_status: str) -> None:
    repo.law(LAW, status=law_status)
    page = read(build(repo), "powers/zq-a-xk-001.html")
    assert f'<span class="badge badge-off">{law_status}</span>' in page


def test_a_missing_or_broken_template_is_a_clear_error(repo: Repo) -> None:
    (repo.root / "templates/withheld.html").unlink()
    assert repo.cli("build").exit_code == 0  # the tool's own withheld.html is used
    repo.write(
        "templates/withheld.html",
        "{% extends 'base.html' %}{% block main %}{% include '_missing.html' %}{% endblock %}",
    )
    result = repo.cli("build")
    assert (
        result.exit_code == 2
        and "_missing.html" in result.stderr
        and "Traceback" not in result.output
    )
    repo.write(
        "templates/withheld.html", "{% extends 'base.html' %}{% block main %}{% if %}{% endblock %}"
    )
    result = repo.cli("build")
    assert result.exit_code == 2 and "withheld.html:1" in result.stderr
