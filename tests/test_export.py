"""site-builder export: a department's powers as a reproducible workbook that loses nothing."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml
from conftest import LICENCE, PENALTY, Repo

from site_builder.tools import export, powersheet


def _sheet(data: bytes) -> Any:
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == [powersheet.SHEET]
    return book[powersheet.SHEET]


def test_export_headers_rows_and_records(repo: Repo, tmp_path: Path) -> None:
    out = tmp_path / "zq-a.xlsx"
    result = repo.cli("export", "--department", "zq-a", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "2 项职权" in result.stderr
    sheet = _sheet(out.read_bytes())
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = rows[0]
    # Chinese headers: the first synonym of each field in import_headers.yaml, then the record.
    fields = [key for key, _ in powersheet.headers(repo.root)]
    assert header[-1] == "完整记录（请勿修改）"
    assert header[: len(fields)] == [title for _, title in powersheet.headers(repo.root)]
    assert "职权名称" in header and "法律依据" in header and "职权类别" in header
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width >= 8
    # One row per power, sorted by id; the JSON column parses back to the records.
    assert [json.loads(r[-1]) for r in rows[1:]] == [PENALTY, LICENCE]
    licence = dict(zip(header, rows[2], strict=True))
    assert licence["职权名称"] == "某某许可"
    assert licence["法律依据"] == "【法律】《中华人民共和国行政许可法》第十二条"
    penalty = dict(zip(header, rows[1], strict=True))
    assert penalty["法律依据"] == "【法律】《中华人民共和国某某法》第三十条"
    # The JSON is compact with sorted keys.
    assert rows[2][-1] == json.dumps(
        LICENCE, ensure_ascii=False, sort_keys=True, separators=(",", ":")
    )


def test_lists_are_joined_and_text_stays_text(repo: Repo) -> None:
    repo.power(
        LICENCE,
        levels=["市级", "县级"],
        target=["法人", "自然人"],
        code="=HYPERLINK(1)",
        legal_basis=[
            {"kind": "法律", "law": "xingzheng-xuke-fa", "article": "第十二条"},
            {"kind": "地方政府规章", "title": "肇庆市某某办法", "article": "第五条第二款"},
        ],
    )
    sheet = _sheet(export.export_department(repo.root, "zq-a").data)
    rows = list(sheet.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[2], strict=True))  # zq-a-cf-001 sorts first
    assert row["行使层级"] == "市级、县级"
    assert row["服务对象"] == "法人、自然人"
    assert row["事项编码"] == "=HYPERLINK(1)"  # text, not a formula
    assert sheet.cell(3, list(rows[0]).index("事项编码") + 1).data_type == "s"
    assert row["法律依据"] == (
        "【法律】《中华人民共和国行政许可法》第十二条\n【地方政府规章】《肇庆市某某办法》第五条第二款"
    )


def test_two_exports_give_identical_bytes(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    first = export.export_department(repo.root, "zq-a").data
    second = export.export_department(repo.root, "zq-a").data
    assert first == second
    with zipfile.ZipFile(io.BytesIO(first)) as archive:
        names = archive.namelist()
        assert names == sorted(names)
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core
    # With SOURCE_DATE_EPOCH the times follow it, still identically.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    third = export.export_department(repo.root, "zq-a").data
    assert third == export.export_department(repo.root, "zq-a").data
    with zipfile.ZipFile(io.BytesIO(third)) as archive:
        assert archive.infolist()[0].date_time == (2023, 11, 14, 22, 13, 20)


def test_export_uses_the_commit_time(repo: Repo, git: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    data = export.export_department(repo.root, "zq-a").data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.infolist()[0].date_time == (2023, 11, 14, 23, 13, 20)


def test_unknown_department_is_a_usage_error(repo: Repo) -> None:
    result = repo.cli("export", "--department", "zq-nope", "--format", "xlsx")
    assert result.exit_code == 2
    assert "找不到部门“zq-nope”" in result.stderr
    assert "Traceback" not in result.output


def test_default_output_file(repo: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    result = repo.cli("export", "--department", "zq-a")
    assert result.exit_code == 0, result.output
    named = tmp_path / "named.xlsx"
    assert repo.cli("export", "--department", "zq-a", "--out", str(named)).exit_code == 0
    assert (tmp_path / "zq-a.xlsx").read_bytes() == named.read_bytes()  # the same workbook


def test_export_then_import_changes_nothing(repo: Repo, tmp_path: Path) -> None:
    repo.power(
        LICENCE,
        levels=["市级", "县级"],
        target=["法人", "自然人"],
        code="441200-XK-001",
        statutory_time_limit={"value": 20, "unit": "工作日", "note": "不含听证时间"},
        accountability=["对符合条件的申请不予受理的", "超过法定期限作出决定的"],
    )
    assert repo.cli("fmt").exit_code == 0  # start from canonical files
    files = sorted((repo.root / "data").rglob("*.yaml"))
    before = {p: p.read_bytes() for p in files}
    out = tmp_path / "zq-a.xlsx"
    assert repo.cli("export", "--department", "zq-a", "--out", str(out)).exit_code == 0
    result = repo.cli("import", str(out), "--department", "zq-a", "--update")
    assert result.exit_code == 0, result.output
    assert "新增 0 项，变更 0 项，未变 2 项" in result.stdout
    assert {p: p.read_bytes() for p in sorted((repo.root / "data").rglob("*.yaml"))} == before


def test_unwritable_output_is_reported(repo: Repo, tmp_path: Path) -> None:
    result = repo.cli("export", "--department", "zq-a", "--out", str(tmp_path / "no" / "x.xlsx"))
    assert result.exit_code == 2
    assert "无法写入" in result.stderr and "Traceback" not in result.output


def test_a_cell_edited_in_excel_is_imported(repo: Repo, tmp_path: Path) -> None:
    import openpyxl

    out = tmp_path / "zq-a.xlsx"
    assert repo.cli("export", "--department", "zq-a", "--out", str(out)).exit_code == 0
    book = openpyxl.load_workbook(out)
    sheet = book.active
    assert sheet is not None
    headers = [c.value for c in sheet[1]]
    row = next(
        r for r in sheet.iter_rows(min_row=2) if r[headers.index("职权名称")].value == "某某许可"
    )
    row[headers.index("承诺时限")].value = "5个工作日"
    row[headers.index("追责情形")].value = "1、违法收费的；2、索取财物的"
    book.save(out)
    result = repo.cli("import", str(out), "--department", "zq-a", "--update")
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(
        (repo.root / "data/departments/zq-a/powers/zq-a-xk-001.yaml").read_text("utf-8")
    )
    assert data["committed_time_limit"] == {"value": 5, "unit": "工作日"}
    assert data["accountability"] == ["违法收费的", "索取财物的"]
    assert data["statutory_time_limit"] == {"value": 20, "unit": "工作日"}  # untouched
    assert "committed_time_limit" in result.stdout
