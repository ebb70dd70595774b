"""Render pages with Jinja2: the only module that imports Jinja2.

Pages link relatively (``{{ root }}`` is the way back to the site root), so the
built site works from any sub-path of any mirror and from the file system.

Themes: a site changes the look by extending, not by copying
--------------------------------------------------------------
The theme is the one the installed tool carries (``defaults.templates()``). A list's own
``templates/``, and a folder named by ``theme_overrides`` in site.yaml (searched first), hold
only the files they change: a file there replaces
the theme's file of the same name (a template, or a file of ``static/``). ``!theme/<name>``
always names the theme's own file, so an override can extend the file it replaces and
change one block of it::

    {% extends "!theme/base.html" %}
    {% block navigation %}{{ super() }}<p class="notice">试运行</p>{% endblock %}

``base.html`` has the blocks ``title``, ``description``, ``head``, ``body_class``,
``header`` (the page header, with ``navigation`` inside it), ``breadcrumbs``, ``main`` and
``footer``. It includes the partials that a government changes most, each replaceable on
its own: ``_header.html`` (the site's name and the search form), ``_navigation.html``,
``_footer.html`` and ``_notice.html`` (the notice of site.yaml, on the home page and in
the footer). A ``_footer.html`` in the site's folder changes the footer of every page and
nothing else.

The template API: what a template may use
-----------------------------------------
Every page has these names (``CONTEXT``; the tests hold the theme's templates to them):

``site``
    The site (``pages.Site``); a template uses only these of its members (``SITE_API``):
    ``powers``, ``departments``, ``laws`` (the public records, in the order pages list
    them), ``withheld`` (the register of withheld powers: show only code, department,
    reason and basis), ``public_ids``, ``by_department[id]``, ``by_category[name]``,
    ``citing[law_id]`` (a law's (power, basis) pairs), ``department(id)`` (a record or
    none), ``short_name(department_id)``, ``jurisdiction_departments(jid)``,
    ``counts(powers)`` (per category, in site.yaml's order), ``category_slug(name)``,
    ``field_titles(kind)`` (a kind's field titles from its schema), ``has_history``,
    ``changes`` (the published changes, newest first), ``changes_of(kind, id)``,
    ``change_department(change)``, ``link(change)`` (the page a change is about),
    ``updated`` (the date of the latest change), ``commit``, ``editions``,
    ``edition_downloads`` (tags of the editions with downloads), ``url(key, **values)``
    (a link into the repository's web pages: ``"commit_url"``, ``"pull_url"``) and
    ``edit_url(record)``.
``config``
    site.yaml's values as written: ``config.title``, ``config.hotline.phone``, …
``categories``, ``jurisdictions``
    The category names in site.yaml's order; the jurisdictions by id.
``url``
    The maker of every path in the site (``urls.py``): ``{{ root }}{{ url.power(p.id) }}``.
``root``, ``page_path``
    The way back to the site root from this page (``../`` …), and this page's path.
``flowchart(view)``, ``bar_chart(stat, root)``
    A power's flowchart, and a chart of the home page, as inline SVG.

The filters (``FILTERS``) besides Jinja2's own: ``md`` and ``md_inline`` (Markdown to
safe HTML), ``limit`` (a time limit as people say it: 20个工作日), ``initial`` (the A–Z
heading of a name) and ``rfc3339`` (a time for a feed). A record has ``id``, ``path``
and ``data`` (the fields of its file: ``p.data.name``). Each page adds its own names
(its record, its powers, …): its ``Page`` context, made in pages.py, downloads.py and
search.py.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
from markupsafe import Markup

from site_builder.errors import Problem, SiteBuilderError, warning
from site_builder.reading import defaults, layout, pinyin, tree
from site_builder.reading.config import SiteConfig
from site_builder.reading.model import Dataset
from site_builder.rendering import charts, flowchart, markup
from site_builder.structure import urls
from site_builder.structure.pages import Page, Site, Stat

# ``{% extends "!theme/base.html" %}``: the theme's own file (Pelican's name for it).
THEME_PREFIX = "!theme"

# The template API (see the module docstring): the names every page has, the members of
# ``site`` a template may use, and the filters added to Jinja2's.
CONTEXT = frozenset(
    {"site", "config", "categories", "jurisdictions", "url", "root", "page_path"}
    | {"flowchart", "bar_chart"}
)
SITE_API = frozenset(
    {"powers", "departments", "laws", "withheld", "public_ids"}
    | {"by_department", "by_category", "citing", "department", "short_name"}
    | {"jurisdiction_departments", "counts", "category_slug", "field_titles"}
    | {"has_history", "changes", "changes_of", "change_department", "link", "updated"}
    | {"commit", "editions", "edition_downloads", "url", "edit_url"}
)
FILTERS = frozenset({"md", "md_inline", "limit", "initial", "rfc3339"})


def template_dirs(ds: Dataset) -> list[Path]:
    """The template folders, the site's own first."""
    return template_folders(ds.root, ds.config)


