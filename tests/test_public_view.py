"""The public view of a dataset: the only data that outputs are made from.

Every attribute of the view and of the site built from it is walked, whatever it is
called, so that an index added later (a grouping, a lookup, a count) is checked as
soon as it exists: it must be made from the view, or be one of the two declared
readers of what the view leaves out (the register of withheld powers, and the history,
whose published part the site filters where it reads it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LICENCE, PENALTY, Git

from site_builder import history
from site_builder.build import check_repository
from site_builder.reading.disclosure import is_public
from site_builder.reading.model import Dataset, Record
from site_builder.structure.pages import Site

MARK = "qzxviewmark"
SECRET = "zq-a-xk-901"  # withheld: cites the law, names a public power
LATER = "zq-a-cf-901"  # public, left out as an edition's downloads leave out powers withheld now
WITHHELD = {
    **LICENCE,
    "id": SECRET,
    "code": f"441200-{MARK}-code",
    "name": f"绝密{MARK}事项",
    "content": f"绝密内容{MARK}。",
    "responsibilities": [{"step": "shouli", "duty": f"受理{MARK}。"}],
    "related_departments": [{"name": f"{MARK}局", "relation": "前置", "matter": f"{MARK}"}],
    "adjustment": {
        "action": "委托",
        "target_department": "zq-a",
        "target_power": "zq-a-xk-001",
        "reason": f"{MARK}",
    },
    "remark": f"备注{MARK}",
    "disclosure": {"public": False, "reason": "涉及国家秘密", "basis": "保密法"},
}
# The attributes that hold what the view leaves out, by design.
REGISTER = "withheld"
HISTORY = ("git", "trail")  # read only through Site.changes, changes_of and edition_view


def reachable(
    value: Any, skip: tuple[str, ...] = (), path: str = "", seen: set[int] | None = None
) -> Iterator[tuple[str, Any]]:
    """Every value reachable from ``value``, with its path: items, keys, fields and
    attributes, but the attributes named in ``skip`` (at any depth)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return
    seen.add(id(value))
    yield path, value
    if isinstance(value, str | bytes | int | float | bool | Path) or value is None:
        return
    children: list[tuple[str, Any]]
    if isinstance(value, dict):
        children = [(f"{path}[{k!r}]", v) for k, v in value.items()]
        children += [(f"{path}.keys()", k) for k in value]
    elif isinstance(value, list | tuple | set | frozenset):
        children = [(f"{path}[{i}]", v) for i, v in enumerate(value)]
    elif dataclasses.is_dataclass(value) or hasattr(value, "__dict__"):
        names = (
            [f.name for f in dataclasses.fields(value)] if dataclasses.is_dataclass(value) else []
        )
        names += list(getattr(value, "__dict__", {}))
        children = [(f"{path}.{k}", getattr(value, k)) for k in dict.fromkeys(names)]
    else:
        return
    for child_path, child in children:
        if child_path.rsplit(".", 1)[-1] not in skip:
            yield from reachable(child, skip, child_path, seen)


def leaks(value: Any, ids: set[str], skip: tuple[str, ...] = ()) -> list[str]:
    """Where anything of the powers ``ids`` (or of the marked fields) is reachable from ``value``."""
    found = []
    for path, v in reachable(value, skip):
        if isinstance(v, Record) and v.kind == "power" and v.id in ids:
            found.append(f"{path}: record {v.id}")
        elif isinstance(v, str) and (MARK in v or any(i in v for i in ids)):
            found.append(f"{path}: {v[:80]!r}")
        elif isinstance(v, bytes) and MARK.encode() in v:
            found.append(f"{path}: bytes")
    return found


@pytest.fixture
def dataset(git: Git) -> tuple[Dataset, history.Published]:
    git.repo.power(WITHHELD)
    git.repo.power({**PENALTY, "id": LATER, "name": "后来不公开的处罚"})
    git.commit(f"新增{MARK}事项")
    checked = check_repository(git.repo.root)
    assert not checked.problems, checked.problems
    ds = checked.dataset
    read = {rel: (blob, ds.digests[rel]) for rel, blob in ds.blobs.items()}
    return ds, history.published(git.repo.root, None, None, read)


def test_the_walk_finds_a_withheld_power_where_it_is(
    dataset: tuple[Dataset, history.Published],
) -> None:
    ds, git = dataset
    site = Site(ds, git)
    assert leaks(ds, {SECRET})  # the dataset as read holds every power
    assert leaks(site.git, {SECRET})  # the history holds the withheld power's changes
    assert f"[0]: record {SECRET}" in leaks(site.withheld, {SECRET})  # the register lists it
    assert f".powers[{LATER!r}]: record {LATER}" in leaks(ds.public(), {LATER})  # in the view


def test_the_public_view_holds_nothing_of_a_withheld_power(
    dataset: tuple[Dataset, history.Published],
) -> None:
    ds, _ = dataset
    view = ds.public()
    assert [p.id for p in view.withheld] == [SECRET]
    assert not leaks(view, {SECRET}, skip=(REGISTER,))
    narrower = view.public([LATER])  # a view of a view leaves out both
    assert [p.id for p in narrower.withheld] == [LATER, SECRET]  # by id
    assert not leaks(narrower, {SECRET, LATER}, skip=(REGISTER,))
    assert LATER in view.powers and {"zq-a-xk-001", "zq-a-cf-001"} <= narrower.powers.keys()


def test_no_index_of_the_site_holds_a_withheld_power(
    dataset: tuple[Dataset, history.Published],
) -> None:
    ds, git = dataset
    site = Site(ds, git)
    assert [p.id for p in site.withheld] == [SECRET]
    assert site.powers and site.by_category and site.citing and site.changes
    assert not leaks(site, {SECRET}, skip=(REGISTER, *HISTORY))
    # As an edition's downloads are made: the powers withheld now left out as well.
    for view in (site.without([LATER]), Site(ds, git, withheld=[LATER])):
        assert [p.id for p in view.withheld] == [LATER, SECRET]  # by id
        assert not leaks(view, {SECRET, LATER}, skip=(REGISTER, *HISTORY))


@pytest.mark.parametrize(
    ("disclosure", "public"),
    [
        ({"public": True}, True),
        ({"public": False, "reason": "x", "basis": "y"}, False),
        (None, True),  # an old record from before the field, or a department
        ({"reason": "x"}, True),
        ("not a mapping", True),
    ],
)
def test_a_power_is_public_unless_its_disclosure_says_not(disclosure: Any, public: bool) -> None:
    assert is_public(disclosure) is public
    data = {} if disclosure is None else {"disclosure": disclosure}
    assert Record("power", "p", "p.yaml", data).public is public
