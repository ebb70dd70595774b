"""Read an import file: a table from a spreadsheet or CSV file, with its rows' numbers.

The only module that reads .xlsx (openpyxl), .xls (xlrd) and detects CSV encodings
(charset-normalizer); writing tables (the downloads, the export) is tablefiles.py. The
header synonyms and code tables the importers match against are ``header_table``.
Merged cells are filled from their top-left cell, so a value merged over several rows
reads on every row. Every value is text ("" for empty).

It is also the one home of the import limits (see "limits" below): files from outside
are read within fixed bounds of size, rows, columns, cells and merged ranges, and an
.xlsx holding a DTD (XXE, billion laughs) is refused, each with a message in Chinese.
The limits are kept beside the readers they bound (each reader counts as it goes),
which makes this module longer than most (about 630 lines).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import xml.sax.handler
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from site_builder.errors import SiteBuilderError, UsageError
from site_builder.reading import sources

SUFFIXES = (".xlsx", ".xlsm", ".xls", ".csv")
HEADER_SCAN = 10  # the header row is searched for in the first rows (a title row may come first)


class TableError(SiteBuilderError):
    """The file was read but holds no usable table (exit 1)."""

    exit_code = 1


@dataclass(frozen=True)
class Row:
    """One data row: its 1-based row number in the sheet (or CSV line record) and its cells."""

    number: int
    cells: tuple[str, ...]

    def get(self, index: int) -> str:
        return self.cells[index] if index < len(self.cells) else ""


@dataclass
class Table:
    """A table read from ``path``: header texts, data rows, and how it was read."""

    path: str
    headers: list[str]
    rows: list[Row]
    header_row: int = 1
    sheet: str | None = None
    encoding: str | None = (
        None  # CSV only: the encoding used, e.g. "UTF-8", "UTF-8（带 BOM）", "GB18030"
    )
    notes: list[str] = field(default_factory=list)

    def records(self) -> list[tuple[int, dict[str, str]]]:
        """Return each row as ``(row number, {header: value})``; blank headers are dropped."""
        out = []
        for row in self.rows:
            out.append((row.number, {h: row.get(i) for i, h in enumerate(self.headers) if h}))
        return out


def text(value: Any) -> str:
    """Return a cell value as text: integral numbers without ``.0``, dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def read_table(path: Path | str, sheet: str | None = None) -> Table:
    """Read the first (or the named) sheet of ``path``; raise UsageError/TableError in Chinese."""
    tables = _read(Path(path), sheet, first_only=True)
    return tables[0]


def read_tables(path: Path | str) -> list[Table]:
    """Read every non-empty sheet of a workbook (one table for a CSV file)."""
    return _read(Path(path), None, first_only=False)


def _read(path: Path, sheet: str | None, first_only: bool) -> list[Table]:
    if not path.exists():
        raise UsageError(f"找不到文件 {path}：请检查文件名和所在目录。")
    if path.is_dir():
        raise UsageError(f"{path} 是文件夹，不是表格文件：请指定 .xlsx、.xls 或 .csv 文件。")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UsageError(
            f"不支持的文件类型“{path.suffix or '（无扩展名）'}”：{path.name}。"
            "请把表格另存为 .xlsx、.xls 或 .csv（UTF-8 或 GBK 编码）后再导入。"
        )
    if suffix == ".csv":
        grid, encoding = _csv(path)
        return [_table(path, grid, None, encoding)]
    sheets = _xls(path) if suffix == ".xls" else _xlsx(path)
    if sheet is not None:
        chosen = [(name, grid) for name, grid in sheets if name == sheet]
        if not chosen:
            names = "、".join(name for name, _ in sheets)
            raise UsageError(f"{path.name} 中没有名为“{sheet}”的工作表，现有：{names}。")
        sheets = chosen
    tables: list[Table] = []
    for name, grid in sheets:
        if not any(any(c.strip() for c in r) for r in grid):
            continue
        tables.append(_table(path, grid, name, None))
        if first_only:
            break
    if not tables:
        raise TableError(f"{path.name} 中没有数据：工作表是空的。请确认文件内容，或另存后再导入。")
    return tables


