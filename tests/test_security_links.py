"""Files from outside the repository: links, special files, theme_overrides, the CSP, and ``verify``.

Every folder the build reads refuses symbolic links and special files by one rule
(``site_builder/reading/tree.py``); ``theme_overrides`` must lie inside the repository; an overriding
``base.html`` without the Content-Security-Policy is warned about; ``verify`` reports
anything in a built site that its manifest does not vouch for. Real repositories, real
builds, real files: the links, named pipes and folders are made on disk.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import PROJECT, Repo

import site_builder
from site_builder.errors import DataError
from site_builder.publishing import search
from site_builder.reading import tree
from site_builder.rendering import render

CODE = (
    Path(site_builder.__file__).resolve().parent.parent
)  # the code under test, in the process too
SECRET = "CI_TOKEN=secret-of-the-build-machine"
# A FIFO read without care blocks until someone writes to it: a build that takes this
# long is hanging on one.
SECONDS = 60


def built(repo: Repo) -> dict[str, bytes]:
    """Build ``repo`` into public/ (it must succeed); every file of the output."""
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    return snapshot(repo.root / "public")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in folder.rglob("*")
        if not p.is_dir()
    }


def run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """site-builder in a process of its own, so that a hang fails the test instead of the suite."""
    return subprocess.run(
        [sys.executable, "-m", "site_builder", "-C", str(root), *args],
        env={**os.environ, "PYTHONPATH": str(CODE)},
        capture_output=True,
        text=True,
        timeout=SECONDS,
        check=False,
    )


def refused_cleanly(repo: Repo, where: str, message: str, code: int = 1) -> None:
    """validate and build both end with ``code``, naming ``where``; public/ is as it was."""
    before = snapshot(repo.root / "public")
    for command in ("validate", "build"):
        result = run(repo.root, command)
        assert result.returncode == code, (command, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr and "内部错误" not in result.stderr
        lines = [line for line in result.stdout.splitlines() if line.startswith(f"{where}:")]
        assert any(message in line and ": error: " in line for line in lines), result.stdout
    assert snapshot(repo.root / "public") == before


def set_theme_overrides(repo: Repo, value: str) -> None:
    config = repo.root / "site.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"theme_overrides: {json.dumps(value)}\n", encoding="utf-8")


# --- links and special files in the folders the build reads ---------------------------


def test_a_linked_static_file_is_refused_and_never_published(repo: Repo, tmp_path: Path) -> None:
    built(repo)
    (tmp_path / "environ").write_text(SECRET, encoding="utf-8")
    (repo.root / "templates/static/env.txt").symlink_to(tmp_path / "environ")
    refused_cleanly(repo, "templates/static/env.txt", tree.LINK_MESSAGE)
    assert not any(SECRET.encode() in data for data in snapshot(repo.root / "public").values())


def test_a_linked_folder_on_the_way_is_refused(repo: Repo, tmp_path: Path) -> None:
    """templates/static itself a link to a folder elsewhere: the link is named, not what is in it."""
    built(repo)
    elsewhere = tmp_path / "elsewhere"
    shutil.move(repo.root / "templates/static", elsewhere)
    (repo.root / "templates/static").symlink_to(elsewhere, target_is_directory=True)
    refused_cleanly(repo, "templates/static", tree.LINK_MESSAGE)


def test_a_link_inside_the_repository_is_refused_too(repo: Repo) -> None:
    """Even a link to a file of the same repository: the rule is simple, and says so."""
    built(repo)
    (repo.root / "templates/copy.html").symlink_to(repo.root / "templates/base.html")
    refused_cleanly(repo, "templates/copy.html", "不允许符号链接（无论指向仓库内还是仓库外）")


@pytest.mark.parametrize(
    "rel",
    [
        "templates/static/pipe.txt",
        "templates/base.html",  # a template the pages use, replaced by a named pipe
        "schema/extra.schema.json",
        "data/laws/pipe.yaml",
        "site.yaml",
    ],
)
def test_a_named_pipe_is_refused_without_waiting(repo: Repo, rel: str) -> None:
    built(repo)
    (repo.root / rel).unlink(missing_ok=True)
    os.mkfifo(repo.root / rel)
    # A problem with site.yaml ends like every other problem with it: exit 2.
    refused_cleanly(repo, rel, "不允许特殊文件（命名管道", 2 if rel == "site.yaml" else 1)


def test_the_template_loader_refuses_a_link_even_unchecked(repo: Repo, tmp_path: Path) -> None:
    """The loader itself reads by the rule, whoever calls it (not only after the checks)."""
    (tmp_path / "page.html").write_text(SECRET, encoding="utf-8")
    (repo.root / "templates/page.html").symlink_to(tmp_path / "page.html")
    env = render.environment([repo.root / "templates"], repo.root)
    with pytest.raises(DataError) as caught:
        env.get_template("page.html")
    assert [(p.path, p.rule) for p in caught.value.problems] == [("templates/page.html", "symlink")]
    assert env.get_template("base.html")  # a regular template still loads


# --- theme_overrides --------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["../outside", "/etc", "overrides/../../outside", "overrides\\..\\..", ".", "C:/x"]
)
def test_theme_overrides_outside_the_repository_is_a_configuration_error(
    repo: Repo, tmp_path: Path, value: str
) -> None:
    built(repo)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside/base.html").write_text("<title>仓库外的模板</title>", encoding="utf-8")
    (repo.root / "overrides").mkdir()
    set_theme_overrides(repo, value)
    line = (repo.root / "site.yaml").read_text(encoding="utf-8").count("\n")
    refused_cleanly(repo, f"site.yaml:{line}", "必须是仓库中的文件夹", code=2)


def test_theme_overrides_that_is_a_link_out_of_the_repository_is_refused(
    repo: Repo, tmp_path: Path
) -> None:
    built(repo)
    (tmp_path / "static").mkdir()
    (tmp_path / "static/env.txt").write_text(SECRET, encoding="utf-8")
    (repo.root / "overrides").symlink_to(tmp_path, target_is_directory=True)
    set_theme_overrides(repo, "overrides")
    refused_cleanly(repo, "overrides", tree.LINK_MESSAGE)


def test_theme_overrides_inside_the_repository_still_works(repo: Repo) -> None:
    (repo.root / "parts/overrides/static").mkdir(parents=True)
    (repo.root / "parts/overrides/static/extra.txt").write_text("本地文件", encoding="utf-8")
    set_theme_overrides(repo, "parts/overrides/")
    assert built(repo)["assets/extra.txt"] == "本地文件".encode()


# --- the Content-Security-Policy of an overriding base.html --------------------------


def csp_warnings(repo: Repo) -> list[dict[str, object]]:
    """The build succeeds; the CSP warnings that validate reports (and build prints)."""
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    found = repo.cli("validate", "--format", "json")
    warned = [p for p in json.loads(found.stdout)["problems"] if p["rule"] == "csp"]
    assert ("Content-Security-Policy" in result.output) == bool(warned), result.output
    return warned


def test_an_overriding_base_without_the_csp_is_warned_about(repo: Repo) -> None:
    default = (repo.root / "templates/base.html").read_text(encoding="utf-8")
    without = "\n".join(
        line for line in default.splitlines() if "Content-Security-Policy" not in line
    )
    assert without != default
    (repo.root / "overrides").mkdir()
    (repo.root / "overrides/base.html").write_text(without, encoding="utf-8")
    set_theme_overrides(repo, "overrides")
    found = csp_warnings(repo)
    assert [(p["path"], p["line"], p["severity"]) for p in found] == [
        ("overrides/base.html", 1, "warning")
    ]
    assert "Content-Security-Policy" in str(found[0]["message"])
    assert "Content-Security-Policy" not in (repo.root / "public/index.html").read_text("utf-8")


def test_an_overriding_base_with_the_csp_is_not_warned_about(repo: Repo) -> None:
    (repo.root / "overrides").mkdir()
    shutil.copy(repo.root / "templates/base.html", repo.root / "overrides/base.html")
    set_theme_overrides(repo, "overrides")
    assert csp_warnings(repo) == []


# --- lunr.js from node_modules: links resolved, but only within the same folder ------


def lunr_in(root: Path) -> Path:
    folder = root / "node_modules/lunr"
    folder.mkdir(parents=True)
    (folder / "LICENSE").write_text("MIT\n", encoding="utf-8")
    return folder


def test_lunr_linked_out_of_the_repository_is_refused(repo: Repo, tmp_path: Path) -> None:
    built(repo)
    (tmp_path / "environ").write_text(SECRET, encoding="utf-8")
    (lunr_in(repo.root) / "lunr.min.js").symlink_to(tmp_path / "environ")
    result = repo.cli("build")
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("node_modules/lunr/lunr.min.js:1:1: error: lunr.js 的文件")
    assert not any(SECRET.encode() in data for data in snapshot(repo.root / "public").values())


def test_lunr_linked_within_the_repository_is_used(repo: Repo) -> None:
    """As pnpm lays packages out: node_modules/lunr is a link into node_modules/.pnpm."""
    store = repo.root / "node_modules/.pnpm/lunr@2.3.9/node_modules"
    shutil.copytree(PROJECT / "node_modules/lunr", store / "lunr")
    (repo.root / "node_modules/lunr").symlink_to(store / "lunr", target_is_directory=True)
    assert search.lunr_dir(repo.root) == (store / "lunr").resolve()
    files = built(repo)
    assert files["assets/lunr/lunr.min.js"] == (store / "lunr/lunr.min.js").read_bytes()


# --- verify: only what the manifest vouches for ---------------------------------------


@pytest.fixture
def site(repo: Repo) -> Path:
    """The repository built into public/, which verify approves as built."""
    built(repo)
    out = repo.root / "public"
    result = run(repo.root, "verify", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out


def verify_reports(site: Path, expected: str) -> str:
    """verify exits 1, quietly (no traceback), with a line starting with ``expected``."""
    result = run(site.parent, "verify", str(site))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and "内部错误" not in result.stderr, result.stderr
    assert any(line.startswith(expected) for line in result.stdout.splitlines()), result.stdout
    assert "核对失败" in result.stderr
    return result.stdout


def test_verify_reports_a_link_to_the_root_of_the_disk(site: Path) -> None:
    (site / "rootfs").symlink_to("/", target_is_directory=True)
    out = verify_reports(site, "rootfs: 符号链接")
    assert "etc" not in out  # never followed


def test_verify_reports_a_listed_file_replaced_by_a_link_to_the_same_bytes(
    site: Path, tmp_path: Path
) -> None:
    page = site / "index.html"
    shutil.copy(page, tmp_path / "index.html")
    page.unlink()
    page.symlink_to(tmp_path / "index.html")
    verify_reports(site, "index.html: 符号链接")


def test_verify_reports_a_named_pipe_without_waiting_on_it(site: Path) -> None:
    os.mkfifo(site / "assets/pipe")
    verify_reports(site, "assets/pipe: 特殊文件")


def test_verify_reports_a_listed_file_replaced_by_a_named_pipe(site: Path) -> None:
    (site / "index.html").unlink()
    os.mkfifo(site / "index.html")
    verify_reports(site, "index.html: 特殊文件")


def test_verify_reports_an_empty_folder(site: Path) -> None:
    (site / "powers/empty").mkdir()
    verify_reports(site, "powers/empty: 空文件夹")


def test_verify_reports_a_file_not_in_the_manifest_even_named_like_one(site: Path) -> None:
    """Only the site's own build.json and SHA256SUMS are unlisted, not one in a sub-folder."""
    (site / "assets/build.json").write_text("{}", encoding="utf-8")
    verify_reports(site, "assets/build.json: 多余")


