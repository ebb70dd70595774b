"""`site-builder import` on hostile spreadsheets: each is refused with a message, in bounded
memory and time, and nothing is written (issue 15, "imports that exhaust the machine").

Every file is built here for real: the .xlsx parts are written by hand with zipfile (a cell
at XFD1048576, merged-cell bombs, zip bombs, XXE, billion laughs), the .xls with xlwt. The
CLI runs in a child process under an address-space limit, and its peak memory and time are
measured: a reader that builds a dense grid or expands a bomb dies or goes over.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import xlwt

from site_builder.tools import spreadsheet
from tests.conftest import PROJECT, Repo

MB = 1024 * 1024
ADDRESS_SPACE = 1024 * MB  # the child's hard limit: a bomb ends in MemoryError, not swap
PEAK = 400 * MB  # what the child may really use (the CLI alone takes about 100 MB)
SECONDS = 60.0

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
SHEET_TYPE = '<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
SHEET_REL = '<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>'
HEADER = ("事项名称", "事项类型")


def cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def sheet_xml(rows: str, tail: str = "", head: str = "", prolog: str = "") -> str:
    """A worksheet part: a header row, one data row, then ``rows``; ``tail`` after sheetData."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>{prolog}<worksheet xmlns="{MAIN}">{head}<sheetData>'
        f'<row r="1">{cell("A1", HEADER[0])}{cell("B1", HEADER[1])}</row>'
        f'<row r="2">{cell("A2", "某某许可")}{cell("B2", "行政许可")}</row>'
        f"{rows}</sheetData>{tail}</worksheet>"
    )


def write_xlsx(path: Path, sheets: list[str], extra: Iterable[tuple[str, str]] = ()) -> Path:
    """An .xlsx of hand-written parts: ``sheets`` are worksheet XML texts."""
    names = "".join(
        f'<sheet name="清单{n}" sheetId="{n}" r:id="rId{n}"/>' for n in range(1, len(sheets) + 1)
    )
    parts = {
        "[Content_Types].xml": TYPES.format(
            sheets="".join(SHEET_TYPE.format(n=n) for n in range(1, len(sheets) + 1))
        ),
        "_rels/.rels": RELS,
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{names}</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(SHEET_REL.format(n=n) for n in range(1, len(sheets) + 1))
        + "</Relationships>",
    }
    parts |= {f"xl/worksheets/sheet{n}.xml": s for n, s in enumerate(sheets, 1)}
    parts |= dict(extra)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)
    return path


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def run_import(repo: Repo, path: Path) -> tuple[int, str, int, float]:
    """Run ``site-builder import --write`` in a child process: (exit code, output, peak
    resident bytes, seconds). The data folder must stay as it was."""
    before = snapshot(repo.root / "data")
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    command = [sys.executable, "-m", "site_builder", "-C", str(repo.root), "import", str(path)]
    start = time.monotonic()
    child = subprocess.Popen(
        [*command, "--department", "zq-a", "--write"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        preexec_fn=limit_memory,
    )
    timer = threading.Timer(SECONDS * 2, child.kill)
    timer.start()
    try:
        assert child.stdout is not None
        output = child.stdout.read()
    finally:
        timer.cancel()
        child.stdout.close()  # type: ignore[union-attr]
    # wait4, not communicate: the child's own peak memory, not that of every child so far.
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    text = output.decode("utf-8", "replace")
    assert snapshot(repo.root / "data") == before, text
    return child.returncode, text, usage.ru_maxrss * 1024, seconds


def read_in_child(path: Path) -> dict[str, Any]:
    """``spreadsheet.read_table(path)`` in a child process under the same limits (a reader
    that expands the file must fail the test, not exhaust the machine running the tests)."""
    code = (
        "import json, sys; from site_builder.tools import spreadsheet; "
        "t = spreadsheet.read_table(sys.argv[1]); "
        "print(json.dumps({'headers': t.headers, 'rows': [list(r.cells) for r in t.rows]}))"
    )
    env = {**os.environ, "PYTHONPATH": str(PROJECT)}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        env=env,
        preexec_fn=limit_memory,
        timeout=SECONDS * 2,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]
    assert time.monotonic() - start < SECONDS
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def assert_refused(repo: Repo, path: Path, *messages: str, code: int = 1) -> str:
    """The import exits ``code`` with each of ``messages``, no traceback, in bounded memory/time."""
    exit_code, output, peak, seconds = run_import(repo, path)
    assert exit_code == code, output
    for message in messages:
        assert message in output, output
    assert path.name in output, output
    assert "Traceback" not in output and "内部错误" not in output, output
    assert peak < PEAK, f"{peak / MB:.0f} MB: {output}"
    assert seconds < SECONDS, f"{seconds:.1f} s: {output}"
    return output


