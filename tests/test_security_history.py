"""Security of what the history gives the site (#15): one snapshot of the committed bytes,
no text of withheld powers through commit messages, old commits that cannot break a build,
and a partial clone refused with a message."""

from __future__ import annotations

import csv
import io
import json
import os
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pygit2
import pytest
from conftest import LICENCE, PENALTY, Git, Repo
from sitecheck import every_file

from site_builder import downloads, history
from site_builder.build import build, check_repository
from site_builder.errors import DataError
from site_builder.pages import WITHHELD_NOTE, Site

LICENCE_PATH = "data/departments/zq-a/powers/zq-a-xk-001.yaml"
OLD = 1_600_000_000  # a time well before the commits: git's index then trusts the file times


def _trusting_stat(git: Git) -> None:
    """Make git's status trust file sizes and times alone, as many checkouts do (no ctime)."""
    git.git.config["core.trustctime"] = "false"
    for path in git.repo.root.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            os.utime(path, (OLD, OLD))
    git.git.index.clear()  # entries added anew record the old times (add_all keeps the stat of unchanged files)
    git.commit("文件时间")  # the index now records the old times, and is newer than them


def _same_size_edit(path: Path, old: str, new: str) -> None:
    """Change the text of ``path`` keeping its size and its times, so git's status sees nothing."""
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text and len(old.encode()) == len(new.encode())
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size


def test_bytes_git_status_misses_are_refused_as_uncommitted(git: Git) -> None:
    _trusting_stat(git)
    first = git.repo.cli("build")
    assert first.exit_code == 0, first.output
    page = git.repo.root / "public/powers/zq-a-xk-001.html"
    published = page.read_bytes()
    _same_size_edit(git.repo.root / LICENCE_PATH, "某某许可", "未审许可")
    assert LICENCE_PATH not in git.git.status()  # git's status is fooled: only the bytes tell
    result = git.repo.cli("build")
    assert result.exit_code == 2, result.output
    assert "未提交" in result.output and LICENCE_PATH in result.output
    assert "Traceback" not in result.output
    assert page.read_bytes() == published  # the previous output untouched


def test_a_schema_edited_but_not_committed_is_refused(git: Git) -> None:
    _trusting_stat(git)
    _same_size_edit(git.repo.root / "schema/law.schema.json", "法律法规登记簿", "未经审核的说明")
    assert git.git.status() == {}
    result = git.repo.cli("build")
    assert result.exit_code == 2, result.output
    assert "schema/law.schema.json" in result.output


def test_allow_dirty_and_preview_still_publish_the_work_tree_consistently(git: Git) -> None:
    _trusting_stat(git)
    _same_size_edit(git.repo.root / LICENCE_PATH, "某某许可", "未审许可")
    result = git.repo.cli("build", "--allow-dirty")
    assert result.exit_code == 0, result.output
    for out, marked in ((git.repo.root / "public", False), (git.repo.root / "preview", True)):
        if marked:  # what `site-builder serve` builds
            build(git.repo.root, out, preview=True)
        page = (out / "powers/zq-a-xk-001.html").read_text(encoding="utf-8")
        assert "未审许可" in page and ("未提交" in page) == marked
        with zipfile.ZipFile(io.BytesIO((out / "data/sources.zip").read_bytes())) as z:
            assert "未审许可" in z.read(LICENCE_PATH).decode("utf-8")


def _site(repo: Repo) -> Site:
    """The stages of a build up to the downloads, with the real parts."""
    checked = check_repository(repo.root)
    ds = checked.dataset
    read = {rel: (blob, ds.digests[rel]) for rel, blob in ds.blobs.items()}
    return Site(ds, history.published(repo.root, None, None, read))


def test_downloads_hold_the_committed_bytes(git: Git) -> None:
    site = _site(git.repo)
    assert site.git is not None and site.git.uncommitted == ()
    committed = history.files_at(git.git, git.git.head.peel(pygit2.Commit))
    entries = downloads.source_entries(site)
    assert entries  # site.yaml, schema/ and data/
    for rel, data in entries.items():
        assert data == committed[rel], rel
    schemas = downloads.schema_files(site)  # with $id made absolute (base_url)
    assert sorted(schemas) == sorted(rel for rel in committed if rel.startswith("schema/"))
    for rel, data in schemas.items():
        assert {**json.loads(data), "$id": ""} == {**json.loads(committed[rel]), "$id": ""}


