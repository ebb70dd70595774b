"""The benchmarks: a valid, deterministic generated repository, and the build benchmark runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pygit2
import pytest
from conftest import PROJECT

sys.path.insert(0, str(PROJECT / "benchmarks"))

import generate

from site_builder.build import check_repository
from site_builder.reading import sources
from site_builder.reading.model import resolve_flow
from site_builder.tools.fmt import format_files

RECORDS = 60
HISTORY = 5


def files(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not {".git", ".cache"} & set(p.relative_to(root).parts)
    }


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("generated") / "repo"
    result = generate.generate(out, RECORDS, seed=11, history=HISTORY)
    assert result.records == RECORDS and result.history["merges"] == HISTORY
    return out


def test_validates_strictly_and_is_formatted(repo: Path) -> None:
    checked = check_repository(repo, strict=True)
    assert checked.problems == []
    assert len(checked.dataset.powers) >= RECORDS  # the history adds some and deletes a few
    assert format_files(repo, [], check=True).changed == []


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    generate.generate(tmp_path / "a", 40, seed=3)
    generate.generate(tmp_path / "b", 40, seed=3)
    generate.generate(tmp_path / "c", 40, seed=4)
    a, b, c = (files(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() != c.keys() or a != c


def test_history_is_deterministic(tmp_path: Path, repo: Path) -> None:
    generate.generate(tmp_path / "again", RECORDS, seed=11, history=HISTORY)
    ours = pygit2.Repository(str(repo)).head.target
    assert pygit2.Repository(str(tmp_path / "again")).head.target == ours
    assert files(tmp_path / "again") == files(repo)


def test_record_sizes_and_flow_shapes(repo: Path) -> None:
    dataset = check_repository(repo).dataset
    sizes, lengths, branched, kinds = [], [], 0, set()
    for power in dataset.powers.values():
        sizes.append((repo / power.path).stat().st_size)
        steps = resolve_flow(power.data, dataset.flows)
        lengths.append(len(steps))
        branched += any("branches" in s for s in steps)
        flow = power.data["flow"]
        kinds.add(("ref" in flow, "steps" in flow))
        if power.data["category"] == "行政处罚" and power.data["status"] != "已取消":
            assert power.data["discretion"] and power.data["penalty"]
    assert min(sizes) >= generate.MIN_BYTES and max(sizes) <= generate.MAX_BYTES, sizes
    assert min(lengths) >= generate.MIN_STEPS and max(lengths) <= generate.MAX_STEPS
    assert 0 < branched < len(lengths)
    assert kinds == {(True, False), (True, True), (False, True)}  # ref, ref + insert, own


def test_history_has_first_parent_merges(repo: Path) -> None:
    git = pygit2.Repository(str(repo))
    commit = git.revparse_single("main").peel(pygit2.Commit)
    merges = 0
    while commit.parents:
        merges += len(commit.parents) == 2
        assert commit.message.startswith("Merge pull request #")
        commit = commit.parents[0]
    assert merges == HISTORY
    assert commit.message == "导入权责清单"
    assert git.status() == {} or all(
        flags == pygit2.enums.FileStatus.IGNORED for flags in git.status().values()
    )


def test_fast_writer_matches_the_canonical_form(repo: Path) -> None:
    for path in sorted(repo.glob("data/departments/*/powers/*.yaml"))[:30]:
        data, problems = sources.parse(path.name, path.read_text(encoding="utf-8"))
        assert not problems
        assert generate.dump(data) == sources.dump(data)


def test_the_build_benchmark_runs_and_its_one_change_build_matches_a_cold_one(
    tmp_path: Path,
) -> None:
    """The benchmark as CI runs it, at a small size: figures are printed, never asserted."""
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "benchmarks" / "build_bench.py"),
            "--records",
            "30",
            "--runs",
            "1",
            "--no-hugo",
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    stages = {line["stage"] for line in lines if "stage" in line}
    assert {
        "load",
        "validate",
        "history",
        "model",
        "render",
        "search",
        "downloads",
        "write",
    } <= stages
    summary = lines[-1]
    assert summary["records"] == 30
    assert summary["one_change_identical_to_cold"] is True
    if sys.platform == "linux":  # the memory of the build and its workers, sampled from /proc
        assert 0 < summary["peak_pss_mb"] < 10 * summary["peak_rss_mb"]
    assert summary["cold_s"] > 0 and summary["warm_s"] > 0 and summary["one_change_s"] > 0


def test_the_disk_benchmark_creates_its_files_then_removes_them(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "benchmarks" / "disk.py"),
            "--dir",
            str(tmp_path),
            "--files",
            "50",
            "--size",
            "100",
            "--folders",
            "3",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    figures = json.loads(done.stdout)
    assert figures["files"] == 50 and figures["folders"] == 3
    assert figures["us_per_file"] > 0
    assert list(tmp_path.iterdir()) == []  # nothing left behind


@pytest.mark.parametrize(
    ("args", "said"),
    [(["--files", "0"], "at least 1"), (["--dir", "no-such-folder"], "not a folder")],
)
def test_the_disk_benchmark_refuses_what_it_cannot_measure(
    tmp_path: Path, args: list[str], said: str
) -> None:
    done = subprocess.run(
        [sys.executable, str(PROJECT / "benchmarks" / "disk.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 2 and said in done.stderr
    assert "Traceback" not in done.stderr