def test_the_limits_leave_room_for_real_lists() -> None:
    # A large department lists a few thousand powers of a few dozen columns.
    assert spreadsheet.MAX_ROWS >= 20_000 and spreadsheet.MAX_COLUMNS >= 100
    assert spreadsheet.MAX_CELLS >= spreadsheet.MAX_ROWS * 20
    assert spreadsheet.MAX_CELLS * 8 < PEAK  # a cell's pointer at least: the cap is a bound


# --- .xlsx ---------------------------------------------------------------------------


def test_one_cell_at_xfd1048576(repo: Repo, tmp_path: Path) -> None:
    far = f'<row r="1048576">{cell("XFD1048576", "远处")}</row>'
    path = write_xlsx(
        tmp_path / "far.xlsx", [sheet_xml(far, head='<dimension ref="A1:XFD1048576"/>')]
    )
    assert path.stat().st_size < 5000
    assert_refused(
        repo, path, "工作表“清单1” 第 1048576 行有内容", f"上限 {spreadsheet.MAX_ROWS} 行"
    )


def test_a_cell_far_to_the_right(repo: Repo, tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "wide.xlsx", [sheet_xml(f'<row r="3">{cell("XFD3", "远处")}</row>')]
    )
    assert_refused(repo, path, "第 3 行第 16384 列有内容", f"上限 {spreadsheet.MAX_COLUMNS} 列")


def test_formatted_empty_rows_far_down_are_read(repo: Repo, tmp_path: Path) -> None:
    # Rows with formats but no values (Excel writes them) are no data: the sheet imports.
    empty = '<row r="1048576"><c r="XFD1048576" s="0"/></row>'
    path = write_xlsx(tmp_path / "formatted.xlsx", [sheet_xml(empty)])
    assert read_in_child(path)["rows"] == [["某某许可", "行政许可"]]


def test_one_merged_range_over_the_whole_sheet_is_safe(tmp_path: Path) -> None:
    # Filled only within the rows read: no million rows of sixteen thousand cells.
    bomb = '<mergeCells count="1"><mergeCell ref="C2:XFD1048576"/></mergeCells>'
    table = read_in_child(write_xlsx(tmp_path / "merged.xlsx", [sheet_xml("", bomb)]))
    assert table == {"headers": list(HEADER), "rows": [["某某许可", "行政许可"]]}


def test_too_many_merged_ranges(repo: Repo, tmp_path: Path) -> None:
    count = spreadsheet.MAX_MERGED + 1
    ranges = "".join(f'<mergeCell ref="C{r}:D{r}"/>' for r in range(3, 3 + count))
    path = write_xlsx(
        tmp_path / "merges.xlsx",
        [sheet_xml("", f'<mergeCells count="{count}">{ranges}</mergeCells>')],
    )
    assert_refused(repo, path, "合并单元格区域", f"上限 {spreadsheet.MAX_MERGED} 个", "取消合并")


def test_merged_ranges_covering_too_many_cells(repo: Repo, tmp_path: Path) -> None:
    # Thirty ranges of 40 000 rows by 200 columns: 240 million cells, from a few KB.
    last = f'<row r="40000">{cell("A40000", "末行")}</row>'
    ranges = "".join(f'<mergeCell ref="A{n}:GR40000"/>' for n in range(3, 33))
    path = write_xlsx(
        tmp_path / "cover.xlsx", [sheet_xml(last, f"<mergeCells>{ranges}</mergeCells>")]
    )
    assert path.stat().st_size < 5000
    assert_refused(repo, path, "的合并单元格", f"上限 {spreadsheet.MAX_CELLS} 个有内容的单元格")


