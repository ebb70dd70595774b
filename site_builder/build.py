"""The pipeline: the one place that knows the order of the stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from site_builder import checks, model, output, render, report, search
from site_builder.config import load_config
from site_builder.errors import DataError, Problem
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


def build(root: Path, out: Path, strict: bool = False) -> Checked:
    """Validate the repository, then write the site into ``out``; refuse to write when the data has errors."""
    checked = check_repository(root, strict)
    if report.has_errors(checked.problems):
        raise DataError(checked.problems)
    site, pages = plan(checked.dataset)
    index = search.shards(site)
    files = render.render_site(site, [*pages, search.page(site, index)])
    files |= search.files(root, index)
    output.write_site(out, files)
    return checked
