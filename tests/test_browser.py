"""The built sample site in headless Chromium: served from a sub-path, opened from file://, without JavaScript, on a phone, and checked with axe-core.

Needs Debian's Chromium, the Python package playwright and node_modules/axe-core:
``bash .ci/run`` installs them. Playwright's own browser download is never used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from browsing import RESULTS, Opener, chromium, horizontal_overflow, opener, search_for, serve
from playwright.sync_api import Browser, Page
from sitecheck import MIRROR, PAGES, PROJECT, Sample, build_sample

AXE = PROJECT / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
DEPARTMENT = "zq-ziran-ziyuan"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Sample:
    """The sample site, built once for this module into ``…/serve/mirrors/zhaoqing``."""
    return build_sample(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def base_url(built: Sample) -> Iterator[str]:
    """Serve the folder above the mirror on 127.0.0.1, so the site lives under a sub-path."""
    with serve(built.serve) as url:
        yield f"{url}{MIRROR}/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator[Opener]:
    """Open a new context and page; requests outside ``inside`` (the site) are aborted and recorded."""
    with opener(browser, base_url) as open_:
        yield open_


def assert_one_visible_h1(page: Page, rel: str) -> None:
    h1 = page.locator("h1")
    assert h1.count() == 1, f"{rel}: expected one <h1>, found {h1.count()}"
    assert h1.is_visible(), f"{rel}: the <h1> is not visible"
    assert h1.inner_text().strip(), f"{rel}: the <h1> is empty"


@pytest.mark.parametrize("rel", PAGES.values(), ids=PAGES.keys())
def test_page_loads_cleanly_from_a_sub_path(open_page: Opener, rel: str) -> None:
    visit = open_page()
    visit.goto(rel)
    visit.assert_clean()
    assert_one_visible_h1(visit.page, rel)


def test_site_opens_from_file_url_and_links_work(open_page: Opener, built: Sample) -> None:
    visit = open_page(inside=built.site.as_uri() + "/")
    page = visit.page
    for start, link in [
        ("index.html", 'main a[href$=".html"]:not([href*=":"])'),
        (PAGES["department"], 'main a[href*="powers/"][href$=".html"]'),
    ]:
        visit.goto(start)
        assert_one_visible_h1(page, start)
        target = page.locator(link).first
        href = target.get_attribute("href")
        assert href, f"{start}: no link to follow ({link})"
        target.click()
        page.wait_for_load_state("load")
        assert page.url != visit.inside + start, f"{start}: following {href} did not navigate"
        assert page.url.startswith(visit.inside), f"{start}: {href} led to {page.url}"
        assert_one_visible_h1(page, page.url)
    visit.assert_clean()


@pytest.mark.parametrize("kind", ["home", "power"])
def test_no_horizontal_overflow_on_a_phone(open_page: Opener, kind: str) -> None:
    visit = open_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)
    visit.goto(PAGES[kind])
    visit.assert_clean()
    problem = horizontal_overflow(visit.page)
    if problem:
        pytest.fail(f"{PAGES[kind]}: {problem}")


def test_department_page_groups_powers_by_category_without_javascript(
    open_page: Opener, built: Sample
) -> None:
    powers = [
        p
        for p in built.checked.dataset.powers.values()
        if p.department == DEPARTMENT and p.data["disclosure"]["public"]
    ]
    assert len({p.data["category"] for p in powers}) > 1, (
        "the sample department needs two categories"
    )
    visit = open_page(java_script_enabled=False)
    visit.goto(PAGES["department"])
    visit.assert_clean()
    wrong = []
    for p in powers:
        links = visit.page.locator(f'main a[href$="powers/{p.id}.html"]')
        headings = [
            links.nth(i).locator("xpath=preceding::*[self::h2 or self::h3 or self::h4][1]")
            for i in range(links.count())
            if links.nth(i).is_visible()
        ]
        if not any(p.data["category"] in h.inner_text() for h in headings if h.count()):
            wrong.append(
                f"{p.id} ({p.data['category']}): no visible link under a heading naming it"
            )
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    "kind", ["home", "department", "power", "law", "search", "changes", "downloads"]
)
def test_no_accessibility_violations(open_page: Opener, kind: str) -> None:
    if not AXE.is_file():
        pytest.fail(f"{AXE.relative_to(PROJECT)} is missing: run `bash .ci/run` (it runs npm ci)")
    visit = open_page(bypass_csp=True)
    visit.goto(PAGES[kind])
    visit.page.add_script_tag(path=AXE)
    results = visit.page.evaluate("() => axe.run(document)")
    visit.assert_clean()
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {' '.join(map(str, n['target']))}: {summary(n)}" for n in v["nodes"])
        for v in results["violations"]
    ]
    if violations:
        pytest.fail(f"{PAGES[kind]}: axe-core found:\n" + "\n".join(violations))


def summary(node: dict[str, Any]) -> str:
    """axe-core's failure summary of one element, on one line."""
    lines = str(node.get("failureSummary") or "").splitlines()
    return "; ".join(line.strip() for line in lines if line.strip())


