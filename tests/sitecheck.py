"""Shared by the site tests: build the sample site once, the page kinds, and a link checker.

The link checker reads every HTML and CSS file of a built site with the standard
library's ``html.parser`` and reports every problem at once, as ``page: target: reason``.
"""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

from site_builder.build import Checked, build

PROJECT = Path(__file__).resolve().parent.parent

# One page of each kind, relative to the site root.
PAGES = {
    "home": "index.html",
    "jurisdiction": "jurisdictions/duanzhou/index.html",
    "department": "departments/zq-ziran-ziyuan/index.html",
    "gazette": "departments/zq-ziran-ziyuan/gazette.html",
    "power": "powers/zq-ziran-ziyuan-xk-001.html",
    "power-index": "powers/index.html",
    "category": "categories/xk.html",
    "law-index": "laws/index.html",
    "law": "laws/chengxiang-guihua-fa.html",
    "withheld": "withheld.html",
    "search": "search/index.html",
    "changes": "changes/index.html",
    "editions": "editions/index.html",
    "downloads": "downloads/index.html",
    "dictionary": "downloads/dictionary.html",
}

# The sub-path a mirror serves the site from, in the browser tests.
MIRROR = "mirrors/zhaoqing"


@dataclass(frozen=True)
class Sample:
    """The bundled sample repository copied into a temporary folder, and its built site."""

    root: Path  # the copy of the repository
    serve: Path  # the folder a web server serves; the site is at MIRROR below it
    site: Path  # the built site
    checked: Checked  # its dataset and problems


def build_sample(tmp: Path) -> Sample:
    """Copy the bundled sample repository into ``tmp`` as a git repository with some history, and build it into ``tmp/serve/MIRROR``."""
    root = tmp / "sample"
    root.mkdir()
    for name in ("schema", "templates", "data"):
        shutil.copytree(PROJECT / name, root / name)
    shutil.copy(PROJECT / "site.yaml", root / "site.yaml")
    _history(root)
    serve = tmp / "serve"
    site = serve / MIRROR
    return Sample(root, serve, site, build(root, site))


def _history(root: Path) -> None:
    """An initial commit, a tagged edition, and a merged pull request that changes a power."""
    import pygit2

    repo = pygit2.init_repository(str(root), initial_head="main")

    def commit(
        message: str, parents: list[pygit2.Oid], when: int, ref: str | None = "HEAD"
    ) -> pygit2.Oid:
        repo.index.add_all()
        repo.index.write()
        who = pygit2.Signature("市自然资源局", "zrzy@example.org", when, 480)
        return repo.create_commit(ref, who, who, message, repo.index.write_tree(), parents)

    first = commit("初始版本", [], 1_700_000_000)
    repo.references.create("refs/tags/edition-2023-1", first)
    power = root / "data/departments/zq-ziran-ziyuan/powers/zq-ziran-ziyuan-xk-001.yaml"
    power.write_text(
        power.read_text(encoding="utf-8").replace("  value: 10\n", "  value: 8\n", 1),
        encoding="utf-8",
    )
    branch = commit("缩短承诺时限", [first], 1_700_100_000, ref=None)
    commit(
        "Merge pull request #1 from zrzy/limit\n\n缩短建设用地规划许可的承诺时限",
        [first, branch],
        1_700_200_000,
    )


