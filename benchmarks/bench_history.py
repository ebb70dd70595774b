"""Measure the update trail (history.trail) at scale and print the figures (a benchmark, not a test).

    python3 benchmarks/bench_history.py [--records 10000] [--commits 20000] [--repo DIR] [--profile]

Generates a synthetic history (benchmarks/synthetic_history.py), or clones the one --repo
names (it is never modified), then measures, each trail call in a fresh Python
process (the figure is the call itself; the process's wall time, imports included,
is shown beside it):

  (a) history.trail with an empty cache (cold);
  (b) the same again (cache hit, no new commits);
  (c) after 100 new commits (extend), with the cache of (b): incremental;
  (d) after a force push (main reset 50 first-parent commits back, then 100 other
      commits), with the cache of (c): a full recompute;
  (e) one `git log --first-parent --name-only --format=%H` pass;
  (f) the per-file approach, `git log -1 --format=%H -- FILE`, timed on a random
      sample of files and extrapolated to every record file.

It checks that the incremental and rewritten trails equal a cold computation of the
same head, prints the ratios of (f) to each figure, the machine, and pass or fail
against the targets (full history <= 3 s, 100 new commits <= 0.2 s).
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(Path(__file__).parent))

import pygit2  # noqa: E402
from synthetic_history import describe, extend, generate  # noqa: E402

from site_builder.history.trail import trail  # noqa: E402
from site_builder.reading.layout import record_key  # noqa: E402

TARGET_FULL = 3.0
TARGET_INCREMENTAL = 0.2


def measure(root: Path, cache: Path | None) -> dict[str, Any]:
    """Run history.trail once in this process and describe the result."""
    started = time.perf_counter()
    result = trail(root, cache=cache)
    seconds = time.perf_counter() - started
    assert result is not None, f"{root} is not a git work tree"
    digest = hashlib.sha256()
    for change in result.changes:
        digest.update(repr(change).encode("utf-8"))
    digest.update(repr(sorted(result.renamed.items())).encode("utf-8"))
    return {
        "seconds": seconds,
        "head": result.head,
        "changes": len(result.changes),
        "records": len({c.record for c in result.changes}),
        "commits": len({c.commit for c in result.changes}),
        "without_pr": len({c.commit for c in result.changes if c.pr is None}),
        "kinds": dict(Counter(c.kind for c in result.changes)),
        "digest": digest.hexdigest(),
    }


def run_child(root: Path, cache: Path | None) -> dict[str, Any]:
    """history.trail in a fresh process; adds the process's wall time."""
    command = [sys.executable, __file__, "--measure", str(root)]
    if cache is not None:
        command += ["--cache", str(cache)]
    started = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if out.returncode:
        raise SystemExit(f"history.trail failed:\n{out.stderr}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    result["wall"] = wall
    return result


def series(
    root: Path, work: Path, name: str, repeat: int, snapshot: Path | None
) -> list[dict[str, Any]]:
    """``repeat`` runs, each with a fresh copy of ``snapshot`` (None: an empty cache)."""
    runs = []
    for i in range(repeat):
        cache = work / f"cache-{name}-{i}"
        shutil.rmtree(cache, ignore_errors=True)
        if snapshot is not None:
            shutil.copytree(snapshot, cache)
        runs.append(run_child(root, cache))
    return runs


def seconds(runs: list[dict[str, Any]]) -> float:
    return float(statistics.median(r["seconds"] for r in runs))


def show(label: str, runs: list[dict[str, Any]]) -> None:
    values = sorted(r["seconds"] for r in runs)
    walls = sorted(r["wall"] for r in runs)
    print(
        f"{label:<58} {statistics.median(values):8.3f} s  "
        f"(min {values[0]:.3f}, max {values[-1]:.3f}, n={len(values)}; "
        f"process wall {statistics.median(walls):.2f} s)"
    )


def git_seconds(root: Path, args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=True)
    return time.perf_counter() - started


def record_files(root: Path) -> list[str]:
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-tree", "-r", "--name-only", "HEAD", "data/"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return [p for p in listing if record_key(p) is not None]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}; "
        f"Python {platform.python_version()}, pygit2 {version('pygit2')} "
        f"(libgit2 {pygit2.LIBGIT2_VERSION}), {git}; load average {load}"
    )


