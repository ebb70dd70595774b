"""The pipeline: the one place that knows the order of the stages."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from site_builder import (
    builds,
    cache,
    checks,
    downloads,
    history,
    manifest,
    model,
    output,
    parallel,
    render,
    report,
    search,
    urls,
)
from site_builder.config import load_config
from site_builder.errors import DataError, Problem, UsageError, warning
from site_builder.model import Dataset
from site_builder.pages import Page, Site, plan, publishable_editions
from site_builder.schemas import Schemas
from site_builder.timings import Timings


@dataclass(frozen=True)
class Checked:
    """A repository read and checked: its dataset and every problem, placed and sorted."""

    dataset: Dataset
    problems: list[Problem]
    # The build cache used (None: none, as when git tracks it), for the build to go on with.
    cache_dir: Path | None = None


@contextlib.contextmanager
def _collecting_rarely() -> Iterator[None]:
    """Run the garbage collector less often while a build makes its millions of lasting
    objects (records, pages): at the default threshold its passes over them took a quarter
    of reading 10,000 files. Few of them form cycles; the threshold is restored after."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


GC_THRESHOLD = 100_000  # allocations between collections of the youngest objects (default 700)


@_collecting_rarely()
def check_repository(
    root: Path, strict: bool = False, jobs: int = 1, timings: Timings | None = None
) -> Checked:
    """Read the configuration and every record, check each file, then check across records."""
    clock = timings or Timings()
    return _validated(_loaded(root, jobs, clock), strict, clock)


def _loaded(root: Path, jobs: int, clock: Timings) -> Checked:
    """Read the configuration and every record, checking each file; its problems not yet
    placed on their lines."""
    with clock("load"):
        config = load_config(root)
        schemas = Schemas(root / "schema", config.category_names)
        folder = builds.cache_dir(root)
        dataset, problems = model.load(root, config, schemas, jobs, folder)
        problems += render.check_templates(root, config)
    return Checked(dataset, problems, folder)


def _validated(loaded: Checked, strict: bool, clock: Timings) -> Checked:
    """Check across the records, then place every problem on its line."""
    with clock("validate"):
        problems = list(loaded.problems)
        if loaded.cache_dir is None:
            problems.append(warning(cache.FOLDER, (), TRACKED_CACHE, "tracked-cache"))
        problems += checks.check(loaded.dataset)
        placed = report.place(problems, loaded.dataset.texts)
    return Checked(loaded.dataset, report.strictly(placed, strict), loaded.cache_dir)


TRACKED_CACHE = (
    "git 跟踪了 .cache/ 中的文件：缓存应由构建在本机生成，不应随数据提交，因此本次未使用缓存。"
    "请从仓库中删除（git rm -r --cached .cache）。"
)


