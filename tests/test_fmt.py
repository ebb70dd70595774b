"""``fmt``: one canonical form that never changes meaning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import LICENCE, PROJECT, Repo

from site_builder.reading import model, sources
from site_builder.tools import fmt


def sample_files() -> list[str]:
    files, _ = model.discover(PROJECT)
    return [rel for _, rel in files] + ["site.yaml"]


def parse(text: str) -> Any:
    data, problems = sources.parse("x.yaml", text)
    assert not [p for p in problems if p.severity == "error"], problems
    return data


def scramble(value: Any) -> Any:
    """Reverse every mapping's keys and add empty fields: a different text with the same meaning."""
    if isinstance(value, dict):
        out = {k: scramble(v) for k, v in reversed(list(value.items()))}
        out["zz_empty_list"] = []
        out["zz_null"] = None
        return out
    if isinstance(value, list):
        return [scramble(v) for v in value]
    return value


def unscramble(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: unscramble(v) for k, v in value.items() if not k.startswith("zz_")}
    if isinstance(value, list):
        return [unscramble(v) for v in value]
    return value


def test_sample_has_files() -> None:
    assert len(sample_files()) > 10


@pytest.mark.parametrize("rel", sample_files())
def test_fmt_keeps_meaning_of_every_sample_file(sample: Repo, rel: str) -> None:
    original = parse((PROJECT / rel).read_text(encoding="utf-8"))
    scrambled_text = yaml.safe_dump(
        scramble(original), allow_unicode=True, default_flow_style=True, sort_keys=False
    )
    path = sample.root / rel
    path.write_text(scrambled_text, encoding="utf-8")
    result = sample.cli("fmt", rel)
    assert result.exit_code == 0, result.output
    formatted = path.read_text(encoding="utf-8")
    # The scrambled keys are not in the schema, so they survive at the end; the empty ones are dropped.
    assert unscramble(parse(formatted)) == fmt.prune(original)
    assert "zz_null" not in formatted and "zz_empty_list" not in formatted
    # Idempotent: a formatted file is canonical.
    assert sample.cli("fmt", "--check", rel).exit_code == 0


@pytest.mark.parametrize("rel", sample_files())
def test_fmt_output_of_every_sample_file_is_stable(sample: Repo, rel: str) -> None:
    path = sample.root / rel
    before = parse(path.read_text(encoding="utf-8"))
    sample.cli("fmt", rel)
    once = path.read_text(encoding="utf-8")
    assert parse(once) == fmt.prune(before)
    sample.cli("fmt", rel)
    assert path.read_text(encoding="utf-8") == once


def test_check_prints_a_diff_and_exits_1_without_writing(repo: Repo) -> None:
    path = repo.power(LICENCE)
    text = (
        path.read_text(encoding="utf-8").replace("category: 行政许可\n", "")
        + "category: 行政许可\nremark: ''\n"
    )
    path.write_text(text, encoding="utf-8")
    result = repo.cli("fmt", "--check")
    assert result.exit_code == 1
    rel = path.relative_to(repo.root).as_posix()
    assert f"--- a/{rel}" in result.stdout and "-remark: ''" in result.stdout
    assert path.read_text(encoding="utf-8") == text


def test_fmt_orders_keys_as_the_schema_and_adds_the_schema_header(repo: Repo) -> None:
    path = repo.power(dict(reversed(list(LICENCE.items()))))
    assert repo.cli("fmt").exit_code == 0
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../../../schema/power.schema.json"
    assert lines[1].startswith("id: ") and lines[2].startswith("name: ")
    assert repo.cli("fmt", "--check").exit_code == 0
    assert repo.cli("validate").exit_code == 0


def test_fmt_keeps_the_leading_comment_block(repo: Repo) -> None:
    path = repo.power(LICENCE)
    path.write_text("# 由市甲局法规科维护\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    repo.cli("fmt")
    assert path.read_text(encoding="utf-8").splitlines()[1] == "# 由市甲局法规科维护"


def test_fmt_uses_literal_blocks_for_multiline_text(repo: Repo) -> None:
    path = repo.power(LICENCE, content="第一行\n第二行\n")
    repo.cli("fmt")
    assert "content: |\n  第一行\n  第二行\n" in path.read_text(encoding="utf-8")


def test_fmt_leaves_broken_files_alone_and_exits_1(repo: Repo) -> None:
    path = repo.write("data/departments/zq-a/powers/zq-a-xk-001.yaml", "id: a\nid: b\n")
    result = repo.cli("fmt")
    assert result.exit_code == 1
    assert "duplicate" not in result.output and "重复" in result.output
    assert path.read_text(encoding="utf-8") == "id: a\nid: b\n"


def test_fmt_rejects_paths_outside_the_data(repo: Repo, tmp_path: Path) -> None:
    assert repo.cli("fmt", str(tmp_path)).exit_code == 2
    assert repo.cli("fmt", "templates").exit_code == 2


def test_fmt_removes_bom(repo: Repo) -> None:
    path = repo.power(LICENCE)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    repo.cli("fmt")
    assert not path.read_bytes().startswith(b"\xef\xbb\xbf")
