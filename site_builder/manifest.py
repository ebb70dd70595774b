"""The build manifest: what a mirror checks its copy against.

``build.json`` names the source commit, its time, the tool's version and every file
with its size and SHA-256; ``SHA256SUMS`` lists the same hashes in the format
``sha256sum -c`` reads. Both describe every file of the site but themselves and
the output marker, and are written last.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from site_builder import __version__, jsonfile

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
    """Whether ``folder`` holds exactly what its manifest lists, none of it touched since."""
    found = untouched(folder)
    if found is None or None in found.values():
        return False
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
    return present - NOT_LISTED == set(found) and (folder / MARKER).is_file()


@dataclass(frozen=True)
class Mismatch:
    """One way a mirror's copy differs from its manifest."""

    path: str
    kind: str  # missing / extra / altered / unreadable manifest
    detail: str = ""


def verify(folder: Path) -> list[Mismatch]:
    """Check a copy of a built site against its build.json: missing, extra and altered files."""
    try:
        doc = json.loads((folder / BUILD_JSON).read_text(encoding="utf-8"))
        listed = {e["path"]: e for e in doc["files"]}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [Mismatch(BUILD_JSON, "清单无法读取", str(exc))]
    found: list[Mismatch] = []
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for path, entry in sorted(listed.items()):
        if path not in present:
            found.append(Mismatch(path, "缺失"))
            continue
        data = (folder / path).read_bytes()
        if len(data) != entry.get("bytes") or digest(data) != entry.get("sha256"):
            found.append(
                Mismatch(path, "已改动", f"{len(data)} 字节，清单记录 {entry.get('bytes')} 字节")
            )
    for path in sorted(present - set(listed) - NOT_LISTED):
        found.append(Mismatch(path, "多余"))
    sums = folder / SHA256SUMS
    expected = "".join(f"{e['sha256']}  {e['path']}\n" for _, e in sorted(listed.items()))
    if not sums.is_file() or sums.read_text(encoding="utf-8") != expected:
        found.append(
            Mismatch(SHA256SUMS, "已改动" if sums.is_file() else "缺失", "与 build.json 不一致")
        )
    return found