def template_folders(root: Path, config: SiteConfig) -> list[Path]:
    """The template folders of the site at ``root``, the site's own first: ``theme_overrides``,
    the repository's ``templates/`` (when it has one), then the theme this tool carries
    (``defaults.templates()``), which is all a new list needs."""
    theme = defaults.templates()
    dirs = [theme]
    own = root / layout.TEMPLATES
    if os.path.lexists(own) and os.path.abspath(own) != os.path.abspath(theme):
        dirs.insert(0, own)
    custom = config.theme_overrides
    if custom:  # checked with the configuration: it exists, inside the repository
        dirs.insert(0, root / custom)
    return dirs


def base_of(folder: Path, root: Path) -> Path:
    """The folder that ``folder`` (a template folder) must not be left by a link from: the
    repository ``root`` for the site's own, the tool's defaults for its theme."""
    return root if _inside(str(folder), root) else defaults.base(folder)


# The meta tag of templates/base.html that keeps any script but the site's own from running.
_CSP = re.compile(r"<meta\s[^>]*http-equiv\s*=\s*[\"']?Content-Security-Policy", re.IGNORECASE)
# A base.html that extends the theme's, whose <head> it therefore keeps.
_EXTENDS_THEME = re.compile(r"\{%-?\s*extends\s+[\"']!theme/base\.html[\"']")


def check_templates(root: Path, config: SiteConfig) -> list[Problem]:
    """Problems of the template folders, found before anything is rendered: every link or
    special file in them (errors: never read), and a ``base.html`` that the pages would
    use without its Content-Security-Policy (a warning: the site still works, unguarded)."""
    dirs = template_folders(root, config)
    problems = [p for folder in dirs for p in tree.refused(folder, base_of(folder, root))]
    if problems:
        return problems
    base = next((d / "base.html" for d in dirs if (d / "base.html").is_file()), None)
    while base is not None:
        try:
            text = tree.read(base, base_of(base, root)).decode("utf-8", "replace")
        except OSError:
            return []  # rendering names the template it cannot read
        theme = dirs[-1] / "base.html"
        if _EXTENDS_THEME.search(text) and base != theme and theme.is_file():
            base = theme  # the <head> is the theme's: the meta tag is outside every block
            continue
        if not _CSP.search(text):
            message = (
                "模板 base.html 中没有内容安全策略（Content-Security-Policy）的 meta 标签："
                "页面仍会生成，但浏览器不再拦截混入页面的脚本。请从本工具的 templates/base.html "
                '复制 <meta http-equiv="Content-Security-Policy" …> 这一行到 <head> 中。'
            )
            problems.append(warning(tree.shown(base, root), (), message, "csp", 1, 1))
        break
    return problems


