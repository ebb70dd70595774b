"""Read a repository and check it: the configuration, every record, the templates, then
the rules across records; every problem placed on its line and sorted.

The first stages of a build, and the whole of ``validate`` (and of ``diff``'s checks).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from site_builder import report
from site_builder.engine import builds, parallel
from site_builder.engine.timings import Timings
from site_builder.errors import Problem, warning
from site_builder.reading import checks, layout, model, schemagen
from site_builder.reading.config import load_config
from site_builder.reading.model import Dataset
from site_builder.reading.schemas import Schemas
from site_builder.rendering import render


@dataclass(frozen=True)
class Checked:
    """A repository read and checked: its dataset and every problem, placed and sorted."""

    dataset: Dataset
    problems: list[Problem]
    # The build cache used (None: none, as when git tracks it), for the build to go on with.
    cache_dir: Path | None = None


@parallel.collecting_rarely()
def check_repository(
    root: Path, strict: bool = False, jobs: int = 1, timings: Timings | None = None
) -> Checked:
    """Read the configuration and every record, check each file, then check across records."""
    clock = timings or Timings()
    return validate(load(root, jobs, clock), strict, clock)


def load(root: Path, jobs: int, clock: Timings) -> Checked:
    """Read the configuration and every record, checking each file; its problems not yet
    placed on their lines."""
    with clock("load"):
        config = load_config(root)
        schemas = Schemas(root / layout.SCHEMA, config.category_names)
        folder = builds.cache_dir(root)
        dataset, problems = model.load(root, config, schemas, jobs, folder)
        problems += config.warnings
        problems += render.check_templates(root, config)
        problems += [
            warning(rel, (), STALE_SCHEMA, "stale-schema")
            for rel in schemagen.stale(schemas.files, config.category_names)
        ]
    return Checked(dataset, problems, folder)


def validate(loaded: Checked, strict: bool, clock: Timings) -> Checked:
    """Check across the records, then place every problem on its line."""
    with clock("validate"):
        problems = list(loaded.problems)
        if loaded.cache_dir is None:
            problems.append(warning(layout.CACHE, (), TRACKED_CACHE, "tracked-cache"))
        problems += checks.check(loaded.dataset)
        placed = report.place(problems, loaded.dataset.texts)
    return Checked(loaded.dataset, report.strictly(placed, strict), loaded.cache_dir)


TRACKED_CACHE = (
    "git 跟踪了 .cache/ 中的文件：缓存应由构建在本机生成，不应随数据提交，因此本次未使用缓存。"
    "请从仓库中删除（git rm -r --cached .cache）。"
)
STALE_SCHEMA = (
    "这个模式文件不是本工具按当前 site.yaml 会生成的样子（类别改了，或升级了本工具）："
    "编辑器的提示和网站公布的模式会与校验不一致。请运行 site-builder schema 更新后提交。"
)
