"""The site's structure: which pages exist and what each one shows, as plain data.

Nothing here renders HTML; ``render.py`` feeds these contexts to the templates.
Non-public powers appear only in the register of withheld powers, and there
only with their code, department, reason and basis.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from pypinyin import Style, lazy_pinyin

from site_builder.model import Dataset, Record, resolve_flow

ACTIONS = ("取消", "转移", "下放", "整合", "加强", "委托")


@dataclass(frozen=True)
class Stat:
    """A statistic drawn as a chart on the home page, with the numbers as a table beside it."""

    chart_id: str
    title: str
    label: str
    counts: dict[str, int]
    links: dict[str, str]
    noun: str


@dataclass(frozen=True)
class Page:
    """One page to render: its path in the site, its template and its context."""

    path: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)


class Site:
    """Derived views of a dataset that several pages share: public powers, groupings, links."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.config = ds.config
        self.powers = sorted(
            (p for p in ds.powers.values() if p.data["disclosure"]["public"]), key=lambda p: p.id
        )
        self.withheld = sorted(
            (p for p in ds.powers.values() if not p.data["disclosure"]["public"]),
            key=lambda p: p.id,
        )
        self.public_ids = {p.id for p in self.powers}
        order = {jid: i for i, jid in enumerate(ds.jurisdictions)}
        self.departments = sorted(
            ds.departments.values(),
            key=lambda d: (order.get(d.data["jurisdiction"], len(order)), d.id),
        )
        self.by_department: dict[str, list[Record]] = defaultdict(list)
        self.by_category: dict[str, list[Record]] = defaultdict(list)
        self.citing: dict[str, list[tuple[Record, dict[str, Any]]]] = defaultdict(list)
        for p in self.powers:
            self.by_department[p.department].append(p)
            self.by_category[p.data["category"]].append(p)
            for basis in p.data["legal_basis"]:
                if "law" in basis:
                    self.citing[basis["law"]].append((p, basis))
        self.laws = sorted(
            ds.laws.values(),
            key=lambda law: (_KIND_ORDER.get(law.data["kind"], 99), pinyin_key(law.name), law.id),
        )

    # --- links (paths from the site root) ---------------------------------------

    def category_slug(self, name: str) -> str:
        category = self.config.category(name)
        if category is None:
            return "unknown"
        return (category.letter or category.code).lower()

    def counts(self, powers: list[Record]) -> dict[str, int]:
        """Count powers per configured category, in configuration order (zeros included)."""
        found = Counter(p.data["category"] for p in powers)
        return {name: found.get(name, 0) for name in self.config.category_names}

    def jurisdiction_departments(self, jid: str) -> list[Record]:
        return [d for d in self.departments if d.data["jurisdiction"] == jid]

    def edit_url(self, record: Record) -> str | None:
        template = (self.config.raw.get("repository") or {}).get("edit_url")
        return template.replace("{path}", record.path) if template else None


_KIND_ORDER = {
    k: i
    for i, k in enumerate(
        [
            "法律",
            "行政法规",
            "地方性法规",
            "部门规章",
            "地方政府规章",
            "三定方案",
            "规范性文件",
            "上级机关批准文件",
            "经政府同意的部门文件",
        ]
    )
}


def pinyin_key(text: str) -> str:
    """Sort key for Chinese text by pinyin (the order of a printed index)."""
    return " ".join(lazy_pinyin(text, errors="default")).lower()


def initial(text: str) -> str:
    """The A–Z heading under which ``text`` is indexed (“#” for digits and symbols)."""
    first = lazy_pinyin(text[:1], style=Style.FIRST_LETTER, errors="default")
    letter = first[0][:1].upper() if first and first[0] else "#"
    return letter if "A" <= letter <= "Z" else "#"


def power_view(site: Site, p: Record) -> dict[str, Any]:
    """Everything a power's page (and its gazette entry) shows, with references resolved to records."""
    ds = site.ds
    d = p.data

    def public_power(pid: str | None) -> Record | None:
        return ds.powers[pid] if pid and pid in site.public_ids else None

    related = [
        {
            **rel,
            "department_record": ds.departments.get(rel.get("department", "")),
            "power_record": public_power(rel.get("power")),
        }
        for rel in d.get("related_departments", [])
    ]
    subordinates = [
        {**sub, "department_record": ds.departments.get(sub.get("department", ""))}
        for sub in d.get("subordinate_departments", [])
    ]
    bases = [
        {**basis, "law_record": ds.laws.get(basis.get("law", ""))} for basis in d["legal_basis"]
    ]
    adjustment = d.get("adjustment")
    if adjustment:
        adjustment = {
            **adjustment,
            "department_record": ds.departments.get(adjustment.get("target_department", "")),
            "power_record": public_power(adjustment.get("target_power")),
        }
    steps = resolve_flow(d, ds.flows)
    step_names = {s["id"]: s.get("name", s["id"]) for s in steps}
    return {
        "power": p,
        "d": d,
        "department": ds.departments[p.department],
        "jurisdiction": ds.jurisdictions.get(ds.departments[p.department].data["jurisdiction"], {}),
        "category_slug": site.category_slug(d["category"]),
        "bases": bases,
        "related": related,
        "subordinates": subordinates,
        "adjustment": adjustment,
        "steps": steps,
        "step_names": step_names,
        "flow_ref": ds.flows.get((d.get("flow") or {}).get("ref", "")),
        "edit_url": site.edit_url(p),
    }


