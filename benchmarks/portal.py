"""Compose several jurisdictions' sites under one portal and time it (a benchmark, not a test).

    python3 benchmarks/portal.py [--sites 3] [--records 300] [--work DIR]

Generates ``--sites`` city repositories (generate.py, cities 0..K-1, each with base_url
https://qingdan.example/<city>/), builds each with ``site-builder build``, then composes
the portal: each built site copied under ``<city>/``, a top-level index.html linking them
and a combined SHA256SUMS (each site's lines, prefixed with its sub-path). Prints one JSON
line: build seconds per site, composition seconds, ``site-builder verify`` seconds per
site, file counts, and both costs per 10,000 files.
"""

from __future__ import annotations

import argparse
import html
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import CITIES, generate


def site_builder(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "site_builder", *args], check=True, capture_output=True)
    return time.perf_counter() - started


def compose(sites: dict[str, Path], portal: Path) -> int:
    """Copy each built site under its sub-path, write index.html and SHA256SUMS; return files."""
    if portal.exists():
        shutil.rmtree(portal)
    portal.mkdir(parents=True)
    sums: list[str] = []
    links: list[str] = []
    for name, built in sites.items():
        shutil.copytree(built, portal / name)
        for line in (built / "SHA256SUMS").read_text(encoding="utf-8").splitlines():
            digest, _, rel = line.partition("  ")
            sums.append(f"{digest}  {name}/{rel}")
        links.append(f'<li><a href="{name}/index.html">{html.escape(name)}</a></li>')
    (portal / "index.html").write_text(
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>权责清单</title>'
        f"<h1>权责清单</h1><ul>{''.join(links)}</ul></html>\n",
        encoding="utf-8",
    )
    (portal / "SHA256SUMS").write_text("\n".join(sorted(sums)) + "\n", encoding="utf-8")
    return sum(1 for p in portal.rglob("*") if p.is_file())


def run(count: int, records: int, work: Path) -> dict[str, Any]:
    built: dict[str, Path] = {}
    build_seconds: dict[str, float] = {}
    for city in range(count):
        name = CITIES[city][0]
        repo = work / "repos" / name
        generate(repo, records, city=city, counties=2, base_url=f"https://qingdan.example/{name}/")
        out = work / "built" / name
        build_seconds[name] = site_builder("-C", str(repo), "build", "--out", str(out))
        built[name] = out
    started = time.perf_counter()
    files = compose(built, work / "portal")
    composition = time.perf_counter() - started
    verify = {name: site_builder("verify", str(work / "portal" / name)) for name in built}
    verified = sum(1 for name in built for p in (work / "portal" / name).rglob("*") if p.is_file())
    return {
        "sites": count,
        "records_per_site": records,
        "build_seconds": build_seconds,
        "portal_files": files,
        "compose_seconds": composition,
        "compose_seconds_per_10000_files": composition / files * 10_000,
        "verify_seconds": verify,
        "verify_seconds_per_10000_files": sum(verify.values()) / verified * 10_000,
        "portal_bytes": sum(p.stat().st_size for p in (work / "portal").rglob("*") if p.is_file()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--records", type=int, default=300)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-portal-"))
    print(json.dumps(run(args.sites, args.records, work), ensure_ascii=False))


if __name__ == "__main__":
    main()
