"""Each published edition's own downloads, made from the data and schemas at its tag.

An edition's files are its data as it was, checked by its own rules, with one change:
a power withheld today is left out of every edition's downloads too, even if it was
public then. An edition whose data fails its own checks gets no downloads, and a
warning (about a tag: a warning even under --strict, as no new commit can change it).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from site_builder import history, report
from site_builder.errors import DataError, Problem, warning
from site_builder.history import gitstore
from site_builder.publishing import download_pages
from site_builder.reading.config import load_config
from site_builder.reading.model import Dataset
from site_builder.reading.validation import Checked, check_repository
from site_builder.structure import urls
from site_builder.structure.pages import Site


@dataclass(frozen=True)
class EditionDownloads:
    """The editions' download files by output path, and the warnings about them."""

    files: dict[str, bytes]
    problems: list[Problem]

    def built(self, git: history.Published) -> frozenset[str]:
        """The tags of the editions of ``git`` whose downloads were made."""
        return frozenset(
            e.tag for e in git.editions if urls.edition_data(e.tag, urls.all_powers()) in self.files
        )


def make(root: Path, git: history.Published, dataset: Dataset) -> EditionDownloads:
    """The downloads of every edition of ``git``, leaving out the powers ``dataset`` withholds."""
    withheld = {p.id for p in dataset.public().withheld}
    files: dict[str, bytes] = {}
    problems: list[Problem] = []
    for edition in git.editions:
        with tempfile.TemporaryDirectory(prefix="site-builder-edition-") as tmp:
            site_root, _ = gitstore.export_revision(root, edition.commit, Path(tmp))
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
                for path, data in download_pages.files(site).items()
                if urls.is_data(path)
            }
    return EditionDownloads(files, problems)
