"""Every check in one command: lint, format and types run with the tests."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import PROJECT

CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy", "site_builder", "benchmarks"],
]


@pytest.mark.parametrize("command", CHECKS, ids=" ".join)
def test_code_passes(command: list[str]) -> None:
    command = [sys.executable, "-m", *command]
    result = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