def _table(path: Path, grid: list[list[str]], sheet: str | None, encoding: str | None) -> Table:
    where = f"{path.name}" + (f" 工作表“{sheet}”" if sheet else "")
    header_index = None
    for i, row in enumerate(grid[:HEADER_SCAN]):
        if len({c.strip() for c in row if c.strip()}) >= 2:
            header_index = i
            break
    if header_index is None:
        raise TableError(
            f"{where} 中找不到表头：前 {HEADER_SCAN} 行中没有至少两个非空单元格的行。"
            "请把列名（如“事项名称”“事项类型”）放在第一行。"
        )
    headers = [_clean_header(c) for c in grid[header_index]]
    width = len(headers)
    while width and not headers[width - 1]:
        width -= 1
    headers = headers[:width]
    rows = []
    for i in range(header_index + 1, len(grid)):
        cells = tuple(grid[i][:width]) + ("",) * max(0, width - len(grid[i]))
        if any(c.strip() for c in cells):
            rows.append(Row(i + 1, cells))
    if not rows:
        raise TableError(f"{where} 只有表头，没有数据行。")
    return Table(str(path), headers, rows, header_index + 1, sheet, encoding)


def _clean_header(value: str) -> str:
    return "".join(value.replace("\u3000", " ").split())


def _xlsx(path: Path) -> list[tuple[str, list[list[str]]]]:
    import openpyxl
    from defusedxml import DefusedXmlException

    _check_size(path, MAX_FILE_BYTES)
    _check_archive(path)
    try:
        # Read-only: cells are streamed from the sheet's XML, never held as a dense grid.
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except DefusedXmlException as exc:
        raise _unsafe_xml(path, "") from exc
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        raise _not_xlsx(path, exc) from exc
    try:
        sheets = book.worksheets
        if len(sheets) > MAX_SHEETS:
            raise TooLarge(
                f"{path.name} 有 {len(sheets)} 个工作表，超过了导入的上限 {MAX_SHEETS} 个："
                "请删除不需要的工作表，或把工作簿拆分成几个文件分别导入。"
            )
        budget = _Budget(path.name)
        out = []
        for ws in sheets:
            grid = _Grid(f"{path.name} 工作表“{ws.title}”", budget)
            try:
                ranges = _xlsx_sheet(book, ws, grid)
            except DefusedXmlException as exc:
                raise _unsafe_xml(path, ws.title) from exc
            except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
                raise _not_xlsx(path, exc) from exc
            grid.merge(ranges)
            out.append((ws.title, grid.rows))
    finally:
        book.close()
    return out


