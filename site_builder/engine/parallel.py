"""Run independent work on every core: the only module that starts processes, and the
garbage-collector policy that the forked workers depend on.

Work is split into tasks that forked worker processes run; the workers inherit the
parent's memory (the dataset, the templates), so nothing but each task's result is
copied between processes. Where ``fork`` is not available (Windows, and macOS where
it is unsafe), or with one job, the tasks run one after another in this process,
with the same results: parallelism never changes the output, only the time.
"""

from __future__ import annotations

import contextlib
import ctypes
import gc
import multiprocessing
import os
import signal
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

GC_THRESHOLD = 100_000  # allocations between collections of the youngest objects (default 700)

# The tasks of the running map, for the forked workers to find (set before forking).
_TASKS: Sequence[Callable[[], Any]] = ()


def cpu_count() -> int:
    """The cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Whether work may go to forked processes: on Linux, from a process with one thread.

    Forking a process that runs other threads (``serve`` does) can copy a lock that
    one of them holds; such a process does its work itself.
    """
    return (
        sys.platform == "linux"
        and "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
    )


@contextlib.contextmanager
def collecting_rarely() -> Iterator[None]:
    """Run the garbage collector less often while a build makes its millions of lasting
    objects (records, pages): at the default threshold its passes over them took a quarter
    of reading 10,000 files. Few of them form cycles; the threshold is restored after.
    Beside the forking: the workers inherit the threshold, and ``gc.freeze`` below keeps
    their collections off the objects they share."""
    before = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def jobs_for(requested: int | None) -> int:
    """The number of processes to use: ``requested``, or one per core when None or 0."""
    if requested is None or requested <= 0:
        return cpu_count()
    return requested


def _run(index: int) -> Any:
    return _TASKS[index]()


def _leave_interrupts_to_the_parent() -> None:
    """In a worker: ignore Ctrl-C, which the terminal sends to every process of the build.
    The parent stops the workers itself, so an interrupted build ends quietly, with
    neither a traceback from each worker nor a worker left running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def run(tasks: Sequence[Callable[[], T]], jobs: int) -> list[T]:
    """Run every task and return their results in order, on up to ``jobs`` processes.

    Tasks are closures over the parent's data; their results must pickle. An
    exception in a task is raised here, as it would be when run in this process.
    With no more tasks than processes, this process runs the first; otherwise every
    task gets a freshly forked worker, and this process waits for them.
    """
    global _TASKS
    if jobs <= 1 or len(tasks) <= 1 or not can_fork():
        return [task() for task in tasks]
    if len(tasks) <= jobs:
        # A process for each task: this one runs the first itself instead of waiting,
        # so that result is not sent between processes (half the copying, for two).
        with contextlib.ExitStack() as stack:
            others = [stack.enter_context(beside(task, jobs)) for task in tasks[1:]]
            first = tasks[0]()
            return [first, *(result() for result in others)]
    _TASKS = tasks
    # The parent's objects are left out of the workers' garbage collections, which would
    # otherwise write to every one of them and so copy the pages they share (gc.freeze).
    gc.freeze()
    give_back_free_memory()
    try:
        context = multiprocessing.get_context("fork")
        # A fresh worker for every task: what a task leaves in memory goes with its worker.
        with context.Pool(
            min(jobs, len(tasks)), _leave_interrupts_to_the_parent, maxtasksperchild=1
        ) as pool:
            # chunksize 1: tasks are few and large, and the slow ones should not queue.
            return pool.map(_run, range(len(tasks)), chunksize=1)
    finally:
        _TASKS = ()
        gc.unfreeze()


@contextlib.contextmanager
def beside(task: Callable[[], T], jobs: int) -> Iterator[Callable[[], T]]:
    """Run ``task`` in a forked worker while this process goes on with other work.

    Yields a function that returns the task's result, waiting for it, or raises the
    task's exception here. With one job, or where forking is not possible, the task runs
    in this process when its result is first asked for. Leaving the block waits for the
    worker, so nothing it does outlives the block.
    """
    if jobs <= 1 or not can_fork():
        done: list[T] = []

        def run_here() -> T:
            if not done:
                done.append(task())
            return done[0]

        yield run_here
        return
    context = multiprocessing.get_context("fork")
    receiving, sending = context.Pipe(duplex=False)
    gc.freeze()  # as in run(): the worker's collections leave the shared objects alone
    worker = context.Process(target=_send_result, args=(task, sending), daemon=True)
    try:
        worker.start()
    finally:
        gc.unfreeze()
    sending.close()
    answer: list[tuple[bool, Any]] = []

    def result() -> T:
        if not answer:
            try:
                answer.append(receiving.recv())
            except EOFError:
                worker.join()
                raise RuntimeError(
                    f"后台工作进程意外退出（退出码 {worker.exitcode}），未返回结果。"
                    "The worker process ended without a result."
                ) from None
        ok, value = answer[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]

    try:
        yield result
    except BaseException:
        worker.terminate()  # its result is no longer wanted (a failure, or Ctrl-C)
        raise
    finally:
        receiving.close()
        worker.join()


def _send_result(task: Callable[[], Any], sending: Any) -> None:
    """In the worker: run ``task`` and send back its result or its exception."""
    _leave_interrupts_to_the_parent()
    try:
        message: tuple[bool, Any] = (True, task())
    except BaseException as exc:  # every failure goes back, to be raised there
        message = (False, exc)
    try:
        sending.send(message)
    except OSError:
        pass  # the build has stopped listening: it failed or was interrupted meanwhile
    except Exception as exc:  # it would not pickle: send why, and what failed
        failed = message[1] if not message[0] else exc
        with contextlib.suppress(OSError):
            sending.send((False, RuntimeError("".join(traceback.format_exception(failed)))))
    sending.close()


def give_back_free_memory() -> None:
    """Hand the memory that freed objects left in the heap back to the system (glibc's
    ``malloc_trim``), so that it is not counted against the build while workers run.

    Reading thousands of files leaves hundreds of megabytes free but still mapped
    between the records that stay. Elsewhere (musl, macOS, Windows) nothing is done.
    """
    if sys.platform != "linux":
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return
    trim(0)


def split(items: Sequence[T], parts: int) -> list[Sequence[T]]:
    """Cut ``items`` into ``parts`` runs of nearly equal length, in order (none empty)."""
    parts = max(1, min(parts, len(items)))
    size, extra = divmod(len(items), parts)
    runs: list[Sequence[T]] = []
    start = 0
    for i in range(parts):
        end = start + size + (1 if i < extra else 0)
        runs.append(items[start:end])
        start = end
    return runs