def test_too_many_sheets(repo: Repo, tmp_path: Path) -> None:
    sheets = [sheet_xml("")] * (spreadsheet.MAX_SHEETS + 1)
    path = write_xlsx(tmp_path / "sheets.xlsx", sheets)
    assert_refused(repo, path, f"{len(sheets)} 个工作表", f"上限 {spreadsheet.MAX_SHEETS} 个")


def write_bomb(path: Path, size: int) -> Path:
    """An .xlsx whose sheet part unpacks to ``size`` bytes of blanks (a few hundred KB packed)."""
    write_xlsx(path, [sheet_xml("")])
    with (
        zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/worksheets/sheet2.xml", "w", force_zip64=True) as part,
    ):
        part.write(f'<worksheet xmlns="{MAIN}"><sheetData>'.encode())
        block = b" " * MB
        for _ in range(size // MB):
            part.write(block)
        part.write(b"</sheetData></worksheet>")
    return path


def test_zip_bomb(repo: Repo, tmp_path: Path) -> None:
    path = write_bomb(tmp_path / "bomb.xlsx", spreadsheet.MAX_UNPACKED_BYTES + 8 * MB)
    assert path.stat().st_size < 2 * MB
    assert_refused(repo, path, "解压后有", f"上限 {spreadsheet.MAX_UNPACKED_BYTES // MB} MB")


def test_compression_ratio(repo: Repo, tmp_path: Path) -> None:
    path = write_bomb(tmp_path / "ratio.xlsx", 8 * MB)
    assert_refused(repo, path, "sheet2.xml）的压缩比超过", "压缩炸弹")


def test_a_part_longer_than_declared_is_cut_at_its_declared_size(
    repo: Repo, tmp_path: Path
) -> None:
    # Declared sizes could lie: zipfile stops at the declared size and fails the CRC check.
    rows = "".join(f'<row r="{r}">{cell(f"A{r}", "行")}</row>' for r in range(3, 20_000))
    path = write_xlsx(tmp_path / "liar.xlsx", [sheet_xml(rows)])
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    declared = info.file_size.to_bytes(4, "little")
    small = (1000).to_bytes(4, "little")
    local = info.header_offset
    assert data[local + 22 : local + 26] == declared
    data[local + 22 : local + 26] = small
    central = data.rindex(b"xl/worksheets/sheet1.xml") - 46  # its central directory entry
    assert data[central : central + 4] == b"PK\x01\x02"
    assert data[central + 24 : central + 28] == declared
    data[central + 24 : central + 28] = small
    path.write_bytes(bytes(data))
    assert_refused(repo, path, "不是有效的 .xlsx 文件（BadZipFile）", code=2)


def test_other_compression_is_refused(repo: Repo, tmp_path: Path) -> None:
    # zipfile unpacks a bzip2 chunk whole: only deflate (what Excel writes) is read.
    path = write_xlsx(tmp_path / "bzip2.xlsx", [sheet_xml("")])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("xl/media/x.xml", "<x/>")
    assert_refused(repo, path, "Excel 不用的压缩方式")


XXE = '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
LAUGHS = (
    '<!DOCTYPE worksheet [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)


@pytest.mark.parametrize(
    ("name", "prolog", "value"), [("xxe", XXE, "&xxe;"), ("laughs", LAUGHS, "&lol9;")]
)
def test_xml_attacks_are_refused(
    repo: Repo, tmp_path: Path, name: str, prolog: str, value: str
) -> None:
    rows = f'<row r="3">{cell("A3", value)}{cell("B3", "行政许可")}</row>'
    path = write_xlsx(tmp_path / f"{name}.xlsx", [sheet_xml(rows, prolog=prolog)])
    output = assert_refused(repo, path, "sheet1.xml", "文档类型声明或实体定义", "拒绝读取")
    assert "root:" not in output and "lollol" not in output


def test_xml_attack_in_shared_strings(repo: Repo, tmp_path: Path) -> None:
    strings = (
        f'<?xml version="1.0"?>{LAUGHS}<sst xmlns="{MAIN}" count="1"><si><t>&lol9;</t></si></sst>'
    )
    path = write_xlsx(tmp_path / "sst.xlsx", [sheet_xml("")], [("xl/sharedStrings.xml", strings)])
    assert_refused(repo, path, "sharedStrings.xml", "文档类型声明或实体定义")


# --- .xls ----------------------------------------------------------------------------


def write_xls(path: Path, cells: Iterable[tuple[int, int, str]]) -> Path:
    book = xlwt.Workbook()
    sheet = book.add_sheet("清单")
    for c, title in enumerate(HEADER):
        sheet.write(0, c, title)
    sheet.write(1, 0, "某某许可")
    sheet.write(1, 1, "行政许可")
    for r, c, value in cells:
        sheet.write(r, c, value)
    book.save(str(path))
    return path


def test_xls_too_wide(repo: Repo, tmp_path: Path) -> None:
    path = write_xls(tmp_path / "wide.xls", [(2, 250, "远处")])
    assert_refused(
        repo, path, "工作表“清单” 第 3 行第 251 列有内容", f"上限 {spreadsheet.MAX_COLUMNS} 列"
    )


def test_xls_too_long(repo: Repo, tmp_path: Path) -> None:
    rows = spreadsheet.MAX_ROWS + 1
    path = write_xls(tmp_path / "long.xls", [(r, 0, "行") for r in range(2, rows)])
    assert_refused(repo, path, f"第 {rows} 行有内容", f"上限 {spreadsheet.MAX_ROWS} 行")


@pytest.mark.parametrize(
    ("suffix", "limit"),
    [
        (".xls", spreadsheet.MAX_XLS_BYTES),
        (".xlsx", spreadsheet.MAX_FILE_BYTES),
        (".csv", spreadsheet.MAX_FILE_BYTES),
    ],
)
def test_file_too_big(repo: Repo, tmp_path: Path, suffix: str, limit: int) -> None:
    path = tmp_path / f"big{suffix}"
    with path.open("wb") as f:
        f.truncate(limit + 1)  # sparse: nothing is written to the disk
    assert_refused(repo, path, "MB，超过了导入的上限", "拆分")


# --- .csv ----------------------------------------------------------------------------


def write_csv(path: Path, lines: Iterable[str]) -> Path:
    path.write_text("事项名称,事项类型\n某某许可,行政许可\n" + "".join(lines), encoding="utf-8")
    return path


def test_csv_too_many_records(repo: Repo, tmp_path: Path) -> None:
    rows = spreadsheet.MAX_ROWS + 1
    path = write_csv(tmp_path / "long.csv", ("行,\n" for _ in range(3, rows + 1)))
    assert_refused(repo, path, f"long.csv 第 {rows} 行有内容", f"上限 {spreadsheet.MAX_ROWS} 行")


def test_csv_too_many_columns(repo: Repo, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "wide.csv", ["," * 300 + "远处\n"])
    assert_refused(repo, path, "第 3 行第 301 列有内容", f"上限 {spreadsheet.MAX_COLUMNS} 列")


def test_csv_separator_bomb(repo: Repo, tmp_path: Path) -> None:
    # Two million fields of one record, from a 4 MB line: refused before they are split.
    path = write_csv(tmp_path / "commas.csv", ["ab," * 2_000_000 + "\n"])
    assert_refused(repo, path, "第 3 行有超过", "分隔符")


@pytest.mark.parametrize("length", [40_000, 200_000])
def test_csv_cell_too_long(repo: Repo, tmp_path: Path, length: int) -> None:
    path = write_csv(tmp_path / f"long-cell-{length}.csv", [f'"{"长" * length}",行政许可\n'])
    assert_refused(repo, path, "第 3 行", f"超过了 {spreadsheet.MAX_CELL_CHARS} 个字符")
