"""Render pages with Jinja2: the only module that imports Jinja2.

Pages link relatively (``{{ root }}`` is the way back to the site root), so the
built site works from any sub-path of any mirror.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import jinja2

from site_builder.model import Dataset, Record, resolve_flow

TEMPLATES = "templates"
STATIC = f"{TEMPLATES}/static"


def environment(root: Path) -> jinja2.Environment:
    """Return the Jinja2 environment of the repository's templates."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(root / TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "xml"]),
        undefined=jinja2.ChainableUndefined,  # most fields are optional
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def public_powers(ds: Dataset) -> list[Record]:
    """Powers whose content may be published, sorted by id."""
    return sorted(
        (p for p in ds.powers.values() if p.data["disclosure"]["public"]), key=lambda p: p.id
    )


def render_site(ds: Dataset) -> dict[str, bytes]:
    """Return every output file of the site: relative path -> bytes."""
    env = environment(ds.root)
    powers = public_powers(ds)
    by_dept: dict[str, list[Record]] = {}
    for p in powers:
        by_dept.setdefault(p.department, []).append(p)
    departments = sorted(
        ds.departments.values(),
        key=lambda d: (
            list(ds.jurisdictions).index(d.data["jurisdiction"])
            if d.data["jurisdiction"] in ds.jurisdictions
            else 0,
            d.id,
        ),
    )
    common: dict[str, Any] = {
        "site": ds.config.raw,
        "categories": ds.config.category_names,
        "jurisdictions": ds.jurisdictions,
    }
    files: dict[str, bytes] = {}

    def page(path: str, template: str, **context: Any) -> None:
        root = "../" * path.count("/")
        html = env.get_template(template).render(**common, **context, root=root)
        files[path] = html.encode("utf-8")

    counts = {d.id: Counter(p.data["category"] for p in by_dept.get(d.id, [])) for d in departments}
    page("index.html", "index.html", departments=departments, counts=counts, total=len(powers))
    for d in departments:
        page(
            f"departments/{d.id}/index.html",
            "department.html",
            department=d,
            powers=by_dept.get(d.id, []),
        )
    for p in powers:
        page(
            f"powers/{p.id}.html",
            "power.html",
            power=p,
            department=ds.departments[p.department],
            steps=resolve_flow(p.data, ds.flows),
            laws=ds.laws,
        )
    static = ds.root / STATIC
    for path in sorted(static.rglob("*")) if static.is_dir() else []:
        if path.is_file():
            files[f"assets/{path.relative_to(static).as_posix()}"] = path.read_bytes()
    return files
