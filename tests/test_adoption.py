"""A second government adopts the tool: the built wheel, installed in a new virtual
environment with no Node.js on PATH, starts a list outside this repository and builds it.

The spreadsheet is made from real published items (../shared/reference-data, 辽宁省
政务服务事项, as test_import.py uses them).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pygit2
import pytest
from conftest import PROJECT

REFERENCE = PROJECT.parent / "shared" / "reference-data" / "liaoning-power-items-30.json"
KEYS = ["职权编码", "事项名称", "事项类型", "依据", "实施层级"]
# What the sample list (肇庆) holds and a new list must not: its places and codes.
PIP_WHEEL = (sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation")
SAMPLE = ("肇庆", "端州", "鼎湖", "德庆", "0758", "441200")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [*PIP_WHEEL, "-w", str(out), str(PROJECT)],
        check=True,
    )
    (found,) = out.glob("site_builder-*.whl")
    return found


@pytest.fixture(scope="module")
def tool(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new virtual environment with the wheel (and its dependencies from PyPI) installed."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, with_pip=True)
    pip = [str(env / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "--disable-pip-version-check", str(wheel)], check=True)
    return env / "bin"


def run(tool: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``site-builder ARGS`` in ``cwd``, with only the environment's own commands on PATH."""
    env = {"PATH": str(tool), "HOME": str(cwd), "LANG": "C.UTF-8"}
    return subprocess.run(
        [str(tool / "site-builder"), *args], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_wheel_carries_the_defaults_and_lunr(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    for name in ("lunr.min.js", "LICENSE"):
        assert f"site_builder/_defaults/lunr/{name}" in names
    expected = {
        f"site_builder/_defaults/templates/{p.relative_to(PROJECT / 'templates').as_posix()}"
        for p in (PROJECT / "templates").rglob("*")
        if p.is_file()
    } | {f"site_builder/_defaults/schema/{p.name}" for p in (PROJECT / "schema").glob("*.json")}
    assert expected <= set(names)
    assert not [n for n in names if n.startswith(("data/", "tests/", "node_modules/"))]


def test_the_sdist_carries_what_the_wheel_is_built_from(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "setup.py", "-q", "sdist", "-d", str(tmp_path)],
        cwd=PROJECT,
        check=True,
        capture_output=True,
    )
    (sdist,) = tmp_path.glob("site_builder-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"npm-lunr/lunr.min.js", "npm-lunr/LICENSE", "templates/base.html"} <= names
    assert {"schema/power.schema.json", "data/flows/xingzheng-xuke-yiban.yaml"} <= names
    assert not [n for n in names if n.startswith(("data/departments", "data/laws", "node_modules"))]


def test_a_new_government_starts_and_builds_its_list(tool: Path, tmp_path: Path) -> None:
    assert shutil.which("node", path=str(tool)) is None
    home = tmp_path / "jiangmen"
    title = "江门市行政职权权责清单"
    made = run(tool, tmp_path, "init", str(home), "--title", title, "--jurisdiction", "江门市")
    assert made.returncode == 0, made.stderr
    dept = run(
        tool, home, "new", "department", "--id", "jm-shichang", "--name", "江门市市场监督管理局"
    )
    assert dept.returncode == 0, dept.stderr
    sheet = tmp_path / "清单.csv"
    every = json.loads(REFERENCE.read_text(encoding="utf-8"))
    items = [i for i in every if i["事项类型"] == "01"][:4]  # 行政许可 in Liaoning's code table
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(KEYS)
    writer.writerows([i[k] for k in KEYS] for i in items)
    sheet.write_bytes(text.getvalue().encode("gbk"))
    args = ("import", str(sheet), "--department", "jm-shichang", "--codes", "liaoning")
    imported = run(tool, home, *args, "--write")
    assert imported.returncode == 0, imported.stderr
    powers = sorted((home / "data/departments/jm-shichang/powers").glob("*.yaml"))
    assert len(powers) == len(items), imported.stderr
    unfilled = run(tool, home, "validate")
    assert unfilled.returncode == 1 and "content（职权内容）" in unfilled.stdout
    for path in powers:  # what the department then fills in: the sheet has no 职权内容
        with path.open("a", encoding="utf-8") as text:
            text.write("content: 依照所列依据办理本事项。\n")
    checked = run(tool, home, "validate")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    repo = pygit2.Repository(str(home))
    repo.index.add_all()
    repo.index.write()
    who = pygit2.Signature("江门市委编办", "bianban@example.org", 1700000000, 480)
    parents = [] if repo.head_is_unborn else [repo.head.target]
    repo.create_commit("HEAD", who, who, "导入市场监管局清单", repo.index.write_tree(), parents)
    built = run(tool, home, "build")
    assert built.returncode == 0, built.stderr
    public = home / "public"
    assert title in (public / "index.html").read_text(encoding="utf-8")
    assert (public / "assets/lunr/lunr.min.js").is_file()
    pages = {p.stem for p in (public / "powers").glob("*.html")}
    assert {p.stem for p in powers} <= pages
    found = [
        str(path.relative_to(home))
        for path in home.rglob("*")
        if path.is_file() and ".git" not in path.parts and ".cache" not in path.parts
        for word in SAMPLE
        if word.encode() in _text(path)
    ]
    assert found == []


def _text(path: Path) -> bytes:
    """The file's bytes, and for a zip (the downloads, the workbook) its members' too."""
    data = path.read_bytes()
    if data[:2] == b"PK":
        with zipfile.ZipFile(path) as archive:
            data += b"".join(archive.read(n) for n in archive.namelist())
    return data
