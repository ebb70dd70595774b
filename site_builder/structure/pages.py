"""The site's structure: which pages exist and what each one shows, as plain data.

Nothing here renders HTML; ``render.py`` feeds these contexts to the templates.
Non-public powers appear only in the register of withheld powers, and there
only with their code, department, reason and basis.

It is longer than most (about 580 lines) because it holds ``Site``, the one object the
templates see (its members are the template API, ``render.SITE_API``), beside the plan of
every page made from it; the history and edition pages are planned here too, from the trail.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from site_builder.errors import Problem, SiteBuilderError, warning
from site_builder.history import Published
from site_builder.history.changes import Change
from site_builder.history.editions import Edition
from site_builder.history.gitstore import source_date_epoch
from site_builder.reading import layout, pinyin
from site_builder.reading.model import Dataset, Record, resolve_flow
from site_builder.reading.slugs import collision_key, edition_problem, edition_slug
from site_builder.structure import urls

ACTIONS = ("取消", "转移", "下放", "整合", "加强", "委托")
CHANGELOG_LIMIT = 500  # changes listed on a changelog page; changes.csv has them all
FEED_LIMIT = 50
# The note published for a commit that touched a withheld power, in place of its message.
WITHHELD_NOTE = "本次修改涉及未公开的事项，说明不予公开。"


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
    """Derived views of a dataset that several pages share: public powers, groupings, links.

    Everything here is made from the public view of the dataset (``Dataset.public``), but
    for two readers of what it leaves out, by design: ``withheld``, the register of withheld
    powers, and the history (``git``, ``trail``), whose published part is ``changes``,
    ``changes_of`` and ``edition_view``.

    Templates see it as ``site`` and use only the members that render.py's docstring
    lists (``render.SITE_API``): lookups such as ``department(id)`` and ``field_titles(kind)``
    stand in for reaching into the dataset.
    """

    def __init__(
        self,
        ds: Dataset,
        git: Published | None = None,
        preview: bool = False,
        withheld: Collection[str] = (),
    ) -> None:
        """``withheld``: ids of powers to leave out as well (those not public now, for an edition)."""
        self.ds = ds = ds.public(withheld)
        self.withheld = ds.withheld
        self.preview = preview
        self.config = ds.config
        self.git = git
        self.trail = git.trail if git else None
        self.commit, self.time = source(git)
        self.edition_downloads: frozenset[str] = frozenset()
        # In a preview, records with uncommitted changes are marked 未提交.
        self.uncommitted = set(git.uncommitted) if git and preview else set()
        self.powers = sorted(ds.powers.values(), key=lambda p: p.id)
        self.public_ids = set(ds.powers)
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
            key=lambda law: (
                _KIND_ORDER.get(law.data["kind"], 99),
                pinyin.sort_key(law.name),
                law.id,
            ),
        )
        withheld_ids = {p.id for p in self.withheld}
        # Changes that may be published: never those of a power that is, or was when deleted, not public.
        trail_changes = self.trail.changes if self.trail else []

        # A commit message may name any power the commit touched: the message of a commit that
        # touched a power withheld now, or withheld when the commit was made, is never published.
        # A message that names a withheld power (its id, or any name it has had) is withheld
        # too, whichever records its commit touched.
        def hidden(c: Change) -> bool:
            return not c.public or (c.record[0] == "power" and c.record[1] in withheld_ids)

        withheld_changes = [c for c in trail_changes if hidden(c)]
        secrets = {
            s
            for s in (
                *withheld_ids,
                *(p.name for p in self.withheld),
                *(c.name for c in withheld_changes),
            )
            if s
        }
        titles = {c.commit: c.title for c in trail_changes}  # one test per commit, not per change
        self.redacted = frozenset(
            {c.commit for c in withheld_changes}
            | {commit for commit, title in titles.items() if any(s in title for s in secrets)}
        )
        self.changes: list[Change] = [self._shown(c) for c in trail_changes if not hidden(c)]

    def without(self, withheld: Collection[str]) -> Site:
        """This site with the powers ``withheld`` left out as well, every index made anew."""
        view = Site(self.ds, self.git, self.preview, withheld)
        view.edition_downloads = self.edition_downloads
        return view

    # --- lookups for the templates (the template API: see render.py) ----------------

    def department(self, department_id: str) -> Record | None:
        """The department ``department_id``, or None when the site has none of that id."""
        return self.ds.departments.get(department_id)

    def short_name(self, department_id: str) -> str:
        """A department's short name; its id when the site has no such department (an
        edition's power may name one that has gone since)."""
        department = self.ds.departments.get(department_id)
        return str(department.data.get("short_name", "")) if department else department_id

    def field_titles(self, kind: str) -> dict[str, str]:
        """The titles of a kind of record's fields (``"power"`` …), from its schema."""
        return self.ds.field_titles.get(kind, {})

    @property
    def has_history(self) -> bool:
        """Whether the site's data is in git, so that it has changes to show."""
        return self.trail is not None

    @property
    def updated(self) -> str | None:
        """The date of the latest change to the data (None without history)."""
        return self.trail.changes[0].date if self.trail and self.trail.changes else None

    @property
    def editions(self) -> list[Edition]:
        """The published editions, oldest first (none without history)."""
        return self.git.editions if self.git else []

    # --- links (paths from the site root) ---------------------------------------

    def category_slug(self, name: str) -> str:
        category = self.config.category(name)
        if category is None:
            return "unknown"
        return category.slug

    def counts(self, powers: list[Record]) -> dict[str, int]:
        """Count powers per configured category, in configuration order (zeros included)."""
        found = Counter(p.data["category"] for p in powers)
        return {name: found.get(name, 0) for name in self.config.category_names}

    def jurisdiction_departments(self, jid: str) -> list[Record]:
        return [d for d in self.departments if d.data["jurisdiction"] == jid]

    def changes_of(self, kind: str, record_id: str) -> list[Change] | None:
        """A record's published changes, newest first; None when the site has no git history."""
        if self.trail is None:
            return None
        return [self._shown(c) for c in self.trail.of(kind, record_id) if c.public]

    def _shown(self, change: Change) -> Change:
        """A change as published: with a neutral note for a commit whose message is withheld."""
        return replace(change, title=WITHHELD_NOTE) if change.commit in self.redacted else change

    def change_department(self, change: Change) -> str:
        """The department a change belonged to when it was made."""
        return layout.department_of(change.path)

    def link(self, change: Change) -> str | None:
        """The page of the record a change is about, if it is still published."""
        kind, rid = change.record
        if kind == "power" and rid in self.public_ids:
            return urls.power(rid)
        if kind == "department" and rid in self.ds.departments:
            return urls.department(rid)
        if kind == "law" and rid in self.ds.laws:
            return urls.law(rid)
        return None

    def url(self, pattern_key: str, **values: str | int) -> str | None:
        """A link into the repository's web UI from a configured pattern (commit_url, pull_url)."""
        repository = self.config.repository
        pattern = repository.pattern(pattern_key) if repository else None
        if not pattern:
            return None
        for key, value in values.items():
            pattern = pattern.replace("{" + key + "}", str(value))
        return pattern

    def edit_url(self, record: Record) -> str | None:
        template = self.config.repository.edit_url if self.config.repository else None
        return template.replace("{path}", record.path) if template else None


