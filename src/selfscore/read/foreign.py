""".xls and .ods workbooks: read with calamine by their labels; marked up as a fresh template holding the values read.

openpyxl can neither read nor write these formats, so the filler's own file cannot carry the marks.
The marked-up copy is therefore our template (with its defined names, so it can be checked again as
it is) filled with the values as they stood in the source, every finding on the template's cell of
the same meaning, and a note saying so. The JSON report keeps the source's own cell addresses.
"""

from __future__ import annotations

import io
from dataclasses import replace

from selfscore.filling import cell_of
from selfscore.findings import Finding, make_finding
from selfscore.formats import sniff
from selfscore.layout import SCORE_TOTAL, input_name, score_name
from selfscore.layout_recognition import (
    HEADER_SCAN_ROWS,
    LABEL_SCAN_ROWS,
    TABLE_SCAN_ROWS,
    Grid,
    GridCell,
    LabelReadResult,
    read_by_labels,
)
from selfscore.reading import CellRef, Unreadable
from selfscore.report import Report
from selfscore.template import build_template

#: the sniffed kinds read here, with the name a clerk knows them by
FOREIGN_KINDS: dict[str, str] = {"xls": ".xls（Excel 97-2003）", "ods": ".ods（OpenDocument）"}
#: what is read of each sheet: the label search looks at the first LABEL_SCAN_ROWS rows and a table's
#: TABLE_SCAN_ROWS rows below a header in the first HEADER_SCAN_ROWS, never at column 200 and beyond
READ_ROWS = LABEL_SCAN_ROWS + HEADER_SCAN_ROWS + TABLE_SCAN_ROWS
READ_COLUMNS = 200
#: the template's column of 分值 on the score sheet, where a tampered 分值 is shown
_POINTS_COLUMN = "D"


def foreign_kind(data: bytes) -> str | None:
    """The sniffed kind when it is one read by calamine, else None (openpyxl's turn)."""
    kind = sniff(data)
    return kind if kind in FOREIGN_KINDS else None


def grids_from_calamine(data: bytes, kind: str) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            cells: dict[tuple[int, int], GridCell] = {}
            # iter_rows starts at row 1 but at the sheet's first used column: add that back so addresses
            # match the file. Only the rows and columns the label search looks at are kept in Python.
            first_column = sheet.start[1] if sheet.start else 0
            for row_number, row in enumerate(sheet.iter_rows(), start=1):
                if row_number > READ_ROWS:
                    break
                for offset, value in enumerate(row[: max(0, READ_COLUMNS - first_column)]):
                    if value is not None and value != "":
                        cells[(row_number, first_column + offset + 1)] = GridCell(value)
            merged = [(first[0] + 1, first[1] + 1, last[0] + 1, last[1] + 1)
                      for first, last in (sheet.merged_cell_ranges or [])]
            grids.append(Grid(name, cells, merged))
    except Exception as error:  # calamine raises its own kinds on damaged files; all mean the same to a clerk
        raise Unreadable(make_finding("not_a_workbook", reason=f"{FOREIGN_KINDS[kind]} 文件已损坏（{type(error).__name__}）")) from None
    return grids


def read_foreign(data: bytes, kind: str) -> LabelReadResult:
    read = read_by_labels(grids_from_calamine(data, kind))
    read.findings.insert(1, make_finding("rebuilt_from_foreign_format", format=FOREIGN_KINDS[kind]))
    return read


def rebuild_and_mark_up(read: LabelReadResult, report: Report) -> bytes:
    """A fresh template holding the values read, marked up with the report's findings moved onto its cells."""
    from selfscore.markup import mark_up

    workbook = build_template(read.table)
    moved: dict[tuple[str, str], CellRef] = {}
    for name, ref in read.cells.items():
        target = cell_of(workbook, name)
        raw = read.raw.get(name)
        if raw is not None:
            target.value = raw
            if isinstance(raw, str):
                target.data_type = "s"  # never a formula, whatever the text starts with
        moved.setdefault((ref.sheet, ref.cell), CellRef(target.parent.title, target.coordinate))

    def template_cell(name: str) -> CellRef:
        target = cell_of(workbook, name)
        return CellRef(target.parent.title, target.coordinate)

    def move(finding: Finding) -> Finding:
        target = moved.get((finding.sheet or "", finding.cell or ""))
        if finding.code == "points_mismatch":
            row_of = template_cell(score_name(finding.indicator) if finding.indicator else SCORE_TOTAL)
            target = CellRef(row_of.sheet, _POINTS_COLUMN + row_of.cell.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        elif target is None and finding.indicator:
            target = template_cell(score_name(finding.indicator))
        elif target is None and finding.input:
            target = template_cell(input_name(finding.input))
        return replace(finding, sheet=target.sheet if target else None, cell=target.cell if target else None)

    indicators = []
    for result in report.indicators:
        target = template_cell(score_name(result.id))
        indicators.append(replace(result, sheet=target.sheet, cell=target.cell))
    return mark_up(workbook, replace(report, findings=[move(finding) for finding in report.findings], indicators=indicators))
