"""A list's schemas: generated from the tool's defaults and site.yaml, written by
``site-builder schema``, used where a repository holds none, and warned of when stale."""

from __future__ import annotations

import json
import shutil

from conftest import LICENCE, PROJECT, Check, Repo

from site_builder.reading import schemagen

SAMPLE = ("肇庆", "端州", "鼎湖", "德庆", "0758", "441200")
AWARD = '  - name: 行政奖励\n    code: "11"\n    letter: JL\n'


def test_generated_schemas_carry_the_categories_and_none_of_the_samples_places() -> None:
    files = schemagen.generate(["行政许可", "行政奖励"])
    assert sorted(files) == sorted(f"schema/{p.name}" for p in (PROJECT / "schema").glob("*.json"))
    for rel, raw in files.items():
        text = raw.decode("utf-8")
        assert not [word for word in SAMPLE if word in text], rel
        assert schemagen.is_generated(raw)
    power = json.loads(files["schema/power.schema.json"])
    assert power["properties"]["category"]["enum"] == ["行政许可", "行政奖励"]
    department = json.loads(files["schema/department.schema.json"])["properties"]
    assert department["name"]["description"] == "部门全称。"  # “，例如 肇庆市自然资源局” left out
    assert "例如 市自然资源局" in department["short_name"]["description"]  # no place: kept


def test_a_repository_without_schemas_is_checked_and_published_with_generated_ones(
    repo: Repo, problems: Check
) -> None:
    shutil.rmtree(repo.root / "schema")
    assert problems() == []
    repo.power(LICENCE, id="x-1", category="不存在的类别")
    assert [p["rule"] for p in problems()] == ["schema"]
    (repo.root / "data/departments/zq-a/powers/x-1.yaml").unlink()
    result = repo.cli("build")
    assert result.exit_code == 0, result.output
    published = json.loads((repo.root / "public/schema/power.schema.json").read_text("utf-8"))
    assert published["$comment"] == schemagen.MARK
    assert "department" in published["properties"]


def test_schema_writes_refreshes_and_checks(repo: Repo, problems: Check) -> None:
    shutil.rmtree(repo.root / "schema")
    written = repo.cli("schema")
    assert written.exit_code == 0, written.output
    assert "schema/power.schema.json" in written.stdout
    assert repo.cli("schema", "--check").exit_code == 0
    assert problems("stale-schema") == []
    site = repo.root / "site.yaml"
    site.write_text(
        site.read_text("utf-8").replace("  - name: 其他\n", AWARD + "  - name: 其他\n"), "utf-8"
    )
    stale = problems("stale-schema")
    assert [(p["path"], p["severity"]) for p in stale] == [("schema/power.schema.json", "warning")]
    check = repo.cli("schema", "--check")
    assert check.exit_code == 1 and check.stdout == "schema/power.schema.json\n"
    assert repo.cli("schema").exit_code == 0
    power = json.loads((repo.root / "schema/power.schema.json").read_text("utf-8"))
    assert "行政奖励" in power["properties"]["category"]["enum"]
    assert problems("stale-schema") == []


def test_a_schema_kept_by_hand_is_not_overwritten(repo: Repo, problems: Check) -> None:
    before = (repo.root / "schema/power.schema.json").read_bytes()
    refused = repo.cli("schema")
    assert refused.exit_code == 2 and "不会覆盖" in refused.output
    assert (repo.root / "schema/power.schema.json").read_bytes() == before
    assert repo.cli("schema", "--check").exit_code == 0  # the repository's own: not checked
    assert problems("stale-schema") == []
    assert repo.cli("schema", "--force").exit_code == 0
    assert schemagen.is_generated((repo.root / "schema/power.schema.json").read_bytes())
