"""The worker processes: work beside the build, errors that cross back, memory handed back."""

from __future__ import annotations

import functools
import os
import pickle
import sys
from pathlib import Path

import pytest
from conftest import PENALTY, Git

from site_builder.engine import parallel
from site_builder.errors import DataError, error
from site_builder.history.trail import Trail
from site_builder.history.trail import trail as read_trail

needs_fork = pytest.mark.skipif(not parallel.can_fork(), reason="work is forked on Linux only")


@needs_fork
def test_work_beside_runs_in_another_process_while_this_one_goes_on() -> None:
    with parallel.beside(os.getpid, jobs=2) as result:
        here = os.getpid()
        assert result() != here
        assert result() == result()  # asked twice, sent once


@needs_fork
def test_with_a_process_for_each_task_this_one_runs_the_first() -> None:
    assert parallel.run([os.getpid, os.getpid, os.getpid], jobs=3)[0] == os.getpid()
    first, second, third = parallel.run([os.getpid, os.getpid, os.getpid], jobs=3)
    assert len({first, second, third}) == 3


@needs_fork
def test_more_tasks_than_processes_each_run_in_a_fresh_worker_in_order() -> None:
    tasks = [functools.partial(lambda i: (i, os.getpid()), i) for i in range(5)]
    results = parallel.run(tasks, jobs=2)
    assert [i for i, _ in results] == list(range(5))
    assert os.getpid() not in {pid for _, pid in results}
    assert len({pid for _, pid in results}) == 5


def test_with_one_job_the_work_runs_here_once_when_asked_for() -> None:
    calls: list[int] = []

    def work() -> int:
        calls.append(os.getpid())
        return len(calls)

    with parallel.beside(work, jobs=1) as result:
        assert calls == []
        assert result() == 1 and result() == 1
    assert calls == [os.getpid()]


@needs_fork
def test_an_error_beside_is_raised_here_with_its_problems() -> None:
    problem = error("data/x.yaml", ("name",), "事项名称不能为空。", "required", line=3)

    def fail() -> None:
        raise DataError([problem])

    with parallel.beside(fail, jobs=2) as result, pytest.raises(DataError) as raised:
        result()
    assert raised.value.problems == [problem]


@needs_fork
def test_a_result_that_cannot_cross_is_reported_with_the_reason() -> None:
    with (
        parallel.beside(lambda: lambda: None, jobs=2) as result,
        pytest.raises(RuntimeError, match="pickle"),
    ):
        result()


@needs_fork
def test_a_worker_that_dies_is_reported_not_waited_for() -> None:
    with (
        parallel.beside(lambda: os._exit(3), jobs=2) as result,
        pytest.raises(RuntimeError, match="退出码 3"),
    ):
        result()


@needs_fork
def test_leaving_the_block_waits_for_the_worker(tmp_path: Path) -> None:
    done = tmp_path / "done"

    def work() -> None:
        import time

        time.sleep(0.3)
        done.write_text("done")

    with parallel.beside(work, jobs=2):
        pass  # the result is never asked for
    assert done.read_text() == "done"


def _trails(git: Git, tmp_path: Path) -> tuple[Path, Path, Trail, Trail]:
    """After a pull request: the repository, its history cache, the trail read without the
    cache, and the trail read back from the cache (its changes deferred) sent through pickle."""
    git.pull_request(2, "修改罚款标准", lambda: git.repo.power(PENALTY, name="修改后的名称"))
    root, cache = git.repo.root, tmp_path / "cache"
    fresh = read_trail(root)
    assert read_trail(root, cache=cache) is not None  # writes the cache
    cached = read_trail(root, cache=cache)  # read from it
    assert fresh is not None and cached is not None
    return root, cache, fresh, pickle.loads(pickle.dumps(cached))


def test_a_trail_read_from_the_cache_crosses_processes_and_still_reads_its_changes(
    git: Git, tmp_path: Path
) -> None:
    _, _, fresh, crossed = _trails(git, tmp_path)
    assert crossed.changes == fresh.changes
    assert len(crossed.changes) >= 3  # the import and the pull request


def test_a_trail_whose_cache_is_damaged_after_it_crossed_is_read_again(
    git: Git, tmp_path: Path
) -> None:
    root, cache, fresh, crossed = _trails(git, tmp_path)
    for segment in cache.glob("segment-*.json"):
        segment.write_text("{damaged", encoding="utf-8")
    assert crossed.changes == fresh.changes
    assert read_trail(root, cache=cache) is not None  # the cache was written anew
    assert all(s.read_text(encoding="utf-8") != "{damaged" for s in cache.glob("segment-*.json"))


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc_trim")
def test_memory_freed_between_lasting_objects_goes_back_to_the_system() -> None:
    def resident_mb() -> float:
        return (
            int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
        )

    # Blocks of 3 KB (kept in the heap, not mapped one by one), one in 32 kept, as
    # reading files leaves the records between freed texts.
    blocks = [bytes([i % 251]) * 3000 for i in range(40_000)]
    kept = blocks[::32]
    del blocks
    before = resident_mb()
    parallel.give_back_free_memory()
    assert before - resident_mb() > 60, "the freed blocks stayed resident"
    assert len(kept) == 1250