def source(git: Published | None) -> tuple[str | None, int | None]:
    """The commit a build is made from and the time it stands for: the commit's time,
    or SOURCE_DATE_EPOCH when set (reproducible builds), never the clock."""
    epoch = source_date_epoch()
    time = epoch if epoch is not None else git.commit_time if git else None
    return (git.commit if git else None), time


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


def power_view(site: Site, p: Record) -> dict[str, Any]:
    """Everything a power's page (and its gazette entry) shows, with references resolved to records."""
    ds = site.ds
    d = p.data

    def public_power(pid: str | None) -> Record | None:
        return ds.powers.get(pid) if pid else None

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
        "changes": site.changes_of("power", p.id),
        "uncommitted": p.path in site.uncommitted,
    }


def plan(
    ds: Dataset,
    git: Published | None = None,
    preview: bool = False,
    edition_downloads: frozenset[str] = frozenset(),
) -> tuple[Site, list[Page]]:
    """Return every page of the site, in a stable order.

    ``edition_downloads`` names the editions (by tag) whose downloads were built. Every
    page is made from ``site.ds``, the public view: none from the whole dataset.
    """
    site = Site(ds, git, preview)
    site.edition_downloads = edition_downloads
    pages = [
        _home(site),
        Page(urls.kiosk(), "kiosk.html"),
        *_jurisdiction_pages(site),
        *_department_and_power_pages(site),
        _az(site),
        *(
            Page(
                urls.category(site.category_slug(name)),
                "category.html",
                {"category": name, "powers": site.by_category.get(name, [])},
            )
            for name in site.ds.config.category_names
        ),
        Page(urls.laws(), "laws.html"),
        *_law_pages(site),
        Page(urls.withheld(), "withheld.html", {"withheld": site.withheld}),
        *history_pages(site),
    ]
    distinct([(page.path, _source(page)) for page in pages])
    return site, pages


