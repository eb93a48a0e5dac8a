"""Names shared by the template writer, the reader and the mark-up: sheets, defined names, meta keys."""

from __future__ import annotations

SCORE_SHEET = "自评表"
FACTS_SHEET = "基础数据"
GUIDE_SHEET = "填报说明"
RESULTS_SHEET = "校验结果"
#: the marked-up copy's list of findings, on its own sheet so that it prints under its own header
FINDINGS_SHEET = "问题清单"
#: where each value was found, when a workbook was read by its labels (its own sheet, its own header)
RECOGNISED_SHEET = "识别到的单元格"
#: every sheet a marked-up copy adds, removed again before it is checked again
ADDED_SHEETS = (RESULTS_SHEET, FINDINGS_SHEET, RECOGNISED_SHEET)
#: veryHidden sheet recording which table and template version a workbook is
META_SHEET = "_selfscore"
#: veryHidden sheet where a marked-up copy records its marks, so a re-check can remove them
MARKS_SHEET = "_selfscore_marks"

META_UNIT = "meta_unit"
META_YEAR = "meta_year"
SCORE_TOTAL = "score_total"


def input_name(input_id: str) -> str:
    return f"in_{input_id}"


def score_name(indicator_id: str) -> str:
    return f"score_{indicator_id}"


def total_formula(first_cell: str, last_cell: str) -> str:
    """The template's own 合计: the sum of the self-score cells, so a clerk never types (or mistypes) it."""
    return f"=SUM({first_cell}:{last_cell})"
