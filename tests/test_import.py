"""`site-builder import`: spreadsheets and CSV files of real Liaoning items into power files.

Fixtures are built here from ../shared/reference-data/liaoning-power-items-30.json
(辽宁省政务服务事项目录, official documents outside copyright under 著作权法 第五条).
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from site_builder.tools import importer, spreadsheet
from tests.conftest import Repo

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference-data"
ITEMS_FILE = REFERENCE / "liaoning-power-items-30.json"
KEYS = ["授权部门", "职权编码", "事项名称", "事项类型", "依据", "实施层级"]
POWERS = "data/departments/zq-a/powers"

pytestmark = pytest.mark.skipif(not ITEMS_FILE.is_file(), reason="reference data not present")


def items() -> list[dict[str, str]]:
    data: list[dict[str, str]] = json.loads(ITEMS_FILE.read_text(encoding="utf-8"))
    return data


def item(name: str) -> dict[str, str]:
    return next(i for i in items() if i["事项名称"] == name)


def csv_text(extra: bool = True) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([*KEYS, "联系电话"] if extra else KEYS)
    for i in items():
        writer.writerow([i[k] for k in KEYS] + (["024-12345"] if extra else []))
    return out.getvalue()


def write_csv(tmp_path: Path, encoding: str) -> Path:
    path = tmp_path / f"items-{encoding}.csv"
    path.write_bytes(csv_text().encode(encoding))
    return path


def write_xlsx(tmp_path: Path) -> Path:
    """A workbook with a title row, a merged 授权部门 cell and a continuation row."""
    book = openpyxl.Workbook()
    ws = book.active
    assert ws is not None
    ws.title = "权责清单"
    ws.append(["辽宁省政务服务事项（节选）"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(KEYS))
    ws.append(KEYS)
    first, second = items()[1], items()[2]
    ws.append([first[k] for k in KEYS])
    ws.append([second[k] for k in KEYS])
    ws.merge_cells("A3:A4")  # 授权部门 merged over two rows: read on both
    # a continuation row: the basis of the row above goes on; key cells are empty
    ws.append(["", "", "", "", "【规范性文件】《续行测试文件》第三条", ""])
    path = tmp_path / "items.xlsx"
    book.save(path)
    return path


def read_power(repo: Repo, power_id: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (repo.root / POWERS / f"{power_id}.yaml").read_text(encoding="utf-8")
    )
    return data


def powers(repo: Repo) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted((repo.root / POWERS).glob("*.yaml"))}


@pytest.mark.parametrize(
    ("encoding", "reported"),
    [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）"), ("gbk", "GB18030")],
)
def test_csv_encoding_is_detected_and_reported(
    tmp_path: Path, encoding: str, reported: str
) -> None:
    table = spreadsheet.read_table(write_csv(tmp_path, encoding))
    assert table.encoding is not None and table.encoding.startswith(reported)
    assert table.headers == [*KEYS, "联系电话"]
    assert len(table.rows) == 30
    name = table.headers.index("事项名称")
    assert table.rows[0].cells[name] == items()[0]["事项名称"]
    basis = table.headers.index("依据")
    assert table.rows[0].cells[basis] == items()[0]["依据"]  # multi-line cells survive


def test_report_names_encoding_and_unknown_header(repo: Repo, tmp_path: Path) -> None:
    result = repo.cli(
        "import", str(write_csv(tmp_path, "gbk")), "--department", "zq-a", "--codes", "liaoning"
    )
    assert result.exit_code == 0, result.output
    assert "文字编码：GB18030" in result.output
    assert "无法识别的列" in result.output and "联系电话" in result.output
    assert "授权部门" in result.output  # recognised, announced as not imported


def test_header_synonyms() -> None:
    assert importer.field_of("事项名称") == "name"
    assert importer.field_of("职 权\n名称") == "name"
    assert importer.field_of("事项类型") == "category"
    assert importer.field_of("依据") == "legal_basis"
    assert importer.field_of("实施层级") == "levels"
    assert importer.field_of("联系电话") is None
    assert importer.export_header("name") == "职权名称"


def test_liaoning_codes_and_unconfigured_category(repo: Repo, tmp_path: Path) -> None:
    plan = importer.plan_import(repo.root, write_csv(tmp_path, "utf-8"), "zq-a", "liaoning")
    by_code = {r.data.get("code"): r.data for r in plan.records.values()}
    assert by_code["210172021000"]["category"] == "行政许可"  # "01"
    assert by_code["000524018000"]["category"] == "行政给付"  # "05"
    skipped = dict(plan.skipped)
    # 专利权侵权纠纷处理: "09" 行政裁决, which the sample site does not configure
    裁决 = next(n for n, reason in plan.skipped if "行政裁决" in reason)
    assert "site.yaml" in skipped[裁决]
    assert any("“99”" in reason for _, reason in plan.skipped)  # an unknown code
    assert "210973001000" not in by_code
    # with the site's own codes, "01" is not a Zhaoqing code: rows are skipped, not guessed
    plan2 = importer.plan_import(repo.root, write_csv(tmp_path, "utf-8"), "zq-a")
    assert all(r.data["category"] != "行政许可" for r in plan2.records.values())


def test_legal_basis_split_and_cleaned(repo: Repo, tmp_path: Path) -> None:
    plan = importer.plan_import(repo.root, write_csv(tmp_path, "utf-8"), "zq-a", "liaoning")
    by_name = {r.data["name"]: r.data for r in plan.records.values()}

    basis = by_name["优抚对象医疗保障"]["legal_basis"]
    assert [b["kind"] for b in basis] == ["行政法规", "规范性文件", "规范性文件"]
    assert basis[0]["title"] == "军人抚恤优待条例"
    assert basis[0]["article"] == "第四十四条"
    assert basis[1]["title"] == "残疾退役军人医疗保障办法"
    assert basis[2]["doc_number"] == "退役军人部发〔2022〕49号"

    # ";1、" at the start is cleaned
    basis = by_name["义务兵家庭优待金给付"]["legal_basis"]
    assert len(basis) == 1 and basis[0]["text"].startswith("《军人抚恤优待条例》第三十三条")
    assert basis[0]["article"] == "第三十三条"

    # stray wrapping quotes are removed; 【规章】 with a province name → 地方政府规章 (guessed)
    basis = by_name["建设工程施工合同登记"]["legal_basis"]
    assert basis[0]["title"] == "辽宁省建设工程造价管理办法"
    assert basis[0]["kind"] == "地方政府规章"
    assert not basis[0]["text"].startswith('"') and not basis[0]["text"].endswith('"')
    assert any("辽宁省建设工程造价管理办法" in g and "地方政府规章" in g for g in plan.guesses)
    names = [r.data["name"] for r in plan.records.values()]
    medical = next(n for n in names if n.startswith("对未建立医疗技术临床应用管理"))
    assert by_name[medical]["legal_basis"][0]["kind"] == "部门规章"

    # the wrongly attributed basis is kept as it is
    basis = by_name["音像、电子出版物复制单位设立、变更审批"]["legal_basis"]
    assert basis[0]["title"] == "广播电视管理条例" and basis[0]["article"] == "第十一条"

    # paragraph and item of an article
    basis = by_name[next(n for n in names if n.startswith("区域性批发企业"))]["legal_basis"]
    assert basis[0]["article"] == "第二十六条第一款"

    # text cleaned: no \r, no full-width spaces
    for record in by_name.values():
        for entry in record.get("legal_basis", []):
            assert "\r" not in entry["text"] and "\u3000" not in entry["text"]


def test_register_link_and_unregistered_laws(repo: Repo, tmp_path: Path) -> None:
    repo.law(
        {
            "id": "shuishou-zhengshou-guanli-fa",
            "title": "中华人民共和国税收征收管理法",
            "short_title": "税收征收管理法",
            "kind": "法律",
            "status": "现行有效",
        }
    )
    repo.law(
        {
            "id": "huanjing-baohu-fa",
            "title": "中华人民共和国环境保护法",
            "short_title": "环境保护法",
            "kind": "法律",
            "status": "现行有效",
        }
    )
    plan = importer.plan_import(repo.root, write_csv(tmp_path, "utf-8"), "zq-a", "liaoning")
    by_name = {r.data["name"]: r.data for r in plan.records.values()}
    entry = by_name["车辆购置税退税"]["legal_basis"][0]
    assert entry["law"] == "shuishou-zhengshou-guanli-fa" and "title" not in entry
    assert entry["article"] == "第五十一条"
    # an untagged short title matches the register's short_title
    check = next(v for k, v in by_name.items() if k.startswith("对排放污染物"))
    assert check["legal_basis"][0]["law"] == "huanjing-baohu-fa"
    assert "中华人民共和国税收征收管理法" not in plan.unregistered
    assert "军人抚恤优待条例" in plan.unregistered
    result = repo.cli(
        "import", str(write_csv(tmp_path, "utf-8")), "--department", "zq-a", "--codes", "liaoning"
    )
    assert "《军人抚恤优待条例》" in result.output and "登记簿" in result.output


def test_ids_are_stable(repo: Repo, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "utf-8")
    first = importer.plan_import(repo.root, path, "zq-a", "liaoning")
    second = importer.plan_import(repo.root, path, "zq-a", "liaoning")
    assert list(first.records) == list(second.records)
    assert f"{POWERS}/zq-a-000524018000.yaml" in first.records
    # without a code: category letter, pinyin initials, hash of the name
    plan = importer.plan_import(repo.root, path, "zq-a", "liaoning")
    pid = importer.power_id("zq-a", "", "远洋渔业企业年审", "其他", plan)
    assert pid.startswith("zq-a-qt-yyyyqyns-") and len(pid.rsplit("-", 1)[1]) == 6
    assert pid == importer.power_id("zq-a", "", "远洋渔业企业年审", "其他", plan)


def test_default_run_writes_nothing(repo: Repo, tmp_path: Path) -> None:
    before = powers(repo)
    result = repo.cli(
        "import", str(write_csv(tmp_path, "utf-8")), "--department", "zq-a", "--codes", "liaoning"
    )
    assert result.exit_code == 0, result.output
    assert powers(repo) == before
    assert "未写入任何文件" in result.output
    assert "新增 " in result.output and "跳过" in result.output


def test_write_is_canonical_and_validates_with_announced_problems(
    repo: Repo, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "utf-8-sig")
    result = repo.cli("import", str(path), "--department", "zq-a", "--codes", "liaoning", "--write")
    assert result.exit_code == 0, result.output
    assert "content（职权内容）" in result.output  # the sheet has no content column: announced
    assert "penalty" in result.output  # penalties lack their violation and types: announced
    written = powers(repo)
    assert "zq-a-000524018000.yaml" in written
    imported = [f"{POWERS}/{name}" for name in written if name.startswith("zq-a-0")]
    imported += [f"{POWERS}/{name}" for name in written if name.startswith("zq-a-2")]
    check = repo.cli("fmt", "--check", *imported)
    assert check.exit_code == 0, check.output
    record = read_power(repo, "zq-a-000524018000")
    assert record["disclosure"] == {"public": True} and record["status"] == "在用"
    assert record["levels"] == ["县级"]
    validate = repo.cli("validate", "--format", "json")
    problems = json.loads(validate.stdout)["problems"]
    errors = [p for p in problems if p["severity"] == "error"]
    assert errors, "content is missing, so there are errors"
    for p in errors:
        # only the announced gaps: content, and penalty/coercion/levy blocks
        assert p["rule"] == "schema", p
        assert any(k in p["message"] for k in ("content", "penalty", "coercion", "levy")), p
    # importing again with --write changes nothing
    again = repo.cli("import", str(path), "--department", "zq-a", "--codes", "liaoning", "--write")
    assert again.exit_code == 0
    assert powers(repo) == written
    assert "新增 0 项，变更 0 项" in again.output


def test_existing_file_needs_update(repo: Repo, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "utf-8")
    repo.cli("import", str(path), "--department", "zq-a", "--codes", "liaoning", "--write")
    target = repo.root / POWERS / "zq-a-000524018000.yaml"
    data = read_power(repo, "zq-a-000524018000")
    data["name"] = "旧名称"
    data["content"] = "对优抚对象给予医疗保障。"
    repo.write(f"{POWERS}/zq-a-000524018000.yaml", data)
    edited = target.read_bytes()

    result = repo.cli("import", str(path), "--department", "zq-a", "--codes", "liaoning", "--write")
    assert target.read_bytes() == edited  # not overwritten without --update
    assert "加 --update" in result.output

    result = repo.cli(
        "import", str(path), "--department", "zq-a", "--codes", "liaoning", "--write", "--update"
    )
    assert result.exit_code == 0, result.output
    assert "name（职权名称）：旧名称 → 优抚对象医疗保障" in result.output
    updated = read_power(repo, "zq-a-000524018000")
    assert updated["name"] == "优抚对象医疗保障"
    assert updated["content"] == "对优抚对象给予医疗保障。"  # a field the sheet lacks is kept
    assert repo.cli("fmt", "--check", str(target.relative_to(repo.root))).exit_code == 0


def test_xlsx_merged_cells_and_continuation_row(repo: Repo, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path)
    table = spreadsheet.read_table(path)
    assert table.sheet == "权责清单" and table.header_row == 2
    assert table.rows[1].cells[0] == items()[1]["授权部门"]  # merged cell filled
    plan = importer.plan_import(repo.root, path, "zq-a", "liaoning")
    assert len(plan.records) == 2
    last = plan.records[f"{POWERS}/zq-a-210172021000.yaml"].data
    titles = [b.get("title") for b in last["legal_basis"]]
    assert titles == ["麻醉药品和精神药品管理条例", "续行测试文件"]
    assert any("第 5 行" in n and "第 4 行" in n for n in plan.notes)
    assert plan.table.rows[0].number == 3  # row numbers are the sheet's


def test_bad_input_is_reported_without_traceback(repo: Repo, tmp_path: Path) -> None:
    cases = []
    cases.append((tmp_path / "missing.xlsx", 2, "找不到文件"))
    (tmp_path / "list.pdf").write_bytes(b"%PDF-1.4")
    cases.append((tmp_path / "list.pdf", 2, "不支持的文件类型"))
    (tmp_path / "empty.csv").write_bytes(b"")
    cases.append((tmp_path / "empty.csv", 1, "空文件"))
    book = openpyxl.Workbook()
    book.save(tmp_path / "empty.xlsx")
    cases.append((tmp_path / "empty.xlsx", 1, "没有数据"))
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    cases.append((tmp_path / "broken.xlsx", 2, "不是有效的 .xlsx"))
    (tmp_path / "noname.csv").write_text("甲,乙\n1,2\n", encoding="utf-8")
    cases.append((tmp_path / "noname.csv", 1, "没有职权名称列"))
    for path, code, message in cases:
        result = repo.cli("import", str(path), "--department", "zq-a")
        assert result.exit_code == code, (path, result.output)
        assert message in result.output, (path, result.output)
        assert "Traceback" not in result.output and "内部错误" not in result.output
    result = repo.cli("import", str(write_csv(tmp_path, "utf-8")), "--department", "nope")
    assert result.exit_code == 2 and "部门“nope”不存在" in result.output
    result = repo.cli(
        "import", str(write_csv(tmp_path, "utf-8")), "--department", "zq-a", "--codes", "x"
    )
    assert result.exit_code == 2 and "未知的类别编码表" in result.output


def test_time_limits_responsibilities_and_accountability(repo: Repo, tmp_path: Path) -> None:
    path = tmp_path / "limits.csv"
    rows = [
        [
            "事项编码",
            "职权名称",
            "职权类别",
            "职权内容",
            "法律依据",
            "法定时限",
            "承诺时限",
            "责任事项",
            "追责情形",
        ],
        [
            "441200-XK-9",
            "某项新许可",
            "行政许可",
            "对某事项实施许可。",
            "【法律】《中华人民共和国行政许可法》第十二条",
            "20个工作日（不含专家评审时间）",
            "10",
            "1、受理：依法受理申请\n2、决定：作出许可决定",
            "（1）不予受理的；（2）超期办理的",
        ],
        [
            "441200-XK-10",
            "另一项许可",
            "行政许可",
            "对另一事项实施许可。",
            "【法律】《中华人民共和国行政许可法》第十二条",
            "即办",
            "半天",
            "",
            "",
        ],
    ]
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    result = repo.cli("import", str(path), "--department", "zq-a", "--write")
    assert result.exit_code == 0, result.output
    first = read_power(repo, "zq-a-441200-xk-9")
    assert first["statutory_time_limit"] == {
        "value": 20,
        "unit": "工作日",
        "note": "不含专家评审时间",
    }
    assert first["committed_time_limit"] == {"value": 10, "unit": "工作日"}
    assert first["responsibilities"] == [
        {"duty": "受理：依法受理申请"},
        {"duty": "决定：作出许可决定"},
    ]
    assert first["accountability"] == ["不予受理的", "超期办理的"]
    second = read_power(repo, "zq-a-441200-xk-10")
    assert second["statutory_time_limit"] == {"value": 0, "unit": "工作日"}
    assert "committed_time_limit" not in second
    assert "“10”按工作日计" in result.stdout  # a bare number is a guess, and said so
    assert "“半天”无法识别" in result.stdout  # and what cannot be read is said, not dropped


def test_xls_with_merged_cells(repo: Repo, tmp_path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("清单")
    sheet.write_merge(0, 0, 0, 4, "某部门权责清单（旧版 Excel）")  # a merged title row
    for col, header in enumerate(["事项编码", "职权名称", "职权类别", "职权内容", "法律依据"]):
        sheet.write(1, col, header)
    sheet.write(2, 0, "441200-XK-21")
    sheet.write(2, 1, "甲许可")
    sheet.write_merge(2, 3, 2, 2, "行政许可")  # one category cell for two rows
    sheet.write(2, 3, "对甲实施许可。")
    sheet.write(2, 4, "【法律】《中华人民共和国行政许可法》第十二条")
    sheet.write(3, 0, "441200-XK-22")
    sheet.write(3, 1, "乙许可")
    sheet.write(3, 3, "对乙实施许可。")
    sheet.write(3, 4, "【法律】《中华人民共和国行政许可法》第十二条")
    path = tmp_path / "old.xls"
    book.save(str(path))
    table = spreadsheet.read_table(path)
    assert table.header_row == 2 and len(table.rows) == 2
    result = repo.cli("import", str(path), "--department", "zq-a", "--write")
    assert result.exit_code == 0, result.output
    assert (
        read_power(repo, "zq-a-441200-xk-22")["category"] == "行政许可"
    )  # filled from the merged cell
