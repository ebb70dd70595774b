"""The render stage's schedule: the pages, the search index and the data files as tasks
for the workers, longest first, each timed, each writing its files as it makes them.

What changes here is how the work is dealt out (the order, the shares of pages, what is
timed), never what is made: the same files come out with one job or many.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path

from site_builder.engine import parallel
from site_builder.engine.timings import Timings
from site_builder.publishing import downloads, manifest, output, search
from site_builder.rendering import render
from site_builder.structure.pages import Page, Site

Written = dict[str, manifest.Entry]
Task = Callable[[], tuple[dict[str, float], Written]]

# Shares of the pages per process: more and smaller shares let the workers end closer
# together, each costs a fork (a few milliseconds for each 100 MB the build holds).
SHARES_PER_JOB = 4


def render_all(
    site: Site, pages: list[Page], root: Path, jobs: int, clock: Timings, staging: output.Staging
) -> tuple[Written, Written]:
    """Render the pages, build the search index and make the data files, side by side,
    each task writing its files into the new output as it makes them (pages one by one).

    Returns what was written: the pages and search files, and the data files. The
    pages are dealt into shares of like cost (``SHARES_PER_JOB`` per process), so that
    no worker waits long for another. Each task reports its own time, the time its
    pages spent drawing flowcharts, and the time it spent writing.
    """
    # The templates compiled once, here, for every worker to inherit.
    env = render.templates(site, {p.template for p in [*pages, search.page(site, [])]})

    def searching() -> dict[str, bytes]:
        index = search.shards(site)
        return render.render_pages(site, [search.page(site, index)], env) | search.files(
            root, index
        )

    timed = functools.partial(_timed, staging)
    # The longest task first (the tables), the short ones last, so that the workers
    # finish together: the tables, the shares of pages, the zips, the search index, the
    # JSON files. Each with whether it makes data files.
    tables, json_files, zips = downloads.data_parts(site)
    tasks = [
        (True, timed("downloads", tables)),
        *(
            (False, timed("render", functools.partial(render.rendered, site, share, env)))
            for share in shares(pages, max(1, jobs) * SHARES_PER_JOB)
        ),
        (True, timed("downloads", zips)),
        (False, timed("search", searching)),
        (True, timed("downloads", json_files)),
    ]
    made: dict[bool, list[Written]] = {True: [], False: []}
    done = parallel.run([task for _, task in tasks], jobs)
    for (is_data, _), (seconds, result) in zip(tasks, done, strict=True):
        for name, value in seconds.items():
            if value or name != "flowcharts":
                clock.add(name, value)
        made[is_data].append(result)
    output.joined(*made[False], *made[True])  # no two tasks wrote one path
    return output.joined(*made[False]), output.joined(*made[True])


def _timed(staging: output.Staging, name: str, work: Callable[[], manifest.Files]) -> Task:
    """``work`` as a task that writes what it makes and reports its time as ``name``,
    less the time spent drawing flowcharts and writing (reported apart)."""

    def task() -> tuple[dict[str, float], Written]:
        drawn, wrote = render.flowchart_seconds(), staging.seconds
        start = time.perf_counter()
        written = staging.put(work())
        drawing = render.flowchart_seconds() - drawn
        writing = staging.seconds - wrote
        seconds = time.perf_counter() - start - drawing - writing
        return {name: seconds, "flowcharts": drawing, "write": writing}, written

    return task


def shares(pages: list[Page], count: int) -> list[list[Page]]:
    """Deal the pages into ``count`` shares of like cost, heaviest first (a gazette costs
    as much as the powers it holds). A department's gazette and its powers' pages go
    together, one after another, as they share the flowcharts drawn for them."""
    units: dict[str, list[Page]] = {}
    for page in pages:
        units.setdefault(_unit(page), []).append(page)
    weight = {
        key: sum(len(p.context.get("views") or ()) + 1 for p in unit) for key, unit in units.items()
    }
    loads = [0] * count
    dealt: list[list[Page]] = [[] for _ in range(count)]
    for key in sorted(units, key=lambda k: (-weight[k], k)):
        lightest = loads.index(min(loads))
        dealt[lightest] += units[key]
        loads[lightest] += weight[key]
    return [share for share in dealt if share]


def _unit(page: Page) -> str:
    """The pages rendered together with ``page``: its department's, for a power or a gazette."""
    if page.template == "gazette.html":
        return f"department:{page.context['department'].id}"
    if page.template == "power.html":
        return f"department:{page.context['power'].department}"
    return page.path