def _xlsx_sheet(book: Any, ws: Any, grid: _Grid) -> list[tuple[int, int, int, int]]:
    """Read the cells of ``ws`` into ``grid``; return its merged ranges (1-based, inclusive).

    openpyxl's own sheet parser, as its read-only worksheets use it: their public
    ``iter_rows`` yields every missing row up to the last one and pads each row to the
    sheet's declared width (one cell at XFD1048576 makes a million rows of 16384 cells),
    and drops the merged ranges. The parser yields only the cells that are in the file.
    """
    from openpyxl.utils.cell import range_boundaries
    from openpyxl.worksheet._reader import WorkSheetParser

    with ws._get_source() as source:
        parser = WorkSheetParser(
            source,
            ws._shared_strings,
            data_only=True,
            epoch=book.epoch,
            date_formats=book._date_formats,
            timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            values = {}
            for cell in cells:
                value = text(cell["value"])
                if value:
                    values[int(cell["column"])] = value
            grid.add(int(number), values)
        merged = parser.merged_cells
    ranges = []
    for cell_range in merged.mergeCell if merged is not None else []:
        c0, r0, c1, r1 = range_boundaries(cell_range.ref)
        # A whole-column or whole-row range ("A:A", "1:1") has open ends.
        ranges.append((c0 or 1, r0 or 1, c1 or MAX_COLUMNS, r1 or MAX_ROWS))
    return ranges


def _not_xlsx(path: Path, exc: Exception) -> UsageError:
    return UsageError(
        f"无法读取 {path.name}：它不是有效的 .xlsx 文件（{type(exc).__name__}）。"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
    )


def _unsafe_xml(path: Path, part: str) -> TableError:
    where = f"{path.name}（{part}）" if part else path.name
    return TableError(
        f"{where} 含有正常的 Excel 文件不会有的 XML 内容（文档类型声明或实体定义），"
        "为安全起见拒绝读取：这类内容可被用来读取本机的文件或耗尽内存。"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入；来历不明的文件请勿导入。"
    )


def _xls(path: Path) -> list[tuple[str, list[list[str]]]]:
    import xlrd

    # xlrd reads the whole file and every cell of a sheet at once: only its size bounds that.
    _check_size(path, MAX_XLS_BYTES)
    try:
        # on_demand: one sheet in memory at a time; ragged_rows: a row is as long as its
        # last cell, not as the widest row (formatting_info is needed for merged cells).
        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, ragged_rows=True)
    except Exception as exc:  # xlrd raises XLRDError and assorted struct/index errors
        raise _not_xls(path, exc) from exc
    empty = (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK)
    try:
        if book.nsheets > MAX_SHEETS:
            raise TooLarge(
                f"{path.name} 有 {book.nsheets} 个工作表，超过了导入的上限 {MAX_SHEETS} 个："
                "请删除不需要的工作表，或把工作簿拆分成几个文件分别导入。"
            )
        budget = _Budget(path.name)
        out = []
        for index in range(book.nsheets):
            try:
                ws = book.sheet_by_index(index)
            except Exception as exc:  # as above
                raise _not_xls(path, exc) from exc
            grid = _Grid(f"{path.name} 工作表“{ws.name}”", budget)
            for r in range(ws.nrows):
                values = {}
                for c, (kind, value) in enumerate(
                    zip(ws.row_types(r), ws.row_values(r), strict=True), 1
                ):
                    if kind in empty:
                        continue
                    if kind == xlrd.XL_CELL_DATE:
                        value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                    cell = text(value)
                    if cell:
                        values[c] = cell
                grid.add(r + 1, values)
            grid.merge([(clo + 1, rlo + 1, chi, rhi) for rlo, rhi, clo, chi in ws.merged_cells])
            out.append((ws.name, grid.rows))
            book.unload_sheet(index)
    finally:
        book.release_resources()
    return out


def _not_xls(path: Path, exc: Exception) -> UsageError:
    return UsageError(
        f"无法读取 {path.name}：它不是有效的 .xls 文件（{exc}）。"
        "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
    )


def _fill(grid: list[list[str]], r0: int, r1: int, c0: int, c1: int) -> None:
    """Fill rows r0..r1-1, columns c0..c1-1 (0-based, end exclusive) from the top-left cell."""
    if r0 >= len(grid):
        return
    top = grid[r0]
    value = top[c0] if c0 < len(top) else ""
    for r in range(r0, min(r1, len(grid))):
        row = grid[r]
        if len(row) < c1:
            row.extend([""] * (c1 - len(row)))
        for c in range(c0, c1):
            row[c] = value


