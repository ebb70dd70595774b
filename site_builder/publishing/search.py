"""The search index: the only module that imports lunr.

Chinese has no spaces between words, and word segmentation misses fragments
(“设工程”, or “税” inside 增值税). So every run of CJK characters is indexed as
overlapping bigrams (a one-character run stays one term) and Latin letters and
digits stay whole words. lunr.py always applies its own tokenizer, so the
splitting happens in a pipeline function registered as ``cjkBigram``; the
browser registers a function of the same label and the same behaviour
(``templates/static/search.js``) before loading the index. No stemmer, no stop
words, no trimmer: lunr's trimmer would delete every Chinese character.

Each document's ref is its position in a list of result rows kept beside the
index, which keeps the index small. When a site has more than
``SHARD_THRESHOLD`` public powers in more than one jurisdiction, the index is
split per jurisdiction and the browser loads only the shards a search needs.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lunr.builder import Builder
from lunr.index import Index
from lunr.pipeline import Pipeline
from lunr.query import Query, QueryPresence
from lunr.token import Token
from lunr.token_set import TokenSet

from site_builder.errors import DataError, SiteBuilderError, error
from site_builder.reading import defaults, tree
from site_builder.reading.model import Record
from site_builder.structure import urls
from site_builder.structure.pages import Page, Site

LABEL = "cjkBigram"
# At 10,000 powers one index is about 0.7 MB gzip; past that, one shard per jurisdiction.
SHARD_THRESHOLD = 10_000
# Few fields keep the index small: lunr stores every field of every term.
FIELDS = {"name": 10, "code": 3, "entity": 2}

# CJK ideographs: the URO and extension A, compatibility ideographs, extensions B and later.
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUNS = re.compile(f"[{_CJK}]+|[a-z0-9]+")
_IS_CJK = re.compile(f"[{_CJK}]")


def tokenize(text: str) -> list[str]:
    """Return the search terms of ``text``: NFKC, lower case, CJK bigrams, whole Latin and digit words."""
    terms: list[str] = []
    for run in _RUNS.findall(unicodedata.normalize("NFKC", text).lower()):
        if _IS_CJK.match(run) and len(run) > 1:
            terms.extend(run[i : i + 2] for i in range(len(run) - 1))
        else:
            terms.append(run)
    return terms


def _split(token: Token, i: int, tokens: list[Token]) -> list[Token]:
    return [Token(term, dict(token.metadata)) for term in tokenize(token.string)]


Pipeline.register_function(_split, LABEL)


@dataclass(frozen=True)
class Shard:
    """One index file: its id, the jurisdiction it covers (None: all), and its payload."""

    id: str
    jurisdiction: str | None
    count: int
    payload: dict[str, Any]

    @property
    def script(self) -> str:
        """The payload as a script, which loads from the file system where fetch() is refused.

        The JSON is passed to JSON.parse as a string: browsers parse a large JSON string
        several times faster than the same data as an object literal (40 ms against
        340 ms for 10,000 powers in Chromium).
        """
        body = json.dumps(self.payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        literal = body.replace("\\", "\\\\").replace("'", "\\'")
        return f"(window.siteSearchShards=window.siteSearchShards||{{}})[\"{self.id}\"]=JSON.parse('{literal}');\n"


def _doc(ref: str, **fields: str) -> dict[str, str]:
    return {"ref": ref, **{field: fields.get(field, "") for field in FIELDS}}


def _payload(site: Site, powers: list[Any]) -> dict[str, Any]:
    """Index ``powers`` and the departments and laws they belong to, with the tables results need.

    A department or a law is indexed once, as its own document (ref ``d<n>`` or
    ``l<n>``), not repeated in every power: a hit on one stands for its powers.
    Powers have refs ``p<n>``, their position in ``rows``.
    """
    dept_ids = sorted({p.department for p in powers})
    dept_index = {d: i for i, d in enumerate(dept_ids)}
    categories = list(site.config.category_names)
    statuses = ["在用", "暂停", "已取消"]
    law_powers: dict[str, list[int]] = {}
    rows = []
    for i, p in enumerate(powers):
        name = p.data["name"] + (f"（{p.data['subitem']}）" if p.data.get("subitem") else "")
        rows.append(
            [
                p.id,
                name,
                dept_index[p.department],
                categories.index(p.data["category"]),
                statuses.index(p.data["status"]),
            ]
        )
        for basis in p.data["legal_basis"]:
            if basis.get("law") in site.ds.laws:
                refs = law_powers.setdefault(basis["law"], [])
                if not refs or refs[-1] != i:
                    refs.append(i)
    law_ids = sorted(law_powers)
    builder = Builder()
    builder.pipeline.add(_split)
    builder.search_pipeline.add(_split)
    builder.ref("ref")
    for field, boost in FIELDS.items():
        builder.field(field, boost=boost)
    for i, p in enumerate(powers):
        names = " ".join([p.data["name"], p.data.get("subitem", ""), *p.data.get("aliases", [])])
        builder.add(_doc(f"p{i}", name=names, code=p.data.get("code", "")))
    departments = []
    for i, dept_id in enumerate(dept_ids):
        d = site.ds.departments[dept_id].data
        builder.add(
            _doc(f"d{i}", entity=" ".join([d["name"], d["short_name"], *d.get("aliases", [])]))
        )
        departments.append([dept_id, d["short_name"], d["jurisdiction"]])
    laws = []
    for i, law_id in enumerate(law_ids):
        law = site.ds.laws[law_id].data
        builder.add(
            _doc(
                f"l{i}",
                entity=" ".join(
                    filter(None, [law["title"], law.get("short_title"), law.get("doc_number")])
                ),
            )
        )
        laws.append([law["title"], law_powers[law_id]])
    return {
        "index": _build(builder, bool(powers)).serialize(),
        "rows": rows,
        "departments": departments,
        "categories": categories,
        "statuses": statuses,
        "laws": laws,
    }


def _build(builder: Builder, any_documents: bool) -> Index:
    """The index of what ``builder`` holds; lunr cannot build one of no documents (a new
    list, before its first public power), so that one is made empty by hand."""
    if any_documents:
        return builder.build()
    return Index(
        inverted_index={},
        field_vectors={},
        token_set=TokenSet.from_list([]),
        fields=list(FIELDS),
        pipeline=builder.search_pipeline,
    )


def shards(site: Site) -> list[Shard]:
    """Return the index files of the site: one, or one per jurisdiction on large sites."""
    jurisdictions = [
        j
        for j in site.ds.jurisdictions
        if any(site.by_department[d.id] for d in site.jurisdiction_departments(j))
    ]
    groups: list[tuple[str, str | None, list[Record]]]
    if len(site.powers) > SHARD_THRESHOLD and len(jurisdictions) > 1:
        groups = [
            (j, j, [p for d in site.jurisdiction_departments(j) for p in site.by_department[d.id]])
            for j in jurisdictions
        ]
    else:
        groups = [("all", None, list(site.powers))]
    return [
        Shard(shard_id, jurisdiction, len(powers), _payload(site, powers))
        for shard_id, jurisdiction, powers in groups
    ]


# A hit on a department or a law stands for its powers, ranked below direct hits.
ENTITY_WEIGHT = 0.5


def query(payload: dict[str, Any], text: str, index: Index | None = None) -> list[int]:
    """Search as the browser does; return row numbers, best first.

    Every term is required; when nothing matches, any term will do. A single CJK
    character matches any term containing it; the last Latin or digit term is a prefix.
    """
    terms = tokenize(text)
    if not terms:
        return []
    index = index or Index.load(payload["index"])
    for presence in (QueryPresence.REQUIRED, QueryPresence.OPTIONAL):
        q = Query(index.fields)
        for i, term in enumerate(terms):
            if len(term) == 1 and _IS_CJK.match(term):
                q.term(
                    term,
                    use_pipeline=False,
                    presence=presence,
                    wildcard=Query.WILDCARD_LEADING | Query.WILDCARD_TRAILING,
                )
            elif i == len(terms) - 1 and not _IS_CJK.match(term):
                q.term(
                    term, use_pipeline=False, presence=presence, wildcard=Query.WILDCARD_TRAILING
                )
            else:
                q.term(term, use_pipeline=False, presence=presence)
        scores = _expand(payload, index.query(q))
        if scores:
            return sorted(scores, key=lambda row: (-scores[row], row))
    return []


def _expand(payload: dict[str, Any], results: list[dict[str, Any]]) -> dict[int, float]:
    scores: dict[int, float] = {}
    for result in results:
        kind, n = result["ref"][0], int(result["ref"][1:])
        if kind == "p":
            rows = [n]
            score = result["score"]
        elif kind == "d":
            rows = [i for i, row in enumerate(payload["rows"]) if row[2] == n]
            score = result["score"] * ENTITY_WEIGHT
        else:
            rows = payload["laws"][n][1]
            score = result["score"] * ENTITY_WEIGHT
        for row in rows:
            scores[row] = max(scores.get(row, 0.0), score)
    return scores


def page(site: Site, index: list[Shard]) -> Page:
    """The search page, with the list of index files it may load."""
    manifest = {
        "shards": [
            {
                "id": s.id,
                "jurisdiction": s.jurisdiction,
                "file": urls.relative(urls.search_shard(s.id), urls.search()),
                "count": s.count,
            }
            for s in index
        ],
        "defaultJurisdiction": site.config.jurisdiction if len(index) > 1 else None,
    }
    return Page(
        urls.search(),
        "search.html",
        {"manifest": json.dumps(manifest, ensure_ascii=False, sort_keys=True)},
    )


LUNR_FILES = {name: urls.asset(f"lunr/{name}") for name in defaults.LUNR_FILES}


def lunr_dir(root: Path) -> Path:
    """The folder of the lunr.js that a build of ``root`` publishes."""
    return next(iter(lunr_files(root).values())).parent


def lunr_files(root: Path) -> dict[str, Path]:
    """lunr.js and its licence: file name -> the file, its links resolved. The repository's
    own (``node_modules/lunr``, installed by npm) if it has one, else the tool's.

    npm and pnpm link packages within ``node_modules``, so a link there is followed, but
    only to a regular file inside the same base (the repository, or the tool's defaults):
    a link out of it, or a named pipe, could publish any file of the machine, or hang the
    build. Such a file is refused with its name.
    """
    for folder, base in (
        (root / "node_modules" / "lunr", root),
        (defaults.lunr(), defaults.base(defaults.lunr())),
    ):
        if not os.path.lexists(folder / "lunr.min.js"):
            continue
        found = {name: tree.resolved_inside(folder / name, base) for name in LUNR_FILES}
        refused = [name for name, path in found.items() if path is None]
        if refused:
            where = "仓库" if base == root else f"“{base}”"
            raise DataError(
                [
                    error(
                        tree.shown(folder / name, root),
                        (),
                        f"lunr.js 的文件 {name} 不是{where}中的普通文件（缺失，或是指向{where}之外的"
                        "符号链接、特殊文件）：请删除 node_modules 后在仓库目录重新运行 npm ci。",
                        tree.LINK,
                        1,
                        1,
                    )
                    for name in refused
                ]
            )
        return {name: path for name, path in found.items() if path is not None}
    raise SiteBuilderError(
        "找不到 lunr.js：安装的 site-builder 应自带 lunr.js，请重新安装（pip install --force-reinstall "
        "site-builder）；在本工具的源码目录中，请先运行 npm ci（lunr 在 package.json 中声明）。"
    )


def files(root: Path, index: list[Shard]) -> dict[str, bytes]:
    """The index files, and lunr.js with its licence, for the site's assets."""
    out = {urls.search_shard(s.id): s.script.encode("utf-8") for s in index}
    for name, path in lunr_files(root).items():
        out[LUNR_FILES[name]] = path.read_bytes()
    return out
