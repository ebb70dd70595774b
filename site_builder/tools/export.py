"""``site-builder export``: a department's powers as an Excel workbook that staff can edit
and import again, laid out as ``powersheet`` says (the layout the importers read back).

The bytes are reproducible: the workbook's times are the source commit's time (or
SOURCE_DATE_EPOCH, or 1980-01-01), never the clock, and the zip entries are sorted
with one fixed timestamp (the same writer as the Excel edition of the downloads).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from site_builder.history import gitstore
from site_builder.publishing import tablefiles
from site_builder.publishing.archive import stamp
from site_builder.tools.powersheet import (
    COLUMNS,
    RECORD_HEADER,
    SHEET,
    department_powers,
    headers,
    law_titles,
    record_json,
)

EXCEL_CELL_LIMIT = 32767  # the most characters an Excel cell holds


@dataclass
class Export:
    """The workbook and what staff should know about it."""

    data: bytes
    powers: int
    warnings: list[str] = field(default_factory=list)


def source_time(root: Path) -> datetime:
    """The time the workbook stands for: SOURCE_DATE_EPOCH, the HEAD commit's time, or 1980."""
    return stamp(gitstore.head_time(root))


def export_department(root: Path, department: str) -> Export:
    """The department's powers as the bytes of an .xlsx workbook."""
    powers, warnings = department_powers(root, department)
    laws = law_titles(root)
    columns = headers(root)
    rows: list[list[str | int | float | None]] = []
    for power in powers:
        whole = record_json(power.data)
        if len(whole) > EXCEL_CELL_LIMIT:
            warnings.append(
                f"{power.path}：完整记录有 {len(whole)} 个字符，超过 Excel 单元格上限 {EXCEL_CELL_LIMIT}；"
                "用 Excel 保存后该记录会被截断，请直接修改 YAML 文件。"
            )
        rows.append([*(COLUMNS[key](power.data, laws) for key, _ in columns), whole])
    sheet = tablefiles.Sheet(SHEET, [title for _, title in columns] + [RECORD_HEADER], rows)
    data = tablefiles.write_workbook(
        [sheet],
        title=f"{department} 职权清单",
        creator="site-builder",
        when=source_time(root),
        text_only=True,
    )
    return Export(data, len(powers), warnings)
