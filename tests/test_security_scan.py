"""The whole output, scanned: nothing of a withheld power, and nothing that runs.

A real git repository holds public powers full of hostile text, two withheld powers (one
withheld from the start, one published, tagged in an edition, then withheld and renamed)
and commits whose messages and authors name the withheld powers, carry markup and control
characters. The real builder builds it; then every byte of the output is read, every zip
opened (the department zips, the workbook), and searched:

- for any text of the withheld powers (their names, ids, content and a marker word put in
  every field but the reason and basis, which the public register of withheld powers shows);
  four of them, public in an edition and withheld since, hold a marker of its own in every
  free-text field the schema has (those of test_hostile's records), so that a page, a
  table, a feed or an edition's download made from more than the public view is found;
- for anything that could run: inline script, event handlers, script URLs, resources from
  outside the site, scripts other than the site's own, SVG with script, ill-formed feeds,
  and spreadsheet cells that Excel or WPS would take as formulas.
"""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from conftest import LICENCE, PENALTY, PROJECT, Git, make_repo
from sitecheck import every_file
from test_hostile import COERCION, LEVY, hostile, inline_problems
from test_hostile import MARKER as HOSTILE
from test_hostile import PENALTY as HOSTILE_PENALTY
from test_hostile import POWER as HOSTILE_POWER

from site_builder.build import build

# A word no tokeniser splits or stems, put into every withheld field, so that it is
# found in the search index and in the downloads as well as on the pages.
MARK = "qzxwithheldmark"
FIRST = "zq-a-xk-091"  # withheld from its first commit
LATER = "zq-a-xk-092"  # public, in an edition, then withheld
SECRETS = [
    MARK,
    FIRST,
    LATER,
    "绝密甲事项",
    "绝密乙事项",
    "曾经公开的丙事项",
    "绝密内容甲",
]
WITHHELD = {
    "public": False,
    "reason": "涉及国家秘密",
    "basis": "《中华人民共和国保守国家秘密法》第九条",
}


def marked(record: dict[str, Any], pid: str, refs: dict[str, str]) -> dict[str, Any]:
    """One of test_hostile's records, which fill every free-text field of the schema, as
    the withheld power ``pid``: each hostile text a marker of its own (added to ``SECRETS``),
    each reference (``refs``: old value to new) to a record of this repository."""

    def walk(value: Any) -> Any:
        if isinstance(value, str) and HOSTILE in value:
            n = len(SECRETS)
            SECRETS.append(f"qzx{chr(97 + n // 26 % 26)}{chr(97 + n % 26)}mark")
            return SECRETS[-1]
        if isinstance(value, str):
            return refs.get(value, value)
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        return value

    SECRETS.append(pid)
    shown = {k: v for k, v in record.items() if k != "code"}  # the register shows the code
    code = f"441200-{pid[5:7].upper()}-{pid[-3:]}"
    return {**walk(shown), "id": pid, "code": code, "disclosure": {"public": True}}


LAW_REF = {"hostile-law": "xingzheng-xuke-fa"}
# Public in an edition, withheld since: every free-text field of a power holds a marker.
EVERY_FIELD = [
    marked(
        HOSTILE_POWER,
        "zq-a-xk-093",
        {**LAW_REF, "hostile-flow": "xingzheng-xuke-yiban", "a": "shouli", "b": "shencha"},
    ),
    marked(HOSTILE_PENALTY, "zq-a-cf-093", {**LAW_REF, "hostile-flow": "xingzheng-chufa-yiban"}),
    marked(COERCION, "zq-a-qz-093", LAW_REF),
    marked(LEVY, "zq-a-zs-093", LAW_REF),
]
# Excel and WPS take a cell that begins with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The bytes a site's scripts may hold: the site's own, and lunr.js.
OWN_SCRIPTS = {
    p.read_bytes()
    for p in [
        *(PROJECT / "templates/static").rglob("*.js"),
        PROJECT / "node_modules/lunr/lunr.min.js",
    ]
}
SHARD = re.compile(
    r"\(window\.siteSearchShards=window\.siteSearchShards\|\|\{\}\)"
    r"\[\"[a-z0-9-]+\"\]=JSON\.parse\('((?:[^\\']|\\[\\'])*)'\);\n"
)


def withheld_power(pid: str, name: str) -> dict[str, Any]:
    return {
        **LICENCE,
        "id": pid,
        "code": f"441200-{pid[-3:]}",
        "name": f"{name}{MARK}",
        "content": f"绝密内容甲：{MARK}。",
        "responsibilities": [{"step": "shouli", "duty": f"受理{MARK}。"}],
        "disclosure": WITHHELD,
    }