@_collecting_rarely()
def build(
    root: Path,
    out: Path,
    strict: bool = False,
    allow_dirty: bool = False,
    preview: bool = False,
    jobs: int | None = None,
    timings: Timings | None = None,
) -> Checked:
    """Validate the repository, read its history, then write the site into ``out``.

    Nothing is written when the data has errors, or when data files have uncommitted
    changes (unless ``allow_dirty``; a ``preview`` allows them and marks them on the pages).
    ``jobs`` processes share the work (one per core by default); ``timings`` collects
    the time each stage took.
    """
    clock = timings or Timings()
    jobs = parallel.jobs_for(jobs)
    loaded = _loaded(root, jobs, clock)
    folder = loaded.cache_dir
    read_history = functools.partial(
        history.published,
        root,
        folder / "history" if folder else None,
        loaded.dataset.config.tag_pattern,
        # The bytes read, to be proved the commit's (git's status trusts file times).
        {rel: (blob, loaded.dataset.digests[rel]) for rel, blob in loaded.dataset.blobs.items()},
    )
    # The history is read in a worker while the records are checked here: the two are
    # independent, and what reading the history leaves in memory goes with the worker.
    with parallel.beside(read_history, jobs) as history_read:
        checked = _validated(loaded, strict, clock)
        with clock("history"):  # what is left of it once the records are checked
            git = history_read()
    editions, skipped = publishable_editions(git.editions)
    git = dataclasses.replace(git, editions=editions)
    # What tags and old commits hold stays a warning under --strict: no new commit can
    # change it, so an error would stop every later build.
    problems = checked.problems + report.strictly(_clone_problems(git), strict)
    problems += skipped + _past_problems(git)
    if report.has_errors(problems):
        raise DataError(problems)
    if git.uncommitted and not (allow_dirty or preview):
        listed = "、".join(git.uncommitted[:5]) + ("等" if len(git.uncommitted) > 5 else "")
        raise UsageError(
            f"数据有未提交的修改（{listed}）：网站只发布已提交的内容。请先提交，或使用 --allow-dirty 构建预览。"
        )
    inputs = builds.inputs_key(checked.dataset, git, preview)
    earlier = builds.unchanged(folder, out, inputs)
    if earlier is not None:  # the same inputs built this very output: nothing to do
        clock.notes["unchanged"] = True
        problems += earlier  # the editions' warnings, about tags: never errors, as above
        return Checked(checked.dataset, problems, folder)
    with clock("editions"):
        # A power withheld today is left out of every edition's downloads too.
        withheld = {p.id for p in checked.dataset.public().withheld}
        edition_files, edition_problems = _edition_downloads(root, git, withheld)
    problems += edition_problems  # about tags: warnings even under --strict, as above
    if report.has_errors(problems):
        raise DataError(problems)
    built_editions = frozenset(
        e.tag for e in git.editions if urls.edition_data(e.tag, urls.all_powers()) in edition_files
    )
    with clock("model"):
        site, pages = plan(checked.dataset, git, preview, built_editions)
    with output.staged(out) as staging:
        written = staging.put(output.joined(render.static_files(site.ds), edition_files))
        with clock("render, search and downloads"):
            pages_written, data = _render(site, pages, root, jobs, clock, staging)
        with clock("downloads"):  # the catalogue, the data package and the downloads pages
            finished = staging.put(downloads.finish(site, data))
            written = output.joined(written, pages_written, data, finished)
        with clock("write"):
            staging.publish(written, site.commit, site.time)
    builds.remember(folder, out, inputs, edition_problems)
    return Checked(checked.dataset, problems, folder)


Written = dict[str, manifest.Entry]
Task = Callable[[], tuple[dict[str, float], Written]]


