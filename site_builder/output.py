"""Write the built site: the only code that writes into the output folder.

The site is written into a temporary folder beside the output and swapped in at
the end, so a failed or interrupted build leaves the previous output untouched.
A folder that this tool did not write is never replaced.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from site_builder import manifest
from site_builder.errors import UsageError

MARKER = manifest.MARKER


def write_site(
    out: Path, files: dict[str, bytes], commit: str | None = None, time: int | None = None
) -> None:
    """Replace ``out`` with exactly ``files`` and their manifest (written last), atomically."""
    out = out.resolve()
    if out.exists() and not (out / MARKER).is_file() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(
            f"输出目录 {out} 已存在且不是 site-builder 生成的，为避免覆盖其中的文件，已停止。请指定空目录或新目录。"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.building-", dir=out.parent))
    try:
        # The manifest last: a copy cut short by an interrupted transfer fails verification.
        for rel, data in [*sorted(files.items()), *manifest.manifest(files, commit, time).items()]:
            target = staging / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        (staging / MARKER).write_text(
            "This folder is written by site-builder; it is replaced on every build.\n"
        )
        os.chmod(staging, 0o755)
        old = None
        if out.exists():
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            out.rename(old)
        staging.rename(out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
