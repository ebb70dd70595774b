"""Mirror-grade output: reproducible bytes, a manifest written last, verify, and atomic builds."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import LICENCE, PROJECT, Git

from site_builder.build import build
from site_builder.errors import SiteBuilderError
from site_builder.publishing import output


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def cli_build(root: Path, out: Path, **env: str) -> None:
    environment = {**os.environ, "PYTHONPATH": str(PROJECT), **env}
    subprocess.run(
        [sys.executable, "-m", "site_builder", "-C", str(root), "build", "--out", str(out)],
        env=environment,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def published(git: Git) -> Git:
    git.pull_request(
        7,
        "缩短承诺时限",
        lambda: git.repo.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"}),
    )
    git.tag("edition-2024-1")
    return git


def test_the_same_commit_builds_the_same_bytes_anywhere_and_anytime(
    published: Git, tmp_path: Path
) -> None:
    one, two = tmp_path / "a" / "clone", tmp_path / "elsewhere" / "b"
    shutil.copytree(published.repo.root, one)
    shutil.copytree(published.repo.root, two)
    cli_build(one, tmp_path / "out1", PYTHONHASHSEED="1", TZ="Asia/Shanghai")
    time.sleep(1.1)  # a clock that leaks into the output would now differ
    cli_build(two, tmp_path / "out2", PYTHONHASHSEED="2", TZ="America/New_York")
    first, second = files(tmp_path / "out1"), files(tmp_path / "out2")
    assert sorted(first) == sorted(second)
    assert [path for path in first if first[path] != second[path]] == []
    doc = json.loads(first["build.json"])
    head = published.git[published.git.head.target]
    assert doc["commit"] == str(head.id)
    assert doc["time"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(head.commit_time))


def test_every_page_names_the_source_commit(published: Git, tmp_path: Path) -> None:
    build(published.repo.root, tmp_path / "out")
    commit = str(published.git.head.target)[:12]
    pages = [p for p in (tmp_path / "out").rglob("*.html")]
    assert pages and all(commit in p.read_text(encoding="utf-8") for p in pages)


def test_source_date_epoch_sets_the_time(
    published: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    build(published.repo.root, tmp_path / "out")
    assert (
        json.loads((tmp_path / "out/build.json").read_text(encoding="utf-8"))["time"]
        == "2023-11-14T22:13:20Z"
    )


def test_manifest_lists_every_file_and_sha256sums_agrees(published: Git, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build(published.repo.root, out)
    doc = json.loads((out / "build.json").read_text(encoding="utf-8"))
    listed = {e["path"] for e in doc["files"]}
    on_disk = {
        p for p in files(out) if p not in {"build.json", "SHA256SUMS", ".site-builder-output"}
    }
    assert listed == on_disk and "index.html" in listed
    assert doc["tool"] == "site-builder" and doc["version"]
    if shutil.which("sha256sum"):
        subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=out, check=True)


@pytest.mark.parametrize("damage", ["altered", "missing", "extra", "manifest"])
def test_verify_reports_each_kind_of_damage(published: Git, tmp_path: Path, damage: str) -> None:
    out = tmp_path / "mirror"
    build(published.repo.root, out)
    (out / "build.json.sig").write_text(
        "-----BEGIN SSH SIGNATURE-----\n", encoding="utf-8"
    )  # a publisher's signature is not extra
    ok = published.repo.cli("verify", str(out))
    assert ok.exit_code == 0 and ok.stdout == ""
    page = out / "powers/zq-a-xk-001.html"
    if damage == "altered":
        page.write_bytes(page.read_bytes().replace("某某许可".encode(), "被篡改".encode()))
        expected = "powers/zq-a-xk-001.html: 已改动"
    elif damage == "missing":
        page.unlink()
        expected = "powers/zq-a-xk-001.html: 缺失"
    elif damage == "extra":
        (out / "powers/injected.html").write_text("<script>", encoding="utf-8")
        expected = "powers/injected.html: 多余"
    else:
        (out / "build.json").write_text("{", encoding="utf-8")
        expected = "build.json: 清单无法读取"
    result = published.repo.cli("verify", str(out))
    assert result.exit_code == 1
    assert result.stdout.startswith(expected)


def built_then_changed(published: Git, out: Path) -> dict[str, bytes]:
    """Build into ``out``, then commit a change (with nothing changed, a build writes
    nothing); return the first output."""
    build(published.repo.root, out)
    before = files(out)
    published.repo.power(LICENCE, name="新名称")
    published.commit("改名")
    return before


def test_a_build_failing_midway_leaves_the_previous_output(
    published: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = built_then_changed(published, out)
    real = Path.write_bytes

    def flaky(self: Path, data: bytes) -> int:  # type: ignore[override]
        # A power's page: written midway, after the assets and before the manifest, by
        # whichever process renders it.
        if ".out.building-" in str(self) and self.parent.name == "powers":
            raise OSError(28, "No space left on device")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", flaky)
    with pytest.raises(SiteBuilderError) as caught:
        build(published.repo.root, out)
    monkeypatch.undo()
    assert "No space left on device" in str(caught.value)
    assert "保持不变" in str(caught.value)  # says what happened, and that nothing was lost
    assert files(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_an_interrupted_build_leaves_the_previous_output(
    published: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    before = built_then_changed(published, out)

    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(
        output.os, "chmod", interrupt
    )  # after every file is written, before the swap
    with pytest.raises(KeyboardInterrupt):
        build(published.repo.root, out)
    assert files(out) == before
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == []


def test_a_full_disk_is_reported_without_a_traceback(
    published: Git, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the command line: what happened, that nothing was lost, exit 2."""
    from click.testing import CliRunner

    from site_builder.cli import main

    out = tmp_path / "out"
    before = built_then_changed(published, out)
    real = Path.write_bytes

    def full(self: Path, data: bytes) -> int:  # type: ignore[override]
        if ".out.building-" in str(self):
            raise OSError(28, "No space left on device", str(self))
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", full)
    result = CliRunner().invoke(
        main, ["-C", str(published.repo.root), "build", "--out", str(out)], catch_exceptions=False
    )
    monkeypatch.undo()
    assert result.exit_code == 2
    assert "写入网站失败：No space left on device" in result.output
    assert "保持不变" in result.output and "Traceback" not in result.output
    assert files(out) == before
