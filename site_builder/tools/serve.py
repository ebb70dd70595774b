"""Preview a site: build it, serve it on localhost, rebuild when sources change.

The only module that imports watchfiles and http.server. It builds into a
temporary folder, never into ``public/``, so a preview never touches the output
that mirrors copy.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Callable
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from watchfiles import watch

from site_builder.build import Checked, build
from site_builder.errors import SiteBuilderError
from site_builder.reading import layout


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def watched_paths(root: Path, theme_overrides: str | None) -> list[Path]:
    """The files and folders whose changes trigger a rebuild: what a build reads."""
    return [root / name for name in layout.sources(theme_overrides) if (root / name).exists()]


def serve(
    root: Path,
    host: str,
    port: int,
    on_build: Callable[[Checked | None, SiteBuilderError | None], None],
    on_ready: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Build, serve and rebuild until interrupted (or ``stop`` is set).

    ``on_build`` receives each build's result or its error; a failed rebuild keeps
    serving the last good site.
    """
    stop = stop or threading.Event()
    workdir = Path(tempfile.mkdtemp(prefix="site-builder-serve-"))
    out = workdir / "site"
    out.mkdir()

    def rebuild() -> None:
        try:
            on_build(build(root, out, preview=True), None)
        except SiteBuilderError as exc:
            on_build(None, exc)

    rebuild()
    handler = functools.partial(_QuietHandler, directory=str(out))
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    on_ready(f"http://{host}:{server.server_address[1]}/")
    try:
        from site_builder.reading.config import load_config

        try:
            custom = load_config(root).theme_overrides
        except SiteBuilderError:
            custom = None
        for _changes in watch(
            *watched_paths(root, custom), stop_event=stop, debounce=300, rust_timeout=500
        ):
            rebuild()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(workdir, ignore_errors=True)