class TemplateUnreadable(Exception):
    """A template file that exists but cannot be read: its path and why."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class _Loader(jinja2.FileSystemLoader):
    """Jinja2's file loader over the site's folder and the theme, reading by the rule of
    every folder the build reads (no links, no special files: refused with the file's
    name) and naming the file it cannot read (permissions, not UTF-8).

    ``!theme/<name>`` is the theme's own file, whatever the site's folder holds: what
    Pelican does with a PrefixLoader in a ChoiceLoader, in one loader, so that every
    template is read by this one ``get_source``.
    """

    def __init__(self, dirs: list[Path], root: Path) -> None:
        super().__init__([str(d) for d in dirs])
        self.root = root

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = jinja2.loaders.split_template_path(template)  # refuses “..”
        folders = self.searchpath
        if pieces[0] == THEME_PREFIX and len(pieces) > 1:
            pieces, folders = pieces[1:], folders[-1:]
        for folder in folders:
            path = Path(folder, *pieces)
            if not os.path.lexists(path):
                continue
            try:
                text = tree.read(path, base_of(path, self.root)).decode("utf-8")
                mtime = path.stat().st_mtime
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) else None
                raise TemplateUnreadable(path, reason or "不是 UTF-8 编码的文本") from exc
            return text, os.path.normpath(path), functools.partial(_unchanged, path, mtime)
        raise jinja2.TemplateNotFound(template)


def _unchanged(path: Path, mtime: float) -> bool:
    try:
        return path.stat().st_mtime == mtime
    except OSError:
        return False


def environment(dirs: list[Path], root: Path | None = None) -> jinja2.Environment:
    """Return the Jinja2 environment over ``dirs`` (earlier folders override later ones;
    the last is the theme, which ``!theme/`` names), all below ``root`` (the repository;
    by default the parent of the last folder)."""
    env = jinja2.Environment(
        loader=_Loader(dirs, root if root is not None else dirs[-1].parent),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=jinja2.ChainableUndefined,  # most fields are optional
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["url"] = urls  # every link a template makes: {{ root }}{{ url.power(p.id) }}
    env.filters["md"] = lambda text: Markup(markup.to_html(str(text))) if text else ""
    env.filters["md_inline"] = lambda text: Markup(markup.to_inline_html(str(text))) if text else ""
    env.filters["limit"] = _limit
    env.filters["initial"] = pinyin.initial
    env.filters["rfc3339"] = lambda ts: datetime.fromtimestamp(int(ts), tz=UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return env


def _limit(limit: dict[str, Any] | None) -> str:
    """Write a time limit as people say it: “20个工作日”, “即办”."""
    if not limit:
        return ""
    value = limit["value"]
    shown = int(value) if float(value).is_integer() else value
    if shown == 0:
        return "即办"
    unit = limit["unit"]
    return f"{shown}{'个' if unit in ('工作日', '小时', '月') else ''}{unit}"


_drawing = [0.0]  # seconds this process has spent drawing flowcharts


def flowchart_seconds() -> float:
    """Seconds this process has spent drawing flowcharts (a stage of its own in the timings)."""
    return _drawing[0]


def _flowchart(view: dict[str, Any]) -> Markup:
    start = time.perf_counter()
    chart = flowchart.render_flowchart(
        view["steps"],
        chart_id=f"fc-{view['power'].id}",
        title=f"{view['d']['name']}运行流程图",
    )
    _drawing[0] += time.perf_counter() - start
    return Markup(chart.svg) if chart else Markup("")


class _Flowcharts:
    """A power's flowchart, drawn once for the two pages that show it (its own page
    and its department's gazette, which share its view) when one call renders both."""

    def __init__(self) -> None:
        # By the view's identity; the view is held, so its identity is not reused.
        self._waiting: dict[int, tuple[dict[str, Any], Markup]] = {}

    def __call__(self, view: dict[str, Any], _prefix: str = "") -> Markup:
        # ``_prefix``: templates copied from earlier versions pass the gazette's id
        # prefix; the chart's ids are now the same on both pages, unique on each.
        if id(view) in self._waiting:
            return self._waiting.pop(id(view))[1]  # its second and last use
        chart = _flowchart(view)
        self._waiting[id(view)] = (view, chart)
        return chart


def _bar_chart(stat: Stat, root: str) -> Markup:
    # No links inside the chart: an image must not hold interactive content; the table beside it links.
    bars = [charts.Bar(label, value) for label, value in stat.counts.items()]
    return Markup(
        charts.bar_chart(bars, chart_id=stat.chart_id, title=stat.title, root=root, noun=stat.noun)
    )


def render_pages(
    site: Site, pages: list[Page], env: jinja2.Environment | None = None
) -> dict[str, bytes]:
    """Render ``pages``: relative path -> bytes."""
    return dict(rendered(site, pages, env))


def templates(site: Site, names: Iterable[str] = ()) -> jinja2.Environment:
    """The Jinja2 environment of ``site``'s templates, with ``names`` compiled already.

    A build makes it once, before its workers are forked, so that every worker finds the
    templates compiled instead of compiling them again (0.1 s each time). The templates
    they extend, import and include are compiled too. A template that fails to compile is
    left for ``rendered`` to report, where the page that uses it says from which line.
    """
    env = environment(template_dirs(site.ds), site.ds.root)
    todo, seen = sorted(set(names)), set(names)
    while todo:
        name = todo.pop()
        try:
            env.get_template(name)
            source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
            used = jinja2.meta.find_referenced_templates(env.parse(source, name))
        except Exception:  # reported when a page is rendered with it
            continue
        for other in sorted({u for u in used if u is not None} - seen):
            seen.add(other)
            todo.append(other)
    return env


