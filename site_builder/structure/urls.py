"""Where every page and file of the site is put: the one home of the site's layout.

Each function returns a path from the site root (``powers/<id>.html``). The writers put
files there, the page plans and the downloads catalogue link to them, and the templates
call these functions through the ``url`` global, prefixing the way back to the site root::

    <a href="{{ root }}{{ url.power(p.id) }}">

so that the built site works from any sub-path of any mirror and from the file system.
A link to a page in the same folder is written relative to it (``url.relative``).
The names these paths are made of (ids, category letters, edition tags) are checked by
``slugs``, the home of that rule. ``templates/static/search.js`` builds the links of
its results itself; ``tests/test_urls.py`` holds it to ``power`` here.
"""

from __future__ import annotations

import posixpath

from site_builder.reading.slugs import edition_slug

INDEX = "index.html"  # every folder's own page
DATA = "data"  # the open-data downloads


def root(page: str) -> str:
    """The way back to the site root from ``page`` (``../../`` from ``departments/x/index.html``)."""
    return "../" * page.count("/")


def relative(target: str, page: str) -> str:
    """``target`` as a link from ``page`` (``feed.xml`` from ``changes/index.html``,
    ``../powers/x.html`` from ``laws/y.html``). Both are paths from the site root."""
    here, there = page.split("/")[:-1], target.split("/")
    common = 0
    while common < min(len(here), len(there) - 1) and here[common] == there[common]:
        common += 1
    return "/".join([".."] * (len(here) - common) + there[common:])


def folder(path: str) -> str:
    """The folder of ``path`` with its slash (``laws/`` for ``laws/index.html``); empty at the root."""
    head = posixpath.dirname(path)
    return f"{head}/" if head else ""


# --- pages -------------------------------------------------------------------------


def home() -> str:
    return INDEX


def kiosk() -> str:
    return "kiosk.html"


def withheld() -> str:
    """The register of withheld powers."""
    return "withheld.html"


def jurisdiction(jid: str) -> str:
    return f"jurisdictions/{jid}/{INDEX}"


def department(did: str) -> str:
    return f"departments/{did}/{INDEX}"


def gazette(did: str) -> str:
    """A department's printable list (公报版)."""
    return f"departments/{did}/gazette.html"


def department_changes(did: str) -> str:
    return f"departments/{did}/changes.html"


def department_feed(did: str) -> str:
    return f"departments/{did}/feed.xml"


def power(pid: str) -> str:
    return f"powers/{pid}.html"


def powers() -> str:
    """The A-Z index of all public powers."""
    return f"powers/{INDEX}"


def category(slug: str) -> str:
    """A category's page, from its slug (``Site.category_slug``)."""
    return f"categories/{slug}.html"


def laws() -> str:
    return f"laws/{INDEX}"


def law(lid: str) -> str:
    return f"laws/{lid}.html"


def changes() -> str:
    """The site-wide changelog."""
    return f"changes/{INDEX}"


def changes_feed() -> str:
    return "changes/feed.xml"


def editions() -> str:
    return f"editions/{INDEX}"


def edition(tag: str) -> str:
    """An edition's page, named from its git tag."""
    return f"editions/{edition_slug(tag)}.html"


def edition_data(tag: str, path: str) -> str:
    """A download of an edition: ``path`` (a path of the site's downloads, ``data/…``) in
    the edition's own folder."""
    return f"editions/{edition_slug(tag)}/{path}"


def search() -> str:
    return f"search/{INDEX}"


def search_shard(shard_id: str) -> str:
    """A file of the search index."""
    return f"search/{shard_id}.js"


def downloads() -> str:
    return f"downloads/{INDEX}"


def dictionary() -> str:
    """The data dictionary: the columns of every table."""
    return "downloads/dictionary.html"


def asset(name: str) -> str:
    """A file of ``templates/static/`` (``site.css``) or of lunr.js (``lunr/lunr.min.js``)."""
    return f"assets/{name}"


# --- downloads ---------------------------------------------------------------------


def data(name: str) -> str:
    """A file of the downloads (``powers.json``)."""
    return f"{DATA}/{name}"


def is_data(path: str) -> bool:
    """Whether ``path`` is one of the downloads."""
    return path.startswith(f"{DATA}/")


def data_name(path: str) -> str:
    """A download's name within the downloads (``powers.json`` for ``data/powers.json``),
    as the downloads page shows it and ``datapackage.json`` lists it."""
    return relative(path, data_package())


def table(name: str) -> str:
    """A table of the downloads as CSV (``changes`` -> ``data/changes.csv``)."""
    return data(f"{name}.csv")


def workbook() -> str:
    """Every table in one Excel workbook."""
    return data("powers.xlsx")


def all_powers() -> str:
    return data("powers.json")


def all_departments() -> str:
    return data("departments.json")


def all_laws() -> str:
    return data("laws.json")


def all_jurisdictions() -> str:
    return data("jurisdictions.json")


def sources() -> str:
    """The public YAML sources, zipped."""
    return data("sources.zip")


def department_data(did: str) -> str:
    """A department's record with its public powers, as JSON."""
    return data(f"departments/{did}.json")


def department_sources(did: str) -> str:
    """The public YAML files of a department's folder, zipped."""
    return data(f"departments/{did}.zip")


def power_data(pid: str) -> str:
    return data(f"powers/{pid}.json")


def data_package() -> str:
    """The Frictionless Data Package describing every download."""
    return data("datapackage.json")
