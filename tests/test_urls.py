"""site_builder/structure/urls.py is the only maker of output paths and links.

A source scan fails when a path of the site's layout (``powers/…html``, ``"laws/"``,
``data/…json``) is written anywhere else: in site_builder/*.py, in the templates or in
the scripts. search.js is the one exception, held to urls.py by a test of its own. The
links that no HTML page holds (the feeds, the header's search form, the search results
that search.js makes) are checked against the built sample site here; test_links.py
checks those of the HTML pages and stylesheets.
"""

from __future__ import annotations

import ast
import html as html_module
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path, PurePosixPath

import pytest
from sitecheck import PROJECT, build_sample

from site_builder.structure import urls

# The folders of the built site (the repository's own data/, schema/ are other paths).
FOLDERS = (
    "powers|departments|categories|editions|laws|jurisdictions|changes|downloads|search|assets"
)
OUTPUT = r"html|xml|json|csv|zip|xlsx|js|css"
# A folder of the site followed by a file name of the site: ``powers/{{ p.id }}.html``,
# ``{DATA}/powers/{pid}.json``, ``data/changes.csv``.
PATH = re.compile(
    rf"(?<![\w.-])(?:{FOLDERS}|data)/[^\s\"'<>]*?(?:\{{[^}}]*\}}[^\s\"'<>]*?)*\.(?:{OUTPUT})\b"
)
# A folder of the site ending a quoted piece: ``"departments/" ~ id``, ``"powers/" + r.id``.
PIECE = re.compile(rf"[\"'](?:{FOLDERS}|data)/[\"']")
# In Python: a string that is a folder of the site (``"laws/"``), or starts one and goes
# on in an f-string's value (``f"powers/{pid}"``). Not ``data/``: the repository has one too.
PY_PIECE = re.compile(rf"^(?:{FOLDERS})/(?:$|\{{)")


def python_strings(source: str) -> list[tuple[int, str]]:
    """The string literals of a module as written (f-strings with their ``{…}``), without
    its docstrings: (line, text)."""
    tree = ast.parse(source)
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    found: list[tuple[int, str]] = []
    inside_fstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            inside_fstrings |= {id(v) for v in node.values}
            text = "".join(
                v.value if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"
                for v in node.values
                if isinstance(v, ast.Constant | ast.FormattedValue)
            )
            found.append((node.lineno, text))
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and id(node) not in inside_fstrings
        ):
            found.append((node.lineno, node.value))
    return found


def python_paths(source: str) -> list[str]:
    """The output paths written by hand in a module: ``line: text``."""
    return [
        f"{line}: {text!r}"
        for line, text in python_strings(source)
        if PATH.search(text) or PY_PIECE.match(text)
    ]


def text_paths(source: str, script: bool = False) -> list[str]:
    """The output paths written by hand in a template or a script: ``line: text``.
    Comments are left out: Jinja's, and in a ``script`` those that start with ``//``."""
    source = re.sub(r"\{#.*?#\}", lambda m: "\n" * m.group().count("\n"), source, flags=re.S)
    found = []
    for number, text in enumerate(source.splitlines(), 1):
        line = re.sub(r"(^|\s)//.*", "", text) if script else text
        found += [f"{number}: {m.group()}" for m in PATH.finditer(line)]
        found += [f"{number}: {m.group()}" for m in PIECE.finditer(line)]
    return found


SEARCH_JS = PROJECT / "templates" / "static" / "search.js"
# search.js links its results by itself (changing it would change the published
# assets/search.js); test_search_js_links_as_urls_does holds it to urls.py.
SEARCH_JS_LINK = '"powers/"'


def sources() -> list[Path]:
    package = sorted((PROJECT / "site_builder").rglob("*.py"))
    templates = sorted(
        p
        for p in (PROJECT / "templates").rglob("*")
        if p.is_file() and p.suffix in (".html", ".xml", ".js")
    )
    return [p for p in package if p.name != "urls.py"] + templates