def decode_csv(raw: bytes, name: str) -> tuple[str, str]:
    """Decode CSV bytes; return (text, the encoding used, in words for the report)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8", errors="strict"), "UTF-8（带 BOM）"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return raw.decode("utf-16"), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    guess = (best.encoding if best is not None else "").lower().replace("-", "_")
    # GB2312 and GBK are subsets of GB18030: decoding with it never loses a character.
    if guess in ("gb2312", "gbk", "gb18030", "hz", "") or guess.startswith("cp936"):
        try:
            return raw.decode("gb18030"), f"GB18030（检测结果：{(guess or '未知').upper()}）"
        except UnicodeDecodeError:
            pass
    if best is not None:
        try:
            return raw.decode(best.encoding), best.encoding.upper().replace("_", "-")
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return raw.decode("gb18030"), "GB18030"
    except UnicodeDecodeError as exc:
        raise TableError(
            f"无法识别 {name} 的文字编码（不是 UTF-8，也不是 GBK/GB18030）："
            "请在 Excel 或 WPS 中另存为“CSV UTF-8”后再导入。"
        ) from exc


def _csv(path: Path) -> tuple[list[list[str]], str]:
    _check_size(path, MAX_FILE_BYTES)
    raw = path.read_bytes()
    if not raw.strip():
        raise TableError(f"{path.name} 是空文件：没有表头，也没有数据。")
    content, encoding = decode_csv(raw, path.name)
    del raw
    first = content.split("\n", 1)[0]
    delimiter = max(
        ",\t;", key=first.count
    )  # the header line names the columns: count its separators
    grid = _Grid(path.name, _Budget(path.name))
    read = 0  # records read so far
    separators = 0  # separators fed since the last record: a bound on its fields

    def lines() -> Iterator[str]:
        # The csv module holds a record's fields until the record ends: a line of a
        # million commas would be a million fields before any check could see them.
        nonlocal separators
        for line in io.StringIO(content, newline=""):
            separators += line.count(delimiter)
            if separators > MAX_SEPARATORS:
                raise TooLarge(
                    f"{path.name} 第 {read + 1} 行有超过 {MAX_SEPARATORS} 个分隔符“{delimiter}”，"
                    f"远超导入的上限 {MAX_COLUMNS} 列：请检查这一行（多余的分隔符），"
                    "或用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
                )
            yield line

    try:
        for record in csv.reader(lines(), delimiter=delimiter):
            read += 1
            separators = 0
            values = {}
            for column, value in enumerate(record, 1):
                if value:
                    if len(value) > MAX_CELL_CHARS:
                        raise _long_cell(path.name, read, column)
                    values[column] = value
            grid.add(read, values)
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _long_cell(path.name, read + 1, 0) from exc
        raise TableError(f"{path.name} 不是有效的 CSV 文件：{exc}。") from exc
    return grid.rows, encoding


def _long_cell(name: str, row: int, column: int) -> TooLarge:
    where = f"第 {row} 行" + (f"第 {column} 列" if column else "")
    return TooLarge(
        f"{name} {where}的内容超过了 {MAX_CELL_CHARS} 个字符（Excel 一个单元格最多能容纳的字数）："
        "请检查这一格（引号是否成对），或把过长的内容拆开后再导入。"
    )


# --- limits --------------------------------------------------------------------------
# What an import reads at most. A department's list has some thousands of rows of a few
# dozen columns; these bounds are several times that, and keep a hostile or broken file
# (a cell at XFD1048576, a merged-cell or zip bomb) from exhausting the machine.

MB = 1024 * 1024
MAX_FILE_BYTES = 50 * MB  # an .xlsx or .csv file on disk
MAX_XLS_BYTES = 20 * MB  # xlrd holds a whole .xls and a sheet's cells, several times its size
MAX_UNPACKED_BYTES = 200 * MB  # all parts of an .xlsx, uncompressed (their declared sizes)
MAX_RATIO = 200  # uncompressed / compressed, of an .xlsx part over RATIO_FROM bytes
RATIO_FROM = 1 * MB
MAX_PARTS = 10_000  # members of the .xlsx zip archive
MAX_SHEETS = 100
MAX_ROWS = 50_000  # the last row with a value, in each sheet (CSV: records)
MAX_COLUMNS = 200  # the last column with a value, in each row
MAX_CELLS = 1_000_000  # cells with a value in the file, cells filled by merged ranges included
MAX_STORED_CELLS = 5_000_000  # cells stored in an .xlsx, formatted empty ones included
MAX_MERGED = 20_000  # merged ranges in each sheet
MAX_CELL_CHARS = 32_767  # a CSV field (Excel's own limit for a cell)
MAX_SEPARATORS = 100_000  # separators in one CSV record, quoted ones included


class TooLarge(TableError):
    """The file is beyond a limit above (exit 1): it is refused before it is read further."""


def _check_size(path: Path, limit: int) -> None:
    size = path.stat().st_size
    if size > limit:
        raise TooLarge(
            f"{path.name} 有 {size / MB:.1f} MB，超过了导入的上限 {limit // MB} MB："
            "请把表格拆分成几个文件分别导入。"
        )


class _Budget:
    """The cells of one file read so far, across its sheets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells = 0

    def take(self, count: int, what: str) -> None:
        self.cells += count
        if self.cells > MAX_CELLS:
            raise TooLarge(
                f"{self.name} {what}：整个文件超过了导入的上限 {MAX_CELLS} 个有内容的单元格"
                "（合并单元格按它覆盖的单元格计）。请把表格拆分成几个文件分别导入。"
            )


