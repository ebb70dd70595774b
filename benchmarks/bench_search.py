"""Measure search at scale and print the figures (a benchmark, not a test).

    python3 benchmarks/bench_search.py [--powers 10000] [--site DIR]

Builds a synthetic repository (benchmarks/generate.py) and its site, unless --site
names one already built, then prints: the index build time; the bytes the browser
downloads for a first search, raw and gzip; and, in headless Chromium, the time
from the last keystroke to results on screen, index load included (cold) and
with the index loaded (warm).
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))
sys.path.insert(0, str(Path(__file__).parent))

from generate import generate  # noqa: E402

from site_builder.build import build, check_repository  # noqa: E402
from site_builder.publishing import search  # noqa: E402
from site_builder.structure.pages import Site  # noqa: E402

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FIRST_SEARCH = [
    "search/index.html",
    "assets/site.css",
    "assets/site.js",
    "assets/lunr/lunr.min.js",
    "assets/search.js",
]
QUERIES = ["经营许可", "建设工程", "罚款", "税", "441200-XK", "市自然资源局"]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--powers", type=int, default=10_000)
    parser.add_argument("--repo", type=Path, help="an existing repository (default: generate one)")
    parser.add_argument("--site", type=Path, help="its already built site (default: build it)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    repo = args.repo or work / "repo"
    if not args.repo:
        generate(repo, args.powers)
    site_dir = args.site or work / "site"
    if not args.site:
        t = time.perf_counter()
        build(repo, site_dir)
        print(f"site build: {time.perf_counter() - t:.1f} s")
    site = Site(check_repository(repo).dataset)
    t = time.perf_counter()
    shards = search.shards(site)
    print(
        f"powers: {len(site.powers)}; index build: {time.perf_counter() - t:.2f} s; shards: {[s.id for s in shards]}"
    )
    files = FIRST_SEARCH + [
        f"search/{s.id}.js" for s in shards if s.jurisdiction in (None, site.config.jurisdiction)
    ]
    raw = zipped = 0
    for rel in files:
        data = (site_dir / rel).read_bytes()
        raw += len(data)
        zipped += len(gzip.compress(data, 6))
        print(
            f"  {rel}: {len(data) / 1024:.0f} KB raw, {len(gzip.compress(data, 6)) / 1024:.0f} KB gzip"
        )
    print(f"first search downloads: {raw / 1024:.0f} KB raw, {zipped / 1024:.0f} KB gzip")
    browser_timings(site_dir)


# Measured inside the page: from the last input event to the first frame after the results are
# written (the status line is written last), so the driver's own round trips are not counted.
PROBE = """() => {
  const input = document.getElementById('search-q'), status = document.getElementById('search-status');
  window.__bench = {};
  input.addEventListener('input', () => { window.__bench.input = performance.now(); window.__bench.shown = null; }, true);
  new MutationObserver(() => {
    if (status.textContent) { requestAnimationFrame(() => { window.__bench.shown = performance.now(); }); }
  }).observe(status, {childList: true, characterData: true, subtree: true});
}"""
DONE = "(t) => document.getElementById('search-q').value === t && window.__bench.shown"


def browser_timings(site_dir: Path) -> None:
    from playwright.sync_api import sync_playwright

    url = (site_dir / "search/index.html").resolve().as_uri()
    cold, warm = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for query in QUERIES:
            page = browser.new_page()
            page.goto(url)
            page.evaluate(PROBE)
            page.locator("#search-q").fill(
                query
            )  # focus and the last keystroke at once: the index loads now
            page.wait_for_function(DONE, arg=query)
            cold.append(page.evaluate("() => window.__bench.shown - window.__bench.input"))
            page.locator("#search-q").fill("")
            page.wait_for_timeout(100)
            page.locator("#search-q").fill(query)
            page.wait_for_function(DONE, arg=query)
            warm.append(page.evaluate("() => window.__bench.shown - window.__bench.input"))
            page.close()
        browser.close()
    print(
        f"results on screen after the last keystroke, index load included (cold): median {statistics.median(cold):.0f} ms, max {max(cold):.0f} ms"
    )
    print(
        f"results on screen after the last keystroke, index loaded (warm): median {statistics.median(warm):.0f} ms, max {max(warm):.0f} ms"
    )


if __name__ == "__main__":
    main()
