"""How long this machine's file system takes to create files like a site's pages.

    python3 benchmarks/disk.py [--dir DIR] [--files N] [--size BYTES] [--folders K]

Creates N files of BYTES bytes each, dealt over K folders, in a temporary folder inside DIR
(default: the system's temporary folder), the way a build writes its pages, and prints one
JSON line: microseconds per file, and the user and system CPU seconds it took. Then deletes
them. A build of 10,000 powers writes about 21,400 files, so the figure tells how much of a
build's time the file system itself takes on the machine where it is measured; on the
project's test machine it varied from 20 µs to 1 ms per file from one minute to the next.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


def measure(folder: Path, files: int, size: int, folders: int) -> dict[str, float | int | str]:
    """Create the files in a new folder inside ``folder``; the figures, then tidy up."""
    work = Path(tempfile.mkdtemp(prefix="disk-bench-", dir=folder))
    data = os.urandom(size)
    try:
        for k in range(folders):
            (work / str(k)).mkdir()
        before = resource.getrusage(resource.RUSAGE_SELF)
        start = time.perf_counter()
        for i in range(files):
            descriptor = os.open(
                work / str(i % folders) / f"{i}.html", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644
            )
            try:
                os.write(descriptor, data)
            finally:
                os.close(descriptor)
        seconds = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_SELF)
    finally:
        shutil.rmtree(work)
    return {
        "dir": str(folder),
        "files": files,
        "bytes_each": size,
        "folders": folders,
        "us_per_file": round(seconds / files * 1e6, 1),
        "user_s": round(after.ru_utime - before.ru_utime, 3),
        "system_s": round(after.ru_stime - before.ru_stime, 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()))
    parser.add_argument("--files", type=_at_least(1), default=10_000)
    parser.add_argument("--size", type=_at_least(0), default=25_000, help="bytes per file")
    parser.add_argument("--folders", type=_at_least(1), default=10)
    args = parser.parse_args()
    if not args.dir.is_dir():
        parser.error(f"--dir {args.dir}: not a folder")
    print(json.dumps(measure(args.dir, args.files, args.size, args.folders)))


def _at_least(least: int) -> Callable[[str], int]:
    def number(text: str) -> int:
        value = int(text)
        if value < least:
            raise argparse.ArgumentTypeError(f"at least {least}")
        return value

    return number


if __name__ == "__main__":
    main()
