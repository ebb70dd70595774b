"""Which files of a folder the build may read: the one rule for every folder it reads.

Only regular files, reached through regular folders, are read: a symbolic link (to a
file or a folder, inside the repository or outside it) and a special file (a named
pipe, a device, a socket) are refused. A link would let a commit publish a file of the
build machine (``/proc/self/environ`` holds its tokens); a named pipe would make the
build wait for ever; a device would feed it without end. Links are never followed,
not even to look at what they point to.

``data/``, ``schema/``, ``templates/`` and a site's ``theme_overrides`` are read by this
rule, and ``verify`` checks a built site's folder with the same walk.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.errors import DataError, Problem, error

LINK = "symlink"
SPECIAL = "special-file"
UNREADABLE = "io"
LINK_MESSAGE = "不允许符号链接（无论指向仓库内还是仓库外）：请改为普通文件或文件夹。"
SPECIAL_MESSAGE = (
    "不允许特殊文件（命名管道、设备文件或套接字）：这里只能放普通文件和文件夹，请删除它。"
)


@dataclass
class Scan:
    """What a folder holds, walked without following links; paths relative to it, sorted."""

    files: list[str] = field(default_factory=list)  # regular files
    links: list[str] = field(default_factory=list)  # symbolic links, to files or folders
    special: list[str] = field(default_factory=list)  # named pipes, devices, sockets
    empty: list[str] = field(default_factory=list)  # folders with nothing in them
    unreadable: list[str] = field(default_factory=list)  # folders that cannot be listed


def scan(folder: Path) -> Scan:
    """Walk ``folder`` (itself followed if it is a link: the caller chose it), never a link below it."""
    found = Scan()

    def walk(current: Path, rel: str) -> None:
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError:
            found.unreadable.append(rel or ".")
            return
        if not entries and rel:
            found.empty.append(rel)
        for entry in entries:
            path = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_symlink():
                found.links.append(path)
            elif entry.is_dir(follow_symlinks=False):
                walk(current / entry.name, path)
            elif entry.is_file(follow_symlinks=False):
                found.files.append(path)
            else:
                found.special.append(path)

    walk(folder, "")
    for listed in (found.files, found.links, found.special, found.empty, found.unreadable):
        listed.sort()
    return found


def shown(path: Path, root: Path) -> str:
    """``path`` as the site's people know it: relative to the repository when inside it."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)


def _problem(path: Path, root: Path, mode: int | None) -> Problem:
    if mode is None:
        message = "无法读取该文件夹：请检查文件权限。"
        return error(shown(path, root), (), message, UNREADABLE, 1, 1)
    if stat.S_ISLNK(mode):
        return error(shown(path, root), (), LINK_MESSAGE, LINK, 1, 1)
    return error(shown(path, root), (), SPECIAL_MESSAGE, SPECIAL, 1, 1)


def _ancestors(path: Path, root: Path) -> Iterator[Path]:
    """``path`` and the folders between ``root`` and it, outermost first (none above ``root``)."""
    try:
        parts = Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).parts
    except ValueError:
        parts = ()
    current = root
    for part in parts:
        current = current / part
        yield current


def refused(folder: Path, root: Path) -> list[Problem]:
    """An error for every link and special file at or below ``folder`` (and for a link
    among the folders from ``root`` down to it), paths relative to ``root``; none when
    ``folder`` is not there."""
    for step in _ancestors(folder, root):
        try:
            mode = step.lstat().st_mode
        except OSError:
            return []  # not there: the reader says what is missing, if anything is
        if stat.S_ISLNK(mode):
            return [_problem(step, root, mode)]
        if not stat.S_ISDIR(mode):
            return [] if step != folder or stat.S_ISREG(mode) else [_problem(step, root, mode)]
    if not folder.is_dir():
        return []
    found = scan(folder)
    return sorted(
        [
            *(_problem(folder / rel, root, stat.S_IFLNK) for rel in found.links),
            *(_problem(folder / rel, root, stat.S_IFIFO) for rel in found.special),
            *(_problem(folder / rel, root, None) for rel in found.unreadable),
        ]
    )


def files(folder: Path, root: Path) -> list[Path]:
    """The regular files below ``folder``, sorted; DataError naming every link or special
    file there instead. None when ``folder`` is not there."""
    problems = refused(folder, root)
    if problems:
        raise DataError(problems)
    return [folder / rel for rel in scan(folder).files] if folder.is_dir() else []


def read(path: Path, root: Path) -> bytes:
    """The bytes of the regular file ``path`` below ``root``, or DataError if it, or a
    folder on the way to it, is a link or a special file. Checked as the file is opened
    (a named pipe is opened without waiting, then refused), so that what was checked is
    what is read. OSError when it cannot be read."""
    for step in list(_ancestors(path, root))[:-1]:
        mode = step.lstat().st_mode
        if not stat.S_ISDIR(mode):
            raise DataError([_problem(step, root, mode)])
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        with contextlib.suppress(OSError):
            mode = path.lstat().st_mode
            if stat.S_ISLNK(mode):  # O_NOFOLLOW refused it (ELOOP)
                raise DataError([_problem(path, root, mode)]) from exc
        raise
    with os.fdopen(fd, "rb") as handle:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise DataError([_problem(path, root, mode)])
        return handle.read()


def resolved_inside(path: Path, base: Path) -> Path | None:
    """``path`` with its links resolved, if it is a regular file inside ``base``; else None.

    For folders that tools other than git fill, where links are normal (npm and pnpm
    link packages inside ``node_modules``): a link is followed, but only to a regular
    file within ``base``.
    """
    try:
        target = Path(os.path.realpath(path))
        inside = target.is_relative_to(os.path.realpath(base))
        return target if inside and stat.S_ISREG(target.lstat().st_mode) else None
    except (OSError, ValueError):
        return None
