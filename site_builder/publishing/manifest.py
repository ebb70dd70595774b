"""The build manifest: what a mirror checks its copy against.

``build.json`` names the source commit, its time, the tool's version and every file
with its size and SHA-256; ``SHA256SUMS`` lists the same hashes in the format
``sha256sum -c`` reads. Both describe every file of the site but themselves and
the output marker, and are written last.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from site_builder import __version__
from site_builder.errors import DataError
from site_builder.publishing import jsonfile
from site_builder.reading import tree

BUILD_JSON = "build.json"
SHA256SUMS = "SHA256SUMS"
MARKER = ".site-builder-output"
SIGNATURE = "build.json.sig"  # added by the publisher after the build (ssh-keygen -Y sign)
NOT_LISTED = {BUILD_JSON, SHA256SUMS, MARKER, SIGNATURE}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# Files of a site, path -> bytes: made at once, or one by one as (path, bytes).
Files = Mapping[str, bytes] | Iterable[tuple[str, bytes]]


@dataclass(frozen=True)
class Entry:
    """What the manifest says of one file: its size and SHA-256."""

    size: int
    sha256: str

    @classmethod
    def of(cls, data: bytes) -> Entry:
        return cls(len(data), digest(data))


def entries(files: Mapping[str, bytes]) -> dict[str, Entry]:
    """The manifest entries of ``files`` (path -> bytes)."""
    return {path: Entry.of(data) for path, data in files.items()}


def manifest(files: Mapping[str, Entry], commit: str | None, time: int | None) -> dict[str, bytes]:
    """Return build.json and SHA256SUMS for ``files`` (path -> size and hash)."""
    listed = sorted(path for path in files if path not in NOT_LISTED)
    items = [
        {"path": path, "bytes": files[path].size, "sha256": files[path].sha256} for path in listed
    ]
    doc = {
        "tool": "site-builder",
        "version": __version__,
        "commit": commit,
        "time": datetime.fromtimestamp(time, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if time is not None
        else None,
        "files": items,
    }
    sums = "".join(f"{e['sha256']}  {e['path']}\n" for e in items)
    return {
        BUILD_JSON: jsonfile.pretty(doc),
        SHA256SUMS: sums.encode("utf-8"),
    }


def untouched(folder: Path) -> dict[str, str | None] | None:
    """Every file the manifest of ``folder`` lists: its SHA-256 when the file is still as
    written (a regular file of the listed size, not modified after build.json, which is
    written last), else None. None when build.json cannot be read.

    The cheap check a build makes of its previous output: no file is read or hashed.
    ``verify`` is the thorough one.
    """
    built = folder / BUILD_JSON
    try:
        since = built.stat().st_mtime_ns
        listed = {e["path"]: e for e in json.loads(built.read_bytes())["files"]}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    found: dict[str, str | None] = {}
    for rel, entry in listed.items():
        try:
            st = (folder / rel).lstat()
        except OSError:
            found[rel] = None
            continue
        same = st.st_size == entry.get("bytes") and st.st_mtime_ns <= since
        found[rel] = entry.get("sha256") if stat.S_ISREG(st.st_mode) and same else None
    return found


def intact(folder: Path) -> bool:
    """Whether ``folder`` holds exactly what its manifest lists, none of it touched since
    (and nothing else: no link, special file or empty folder)."""
    found = untouched(folder)
    if found is None or None in found.values():
        return False
    held = tree.scan(folder)
    if held.links or held.special or held.empty or held.unreadable:
        return False
    return set(held.files) - NOT_LISTED == set(found) and (folder / MARKER).is_file()


@dataclass(frozen=True)
class Mismatch:
    """One way a mirror's copy differs from its manifest."""

    path: str
    kind: str  # 缺失 / 多余 / 已改动 / 符号链接 / 特殊文件 / 空文件夹 / 无法读取 / 清单无法读取
    detail: str = ""


UNREADABLE = "清单无法读取"
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _unsafe(path: str) -> str | None:
    """Why ``path`` from a manifest cannot name a file of the site, or None if it can."""
    if not path:
        return "路径为空"
    if path.startswith("/"):
        return "是绝对路径"
    if "\\" in path:
        return "含有反斜杠"
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in path):
        return "含有控制字符"
    if any(part in ("", ".", "..") for part in path.split("/")):
        return "含有“..”“.”或空的路径段"
    if path in NOT_LISTED:
        return "是清单自己的文件"
    return None