def _render(
    site: Site, pages: list[Page], root: Path, jobs: int, clock: Timings, staging: output.Staging
) -> tuple[Written, Written]:
    """Render the pages, build the search index and make the data files, side by side,
    each task writing its files into the new output as it makes them (pages one by one).

    Returns what was written: the pages and search files, and the data files. The
    pages are dealt into shares of like cost (``SHARES_PER_JOB`` per process), so that
    no worker waits long for another. Each task reports its own time, the time its
    pages spent drawing flowcharts, and the time it spent writing.
    """

    def timed(name: str, work: Callable[[], manifest.Files]) -> Task:
        def task() -> tuple[dict[str, float], Written]:
            drawn, wrote = render.flowchart_seconds(), staging.seconds
            start = time.perf_counter()
            written = staging.put(work())
            drawing = render.flowchart_seconds() - drawn
            writing = staging.seconds - wrote
            seconds = time.perf_counter() - start - drawing - writing
            return {name: seconds, "flowcharts": drawing, "write": writing}, written

        return task

    # The templates compiled once, here, for every worker to inherit.
    env = render.templates(site, {p.template for p in [*pages, search.page(site, [])]})

    def searching() -> dict[str, bytes]:
        index = search.shards(site)
        return render.render_pages(site, [search.page(site, index)], env) | search.files(
            root, index
        )

    # The longest task first (the tables), the short ones last, so that the workers
    # finish together: the tables, the shares of pages, the zips, the search index, the
    # JSON files. Each with whether it makes data files.
    tables, json_files, zips = downloads.data_parts(site)
    shares = _shares(pages, max(1, jobs) * SHARES_PER_JOB)
    tasks = [
        (True, timed("downloads", tables)),
        *(
            (False, timed("render", functools.partial(render.rendered, site, share, env)))
            for share in shares
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


# Shares of the pages per process: more and smaller shares let the workers end closer
# together, each costs a fork (a few milliseconds for each 100 MB the build holds).
SHARES_PER_JOB = 4


def _shares(pages: list[Page], count: int) -> list[list[Page]]:
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
    shares: list[list[Page]] = [[] for _ in range(count)]
    for key in sorted(units, key=lambda k: (-weight[k], k)):
        lightest = loads.index(min(loads))
        shares[lightest] += units[key]
        loads[lightest] += weight[key]
    return [share for share in shares if share]


def _unit(page: Page) -> str:
    """The pages rendered together with ``page``: its department's, for a power or a gazette."""
    if page.template == "gazette.html":
        return f"department:{page.context['department'].id}"
    if page.template == "power.html":
        return f"department:{page.context['power'].department}"
    return page.path


def _edition_downloads(
    root: Path, git: history.Published, withheld: set[str]
) -> tuple[dict[str, bytes], list[Problem]]:
    """Each edition's own downloads, built from the data and schemas read from its tag."""
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for edition in git.editions:
        with tempfile.TemporaryDirectory(prefix="site-builder-edition-") as tmp:
            site_root, _ = history.export_revision(root, edition.commit, Path(tmp))
            try:
                checked = check_repository(site_root)
            except DataError as exc:
                checked = Checked(Dataset(site_root, load_config(root)), exc.problems)
            if report.has_errors(checked.problems):
                message = (
                    f"公布版本 {edition.tag} 的数据未通过它自己的校验，未生成该版本的下载文件。"
                )
                problems.append(warning(".git", (), message, "edition"))
                continue
            state = history.Published(None, [], False, (), edition.commit, edition.timestamp)
            site = Site(checked.dataset, state, withheld=withheld)
            files |= {
                urls.edition_data(edition.tag, path): data
                for path, data in downloads.files(site).items()
                if urls.is_data(path)
            }
    return files, problems


def _clone_problems(git: history.Published) -> list[Problem]:
    """What is wrong with this clone of the repository (a new clone can fix it)."""
    if git.shallow:
        message = "这是浅克隆（shallow clone），修改记录不完整：请获取完整历史（git fetch --unshallow；CI 中设置 fetch-depth: 0）。"
        return [warning(".git", (), message, "shallow-clone")]
    return []


def _past_problems(git: history.Published) -> list[Problem]:
    """A warning for each old commit holding files the update trail could not read."""
    if git.trail is None:
        return []
    by_commit: dict[tuple[str, str], dict[str, list[str]]] = {}
    for u in git.trail.unread:
        by_commit.setdefault((u.commit, u.date), {}).setdefault(u.why, []).append(u.path)
    out = []
    for (commit, date), found in by_commit.items():
        said = []
        if history.UNREADABLE_FILE in found:
            said.append(
                f"文件 {'、'.join(found[history.UNREADABLE_FILE])} 无法读取"
                "（不是 UTF-8 编码的 YAML，或嵌套过深）：修改记录中这次修改不列出无法读取的字段"
            )
        if history.SUBMODULE in found:
            said.append(f"{'、'.join(found[history.SUBMODULE])} 是子模块，其内容不会发布")
        message = (
            f"历史提交 {commit[:8]}（{date}）中，{'；'.join(said)}。"
            "这是旧提交的内容，现在的数据不受影响，无需处理。"
        )
        out.append(warning(".git", (), message, "old-commit"))
    return out
