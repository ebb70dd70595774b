"""Faults: concurrent builds, killed builds, broken templates and a damaged history cache.

Everything here runs real builds in real processes (``python3 -m site_builder``) on
real git repositories; the faults are made on disk, never by replacing code.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import pytest
from conftest import LICENCE, PENALTY, PROJECT, Git, Repo

from site_builder.history.trail import trail as read_trail
from site_builder.history.trail_cache import CACHE_FILE
from site_builder.publishing import output

CACHE = ".cache/history"
WAITING = "另一个构建正在写入"


def files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def leftovers(out: Path) -> list[str]:
    """What is beside ``out`` that a build put there: staging folders, moved-away outputs, locks."""
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _drop_file_permission_override() -> None:
    """In the child, before exec: root loses the right to ignore file permissions."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if libc.prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@functools.cache
def permissions_apply() -> bool:
    """Whether a child process can be made subject to file permissions (root needs CAP_SETPCAP)."""
    if os.name != "posix":
        return False
    if os.geteuid() != 0:
        return True
    if sys.platform != "linux":
        return False
    probe = subprocess.run(
        [sys.executable, "-c", "pass"], preexec_fn=_drop_file_permission_override, check=False
    )
    return probe.returncode == 0


def command(root: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "site_builder",
        "-C",
        str(root),
        "build",
        "--out",
        str(out),
        *extra,
    ]


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(PROJECT)}


def run_build(
    root: Path, out: Path, *extra: str, permissions: bool = False
) -> subprocess.CompletedProcess[str]:
    """A build in a process of its own; with ``permissions``, one that file permissions apply to."""
    drop = permissions and os.name == "posix" and os.geteuid() == 0
    return subprocess.run(
        command(root, out, *extra),
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=_drop_file_permission_override if drop else None,
    )