def _home(site: Site) -> Page:
    """The home page, with its three charts: by category, by department, by adjustment."""
    actions = Counter(p.data["adjustment"]["action"] for p in site.powers if "adjustment" in p.data)
    stats = [
        Stat(
            "chart-category",
            "按类别统计的职权数量",
            "类别",
            site.counts(site.powers),
            {c: urls.category(site.category_slug(c)) for c in site.ds.config.category_names},
            "个类别",
        ),
        Stat(
            "chart-department",
            "各部门的公开职权数量",
            "部门",
            {d.data["short_name"]: len(site.by_department[d.id]) for d in site.departments},
            {d.data["short_name"]: urls.department(d.id) for d in site.departments},
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
    ]
    return Page(urls.home(), "index.html", {"stats": stats})


def _jurisdiction_pages(site: Site) -> Iterator[Page]:
    """A page for each jurisdiction that has departments."""
    for jid in site.ds.jurisdictions:
        departments = site.jurisdiction_departments(jid)
        if departments:
            powers = [p for dept in departments for p in site.by_department[dept.id]]
            context = {
                "jid": jid,
                "departments": departments,
                "category_counts": site.counts(powers),
                "total": len(powers),
            }
            yield Page(urls.jurisdiction(jid), "jurisdiction.html", context)


def _department_and_power_pages(site: Site) -> list[Page]:
    """Each department's page and gazette, then each power's page: the gazette shows the
    views of the power pages, made once for both."""
    views = {p.id: power_view(site, p) for p in site.powers}
    pages = []
    for dept in site.departments:
        powers = site.by_department[dept.id]
        context = {"department": dept, "powers": powers, "category_counts": site.counts(powers)}
        pages.append(Page(urls.department(dept.id), "department.html", context))
        gazette = {**context, "views": [views[p.id] for p in powers]}
        pages.append(Page(urls.gazette(dept.id), "gazette.html", gazette))
    for p in site.powers:
        view = views[p.id]
        pages.append(Page(urls.power(p.id), "power.html", {"view": view, **view}))
    return pages


def _az(site: Site) -> Page:
    """The powers from A to Z, grouped by the pinyin initial of their names (“#” last)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for p in sorted(site.powers, key=lambda p: (pinyin.sort_key(p.name), p.id)):
        groups[pinyin.initial(p.name)].append(p)
    ordered = dict(sorted(groups.items(), key=lambda kv: (kv[0] == "#", kv[0])))
    return Page(urls.powers(), "az.html", {"groups": ordered})


def _law_pages(site: Site) -> Iterator[Page]:
    """A page for each law of the register that the site shows, with what cites it."""
    laws = site.ds.laws
    replaces: dict[str, list[Record]] = defaultdict(list)
    for law in laws.values():
        if law.data.get("replaced_by"):
            replaces[law.data["replaced_by"]].append(law)
    for law in site.laws:
        context = {
            "law": law,
            "citations": site.citing.get(law.id, []),
            "replaced_by": laws.get(law.data.get("replaced_by", "")),
            "replaces": sorted(replaces[law.id], key=lambda r: r.id),
        }
        yield Page(urls.law(law.id), "law.html", context)


def distinct(paths: list[tuple[str, str]]) -> None:
    """Refuse two outputs at one path (or at paths that differ only in case, one file on
    Windows and macOS): one would silently replace the other. ``paths`` holds each output's
    path and what it was made from.

    The ids, letters, codes and tags that paths are made of are checked where they are
    read, so this is never reached by data: it guards the code that makes the paths.
    """
    seen: dict[str, tuple[str, str]] = {}
    for path, made_from in paths:
        key = collision_key(path)
        if key in seen:
            other, other_from = seen[key]
            raise SiteBuilderError(
                f"两个输出文件的路径相同：{other}（{other_from}）与 {path}（{made_from}）。"
                "后者会覆盖前者，已停止构建。请改正其中一个的标识后重新构建。"
            )
        seen[key] = (path, made_from)


def _source(page: Page) -> str:
    """What a page is made from, for a message: its record's file, or its template."""
    context = page.context
    for key in ("power", "department", "law"):
        record = context.get(key)
        if isinstance(record, Record):
            return record.path
    edition = context.get("edition")
    if isinstance(edition, Edition):
        return f"公布版本标签 {edition.tag}"
    if "category" in context:
        return f"site.yaml 中的职权类别“{context['category']}”"
    return f"模板 {page.template}"


def history_pages(site: Site) -> list[Page]:
    """The changelogs and their feeds, site-wide and per department, and the editions."""
    pages = [
        Page(
            urls.changes(),
            "changes.html",
            {
                "changes": site.changes[:CHANGELOG_LIMIT],
                "total": len(site.changes),
                "department": None,
            },
        ),
        Page(
            urls.changes_feed(),
            "feed.xml",
            {"changes": site.changes[:FEED_LIMIT], "department": None},
        ),
    ]
    by_department: dict[str, list[Change]] = defaultdict(list)
    for c in site.changes:
        by_department[site.change_department(c)].append(c)
        if c.record[0] == "department" and c.record[1] != site.change_department(c):
            by_department[c.record[1]].append(c)
    for dept in site.departments:
        own = by_department.get(dept.id, [])
        pages.append(
            Page(
                urls.department_changes(dept.id),
                "changes.html",
                {"changes": own[:CHANGELOG_LIMIT], "total": len(own), "department": dept},
            )
        )
        pages.append(
            Page(
                urls.department_feed(dept.id),
                "feed.xml",
                {"changes": own[:FEED_LIMIT], "department": dept},
            )
        )
    editions = site.git.editions if site.git else []
    views = [edition_view(site, e, editions[i - 1] if i else None) for i, e in enumerate(editions)]
    pages.append(Page(urls.editions(), "editions.html", {"editions": list(reversed(views))}))
    for view in views:
        pages.append(Page(urls.edition(view["edition"].tag), "edition.html", view))
    return pages


def publishable_editions(editions: list[Edition]) -> tuple[list[Edition], list[Problem]]:
    """The editions that can be published, oldest first, and a warning for each left out.

    An edition's page is ``editions/<slug>.html``, its slug made from its tag. A tag whose
    slug is unsafe or reserved, or the same as an older edition's (tags that differ only in
    punctuation, non-ASCII characters or case), is left out with a warning, not an error:
    a tag is not a line in a file that a commit can fix, and once pushed it stays in every
    clone, so an error would stop every later build. The older edition keeps its address.
    """
    kept: list[Edition] = []
    problems: list[Problem] = []
    taken: dict[str, str] = {}
    for edition in editions:
        slug = edition_slug(edition.tag)
        why = edition_problem(slug)
        other = taken.get(collision_key(slug))
        if why is None and other is None:
            taken[collision_key(slug)] = edition.tag
            kept.append(edition)
            continue
        reason = (
            f"{why}，不能用作网页文件名"
            if why is not None
            else f"与公布版本 {other} 的网页 {urls.edition(other or '')} 相同"
            "（两个标签只差标点、中文字符或大小写）"
        )
        message = (
            f"公布版本标签“{edition.tag}”{reason}，未发布该版本。"
            "请另建一个只用英文字母、数字、点和连字符的新标签（例如 edition-2024-2），并删除这个标签。"
        )
        problems.append(warning(".git", (), message, "edition"))
    return kept, problems


def edition_view(site: Site, edition: Edition, previous: Edition | None) -> dict[str, Any]:
    """An edition's public powers, counts by category, and what changed since the previous edition."""
    # A power withheld today is left out of past editions too, even if it was public then.
    withheld = {p.id for p in site.withheld}
    public = {pid: p for pid, p in edition.powers.items() if p.public and pid not in withheld}
    before = (
        {pid: p for pid, p in previous.powers.items() if p.public and pid not in withheld}
        if previous
        else {}
    )
    found = Counter(p.category for p in public.values() if p.status != "已取消")
    counts = {name: found.get(name, 0) for name in site.config.category_names}
    cancelled = sorted(
        pid
        for pid, p in public.items()
        if p.status == "已取消" and pid in before and before[pid].status != "已取消"
    )
    return {
        "edition": edition,
        "slug": edition_slug(edition.tag),
        "previous": previous,
        "counts": counts,
        "withheld": len(edition.powers) - len(public),
        "powers": sorted(public.values(), key=lambda p: (p.department, p.id)),
        "added": sorted(pid for pid in public if pid not in before) if previous else [],
        "removed": sorted(pid for pid in before if pid not in public),
        "cancelled": cancelled,
        "changed": sorted(
            pid
            for pid, p in public.items()
            if pid in before and before[pid].blob != p.blob and pid not in cancelled
        ),
        "names": {
            **{pid: p.name for pid, p in before.items()},
            **{pid: p.name for pid, p in public.items()},
        },
    }