def _listed(folder: Path) -> tuple[dict[str, Entry], list[Mismatch]]:
    """The files build.json lists (path -> entry), or why it cannot be used: it is read
    only as a regular file, and every path in it must name a place inside the site."""
    try:
        raw = tree.read(folder / BUILD_JSON, folder)
    except DataError:
        return {}, [Mismatch(BUILD_JSON, UNREADABLE, "不是普通文件（符号链接或特殊文件），不读取")]
    except OSError as exc:
        return {}, [Mismatch(BUILD_JSON, UNREADABLE, f"无法读取：{exc.strerror or exc}")]
    try:
        doc = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return {}, [
            Mismatch(BUILD_JSON, UNREADABLE, f"不是 UTF-8 编码（第 {exc.start + 1} 个字节）")
        ]
    except json.JSONDecodeError as exc:
        where = f"第 {exc.lineno} 行第 {exc.colno} 列"
        return {}, [Mismatch(BUILD_JSON, UNREADABLE, f"不是有效的 JSON（{where}：{exc.msg}）")]
    except RecursionError:
        return {}, [Mismatch(BUILD_JSON, UNREADABLE, "不是有效的清单（嵌套过深）")]
    items = doc.get("files") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        return {}, [Mismatch(BUILD_JSON, UNREADABLE, "缺少文件列表 files")]
    listed: dict[str, Entry] = {}
    problems: list[Mismatch] = []
    for number, item in enumerate(items, 1):
        path = item.get("path") if isinstance(item, dict) else None
        size = item.get("bytes") if isinstance(item, dict) else None
        sha = item.get("sha256") if isinstance(item, dict) else None
        if not isinstance(path, str):
            why = "没有文字形式的路径 path"
        elif (unsafe := _unsafe(path)) is not None:
            why = f"路径 {json.dumps(path, ensure_ascii=False)} {unsafe}，不能指向网站中的文件"
        elif path in listed:
            why = f"路径 {json.dumps(path, ensure_ascii=False)} 重复"
        elif (
            type(size) is not int
            or size < 0
            or not isinstance(sha, str)
            or not _SHA256.fullmatch(sha)
        ):
            why = f"路径 {json.dumps(path, ensure_ascii=False)} 的字节数 bytes 或 sha256 无效"
        else:
            listed[path] = Entry(size, sha)
            continue
        problems.append(Mismatch(BUILD_JSON, UNREADABLE, f"files 第 {number} 项{why}"))
    return ({}, problems) if problems else (listed, [])


def verify(folder: Path) -> list[Mismatch]:
    """Check a copy of a built site against its build.json: missing, extra and altered
    files, and anything a web server should not find there: symbolic links (never
    followed: one to / would serve the whole disk), special files and empty folders.

    Nothing the manifest names is read before every path in it is known to be safe.
    """
    listed, found = _listed(folder)
    if found:
        return found
    held = tree.scan(folder)
    odd = {
        **{
            p: ("符号链接", "网站中不应有符号链接（不跟随）：请删除，并从构建输出重新复制")
            for p in held.links
        },
        **{
            p: ("特殊文件", "网站中只应有普通文件（这是命名管道、设备或套接字）：请删除")
            for p in held.special
        },
        **{p: ("空文件夹", "构建输出中没有空文件夹：请删除") for p in held.empty},
        **{p: ("无法读取", "无法列出该文件夹的内容：请检查权限") for p in held.unreadable},
    }
    for path, (kind, detail) in odd.items():
        found.append(Mismatch(path, kind, detail))
    present = set(held.files)
    for path, entry in sorted(listed.items()):
        if path in odd:
            continue  # reported as what it is
        if path not in present:
            found.append(Mismatch(path, "缺失"))
            continue
        try:
            data = tree.read(folder / path, folder)
        except (DataError, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "不是普通文件"
            found.append(Mismatch(path, "无法读取", str(reason)))
            continue
        if len(data) != entry.size or digest(data) != entry.sha256:
            found.append(Mismatch(path, "已改动", f"{len(data)} 字节，清单记录 {entry.size} 字节"))
    for path in sorted(present - set(listed) - NOT_LISTED):
        found.append(Mismatch(path, "多余"))
    expected = "".join(f"{e.sha256}  {path}\n" for path, e in sorted(listed.items()))
    if SHA256SUMS not in odd:
        try:
            same = (
                SHA256SUMS in present
                and tree.read(folder / SHA256SUMS, folder) == expected.encode()
            )
        except (DataError, OSError):
            same = False
        if not same:
            kind = "已改动" if SHA256SUMS in present else "缺失"
            found.append(Mismatch(SHA256SUMS, kind, "与 build.json 不一致"))
    return sorted(found, key=lambda m: m.path)
