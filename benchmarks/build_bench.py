"""How long a build takes at city and province scale (a benchmark, not a test).

    python3 benchmarks/build_bench.py --records 10000
    python3 benchmarks/build_bench.py --records 1000 --history 200 --runs 5

Generates a repository (generate.py) in a temporary folder, commits it, and builds it
with the real builder, each build in a fresh process:

- cold: no cache and no previous output;
- warm: built again with nothing changed;
- one change: one power file edited and committed (as a merged pull request would
  be), then built; its output is compared with a cold build of the same commit.

Prints one JSON line per stage of the first cold build (seconds, and the peak resident
memory of the process and of its largest worker by then), one line per run, then a
final line with the medians and the peak memory: ``peak_pss_mb``, the most that the
build and its workers used together (the sum of their proportional set sizes, sampled
every 50 ms; Linux), and ``peak_rss_mb``, which counts their shared pages twice. When ``hugo`` is installed it also builds the same records as
Markdown pages with Hugo and prints the ratio. Nothing is asserted: it prints figures.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from subprocess import PIPE
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
for _path in (PROJECT, HERE):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

import pygit2  # noqa: E402
from generate import generate  # noqa: E402
from hugo import hugo_build  # noqa: E402

SIGNATURE = ("Benchmark", "bench@example.org")


def measure(root: Path, out: Path, jobs: int | None) -> dict[str, Any]:
    """Build ``root`` into ``out`` in this process; the stages and the totals."""
    from site_builder import build
    from site_builder.engine.timings import Timings, peak_mb

    timings = Timings()
    started = time.perf_counter()
    build.build(root, out, jobs=jobs, timings=timings)
    return {
        "seconds": time.perf_counter() - started,
        "peak_mb": peak_mb(),
        "stages": [s.as_dict() for s in timings.stages],
    }


def run_child(root: Path, out: Path, jobs: int | None) -> dict[str, Any]:
    """One build in a fresh process, so that no cache in memory carries over; with the
    peak memory that the build's processes used together (``pss_mb``)."""
    command = [sys.executable, __file__, "--measure", str(root), "--out", str(out)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    with (
        subprocess.Popen(command, stdout=PIPE, stderr=PIPE, text=True) as child,
        ThreadPoolExecutor(1) as sampler,
    ):
        peak = sampler.submit(_sample, child)
        stdout, stderr = child.communicate()
    if child.returncode != 0:
        raise SystemExit(f"build failed:\n{stdout}\n{stderr}")
    result: dict[str, Any] = json.loads(stdout.strip().splitlines()[-1])
    result["pss_mb"] = round(peak.result(), 1) or None
    return result


def _sample(child: subprocess.Popen[str], every: float = 0.05) -> float:
    """The peak, while ``child`` runs, of the memory that it and its workers use together,
    in MB: the sum of their proportional set sizes (Linux only; 0 elsewhere).

    A worker forked from the build shares the build's pages until either writes to
    them; each process's resident size counts such pages in full, the proportional
    size counts a shared page's share, so the sum is the memory actually in use.
    """
    peak = 0.0
    while child.poll() is None:
        total = sum(_pss_kb(pid) for pid in _family(child.pid))
        peak = max(peak, total / 1024)
        time.sleep(every)
    return peak


def _family(pid: int) -> list[int]:
    """``pid`` and every process descended from it."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir() if Path("/proc/self/stat").exists() else []:
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    family = [pid]
    for member in family:
        family += [p for p, parent in parents.items() if parent == member]
    return family


def _pss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def commit_all(root: Path, message: str) -> None:
    """Commit every file of ``root`` (a new repository on the first call)."""
    repo = (
        pygit2.Repository(str(root))
        if (root / ".git").exists()
        else pygit2.init_repository(str(root))
    )
    repo.index.add_all()
    repo.index.write()
    tree = repo.index.write_tree()
    parents = [] if repo.head_is_unborn else [repo.head.target]
    author = pygit2.Signature(*SIGNATURE, int(time.time()), 480)
    repo.create_commit("HEAD", author, author, message, tree, parents)


def edit_one(root: Path, run: int) -> str:
    """Change one text of one power, as a department's pull request would; its path."""
    powers = sorted((root / "data" / "departments").glob("*/powers/*.yaml"))
    path = powers[(run * 7919) % len(powers)]
    text = path.read_text(encoding="utf-8")
    marker = "content: "
    at = text.index(marker) + len(marker)
    path.write_text(text[:at] + f"（第{run + 1}次修订）" + text[at:], encoding="utf-8")
    return path.relative_to(root).as_posix()


def same_tree(a: Path, b: Path) -> bool:
    left = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    right = sorted(p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file())
    if left != right:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, left, shallow=False)
    return not mismatch and not errors