def plan(ds: Dataset) -> tuple[Site, list[Page]]:
    """Return every page of the site, in a stable order."""
    site = Site(ds)
    pages: list[Page] = []
    actions = Counter(
        p.data["adjustment"]["action"]
        for p in ds.powers.values()
        if "adjustment" in p.data and p.data["disclosure"]["public"]
    )
    pages.append(
        Page(
            "index.html",
            "index.html",
            {
                "stats": [
                    Stat(
                        "chart-category",
                        "按类别统计的职权数量",
                        "类别",
                        site.counts(site.powers),
                        {
                            c: f"categories/{site.category_slug(c)}.html"
                            for c in ds.config.category_names
                        },
                        "个类别",
                    ),
                    Stat(
                        "chart-department",
                        "各部门的公开职权数量",
                        "部门",
                        {
                            d.data["short_name"]: len(site.by_department[d.id])
                            for d in site.departments
                        },
                        {
                            d.data["short_name"]: f"departments/{d.id}/index.html"
                            for d in site.departments
                        },
                        "个部门",
                    ),
                    Stat(
                        "chart-adjustment",
                        "清理调整情况（按调整方式）",
                        "调整方式",
                        {a: actions.get(a, 0) for a in ACTIONS},
                        {},
                        "种调整方式",
                    ),
                ],
            },
        )
    )
    pages.append(Page("kiosk.html", "kiosk.html"))
    for jid in ds.jurisdictions:
        departments = site.jurisdiction_departments(jid)
        if departments:
            powers = [p for dept in departments for p in site.by_department[dept.id]]
            pages.append(
                Page(
                    f"jurisdictions/{jid}/index.html",
                    "jurisdiction.html",
                    {
                        "jid": jid,
                        "departments": departments,
                        "category_counts": site.counts(powers),
                        "total": len(powers),
                    },
                )
            )
    for dept in site.departments:
        powers = site.by_department[dept.id]
        context = {"department": dept, "powers": powers, "category_counts": site.counts(powers)}
        pages.append(Page(f"departments/{dept.id}/index.html", "department.html", context))
        pages.append(
            Page(
                f"departments/{dept.id}/gazette.html",
                "gazette.html",
                {**context, "views": [power_view(site, p) for p in powers]},
            )
        )
    for p in site.powers:
        view = power_view(site, p)
        pages.append(Page(f"powers/{p.id}.html", "power.html", {"view": view, **view}))
    groups: dict[str, list[Record]] = defaultdict(list)
    for p in sorted(site.powers, key=lambda p: (pinyin_key(p.name), p.id)):
        groups[initial(p.name)].append(p)
    pages.append(
        Page(
            "powers/index.html",
            "az.html",
            {"groups": dict(sorted(groups.items(), key=lambda kv: (kv[0] == "#", kv[0])))},
        )
    )
    for name in ds.config.category_names:
        pages.append(
            Page(
                f"categories/{site.category_slug(name)}.html",
                "category.html",
                {"category": name, "powers": site.by_category.get(name, [])},
            )
        )
    pages.append(Page("laws/index.html", "laws.html"))
    replaces: dict[str, list[Record]] = defaultdict(list)
    for law in ds.laws.values():
        if law.data.get("replaced_by"):
            replaces[law.data["replaced_by"]].append(law)
    for law in site.laws:
        pages.append(
            Page(
                f"laws/{law.id}.html",
                "law.html",
                {
                    "law": law,
                    "citations": site.citing.get(law.id, []),
                    "replaced_by": ds.laws.get(law.data.get("replaced_by", "")),
                    "replaces": sorted(replaces[law.id], key=lambda r: r.id),
                },
            )
        )
    pages.append(Page("withheld.html", "withheld.html", {"withheld": site.withheld}))
    return site, pages
