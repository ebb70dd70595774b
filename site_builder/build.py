"""The pipeline: the one place that knows the order of the stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from site_builder import checks, downloads, history, model, output, render, report, search
from site_builder.config import load_config
from site_builder.errors import DataError, Problem, UsageError, warning
from site_builder.model import Dataset
from site_builder.pages import plan
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
    problems = checked.problems + report.strictly(_history_problems(git), strict)
    if report.has_errors(problems):
        raise DataError(problems)
    if git.uncommitted and not (allow_dirty or preview):
        listed = "、".join(git.uncommitted[:5]) + ("等" if len(git.uncommitted) > 5 else "")
        raise UsageError(
            f"数据有未提交的修改（{listed}）：网站只发布已提交的内容。请先提交，或使用 --allow-dirty 构建预览。"
        )
    site, pages = plan(checked.dataset, git, preview)
    index = search.shards(site)
    files = render.render_site(site, [*pages, search.page(site, index)])
    files |= search.files(root, index)
    files |= downloads.files(site)
    output.write_site(out, files, site.commit, site.time)
    return Checked(checked.dataset, problems)


def _history_problems(git: history.Published) -> list[Problem]:
    if git.shallow:
        message = "这是浅克隆（shallow clone），修改记录不完整：请获取完整历史（git fetch --unshallow；CI 中设置 fetch-depth: 0）。"
        return [warning(".git", (), message, "shallow-clone")]
    return []