def machine() -> dict[str, Any]:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "load": [round(x, 2) for x in load] if load else None,
    }


def stage_totals(stages: list[dict[str, Any]]) -> dict[str, float]:
    totals: dict[str, float] = {}
    for s in stages:
        totals[s["stage"]] = round(totals.get(s["stage"], 0.0) + s["seconds"], 3)
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--history", type=int, default=0, help="pull requests in the history")
    parser.add_argument("--seed", type=int, default=2016)
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind (medians)")
    parser.add_argument("--jobs", type=int, help="processes (default: one per core)")
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--no-hugo", action="store_true", help="skip the Hugo comparison")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.out, args.jobs)))
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-build-"))
    root = work / "repo"
    generated = generate(root, args.records, seed=args.seed, history=args.history)
    if not (root / ".git").exists():
        commit_all(root, "Import the list")
    print(json.dumps({"generated": args.records, "history": args.history, **machine()}))
    out = work / "public"
    cache = root / ".cache"

    cold: list[dict[str, Any]] = []
    for run in range(args.runs):
        shutil.rmtree(cache, ignore_errors=True)
        shutil.rmtree(out, ignore_errors=True)
        result = run_child(root, out, args.jobs)
        if run == 0:
            for stage in result["stages"]:
                print(json.dumps(stage, ensure_ascii=False))
        cold.append(result)
        print(json.dumps({"run": "cold", "seconds": round(result["seconds"], 3)}))
    warm = []
    for _ in range(args.runs):
        result = run_child(root, out, args.jobs)
        warm.append(result)
        print(json.dumps({"run": "warm", "seconds": round(result["seconds"], 3)}))
    changed = []
    for run in range(args.runs):
        path = edit_one(root, run)
        commit_all(root, f"Revise {path}")
        result = run_child(root, out, args.jobs)
        changed.append(result)
        print(
            json.dumps(
                {
                    "run": "one change",
                    "seconds": round(result["seconds"], 3),
                    "stages": stage_totals(result["stages"]),
                },
                ensure_ascii=False,
            )
        )
    # The incremental output must be the cold output of the same commit, byte for byte.
    shutil.rmtree(cache, ignore_errors=True)
    fresh = work / "public-cold"
    run_child(root, fresh, args.jobs)
    identical = same_tree(out, fresh)

    def median(runs: list[dict[str, Any]], key: str) -> float:
        return round(float(statistics.median(float(r[key]) for r in runs)), 3)

    summary: dict[str, Any] = {
        "records": args.records,
        "record_bytes": generated.record_bytes,
        "history": args.history,
        "runs": args.runs,
        "cold_s": median(cold, "seconds"),
        "warm_s": median(warm, "seconds"),
        "one_change_s": median(changed, "seconds"),
        # The memory the build's processes used together, at its peak (see _sample).
        "peak_pss_mb": max(r["pss_mb"] or 0 for r in cold + warm + changed) or None,
        # The largest resident size of the build plus that of its largest worker: this
        # counts the pages they share twice, and so overstates the memory used.
        "peak_rss_mb": max(r["peak_mb"] or 0 for r in cold + warm + changed),
        "one_change_identical_to_cold": identical,
        "output_files": sum(1 for p in out.rglob("*") if p.is_file()),
    }
    if not args.no_hugo:
        hugo = hugo_build(root, work)
        if hugo is not None:
            summary["hugo_s"] = round(hugo["seconds"], 3)
            summary["hugo_pages"] = hugo["pages"]
            summary["ratio_to_hugo"] = round(summary["cold_s"] / hugo["seconds"], 2)
    print(json.dumps(summary))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
