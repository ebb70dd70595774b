"""Hostile content: markup, scripts, hostile URLs, CSS and endless words in every free-text field stay inert text.

A real git repository holds a department, a law, a standard flow and powers whose every
free-text field (found from the JSON Schemas) carries HTML, ``<script>``, event handlers,
``javascript:`` and ``data:`` URLs (in Markdown links and images too), SVG and CSS payloads
and a 5,000-character word. The real builder builds it; every page that shows any of it is
then loaded in headless Chromium, where nothing may run, load, navigate or break the layout.

Every page also carries the site's Content-Security-Policy, and no page holds inline script.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from browsing import Opener, Visit, chromium, horizontal_overflow, opener, search_for, serve
from conftest import PROJECT, Git, make_repo
from playwright.sync_api import Browser, Dialog, Frame, Page

from site_builder.build import build
from site_builder.rendering import markup

# The policy base.html sets; the tests below check that Chromium enforces it.
CSP = "default-src 'none'; script-src 'self'; style-src 'self'; form-action 'self'; base-uri 'none'"

MARKER = "XSS"
# One word: no space, no punctuation, nothing a browser may break a line at.
LONG_WORD = ("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" * 81)[:5000]


def hostile(where: str) -> str:
    """A value that tries every trick; each script it could run calls alert() with the marker and ``where``."""
    m = f"{MARKER}:{where}"
    call = f"alert('{m}')"
    return " ".join(
        [
            f"{where}",
            # Markdown first: raw HTML after it must not hide the links from the Markdown parser
            f"[link]( javascript:{call} )",
            f"[link2](javascript:{call})",
            f"[vb](vbscript:msgbox('{m}'))",
            f"![image](data:image/svg+xml,%3Csvg%20onload%3D{quote(call)}%3E)",
            f"[data link](data:text/html,%3Cscript%3E{quote(call)}%3C/script%3E)",
            f"<javascript:{call}>",
            f"<script>{call}</script>",
            f"<img src=x onerror={call}>",
            f"<svg onload={call}><circle r=5 /></svg>",
            f'<a href="javascript:{call}">anchor</a>',
            f'<a href="jav&#x09;ascript:{call}">tabbed</a>',
            f'<iframe src="data:text/html,<script>{call}</script>"></iframe>',
            f"</style><style>body{{background:url(javascript:{call})}}</style>",
            f"<p style=\"width:expression({call});background:url('javascript:{call}')\">css</p>",
            f"\"' onmouseover={call} x='",
            f"]]></text></title></desc></svg><script>{call}</script>",
            f"{{{{ 7*7 }}}} ${{{call}}}",
            LONG_WORD,
        ]
    )


def _h(record: dict[str, Any], prefix: str) -> dict[str, Any]:
    """Replace every string "?" in ``record`` with a hostile value naming its place."""

    def walk(value: Any, where: str) -> Any:
        if value == "?":
            return hostile(where)
        if isinstance(value, dict):
            return {k: walk(v, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{where}.{i}") for i, v in enumerate(value)]
        return value

    result: dict[str, Any] = walk(record, prefix)
    return result


DEPARTMENT = _h(
    {
        "id": "zq-x",
        "name": "?",
        "short_name": "?",
        "aliases": ["?"],
        "jurisdiction": "zhaoqing",
        "kind": "政府工作部门",
        "address": "?",
        "phone": "0758-1234567",
        "office_hours": "?",
        "website": "https://example.org/?q=%22%3E%3Cscript%3E",
        "complaint_channels": [
            {"name": "?", "address": "?", "url": "https://example.org/x", "phone": "12345"}
        ],
        "maintainers": [{"name": "?", "github": "zq-x"}],
        "reviewers": [{"name": "?"}],
        "sources": [{"title": "?", "note": "?", "url": "https://example.org/s"}],
        "remark": "?",
    },
    "department",
)

LAW = _h(
    {
        "id": "hostile-law",
        "title": "?",
        "short_title": "?",
        "kind": "法律",
        "issuer": "?",
        "doc_number": "?",
        "status": "现行有效",
        "url": "https://example.org/law",
        "note": "?",
    },
    "law",
)

FLOW = _h(
    {
        "id": "hostile-flow",
        "name": "?",
        "category": "?",
        "description": "?",
        "basis": ["?"],
        "steps": [
            {
                "id": "a",
                "name": "?",
                "unit": "?",
                "time_limit": {"value": 5, "unit": "工作日", "note": "?"},
                "description": "?",
                "outputs": ["?"],
                "branches": [{"label": "?", "to": "b"}, {"label": "?", "outcome": "?"}],
            },
            {"id": "b", "name": "?", "unit": "?", "description": "?"},
        ],
    },
    "flow",
)

# The licence carries every free-text field a power may have but the category-specific ones.
POWER = _h(
    {
        "id": "zq-x-xk-001",
        "code": "?",
        "name": "?",
        "subitem": "?",
        "aliases": ["?"],
        "category": "行政许可",
        "content": "?",
        "handling_unit": "?",
        "co_implementers": ["?"],
        "power_source": "法定本级行使",
        "target": ["?"],
        "legal_basis": [
            {"kind": "法律", "law": "hostile-law", "article": "?", "text": "?"},
            {"kind": "法律", "title": "?", "doc_number": "?", "article": "?", "text": "?"},
        ],
        "statutory_time_limit": {"value": 20, "unit": "工作日", "note": "?"},
        "committed_time_limit": {"value": 10, "unit": "工作日", "note": "?"},
        "fees": [{"item": "?", "standard": "?", "basis": "?", "note": "?"}],
        "flow": {
            "ref": "hostile-flow",
            "steps": [
                {
                    "id": "c",
                    "name": "?",
                    "unit": "?",
                    "after": "a",
                    "time_limit": {"value": 1, "unit": "工作日", "note": "?"},
                    "description": "?",
                    "outputs": ["?"],
                    "branches": [{"label": "?", "to": "b"}, {"label": "?", "outcome": "?"}],
                },
                {"id": "a", "next": "c"},
            ],
            "note": "?",
        },
        "responsibilities": [{"step": "a", "duty": "?"}, {"duty": "?"}],
        "accountability": ["?"],
        "accountability_basis": ["?"],
        "integrity_risks": [{"step": "c", "risk": "?", "level": "高", "measures": ["?"]}],
        "related_departments": [
            {"department": "zq-a", "relation": "前置", "matter": "?"},
            {"name": "?", "relation": "后置", "matter": "?"},
        ],
        "subordinate_departments": [{"name": "?", "duties": ["受理"]}],
        "service_guide": {
            "conditions": ["?"],
            "materials": [{"name": "?", "copies": "?", "note": "?"}],
            "place": "?",
            "hours": "?",
            "phone": "0758-1234567",
            "online_url": "https://example.org/apply?x=%22%3E%3Cscript%3E",
        },
        "supervision": {
            "phone": "12345",
            "channels": [
                {"name": "?", "address": "?", "url": "https://example.org/c", "email": "a@b.c"}
            ],
        },
        "remedies": [{"kind": "行政复议", "body": "?", "deadline": "?"}],
        "adjustment": {"action": "委托", "target": "?", "reason": "?", "doc_number": "?"},
        "disclosure": {"public": True},
        "status": "在用",
        "effective_from": "2020-01-01",
        "sources": [{"title": "?", "note": "?", "url": "https://example.org/s"}],
        "remark": "?",
    },
    "power",
)

PENALTY = _h(
    {
        "id": "zq-x-cf-001",
        "name": "?",
        "category": "行政处罚",
        "content": "?",
        "legal_basis": [{"kind": "法律", "law": "hostile-law", "article": "?"}],
        "penalty": {"violation": "?", "types": ["警告"]},
        "flow": {"ref": "hostile-flow"},
        "discretion": [
            {
                "violation": "?",
                "basis": "?",
                "tiers": [{"level": "?", "circumstances": ["?"], "standard": "?"}],
                "remark": "?",
            }
        ],
        "disclosure": {"public": True},
        "status": "在用",
    },
    "penalty",
)

COERCION = _h(
    {
        "id": "zq-x-qz-001",
        "name": "?",
        "category": "行政强制",
        "content": "?",
        "legal_basis": [{"kind": "法律", "law": "hostile-law", "article": "?"}],
        "coercion": {
            "target": "?",
            "measures": ["?"],
            "duration": {"value": 30, "unit": "自然日", "note": "?"},
        },
        "disclosure": {"public": True},
        "status": "在用",
    },
    "coercion",
)

LEVY = _h(
    {
        "id": "zq-x-zs-001",
        "name": "?",
        "category": "行政征收",
        "content": "?",
        "legal_basis": [{"kind": "法律", "law": "hostile-law", "article": "?"}],
        "levy": {"item": "?", "standard": "?"},
        "disclosure": {"public": True},
        "status": "在用",
    },
    "levy",
)

WITHHELD = _h(
    {
        "id": "zq-x-jc-001",
        "code": "?",
        "name": "?",
        "category": "行政检查",
        "content": "?",
        "legal_basis": [{"kind": "法律", "law": "hostile-law", "article": "?"}],
        "disclosure": {"public": False, "reason": "?", "basis": "?", "filed": "2021-06-30"},
        "status": "在用",
    },
    "withheld",
)

POWERS = [POWER, PENALTY, COERCION, LEVY, WITHHELD]
# git allows no angle brackets in a name.
AUTHOR = f"\"' onmouseover=alert('{MARKER}:author') x=' &amp; {LONG_WORD}"


def test_every_free_text_field_of_the_schemas_is_hostile() -> None:
    """The records above cover every free-text field the schemas define: a new field must be added here."""
    records = {
        "power": POWERS,
        "department": [DEPARTMENT],
        "law": [LAW],
        "flow": [FLOW],
    }
    missing = []
    for kind, values in records.items():
        found = {path for record in values for path in _hostile_paths(record)}
        for path in free_text_fields(kind):
            if path not in found:
                missing.append(f"{kind}: {path}")
    assert not missing, "free-text fields without a hostile value:\n" + "\n".join(missing)


def _hostile_paths(value: Any, path: str = "") -> Iterator[str]:
    """The schema paths (``a.b[].c``) of ``value``'s hostile strings."""
    if isinstance(value, str) and MARKER in value:
        yield path
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _hostile_paths(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for v in value:
            yield from _hostile_paths(v, f"{path}[]")


def free_text_fields(kind: str) -> list[str]:
    """The paths of the string fields of ``schema/<kind>.schema.json`` that take any text (no enum, pattern or format)."""
    folder = PROJECT / "schema"

    def load(name: str) -> Any:
        return json.loads((folder / name).read_text(encoding="utf-8"))

    out: list[str] = []

    def walk(schema: Any, doc: Any, path: str, seen: frozenset[str]) -> None:
        if not isinstance(schema, dict):
            return
        if "$ref" in schema and schema["$ref"] not in seen:
            name, _, pointer = schema["$ref"].partition("#")
            target_doc = load(name) if name else doc
            target = target_doc
            for part in pointer.strip("/").split("/") if pointer.strip("/") else []:
                target = target[part]
            walk(target, target_doc, path, seen | {schema["$ref"]})
        for key in ("allOf", "anyOf", "oneOf"):
            for sub in schema.get(key, []):
                walk(sub, doc, path, seen)
        for name, sub in schema.get("properties", {}).items():
            walk(sub, doc, f"{path}.{name}" if path else name, seen)
        if "items" in schema:
            walk(schema["items"], doc, f"{path}[]", seen)
        types = schema.get("type")
        if (types == "string" or (isinstance(types, list) and "string" in types)) and not (
            {"enum", "const", "pattern", "format"} & schema.keys()
        ):
            out.append(path)

    doc = load(f"{kind}.schema.json")
    walk(doc, doc, "", frozenset())
    return sorted(set(out))


def test_markdown_of_hostile_text_is_inert() -> None:
    """markup.to_html keeps no raw HTML, handler, style or script URL (the browser tests show the rest)."""
    html = markup.to_html(hostile("md") + "\n\n[ref][r]\n\n[r]: javascript:alert(1)\n")
    finder = InlineFinder()
    finder.feed(html)
    assert not finder.problems, finder.problems
    tags = set(re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", html))
    assert tags <= {"p", "a"}, tags
    assert re.findall(r'href="([^"]*)"', html) == []
    assert f"{MARKER}:md" in html and LONG_WORD in html  # the text itself stays


# --- the built site ---------------------------------------------------------------

MIRROR = "mirrors/hostile"


@dataclass(frozen=True)
class Hostile:
    """The hostile repository's built site, served from ``serve`` at MIRROR, and a control copy."""

    serve: Path
    site: Path
    control: (
        Path  # the hostile power's page with a script injected on purpose, beside a copy of assets/
    )


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Hostile:
    """Build the hostile records, committed to git and changed by a merged pull request, with a tagged edition."""
    tmp = tmp_path_factory.mktemp("hostile")
    repo = make_repo(tmp / "repo")
    repo.department(DEPARTMENT)
    repo.law(LAW)
    repo.write(f"data/flows/{FLOW['id']}.yaml", FLOW)
    for power in POWERS:
        repo.power(power, department="zq-x")
    git = Git(repo)
    git.commit(hostile("first-commit"), author=AUTHOR)
    git.tag("edition-2024-1")

    def change() -> None:  # the trail shows old and new values of short fields
        repo.power(
            POWER,
            department="zq-x",
            name=hostile("power.name.new"),
            subitem=hostile("power.subitem.new"),
            content=hostile("power.content.new"),
        )

    git.pull_request(7, hostile("pull-request"), change, author=AUTHOR)
    served = tmp / "serve"
    site = served / MIRROR
    checked = build(repo.root, site)
    assert not [p for p in checked.problems if p.severity == "error"], checked.problems
    control = served / "control"
    shutil.copytree(site / "assets", control / "assets")
    page = (site / f"powers/{POWER['id']}.html").read_text(encoding="utf-8")
    (control / "powers").mkdir()
    (control / "powers/control.html").write_text(
        page.replace("</h1>", f"</h1>{CONTROL_INJECTION}", 1), encoding="utf-8"
    )
    return Hostile(served, site, control)


# What the control page injects, as an escaping bug would.
CONTROL_INJECTION = (
    f"<script>alert('{MARKER}:control-inline')</script>"
    f"<img src=x onerror=\"alert('{MARKER}:control-handler')\">"
    f"<a id=control-link href=\"javascript:alert('{MARKER}:control-link')\">control</a>"
)


def html_pages(site: Path) -> dict[str, str]:
    return {
        p.relative_to(site).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(site.rglob("*.html"))
    }


def affected_pages(site: Path) -> list[str]:
    """Every page that shows any hostile text."""
    return [rel for rel, text in html_pages(site).items() if MARKER in text]


# --- every page: the policy, and nothing inline ---------------------------------------------


class InlineFinder(HTMLParser):
    """Find the CSP meta tag and anything a strict policy would block or that could run."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.policies: list[str] = []
        self.problems: list[str] = []
        self.in_head = False
        self.before_policy: list[str] = []  # head elements before the policy
        self.script: str | None = None  # the script element being read, if any

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "head":
            self.in_head = True
        if tag == "meta" and values.get("http-equiv", "").lower() == "content-security-policy":
            if not self.in_head:
                self.problems.append("the Content-Security-Policy meta tag is outside <head>")
            self.policies.append(values.get("content", ""))
        elif self.in_head and not self.policies and tag != "head":
            self.before_policy.append("meta charset" if "charset" in values else tag)
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>: an inline event handler")
            if name == "style":
                self.problems.append(f"<{tag} style>: an inline style")
            squeezed = re.sub(r"[\x00-\x20]", "", value).lower()
            if squeezed.startswith(("javascript:", "vbscript:", "data:")):
                self.problems.append(f"<{tag} {name}={value[:40]!r}>: a script or data URL")
        if tag == "script":
            if "src" not in values:
                self.problems.append("<script> without src: an inline script")
            self.script = tag
        if tag in ("style", "iframe", "object", "embed", "base"):
            self.problems.append(f"<{tag}>: not allowed")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "script":
            self.script = None

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.in_head = False
        if tag == "script":
            self.script = None

    def handle_data(self, data: str) -> None:
        if self.script is not None and data.strip():
            self.problems.append(f"<script> with inline content: {data.strip()[:40]!r}")


def inline_problems(text: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(text)
    finder.close()
    problems = list(finder.problems)
    if finder.policies != [CSP]:
        problems.append(f"expected one Content-Security-Policy {CSP!r}, found {finder.policies}")
    if finder.before_policy != ["meta charset"]:
        problems.append(
            f"the policy must follow <meta charset> at once, not {finder.before_policy}"
        )
    return problems


def test_every_page_has_the_policy_and_nothing_inline(hostile_site: Hostile) -> None:
    pages = html_pages(hostile_site.site)
    assert len(pages) > 30 and "search/index.html" in pages and "kiosk.html" in pages
    found = [f"{rel}: {p}" for rel, text in pages.items() for p in inline_problems(text)]
    assert not found, "\n".join(found)


def test_the_inline_check_can_fail(hostile_site: Hostile) -> None:
    control = (hostile_site.control / "powers/control.html").read_text(encoding="utf-8")
    assert inline_problems(control) == [
        "<script> without src: an inline script",
        f"<script> with inline content: \"alert('{MARKER}:control-inline')\"",
        "<img onerror>: an inline event handler",
        f"<a href={('javascript:alert(' + repr(MARKER + ':control-link') + ')')[:40]!r}>: a script or data URL",
    ]
    assert inline_problems(control.replace(CSP, CSP.replace("'self'", "*"), 1))[-1].startswith(
        "expected one Content-Security-Policy"
    )


def test_feeds_stay_well_formed_xml(hostile_site: Hostile) -> None:
    import xml.etree.ElementTree as ET

    atom = "{http://www.w3.org/2005/Atom}"
    script = f"<script>alert('{MARKER}:pull-request')</script>"
    feeds = sorted(hostile_site.site.rglob("*.xml"))
    assert feeds
    for feed in feeds:
        root = ET.parse(feed).getroot()  # raises on markup that broke out of its element
        strays = {e.tag for e in root.iter() if not e.tag.startswith(atom)}
        assert not strays, f"{feed}: elements outside Atom: {strays}"
    # The hostile pull request's title reaches the site's and its department's feeds as text.
    for rel in ("changes/feed.xml", f"departments/{DEPARTMENT['id']}/feed.xml"):
        root = ET.parse(hostile_site.site / rel).getroot()
        summaries = ["".join(e.itertext()) for e in root.iter(atom + "summary")]
        assert any(script in text for text in summaries), f"{rel}: the hostile title is not text"


# --- in the browser ------------------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(hostile_site: Hostile) -> Iterator[str]:
    with serve(hostile_site.serve) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def open_page(browser: Browser, base_url: str) -> Iterator[Opener]:
    with opener(browser, f"{base_url}{MIRROR}/") as open_:
        yield open_


# Runs before any script of the page: anything that runs and calls alert(), confirm(),
# prompt() or console.* with the marker, and every CSP violation, is reported to Python.
HOOKS = """(() => {
  const report = (kind, detail) => window.__hostileReport(kind, String(detail));
  for (const name of ['alert', 'confirm', 'prompt']) {
    window[name] = (...args) => { report(name, args.join(' ')); return null; };
  }
  for (const name of ['log', 'info', 'warn', 'error', 'debug', 'trace', 'dir', 'table']) {
    const original = console[name];
    console[name] = (...args) => {
      if (args.some((a) => String(a).includes('MARKER'))) report('console.' + name, args.join(' '));
      return original.apply(console, args);
    };
  }
  window.addEventListener('securitypolicyviolation', (e) => report(
    'CSP violation',
    `${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} (${e.sample}) at ${e.sourceFile}:${e.lineNumber}`
  ), true);
})();""".replace("MARKER", MARKER)

# Anything in the document that could run, load or style: only the site's own files may.
DOM_CHECK = """() => {
  const bad = [];
  const show = (el) => el.outerHTML.slice(0, 100);
  const urls = new Set(['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'poster', 'srcdoc']);
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.attributes) {
      const v = a.value.replace(/[\\u0000-\\u0020]/g, '').toLowerCase();
      if (a.name.startsWith('on')) bad.push(`event handler ${a.name}: ${show(el)}`);
      else if (a.name === 'style') bad.push(`style attribute: ${show(el)}`);
      else if (urls.has(a.name) && /^(javascript|vbscript|data):/.test(v)) bad.push(`${a.name} URL: ${show(el)}`);
    }
  }
  const foreign = 'style, iframe, frame, object, embed, img, image, base, meta[http-equiv=refresh], '
    + 'foreignObject, animate, set, use, link:not([rel=alternate]):not([rel=stylesheet][href$="assets/site.css"])';
  for (const el of document.querySelectorAll(foreign)) bad.push(`element: ${show(el)}`);
  for (const el of document.querySelectorAll('script')) {
    if (!el.src || !/\\/(assets|search)\\/[\\w.\\/-]+\\.js$/.test(new URL(el.src).pathname)) bad.push(`script: ${show(el)}`);
  }
  for (const el of document.querySelectorAll('svg')) {
    if (el.closest('svg.flowchart-svg, svg.chart') !== el) bad.push(`svg: ${show(el)}`);
  }
  for (const el of document.querySelectorAll('form')) {
    if (!el.matches('.header-search, .search-form')) bad.push(`form: ${show(el)}`);
  }
  return bad;
}"""


@dataclass
class Watched:
    """A visit whose page reports whatever ran, navigated or was blocked."""

    visit: Visit
    ran: list[str] = field(default_factory=list)
    navigated: list[str] = field(default_factory=list)

    @property
    def page(self) -> Page:
        return self.visit.page

    def problems(self, expected_url: str) -> list[str]:
        """Everything wrong so far, and everything wrong in the document now."""
        here = urlsplit(expected_url)._replace(query="", fragment="")
        found = [*self.ran, *self.visit.errors]
        found += [f"request outside the site: {u}" for u in self.visit.outside]
        found += [  # search.js updates the query with history.replaceState
            f"navigated to {u}"
            for u in self.navigated
            if urlsplit(u)._replace(query="", fragment="") != here
        ]
        found += [f"frame: {f.url}" for f in self.page.frames if f != self.page.main_frame]
        found += self.page.evaluate(DOM_CHECK)
        return found


def watch(visit: Visit) -> Watched:
    watched = Watched(visit)
    page = visit.page

    def dialog(d: Dialog) -> None:  # only if a hook was got round
        watched.ran.append(f"dialog {d.type}: {d.message[:200]}")
        d.dismiss()

    def navigated(frame: Frame) -> None:
        watched.navigated.append(frame.url if frame == page.main_frame else f"(frame) {frame.url}")

    page.context.expose_binding(
        "__hostileReport",
        lambda source, kind, detail: watched.ran.append(f"{kind}: {detail[:200]}"),
    )
    page.context.add_init_script(HOOKS)
    page.on("dialog", dialog)
    page.on("popup", lambda popup: watched.ran.append(f"popup: {popup.url}"))
    page.on("framenavigated", navigated)
    return watched


# Marks the links the hostile text made: Markdown links whose URL was dropped, and any
# link with a scheme other than those that lead to another site.
MARK_HOSTILE_LINKS = """() => {
  for (const a of document.querySelectorAll('main a')) {
    const href = a.getAttribute('href');
    const squeezed = (href || '').replace(/[\\u0000-\\u0020]/g, '');
    if (href === null || (/^[a-z][a-z0-9+.-]*:/i.test(squeezed) && !/^(https?|mailto|tel):/i.test(squeezed))) {
      a.setAttribute('data-hostile-link', '');
    }
  }
}"""


def click_hostile_links(watched: Watched) -> int:
    """Click every link the hostile text made; return how many."""
    page = watched.page
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.evaluate(MARK_HOSTILE_LINKS)
    links = page.locator("[data-hostile-link]")
    for i in range(links.count()):
        links.nth(i).click(timeout=2_000, no_wait_after=True)
    page.wait_for_timeout(100)
    return links.count()


# (how the site is opened, whether the policy is enforced): the policy must stop what escaping
# let through, and escaping must hold without the policy.
MODES = {
    "http": ("http", False),
    "file": ("file", False),
    "http-without-csp": ("http", True),
}


@pytest.mark.parametrize("mode", MODES.values(), ids=MODES.keys())
def test_no_hostile_text_runs_loads_or_navigates(
    open_page: Opener, hostile_site: Hostile, mode: tuple[str, bool]
) -> None:
    scheme, bypass = mode
    inside = hostile_site.site.as_uri() + "/" if scheme == "file" else None
    pages = affected_pages(hostile_site.site)
    kinds = {rel.split("/", 1)[0] for rel in pages}
    assert {"powers", "departments", "laws", "changes", "editions", "kiosk.html"} <= kinds, kinds
    assert f"powers/{POWER['id']}.html" in pages
    failures: list[str] = []
    clicked = 0
    for rel in pages:
        visit = open_page(inside, bypass_csp=bypass) if inside else open_page(bypass_csp=bypass)
        watched = watch(visit)
        visit.goto(rel)
        watched.page.wait_for_timeout(50)
        if rel.startswith(("powers/", "laws/", "departments/")):
            clicked += click_hostile_links(watched)
        failures += [f"{rel}: {p}" for p in watched.problems(visit.inside + rel)]
        watched.page.context.close()
    assert not failures, "\n".join(failures)
    assert clicked > 100, f"only {clicked} hostile links were clicked"


def test_hostile_text_is_shown_as_text(open_page: Opener) -> None:
    watched = watch(open_page())
    rel = f"powers/{POWER['id']}.html"
    watched.visit.goto(rel)
    page = watched.page
    name, subitem = hostile("power.name.new"), hostile("power.subitem.new")
    assert page.locator("h1").text_content() == f"{name}（{subitem}）"
    assert page.locator("svg.flowchart-svg > title").text_content() == f"{name}运行流程图"
    texts = page.locator("svg.flowchart-svg text").all_text_contents()
    assert "<script>" in "".join(texts)  # a step name, wrapped over lines
    assert page.locator("dd.code").first.text_content() == POWER["code"]
    assert not watched.problems(watched.visit.inside + rel)


def test_searching_for_hostile_text_runs_nothing(open_page: Opener) -> None:
    watched = watch(open_page())
    visit = watched.visit
    visit.goto("search/index.html")
    found = search_for(watched.page, MARKER.lower())
    assert set(found) >= {POWER["id"], PENALTY["id"], COERCION["id"], LEVY["id"]}
    names = watched.page.locator("[data-search-results] a").all_text_contents()
    assert f"{hostile('power.name.new')}（{hostile('power.subitem.new')}）" in names
    search_for(watched.page, f"<img src=x onerror=alert('{MARKER}:query')> {MARKER.lower()}")
    problems = watched.problems(visit.inside + "search/index.html")
    query = quote(f"\"><svg onload=alert('{MARKER}:url')> {MARKER.lower()}")
    visit.goto(f"search/index.html?q={query}")
    watched.page.wait_for_function(
        "() => document.querySelectorAll('[data-search-results] a').length > 0"
    )
    problems += watched.problems(visit.inside + f"search/index.html?q={query}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("bypass", [False, True], ids=["with-csp", "without-csp"])
def test_the_watch_catches_an_injected_script(
    open_page: Opener, base_url: str, bypass: bool
) -> None:
    """The control page has a script injected on purpose: the hooks must report it, so the tests above can fail."""
    inside = f"{base_url}control/"
    watched = watch(open_page(inside, bypass_csp=bypass))
    watched.visit.goto("powers/control.html")
    watched.page.locator("#control-link").click(no_wait_after=True)
    watched.page.wait_for_timeout(200)
    ran = "\n".join(watched.ran)
    if bypass:
        for what in ("control-inline", "control-handler", "control-link"):
            assert f"alert: {MARKER}:{what}" in ran, ran
    else:
        assert "alert" not in ran, ran
        assert ran.count("CSP violation: script-src-elem blocked inline") == 2, ran
        assert "CSP violation: script-src-attr blocked inline" in ran, ran
    problems = "\n".join(watched.problems(inside + "powers/control.html"))
    assert "event handler onerror" in problems and "href URL" in problems, problems


PHONE = {"width": 375, "height": 812}


def test_endless_words_do_not_widen_the_page_on_a_phone(
    open_page: Opener, hostile_site: Hostile
) -> None:
    failures = []
    for rel in affected_pages(hostile_site.site):
        visit = open_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
        visit.goto(rel)
        problem = horizontal_overflow(visit.page)
        if problem:
            failures.append(f"{rel}: {problem}")
        visit.page.context.close()
    assert not failures, "\n\n".join(failures)


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_the_policy_lets_the_header_search_work_from_the_file_system(
    open_page: Opener, hostile_site: Hostile, javascript: bool
) -> None:
    """form-action 'self' must match file: pages (Chromium counts them as 'self')."""
    visit = open_page(hostile_site.site.as_uri() + "/", java_script_enabled=javascript)
    watched = watch(visit)
    visit.goto("index.html")
    visit.page.locator("#site-q").fill("xss")
    visit.page.locator("#site-q").press("Enter")
    visit.page.wait_for_load_state()
    target = "search/index.html" if javascript else "powers/index.html"
    assert visit.page.url.split("?", 1)[0] == visit.inside + target
    if javascript:
        visit.page.wait_for_function(
            "() => document.querySelectorAll('[data-search-results] a').length > 0"
        )
    assert not watched.ran and not visit.errors, [*watched.ran, *visit.errors]
