"""Write tables people open in a spreadsheet: CSV files and .xlsx workbooks.

The downloads and ``export`` write through here, and nothing else writes these formats.
Both are safe to open and the same bytes every time: a text that would start a formula
is neutralised (``safe_cell``) or stored as text, characters XML cannot hold are dropped,
and the times inside a workbook are the build's, never the clock. Reading import files
is spreadsheet.py.
"""

from __future__ import annotations

import csv
import functools
import io
import tempfile
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from site_builder.publishing.archive import zip_bytes
from site_builder.reading import sources

Value = str | int | float | None  # a cell: text, a number, or empty


@dataclass(frozen=True)
class Sheet:
    """One sheet to write: its name, its header row and its rows."""

    name: str
    header: list[str]
    rows: list[list[Value]]


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
        rows, widths = _stored(spec, text_only)
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
            else:
                sheet.append(_text_cells(sheet, values, text_only, wrap))
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


def _stored(spec: Sheet, text_only: bool) -> tuple[list[list[Value]], list[int]]:
    """A sheet's rows as the workbook stores them, and the width of each column."""
    rows: list[list[Value]] = []
    widths = [text_width(h) for h in spec.header]
    for row in spec.rows:
        values: list[Value] = [workbook_text(v) if isinstance(v, str) else v for v in row]
        if text_only:
            values = [v or None for v in values]
        rows.append(values)
        for i, value in enumerate(values):
            # A column as wide as the widest stays so: its other texts need no measuring.
            if value is not None and widths[i] + 2 < WIDEST:
                widths[i] = max(widths[i], text_width(str(value)))
    return rows, widths


def _text_cells(sheet: Any, values: list[Value], text_only: bool, wrap: Any) -> list[Any]:
    """A row's cells with every text stored as text: no formula (a text starting with
    ``=``), and with ``text_only`` no number or date either and multi-line texts wrapped."""
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped, unused-ignore]

    cells: list[Any] = []
    for value in values:
        cell = WriteOnlyCell(sheet, value)
        if value is not None and (text_only or (isinstance(value, str) and value.startswith("="))):
            cell.data_type = "s"  # text, not a formula
        if text_only and isinstance(value, str) and "\n" in value:
            cell.alignment = wrap
        cells.append(cell)
    return cells


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
