"""Names shared by the template writer, the reader and the mark-up: sheets, defined names, meta keys."""

from __future__ import annotations

SCORE_SHEET = "自评表"
FACTS_SHEET = "基础数据"
GUIDE_SHEET = "填报说明"
RESULTS_SHEET = "校验结果"
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
