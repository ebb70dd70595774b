"""Read a table from a spreadsheet or CSV file: headers, rows with their sheet row numbers.

The only module that reads .xlsx (openpyxl), .xls (xlrd) and detects CSV encodings
(charset-normalizer). Merged cells are filled from their top-left cell, so a value
merged over several rows reads on every row. Every value is text ("" for empty).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from site_builder import sources
from site_builder.archive import zip_bytes
from site_builder.errors import SiteBuilderError, UsageError

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
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise UsageError(
            f"无法读取 {path.name}：它不是有效的 .xlsx 文件（{type(exc).__name__}）。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
        ) from exc
    out = []
    for ws in book.worksheets:
        grid = [[text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:
            _fill(grid, rng.min_row - 1, rng.max_row, rng.min_col - 1, rng.max_col)
        out.append((ws.title, grid))
    book.close()
    return out


def _xls(path: Path) -> list[tuple[str, list[list[str]]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(str(path), formatting_info=True)
    except Exception as exc:  # xlrd raises XLRDError and assorted struct/index errors
        raise UsageError(
            f"无法读取 {path.name}：它不是有效的 .xls 文件（{exc}）。"
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再导入。"
        ) from exc
    out = []
    for ws in book.sheets():
        grid: list[list[str]] = []
        for r in range(ws.nrows):
            row = []
            for c in range(ws.ncols):
                cell = ws.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    row.append(text(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)))
                else:
                    row.append(text(cell.value))
            grid.append(row)
        for rlo, rhi, clo, chi in ws.merged_cells:
            _fill(grid, rlo, rhi, clo, chi)
        out.append((ws.name, grid))
    return out


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
    raw = path.read_bytes()
    if not raw.strip():
        raise TableError(f"{path.name} 是空文件：没有表头，也没有数据。")
    content, encoding = decode_csv(raw, path.name)
    first = content.split("\n", 1)[0]
    delimiter = max(
        ",\t;", key=first.count
    )  # the header line names the columns: count its separators
    try:
        grid = [list(r) for r in csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)]
    except csv.Error as exc:
        raise TableError(f"{path.name} 不是有效的 CSV 文件：{exc}。") from exc
    return grid, encoding


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


# --- writing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sheet:
    """One sheet to write: its name, its header row and its rows."""

    name: str
    header: list[str]
    rows: list[list[str | int | float | None]]


# --- writing: CSV and .xlsx -----------------------------------------------------------

# What Excel, WPS and LibreOffice take for the start of a formula in a CSV file (OWASP,
# "CSV Injection"): a download opened by a citizen must never run what a record says.
FORMULA_START = frozenset("=+-@\t\r")


def safe_cell(value: str) -> str:
    """A text as it may stand in a CSV cell: prefixed with ``'`` when it would start a formula.

    The one place where CSV cells are neutralised (OWASP's advice): a spreadsheet shows
    the text after the quote, as text. Numbers are not texts and are never prefixed.
    """
    return "'" + value if value[:1] in FORMULA_START else value


def write_csv(header: Iterable[str], rows: Iterable[Iterable[str | int | float | None]]) -> bytes:
    """A CSV file: UTF-8 without BOM, ``\\n`` line ends, texts neutralised by ``safe_cell``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([safe_cell(name) for name in header])
    for row in rows:
        writer.writerow(
            ["" if v is None else safe_cell(v) if isinstance(v, str) else str(v) for v in row]
        )
    return out.getvalue().encode("utf-8")


def workbook_text(value: str) -> str:
    """A text as it may stand in a workbook cell: without the characters XML cannot hold.

    Data files cannot hold them (``sources`` refuses them), but text read from old
    revisions or commit messages can, and a single one made the whole workbook fail.
    """
    return sources.FORBIDDEN_CHARACTERS.sub("", value)


WIDEST = 60  # the widest a column is made, in characters (a CJK character counts two)


@functools.lru_cache(maxsize=65536)
def text_width(text: str) -> int:
    """A column width for ``text``: its longest line, a CJK character counting double."""
    longest = max(text.splitlines(), key=len, default="")
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in longest)


def write_workbook(
    sheets: Iterable[Sheet], *, title: str, creator: str, when: datetime, text_only: bool = False
) -> bytes:
    """An .xlsx workbook, byte-for-byte reproducible: a bold, frozen header row and fitted columns.

    ``sheets`` are taken one at a time, and each is written out before the next is asked
    for, so a generator of sheets needs to hold only one sheet's rows.

    Strings that look like formulas are stored as text. With ``text_only`` every cell is
    text (no numbers, no dates) and multi-line cells wrap, for a sheet people edit and
    import again. The times inside are ``when``, never the clock. Written in openpyxl's
    write-only mode (rows streamed, about twice as fast); lxml, a declared dependency,
    serialises the XML, so every machine writes the same bytes.
    """
    from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.styles import Alignment, Font  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped, unused-ignore]
    from openpyxl.writer.excel import ExcelWriter  # type: ignore[import-untyped, unused-ignore]

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for spec in sheets:
        sheet = book.create_sheet(spec.name)
        rows: list[list[str | int | float | None]] = []
        widths = [text_width(h) for h in spec.header]
        for row in spec.rows:
            values: list[str | int | float | None] = [
                workbook_text(v) if isinstance(v, str) else v for v in row
            ]
            if text_only:
                values = [v or None for v in values]
            rows.append(values)
            for i, value in enumerate(values):
                # A column as wide as the widest stays so: its other texts need no measuring.
                if value is not None and widths[i] + 2 < WIDEST:
                    widths[i] = max(widths[i], text_width(str(value)))
        # Write-only sheets take their column widths and panes before the first row.
        for i, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), WIDEST)
        sheet.freeze_panes = "A2"
        header = []
        for name in spec.header:
            cell = WriteOnlyCell(sheet, name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for values in rows:
            if not text_only and not any(isinstance(v, str) and v.startswith("=") for v in values):
                sheet.append(values)
                continue
            cells: list[Any] = []
            for value in values:
                cell = WriteOnlyCell(sheet, value)
                if value is not None and (
                    text_only or (isinstance(value, str) and value.startswith("="))
                ):
                    cell.data_type = "s"  # text, not a formula
                if text_only and isinstance(value, str) and "\n" in value:
                    cell.alignment = wrap
                cells.append(cell)
            sheet.append(cells)
    book.properties.creator = creator
    book.properties.title = title
    book.properties.created = when.replace(tzinfo=None)
    book.properties.modified = when.replace(tzinfo=None)
    # Stored, not compressed, in a temporary file: zip_bytes below compresses each part
    # once, with fixed times, reading one part at a time (the sheets' XML is large).
    with tempfile.TemporaryFile() as raw:
        ExcelWriter(
            book, zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED)
        ).save()  # save_workbook() would stamp the clock
        with zipfile.ZipFile(raw) as written:
            return zip_bytes(_Parts(written), when)


class _Parts(Mapping[str, bytes]):
    """The parts of a zip archive, each read when asked for."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive

    def __getitem__(self, name: str) -> bytes:
        return self._archive.read(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._archive.namelist())

    def __len__(self) -> int:
        return len(self._archive.namelist())
