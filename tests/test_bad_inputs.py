"""The broken-input corpus: every case in tests/bad-inputs/ fails cleanly through the real CLI.

Each case is a folder of files laid over a small valid repository (the one of the
``repo`` fixture), committed with git, then checked with ``site-builder validate``
and ``site-builder build``. Every case must end in exit code 1, with a message that
names the file and the line, no Python traceback, and the previously built
``public/`` left byte for byte as it was. See tests/bad-inputs/README.md.
"""

from __future__ import annotations

import faulthandler
import json
import shutil
import signal
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from click.testing import Result
from conftest import Git, Repo, make_repo

CORPUS = Path(__file__).resolve().parent / "bad-inputs"
EXPECTED = "expected.yaml"
NOT_OVERLAID = {EXPECTED, "README.md"}
# A case that takes longer than this is hanging (an alias bomb being expanded, say).
SECONDS = 60


@dataclass(frozen=True)
class Case:
    name: str
    folder: Path
    description: str
    path: str
    line: int
    rule: str
    message: str
    column: int | None = None
    strict: bool = False
    hook: str | None = None
    exit_code: int = 1
    total: int | None = None


def _case(folder: Path) -> Case:
    doc = yaml.safe_load((folder / EXPECTED).read_text(encoding="utf-8"))
    problem = doc["problem"]
    unknown = (set(doc) - {"description", "problem", "strict", "hook", "exit_code", "total"}) | (
        set(problem) - {"path", "line", "column", "rule", "message"}
    )
    assert not unknown, f"{folder.name}/{EXPECTED}: unknown keys {sorted(unknown)}"
    return Case(
        name=folder.name,
        folder=folder,
        description=doc["description"],
        path=problem["path"],
        line=problem["line"],
        rule=problem["rule"],
        message=problem["message"],
        column=problem.get("column"),
        strict=doc.get("strict", False),
        hook=doc.get("hook"),
        exit_code=doc.get("exit_code", 1),
        total=doc.get("total"),
    )


CASES = [_case(folder) for folder in sorted(CORPUS.iterdir()) if (folder / EXPECTED).is_file()]


# --- hooks: inputs whose bytes are not sensible to commit ----------------------


def _too_large(root: Path, outside: Path) -> None:
    """Grow the power's content past 1 MB (1.2 MB of Chinese text on one line)."""
    path = root / "data/departments/zq-a/powers/zq-a-xk-001.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("content: ", "content: " + "甲" * 400_000, 1), encoding="utf-8")


def _symlink_inside(root: Path, outside: Path) -> None:
    """A second power file that is a link to the first, inside the repository."""
    powers = root / "data/departments/zq-a/powers"
    (powers / "zq-a-xk-009.yaml").symlink_to("zq-a-xk-001.yaml")


def _symlink_outside(root: Path, outside: Path) -> None:
    """A law file that is a link to a file outside the repository."""
    target = outside / "waibu.yaml"
    target.write_text("id: waibu\ntitle: 仓库外的文件\nkind: 法律\nstatus: 现行有效\n", "utf-8")
    (root / "data/laws/waibu.yaml").symlink_to(target)


def _symlink_outside_folder(root: Path, outside: Path) -> None:
    """A department folder that is a link to a folder outside the repository."""
    (outside / "department.yaml").write_text(
        "id: zq-x\nname: 仓库外的部门\nshort_name: 外部门\njurisdiction: zhaoqing\nkind: 政府工作部门\n",
        "utf-8",
    )
    (root / "data/departments/zq-x").symlink_to(outside, target_is_directory=True)


def _raw_character(ch: str) -> Callable[[Path, Path], None]:
    """A hook writing ``ch`` raw into the power's content, line 4, column 12."""

    def hook(root: Path, outside: Path) -> None:
        path = root / "data/departments/zq-a/powers/zq-a-xk-001.yaml"
        text = path.read_text(encoding="utf-8")
        assert "\ncontent: 对某某" in text
        path.write_text(text.replace("content: 对某某", f"content: 对某{ch}某", 1), "utf-8")

    return hook


def _submodule(root: Path, outside: Path) -> None:
    """A department folder that is a submodule: a gitlink in the index, an empty folder on disk.

    The test's commit adds the whole index, so the gitlink is committed with the rest.
    """
    import pygit2

    repo = pygit2.Repository(str(root))
    other = pygit2.init_repository(str(outside / "other"), initial_head="main")
    (outside / "other/department.yaml").write_text("id: zq-b\n", "utf-8")
    other.index.add("department.yaml")
    other.index.write()
    who = pygit2.Signature("外部", "other@example.org", 1_700_000_000, 480)
    commit = other.create_commit("HEAD", who, who, "外部仓库", other.index.write_tree(), [])
    repo.index.read()
    repo.index.add(pygit2.IndexEntry("data/departments/zq-b", commit, pygit2.GIT_FILEMODE_COMMIT))
    repo.index.write()
    (root / "data/departments/zq-b").mkdir()


# A file of the build machine that no site may publish (a stand-in for /proc/self/environ).
SECRET = "CI_TOKEN=secret-of-the-build-machine\n"


def _symlink_templates_static(root: Path, outside: Path) -> None:
    """A static file that is a link to a secret file outside the repository."""
    (outside / "environ").write_text(SECRET, "utf-8")
    (root / "templates/static/env.txt").symlink_to(outside / "environ")


