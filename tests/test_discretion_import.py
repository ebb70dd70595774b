"""Importing a discretion-standard table (序号 / 违法行为 / 法律依据 / 类别 / 裁量情节 / 裁量标准 / 备注).

Fixtures are built in tmp_path from real entries of 江门市生态环境局's 2020 penalty discretion
standards (../shared/reference-data/jiangmen-penalty-discretion-2020.json; official documents,
outside copyright under 著作权法 第五条), as an XLSX with merged cells and as a CSV.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from conftest import PENALTY, PROJECT, Repo

from site_builder.errors import UsageError
from site_builder.tools import discretion_import

REFERENCE = PROJECT.parent / "shared" / "reference-data" / "jiangmen-penalty-discretion-2020.json"
HEADER = ["序号", "违法行为", "法律依据", "类别", "裁量情节", "裁量标准", "备注"]
CHOSEN = ("1-1", "1-2", "1-3", "3-13", "4-4")

pytestmark = pytest.mark.skipif(not REFERENCE.is_file(), reason="reference data not available")


def _entries() -> list[dict[str, Any]]:
    data = json.loads(REFERENCE.read_text("utf-8"))
    return [e for e in data if e["seq"] in CHOSEN]


def _level(text: str) -> str:
    return text[:-2] if text.endswith(".0") else text


def expected_tiers(entry: dict[str, Any]) -> list[dict[str, Any]]:
    """The tiers as the JSON describes them: an empty level continues the tier above;
    an empty level with a standard of its own is a tier without a level; a tier without a
    standard is left out (reported)."""
    tiers: list[dict[str, Any]] = []
    for t in entry["tiers"]:
        if not t["level"] and tiers and t["standard"] in ("", tiers[-1]["standard"]):
            tiers[-1]["circumstances"].append(t["circumstance"])
        else:
            tiers.append(
                {
                    "level": _level(t["level"]),
                    "circumstances": [t["circumstance"]],
                    "standard": t["standard"],
                }
            )
    return [{k: v for k, v in tier.items() if v} for tier in tiers if tier["standard"]]


def write_xlsx(path: Path) -> None:
    """One sheet per law; a merged title row; 序号/违法行为/法律依据/备注 merged over each
    violation's rows; 类别 and 裁量标准 merged over the continuation rows of a tier."""
    book = openpyxl.Workbook()
    book.remove(book.worksheets[0])
    for entry in _entries():
        if entry["sheet"] not in book.sheetnames:
            sheet = book.create_sheet(entry["sheet"])
            sheet.append([entry["law_title"]])
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=7)
            sheet.append(HEADER)
        sheet = book[entry["sheet"]]
        first = sheet.max_row + 1
        tier_start = first
        for i, t in enumerate(entry["tiers"]):
            row = sheet.max_row + 1
            level = float(t["level"]) if t["level"] else None
            if i == 0:
                sheet.append(
                    [
                        entry["seq"],
                        entry["violation"],
                        entry["legal_basis"],
                        level,
                        t["circumstance"],
                        t["standard"] or None,
                        entry["remark"] or None,
                    ]
                )
            else:
                sheet.append([None, None, None, level, t["circumstance"], t["standard"] or None])
            if t["level"] or t["standard"]:
                tier_start = row
            elif row > tier_start:  # a continuation: merge level and standard with the tier above
                for col in (4, 6):
                    for rng in list(sheet.merged_cells.ranges):
                        if rng.min_col == col and rng.max_row == row - 1:
                            sheet.unmerge_cells(str(rng))
                    sheet.merge_cells(
                        start_row=tier_start, start_column=col, end_row=row, end_column=col
                    )
        last = sheet.max_row
        for col in (1, 2, 3, 7):
            sheet.merge_cells(start_row=first, start_column=col, end_row=last, end_column=col)
    book.save(path)


