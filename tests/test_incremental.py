"""Incremental builds: whatever the caches and the previous output hold, a build writes
exactly the bytes a cold build of the same commit writes, after every kind of change."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DEPARTMENT, LICENCE, Git, Repo

from site_builder.build import build
from site_builder.engine import cache
from site_builder.errors import DataError
from site_builder.publishing import manifest
from site_builder.reading import model


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cold(root: Path, tmp_path: Path, jobs: int = 1) -> dict[str, bytes]:
    """The output of a cold build: a copy of the repository without its cache."""
    clone = tmp_path / "cold-repo"
    shutil.rmtree(clone, ignore_errors=True)
    shutil.copytree(root, clone, ignore=shutil.ignore_patterns(".cache"))
    out = tmp_path / "cold-out"
    shutil.rmtree(out, ignore_errors=True)
    build(clone, out, jobs=jobs)
    return files(out)


def edit_power(repo: Repo) -> None:
    repo.power(LICENCE, content="对某某事项的许可（修订）。")


def add_power(repo: Repo) -> None:
    repo.power(LICENCE, id="zq-a-xk-002", name="另一项许可")


def delete_power(repo: Repo) -> None:
    (repo.root / "data/departments/zq-a/powers/zq-a-cf-001.yaml").unlink()


def move_power(repo: Repo) -> None:
    source = repo.root / "data/departments/zq-a/powers/zq-a-cf-001.yaml"
    target = repo.root / "data/departments/zq-b/powers/zq-a-cf-001.yaml"
    target.parent.mkdir(parents=True)
    source.rename(target)


def change_template(repo: Repo) -> None:
    base = repo.root / "templates/base.html"
    base.write_text(base.read_text(encoding="utf-8").replace("</footer>", "<p>新页脚</p></footer>"))


def change_configuration(repo: Repo) -> None:
    config = repo.root / "site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("title:", "title: 新", 1), encoding="utf-8")


def change_law(repo: Repo) -> None:
    repo.law(title="中华人民共和国行政许可法（2019年修正）")


CHANGES: dict[str, Callable[[Repo], None]] = {
    "power edited": edit_power,
    "power added": add_power,
    "power deleted": delete_power,
    "power moved": move_power,
    "template changed": change_template,
    "configuration changed": change_configuration,
    "law changed": change_law,
}


@pytest.fixture
def two_departments(git: Git) -> Git:
    git.repo.department(DEPARTMENT, id="zq-b", name="肇庆市乙局", short_name="市乙局")
    git.commit("增加市乙局")
    return git


@pytest.mark.parametrize("change", CHANGES)
def test_an_incremental_build_writes_what_a_cold_build_writes(
    two_departments: Git, tmp_path: Path, change: str
) -> None:
    repo = two_departments.repo
    out = tmp_path / "public"
    build(repo.root, out, jobs=2)
    assert (repo.root / ".cache" / model.CACHE_FILE).is_file()
    CHANGES[change](repo)
    two_departments.commit(change)
    build(repo.root, out, jobs=2)
    incremental = files(out)
    expected = cold(repo.root, tmp_path)
    assert sorted(incremental) == sorted(expected)
    assert [p for p in expected if incremental[p] != expected[p]] == []


def test_nothing_changed_rewrites_nothing(git: Git, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(git.repo.root, out)
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    build(git.repo.root, out)
    after = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    assert after == before


def test_one_change_leaves_unchanged_files_in_place(git: Git, tmp_path: Path) -> None:
    out = tmp_path / "public"
    build(git.repo.root, out)
    # Every page names the commit, so a commit changes every page; these files do not change.
    kept = [out / "data" / "powers" / "zq-a-cf-001.json", out / "assets" / "site.css"]
    inodes = [path.stat().st_ino for path in kept]
    edit_power(git.repo)
    git.commit("修改许可")
    build(git.repo.root, out)
    assert [path.stat().st_ino for path in kept] == inodes  # kept (hard-linked), not rewritten
    assert "（修订）" in (out / "powers" / "zq-a-xk-001.html").read_text(encoding="utf-8")
    assert (out / "data" / "powers" / "zq-a-xk-001.json").stat().st_ino != inodes[0]


def test_parallel_and_serial_builds_write_the_same_bytes(sample: Repo, tmp_path: Path) -> None:
    Git(sample).commit("样例")
    build(sample.root, tmp_path / "two", jobs=2)
    shutil.rmtree(sample.root / ".cache")
    build(sample.root, tmp_path / "one", jobs=1)
    two, one = files(tmp_path / "two"), files(tmp_path / "one")
    assert sorted(two) == sorted(one)
    assert [p for p in one if one[p] != two[p]] == []


@pytest.mark.parametrize(
    "damage",
    ["garbage", "truncated", "empty", "other key", "tampered body", "folder"],
)
def test_a_damaged_record_cache_is_rebuilt_not_trusted(
    git: Git, tmp_path: Path, damage: str
) -> None:
    root = git.repo.root
    build(root, tmp_path / "first")
    path = root / ".cache" / model.CACHE_FILE
    raw = path.read_bytes()
    head, body = raw.split(b"\n", 1)
    if damage == "garbage":
        path.write_bytes(b"\x00\xff not json")
    elif damage == "truncated":
        path.write_bytes(raw[: len(raw) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "other key":
        doc = json.loads(head)
        doc["key"] = "0" * 64
        path.write_bytes(json.dumps(doc).encode() + b"\n" + body)
    elif damage == "tampered body":
        # A record's cached data changed, its checksum not updated: the file is refused.
        path.write_bytes(head + b"\n" + body.replace("某某许可".encode(), "伪造许可".encode()))
    else:
        path.unlink()
        path.mkdir()
    build(root, tmp_path / "second")
    second = files(tmp_path / "second")
    assert "伪造许可".encode() not in b"".join(second.values())
    assert second == files(tmp_path / "first")
    if damage != "folder":
        assert cache.load(path, json.loads(path.read_bytes().split(b"\n", 1)[0])["key"])


def test_a_cached_record_is_checked_again_under_a_changed_schema(git: Git, tmp_path: Path) -> None:
    root = git.repo.root
    build(root, tmp_path / "first")
    schema = root / "schema" / "power.schema.json"
    doc = json.loads(schema.read_text(encoding="utf-8"))
    doc["properties"]["name"]["maxLength"] = 2  # every name is now too long
    schema.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    git.commit("收紧名称长度")
    with pytest.raises(DataError) as caught:
        build(root, tmp_path / "second")
    assert any(p.pointer == ("name",) for p in caught.value.problems)


def test_a_cache_committed_with_the_sources_is_neither_read_nor_written(
    git: Git, tmp_path: Path
) -> None:
    """A pull request can force-add an ignored .cache/ that maps a file's bytes to other data."""
    root = git.repo.root
    build(root, tmp_path / "first")
    path = root / ".cache" / model.CACHE_FILE
    head, body = path.read_bytes().split(b"\n", 1)
    forged = body.replace("某某许可".encode(), "伪造许可".encode())
    doc = json.loads(head)
    doc["sha256"] = manifest.digest(forged)  # a forger can compute the checksum too
    path.write_bytes(json.dumps(doc).encode() + b"\n" + forged)
    git.git.index.add(".cache/" + model.CACHE_FILE)  # force-added, as `git add -f` would
    git.git.index.write()
    git.commit("夹带缓存")
    committed = path.read_bytes()
    checked = build(root, tmp_path / "second")
    second = files(tmp_path / "second")
    assert "伪造许可".encode() not in b"".join(second.values())
    assert "某某许可".encode() in second["powers/zq-a-xk-001.html"]
    assert path.read_bytes() == committed  # a tracked file is never written
    assert [p.rule for p in checked.problems] == ["tracked-cache"]
    assert "git rm -r --cached .cache" in checked.problems[0].message
