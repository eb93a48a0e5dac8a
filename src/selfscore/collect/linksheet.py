"""The workbook of upload links a reviewer sends out: one row per unit with its link."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from selfscore.collect.service import CollectionInfo, UnitRow
from selfscore.write.markup import put_text
from selfscore.write.xlsx_bytes import workbook_bytes

#: the header of the unit column; also what units_from_workbook skips, so this workbook can seed next year's list
UNIT_HEADER = "单位"


def links_bytes(collection: CollectionInfo, rows: Sequence[UnitRow], url_of: Callable[[str], str]) -> bytes:
    """单位 | 上传链接, one row per unit (a revoked link says so), with the collection's name on top."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "上传链接"
    put_text(sheet, "A1", collection.name, bold=True, size=13, border=False)
    put_text(sheet, "A2", "每个单位只能用自己的链接上传；链接请勿转发给其他单位。", border=False)
    sheet.append([])
    header_row = 4
    for column, label in (("A", UNIT_HEADER), ("B", "上传链接")):
        put_text(sheet, f"{column}{header_row}", label, bold=True)
        sheet[f"{column}{header_row}"].fill = PatternFill("solid", fgColor="D9E1F2")
    for offset, row in enumerate(rows, start=1):
        number = header_row + offset
        put_text(sheet, f"A{number}", row.name)
        if row.token:
            url = url_of(row.token)
            put_text(sheet, f"B{number}", url)
            sheet[f"B{number}"].hyperlink = url
            sheet[f"B{number}"].font = Font(color="0B4F9C", underline="single")
        else:
            put_text(sheet, f"B{number}", "（链接已收回）")
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 90
    sheet.freeze_panes = f"A{header_row + 1}"
    return workbook_bytes(workbook)
