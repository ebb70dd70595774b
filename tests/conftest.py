"""Fixtures: small real repositories in tmp_path, built from the project's own schema, templates and config."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from site_builder.cli import main
from site_builder.reading import sources

PROJECT = Path(__file__).resolve().parent.parent

LAW = {
    "id": "xingzheng-xuke-fa",
    "title": "中华人民共和国行政许可法",
    "kind": "法律",
    "status": "现行有效",
}

DEPARTMENT = {
    "id": "zq-a",
    "name": "肇庆市甲局",
    "short_name": "市甲局",
    "jurisdiction": "zhaoqing",
    "kind": "政府工作部门",
}

LICENCE = {
    "id": "zq-a-xk-001",
    "name": "某某许可",
    "category": "行政许可",
    "content": "对某某活动实施许可。",
    "legal_basis": [{"kind": "法律", "law": "xingzheng-xuke-fa", "article": "第十二条"}],
    "statutory_time_limit": {"value": 20, "unit": "工作日"},
    "committed_time_limit": {"value": 10, "unit": "工作日"},
    "flow": {"ref": "xingzheng-xuke-yiban"},
    "responsibilities": [{"step": "shouli", "duty": "依法受理。"}],
    "disclosure": {"public": True},
    "status": "在用",
}

PENALTY = {
    "id": "zq-a-cf-001",
    "name": "对某某违法行为的行政处罚",
    "category": "行政处罚",
    "content": "对某某违法行为给予处罚。",
    "legal_basis": [{"kind": "法律", "title": "中华人民共和国某某法", "article": "第三十条"}],
    "penalty": {"violation": "某某违法行为", "types": ["警告", "罚款"]},
    "flow": {"ref": "xingzheng-chufa-yiban"},
    "discretion": [
        {
            "violation": "某某违法行为",
            "tiers": [
                {"level": "轻微", "circumstances": ["首次违法"], "standard": "警告"},
                {"level": "严重", "circumstances": ["多次违法"], "standard": "罚款一万元"},
            ],
        }
    ],
    "disclosure": {"public": True},
    "status": "在用",
}


class Repo:
    """A repository on disk, with helpers to write records and run the CLI against it."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def write(self, rel: str, data: Any, kind: str | None = None) -> Path:
        """Write ``data`` as YAML (or text/bytes as given) to ``rel``."""
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        elif isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_text(sources.dump(data), encoding="utf-8")
        return path

    def department(self, data: dict[str, Any] | None = None, **changes: Any) -> Path:
        record = {**copy.deepcopy(data or DEPARTMENT), **changes}
        return self.write(f"data/departments/{record['id']}/department.yaml", record)

    def power(self, data: dict[str, Any], department: str = "zq-a", **changes: Any) -> Path:
        record = {**copy.deepcopy(data), **changes}
        return self.write(f"data/departments/{department}/powers/{record['id']}.yaml", record)

    def law(self, data: dict[str, Any] | None = None, **changes: Any) -> Path:
        record = {**copy.deepcopy(data or LAW), **changes}
        return self.write(f"data/laws/{record['id']}.yaml", record)

    def cli(self, *args: str) -> Result:
        return CliRunner().invoke(main, ["-C", str(self.root), *args], catch_exceptions=False)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A valid repository: one department with a licence and a penalty."""
    return make_repo(tmp_path / "repo")


def make_repo(root: Path) -> Repo:
    """Make the ``repo`` fixture's repository at ``root`` (for fixtures of a wider scope)."""
    root.mkdir(parents=True)
    for name in ("schema", "templates"):
        shutil.copytree(PROJECT / name, root / name)
    shutil.copy(PROJECT / "site.yaml", root / "site.yaml")
    shutil.copytree(PROJECT / "data" / "flows", root / "data" / "flows")
    shutil.copy(PROJECT / "data" / "jurisdictions.yaml", root / "data" / "jurisdictions.yaml")
    r = Repo(root)
    r.law()
    r.department()
    r.power(LICENCE)
    r.power(PENALTY)
    return r


@pytest.fixture
def sample(tmp_path: Path) -> Repo:
    """A copy of the bundled sample repository."""
    root = tmp_path / "sample"
    root.mkdir()
    for name in ("schema", "templates", "data"):
        shutil.copytree(PROJECT / name, root / name)
    shutil.copy(PROJECT / "site.yaml", root / "site.yaml")
    return Repo(root)


Check = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def problems(repo: Repo) -> Check:
    """Run ``validate --format json`` on the repo and return its problems (optionally of one rule)."""
    import json

    def run(rule: str | None = None) -> list[dict[str, Any]]:
        result = repo.cli("validate", "--format", "json")
        assert result.exit_code in (0, 1), result.output
        found = json.loads(result.stdout)["problems"]
        return [p for p in found if rule is None or p["rule"] == rule]

    return run


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regenerate-golden",
        action="store_true",
        help="rewrite tests/golden/ from the current output",
    )


