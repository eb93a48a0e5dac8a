"""The record a marked-up copy keeps of its marks, so that checking it again starts clean."""

from __future__ import annotations

from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles.fills import Fill
from openpyxl.xml.functions import fromstring, tostring

from selfscore.layout import MARKS_SHEET, RESULTS_SHEET
from selfscore.report import PreviousCheck

_HEADER = ("kind", "sheet", "cell", "fill", "comment", "comment_author", "code", "message")


@dataclass(frozen=True)
class OriginalCell:
    """How a cell looked before selfscore marked it."""

    sheet: str
    cell: str
    fill_xml: str
    comment: str | None
    comment_author: str | None


def original_of(workbook: Workbook, sheet: str, cell: str) -> OriginalCell:
    target = workbook[sheet][cell]
    comment = target.comment
    return OriginalCell(sheet, cell, tostring(target.fill.to_tree()).decode(),
                        comment.text if comment else None, comment.author if comment else None)


def write_record(workbook: Workbook, originals: list[OriginalCell], findings: list[tuple[str, str, str, str]]) -> None:
    sheet = workbook.create_sheet(MARKS_SHEET)
    sheet.append(_HEADER)
    for original in originals:
        sheet.append(("mark", original.sheet, original.cell, original.fill_xml, original.comment,
                      original.comment_author, None, None))
    for code, sheet_name, cell, message in findings:
        sheet.append(("finding", sheet_name, cell, None, None, None, code, message))
    for row in sheet.iter_rows():
        for target in row:
            target.data_type = "s" if target.value is not None else target.data_type
    sheet.sheet_state = "veryHidden"


def remove_marks(workbook: Workbook) -> PreviousCheck | None:
    """Undo a previous check's marks in place; returns what that check found, or None if unmarked."""
    if MARKS_SHEET not in workbook.sheetnames:
        return None
    record = workbook[MARKS_SHEET]
    findings = []
    for row in record.iter_rows(min_row=2, values_only=True):
        kind, sheet, cell, fill_xml, comment, author, code, message = (list(row) + [None] * 8)[:8]
        if kind == "mark" and sheet in workbook.sheetnames and cell:
            target = workbook[sheet][cell]
            if fill_xml:
                target.fill = Fill.from_tree(fromstring(fill_xml))
            target.comment = Comment(comment, author or "") if comment else None
        elif kind == "finding":
            findings.append((str(code or ""), str(sheet or ""), str(cell or ""), str(message or "")))
    for name in (MARKS_SHEET, RESULTS_SHEET):
        if name in workbook.sheetnames:
            del workbook[name]
    workbook.active = 0
    return PreviousCheck(tuple(findings))