def rewrite_manifest(site: Path, change: object) -> None:
    doc = json.loads((site / "build.json").read_text(encoding="utf-8"))
    doc["files"][0]["path"] = change
    (site / "build.json").write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (b"\xff\xfe{}", "不是 UTF-8 编码"),
        (b'{"files": [', "不是有效的 JSON（第 1 行"),
        (b'{"files": 5}', "缺少文件列表 files"),
        (b"[" * 100_000, "不是有效的"),
        (42, "没有文字形式的路径 path"),
        ("/etc/passwd", "是绝对路径"),
        ("../../etc/passwd", "含有“..”"),
        ("assets\\..\\..\\x", "含有反斜杠"),
        ("assets//site.css", "空的路径段"),
        ("index.html\n", "含有控制字符"),
    ],
    ids=[
        "not-utf8",
        "not-json",
        "no-list",
        "nested-deep",
        "path-number",
        "absolute",
        "dot-dot",
        "backslash",
        "empty-segment",
        "control",
    ],
)
def test_verify_explains_a_manifest_it_cannot_use(
    site: Path, damage: bytes | object, detail: str
) -> None:
    if isinstance(damage, bytes):
        (site / "build.json").write_bytes(damage)
    else:
        rewrite_manifest(site, damage)
    out = verify_reports(site, "build.json: 清单无法读取")
    assert detail in out, out


def test_verify_does_not_read_a_linked_manifest(site: Path, tmp_path: Path) -> None:
    """A build.json that is a link to a good copy elsewhere is not taken on trust."""
    shutil.copy(site / "build.json", tmp_path / "build.json")
    (site / "build.json").unlink()
    (site / "build.json").symlink_to(tmp_path / "build.json")
    verify_reports(site, "build.json: 清单无法读取：不是普通文件")


def test_a_link_added_to_the_output_makes_the_next_build_write_again(
    repo: Repo, site: Path
) -> None:
    """A build whose inputs did not change skips writing only when its output is intact."""
    (site / "rootfs").symlink_to("/", target_is_directory=True)
    built(repo)
    assert not (site / "rootfs").is_symlink()
    assert run(repo.root, "verify", str(site)).returncode == 0
