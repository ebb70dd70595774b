"""Put the tool's defaults into a built distribution (the project itself is in pyproject.toml).

A wheel carries in ``site_builder/_defaults/`` what a list repository uses for whatever it
does not hold (``site_builder/reading/defaults.py``): this repository's ``templates/``,
``schema/`` and ``data/flows/``, and lunr.js with its licence, from the npm dependency
declared in package.json at the version and integrity package-lock.json pins. lunr.js is
taken from ``node_modules/lunr`` when npm installed it, else from the npm registry's
tarball, checked against that integrity (so no Node.js is needed); the build fails when
neither gives it. An editable install keeps the defaults in place and only fetches lunr.js
when npm has not installed it. An sdist carries the same files (MANIFEST.in), so a wheel
built from it is the same.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import tarfile
import urllib.request
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.sdist import sdist

HERE = Path(__file__).resolve().parent
DEFAULTS = ("templates", "schema", "data/flows")  # their names in _defaults: the last part
LUNR_FILES = ("lunr.min.js", "LICENSE")
SDIST_LUNR = HERE / "npm-lunr"  # where an sdist build puts lunr.js (MANIFEST.in)


def _locked() -> tuple[str, str]:
    lock = json.loads((HERE / "package-lock.json").read_text(encoding="utf-8"))
    entry = lock["packages"]["node_modules/lunr"]
    return entry["version"], entry["integrity"]


def lunr_files() -> dict[str, bytes]:
    """lunr.js and its licence at the locked version: npm's copy, an sdist's, or the registry's."""
    version, integrity = _locked()
    for folder in (HERE / "node_modules" / "lunr", SDIST_LUNR):
        package = folder / "package.json"
        if package.is_file() and json.loads(package.read_text("utf-8"))["version"] == version:
            return {name: (folder / name).read_bytes() for name in (*LUNR_FILES, "package.json")}
    url = f"https://registry.npmjs.org/lunr/-/lunr-{version}.tgz"
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            tarball = response.read()
    except OSError as exc:
        raise SystemExit(
            f"lunr.js is missing: run `npm ci`, or allow access to {url} ({exc})"
        ) from exc
    algorithm, expected = integrity.split("-", 1)
    if base64.b64encode(hashlib.new(algorithm, tarball).digest()).decode() != expected:
        raise SystemExit(f"{url} does not match package-lock.json's integrity {integrity}")
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
        found = {
            name: archive.extractfile(f"package/{name}") for name in (*LUNR_FILES, "package.json")
        }
        return {name: f.read() for name, f in found.items() if f is not None}


def write_lunr(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    files = lunr_files()
    missing = [name for name in LUNR_FILES if name not in files]
    if missing:
        raise SystemExit(f"lunr.js is missing {', '.join(missing)}: run `npm ci`")
    for name, data in files.items():
        (folder / name).write_bytes(data)


class BuildWithDefaults(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            if not (HERE / "node_modules" / "lunr" / "lunr.min.js").is_file():
                write_lunr(HERE / "site_builder" / "_defaults" / "lunr")
            return
        target = Path(self.build_lib) / "site_builder" / "_defaults"
        shutil.rmtree(target, ignore_errors=True)
        for source in DEFAULTS:
            shutil.copytree(HERE / source, target / Path(source).name)
        write_lunr(target / "lunr")


class SdistWithLunr(sdist):
    def run(self) -> None:
        write_lunr(SDIST_LUNR)  # then MANIFEST.in takes it in
        super().run()


setup(cmdclass={"build_py": BuildWithDefaults, "sdist": SdistWithLunr})
