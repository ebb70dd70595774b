"""The same powers built by Hugo, for comparison (a benchmark, not a test).

    python3 benchmarks/hugo.py REPO [--work DIR]

Writes every power of REPO (a generated repository, see generate.py) as a Markdown page
(front matter plus a body with the same texts) into a minimal Hugo site with its own
two-file layout (no theme, no network), runs ``hugo`` three times and prints one JSON
line: the median seconds, the page count and Hugo's version. Prints ``null`` when hugo is
not installed (Debian: ``apt-get install hugo``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROJECT = Path(__file__).resolve().parent.parent
if str(PROJECT) not in sys.path:
    sys.path.insert(0, str(PROJECT))

from site_builder.reading import sources  # noqa: E402

CONFIG = """baseURL = "https://qingdan.example/"
languageCode = "zh-cn"
title = "权责清单"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
SINGLE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><p>{{ .Params.department }} · {{ .Params.category }} · {{ .Params.code }}</p>
{{ .Content }}</body></html>
"""
LIST = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1><ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul></body></html>
"""


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return "；".join(_text(v) for v in value.values())
    if isinstance(value, list):
        return "\n".join(f"- {_text(v)}" for v in value)
    return str(value)


def page(power: dict[str, Any], department: str) -> str:
    """One power as Markdown: front matter (JSON, which Hugo reads) and a body of sections."""
    front = {
        "title": power["name"],
        "code": power.get("code", ""),
        "category": power["category"],
        "department": department,
        "status": power["status"],
    }
    body = []
    for key, value in power.items():
        if key in ("id", "name", "code", "category", "status"):
            continue
        body.append(f"## {key}\n\n{_text(value)}\n")
    return json.dumps(front, ensure_ascii=False, indent=1) + "\n\n" + "\n".join(body)


def write_site(repo: Path, site: Path) -> int:
    """Write the Hugo site for ``repo`` into ``site`` (replaced); return the number of pages."""
    if site.exists():
        shutil.rmtree(site)
    (site / "layouts/_default").mkdir(parents=True)
    (site / "config.toml").write_text(CONFIG, encoding="utf-8")
    (site / "layouts/_default/single.html").write_text(SINGLE, encoding="utf-8")
    (site / "layouts/_default/list.html").write_text(LIST, encoding="utf-8")
    (site / "layouts/index.html").write_text(LIST, encoding="utf-8")
    count = 0
    for dept_dir in sorted((repo / "data/departments").iterdir()):
        powers = sorted((dept_dir / "powers").glob("*.yaml"))
        if not powers:
            continue
        target = site / "content" / dept_dir.name
        target.mkdir(parents=True)
        (target / "_index.md").write_text(f'{{"title": "{dept_dir.name}"}}\n', encoding="utf-8")
        for path in powers:
            data, problems = sources.parse(path.name, path.read_text(encoding="utf-8"))
            assert not problems, problems
            (target / f"{path.stem}.md").write_text(page(data, dept_dir.name), encoding="utf-8")
            count += 1
    return count


def hugo_build(repo: Path, work: Path) -> dict[str, Any] | None:
    """Build ``repo``'s powers with Hugo in ``work``: median seconds of 3 runs, pages, version.

    None when hugo is not installed.
    """
    hugo = shutil.which("hugo")
    if hugo is None:
        return None
    site = work / "hugo-site"
    pages = write_site(repo, site)
    runs = []
    for _ in range(3):
        shutil.rmtree(site / "public", ignore_errors=True)
        started = time.perf_counter()
        subprocess.run(
            [hugo, "--quiet", "--source", str(site)],
            check=True,
            capture_output=True,
        )
        runs.append(time.perf_counter() - started)
    version = subprocess.run([hugo, "version"], capture_output=True, text=True, check=True)
    html = sum(1 for _ in (site / "public").rglob("*.html"))
    return {
        "seconds": statistics.median(runs),
        "runs": runs,
        "pages": pages,
        "html_files": html,
        "hugo": version.stdout.split()[1] if version.stdout else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("repo", type=Path)
    parser.add_argument("--work", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-hugo-"))
    print(json.dumps(hugo_build(args.repo, work)))


if __name__ == "__main__":
    main()
