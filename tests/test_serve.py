"""``serve``: builds, serves on localhost, and rebuilds when a data file changes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

from conftest import LICENCE, PROJECT, Repo


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return str(response.read().decode("utf-8"))


def wait_for(predicate, seconds: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if predicate():
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def test_serve_builds_serves_and_rebuilds(repo: Repo) -> None:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "-C", str(repo.root), "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}/powers/zq-a-xk-001.html"
    try:
        assert wait_for(lambda: "某某许可" in fetch(url)), "the site was not served"
        repo.power(LICENCE, name="改名后的许可")
        assert wait_for(lambda: "改名后的许可" in fetch(url)), (
            "the site was not rebuilt after a change"
        )
        # A broken change keeps the last good site online.
        repo.power(LICENCE, category="行政审批")
        time.sleep(2)
        assert "改名后的许可" in fetch(url)
        assert not (repo.root / "public").exists()  # a preview never writes the mirrored output
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert "预览地址" in stderr and "category" in stderr