@pytest.mark.parametrize("path", sources(), ids=lambda p: p.relative_to(PROJECT).as_posix())
def test_no_output_path_is_written_outside_urls(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        found = python_paths(source)
    else:
        found = text_paths(source, script=path.suffix == ".js")
        if path == SEARCH_JS:
            found = [f for f in found if not f.endswith(SEARCH_JS_LINK)]
    assert not found, (
        f"{path.relative_to(PROJECT)} writes paths of the site by hand; "
        "make them with site_builder/structure/urls.py (url.… in templates):\n" + "\n".join(found)
    )


def test_the_scan_finds_paths_written_by_hand() -> None:
    python = '''
"""Docstrings may name ``powers/<id>.html`` and powers/{id}.html."""
a = f"powers/{p.id}.html"
b = f"{DATA}/departments/{dept.id}.json"
c = "laws/"
d = f"categories/{slug}"
e = "data/changes.csv"
f = "data/departments/x/powers/y.yaml"  # a repository path: allowed
g = "index.html"  # a template's name: allowed
h = path.startswith("data/")  # the repository's data/ too: allowed
'''
    found = python_paths(python)
    assert sorted(f.split(":")[0] for f in found) == ["3", "4", "5", "6", "7"], found
    template = """{# a comment may say powers/{{ p.id }}.html #}
<a href="{{ root }}powers/{{ p.id }}.html">
{{ m.breadcrumbs([(d.name, "departments/" ~ d.id ~ "/index.html")], root) }}
<a href="{{ root }}{{ url.power(p.id) }}">
<link href="{{ root }}assets/site.css">
<a href="{{ slug }}/data/powers.json">
"""
    found = text_paths(template)
    assert sorted({f.split(":")[0] for f in found}) == ["2", "3", "5", "6"], found
    script = """// a comment may say "powers/" + id + ".html"
a.href = root + "powers/" + r.id + ".html";
script.src = shard.file;  // relative to search/index.html
var next = "search/index.html";
"""
    found = text_paths(script, script=True)
    assert sorted({f.split(":")[0] for f in found}) == ["2", "4"], found


def test_search_js_links_as_urls_does() -> None:
    """search.js's one hard-coded link, and its way back to the root, are urls.py's."""
    source = SEARCH_JS.read_text(encoding="utf-8")
    link = re.findall(r'a\.href = root \+ "([^"]*)" \+ r\.id \+ "([^"]*)";', source)
    back = re.findall(r'var root = "([^"]*)";', source)
    assert len(link) == 1 and len(back) == 1, "search.js no longer links results as expected"
    (prefix, suffix), (root,) = link[0], back
    assert prefix + "X" + suffix == urls.power("X")
    assert root == urls.root(urls.search())
    assert source.count(SEARCH_JS_LINK) == 1


# --- the links that no HTML page holds, in the built sample site ---------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample(tmp_path_factory.mktemp("urls")).site


def resolves(site: Path, page: str, href: str) -> bool:
    target = PurePosixPath(page).parent / href.split("#")[0]
    parts: list[str] = []
    for part in target.parts:
        if part == "..":
            if not parts:
                return False
            parts.pop()
        elif part != ".":
            parts.append(part)
    return (site / "/".join(parts)).is_file()


ATOM = "{http://www.w3.org/2005/Atom}"


def test_every_feed_link_resolves(site: Path) -> None:
    feeds = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.xml"))
    assert urls.changes_feed() in feeds and len(feeds) > 2
    broken, checked = [], 0
    for feed in feeds:
        doc = ET.parse(site / feed).getroot()
        base = doc.get("{http://www.w3.org/XML/1998/namespace}base")
        if base is not None:  # the feed's own folder, on the site's base URL
            assert base.endswith("/" + urls.folder(feed)), (feed, base)
        for link in doc.iter(f"{ATOM}link"):
            checked += 1
            if not resolves(site, feed, link.get("href", "")):
                broken.append(f"{feed}: {link.get('href')}")
    assert checked > len(feeds) * 2
    assert not broken, "\n".join(broken)


def test_every_search_form_leads_to_the_search_page(site: Path) -> None:
    broken = []
    pages = sorted(site.rglob("*.html"))
    for page in pages:
        rel = page.relative_to(site).as_posix()
        for href in re.findall(r'data-search-action="([^"]*)"', page.read_text(encoding="utf-8")):
            if not resolves(site, rel, href) or not href.endswith(urls.search()):
                broken.append(f"{rel}: {href}")
    assert not broken, "\n".join(broken)


def test_every_search_result_links_to_a_page(site: Path) -> None:
    """The index files the search page loads exist, and every result search.js can show
    links (as search.js makes the link) to a built page."""
    page = urls.search()
    html = (site / page).read_text(encoding="utf-8")
    raw = re.search(r'data-search-manifest="([^"]*)"', html)
    assert raw is not None
    manifest = json.loads(html_module.unescape(raw.group(1)))
    source = SEARCH_JS.read_text(encoding="utf-8")
    ((prefix, suffix),) = re.findall(r'a\.href = root \+ "([^"]*)" \+ r\.id \+ "([^"]*)";', source)
    (back,) = re.findall(r'var root = "([^"]*)";', source)
    rows = 0
    for shard in manifest["shards"]:
        assert resolves(site, page, shard["file"]), shard
        script = (PurePosixPath(page).parent / shard["file"]).as_posix()
        text = (site / script).read_text(encoding="utf-8")
        literal = text[text.index("JSON.parse('") + 12 : text.rindex("');")]
        payload = json.loads(re.sub(r"\\(.)", lambda m: m.group(1), literal))
        for row in payload["rows"]:
            rows += 1
            href = back + prefix + row[0] + suffix
            assert resolves(site, page, href), f"search result {row[0]}: {href}"
    assert rows > 10
