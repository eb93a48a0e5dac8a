"""The report model: one per checked workbook, the only thing renderers read."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from selfscore.results.findings import Finding
from selfscore.tables.numbers import fmt, json_number
from selfscore.tables.steps import DEFAULT_STEPS

Status = Literal["match", "mismatch", "rounding_reading", "review", "unknown"]
STATUS_NAMES: dict[str, str] = {
    "match": "一致",
    "mismatch": "不符",
    "rounding_reading": "口径不同",
    "review": "需人工判定",
    "unknown": "无法计算",
}
ReportStatus = Literal["ok", "review", "errors", "unreadable"]
REPORT_STATUS_NAMES: dict[str, str] = {"ok": "通过", "review": "需人工确认", "errors": "有错误", "unreadable": "无法读取"}
#: indicator statuses whose self-score a person must confirm: the criterion gives no figure, or another step reading
TO_CONFIRM: dict[str, str] = {"review": "评分标准未规定具体分值", "rounding_reading": "扣分口径不同"}
#: findings that leave the scores to a person although nothing is wrong: the facts are not in the workbook
CONFIRM_CODES = ("facts_absent",)


def report_status(findings: Sequence[Finding], indicators: Sequence[IndicatorResult]) -> ReportStatus:
    """errors when any finding is an error; review when a person must confirm a score; ok otherwise."""
    if any(finding.severity == "error" for finding in findings):
        return "errors"
    if any(result.status in TO_CONFIRM for result in indicators) or any(f.code in CONFIRM_CODES for f in findings):
        return "review"
    return "ok"


@dataclass(frozen=True)
class IndicatorResult:
    id: str
    name: str
    group: str
    max: Fraction
    self_score: Decimal | None
    recomputed: Fraction | None
    range: tuple[Fraction, Fraction] | None
    status: Status
    explanation: str
    sheet: str | None = None
    cell: str | None = None

    @property
    def recomputed_text(self) -> str:
        return recomputed_text(self.recomputed, self.range)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "max": json_number(self.max),
            "self": json_number(self.self_score),
            "recomputed": json_number(self.recomputed),
            "range": None if self.range is None else [json_number(bound) for bound in self.range],
            "status": self.status,
            "explanation": self.explanation,
        }


def recomputed_text(exact: Fraction | None, range_: tuple[Fraction, Fraction] | None) -> str:
    """A recomputed score as a person reads it: 95, 90～94, or 无法计算."""
    if exact is not None:
        return fmt(exact)
    if range_ is not None:
        return f"{fmt(range_[0])}～{fmt(range_[1])}"
    return "无法计算"


@dataclass(frozen=True)
class PreviousCheck:
    """What the last check of this (marked-up) workbook found, for a fixed / remaining / new list."""

    findings: tuple[tuple[str, str, str, str], ...]  # (code, sheet, cell, message)


@dataclass(frozen=True)
class RecognisedCell:
    """One cell the reader used, and how it found it: by its defined name or by the words beside it."""

    name: str
    what: str
    sheet: str
    cell: str
    recognised_from: Literal["defined_name", "label"]
    #: the words the cell was recognised by (the row's 二级指标, a fact's label); None for a defined name
    label: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "what": self.what, "sheet": self.sheet, "cell": self.cell,
                "recognised_from": self.recognised_from, "label": self.label}


@dataclass
class Report:
    file: str
    status: ReportStatus
    table: str | None = None
    title: str | None = None
    template_version: int | None = None
    unit: str | None = None
    year: int | None = None
    steps: str = DEFAULT_STEPS
    self_total: Decimal | None = None
    recomputed_total: Fraction | None = None
    recomputed_range: tuple[Fraction, Fraction] | None = None
    max_total: Fraction | None = None
    #: how the recomputed total was reached when it is more than a sum (bonus, penalty, cap, veto); "" otherwise
    total_explanation: str = ""
    indicators: list[IndicatorResult] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    previous: PreviousCheck | None = None
    #: every cell that was read, and whether by defined name or by label (issue 6)
    recognised: list[RecognisedCell] = field(default_factory=list)
    #: how the workbook was read when it was not our template, for the top of the results sheet
    notes: list[str] = field(default_factory=list)
    #: the sniffed file kind when it is not .xlsx (``xls``, ``ods``): the marked-up copy is then a new template
    source_format: str | None = None

    @classmethod
    def unreadable(cls, file: str, finding: Finding, steps: str = DEFAULT_STEPS) -> Report:
        """The report of a file that could not be checked: ``finding`` says why (a refusal of the file, the checker
        that failed, a check stopped at its time limit), and there is nothing else to say about it."""
        return cls(file=file, status="unreadable", steps=steps, findings=[finding])

    @property
    def recomputed_total_text(self) -> str:
        return recomputed_text(self.recomputed_total, self.recomputed_range)

    def count(self, severity: str) -> int:
        return sum(1 for finding in self.findings if finding.severity == severity)

    def to_confirm(self) -> list[str]:
        """What a person must confirm, in words: each indicator with why, or that the facts are missing."""
        items = [f"「{r.name}」（{TO_CONFIRM[r.status]}）" for r in self.indicators if r.status in TO_CONFIRM]
        if any(f.code in CONFIRM_CODES for f in self.findings):
            items.append("各指标得分（工作簿中没有基础数据，无法重新计算）")
        return items

    @property
    def errors(self) -> int:
        return self.count("error")

    @property
    def warnings(self) -> int:
        return self.count("warning")

    def as_tuples(self, *fields: str) -> list[tuple[Any, ...]]:
        """A compact projection of the findings for tests: report.as_tuples("code", "cell")."""
        return [tuple(getattr(finding, name) for name in fields) for finding in self.findings]

    def indicator(self, indicator_id: str) -> IndicatorResult:
        return next(result for result in self.indicators if result.id == indicator_id)

    def comparison(self) -> dict[str, list[tuple[str, str, str, str]]] | None:
        """Previous findings sorted into fixed and remaining, and this check's new ones."""
        if self.previous is None:
            return None
        now = {(f.code, f.sheet or "", f.cell or ""): f for f in self.findings}
        before = {(code, sheet, cell): message for code, sheet, cell, message in self.previous.findings}
        return {
            "fixed": [(*key, message) for key, message in before.items() if key not in now],
            "remaining": [(*key, now[key].message) for key in before if key in now],
            "new": [(*key, f.message) for key, f in now.items() if key not in before],
        }

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "file": self.file,
            "table": self.table,
            "title": self.title,
            "template_version": self.template_version,
            "unit": self.unit,
            "year": self.year,
            "status": self.status,
            "step_reading": self.steps,
            "totals": {
                "self": json_number(self.self_total),
                "recomputed": json_number(self.recomputed_total),
                "recomputed_range": None
                if self.recomputed_range is None
                else [json_number(bound) for bound in self.recomputed_range],
                "max": json_number(self.max_total),
                "explanation": self.total_explanation,
            },
            "counts": {"error": self.errors, "warning": self.warnings, "info": self.count("info")},
            "indicators": [result.to_dict() for result in self.indicators],
            "findings": [finding.to_dict() for finding in self.findings],
        }
        data["recognised"] = [cell.to_dict() for cell in self.recognised]
        data["notes"] = list(self.notes)
        data["source_format"] = self.source_format
        comparison = self.comparison()
        if comparison is not None:
            data["previous_check"] = {
                key: [{"code": c, "sheet": s, "cell": cell, "message": m} for c, s, cell, m in rows]
                for key, rows in comparison.items()
            }
        return data


def duplicate_groups(reports: Sequence[Report]) -> list[list[int]]:
    """Indices of reports that are the same submission (same unit, year and table), in groups of two or more."""
    groups: dict[tuple[str, int, str], list[int]] = {}
    for index, report in enumerate(reports):
        if report.status != "unreadable" and report.unit and report.year and report.table:
            groups.setdefault((report.unit.strip(), report.year, report.table), []).append(index)
    return [indices for indices in groups.values() if len(indices) > 1]
