"""The command line: exit codes, the three output formats, -C, and errors without tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from click.testing import CliRunner
from conftest import LICENCE, PROJECT, Repo

from site_builder.cli import main


def break_licence(repo: Repo) -> Path:
    return repo.power(LICENCE, category="行政审批")


def test_clean_data_exits_0(repo: Repo) -> None:
    result = repo.cli("validate")
    assert result.exit_code == 0
    assert result.stdout == ""
    assert "校验通过" in result.stderr


def test_data_errors_exit_1_in_text_format(repo: Repo) -> None:
    path = break_licence(repo)
    result = repo.cli("validate")
    assert result.exit_code == 1
    rel = path.relative_to(repo.root).as_posix()
    [line] = result.stdout.splitlines()
    assert line.startswith(f"{rel}:")
    location, severity, field, message = line.split(": ", 3)
    assert location.count(":") == 2 and severity == "error" and field == "category"
    assert "无效" in message


def test_json_format(repo: Repo) -> None:
    break_licence(repo)
    result = repo.cli("validate", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["errors"] == 1 and doc["warnings"] == 0
    [problem] = doc["problems"]
    assert set(problem) == {"path", "line", "column", "severity", "field", "rule", "message"}
    assert problem["line"] > 0 and problem["field"] == "category"


def test_github_format(repo: Repo) -> None:
    path = break_licence(repo)
    result = repo.cli("validate", "--format", "github")
    assert result.exit_code == 1
    [line] = result.stdout.splitlines()
    rel = path.relative_to(repo.root).as_posix()
    assert line.startswith(f"::error file={rel},line=")
    assert ",col=" in line and ",title=category::" in line


def test_problems_are_sorted_by_file_and_line(repo: Repo) -> None:
    repo.power(LICENCE, content="", status="作废")
    repo.law(status="失效")
    lines = repo.cli("validate").stdout.splitlines()
    keys = [(ln.split(":")[0], int(ln.split(":")[1])) for ln in lines]
    assert keys == sorted(keys) and len(keys) == 3


def test_usage_error_exits_2(repo: Repo) -> None:
    assert repo.cli("validate", "--format", "xml").exit_code == 2
    assert repo.cli("no-such-command").exit_code == 2


def test_missing_configuration_exits_2_with_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(tmp_path), "validate"])
    assert result.exit_code == 2  # a configuration error, as a usage error
    assert "site.yaml" in result.output
    assert "Traceback" not in result.output


def test_missing_directory_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["-C", str(tmp_path / "nowhere"), "validate"])
    assert result.exit_code == 2
    assert "nowhere" in result.output and "does not exist" in result.output
    assert "Traceback" not in result.output


def test_broken_site_yaml_is_reported_with_line(repo: Repo) -> None:
    repo.write("site.yaml", "title: x\ntitle: y\n")
    result = repo.cli("validate")
    assert result.exit_code == 2
    assert result.stdout.startswith("site.yaml:2:1: error:")


def test_c_option_works_like_cd(repo: Repo) -> None:
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "site_builder",
            "-C",
            str(repo.root),
            "validate",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["problems"] == []


def all_commands(group: click.Group = main, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += all_commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_every_command_has_help_and_is_documented() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    commands = all_commands()
    assert {"validate", "build", "serve", "fmt", "diff", "codeowners"} <= {c[-1] for c in commands}
    runner = CliRunner()
    for command in [(), *commands]:
        result = runner.invoke(main, [*command, "--help"])
        assert result.exit_code == 0 and "Usage" in result.output, command
        if command:
            assert f"site-builder {' '.join(command)}" in readme, (
                f"README does not document {' '.join(command)}"
            )


def test_hostile_input_never_shows_a_traceback(repo: Repo) -> None:
    repo.write("data/departments/zq-a/powers/zq-a-xk-001.yaml", b"\xff\xfe\x00garbage")
    repo.write("data/departments/zq-a/powers/zq-a-xk-002.yaml", "- just\n- a list\n")
    repo.write(
        "data/departments/zq-a/powers/zq-a-xk-003.yaml",
        "id: zq-a-xk-003\nflow: 3\nlegal_basis: {a: 1}\n",
    )
    repo.write("data/laws/bad.yaml", "? [complex, key]\n: value\n")
    result = repo.cli("validate")
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    paths = {line.split(":")[0] for line in result.stdout.splitlines()}
    assert {
        "data/departments/zq-a/powers/zq-a-xk-001.yaml",
        "data/departments/zq-a/powers/zq-a-xk-002.yaml",
        "data/departments/zq-a/powers/zq-a-xk-003.yaml",
        "data/laws/bad.yaml",
    } <= paths