def context(site: Site) -> dict[str, Any]:
    """The names of the template API that every page has, but ``url`` (a global of the
    environment), ``root`` and ``page_path`` (the page's own)."""
    return {
        "site": site,
        "config": site.config.raw,
        "categories": site.ds.config.category_names,
        "jurisdictions": site.ds.jurisdictions,
        "flowchart": _Flowcharts(),
        "bar_chart": _bar_chart,
    }


def rendered(
    site: Site, pages: list[Page], env: jinja2.Environment | None = None
) -> Iterator[tuple[str, bytes]]:
    """Render ``pages`` one by one: (relative path, bytes) as each is done, with ``env``
    (made by ``templates``; by default a new one)."""
    ds = site.ds
    dirs = template_dirs(ds)
    env = env or environment(dirs, ds.root)
    common = context(site)
    for page in pages:
        root = urls.root(page.path)
        try:
            template = env.get_template(page.template)
            html = template.render(**common, **page.context, root=root, page_path=page.path)
        except SiteBuilderError:
            raise
        except Exception as exc:
            problem = template_error(exc, ds.root, dirs)
            if problem is None:  # not from a template: a bug of this tool, reported as one
                raise
            raise problem from exc
        yield page.path, html.encode("utf-8")


def static_files(ds: Dataset) -> dict[str, bytes]:
    """The files of ``templates/static/`` (and of the site's own), under ``assets/``."""
    files: dict[str, bytes] = {}
    for folder in reversed(template_dirs(ds)):  # the site's own static files win
        static = folder / layout.STATIC
        # Never a link or a special file: a link to /proc/self/environ would publish the
        # build machine's environment, CI tokens and all.
        base = base_of(folder, ds.root)
        for path in tree.files(static, base):
            try:
                files[urls.asset(path.relative_to(static).as_posix())] = tree.read(path, base)
            except OSError as exc:
                raise SiteBuilderError(
                    f"无法读取静态文件 {_shown(path, ds.root)}：{exc.strerror}。请检查文件权限。"
                ) from exc
    return files


# --- errors in templates ------------------------------------------------------------


def _shown(path: str | Path, root: Path) -> str:
    """A file's path as the site's people know it: relative to the repository when inside it."""
    full = Path(os.path.abspath(path))
    try:
        return full.relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(full)


def _inside(path: str, folder: Path | str) -> bool:
    return os.path.abspath(path).startswith(os.path.join(os.path.abspath(folder), ""))


def template_error(exc: Exception, root: Path, dirs: list[Path]) -> SiteBuilderError | None:
    """An error naming the template file (and line) that ``exc`` arose in, or None if none did.

    Jinja2 rewrites a rendering error's traceback so that template code shows as
    frames of the template file at its line; the innermost such frame is where it
    happened (for a missing or unreadable include: the template that includes it).
    """
    frames: list[tuple[str, int]] = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append((tb.tb_frame.f_code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    at = [i for i, (name, _) in enumerate(frames) if any(_inside(name, d) for d in dirs)]
    where = f"{_shown(frames[at[-1]][0], root)}:{frames[at[-1]][1]}" if at else None
    included = f"（由 {where} 引用）" if where else ""
    if isinstance(exc, TemplateUnreadable):
        return SiteBuilderError(
            f"无法读取模板 {_shown(exc.path, root)}{included}：{exc.reason}。请检查文件权限和编码。"
        )
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = _shown(exc.filename, root) if exc.filename else exc.name
        return SiteBuilderError(f"模板语法错误：{name}:{exc.lineno}：{exc.message}")
    if isinstance(exc, jinja2.TemplateNotFound):
        searched = "、".join(_shown(d, root) for d in dirs)
        if where:
            return SiteBuilderError(
                f"模板 {where} 引用的模板 {exc.name} 不存在（在 {searched} 中查找）。"
            )
        return SiteBuilderError(
            f"找不到模板 {exc.name}（在 {searched} 中）：请检查引用它的模板里的名称是否写错。"
        )
    if where is None:
        return None
    if isinstance(exc, jinja2.UndefinedError):
        detail = f"使用了未定义的变量或函数（{exc.message}）"
    elif isinstance(exc, jinja2.TemplateError):
        detail = exc.message or type(exc).__name__
    else:
        detail = f"{type(exc).__name__}: {exc}"
    ours = Path(__file__).parents[1]
    if any(_inside(name, ours) for name, _ in frames[at[-1] + 1 :]):
        # Raised by a filter or function of this tool that the template called.
        detail += "（出错位置在 site-builder 的代码中：请检查传给它的值；若模板无误，请报告此问题）"
    return SiteBuilderError(f"模板 {where} 出错：{detail}")