def _symlink_schema(root: Path, outside: Path) -> None:
    """A schema that is a link to a copy outside the repository: valid content, still refused."""
    schema = root / "schema/law.schema.json"
    shutil.copyfile(schema, outside / "law.schema.json")
    schema.unlink()
    schema.symlink_to(outside / "law.schema.json")


def _theme_overrides_outside(root: Path, outside: Path) -> None:
    """theme_overrides on line 2 of site.yaml names a folder beside the repository, with a template."""
    (outside / "base.html").write_text("<!doctype html><title>仓库外的模板</title>", "utf-8")
    config = root / "site.yaml"
    first, rest = config.read_text(encoding="utf-8").split("\n", 1)
    config.write_text(f"{first}\ntheme_overrides: ../outside\n{rest}", encoding="utf-8")


def _symlink_theme_overrides_static(root: Path, outside: Path) -> None:
    """theme_overrides inside the repository, with a static file that links out of it."""
    (outside / "site.css").write_text(SECRET, "utf-8")
    (root / "overrides/static").mkdir(parents=True)
    (root / "overrides/static/site.css").symlink_to(outside / "site.css")
    config = root / "site.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "theme_overrides: overrides\n", "utf-8")


HOOKS: dict[str, Callable[[Path, Path], None]] = {
    "submodule": _submodule,
    "raw-nul": _raw_character("\x00"),
    "raw-vertical-tab": _raw_character("\x0b"),
    "raw-delete": _raw_character("\x7f"),
    "raw-c1-control": _raw_character("\x9b"),
    "raw-noncharacter": _raw_character("\uffff"),
    "raw-noncharacter-plane": _raw_character("\U0010fffe"),
    "too-large": _too_large,
    "symlink-inside": _symlink_inside,
    "symlink-outside": _symlink_outside,
    "symlink-outside-folder": _symlink_outside_folder,
    "symlink-templates-static": _symlink_templates_static,
    "symlink-schema": _symlink_schema,
    "custom-dir-outside": _theme_overrides_outside,
    "symlink-custom-dir-static": _symlink_theme_overrides_static,
}


# --- the base repository, built once --------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ``repo`` fixture's repository, committed with git and built into public/."""
    base = make_repo(tmp_path_factory.mktemp("base") / "repo")
    root = base.root
    base.write(".gitignore", "/public/\n/.cache/\n")
    Git(base).commit("初始版本：市甲局权责清单")
    result = base.cli("build")
    assert result.exit_code == 0, result.output
    assert (root / "public/index.html").is_file()
    return root


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


@pytest.fixture
def time_limit() -> Iterator[None]:
    """Fail a case that runs for more than SECONDS instead of hanging the suite.

    The alarm interrupts Python code; a loop in C (json.dumps of an expanded alias bomb)
    does not see it, so faulthandler then ends the run, printing where it was stuck.
    """

    def expire(signum: int, frame: FrameType | None) -> Any:
        raise TimeoutError(f"took longer than {SECONDS} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(SECONDS)
    faulthandler.dump_traceback_later(2 * SECONDS, exit=True)
    try:
        yield
    finally:
        faulthandler.cancel_dump_traceback_later()
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _clean(result: Result, case: Case, command: str) -> None:
    """The run ended with the expected exit code, no traceback, and the file:line of the problem."""
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == case.exit_code, f"{command}: {result.output}"
    assert "Traceback" not in result.output, result.output
    assert "内部错误" not in result.output, result.output
    where = f"{case.path}:{case.line}:"
    lines = [line for line in result.output.splitlines() if line.startswith(where)]
    assert any(case.message in line and ": error: " in line for line in lines), (
        f"{command}: no error at {where} containing {case.message!r} in:\n{result.output}"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, built: Path, tmp_path: Path, time_limit: None) -> None:
    root = tmp_path / "repo"
    shutil.copytree(built, root, symlinks=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    overlay = [p for p in sorted(case.folder.rglob("*")) if p.is_file()]
    for source in overlay:
        rel = source.relative_to(case.folder)
        if rel.as_posix() in NOT_OVERLAID:
            continue
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, root / rel)
    if case.hook is not None:
        HOOKS[case.hook](root, outside)
    repo = Repo(root)
    # Commit the broken data, as a department would: build publishes only committed data.
    Git(repo).commit(f"坏输入：{case.name}")
    strict = ["--strict"] if case.strict else []
    before = _snapshot(root / "public")

    result = repo.cli("validate", "--format", "json", *strict)
    assert result.exit_code == case.exit_code, result.output
    found = json.loads(result.stdout)["problems"]
    matching = [
        p
        for p in found
        if p["path"] == case.path
        and p["line"] == case.line
        and p["rule"] == case.rule
        and case.message in p["message"]
        and p["severity"] == "error"
        and (case.column is None or p["column"] == case.column)
    ]
    assert matching, json.dumps(found, ensure_ascii=False, indent=1)
    assert all(p["line"] >= 1 for p in found if p["path"] != ".git"), found
    if case.total is not None:
        assert len(found) == case.total, json.dumps(found, ensure_ascii=False, indent=1)

    _clean(repo.cli("validate", *strict), case, "validate")
    _clean(repo.cli("build", *strict), case, "build")
    assert _snapshot(root / "public") == before
    assert not [p.name for p in root.iterdir() if ".building-" in p.name or ".old-" in p.name]


def test_every_hook_is_used_and_every_case_is_documented() -> None:
    assert {c.hook for c in CASES if c.hook} == set(HOOKS)
    assert all(c.description.strip() for c in CASES)
    assert len(CASES) >= 40
