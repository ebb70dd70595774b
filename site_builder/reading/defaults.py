"""The tool's own defaults: what a list repository uses for whatever it does not hold.

They are the theme (``templates/`` with ``static/``), the record schemas (``schema/``),
lunr.js with its licence, and the standard flows that ``init`` writes into a new list.
A list repository holding a file of its own (``templates/power.html``,
``schema/power.schema.json``) uses its own; everything else comes from the installed
tool, so upgrading the tool upgrades the site.

Where they are: a built distribution (wheel or sdist) carries them in
``site_builder/_defaults/``, copied there by ``setup.py`` when it is built (an editable
install puts only lunr.js there, when npm has not installed it); a source
checkout (this repository, the reference instance, installed editable) has them at its
top level, as the reference list's own ``templates/``, ``schema/``, ``data/flows/`` and
``node_modules/lunr/`` (npm). The one is never committed, the other is the source of it.
"""

from __future__ import annotations

from pathlib import Path

from site_builder.reading import layout

PACKAGE = Path(__file__).resolve().parents[1]
BUNDLED = PACKAGE / "_defaults"
CHECKOUT = PACKAGE.parent

# What a distribution carries, in _defaults/: its name there -> its place in a checkout.
PLACES = {
    "templates": layout.TEMPLATES,
    "schema": layout.SCHEMA,
    "flows": layout.FLOWS,
    "lunr": "node_modules/lunr",
}
# The files of lunr.js that the site publishes (its licence with it).
LUNR_FILES = ("lunr.min.js", "LICENSE")


def bundled(name: str) -> bool:
    """Whether the defaults ``name`` (a key of ``PLACES``) are a built distribution's (else
    a source checkout's; an editable install may have fetched lunr.js alone)."""
    return (BUNDLED / name).is_dir()


def folder(name: str) -> Path:
    """The folder of the defaults ``name`` (a key of ``PLACES``)."""
    return BUNDLED / name if bundled(name) else CHECKOUT / PLACES[name]


def base(path: Path) -> Path:
    """The folder that a default file at ``path`` must not be left by a link from."""
    inside = str(path).startswith(str(BUNDLED) + "/") or path == BUNDLED
    return BUNDLED if inside else CHECKOUT


def templates() -> Path:
    """The default theme: the templates, with ``static/``."""
    return folder("templates")


def schema() -> Path:
    """The default record schemas, ``<kind>.schema.json``."""
    return folder("schema")


def flows() -> Path:
    """The standard flows (行政许可一般程序, …) that a new list starts with."""
    return folder("flows")


def lunr() -> Path:
    """lunr.js and its licence, as npm installed them."""
    return folder("lunr")