def start_build(root: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        command(root, out, *extra),
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def first_line(stream: IO[str], seconds: float = 60) -> str:
    """The first line of ``stream``, or "" if none comes within ``seconds``."""
    found: list[str] = []
    reader = threading.Thread(target=lambda: found.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(seconds)
    return found[0] if found else ""


def assert_clean_failure(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.splitlines()[-1].startswith("site-builder: 错误："), result.stderr
    assert "Traceback" not in result.stderr and "内部错误" not in result.stderr


# --- two builds at once ---------------------------------------------------------


def test_a_build_waits_while_another_holds_the_lock_then_writes_its_whole_site(
    git: Git, tmp_path: Path
) -> None:
    root = git.repo.root
    alone = tmp_path / "alone"
    assert run_build(root, alone).returncode == 0
    out = tmp_path / "site"
    with output.lock(out):  # another build, holding the lock as a build does
        build = start_build(root, out)
        try:
            assert build.stderr is not None
            line = first_line(build.stderr)
            assert line.startswith(f"{WAITING} {out}/，等待中…"), line
            time.sleep(0.5)
            assert build.poll() is None and not out.exists()  # it waits, and writes nothing
        except BaseException:
            build.kill()
            build.communicate()
            raise
    _, err = build.communicate(timeout=120)
    assert build.returncode == 0, err
    assert files(out) == files(alone)
    assert run_build(root, out).returncode == 0
    verify = subprocess.run(
        [sys.executable, "-m", "site_builder", "verify", str(out)],
        env=environment(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert leftovers(out) == []  # the lock file goes when the build ends


def test_without_waiting_a_second_build_stops_with_a_clear_message(
    git: Git, tmp_path: Path
) -> None:
    root = git.repo.root
    out = tmp_path / "site"
    assert run_build(root, out).returncode == 0
    before = files(out)
    with output.lock(out):
        started = time.monotonic()
        result = run_build(root, out, "--lock-timeout", "0")
        assert time.monotonic() - started < 30
        assert_clean_failure(result)
        assert WAITING in result.stderr and str(out) in result.stderr
        assert "--lock-timeout" in result.stderr
        waited = run_build(root, out, "--lock-timeout", "0.5")
        assert_clean_failure(waited)
        assert waited.stderr.startswith(f"{WAITING} {out}/，等待中…（最多 0.5 秒）")
        assert "等待 0.5 秒后仍未结束" in waited.stderr.splitlines()[-1]
    assert files(out) == before


def test_two_builds_at_once_end_with_exactly_one_of_their_sites(git: Git, tmp_path: Path) -> None:
    # Two checkouts at different commits: a mix of their sites would show.
    first = git.repo.root
    second = tmp_path / "second"
    shutil.copytree(first, second)
    later = Git(Repo(second))
    later.repo.power(LICENCE, name="第二个构建的许可")
    later.commit("改名")
    alone = {}
    for name, root in (("first", first), ("second", second)):
        alone[name] = tmp_path / f"alone-{name}"
        assert run_build(root, alone[name]).returncode == 0
    assert files(alone["first"]) != files(alone["second"])
    out = tmp_path / "site"
    with output.lock(out):  # both start while the folder is busy: both must wait
        builds = [start_build(first, out), start_build(second, out)]
        try:
            for build in builds:
                assert build.stderr is not None
                assert first_line(build.stderr).startswith(WAITING)
        except BaseException:
            for build in builds:
                build.kill()
                build.communicate()
            raise
    for build in builds:
        _, err = build.communicate(timeout=120)
        assert build.returncode == 0, err
    result = files(out)
    assert result in (files(alone["first"]), files(alone["second"]))
    assert leftovers(out) == []


def test_the_lock_of_a_killed_build_is_released(git: Git, tmp_path: Path) -> None:
    out = tmp_path / "site"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from site_builder.publishing import output\n"
            "with output.lock(Path(sys.argv[1])):\n"
            "    print('locked', flush=True); time.sleep(600)",
            str(out),
        ],
        env=environment(),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and first_line(holder.stdout) == "locked\n"
        assert_clean_failure(run_build(git.repo.root, out, "--lock-timeout", "0"))
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.communicate()
    assert output.lock_file(out).exists()  # a killed holder leaves its file, but not its lock
    result = run_build(git.repo.root, out, "--lock-timeout", "0")
    assert result.returncode == 0, result.stderr
    assert leftovers(out) == []


def test_the_lock_is_reentrant_in_one_thread_and_exclusive_across_threads(tmp_path: Path) -> None:
    out = tmp_path / "site"
    with output.lock(out), output.lock(out, timeout=0):  # a build inside the CLI's lock
        outcome: list[BaseException | None] = []

        def other() -> None:
            try:
                with output.lock(out, timeout=0):
                    outcome.append(None)
            except output.Busy as exc:
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert isinstance(outcome[0], output.Busy)
    with output.lock(out, timeout=0):
        pass
    assert leftovers(out) == []


# --- a build killed while writing -------------------------------------------------


def test_a_build_killed_while_writing_leaves_the_previous_output(git: Git, tmp_path: Path) -> None:
    root = git.repo.root
    static = root / "templates/static"

    def large_files(fill: int) -> None:
        # Written first (assets/ sorts first), they make the writing take a while.
        for n in range(48):
            (static / f"large-{n:02d}.bin").write_bytes(bytes([fill]) * (1 << 20))

    large_files(1)
    out = tmp_path / "site"
    assert run_build(root, out).returncode == 0
    before = files(out)
    large_files(2)  # changed, so written again rather than kept from the previous output
    git.repo.power(LICENCE, name="新名称")
    git.commit("改名")
    build = start_build(root, out)
    staging: Path | None = None
    deadline = time.monotonic() + 120
    try:
        while staging is None and build.poll() is None and time.monotonic() < deadline:
            for name in os.listdir(tmp_path):
                with contextlib.suppress(FileNotFoundError):  # gone as we look: finished
                    if name.startswith(".site.building-") and os.listdir(tmp_path / name):
                        staging = tmp_path / name
                        break
        if staging is None:
            _, err = build.communicate(timeout=120)
            pytest.fail(f"the build was not seen writing (exit {build.returncode}): {err}")
        build.send_signal(signal.SIGSTOP)  # no further progress while we look
        assert not (staging / "build.json").exists()  # midway: the manifest comes last
    finally:
        build.send_signal(signal.SIGKILL)
        build.communicate()
    assert build.returncode == -signal.SIGKILL
    assert files(out) == before  # the previous output, whole
    assert leftovers(out) != []  # what the killed build left
    result = run_build(root, out)
    assert result.returncode == 0, result.stderr
    assert leftovers(out) == []  # tidied by the next build
    assert (out / "powers/zq-a-xk-001.html").read_text(encoding="utf-8").count("新名称") > 0


def _processes_left(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_a_build_and_its_workers_quietly(sample: Repo, tmp_path: Path) -> None:
    # The terminal sends Ctrl-C to every process of the build's group: the parent and its
    # forked workers, mid-render. Exit 130, one line and no traceback, nothing left running.
    Git(sample).commit("初始版本")
    out = tmp_path / "site"
    assert run_build(sample.root, out).returncode == 0
    before = files(out)
    (sample.root / "templates/static/changed.txt").write_text("新", encoding="utf-8")
    Git(sample).commit("改动")
    build = subprocess.Popen(
        command(sample.root, out, "--jobs", "2"),
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a process group of its own, as a terminal gives a command
    )
    deadline = time.monotonic() + 120
    try:
        seen = False
        while not seen and build.poll() is None and time.monotonic() < deadline:
            for name in os.listdir(tmp_path):
                # Pages under powers/ are written by the render workers.
                seen = seen or (
                    name.startswith(".site.building-") and (tmp_path / name / "powers").is_dir()
                )
        assert seen, f"the build was not seen rendering (exit {build.poll()})"
        os.killpg(build.pid, signal.SIGINT)
        _, err = build.communicate(timeout=120)
    finally:
        if build.poll() is None:
            os.killpg(build.pid, signal.SIGKILL)
            build.communicate()
    assert build.returncode == 130, err
    assert err.strip().splitlines() == ["site-builder: 已中断（Ctrl-C）。"], err
    assert files(out) == before and leftovers(out) == []
    for _ in range(100):  # the workers were stopped and reaped by the parent before it left
        if not _processes_left(build.pid):
            break
        time.sleep(0.05)
    assert not _processes_left(build.pid)


def test_an_output_moved_aside_by_a_killed_swap_is_restored(git: Git, tmp_path: Path) -> None:
    # A build killed between the two renames of the swap leaves no output, only .site.old-<pid>.
    out = tmp_path / "site"
    assert run_build(git.repo.root, out).returncode == 0
    before = files(out)
    out.rename(tmp_path / ".site.old-12345")
    (tmp_path / ".site.building-abc").mkdir()
    output._tidy(out.resolve())
    assert files(out) == before and leftovers(out) == []


# --- broken templates -------------------------------------------------------------


def custom_template(repo: Repo) -> Path:
    """Switch the repository to a custom template folder holding its own power.html."""
    text = (repo.root / "site.yaml").read_text(encoding="utf-8")
    repo.write("site.yaml", text + "theme_overrides: custom\n")
    folder = repo.root / "custom"
    folder.mkdir()
    shutil.copy(repo.root / "templates/power.html", folder / "power.html")
    return folder / "power.html"


def breaking(page: Path, text: str) -> None:
    """Put ``text`` on the line after ``{% block main %}`` of ``page``."""
    source = page.read_text(encoding="utf-8")
    page.write_text(source.replace("{% block main %}", "{% block main %}\n" + text, 1), "utf-8")


def main_line(page: Path) -> int:
    lines = page.read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, 1) if "{% block main %}" in line) + 1


def include_with_syntax_error(page: Path) -> None:
    breaking(page, '{% include "parts/notice.html" %}')
    (page.parent / "parts").mkdir()
    (page.parent / "parts/notice.html").write_text("第一行\n{% for %}\n", "utf-8")


def unreadable_include(page: Path) -> None:
    breaking(page, '{% include "notice.html" %}')
    (page.parent / "notice.html").write_text("通知\n", "utf-8")
    (page.parent / "notice.html").chmod(0)


def unreadable_static_file(page: Path) -> None:
    (page.parent / "static").mkdir()
    (page.parent / "static/site.css").write_text("body {}\n", "utf-8")
    (page.parent / "static/site.css").chmod(0)


TEMPLATE_FAULTS: dict[str, tuple[Callable[[Path], object], str]] = {
    "syntax error": (lambda p: breaking(p, "{% if %}"), "模板语法错误：custom/power.html:{line}："),
    "unknown filter": (
        lambda p: breaking(p, "{{ d.name | no_such_filter }}"),
        "模板语法错误：custom/power.html:{line}：No filter named 'no_such_filter'",
    ),
    "missing include": (
        lambda p: breaking(p, '{% include "parts/missing.html" %}'),
        "模板 custom/power.html:{line} 引用的模板 parts/missing.html 不存在",
    ),
    "syntax error in an include": (
        include_with_syntax_error,
        "模板语法错误：custom/parts/notice.html:2：",
    ),
    "undefined function": (
        lambda p: breaking(p, "{{ no_such_function() }}"),
        "模板 custom/power.html:{line} 出错：使用了未定义的变量或函数（'no_such_function' is undefined）",
    ),
    "type error": (
        lambda p: breaking(p, "{{ d.name + 1 }}"),
        "模板 custom/power.html:{line} 出错：TypeError: ",
    ),
    "not UTF-8": (
        lambda p: p.write_bytes("{{ d.name }}许可".encode("gb18030")),
        "无法读取模板 custom/power.html：不是 UTF-8 编码的文本",
    ),
    "unreadable": (lambda p: p.chmod(0), "无法读取模板 custom/power.html：Permission denied"),
    "unreadable include": (
        unreadable_include,
        "无法读取模板 custom/notice.html（由 custom/power.html:{line} 引用）：Permission denied",
    ),
    "unreadable static file": (
        unreadable_static_file,
        "无法读取静态文件 custom/static/site.css：Permission denied",
    ),
}


@pytest.mark.parametrize("fault", sorted(TEMPLATE_FAULTS))
def test_a_broken_template_is_named_and_public_is_left_untouched(repo: Repo, fault: str) -> None:
    # Not a git repository: git's own reading of the work tree is tested below.
    page = custom_template(repo)
    out = repo.root / "public"
    assert run_build(repo.root, out).returncode == 0
    before = files(out)
    line = main_line(page)
    damage, expected = TEMPLATE_FAULTS[fault]
    if "unreadable" in fault and not permissions_apply():
        pytest.skip("file permissions cannot be made to apply to a child process here")
    damage(page)
    result = run_build(repo.root, out, permissions="unreadable" in fault)
    assert_clean_failure(result)
    assert expected.format(line=line) in result.stderr, result.stderr
    assert files(out) == before
    assert leftovers(out) == []


def test_an_unreadable_file_in_a_git_work_tree_is_named(git: Git) -> None:
    if not permissions_apply():
        pytest.skip("file permissions cannot be made to apply to a child process here")
    page = custom_template(git.repo)
    git.commit("自定义模板")
    out = git.repo.root / "public"
    assert run_build(git.repo.root, out).returncode == 0
    before = files(out)
    page.chmod(0)
    result = run_build(git.repo.root, out, permissions=True)
    assert_clean_failure(result)
    assert "custom/power.html" in result.stderr and "Permission denied" in result.stderr
    assert files(out) == before


# --- a damaged history cache ------------------------------------------------------


@pytest.fixture
def storied(git: Git, tmp_path: Path) -> tuple[Git, Path]:
    """A repository with a history (a rename, a cancellation), its site built with no cache, and a cache of two segments."""
    g = git
    g.pull_request(
        1,
        "缩短承诺时限",
        lambda: g.repo.power(LICENCE, committed_time_limit={"value": 5, "unit": "工作日"}),
    )
    middle = str(g.git.head.target)

    def rename() -> None:
        (g.repo.root / "data/departments/zq-a/powers/zq-a-cf-001.yaml").unlink()
        g.repo.power(PENALTY, id="zq-a-cf-002")

    g.pull_request(2, "调整处罚事项编号", rename, squash=True)
    cancel: dict[str, Any] = {
        "status": "已取消",
        "adjustment": {"action": "取消", "reason": "国务院决定取消"},
    }
    g.pull_request(3, "取消许可", lambda: g.repo.power(LICENCE, **cancel))
    reference = tmp_path / "no-cache"
    assert run_build(g.repo.root, reference).returncode == 0
    cache = g.repo.root / CACHE
    shutil.rmtree(cache)
    read_trail(g.repo.root, middle, cache=cache)
    read_trail(g.repo.root, cache=cache)
    assert len(segments(cache)) == 2
    return g, reference


def index(cache: Path) -> dict[str, object]:
    doc = json.loads((cache / CACHE_FILE).read_text(encoding="utf-8"))
    assert isinstance(doc, dict)
    return doc


def segments(cache: Path) -> list[Path]:
    names = index(cache)["segments"]
    assert isinstance(names, list)
    return [cache / name for name in names]


def rewrite_index(cache: Path, **changes: object) -> None:
    (cache / CACHE_FILE).write_text(json.dumps({**index(cache), **changes}), "utf-8")


def replace_with_folder(path: Path) -> None:
    path.unlink()
    path.mkdir()
    (path / "inside").write_text("x", "utf-8")


def truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def mistype(path: Path) -> None:
    """A change's kind written as a number: valid JSON, wrong type."""
    text = path.read_text("utf-8")
    assert ',"变更",' in text
    path.write_text(text.replace(',"变更",', ",7,", 1), "utf-8")


def foreign_segment(cache: Path, tmp_path: Path) -> None:
    """Our newest segment replaced by one of another repository, under our segment's name."""
    other = tmp_path / "other"
    shutil.copytree(PROJECT / "schema", other / "schema")
    shutil.copy(PROJECT / "site.yaml", other / "site.yaml")
    repo = Repo(other)
    repo.law()
    repo.department()
    repo.power(LICENCE, name="另一个仓库的许可")
    g = Git(repo)
    g.commit("另一个仓库")
    g.pull_request(5, "另一个仓库的修改", lambda: repo.power(LICENCE, name="另一个仓库改名"))
    theirs = tmp_path / "other-cache"
    read_trail(other, cache=theirs)
    [segment] = segments(theirs)
    shutil.copy(segment, segments(cache)[-1])


def file_for_folder(cache: Path) -> None:
    shutil.rmtree(cache)
    cache.write_text("not a folder", "utf-8")


def missing_segment(cache: Path) -> None:
    rewrite_index(cache, segments=[p.name for p in segments(cache)] + [f"segment-{'0' * 40}.json"])


WRONG_SHAPE = {"commits": [], "changes": [[3, "变更", "power", "x", "x.yaml", [], "x", True]]}

CACHE_FAULTS: dict[str, Callable[[Path, Path], object]] = {
    "truncated segment": lambda c, t: truncate(segments(c)[0]),
    "garbage segment": lambda c, t: segments(c)[-1].write_bytes(b"\x00\xff\xfe garbage" * 64),
    "empty segment": lambda c, t: segments(c)[0].write_bytes(b""),
    "segment of the wrong shape": lambda c, t: segments(c)[0].write_text(
        json.dumps(WRONG_SHAPE), "utf-8"
    ),
    "segment with a wrongly typed value": lambda c, t: mistype(segments(c)[0]),
    "segment of another repository": foreign_segment,
    "folder in place of a segment": lambda c, t: replace_with_folder(segments(c)[0]),
    "unreadable segment": lambda c, t: segments(c)[0].chmod(0),
    "empty index": lambda c, t: (c / CACHE_FILE).write_bytes(b""),
    "garbage index": lambda c, t: (c / CACHE_FILE).write_bytes(b"\xff{[\x00"),
    "index not an object": lambda c, t: (c / CACHE_FILE).write_text("[1, 2]", "utf-8"),
    "index of another version": lambda c, t: rewrite_index(c, version=1),
    "index with a head of the wrong type": lambda c, t: rewrite_index(c, head=42),
    "index with malformed renames": lambda c, t: rewrite_index(c, renamed=[["power"]]),
    "index with segments not a list": lambda c, t: rewrite_index(c, segments="segment-x.json"),
    "index pointing to a missing segment": lambda c, t: missing_segment(c),
    "index with a head not in the history": lambda c, t: rewrite_index(c, head="1" * 40),
    "folder in place of the index": lambda c, t: replace_with_folder(c / CACHE_FILE),
    "unreadable index": lambda c, t: (c / CACHE_FILE).chmod(0),
    "file in place of the cache folder": lambda c, t: file_for_folder(c),
}


@pytest.mark.parametrize("fault", sorted(CACHE_FAULTS))
def test_a_damaged_cache_is_detected_and_rebuilt(
    storied: tuple[Git, Path], tmp_path: Path, fault: str
) -> None:
    git, reference = storied
    root = git.repo.root
    cache = root / CACHE
    if fault.startswith("unreadable") and not permissions_apply():
        pytest.skip("file permissions cannot be made to apply to a child process here")
    CACHE_FAULTS[fault](cache, tmp_path)
    out = tmp_path / "site"
    result = run_build(root, out, permissions=fault.startswith("unreadable"))
    assert result.returncode == 0, result.stderr
    assert files(out) == files(reference)
    # Rebuilt: a valid index, exactly its segments, and the trail they hold is the true one.
    assert sorted(p.name for p in cache.iterdir()) == sorted(
        [CACHE_FILE, *(p.name for p in segments(cache))]
    )
    assert index(cache)["head"] == str(git.git.head.target)
    cached, fresh = read_trail(root, cache=cache), read_trail(root)
    assert cached is not None and fresh is not None
    assert cached.changes == fresh.changes and cached.renamed == fresh.renamed
    again = tmp_path / "again"
    assert run_build(root, again).returncode == 0
    assert files(again) == files(reference)


def test_a_cache_index_never_leads_outside_its_folder(
    storied: tuple[Git, Path], tmp_path: Path
) -> None:
    # An index naming files outside the cache, with a head not in the history: trusting it
    # would read site.yaml as a segment, then delete it as a stale one.
    git, reference = storied
    cache = git.repo.root / CACHE
    rewrite_index(cache, head="2" * 40, segments=["../../site.yaml"])
    site_yaml = (git.repo.root / "site.yaml").read_bytes()
    out = tmp_path / "site"
    result = run_build(git.repo.root, out)
    assert result.returncode == 0, result.stderr
    assert (git.repo.root / "site.yaml").read_bytes() == site_yaml
    assert files(out) == files(reference)


def test_a_cache_that_cannot_be_written_is_done_without(
    storied: tuple[Git, Path], tmp_path: Path
) -> None:
    git, reference = storied
    cache = git.repo.root / CACHE
    if not permissions_apply():
        pytest.skip("file permissions cannot be made to apply to a child process here")
    shutil.rmtree(cache)
    cache.mkdir()
    cache.chmod(0o500)
    try:
        out = tmp_path / "site"
        result = run_build(git.repo.root, out, permissions=True)
        assert result.returncode == 0, result.stderr
        assert files(out) == files(reference)
        assert list(cache.iterdir()) == []
    finally:
        cache.chmod(0o755)


def test_a_rebuilt_cache_is_used_again(storied: tuple[Git, Path], tmp_path: Path) -> None:
    # The rebuilt cache is read, not recomputed: a mark put in it shows on the next build.
    git, _ = storied
    cache = git.repo.root / CACHE
    segments(cache)[0].write_bytes(b"")
    assert run_build(git.repo.root, tmp_path / "first").returncode == 0
    [segment] = segments(cache)
    text = segment.read_text("utf-8")
    assert "缩短承诺时限" in text
    segment.write_text(text.replace("缩短承诺时限", "来自缓存的标题"), "utf-8")
    assert run_build(git.repo.root, tmp_path / "second").returncode == 0
    page = (tmp_path / "second/powers/zq-a-xk-001.html").read_text(encoding="utf-8")
    assert "来自缓存的标题" in page and "缩短承诺时限" not in page