@dataclass
class Scanned:
    site: Path
    files: dict[str, bytes]  # every file of the output, and every member of its zips


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    root = tmp_path_factory.mktemp("scan") / "repo"
    repo = make_repo(root)
    repo.power({**LICENCE, "content": hostile("content")})
    repo.power(withheld_power(FIRST, "绝密甲事项"))
    git = Git(repo)
    git.commit("初始版本：市甲局权责清单，含绝密甲事项（zq-a-xk-091）", author="市甲局")

    # One commit changes a withheld power and a public one; its message names both.
    repo.power({**withheld_power(FIRST, "绝密甲事项"), "content": f"绝密内容甲修订{MARK}"})
    repo.power({**PENALTY, "content": "对某某违法行为给予处罚（修订）。"})
    git.commit(f"同时修改对某某违法行为的行政处罚和绝密甲事项（{FIRST}）{MARK}", author="市甲局")

    # A power published, tagged in an edition, then withheld and renamed.
    repo.power({**LICENCE, "id": LATER, "name": f"曾经公开的丙事项{MARK}"})
    git.commit(f"新增曾经公开的丙事项{MARK}")
    for power in EVERY_FIELD:
        repo.power(power)
    git.commit("新增四项职权")
    git.tag("edition-2024-01")
    repo.power(withheld_power(LATER, "绝密乙事项"))
    git.commit(f"绝密乙事项（原曾经公开的丙事项）改为不公开 {LATER}")
    for power in EVERY_FIELD:
        repo.power({**power, "disclosure": WITHHELD})
    git.commit("四项职权改为不公开")

    # A commit that only names a withheld power in its message, changing a public one.
    repo.power({**PENALTY, "content": "对某某违法行为给予处罚（再次修订）。"})
    git.commit(f"参照绝密甲事项{MARK}的做法修改处罚事项")

    # Markup, script and control characters in a message and an author's name.
    # Text that Excel would run, from the data (a Markdown list may begin with "-") and
    # from a message (which no validation can refuse).
    repo.power({**PENALTY, "content": "- 对某某违法行为给予处罚（第三次修订）。\n- 责令改正。"})
    git.commit(
        f'=HYPERLINK("http://example.org/","x")\n{hostile("commit")}\x07\x1b[31m\x0b\x0c\x7f\u0085 结束',
        author="\"' onmouseover=alert('XSS:author') x='\x07市甲局",
    )
    out = root.parent / "site"
    checked = build(root, out)
    # The edition passed its own checks: its downloads were made, from the data at its tag.
    assert not [p for p in checked.problems if p.rule == "edition"], checked.problems
    return Scanned(out, every_file(out))


def test_the_scan_reads_every_kind_of_output(scanned: Scanned) -> None:
    names = list(scanned.files)
    for kind in (".html", ".xml", ".csv", ".json", ".js", ".zip", ".xlsx", "!xl/worksheets/"):
        assert any(kind in n for n in names), kind
    assert any(n.startswith("editions/") for n in names)
    # The public part of the scenario is there: the scan reads what it should.
    text = b"".join(scanned.files.values())
    assert "对某某违法行为给予处罚（第三次修订）".encode() in text
    assert WITHHELD["reason"].encode() in text  # the register of withheld powers is public


def test_nothing_of_a_withheld_power_reaches_the_output(scanned: Scanned) -> None:
    found = [
        f"{name}: {secret}"
        for name, data in scanned.files.items()
        for secret in SECRETS
        if secret.encode() in data or secret.encode("unicode_escape") in data
    ]
    assert not found, "\n".join(found)


class Resources(HTMLParser):
    """Every URL a page loads by itself (scripts, styles, images, frames)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.loaded: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "source", "audio", "video", "track", "input"):
            self.loaded.append(values.get("src", ""))
        if tag == "link" and values.get("rel") not in ("canonical", "alternate", None):
            self.loaded.append(values.get("href", ""))
        for name in ("srcset", "poster", "background"):
            if name in values:
                self.loaded.append(values[name])


def test_no_page_runs_or_loads_anything_from_the_data(scanned: Scanned) -> None:
    problems = []
    for name, data in scanned.files.items():
        if not name.endswith(".html"):
            continue
        text = data.decode("utf-8")
        problems += [f"{name}: {p}" for p in inline_problems(text)]
        finder = Resources()
        finder.feed(text)
        for url in finder.loaded:
            parts = urlsplit(url)
            if parts.scheme or parts.netloc or url.startswith("/"):
                problems.append(f"{name}: loads {url!r} from outside the site")
    assert not problems, "\n".join(problems[:40])


def test_the_only_scripts_are_the_sites_own_and_the_search_data(scanned: Scanned) -> None:
    for name, data in scanned.files.items():
        if not name.endswith(".js"):
            continue
        if name.startswith("search/"):
            # Data, not code: one JSON string handed to JSON.parse, escaped so that it cannot end early.
            match = SHARD.fullmatch(data.decode("utf-8"))
            assert match, f"{name} is not a search shard"
            __import__("json").loads(re.sub(r"\\(.)", r"\1", match.group(1)))
        else:
            assert data in OWN_SCRIPTS, f"{name} is not one of the site's own scripts"


def test_svg_and_feeds_are_inert_and_well_formed(scanned: Scanned) -> None:
    for name, data in scanned.files.items():
        if name.endswith(".xml"):
            ET.fromstring(data)  # raises on a control character or markup that broke out
        # In HTML and SVG only: elsewhere (JSON, CSV) markup is text, not markup.
        if name.endswith((".svg", ".html")):
            for svg in re.findall(rb"<svg\b.*?</svg>", data, re.S):
                assert not re.search(rb"<script|\son[a-z]+=|javascript:", svg, re.I), name


def test_no_spreadsheet_cell_is_a_formula(scanned: Scanned) -> None:
    cells = 0
    for name, data in scanned.files.items():
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(data.decode("utf-8-sig"))):
                for cell in row:
                    cells += 1
                    assert not cell.startswith(FORMULA_START), f"{name}: {cell[:60]!r}"
        if "!xl/worksheets/" in name:
            sheet = ET.fromstring(data)
            ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
            assert not sheet.findall(".//m:f", ns), f"{name} holds a formula"
    assert cells > 100
