"""Themes that extend: a site's override changes one partial or one block, and templates
use only the template API (site_builder/rendering/render.py's docstring).

Real builds of the fixture repository with and without an override, compared page by
page: everything but the overridden piece must be byte for byte the same. A scan of the
theme's templates, with Jinja2's own parser, fails when one reaches past the API (for
example ``site.ds.departments[…]``) or uses a name that its pages do not have.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest
from conftest import PROJECT, Git, Repo
from jinja2 import nodes

from site_builder.build import build
from site_builder.reading import defaults, sources
from site_builder.reading.config import load_config
from site_builder.rendering import render
from site_builder.structure.pages import Page, Site

THEME = PROJECT / "templates"
FOOTER = '<footer class="site-footer"><p>主办：肇庆市人民政府办公室</p></footer>\n'
FOOTER_RE = re.compile(r'<footer class="site-footer">.*?</footer>\n', re.DOTALL)


def built(repo: Repo, out: Path) -> tuple[dict[str, bytes], str]:
    result = repo.cli("build", "--out", str(out))
    assert result.exit_code == 0, result.output
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and p.name != ".site-builder-output"
    }
    return files, result.output


def before_and_after(
    repo: Repo, tmp_path: Path, files: dict[str, str]
) -> tuple[dict[str, bytes], dict[str, bytes], str]:
    """The site built with an empty ``theme_overrides`` (site.yaml is in the downloads), then
    with ``files`` in it; and what the second build said."""
    text = (repo.root / "site.yaml").read_text(encoding="utf-8")
    repo.write("site.yaml", text + "theme_overrides: overrides\n")
    (repo.root / "overrides").mkdir()
    before, _ = built(repo, tmp_path / "before")
    for name, source in files.items():
        repo.write(f"overrides/{name}", source)
    after, output = built(repo, tmp_path / "after")
    return before, after, output


def compare(
    before: dict[str, bytes], after: dict[str, bytes], change: Any
) -> tuple[list[str], list[str]]:
    """The pages that ``change`` (old HTML -> expected HTML) does not explain, and those it
    changed; files with the pages' digests (the manifests) are left out."""
    assert sorted(before) == sorted(after)
    wrong, changed = [], []
    for rel, old in before.items():
        if rel in ("SHA256SUMS", "build.json"):
            continue
        expected = change(old.decode("utf-8")).encode("utf-8") if rel.endswith(".html") else old
        if after[rel] != expected:
            wrong.append(rel)
        if after[rel] != old:
            changed.append(rel)
    return wrong, changed


def test_overriding_only_the_footer_changes_only_the_footer(repo: Repo, tmp_path: Path) -> None:
    before, after, _ = before_and_after(repo, tmp_path, {"_footer.html": FOOTER})

    def new_footer(page: str) -> str:
        replaced, n = FOOTER_RE.subn(FOOTER, page)
        assert n == 1, "every page has one footer"
        return replaced

    wrong, changed = compare(before, after, new_footer)
    assert wrong == []
    pages = [rel for rel in before if rel.endswith(".html") and not rel.startswith("assets/")]
    assert sorted(changed) == sorted(pages)  # every page, and nothing else


def test_an_override_extends_the_theme_and_changes_one_block(repo: Repo, tmp_path: Path) -> None:
    # base.html itself is overridden, and still reaches the theme's through "!theme/".
    base = (
        '{% extends "!theme/base.html" %}\n'
        '{% block navigation %}{{ super() }}<p class="notice">试运行版本</p>\n{% endblock %}\n'
    )
    before, after, output = before_and_after(repo, tmp_path, {"base.html": base})
    nav_end = "    </nav>\n  </div>\n</header>\n"
    notice = '    </nav>\n<p class="notice">试运行版本</p>\n  </div>\n</header>\n'

    def new_navigation(page: str) -> str:
        assert page.count(nav_end) == 1
        return page.replace(nav_end, notice)

    wrong, changed = compare(before, after, new_navigation)
    assert wrong == [] and "index.html" in changed
    # The theme's <head>, Content-Security-Policy and all, is what the pages have: no warning.
    assert "Content-Security-Policy" not in output


def test_an_override_of_the_notice_changes_it_on_the_home_page_and_in_every_footer(
    repo: Repo, tmp_path: Path
) -> None:
    before, after, _ = before_and_after(repo, tmp_path, {"_notice.html": "以法律、法规为准。"})
    notice = (PROJECT / "site.yaml").read_text(encoding="utf-8").split("\nnotice: ")[1].strip()
    wrong, _ = compare(before, after, lambda page: page.replace(notice, "以法律、法规为准。"))
    assert wrong == [] and after["index.html"].decode().count("以法律、法规为准。") == 2


