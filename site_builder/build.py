"""The pipeline: the one place that knows the order of the stages.

``build()`` reads as the stages in order; each stage lives in a module of its own:
validation (read and check), history (read beside the checks), edition_downloads,
pages (the site model and its pages), schedule (render, search and data files on the
workers), download_pages (the catalogue, data package and downloads pages) and output
(stage, then publish).
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

from site_builder import history, report
from site_builder.engine import builds, parallel, schedule
from site_builder.engine.timings import Timings
from site_builder.errors import UsageError
from site_builder.history import git_warnings
from site_builder.publishing import download_pages, edition_downloads, output
from site_builder.reading import validation
from site_builder.reading.validation import Checked as Checked
from site_builder.reading.validation import check_repository as check_repository
from site_builder.rendering import render
from site_builder.structure.pages import Page, Site, plan, publishable_editions


@parallel.collecting_rarely()
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
    loaded = validation.load(root, jobs, clock)
    checked, git = _checked_beside_history(root, loaded, strict, jobs, clock)
    editions, skipped = publishable_editions(git.editions)
    git = dataclasses.replace(git, editions=editions)
    # What tags and old commits hold stays a warning under --strict: no new commit can
    # change it, so an error would stop every later build.
    problems = report.Collected(
        checked.problems, report.strictly(git_warnings.clone_problems(git), strict)
    )
    problems.add(skipped, git_warnings.past_problems(git))
    problems.stop_on_errors()
    _committed_only(git, allow_dirty or preview)
    inputs = builds.inputs_key(checked.dataset, git, preview)
    earlier = builds.unchanged(loaded.cache_dir, out, inputs)
    if earlier is not None:  # the same inputs built this very output: nothing to do
        clock.notes["unchanged"] = True
        problems.add(earlier)  # the editions' warnings, about tags: never errors, as above
        return Checked(checked.dataset, problems.problems, loaded.cache_dir)
    with clock("editions"):
        past = edition_downloads.make(root, git, checked.dataset)
    problems.add(past.problems)  # about tags: warnings even under --strict, as above
    problems.stop_on_errors()
    with clock("model"):
        site, pages = plan(checked.dataset, git, preview, past.built(git))
    _write(site, pages, past.files, root, out, jobs, clock)
    builds.remember(loaded.cache_dir, out, inputs, past.problems)
    return Checked(checked.dataset, problems.problems, loaded.cache_dir)


def _checked_beside_history(
    root: Path, loaded: Checked, strict: bool, jobs: int, clock: Timings
) -> tuple[Checked, history.Published]:
    """Check the records here while a worker reads the history: the two are independent,
    and what reading the history leaves in memory goes with the worker."""
    read_history = functools.partial(
        history.published,
        root,
        loaded.cache_dir / "history" if loaded.cache_dir else None,
        loaded.dataset.config.tag_pattern,
        # The bytes read, to be proved the commit's (git's status trusts file times).
        {rel: (blob, loaded.dataset.digests[rel]) for rel, blob in loaded.dataset.blobs.items()},
    )
    with parallel.beside(read_history, jobs) as history_read:
        checked = validation.validate(loaded, strict, clock)
        with clock("history"):  # what is left of it once the records are checked
            return checked, history_read()


def _committed_only(git: history.Published, allowed: bool) -> None:
    """Refuse to build from uncommitted data, unless ``allowed``: the site publishes only
    what is committed."""
    if git.uncommitted and not allowed:
        listed = "、".join(git.uncommitted[:5]) + ("等" if len(git.uncommitted) > 5 else "")
        raise UsageError(
            f"数据有未提交的修改（{listed}）：网站只发布已提交的内容。请先提交，或使用 --allow-dirty 构建预览。"
        )


def _write(
    site: Site,
    pages: list[Page],
    edition_files: dict[str, bytes],
    root: Path,
    out: Path,
    jobs: int,
    clock: Timings,
) -> None:
    """Render and write everything into a staging folder, then publish it as ``out``."""
    with output.staged(out) as staging:
        written = staging.put(output.joined(render.static_files(site.ds), edition_files))
        with clock("render, search and downloads"):
            pages_written, data = schedule.render_all(site, pages, root, jobs, clock, staging)
        with clock("downloads"):  # the catalogue, the data package and the downloads pages
            finished = staging.put(download_pages.finish(site, data))
            written = output.joined(written, pages_written, data, finished)
        with clock("write"):
            staging.publish(written, site.commit, site.time)
