"""The marked-up copy of an .xls/.ods workbook: a fresh template holding the values read, with the marks.

openpyxl cannot write these formats, so the filler's own file cannot carry the marks. The copy is
therefore our template (with its defined names, so it can be checked again as it is) filled with the
values as they stood in the source, every finding on the template's cell of the same meaning, and a
note saying so.
"""

from __future__ import annotations

from dataclasses import replace

from selfscore.read.labels import LabelReadResult
from selfscore.read.result import CellRef
from selfscore.results.findings import Finding
from selfscore.results.report import Report
from selfscore.tables.names import SCORE_TOTAL, input_name, score_name
from selfscore.write.filling import cell_of
from selfscore.write.markup import mark_up
from selfscore.write.template import build_template

#: the template's column of 分值 on the score sheet, where a tampered 分值 is shown
_POINTS_COLUMN = "D"


def rebuild_and_mark_up(read: LabelReadResult, report: Report) -> bytes:
    """A fresh template holding the values read, marked up with the report's findings moved onto its cells."""
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
    if read.raw.get(SCORE_TOTAL) is None:  # the values as they stood: no 合计 in the source, none summed here
        cell_of(workbook, SCORE_TOTAL).value = None

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