class Git:
    """A real git repository over a Repo's folder, with commits at explicit times (made with pygit2)."""

    def __init__(self, repo: Repo) -> None:
        import pygit2

        self.pygit2 = pygit2
        self.repo = repo
        self.git = pygit2.init_repository(str(repo.root), initial_head="main")
        self.time = 1_700_000_000  # 2023-11-14

    def signature(self, name: str, when: int | None = None) -> Any:
        return self.pygit2.Signature(name, f"{name}@example.org", when or self.time, 480)

    def commit(
        self,
        message: str,
        author: str = "市甲局",
        parents: list[Any] | None = None,
        ref: str | None = "HEAD",
        when: int | None = None,
    ) -> Any:
        """Commit the whole work tree; return the commit id."""
        self.time += 3600
        index = self.git.index
        index.add_all()
        index.write()
        tree = index.write_tree()
        if parents is None:
            parents = [] if self.git.head_is_unborn else [self.git.head.target]
        return self.git.create_commit(
            ref,
            self.signature(author, when),
            self.signature("编办审核", when),
            message,
            tree,
            parents,
        )

    def pull_request(
        self,
        number: int,
        title: str,
        change: Callable[[], object],
        author: str = "市甲局",
        squash: bool = False,
    ) -> Any:
        """Make ``change`` on a branch and merge it into main: a merge commit, or a squash."""
        base = self.git.head.target
        change()
        if squash:
            return self.commit(f"{title} (#{number})", author)
        branch = self.commit(
            f"{title}（分支提交）", author, parents=[base], ref=None, when=self.time - 86_400 * 3
        )
        return self.commit(
            f"Merge pull request #{number} from zq-a/branch-{number}\n\n{title}",
            "合并人",
            parents=[base, branch],
        )

    def tag(self, name: str, target: Any = None) -> None:
        self.git.references.create(f"refs/tags/{name}", target or self.git.head.target)


@pytest.fixture
def git(repo: Repo) -> Git:
    """The fixture repository as a git repository with one initial commit."""
    g = Git(repo)
    g.commit("初始版本：市甲局权责清单")
    return g


# The one list of slow tests: `python3 -m pytest -m "not slow"` is the quick loop (under a minute),
# `python3 -m pytest` (the README's command and CI's) still runs everything. A whole file, or one
# test function of a file with all its parameters. Each took seconds where most tests take
# milliseconds: they drive Chromium, run other programs, build whole sites many times over, or sweep
# every sample file and corpus case.
SLOW = {
    "test_browser.py": "headless Chromium",
    "test_hostile.py": "builds a hostile site and opens it in Chromium",
    "test_faults.py": "kills, fills and interrupts real build processes",
    "test_lint.py": "ruff and mypy",
    "test_benchmarks.py": "generates and builds a benchmark repository",
    "test_serve.py": "serves and rebuilds on a real port",
    "test_security_links.py": "a whole build per refused link",
    "test_security_import.py": "writes oversized spreadsheets",
    "test_security_history.py": "git histories built into editions",
    "test_site_history.py": "git histories built into editions",
    "test_incremental.py": "a cold and an incremental build per case",
    "test_mirror.py": "builds the same commit in several places",
    "test_adoption.py": "builds the wheel and installs it in a new virtual environment",
    "test_fuzz.py": "hypothesis, hundreds of documents",
    "test_fmt.py::test_fmt_keeps_meaning_of_every_sample_file": "every sample file",
    "test_fmt.py::test_fmt_output_of_every_sample_file_is_stable": "every sample file",
    "test_bad_inputs.py::test_bad_input": "every case of tests/bad-inputs",
    "test_fast_validation.py::test_they_agree_on_records_changed_at_one_place": "every field of every kind",
    "test_flowchart.py::test_no_two_boxes_or_labels_overlap_in_any_flow": "hypothesis, many flows",
    "test_downloads.py::test_downloads_are_reproducible": "two whole builds",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests listed in SLOW. A listed function its file does not define is an error, so
    the list cannot drift from the tests."""
    modules = {item.path.name: item.module for item in items if isinstance(item, pytest.Function)}
    missing = [
        key
        for key in SLOW
        if "::" in key
        and (file := key.split("::")[0]) in modules
        and not hasattr(modules[file], key.split("::")[1])
    ]
    if missing:
        raise pytest.UsageError(f"tests/conftest.py SLOW names no test: {missing}")
    for item in items:
        function = f"{item.path.name}::{getattr(item, 'originalname', item.name)}"
        if item.path.name in SLOW or function in SLOW:
            item.add_marker(pytest.mark.slow)
