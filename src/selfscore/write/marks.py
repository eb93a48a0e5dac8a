"""The record a marked-up copy keeps of its marks, so that checking it again starts clean."""

from __future__ import annotations

import re
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles.fills import Fill
from openpyxl.xml.functions import fromstring, tostring

from selfscore.results.report import PreviousCheck
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET

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
        sheet.append(_clean(("mark", original.sheet, original.cell, original.fill_xml, original.comment,
                             original.comment_author, None, None)))
    for code, sheet_name, cell, message in findings:
        sheet.append(_clean(("finding", sheet_name, cell, None, None, None, code, message)))
    for row in sheet.iter_rows():
        for target in row:
            target.data_type = "s" if target.value is not None else target.data_type
    sheet.sheet_state = "veryHidden"


def _clean(row: tuple) -> tuple:
    # Text that openpyxl refuses (control characters) would abort the save and lose the whole copy.
    return tuple(None if value is None else ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)) for value in row)


#: a record never has more rows than marks plus findings; a forged one must not make us walk a million rows
_MAX_RECORD_ROWS = 20_000
_CELL = re.compile(r"[A-Z]{1,3}[1-9]\d{0,6}")


def remove_marks(workbook: Workbook) -> PreviousCheck | None:
    """Undo a previous check's marks in place; returns what that check found, or None if unmarked."""
    if MARKS_SHEET not in workbook.sheetnames:
        return None
    record = workbook[MARKS_SHEET]
    findings = []
    for row in record.iter_rows(min_row=2, max_row=min(record.max_row, _MAX_RECORD_ROWS), max_col=len(_HEADER),
                                values_only=True):
        kind, sheet, cell, fill_xml, comment, author, code, message = (list(row) + [None] * 8)[:8]
        if kind == "mark" and sheet in workbook.sheetnames and isinstance(cell, str) and _CELL.fullmatch(cell):
            target = workbook[sheet][cell]
            if isinstance(target, MergedCell):
                continue
            if fill_xml:
                try:
                    target.fill = Fill.from_tree(fromstring(str(fill_xml)))
                except Exception:  # a record edited by hand: keep the current fill rather than fail the check
                    pass
            target.comment = Comment(str(comment), str(author or "")) if comment else None
        elif kind == "finding":
            findings.append((str(code or ""), str(sheet or ""), str(cell or ""), str(message or "")))
    for name in (MARKS_SHEET, *ADDED_SHEETS):
        if name in workbook.sheetnames:
            del workbook[name]
    workbook.active = 0
    return PreviousCheck(tuple(findings))