def test_the_footer_shows_the_latest_change_and_links_the_editions(
    git: Git, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    built(git.repo, out)
    footer = FOOTER_RE.findall((out / "index.html").read_text(encoding="utf-8"))[0]
    assert "数据版本：提交" in footer and "最近更新 2023-11-15" in footer
    assert "公布版本" not in footer  # no edition yet
    git.tag("edition-2023-1")
    built(git.repo, out)
    footer = FOOTER_RE.findall((out / "index.html").read_text(encoding="utf-8"))[0]
    assert '· <a href="editions/index.html">公布版本</a>' in footer


# --- the template API -------------------------------------------------------------------


def api_problems(source: str, name: str, allowed: set[str]) -> list[str]:
    """What a template uses beyond the API: members of ``site`` outside ``SITE_API``, any
    ``.ds``, and names neither in ``allowed`` nor its own (set, imported, macros)."""
    env = render.environment([THEME], PROJECT)
    tree = env.parse(source, name)
    problems = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if attr == "ds":
            problems.append(f"{name}:{node.lineno}: .ds")
        elif (
            isinstance(node.node, nodes.Name)
            and node.node.name == "site"
            and attr not in render.SITE_API
        ):
            problems.append(f"{name}:{node.lineno}: site.{attr}")
    own = {n.name for n in tree.find_all(nodes.Name) if n.ctx in ("store", "param")}
    own |= {n.target for n in tree.find_all(nodes.Import)}
    own |= {n.name for n in tree.find_all(nodes.Macro)}
    names = jinja2.meta.find_undeclared_variables(tree) - own - allowed - set(env.globals)
    problems += [f"{name}: {n}" for n in sorted(names)]
    return problems


@pytest.fixture
def page_contexts(git: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The names of every template's pages, from a real build with history and editions
    (in this process: one job), and the site they were rendered from."""
    git.tag("edition-2023-1")
    git.repo.power({**yaml_of(git.repo, "zq-a-xk-001"), "name": "改名的许可"})
    git.commit("改名")
    git.tag("edition-2023-2")
    seen: dict[str, Any] = defaultdict(set)
    rendered = render.rendered

    def recording(site: Site, pages: list[Page], env: Any = None) -> Any:
        seen["site"] = site
        for page in pages:
            seen[page.template] |= set(page.context)
        return rendered(site, pages, env)

    monkeypatch.setattr(render, "rendered", recording)
    build(git.repo.root, tmp_path / "site", jobs=1)
    return dict(seen)


def yaml_of(repo: Repo, power_id: str) -> dict[str, Any]:
    path = repo.root / f"data/departments/zq-a/powers/{power_id}.yaml"
    data, _ = sources.parse(path.name, path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_templates_use_only_the_template_api(page_contexts: dict[str, Any]) -> None:
    templates = sorted(p for p in THEME.iterdir() if p.is_file())
    pages = {p.name for p in templates} & page_contexts.keys()
    # Every kind of page was built, so each page template is checked against its own names.
    assert pages >= {"index.html", "power.html", "changes.html", "edition.html", "feed.xml"}
    assert pages >= {"downloads.html", "dictionary.html", "search.html", "withheld.html"}
    problems = []
    for path in templates:
        # Base, partials and macros are used by every page: only the names every page has.
        allowed = set(render.CONTEXT) | page_contexts.get(path.name, set())
        problems += api_problems(path.read_text(encoding="utf-8"), path.name, allowed)
    assert problems == []


def test_the_scan_finds_reaches_past_the_api() -> None:
    source = (
        "{% set x = 1 %}{{ site.ds.departments['a'].data.short_name }}{{ site.trail }}"
        "{{ site['git'] }}{{ power.ds }}{{ secret }}{{ x }}{{ url.home() }}{{ site.powers }}"
    )
    assert sorted(api_problems(source, "t.html", set(render.CONTEXT))) == [
        "t.html: power",
        "t.html: secret",
        "t.html:1: .ds",
        "t.html:1: .ds",
        "t.html:1: site.git",
        "t.html:1: site.trail",
    ]


def test_the_api_is_what_the_site_has_and_the_docstring_says(
    page_contexts: dict[str, Any],
) -> None:
    site = page_contexts["site"]
    assert [name for name in sorted(render.SITE_API) if not hasattr(site, name)] == []
    env = render.environment([THEME], PROJECT)
    assert set(render.context(site)) | {"root", "page_path"} | set(env.globals) >= render.CONTEXT
    assert set(render.CONTEXT) >= set(render.context(site)) | {"url"}
    assert set(env.filters) - set(jinja2.Environment().filters) == render.FILTERS
    doc = render.__doc__ or ""
    undocumented = [
        name
        for name in sorted(render.SITE_API | render.CONTEXT | render.FILTERS)
        if f"``{name}" not in doc
    ]
    assert undocumented == []
    for partial in ("_header.html", "_navigation.html", "_footer.html", "_notice.html"):
        assert f"``{partial}``" in doc and (THEME / partial).is_file()
    blocks = set(re.findall(r"{%-? block (\w+)", (THEME / "base.html").read_text("utf-8")))
    assert blocks == {"title", "description", "head", "body_class", "header", "navigation"} | {
        "breadcrumbs",
        "main",
        "footer",
    }
    assert all(f"``{block}``" in doc for block in blocks)


def test_a_base_that_extends_the_theme_is_checked_for_the_csp_through_the_theme(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``!theme/`` is the tool's theme: the repository's templates/ hold only its changes."""
    shutil.rmtree(repo.root / "templates")
    repo.write("templates/base.html", '{% extends "!theme/base.html" %}\n')
    assert render.check_templates(repo.root, load_config(repo.root)) == []
    tool = tmp_path / "tool"
    shutil.copytree(THEME, tool / "templates")
    theme = tool / "templates/base.html"
    theme.write_text(re.sub(r"<meta http-equiv.*\n", "", theme.read_text("utf-8")), "utf-8")
    monkeypatch.setattr(defaults, "CHECKOUT", tool)
    found = render.check_templates(repo.root, load_config(repo.root))
    assert [(p.path, p.rule) for p in found] == [(str(theme), "csp")]


def test_a_list_without_templates_uses_the_tools_theme_and_overrides_one_partial(
    repo: Repo,
) -> None:
    shutil.rmtree(repo.root / "templates")
    repo.write("templates/_footer.html", "<footer>本地页脚 {{ config.hotline.phone }}</footer>\n")
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    out = repo.root / "public"
    assert (out / "assets/site.css").read_bytes() == (THEME / "static/site.css").read_bytes()
    page = (out / "index.html").read_text("utf-8")
    assert "<footer>本地页脚 12345</footer>" in page
    assert 'http-equiv="Content-Security-Policy"' in page  # the rest is the tool's base.html