# --- search -------------------------------------------------------------------

SEARCH_TOKENS = json.loads(
    (Path(__file__).parent / "search_tokens.json").read_text(encoding="utf-8")
)
SEARCH_QUERIES = json.loads(
    (Path(__file__).parent / "search_queries.json").read_text(encoding="utf-8")
)


def test_tokenizer_in_the_browser_matches_python(open_page: Opener) -> None:
    visit = open_page()
    visit.goto(PAGES["search"])
    got = visit.page.evaluate(
        "(cases) => cases.map((c) => window.siteSearchTokenize(c.text))", SEARCH_TOKENS
    )
    wrong = [
        (c["text"], c["terms"], g)
        for c, g in zip(SEARCH_TOKENS, got, strict=True)
        if c["terms"] != g
    ]
    assert not wrong, wrong
    visit.assert_clean()


def test_query_table_typed_into_the_search_page(open_page: Opener) -> None:
    visit = open_page()
    visit.goto(PAGES["search"])
    failures = []
    for case in SEARCH_QUERIES:
        found = search_for(visit.page, case["query"])
        if case["kind"] == "no-match":
            if found or "没有找到" not in visit.page.locator("#search-status").inner_text():
                failures.append(f"{case['query']}: expected no result, got {found[:5]}")
        elif missing := sorted(set(case["expect"]) - set(found)):
            failures.append(f"{case['query']}: missing {missing}")
    assert not failures, "\n".join(failures)
    visit.assert_clean()


def test_index_loads_only_when_the_search_box_is_focused(open_page: Opener) -> None:
    visit = open_page()
    requested: list[str] = []
    visit.page.on("request", lambda r: requested.append(r.url))
    visit.goto(PAGES["search"])
    visit.page.wait_for_timeout(300)
    assert not [u for u in requested if "/search/all.js" in u]
    visit.page.locator("#search-q").focus()
    visit.page.wait_for_function("() => window.siteSearchShards && window.siteSearchShards.all")
    assert [u for u in requested if u.endswith("/search/all.js")]
    visit.assert_clean()


def test_a_q_link_opens_with_results_and_typing_updates_the_address(open_page: Opener) -> None:
    visit = open_page()
    visit.goto(PAGES["search"] + "?q=%E6%8E%92%E6%B1%A1")  # ?q=排污
    page = visit.page
    page.wait_for_function("() => document.querySelectorAll('[data-search-results] a').length > 0")
    assert page.locator("#search-q").input_value() == "排污"
    assert "找到" in page.locator("#search-status").inner_text()
    assert page.locator("#search-status").get_attribute("aria-live") == "polite"
    search_for(page, "旅行社")
    assert "q=%E6%97%85%E8%A1%8C%E7%A4%BE" in page.url
    page.locator("select[data-filter=category]").select_option("行政处罚")
    page.wait_for_function("() => location.search.includes('category=')")
    names = page.locator("[data-search-results] li").all_inner_texts()
    assert names and all("行政处罚" in n for n in names)
    visit.assert_clean()


def test_search_with_the_keyboard_only(open_page: Opener) -> None:
    visit = open_page()
    visit.goto(PAGES["search"])
    page = visit.page
    page.locator("#search-q").focus()
    page.keyboard.type("劳务派遣")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('[data-search-results] a').length > 0")
    assert page.url.split("?", 1)[0].endswith("search/index.html")  # Enter does not leave the page
    page.keyboard.press("Tab")
    assert (
        page.evaluate("() => document.activeElement.textContent") == "搜索"
    )  # on to the search button
    visit.assert_clean()


def test_search_works_from_the_file_system(open_page: Opener, built: Sample) -> None:
    visit = open_page(inside=built.site.as_uri() + "/")
    visit.page.goto((built.site / "search/index.html").as_uri() + "?q=%E5%B7%A5%E4%BC%A4")  # 工伤
    visit.page.wait_for_function(
        "() => document.querySelectorAll('[data-search-results] a').length > 0"
    )
    first = visit.page.locator(RESULTS).first
    first.click()
    visit.page.wait_for_load_state()
    assert visit.page.url.startswith(built.site.as_uri()) and "/powers/" in visit.page.url
    visit.assert_clean()


def test_without_javascript_the_search_form_leads_to_the_index(open_page: Opener) -> None:
    visit = open_page(java_script_enabled=False)
    visit.goto(PAGES["home"])
    visit.page.locator("#site-q").fill("排污")
    visit.page.locator("#site-q").press("Enter")
    visit.page.wait_for_load_state()
    assert visit.page.url.split("?", 1)[0].endswith("powers/index.html")
    visit.assert_clean()