def test_a_file_changed_while_the_build_runs_is_refused_not_published(git: Git) -> None:
    site = _site(git.repo)  # read and checked against the commit
    (git.repo.root / LICENCE_PATH).write_text("name: 未经审核的内容\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        downloads.zip_files(site)
    (problem,) = caught.value.problems
    assert problem.path == LICENCE_PATH and problem.rule == "changed-during-build"
    assert "构建过程中被修改" in problem.message
    (git.repo.root / LICENCE_PATH).unlink()
    with pytest.raises(DataError):
        downloads.zip_files(site)


# --- commit messages that name a withheld power ----------------------------------------

SECRET = {
    **PENALTY,
    "id": "zq-a-cf-009",
    "name": "绝密核查处罚事项",
    "disclosure": {"public": False, "reason": "涉及国家秘密", "basis": "《保守国家秘密法》"},
}
SECRET_NAME = "绝密核查处罚事项"


def _everything(out: Path) -> str:
    """The text of every file, and of every member of the zips (not the zips' own bytes)."""
    return "\n".join(
        data.decode("utf-8", "replace")
        for data in every_file(out).values()
        if not data.startswith(b"PK\x03\x04")
    )


def _assert_built_withholding(git: Git) -> None:
    """Build: nothing of the withheld power anywhere, and the neutral note in its place."""
    result = git.repo.cli("build")
    assert result.exit_code == 0, result.output
    out = git.repo.root / "public"
    assert SECRET_NAME not in _everything(out)
    assert WITHHELD_NOTE in _published_notes(out)


def _published_notes(out: Path) -> list[str]:
    with (out / "data/changes.csv").open(encoding="utf-8", newline="") as f:
        return [row["note"] for row in csv.DictReader(f)]


def test_a_commit_touching_a_withheld_power_publishes_no_message(git: Git) -> None:
    def both() -> None:
        git.repo.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"})
        git.repo.power(SECRET)

    git.pull_request(21, f"缩短某某许可时限并新增{SECRET_NAME}", both)
    git.pull_request(
        22, "缩短处罚事项的时限", lambda: git.repo.power(PENALTY, content="对某某违法行为处罚。")
    )
    result = git.repo.cli("build")
    assert result.exit_code == 0, result.output
    out = git.repo.root / "public"
    assert SECRET_NAME not in _everything(out)
    notes = _published_notes(out)
    assert WITHHELD_NOTE in notes and "缩短处罚事项的时限" in notes  # others keep theirs
    for page in ("powers/zq-a-xk-001.html", "changes/index.html", "changes/feed.xml"):
        assert WITHHELD_NOTE in (out / page).read_text(encoding="utf-8"), page


def test_a_power_withheld_later_takes_its_old_messages_with_it(git: Git) -> None:
    def both() -> None:
        git.repo.power({**SECRET, "disclosure": {"public": True}})  # public then
        git.repo.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"})

    git.pull_request(23, f"新增{SECRET_NAME}并缩短某某许可时限", both)
    git.pull_request(24, "调整公开属性", lambda: git.repo.power(SECRET))
    _assert_built_withholding(git)


def test_a_withheld_power_touched_without_a_change_in_meaning_still_withholds(git: Git) -> None:
    git.pull_request(25, "新增事项", lambda: git.repo.power(SECRET))
    path = git.repo.root / "data/departments/zq-a/powers/zq-a-cf-009.yaml"

    def both() -> None:
        path.write_text("# 格式调整\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
        git.repo.power(LICENCE, content="对某某活动依法实施许可。")

    git.pull_request(26, f"调整{SECRET_NAME}的格式并修改某某许可", both)
    _assert_built_withholding(git)


def test_control_characters_in_commit_text_are_stripped(git: Git) -> None:
    git.repo.power(LICENCE, content="对某某活动依法实施许可。")
    git.commit("修改\x01说明\x1b[31m\r\n\x7f\x85正文", author="张\x01三\x08\x9b")
    result = git.repo.cli("build")
    assert result.exit_code == 0, result.output
    out = git.repo.root / "public"
    for feed in (out / "changes/feed.xml", out / "departments/zq-a/feed.xml"):
        entries = ET.parse(feed).getroot().findall("{http://www.w3.org/2005/Atom}entry")
        assert entries  # well-formed, and the change is there
    text = _everything(out)
    assert "修改说明[31m" in text and "张三" in text
    assert not any(ch in text for ch in "\x01\x1b\x7f\x9b\x00")