class _Grid:
    """A sheet's rows as read: only up to the last row with a value, each row as long as
    its last value, so that cells far apart cost nothing in between."""

    def __init__(self, where: str, budget: _Budget) -> None:
        self.where = where
        self.budget = budget
        self.rows: list[list[str]] = []

    def add(self, number: int, values: dict[int, str]) -> None:
        """Add the values of row ``number`` (1-based), by column (1-based)."""
        if not values:
            return
        if number > MAX_ROWS:
            raise TooLarge(
                f"{self.where} 第 {number} 行有内容，超过了导入的上限 {MAX_ROWS} 行："
                f"请把表格拆分成几个文件（每个不超过 {MAX_ROWS} 行）分别导入；"
                "如果这一行是误填的，请删除后再导入。"
            )
        last = max(values)
        if last > MAX_COLUMNS:
            raise TooLarge(
                f"{self.where} 第 {number} 行第 {last} 列有内容，超过了导入的上限 {MAX_COLUMNS} 列："
                "请删除多余的列（或误填在远处的内容）后再导入。"
            )
        self.budget.take(len(values), f"{self.where} 第 {number} 行")
        while len(self.rows) < number:
            self.rows.append([])
        row = self.rows[number - 1]
        if len(row) < last:
            row.extend([""] * (last - len(row)))
        for column, value in values.items():
            row[column - 1] = value

    def merge(self, ranges: list[tuple[int, int, int, int]]) -> None:
        """Fill merged ranges (first column, first row, last column, last row; 1-based) from
        their top-left cells, within the rows read and MAX_COLUMNS."""
        if len(ranges) > MAX_MERGED:
            raise TooLarge(
                f"{self.where} 有 {len(ranges)} 个合并单元格区域，超过了导入的上限 {MAX_MERGED} 个："
                "请取消不需要的合并（选中后“取消合并单元格”），或把表格拆分后再导入。"
            )
        clipped = []
        covered = 0
        for c0, r0, c1, r1 in ranges:
            r1, c1 = min(r1, len(self.rows)), min(c1, MAX_COLUMNS)
            if r0 <= r1 and c0 <= c1:
                clipped.append((c0, r0, c1, r1))
                covered += (r1 - r0 + 1) * (c1 - c0 + 1)
        self.budget.take(covered, f"{self.where} 的合并单元格")
        for c0, r0, c1, r1 in clipped:
            _fill(self.rows, r0 - 1, r1, c0 - 1, c1)


