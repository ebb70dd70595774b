"""Shared by the browser tests: Debian's Chromium driven by Playwright, a local web server, and one page per browser context.

Playwright's own browser download is never used: ``bash .ci/run`` installs Debian's chromium.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import Browser, ConsoleMessage, Page, Request, Route, sync_playwright
except ImportError:  # pragma: no cover - the message is the point
    pytest.fail("the Python package playwright is missing: run `bash .ci/run`", pytrace=False)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on 127.0.0.1 and yield its URL (ending in ``/``)."""
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium."""
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `bash .ci/run` to install Debian's chromium")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@dataclass
class Visit:
    """One page in its own browser context, with everything that went wrong while it ran."""

    page: Page
    inside: str  # every request must start with this
    errors: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)

    def goto(self, rel: str) -> None:
        response = self.page.goto(self.inside + rel, wait_until="load")
        if response is not None and response.status != 200:
            pytest.fail(f"{rel}: HTTP {response.status}: the page is missing from the built site")

    def assert_clean(self) -> None:
        problems = [*(f"request outside the site: {u}" for u in self.outside), *self.errors]
        if problems:
            pytest.fail(f"{self.page.url}:\n" + "\n".join(problems))


Opener = Callable[..., Visit]


@contextmanager
def opener(browser: Browser, base_url: str) -> Iterator[Opener]:
    """Yield a function that opens a new context and page, by default inside ``base_url``.

    Requests outside ``inside`` (the site) are aborted and recorded; console errors,
    page errors and failed requests inside the site are recorded too.
    """
    contexts = []

    def open_page(inside: str = base_url, **options: Any) -> Visit:
        context = browser.new_context(**options)
        contexts.append(context)
        context.set_default_timeout(10_000)
        page = context.new_page()
        visit = Visit(page, inside)

        def route(route: Route) -> None:
            if route.request.url.startswith(inside):
                route.continue_()
            else:
                route.abort()

        def request(req: Request) -> None:
            if not req.url.startswith(inside) and not req.url.startswith("data:"):
                visit.outside.append(f"{req.resource_type} {req.url} (from {page.url})")

        def console(message: ConsoleMessage) -> None:
            url = message.location["url"]
            if message.type == "error" and (not url or url.startswith(inside)):
                visit.errors.append(f"console: {message.text} ({url})")

        def failed(req: Request) -> None:
            if req.url.startswith(inside):  # outside requests are reported as such
                visit.errors.append(f"request failed: {req.url} {req.failure}")

        context.route("**/*", route)
        page.on("request", request)
        page.on("console", console)
        page.on("pageerror", lambda error: visit.errors.append(f"page error: {error}"))
        page.on("requestfailed", failed)
        return visit

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()


def horizontal_overflow(page: Page) -> str | None:
    """Why the page is wider than its viewport (scrolls sideways), or None when it is not."""
    scroll_width, inner_width = page.evaluate(
        "() => [document.documentElement.scrollWidth, window.innerWidth]"
    )
    width = page.viewport_size["width"] if page.viewport_size else inner_width
    if scroll_width <= width and inner_width == width:
        return None
    wide = page.evaluate(WIDEST_ELEMENTS, width)
    return (
        f"on a {width}px phone the page lays out {inner_width}px wide and scrolls "
        f"{scroll_width}px (it needs a viewport meta, and nothing may be wider than the screen: "
        "wide tables and charts scroll in their own container). "
        "Elements past the right edge:\n" + "\n".join(wide)
    )


# The outermost elements that stick out past the right edge, for the failure message.
WIDEST_ELEMENTS = """(width) => {
  const right = (el) => el.getBoundingClientRect().right;
  const clipped = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      if (getComputedStyle(a).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (right(el) <= width + 1 || clipped(el)) continue;
    const parent = el.parentElement;
    if (parent && parent !== document.body && right(parent) > width + 1) continue;
    const id = el.id ? '#' + el.id : '';
    const cls = el.classList.length ? '.' + [...el.classList].join('.') : '';
    out.push(`${el.tagName.toLowerCase()}${id}${cls}: right edge at ${Math.round(right(el))}px`);
    if (out.length >= 10) break;
  }
  return out;
}"""


RESULTS = "[data-search-results] a"


def search_for(page: Page, text: str) -> list[str]:
    """Type ``text`` into the search box as a person would and return the power ids listed."""
    box = page.locator("#search-q")
    box.fill("")
    page.wait_for_function("() => document.getElementById('search-status').textContent === ''")
    box.press_sequentially(text)
    page.wait_for_function(
        "(t) => document.getElementById('search-q').value === t && document.getElementById('search-status').textContent !== ''",
        arg=text,
    )
    page.wait_for_timeout(120)  # let a pending keystroke's search settle
    hrefs = page.locator(RESULTS).evaluate_all(
        "(links) => links.map((a) => a.getAttribute('href'))"
    )
    return [h.rsplit("/", 1)[1].removesuffix(".html") for h in hrefs]
