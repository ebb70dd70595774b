"""Render pages with Jinja2: the only module that imports Jinja2.

Pages link relatively (``{{ root }}`` is the way back to the site root), so the
built site works from any sub-path of any mirror and from the file system.
A site may override any template, or any file of ``templates/static/``, by putting
a file of the same name in the folder that ``custom_dir`` in site.yaml names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from site_builder import charts, flowchart, markup
from site_builder.errors import SiteBuilderError
from site_builder.model import Dataset
from site_builder.pages import Page, Site, Stat, initial

TEMPLATES = "templates"
STATIC = "static"


def template_dirs(ds: Dataset) -> list[Path]:
    """The template folders, the site's own first."""
    dirs = [ds.root / TEMPLATES]
    custom = ds.config.raw.get("custom_dir")
    if custom:  # its existence is checked with the configuration
        dirs.insert(0, ds.root / custom)
    return dirs


def environment(dirs: list[Path]) -> jinja2.Environment:
    """Return the Jinja2 environment over ``dirs`` (earlier folders override later ones)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(d) for d in dirs]),
        autoescape=jinja2.select_autoescape(["html", "xml", "svg"], default_for_string=True),
        undefined=jinja2.ChainableUndefined,  # most fields are optional
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = lambda text: Markup(markup.to_html(str(text))) if text else ""
    env.filters["md_inline"] = lambda text: Markup(markup.to_inline_html(str(text))) if text else ""
    env.filters["limit"] = _limit
    env.filters["initial"] = initial
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


def _flowchart(view: dict[str, Any], prefix: str = "fc") -> Markup:
    chart = flowchart.render_flowchart(
        view["steps"],
        chart_id=f"{prefix}-{view['power'].id}",
        title=f"{view['d']['name']}运行流程图",
    )
    return Markup(chart.svg) if chart else Markup("")


def _bar_chart(stat: Stat, root: str) -> Markup:
    # No links inside the chart: an image must not hold interactive content; the table beside it links.
    bars = [charts.Bar(label, value) for label, value in stat.counts.items()]
    return Markup(
        charts.bar_chart(bars, chart_id=stat.chart_id, title=stat.title, root=root, noun=stat.noun)
    )


def render_site(site: Site, pages: list[Page]) -> dict[str, bytes]:
    """Render ``pages`` and copy the static files: relative path -> bytes."""
    ds = site.ds
    dirs = template_dirs(ds)
    env = environment(dirs)
    common: dict[str, Any] = {
        "site": site,
        "config": ds.config.raw,
        "categories": ds.config.category_names,
        "jurisdictions": ds.jurisdictions,
        "flowchart": _flowchart,
        "bar_chart": _bar_chart,
    }
    files: dict[str, bytes] = {}
    for page in pages:
        root = "../" * page.path.count("/")
        try:
            template = env.get_template(page.template)
            html = template.render(**common, **page.context, root=root, page_path=page.path)
        except jinja2.TemplateNotFound as exc:
            raise SiteBuilderError(
                f"找不到模板 {exc.name}（在 {'、'.join(str(d) for d in dirs)} 中）：请从本工具的 templates/ 复制。"
            ) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise SiteBuilderError(
                f"模板语法错误：{exc.filename or exc.name}:{exc.lineno}: {exc.message}"
            ) from exc
        files[page.path] = html.encode("utf-8")
    for folder in reversed(dirs):  # the site's own static files win
        static = folder / STATIC
        for path in sorted(static.rglob("*")) if static.is_dir() else []:
            if path.is_file():
                files[f"assets/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return files