def profile(root: Path, work: Path) -> None:
    """A cold history.trail under cProfile: where the time goes."""
    cache = work / "cache-profile"
    shutil.rmtree(cache, ignore_errors=True)
    profiler = cProfile.Profile()
    profiler.enable()
    trail(root, cache=cache)
    profiler.disable()
    print("\ncProfile of a cold history.trail (top 25 by own time, then by cumulative):")
    stats = pstats.Stats(profiler)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--commits", type=int, default=20_000)
    parser.add_argument(
        "--repo", type=Path, help="an existing synthetic history (cloned, not changed)"
    )
    parser.add_argument("--new", type=int, default=100, help="commits added for (c) and (d)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per trail figure")
    parser.add_argument("--sample", type=int, default=200, help="files timed for (f)")
    parser.add_argument("--profile", action="store_true", help="also profile a cold trail")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cache", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process of run_child
        print(json.dumps(measure(args.measure, args.cache)))
        return

    work = Path(tempfile.mkdtemp(prefix="bench-history-"))
    root = work / "repo"
    started = time.perf_counter()
    if args.repo:
        subprocess.run(["git", "clone", "-q", str(args.repo.resolve()), str(root)], check=True)
        print(f"cloned {args.repo} in {time.perf_counter() - started:.1f} s")
        stats = None
    else:
        stats = generate(root, args.records, args.commits)
        print(f"generated in {time.perf_counter() - started:.1f} s")
    print(describe(root))
    files = record_files(root)
    print(f"machine: {machine()}\n")

    cold = series(root, work, "cold", args.repeat, None)
    show("(a) trail, empty cache (full history)", cold)
    snapshot = work / "cache-snapshot"
    shutil.copytree(work / "cache-cold-0", snapshot)
    hit = series(root, work, "hit", args.repeat, snapshot)
    show("(b) trail again, cache hit (no new commits)", hit)
    kinds = cold[0]["kinds"]
    print(
        f"    {cold[0]['changes']} changes of {cold[0]['records']} records in "
        f"{cold[0]['commits']} commits; kinds {kinds}; commits without a PR number: "
        f"{cold[0]['without_pr']}; cache {du(work / 'cache-cold-0') / 1e6:.1f} MB"
    )
    if stats is not None:
        print(f"    the generator's edits: {dict(sorted(stats.edits.items()))}")
    problems = []
    if mtimes(work / "cache-hit-0") != mtimes(snapshot):
        problems.append("(b) the cache was rewritten on a cache hit: was it read at all?")
    if hit[0]["digest"] != cold[0]["digest"]:
        problems.append("(b) the cached trail differs from the computed one")

    before = pygit2.Repository(str(root)).head.target
    extend(root, args.new)
    print(f"\nafter extend(…, {args.new}): {describe(root)}")
    incremental = series(root, work, "incremental", args.repeat, snapshot)
    show(f"(c) trail after {args.new} new commits, with the cache", incremental)
    reference = run_child(root, None)
    if incremental[0]["digest"] != reference["digest"]:
        problems.append("(c) the incremental trail differs from a cold one of the same head")
    print(
        f"    cold trail of the same head, no cache: {reference['seconds']:.3f} s (same result: "
        f"{incremental[0]['digest'] == reference['digest']})"
    )

    snapshot_c = work / "cache-snapshot-c"
    shutil.copytree(work / "cache-incremental-0", snapshot_c)
    extend(root, args.new, base=f"{before}~50", seed=1)
    print(
        f"\nafter a force push (main reset to {str(before)[:10]}~50, {args.new} other commits): "
        f"{describe(root)}"
    )
    rewritten = series(root, work, "rewritten", args.repeat, snapshot_c)
    show("(d) trail after the rewrite, with the stale cache", rewritten)
    reference = run_child(root, None)
    if rewritten[0]["digest"] != reference["digest"]:
        problems.append("(d) the trail after a rewrite differs from a cold one of the same head")
    print(
        f"    cold trail of the same head, no cache: {reference['seconds']:.3f} s (same result: "
        f"{rewritten[0]['digest'] == reference['digest']})"
    )

    print()
    log = [
        git_seconds(root, ["log", "--first-parent", "--name-only", "--format=%H"])
        for _ in range(args.repeat)
    ]
    log_s = statistics.median(log)
    print(
        f"{'(e) git log --first-parent --name-only --format=%H':<58} {log_s:8.3f} s  "
        f"(min {min(log):.3f}, n={len(log)})"
    )
    sample = random.Random(2016).sample(files, min(args.sample, len(files)))
    per = [git_seconds(root, ["log", "-1", "--format=%H", "--", path]) for path in sample]
    per_file = statistics.mean(per) * len(files)
    print(
        f"{'(f) git log -1 per file, EXTRAPOLATED to every record file':<58} {per_file:8.1f} s  "
        f"({len(sample)} files timed: {sum(per):.1f} s, mean {statistics.mean(per) * 1e3:.1f} ms; "
        f"× {len(files)} files)"
    )

    print("\nratios, (f) per-file ÷ figure (how many times faster than per-file git log -1):")
    for label, value in (
        ("(a) cold", seconds(cold)),
        ("(b) cache hit", seconds(hit)),
        ("(c) incremental", seconds(incremental)),
        ("(d) after a rewrite", seconds(rewritten)),
        ("(e) git log --name-only", log_s),
    ):
        print(f"    {label:<26} {per_file / value:10.0f} ×")

    print("\ntargets:")
    for label, value, target in (
        ("full history (a)", seconds(cold), TARGET_FULL),
        ("full recompute after a rewrite (d)", seconds(rewritten), TARGET_FULL),
        (f"{args.new} new commits (c)", seconds(incremental), TARGET_INCREMENTAL),
        ("no new commits (b)", seconds(hit), TARGET_INCREMENTAL),
    ):
        verdict = "PASS" if value <= target else "FAIL"
        print(f"    {label:<38} {value:7.3f} s <= {target} s  {verdict}")
    for problem in problems:
        print(f"PROBLEM: {problem}")

    if args.profile:
        profile(root, work)
    if args.keep:
        print(f"\nwork folder kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    if problems:
        raise SystemExit(1)


def mtimes(path: Path) -> dict[str, int]:
    return {p.relative_to(path).as_posix(): p.stat().st_mtime_ns for p in path.rglob("*")}


def du(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


if __name__ == "__main__":
    main()
