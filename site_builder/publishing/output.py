"""Write the built site: the only code that writes into the output folder.

The site is written into a temporary folder beside the output (``staged``), file
by file as the build's processes make them, and swapped in at the end, so a failed
or interrupted build leaves the previous output untouched. A folder that this tool
did not write is never replaced.

One build at a time writes into a folder: a build holds the folder's lock, a file
``.<name>.lock`` beside it (never inside, so the published site stays exactly its
manifest), removed when the build ends. The operating system releases the lock of
a build that was killed; the next build then tidies what that build left.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from site_builder.errors import SiteBuilderError, UsageError
from site_builder.publishing import manifest
from site_builder.publishing.manifest import Entry, Files
from site_builder.reading import slugs

MARKER = manifest.MARKER
V = TypeVar("V")
LOCK_TIMEOUT = 600.0  # seconds a build waits for another build of the same folder
_POLL = 0.1

# The locks this process holds, by folder and thread: a build inside a locked section
# (the CLI locks around the whole build) does not wait for itself.
_held: dict[tuple[Path, int], int] = {}


class Busy(SiteBuilderError):
    """Another build holds the output folder's lock (exit 2)."""


def lock_file(out: Path) -> Path:
    """The lock file of the output folder ``out``: beside it, hidden."""
    out = out.resolve()
    return out.with_name(f".{out.name}.lock")