def write_csv(path: Path, encoding: str = "utf-8") -> None:
    """No merged cells: 序号 and 违法行为 on the first row only, continuation tiers with an empty 类别."""
    with path.open("w", encoding=encoding, newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        for entry in _entries():
            for i, t in enumerate(entry["tiers"]):
                head = (
                    [entry["seq"], entry["violation"], entry["legal_basis"]]
                    if i == 0
                    else ["", "", ""]
                )
                writer.writerow(
                    [
                        *head,
                        t["level"],
                        t["circumstance"],
                        t["standard"],
                        entry["remark"] if i == 0 else "",
                    ]
                )


def add_powers(repo: Repo) -> None:
    """Two penalty powers: one citing the article of 1-1, one naming the violation of 1-2."""
    repo.power(
        PENALTY,
        id="zq-a-cf-002",
        name="对未依法报批建设项目环境影响评价文件擅自开工建设的处罚",
        legal_basis=[
            {"kind": "法律", "title": "中华人民共和国环境影响评价法", "article": "第三十一条第一款"}
        ],
        penalty={
            "violation": "未依法报批建设项目环境影响报告书、报告表，擅自开工建设",
            "types": ["罚款"],
        },
    )
    repo.power(
        PENALTY,
        id="zq-a-cf-003",
        name="对未依法备案建设项目环境影响登记表的处罚",
        legal_basis=[{"kind": "行政法规", "title": "某某条例", "article": "第九条"}],
        penalty={"violation": "建设单位未依法备案建设项目环境影响登记表的行为", "types": ["罚款"]},
    )


@pytest.mark.parametrize("kind", ["xlsx", "csv", "csv-gbk"])
def test_tiers_and_continuations_as_in_the_reference(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"discretion.{kind[:4].rstrip('-')}"
    if kind == "xlsx":
        write_xlsx(path)
    else:
        write_csv(path, "gbk" if kind == "csv-gbk" else "utf-8")
    entries, problems, notes = discretion_import.read_entries(path)
    reference = _entries()
    assert [e.seq for e in entries] == [e["seq"] for e in reference]
    for got, ref in zip(entries, reference, strict=True):
        assert got.violation == ref["violation"]
        assert got.item()["tiers"] == expected_tiers(ref), got.seq
        assert got.remark == ref["remark"]
        assert got.basis.startswith(ref["legal_basis"].split("：")[0].split(":")[0])
    # 1-1: two continuation tiers, each joining a circumstance to the tier above.
    first = entries[0].item()
    assert first["tiers"][1] == {
        "level": "2",
        "circumstances": ["报告表项目，主体工程已建设完成的", "报告书项目，主体工程未建设完成的"],
        "standard": "责令停止建设，处建设项目总投资额百分之二以上百分之三以下的罚款",
    }
    assert len(first["tiers"]) == 4
    # Reported: the tier of 3-13 without a standard, the levelless tier of 4-4 with its own standard.
    text = "\n".join(problems)
    assert "阶次“5”没有裁量标准，该阶次未导入" in text
    assert "类别为空，但裁量标准与上一阶次不同" in text
    if kind == "xlsx":
        # The merged law title rows above the headers are not read as violations.
        assert "第 1 行" not in text and "第 2 行" not in text
    if kind == "csv-gbk":
        assert any("GB18030" in n for n in notes)


def test_plan_matches_by_article_then_by_violation(repo: Repo, tmp_path: Path) -> None:
    add_powers(repo)
    path = tmp_path / "discretion.xlsx"
    write_xlsx(path)
    plan = discretion_import.plan_discretion(repo.root, path, "zq-a")
    by_seq = {m.entry.seq: m for m in plan.matched + plan.guesses}
    assert by_seq["1-1"].power == "zq-a-cf-002"
    assert by_seq["1-1"] in plan.matched and "法律依据" in by_seq["1-1"].how
    assert by_seq["1-2"].power == "zq-a-cf-003"
    assert by_seq["1-2"] in plan.guesses
    assert sorted(e.seq for e, _ in plan.unmatched) == ["1-3", "3-13", "4-4"]
    assert set(plan.blocks) == {"zq-a-cf-002", "zq-a-cf-003"}
    reference = {e["seq"]: e for e in _entries()}
    block = plan.blocks["zq-a-cf-002"]
    assert [item["violation"] for item in block] == [reference["1-1"]["violation"]]
    assert block[0]["tiers"] == expected_tiers(reference["1-1"])
    assert block[0]["remark"] == reference["1-1"]["remark"]
    lines = "\n".join(discretion_import.report(plan, repo.root))
    assert "未匹配：discretion.xlsx 工作表“环境影响评价法” 第 " in lines
    assert "推测：" in lines and "zq-a-cf-003" in lines
    # Nothing was written by planning.
    assert "discretion: []" not in (repo.root / plan.paths["zq-a-cf-002"]).read_text("utf-8")


def test_apply_writes_canonical_yaml_that_validates(repo: Repo, tmp_path: Path) -> None:
    add_powers(repo)
    path = tmp_path / "discretion.csv"
    write_csv(path)
    plan = discretion_import.plan_discretion(repo.root, path, "zq-a")
    # Both powers already have a (different) discretion block: only --update replaces it.
    assert discretion_import.apply(repo.root, plan, update=False) == []
    written = discretion_import.apply(repo.root, plan, update=True)
    assert written == [
        "data/departments/zq-a/powers/zq-a-cf-002.yaml",
        "data/departments/zq-a/powers/zq-a-cf-003.yaml",
    ]
    result = repo.cli("validate", "--format", "json")
    assert json.loads(result.stdout)["errors"] == 0, result.stdout
    assert repo.cli("fmt", "--check", *written).exit_code == 0  # canonical YAML
    # Importing again changes nothing.
    before = {rel: (repo.root / rel).read_bytes() for rel in written}
    again = discretion_import.plan_discretion(repo.root, path, "zq-a")
    assert discretion_import.apply(repo.root, again, update=True) == []
    assert {rel: (repo.root / rel).read_bytes() for rel in written} == before
    assert "无变化" in "\n".join(discretion_import.report(again, repo.root))


def test_ambiguous_article_is_reported_not_guessed(repo: Repo, tmp_path: Path) -> None:
    add_powers(repo)
    repo.power(
        PENALTY,
        id="zq-a-cf-004",
        name="另一项处罚",
        legal_basis=[
            {"kind": "法律", "title": "中华人民共和国环境影响评价法", "article": "第三十一条第一款"}
        ],
        penalty={"violation": "另一种违法行为", "types": ["罚款"]},
    )
    path = tmp_path / "discretion.csv"
    write_csv(path)
    plan = discretion_import.plan_discretion(repo.root, path, "zq-a")
    reasons = {e.seq: why for e, why in plan.unmatched}
    # 1-1's violation text names neither power exactly, so two powers citing 第三十一条 tie.
    assert reasons["1-1"] == "多项职权引用了同一条款，无法确定（候选：zq-a-cf-002、zq-a-cf-004）"
    assert "zq-a-cf-002" not in plan.blocks


def test_not_a_discretion_table(tmp_path: Path) -> None:
    path = tmp_path / "powers.csv"
    path.write_text("事项名称,事项类型\n某某许可,行政许可\n", encoding="utf-8")
    with pytest.raises(
        UsageError, match="不是裁量基准表：缺少列 违法行为、类别、裁量情节、裁量标准"
    ):
        discretion_import.read_entries(path)


def test_missing_department(repo: Repo, tmp_path: Path) -> None:
    path = tmp_path / "discretion.csv"
    write_csv(path)
    with pytest.raises(UsageError, match="找不到部门“zq-x”"):
        discretion_import.plan_discretion(repo.root, path, "zq-x")


def test_the_import_command_recognises_a_discretion_table(repo: Repo, tmp_path: Path) -> None:
    add_powers(repo)
    path = tmp_path / "discretion.csv"
    write_csv(path)
    target = repo.root / "data/departments/zq-a/powers/zq-a-cf-002.yaml"
    before = target.read_bytes()
    dry = repo.cli("import", str(path), "--department", "zq-a")
    assert dry.exit_code == 0, dry.output
    assert "项违法行为的裁量基准" in dry.stdout
    assert target.read_bytes() == before  # a dry run writes nothing
    result = repo.cli("import", str(path), "--department", "zq-a", "--update")
    assert result.exit_code == 0, result.output
    assert "data/departments/zq-a/powers/zq-a-cf-002.yaml" in result.stderr
    assert target.read_bytes() != before
