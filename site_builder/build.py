"""The pipeline: the one place that knows the order of the stages."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from site_builder import checks, downloads, history, model, output, render, report, search
from site_builder.config import load_config
from site_builder.errors import DataError, Problem, UsageError, warning
from site_builder.model import Dataset
from site_builder.pages import Site, edition_slug, plan
from site_builder.schemas import Schemas


@dataclass(frozen=True)
class Checked:
    """A repository read and checked: its dataset and every problem, placed and sorted."""

    dataset: Dataset
    problems: list[Problem]


def check_repository(root: Path, strict: bool = False) -> Checked:
    """Read the configuration and every record, check each file, then check across records."""
    config = load_config(root)
    schemas = Schemas(root / "schema", config.category_names)
    dataset, problems = model.load(root, config, schemas)
    problems += checks.check(dataset)
    placed = report.place(problems, dataset.texts)
    return Checked(dataset, report.strictly(placed, strict))


CACHE = ".cache/history"


def build(
    root: Path, out: Path, strict: bool = False, allow_dirty: bool = False, preview: bool = False
) -> Checked:
    """Validate the repository, read its history, then write the site into ``out``.

    Nothing is written when the data has errors, or when data files have uncommitted
    changes (unless ``allow_dirty``; a ``preview`` allows them and marks them on the pages).
    """
    checked = check_repository(root, strict)
    git = history.published(
        root, root / CACHE, checked.dataset.config.raw.get("editions", {}).get("tag_pattern")
    )
    # A power withheld today is left out of every edition's downloads too.
    withheld = {p.id for p in checked.dataset.powers.values() if not p.data["disclosure"]["public"]}
    edition_files, edition_problems = _edition_downloads(root, git, withheld)
    problems = checked.problems + report.strictly(_history_problems(git) + edition_problems, strict)
    if report.has_errors(problems):
        raise DataError(problems)
    if git.uncommitted and not (allow_dirty or preview):
        listed = "、".join(git.uncommitted[:5]) + ("等" if len(git.uncommitted) > 5 else "")
        raise UsageError(
            f"数据有未提交的修改（{listed}）：网站只发布已提交的内容。请先提交，或使用 --allow-dirty 构建预览。"
        )
    built_editions = frozenset(
        e.tag
        for e in git.editions
        if f"editions/{edition_slug(e.tag)}/data/powers.json" in edition_files
    )
    site, pages = plan(checked.dataset, git, preview, built_editions)
    index = search.shards(site)
    files = render.render_site(site, [*pages, search.page(site, index)])
    files |= search.files(root, index)
    files |= downloads.files(site)
    files |= edition_files
    output.write_site(out, files, site.commit, site.time)
    return Checked(checked.dataset, problems)


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
            site = Site(checked.dataset, state)
            prefix = f"editions/{edition_slug(edition.tag)}/"
            files |= {
                prefix + path: data
                for path, data in downloads.files(site, withheld).items()
                if path.startswith("data/")
            }
    return files, problems


def _history_problems(git: history.Published) -> list[Problem]:
    if git.shallow:
        message = "这是浅克隆（shallow clone），修改记录不完整：请获取完整历史（git fetch --unshallow；CI 中设置 fetch-depth: 0）。"
        return [warning(".git", (), message, "shallow-clone")]
    return []
