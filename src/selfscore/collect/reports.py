"""A stored report's JSON back into a Report, for the summary workbook and the result page of a stored submission."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

from selfscore.results.findings import Finding
from selfscore.results.report import IndicatorResult, PreviousCheck, RecognisedCell, Report
from selfscore.tables.steps import DEFAULT_STEPS

#: a submission's verdict as the collection page names it; None is a unit that has not submitted yet
VERDICT_NAMES: dict[str | None, str] = {
    None: "未提交", "ok": "通过", "review": "需人工确认", "errors": "有错误", "unreadable": "无法读取",
}


def _fraction(value: Any) -> Fraction | None:
    return None if value is None else Fraction(str(value))


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(data["code"], data["severity"], data["message"], data.get("sheet"), data.get("cell"),
                   data.get("indicator"), data.get("input"), data.get("value"))


def report_from_dict(data: dict[str, Any]) -> Report:
    """The Report a stored ``Report.to_dict()`` came from, as far as JSON keeps it (scores to two decimals)."""
    totals = data.get("totals") or {}
    recomputed_range = totals.get("recomputed_range")
    indicators = [
        IndicatorResult(id=item["id"], name=item["name"], group="", max=_fraction(item["max"]) or Fraction(0),
                        self_score=_decimal(item.get("self")), recomputed=_fraction(item.get("recomputed")),
                        range=None if item.get("range") is None else (_fraction(item["range"][0]), _fraction(item["range"][1])),
                        status=item["status"], explanation=item.get("explanation", ""))
        for item in data.get("indicators", [])
    ]
    previous = data.get("previous_check")
    report = Report(
        file=data["file"], status=data["status"], table=data.get("table"), title=data.get("title"),
        template_version=data.get("template_version"), unit=data.get("unit"), year=data.get("year"),
        steps=data.get("step_reading", DEFAULT_STEPS), self_total=_decimal(totals.get("self")),
        recomputed_total=_fraction(totals.get("recomputed")),
        recomputed_range=None if recomputed_range is None else (_fraction(recomputed_range[0]), _fraction(recomputed_range[1])),
        max_total=_fraction(totals.get("max")), total_explanation=totals.get("explanation", ""), indicators=indicators,
        findings=[_finding(item) for item in data.get("findings", [])],
        recognised=[RecognisedCell(**item) for item in data.get("recognised", [])],
        notes=list(data.get("notes", [])), source_format=data.get("source_format"),
    )
    if previous is not None:
        # Fixed and remaining were the previous check's findings: enough to rebuild the comparison as it was.
        report.previous = PreviousCheck(tuple((item["code"], item["sheet"] or "", item["cell"] or "", item["message"])
                                              for key in ("fixed", "remaining") for item in previous[key]))
    return report


def previous_check(report_json: dict[str, Any]) -> PreviousCheck:
    """A stored submission's findings as the "previous check" of the next submission of the same unit."""
    return PreviousCheck(tuple((item["code"], item.get("sheet") or "", item.get("cell") or "", item["message"])
                               for item in report_json.get("findings", [])))
