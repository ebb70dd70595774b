"""The tool's own defaults: what a list repository uses for whatever it does not hold.

They are the theme (``templates/`` with ``static/``), the record schemas (``schema/``),
lunr.js with its licence, and the standard flows that ``init`` writes into a new list.
A list repository holding a file of its own (``templates/power.html``,
``schema/power.schema.json``) uses its own; everything else comes from the installed
tool, so upgrading the tool upgrades the site.

Where they are: a built distribution (wheel or sdist) carries them in
``site_builder/_defaults/``, copied there by ``setup.py`` when it is built; a source
checkout (this repository, the reference instance, installed editable) has them at its
top level, as the reference list's own ``templates/``, ``schema/``, ``data/flows/`` and
``node_modules/lunr/`` (npm). The one is never committed, the other is the source of it.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1]
BUNDLED = PACKAGE / "_defaults"
CHECKOUT = PACKAGE.parent

# What a distribution carries, in _defaults/: its name there -> its place in a checkout.
PLACES = {
    "templates": "templates",
    "schema": "schema",
    "flows": "data/flows",
    "lunr": "node_modules/lunr",
}
# The files of lunr.js that the site publishes (its licence with it).
LUNR_FILES = ("lunr.min.js", "LICENSE")


def bundled() -> bool:
    """Whether the defaults are those of a built distribution (else of a source checkout)."""
    return BUNDLED.is_dir()


def base() -> Path:
    """The folder every default lies in: a file found through a link out of it is refused."""
    return BUNDLED if bundled() else CHECKOUT


def folder(name: str) -> Path:
    """The folder of the defaults ``name`` (a key of ``PLACES``)."""
    return BUNDLED / name if bundled() else CHECKOUT / PLACES[name]


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
