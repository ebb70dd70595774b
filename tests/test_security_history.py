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

from site_builder import history
from site_builder.build import build, check_repository
from site_builder.errors import DataError
from site_builder.history import gitstore
from site_builder.publishing import downloads, public_records
from site_builder.structure.pages import WITHHELD_NOTE, Site

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
    committed = gitstore.files_at(git.git, git.git.head.peel(pygit2.Commit))
    entries = downloads.source_entries(site)
    assert entries  # site.yaml, schema/ and data/
    for rel, data in entries.items():
        assert data == committed[rel], rel
    schemas = downloads.schema_files(site)  # with $id made absolute (base_url)
    assert sorted(schemas) == sorted(rel for rel in committed if rel.startswith("schema/"))
    for rel, data in schemas.items():
        doc = json.loads(committed[rel])
        if rel == "schema/power.schema.json":  # the published one names what the data adds
            doc = public_records.published_schema(doc)
        assert {**json.loads(data), "$id": ""} == {**doc, "$id": ""}


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


# --- old commits that today's checks refuse ----------------------------------------

SUBMODULE_TARGET = "1234567890abcdef1234567890abcdef12345678"  # a commit of another repository


def _gitlink(git: Git, rel: str) -> None:
    """Commit a submodule entry at ``rel``: a gitlink naming a commit this repository lacks."""
    index = git.git.index
    index.add(pygit2.IndexEntry(rel, pygit2.Oid(hex=SUBMODULE_TARGET), pygit2.GIT_FILEMODE_COMMIT))
    index.write()
    git.git.create_commit(
        "HEAD",
        git.signature("市甲局"),
        git.signature("编办审核"),
        "添加子模块",
        index.write_tree(),
        [git.git.head.target],
    )
    index.remove(rel)
    index.write()


# Each was once accepted and merged; none may stop a build once it is in the past.
OLD_FILES = {
    "noncharacter": lambda text: text.replace("content: ", "content: \uffff", 1).encode(),
    "deep-nesting": lambda text: (text + "extra: " + "[" * 30_000 + "]" * 30_000 + "\n").encode(),
    "invalid-yaml": lambda text: (text + "\n  : : [\n").encode(),
    "not-utf-8": lambda text: text.encode("gb18030"),
}


@pytest.mark.parametrize("kind", sorted(OLD_FILES))
def test_an_unreadable_file_in_an_old_commit_is_a_warning_not_a_broken_build(
    git: Git, kind: str
) -> None:
    path = git.repo.root / LICENCE_PATH
    good = path.read_text(encoding="utf-8")
    path.write_bytes(OLD_FILES[kind](good))
    bad = git.commit("一次坏的提交")
    git.tag("edition-2023-9", bad)  # an edition tagged at it, too
    path.write_text(good.replace("content: ", "content: 修正后：", 1), encoding="utf-8")
    fixed = git.commit("修正")
    for attempt in ("cold", "cached"):  # the second build reads the trail from its cache
        result = git.repo.cli("build", "--strict")
        assert result.exit_code == 0, (attempt, result.output)
        assert "Traceback" not in result.output
        warned = [line for line in result.output.splitlines() if ": warning: " in line]
        for commit in (bad, fixed):  # both compare with the file that cannot be read
            assert any(str(commit)[:8] in w and LICENCE_PATH in w for w in warned), warned
        assert any("edition-2023-9" in w and "未通过它自己的校验" in w for w in warned), warned
    page = (git.repo.root / "public/powers/zq-a-xk-001.html").read_text(encoding="utf-8")
    assert page.count("这次修改的文件当时无法读取") == 2
    assert "\uffff" not in page and "（无）" not in page  # no field shown as emptied


@pytest.mark.parametrize(
    "rel", ["data/departments/zq-z", "data/departments/zq-a/powers/zq-a-xk-009.yaml"]
)
def test_a_submodule_in_an_old_commit_is_a_warning_not_a_broken_build(git: Git, rel: str) -> None:
    _gitlink(git, rel)
    git.tag("edition-2023-9", git.git.head.target)
    git.commit("删除子模块")  # the work tree never had it: this commit drops the gitlink
    assert rel not in {e.path for e in git.git.index}
    result = git.repo.cli("build", "--strict")
    assert result.exit_code == 0, result.output
    assert any(
        rel in line and "子模块" in line and ": warning: " in line
        for line in result.output.splitlines()
    ), result.output
    assert SUBMODULE_TARGET not in _everything(git.repo.root / "public")


def test_a_power_added_unreadable_counts_as_withheld(git: Git) -> None:
    """Whether it was public then cannot be read: its commit's message is not published."""
    path = git.repo.root / "data/departments/zq-a/powers/zq-a-cf-009.yaml"
    path.write_bytes(b"id: zq-a-cf-009\nname: \xff\xfe\n")
    git.commit(f"新增{SECRET_NAME}（文件损坏）")
    path.unlink()
    git.commit("删除损坏的文件")
    result = git.repo.cli("build", "--strict")
    assert result.exit_code == 0, result.output
    assert SECRET_NAME not in _everything(git.repo.root / "public")


def _drop_old_blob(git: Git) -> str:
    """Remove from git's objects the blob of an old version of a power (not HEAD's)."""
    old = git.git.revparse_single(f"HEAD:{LICENCE_PATH}").id
    git.repo.power(LICENCE, content="对某某活动依法实施许可。")
    git.commit("修改某某许可")
    loose = Path(git.git.path) / "objects" / str(old)[:2] / str(old)[2:]
    assert loose.is_file()
    loose.unlink()
    return str(old)


def test_a_partial_clone_is_refused_with_what_to_do(git: Git) -> None:
    """A blobless clone (git clone --filter=blob:none) lacks old files' contents."""
    _drop_old_blob(git)
    git.git.config["remote.origin.url"] = "https://example.org/list.git"
    git.git.config["remote.origin.promisor"] = True
    git.git.config["extensions.partialclone"] = "origin"
    result = git.repo.cli("build")
    assert result.exit_code == 2, result.output
    assert "部分克隆" in result.output and "--filter" in result.output
    assert "Traceback" not in result.output and "内部错误" not in result.output
    assert not (git.repo.root / "public").exists()


def test_a_repository_missing_an_object_says_so(git: Git) -> None:
    old = _drop_old_blob(git)
    result = git.repo.cli("build")
    assert result.exit_code == 2, result.output
    assert f"仓库缺少git 对象 {old[:12]}" in result.output and "git fsck" in result.output
    assert "Traceback" not in result.output
