"""The build cache under ``.cache/``: the only module that reads or writes it.

Each cache is keyed by content, never by time: an entry is used only when the
SHA-256 of the bytes it was made from matches, and a whole cache only when its
fingerprint (the tool's own code, the schemas, the settings that shape its entries)
matches. A cache is one file, written atomically, with the SHA-256 of its body in
its first line: a cache that is truncated, garbled, stale or from another version
is dropped and rebuilt, never trusted. The folder is git-ignored and safe to delete.

Caches hold JSON, not pickles: a cache file that arrives in a checkout (it is
git-ignored, but a pull request can force-add it) can never run code.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import site_builder
from site_builder.publishing.manifest import digest
from site_builder.reading import layout

FORMAT = 1


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of this tool's own code: any change to it invalidates every cache."""
    package = Path(site_builder.__file__).parent
    h = hashlib.sha256(f"{FORMAT}:{site_builder.__version__}".encode())
    for path in sorted(package.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".json"):
            h.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def fingerprint(*parts: str | bytes) -> str:
    """A key over the tool's code and ``parts`` (settings, schema bytes, ...)."""
    h = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        raw = part.encode() if isinstance(part, str) else part
        h.update(len(raw).to_bytes(8, "big") + raw)
    return h.hexdigest()


def folder(root: Path) -> Path:
    return root / layout.CACHE


def load(path: Path, key: str) -> Any | None:
    """The body of the cache file at ``path`` if it is intact and made for ``key``; else None."""
    try:
        with path.open("rb") as f:
            head = json.loads(f.readline())
            body = f.read()
        if (
            not isinstance(head, dict)
            or head.get("format") != FORMAT
            or head.get("key") != key
            or head.get("sha256") != digest(body)
        ):
            return None
        return json.loads(body)
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def save(path: Path, key: str, body: Any) -> None:
    """Write the cache file atomically; a cache that cannot be written is simply not kept."""
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    head = json.dumps({"format": FORMAT, "key": key, "sha256": digest(raw)}).encode() + b"\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(head + raw)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError:
        pass


class Entries:
    """A content-keyed table in one cache file: path -> (SHA-256 of its bytes, value).

    ``get`` returns a value only for the same bytes; ``put`` records a new one;
    ``close`` writes the file if anything changed, dropping paths not seen this time.
    """

    def __init__(self, path: Path | None, key: str) -> None:
        """``path`` None: an empty table that is never written (no cache)."""
        self.path = path
        self.key = key
        found = load(path, key) if path else None
        self._old: dict[str, list[Any]] = found if isinstance(found, dict) else {}
        self._new: dict[str, list[Any]] = {}
        self.misses = 0

    def get(self, name: str, sha: str) -> Any | None:
        entry = self._old.get(name)
        if isinstance(entry, list) and len(entry) == 2 and entry[0] == sha:
            self._new[name] = entry
            return entry[1]
        self.misses += 1
        return None

    def put(self, name: str, sha: str, value: Any) -> None:
        self._new[name] = [sha, value]

    def close(self) -> None:
        if self.path and (self._new.keys() != self._old.keys() or self.misses):
            save(self.path, self.key, dict(sorted(self._new.items())))