@contextlib.contextmanager
def lock(
    out: Path, timeout: float = LOCK_TIMEOUT, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the lock of the output folder ``out``: wait up to ``timeout`` seconds for it.

    ``on_wait`` is called once if another build holds the lock; ``Busy`` is raised
    when it is still held after ``timeout`` (0: do not wait).
    """
    key = (out.resolve(), threading.get_ident())
    if key in _held:
        _held[key] += 1
        try:
            yield
        finally:
            _held[key] -= 1
        return
    path = lock_file(out)
    fd = _acquire(out, path, timeout, on_wait)
    _held[key] = 1
    try:
        yield
    finally:
        del _held[key]
        _release(path, fd)


def _acquire(out: Path, path: Path, timeout: float, on_wait: Callable[[], None] | None) -> int:
    deadline = time.monotonic() + timeout
    waited = False
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise UsageError(
                f"无法创建锁文件 {path}：{exc.strerror}。请检查输出目录所在文件夹是否可写。"
            ) from exc
        try:
            if _try_lock(fd):
                if _is_current(fd, path):
                    return fd
                os.close(fd)  # the holder removed the file as it finished: lock the new one
                continue
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        if time.monotonic() >= deadline:
            waited_for = f"等待 {timeout:g} 秒后仍未结束" if timeout else "未等待（等待时间为 0）"
            raise Busy(
                f"另一个构建正在写入 {out}（锁文件 {path}），{waited_for}，已停止。"
                "请稍后再试，或用 --lock-timeout 设置等待时间。"
            )
        if not waited and on_wait is not None:
            on_wait()
        waited = True
        time.sleep(_POLL)


if sys.platform == "win32":  # no flock: lock the file's first byte, and keep the file
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _is_current(fd: int, path: Path) -> bool:
        return True

    def _release(path: Path, fd: int) -> None:
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _is_current(fd: int, path: Path) -> bool:
        """Whether ``fd`` is still the file at ``path`` (a finished holder removes it)."""
        try:
            return os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            return False

    def _release(path: Path, fd: int) -> None:
        try:
            path.unlink(missing_ok=True)  # while still locked: a waiter then locks a new file
        finally:
            os.close(fd)


def _tidy(out: Path) -> None:
    """Clear what a killed build left beside ``out``; restore the previous output if it was moved away."""
    for entry in sorted(out.parent.iterdir()):
        if not entry.is_dir() or entry.is_symlink():
            continue
        if entry.name.startswith(f".{out.name}.old-"):
            if not out.exists() and (entry / MARKER).is_file():
                entry.rename(out)  # killed between the two renames of the swap
            else:
                shutil.rmtree(entry)
        elif entry.name.startswith(f".{out.name}.building-"):
            shutil.rmtree(entry)


@contextlib.contextmanager
def staged(out: Path) -> Iterator[Staging]:
    """A new output for ``out``, written into a folder beside it while the site is made,
    then swapped in by ``Staging.publish``. Any failure removes it and leaves ``out``
    exactly as it was. Holds the lock of ``out`` throughout.
    """
    out = out.resolve()
    with lock(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        _tidy(out)
        if (
            out.exists()
            and not (out / MARKER).is_file()
            and (not out.is_dir() or any(out.iterdir()))
        ):
            raise UsageError(
                f"输出目录 {out} 已存在且不是 site-builder 生成的，为避免覆盖其中的文件，已停止。请指定空目录或新目录。"
            )
        try:
            folder = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
        except OSError as exc:
            raise _failed(out, exc) from exc
        try:
            yield Staging(out, folder, manifest.untouched(out) or {})
        finally:
            shutil.rmtree(folder, ignore_errors=True)  # gone already once published


@dataclass
class Staging:
    """The new output being written: files go in as they are made, from this process
    or from its forked workers, each of which returns the entries of what it wrote."""

    out: Path  # the output folder to replace
    folder: Path  # the new output, beside it
    previous: dict[str, str | None]  # the files of ``out`` still as written: path -> SHA-256
    _made: set[Path] = field(default_factory=set)  # folders this process has made
    seconds: float = 0.0  # time this process has spent writing

    def put(self, files: Files) -> dict[str, Entry]:
        """Write ``files`` into the new output, each as it comes (pages as they are rendered),
        and return their manifest entries. A file whose bytes ``out`` holds unchanged is
        hard-linked from it (keeping its inode). Adds the time spent writing to ``seconds``."""
        written: dict[str, Entry] = {}
        try:
            for rel, data in files.items() if isinstance(files, Mapping) else files:
                start = time.perf_counter()
                target = self.target(rel)
                entry = written[rel] = Entry.of(data)
                if target.parent not in self._made:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self._made.add(target.parent)
                if not (self.previous.get(rel) == entry.sha256 and _link(self.out / rel, target)):
                    # Never write through a link made a moment ago into the previous output.
                    target.unlink(missing_ok=True)
                    target.write_bytes(data)
                self.seconds += time.perf_counter() - start
        except OSError as exc:
            raise _failed(self.out, exc) from exc
        return written

    def target(self, rel: str) -> Path:
        """Where the file ``rel`` goes in the new output; refuses a path that could lead out
        of it. The names paths are made of are checked where they are read (slugs.py), so
        this guards the code that makes paths, not the data: it is an internal error."""
        if _UNSAFE_PATH.search(rel):
            raise SiteBuilderError(
                f"内部错误：输出文件的路径“{rel!r}”不安全（绝对路径、..、反斜杠、空的一段或控制字符），"
                f"未写入。原有的 {self.out} 保持不变；请报告此问题。"
            )
        target = self.folder / rel
        # Only this process makes folders in the new output, and never a link, but a
        # folder is resolved once, as it is first written into, rather than trusted.
        if target.parent not in self._made and not target.resolve().is_relative_to(
            self.folder.resolve()
        ):
            raise SiteBuilderError(
                f"内部错误：输出文件“{rel!r}”会写到输出目录之外（{target.resolve()}），未写入。"
                f"原有的 {self.out} 保持不变；请报告此问题。"
            )
        return target

    def publish(self, files: Mapping[str, Entry], commit: str | None, time: int | None) -> None:
        """Write the manifest of ``files`` (everything put), last, and swap the new output
        in. When ``out`` already holds exactly this site it is left as it is."""
        listing = manifest.manifest(files, commit, time)
        kept = [rel for rel, entry in files.items() if self.previous.get(rel) == entry.sha256]
        if len(kept) == len(files) and _same(self.out, listing):
            return  # nothing changed: the output is left exactly as it is
        try:
            # The manifest last: a copy cut short by an interrupted transfer fails verification.
            for rel, data in listing.items():
                (self.folder / rel).write_bytes(data)
            (self.folder / MARKER).write_text(
                "This folder is written by site-builder; it is replaced on every build.\n"
            )
            os.chmod(self.folder, 0o755)
            old = None
            if self.out.exists():
                old = self.out.with_name(f".{self.out.name}.old-{os.getpid()}")
                self.out.rename(old)
            self.folder.rename(self.out)
            if old is not None:
                shutil.rmtree(old)
        except OSError as exc:
            raise _failed(self.out, exc) from exc


# An output path may not be empty or absolute (``/x``, ``C:x``), hold an empty, ``.`` or
# ``..`` segment, a backslash (a separator on Windows) or a control character.
_UNSAFE_PATH = re.compile(r"\A\Z|\A/|/\Z|//|(?:\A|/)\.\.?(?:/|\Z)|\\|[\x00-\x1f\x7f]|\A[A-Za-z]:")


def joined(*parts: Mapping[str, V]) -> dict[str, V]:
    """The files of ``parts`` together; refuses two at one path, or at paths that differ only
    in case (one file on Windows and macOS), as one would silently replace the other.
    ``pages.plan`` names the records of two colliding pages; this catches any other output."""
    out: dict[str, V] = {}
    keys: dict[str, str] = {}
    for part in parts:
        for rel, value in part.items():
            key = slugs.collision_key(rel)
            if key in keys:
                raise SiteBuilderError(
                    f"内部错误：两个输出文件的路径相同（{keys[key]} 与 {rel}），后者会覆盖前者，"
                    "已停止构建，原有的输出目录保持不变。请报告此问题。"
                )
            keys[key] = rel
            out[rel] = value
    return out


def _failed(out: Path, exc: OSError) -> SiteBuilderError:
    """A full disk, a permission: say so, and that nothing was lost."""
    where = f"（{exc.filename}）" if exc.filename else ""
    return SiteBuilderError(
        f"写入网站失败：{exc.strerror or exc}{where}。原有的 {out} 保持不变；"
        "请检查磁盘空间和写入权限后重新构建。"
    )


def _same(out: Path, listing: dict[str, bytes]) -> bool:
    """Whether ``out`` already holds exactly this manifest (and nothing was added to it)."""
    try:
        if not all((out / name).read_bytes() == data for name, data in listing.items()):
            return False
    except OSError:
        return False
    return manifest.intact(out)


def _link(source: Path, target: Path) -> bool:
    """Hard-link an unchanged file into the new output; False where links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        return False
    return True
