"""Where things are in a list repository: the one home of its folder layout.

Every path this tool reads or writes in the repository is named here, relative to
the repository's root (POSIX separators, as git and the problems show them)::

    site.yaml                        CONFIG: the site's configuration
    schema/                          SCHEMA: <kind>.schema.json, one per record kind
    data/                            DATA: every record
      jurisdictions.yaml             JURISDICTIONS
      laws/<id>.yaml                 LAWS: the law register
      flows/<id>.yaml                FLOWS: the standard flows
      departments/                   DEPARTMENTS
        <department>/                department_folder()
          department.yaml            DEPARTMENT_FILE
          powers/<id>.yaml           POWERS: the department's powers
    templates/                       TEMPLATES: the theme
      static/                        STATIC: copied under assets/
    <theme_overrides>/               a site's own templates (site.yaml), as templates/
    CODEOWNERS                       written by ``site-builder codeowners``
    .cache/                          CACHE: the build cache, never committed

These are the repository's paths, the build's inputs; the paths of the built site
are urls.py's.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

CONFIG = "site.yaml"
SCHEMA = "schema"
DATA = "data"
JURISDICTIONS = f"{DATA}/jurisdictions.yaml"
LAWS = f"{DATA}/laws"
FLOWS = f"{DATA}/flows"
DEPARTMENTS = f"{DATA}/departments"
DEPARTMENT_FILE = "department.yaml"
POWERS = "powers"  # inside a department's folder
TEMPLATES = "templates"
STATIC = "static"  # inside each template folder
CODEOWNERS = "CODEOWNERS"
CACHE = ".cache"

# What a build reads (besides the site's own template folder, see ``sources``): a change
# to any of them may change the site. Top-level names, files or folders.
SOURCES = (CONFIG, DATA, SCHEMA, TEMPLATES)

# What the site's reviewers (编办、司法部门) own rather than a department, in the order
# CODEOWNERS lists it: a folder ends with "/".
CENTRAL = (f"{SCHEMA}/", f"{LAWS}/", f"{FLOWS}/", CONFIG, JURISDICTIONS)

# The records whose changes the trail follows, by path: (pattern, kind, group of the id).
# A flow has no key: its changes are not followed as changes of a record.
_RECORD_PATHS = (
    (re.compile(rf"^{DEPARTMENTS}/([^/]+)/{POWERS}/([^/]+)\.yaml$"), "power", 2),
    (re.compile(rf"^{DEPARTMENTS}/([^/]+)/{re.escape(DEPARTMENT_FILE)}$"), "department", 1),
    (re.compile(rf"^{LAWS}/([^/]+)\.yaml$"), "law", 1),
)


def sources(theme_overrides: str | None) -> tuple[str, ...]:
    """What a build of a site with ``theme_overrides`` (site.yaml's own template folder) reads.

    ``theme_overrides`` is taken as checked by the configuration: a folder inside the repository.
    """
    if not theme_overrides:
        return SOURCES
    custom = PurePosixPath(theme_overrides).as_posix()
    return SOURCES if custom in SOURCES else (*SOURCES, custom)


def department_folder(department: str) -> str:
    """The folder of a department, ``department`` being its folder's name (as in paths)."""
    return f"{DEPARTMENTS}/{department}"


def department_file(department: str) -> str:
    """The department's own record."""
    return f"{department_folder(department)}/{DEPARTMENT_FILE}"


def powers_folder(department: str) -> str:
    """The folder of the department's powers."""
    return f"{department_folder(department)}/{POWERS}"


def power_file(department: str, power_id: str) -> str:
    """The file of the power ``power_id`` of the department."""
    return f"{powers_folder(department)}/{power_id}.yaml"


def schema_file(kind: str) -> str:
    """The JSON Schema of the records of ``kind`` (``site`` for site.yaml)."""
    return f"{SCHEMA}/{kind}.schema.json"


def department_of(path: str) -> str:
    """The name of the department folder that ``path`` lies in, or "" outside any."""
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and path.startswith(f"{DEPARTMENTS}/") else ""


def record_key(path: str) -> tuple[tuple[str, str], str] | None:
    """((kind, id), department) of the record at ``path`` (a power, a department or a law;
    department "" for a law), or None for other files."""
    for pattern, kind, group in _RECORD_PATHS:
        match = pattern.match(path)
        if match:
            return (kind, match.group(group)), match.group(1) if kind != "law" else ""
    return None