# Link relations that only name another document; every other relation may load it.
NAVIGATION_RELS = {
    "alternate",
    "author",
    "bookmark",
    "canonical",
    "external",
    "help",
    "license",
    "me",
    "next",
    "nofollow",
    "noopener",
    "noreferrer",
    "prev",
    "search",
    "tag",
}
# Schemes an <a href> may use to leave the site.
NAVIGATION_SCHEMES = {"http", "https", "mailto", "tel"}
URL_ATTRIBUTES = {"href", "xlink:href", "src", "poster", "data", "action", "formaction", "cite"}
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)|@import\s+(['"])(.*?)\3""", re.IGNORECASE)


@dataclass
class Reference:
    """One URL in a page: where it appears (``<a href>``, ``CSS url()``…) and its text."""

    where: str
    url: str
    navigation: bool  # following it is the reader's choice, not a load


@dataclass
class Page:
    """What the link checker needs of one HTML file: its ids and its references."""

    ids: set[str] = field(default_factory=set)
    references: list[Reference] = field(default_factory=list)


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if "id" in values:
            self.page.ids.add(values["id"])
        if tag == "a" and "name" in values:
            self.page.ids.add(values["name"])
        if tag == "style":
            self._in_style = True
        rels = set(values.get("rel", "").lower().split())
        for name, value in values.items():
            if name in URL_ATTRIBUTES:
                navigation = (tag in ("a", "area") and name in ("href", "xlink:href")) or (
                    tag == "link" and bool(rels) and rels <= NAVIGATION_RELS
                )
                self.page.references.append(Reference(f"<{tag} {name}>", value, navigation))
            elif name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    if candidate.strip():
                        url = candidate.split()[0]
                        self.page.references.append(Reference(f"<{tag} {name}>", url, False))
            elif "url(" in value.lower():  # style="…", fill="url(#…)", marker-end="url(#…)"
                for url in css_urls(value):
                    self.page.references.append(Reference(f"<{tag} {name}> url()", url, False))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            for url in css_urls(data):
                self.page.references.append(Reference("<style> url()", url, False))


def css_urls(text: str) -> list[str]:
    return [m.group(2) if m.group(2) is not None else m.group(4) for m in CSS_URL.finditer(text)]


def parse_page(path: Path) -> Page:
    parser = PageParser()
    parser.feed(path.read_text(encoding="utf-8"))
    parser.close()
    return parser.page


def check_site(site: Path) -> list[str]:
    """Return every broken or outside reference of the site at ``site``, as ``page: where target: reason``."""
    pages = {p.relative_to(site).as_posix(): parse_page(p) for p in sorted(site.rglob("*.html"))}
    sheets = {
        p.relative_to(site).as_posix(): [
            Reference("CSS url()", u, False) for u in css_urls(p.read_text(encoding="utf-8"))
        ]
        for p in sorted(site.rglob("*.css"))
    }
    found: list[str] = []
    for rel, refs in [*((rel, page.references) for rel, page in pages.items()), *sheets.items()]:
        for ref in refs:
            problem = check_reference(site, pages, rel, ref)
            if problem:
                found.append(f"{rel}: {ref.where} {ref.url!r}: {problem}")
    return found


def check_reference(site: Path, pages: dict[str, Page], rel: str, ref: Reference) -> str | None:
    """Return why ``ref`` in the file ``rel`` is wrong, or None when it is fine."""
    url = ref.url.strip()
    parts = urlsplit(url)
    if parts.scheme == "data" and not ref.navigation:
        return None  # inline, loads nothing
    if url.startswith("//"):
        return "protocol-relative URL: outside the site, and broken under file://"
    if parts.scheme:
        if ref.navigation and parts.scheme in NAVIGATION_SCHEMES:
            return None  # a link to another site
        if parts.scheme in ("http", "https"):
            return "loads a resource from outside the site"
        return f"scheme {parts.scheme}: is not allowed here"
    if url.startswith("/"):
        return "absolute path: the site must work from any sub-path; link relatively"
    if not parts.path:  # "", "#frag" or "?query": this page
        target = rel
    else:
        if _escapes(rel, parts.path):
            return "points above the site root"
        target = unquote(urlsplit(urljoin(f"http://site.invalid/{rel}", parts.path)).path)[1:]
        path = site / target
        if target.endswith("/") or path.is_dir():
            return "points to a folder: link to its index.html so the site works from file://"
        if not path.is_file():
            return "no such file in the site"
    fragment = unquote(parts.fragment)
    if fragment and fragment != "top" and target in pages and fragment not in pages[target].ids:
        return f"no element with id {fragment!r} in {target}"
    return None


def _escapes(rel: str, path: str) -> bool:
    """Whether the relative ``path``, followed from the file ``rel``, climbs above the site root."""
    depth = len(PurePosixPath(rel).parts) - 1
    for part in PurePosixPath(path).parts:
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in (".", ""):
            depth += 1
    return False


def every_file(site: Path) -> dict[str, bytes]:
    """Every file of a built site, and every member of its zips (the workbook too),
    recursively, as ``path`` or ``path!member``: all the bytes a reader can get at."""
    return {
        name: data
        for path in sorted(site.rglob("*"))
        if path.is_file()
        for name, data in _unpacked(path.relative_to(site).as_posix(), path.read_bytes())
    }


def _unpacked(rel: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    yield rel, data
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from _unpacked(f"{rel}!{member}", archive.read(member))
