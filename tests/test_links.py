"""Links of the built sample site: every relative link resolves, nothing loads from outside the site."""

from __future__ import annotations

from pathlib import Path

import pytest
from sitecheck import PAGES, build_sample, check_site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("links")).site


@pytest.mark.parametrize("rel", PAGES.values(), ids=PAGES.keys())
def test_page_is_built(site: Path, rel: str) -> None:
    if not (site / rel).is_file():
        pytest.fail(f"{rel} is missing from the built site")


def test_every_link_resolves_and_nothing_loads_from_outside(site: Path) -> None:
    problems = check_site(site)
    if problems:
        pytest.fail(f"{len(problems)} broken or outside links:\n" + "\n".join(problems))


def test_the_site_has_links_to_check(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    assert all("href=" in p.read_text(encoding="utf-8") for p in pages)


BAD_PAGE = """<!DOCTYPE html>
<html><head>
<link rel="stylesheet" href="https://cdn.example.com/x.css">
<link rel="icon" href="//cdn.example.com/favicon.ico">
<link rel="canonical" href="https://example.org/a/page.html">
<script src="http://cdn.example.com/x.js"></script>
<style>body { background: url("https://cdn.example.com/bg.png") }</style>
</head><body>
<h1 id="top-heading">Page</h1>
<a href="https://example.org/">outside, allowed</a>
<a href="mailto:someone@example.org">mail, allowed</a>
<a href="#top-heading">fine</a>
<a href="#missing">missing id</a>
<a href="other.html#there">fine</a>
<a href="other.html#nowhere">missing id in other page</a>
<a href="nothing.html">missing file</a>
<a href="/a/other.html">absolute path</a>
<a href="sub/">folder</a>
<a href="../../above.html">above the root</a>
<img src="img.png" srcset="img.png 1x, missing@2x.png 2x" alt="">
<svg><a href="#missing-too"><text>x</text></a><path marker-end="url(#arrow)"/></svg>
<p style="background: url(pics/missing.png)">x</p>
</body></html>
"""


def test_the_checker_reports_every_problem(tmp_path: Path) -> None:
    (tmp_path / "a" / "sub").mkdir(parents=True)
    (tmp_path / "a" / "page.html").write_text(BAD_PAGE, encoding="utf-8")
    (tmp_path / "a" / "other.html").write_text('<p id="there">x</p>', encoding="utf-8")
    (tmp_path / "a" / "img.png").write_bytes(b"")
    (tmp_path / "a" / "site.css").write_text(
        "@import 'https://fonts.example.com/f.css';\nb { background: url(img.png) }\n"
        "i { background: url('../../x.png') }\n",
        encoding="utf-8",
    )
    problems = check_site(tmp_path)
    report = "\n".join(problems)
    expected = [
        "a/page.html: <link href> 'https://cdn.example.com/x.css': loads a resource from outside",
        "a/page.html: <link href> '//cdn.example.com/favicon.ico': protocol-relative",
        "a/page.html: <script src> 'http://cdn.example.com/x.js': loads a resource from outside",
        "a/page.html: <style> url() 'https://cdn.example.com/bg.png': loads a resource from outside",
        "a/page.html: <a href> '#missing': no element with id 'missing'",
        "a/page.html: <a href> 'other.html#nowhere': no element with id 'nowhere' in a/other.html",
        "a/page.html: <a href> 'nothing.html': no such file",
        "a/page.html: <a href> '/a/other.html': absolute path",
        "a/page.html: <a href> 'sub/': points to a folder",
        "a/page.html: <a href> '../../above.html': points above the site root",
        "a/page.html: <img srcset> 'missing@2x.png': no such file",
        "a/page.html: <a href> '#missing-too': no element with id 'missing-too'",
        "a/page.html: <path marker-end> url() '#arrow': no element with id 'arrow'",
        "a/page.html: <p style> url() 'pics/missing.png': no such file",
        "a/site.css: CSS url() 'https://fonts.example.com/f.css': loads a resource from outside",
        "a/site.css: CSS url() '../../x.png': points above the site root",
    ]
    for line in expected:
        assert any(p.startswith(line) for p in problems), f"not reported: {line}\n{report}"
    assert len(problems) == len(expected), report