def _check_archive(path: Path) -> None:
    """Refuse an .xlsx whose parts would unpack beyond the limits, or that holds a DTD.

    zipfile stops each part at its declared size (and then fails its CRC check), so
    the declared sizes bound what is unpacked; only deflate (what Excel writes) and
    stored parts are read: zipfile unpacks a bzip2 or LZMA chunk whole, unbounded.
    Every XML part is then scanned once, streamed, by defusedxml with DTDs forbidden
    (no Excel file has one: they carry XXE and billion-laughs attacks), counting cells
    and merged ranges before openpyxl builds anything from them.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _not_xlsx(path, exc) from exc
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise TooLarge(
                f"{path.name} 由 {len(parts)} 个部分组成，超过了上限 {MAX_PARTS} 个，"
                "不像是正常的 Excel 文件：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
            )
        total = sum(part.file_size for part in parts)
        if total > MAX_UNPACKED_BYTES:
            raise TooLarge(
                f"{path.name} 解压后有 {total / MB:.0f} MB，超过了导入的上限 "
                f"{MAX_UNPACKED_BYTES // MB} MB：请删除不需要的工作表、图片和格式，"
                "或把表格拆分成几个文件分别导入。"
            )
        for part in parts:
            if part.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
                raise TableError(
                    f"{path.name}（{part.filename}）使用了 Excel 不用的压缩方式，拒绝读取："
                    "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
                )
            if part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * part.compress_size:
                raise TooLarge(
                    f"{path.name}（{part.filename}）的压缩比超过 {MAX_RATIO} 倍"
                    f"（解压后 {part.file_size / MB:.0f} MB），不像是正常的 Excel 文件"
                    "（可能是“压缩炸弹”），拒绝读取：请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
                )
        scan = _Scan(path.name)
        for part in parts:
            scan.part(archive, part)


class _Scan(xml.sax.handler.ContentHandler):
    """Count the cells and merged ranges of XML parts, refusing DTDs (defusedxml)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name
        self.cells = 0
        self.merged = 0
        self.where = ""

    def part(self, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        from defusedxml import DefusedXmlException
        from defusedxml.expatreader import DefusedExpatParser

        self.where, self.merged = info.filename, 0
        parser = DefusedExpatParser(forbid_dtd=True)
        parser.setContentHandler(self)
        try:
            with archive.open(info) as stream:
                chunk = stream.read(64 * 1024)
                head = chunk.lstrip(b"\xef\xbb\xbf\xff\xfe\x00 \t\r\n")
                if not head.startswith(b"<"):
                    return  # not XML (a picture, a macro project): openpyxl does not parse it
                while chunk:
                    parser.feed(chunk)
                    chunk = stream.read(64 * 1024)
                parser.close()
        except DefusedXmlException as exc:
            raise _unsafe_xml(Path(self.name), info.filename) from exc
        except xml.sax.SAXParseException:
            return  # broken XML: openpyxl says so if it needs this part
        except (zipfile.BadZipFile, zlib.error, OSError) as exc:  # e.g. a part longer than declared
            raise _not_xlsx(Path(self.name), exc) from exc

    def startElement(self, name: str, attrs: Any) -> None:
        local = name.rpartition(":")[2]
        if local == "c":
            self.cells += 1
            if self.cells > MAX_STORED_CELLS:
                raise TooLarge(
                    f"{self.name} 存有超过 {MAX_STORED_CELLS} 个单元格（包括只有格式、没有内容的单元格），"
                    "超过了导入的上限：请选中表格下方和右侧多余的空行空列，删除或“清除格式”，"
                    "或把表格拆分成几个文件分别导入。"
                )
        elif local == "mergeCell":
            self.merged += 1
            if self.merged > MAX_MERGED:
                raise TooLarge(
                    f"{self.name}（{self.where}）有超过 {MAX_MERGED} 个合并单元格区域，"
                    f"超过了导入的上限 {MAX_MERGED} 个：请取消不需要的合并"
                    "（选中后“取消合并单元格”），或把表格拆分后再导入。"
                )


def columns(table: Table) -> Iterable[tuple[int, str]]:
    """Yield (index, header) of the non-blank headers."""
    return ((i, h) for i, h in enumerate(table.headers) if h)


HEADERS_FILE = Path(__file__).with_name("import_headers.yaml")


@functools.cache
def header_table() -> dict[str, Any]:
    """The header synonyms and code tables of ``import_headers.yaml`` (kept as data, not code)."""
    data = sources.load_lenient(HEADERS_FILE.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise UsageError(f"{HEADERS_FILE.name} 不是有效的表头对照表。")
    return data
