"""The reviewer's judgement of a unit (复核): review states, 复核得分 and 复核合计, the collection's own checks.

Each unit's review state; the 复核得分 of a submission's indicators and the 复核合计 they give under the table's own total
rules; and what a workbook sent through a collection's link is judged against (its tables, its units and its year)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from selfscore.collect.access import UserInfo
from selfscore.collect.times import iso, local_text
from selfscore.collect.units import same_unit
from selfscore.results.findings import Finding
from selfscore.results.report import STATUS_NAMES, TO_CONFIRM, IndicatorResult, Report
from selfscore.tables.definitions import TableDefinition, get_table_version, load_tables
from selfscore.tables.numbers import fmt, json_number

#: a unit's review state, in the order a unit moves through them (a return sends it back to 待复核 on resubmission)
STATE_NAMES: dict[str, str] = {"missing": "未提交", "pending": "待复核", "returned": "退回修改", "signed_off": "已审核"}
ACTION_NAMES: dict[str, str] = {"return": "退回修改", "sign_off": "审核通过", "reopen": "重新开放"}
#: the decision that accepts a workbook naming another unit or year, stored beside the indicators' 复核得分
IDENTITY = "_identity"
#: codes of the findings a collection adds to a submission's report (the check itself cannot know the collection)
OTHER_TABLE, OTHER_UNIT, OTHER_YEAR = "collection_other_table", "collection_other_unit", "collection_other_year"
COLLECTION_FINDINGS = (OTHER_TABLE, OTHER_UNIT, OTHER_YEAR)


def reviewer_name(user: UserInfo | None) -> str:
    """Who made a decision, as every decision row and the log of actions store it: the signed-in user, or the
    owner of the API token that called."""
    return user.name if user is not None else "API"


def state_of(latest_submission_id: int | None, last_action: tuple[str, int | None] | None) -> str:
    """A unit's review state from its latest submission and its latest action (kind, submission id)."""
    if latest_submission_id is None:
        return "missing"
    if last_action is not None and last_action[1] == latest_submission_id:
        if last_action[0] == "sign_off":
            return "signed_off"
        if last_action[0] == "return":
            return "returned"
    return "pending"


def judge_against_collection(report: Report, table_ids: list[str], year: int, unit_name: str) -> None:
    """Judge a readable report against the collection it came through, in place: a table the collection does not
    ask for is an error (never 通过); a workbook naming another unit or year needs the reviewer (需人工确认)."""
    if report.status == "unreadable":
        return
    tables = load_tables()
    titles = "」「".join(tables[table_id].title if table_id in tables else table_id for table_id in table_ids)
    if report.table and report.table not in table_ids:
        title = tables[report.table].title if report.table in tables else report.table
        report.findings.insert(0, Finding(OTHER_TABLE, "error", f"提交的是「{title}」，本次收集的是「{titles}」，"
                                                                "请下载本链接页上的模板重新填写。"))
        report.status = "errors"
        return
    if report.year is not None and report.year != year:
        report.findings.insert(0, Finding(OTHER_YEAR, "warning", f"工作簿中的评价年度是 {report.year}，本次收集的年度是 "
                                                                 f"{year}：需复核人员确认是否接受。", value=str(report.year)))
    if report.unit and not same_unit(report.unit, unit_name):
        report.findings.insert(0, Finding(OTHER_UNIT, "warning", f"工作簿中填写的单位是「{report.unit}」，与链接所属的单位"
                                                                 f"「{unit_name}」不同：需复核人员确认是否接受。", value=report.unit))
    if report.status == "ok" and any(f.code in (OTHER_UNIT, OTHER_YEAR) for f in report.findings):
        report.status = "review"


def identity_questions(report: Report) -> list[str]:
    """The messages of a report's other-unit / other-year findings: what accepting the workbook accepts."""
    return [finding.message for finding in report.findings if finding.code in (OTHER_UNIT, OTHER_YEAR)]


@dataclass(frozen=True)
class Decision:
    indicator_id: str
    score: Fraction | None
    reason: str
    decided_by: str
    decided_at: datetime

    @property
    def score_text(self) -> str:
        return "" if self.score is None else fmt(self.score)

    @property
    def decided_text(self) -> str:
        return local_text(self.decided_at)

    def to_dict(self) -> dict[str, Any]:
        return {"indicator": self.indicator_id, "score": json_number(self.score), "reason": self.reason,
                "decided_by": self.decided_by, "decided_at": iso(self.decided_at)}


@dataclass(frozen=True)
class Action:
    kind: str
    submission_id: int | None
    note: str
    decided_by: str
    decided_at: datetime

    @property
    def name(self) -> str:
        return ACTION_NAMES.get(self.kind, self.kind)

    @property
    def decided_text(self) -> str:
        return local_text(self.decided_at)

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.kind, "name": self.name, "submission_id": self.submission_id, "note": self.note,
                "decided_by": self.decided_by, "decided_at": iso(self.decided_at)}


def to_decide(item: IndicatorResult) -> bool:
    """An indicator the reviewer must score themselves: 需人工确认 (the criterion gives no figure, another step reading)
    or one the check could not compute."""
    return item.status in TO_CONFIRM or item.recomputed is None


def allowed_range(item: IndicatorResult) -> tuple[Fraction, Fraction]:
    """The 复核得分 a reviewer may give: the range the criterion leaves when it gives one, else 0 to the points."""
    if item.range is not None and to_decide(item):
        return item.range
    return Fraction(0), item.max


def parse_score(text: str, item: IndicatorResult) -> Fraction:
    """A 复核得分 as typed, checked against the allowed range; :class:`ValueError` with the Chinese message otherwise."""
    low, high = allowed_range(item)
    where = f"「{item.name}」的复核得分"
    try:
        number = Decimal(text.strip().replace("，", "").replace(",", ""))
    except InvalidOperation:
        raise ValueError(f"{where}「{text.strip()}」不是数字：请填写 {fmt(low)}～{fmt(high)} 之间的分数，如 {fmt(high)}。") from None
    if not number.is_finite():
        raise ValueError(f"{where}「{text.strip()}」不是数字：请填写 {fmt(low)}～{fmt(high)} 之间的分数。")
    score = Fraction(number)
    if not low <= score <= high:
        raise ValueError(f"{where} {fmt(score)} 超出允许的范围：应在 {fmt(low)}～{fmt(high)} 分之间。")
    return score


@dataclass(frozen=True)
class IndicatorReview:
    """One indicator of a submission as the review page shows it."""

    item: IndicatorResult
    decision: Decision | None

    @property
    def to_decide(self) -> bool:
        return to_decide(self.item)

    @property
    def decided(self) -> bool:
        return self.decision is not None and self.decision.score is not None

    @property
    def status_name(self) -> str:
        return STATUS_NAMES.get(self.item.status, self.item.status)

    @property
    def range_text(self) -> str:
        low, high = allowed_range(self.item)
        return f"{fmt(low)}～{fmt(high)}"

    @property
    def review_score(self) -> Fraction | None:
        """The 复核得分: the reviewer's, else the recomputed score (None: still to be decided)."""
        return self.decision.score if self.decided else self.item.recomputed  # type: ignore[union-attr]

    @property
    def review_text(self) -> str:
        score = self.review_score
        return "待复核" if score is None else fmt(score)

    @property
    def reason(self) -> str:
        """扣分原因: the reviewer's reason, else the computation."""
        if self.decided and self.decision.reason:  # type: ignore[union-attr]
            return self.decision.reason  # type: ignore[union-attr]
        return self.item.explanation

    def to_dict(self) -> dict[str, Any]:
        return {"indicator": self.item.id, "name": self.item.name, "max": json_number(self.item.max),
                "self": json_number(self.item.self_score), "recomputed": json_number(self.item.recomputed),
                "status": self.item.status, "to_decide": self.to_decide, "allowed": [json_number(b) for b in allowed_range(self.item)],
                "review": json_number(self.review_score), "reason": self.reason,
                "decision": self.decision.to_dict() if self.decision else None}


@dataclass(frozen=True)
class SubmissionReview:
    """Every indicator of one submission with the reviewer's decisions, the 复核合计, and what still blocks sign-off."""

    report: Report
    items: list[IndicatorReview]
    identity: list[str]
    identity_decision: Decision | None
    total: Fraction | None
    total_explanation: str

    @property
    def total_text(self) -> str:
        return "待复核" if self.total is None else fmt(self.total)

    @property
    def identity_accepted(self) -> bool:
        return self.identity_decision is not None and bool(self.identity_decision.reason)

    @property
    def blockers(self) -> list[str]:
        """Why the unit cannot be signed off as it stands, in Chinese; empty when it can."""
        found = []
        if self.report.status == "unreadable":
            found.append("最新提交的文件无法读取")
        elif self.report.errors:
            found.append(f"最新提交有 {self.report.errors} 个错误")
        undecided = [item.item.name for item in self.items if item.to_decide and not item.decided]
        if undecided:
            found.append(f"{len(undecided)} 个需人工确认的指标尚未填写复核得分（{'、'.join(undecided)}）")
        if self.identity and not self.identity_accepted:
            found.append("工作簿中的单位或年度与本次收集不同，尚未确认接受")
        return found

    def to_dict(self) -> dict[str, Any]:
        return {"indicators": [item.to_dict() for item in self.items], "review_total": json_number(self.total),
                "review_total_explanation": self.total_explanation, "identity_questions": self.identity,
                "identity_accepted": self.identity_accepted, "blockers": self.blockers}


def table_of(report: Report) -> TableDefinition | None:
    if report.table is None:
        return None
    if report.template_version is not None:
        found = get_table_version(report.table, report.template_version)
        if found is not None:
            return found
    return load_tables().get(report.table)


def submission_review(report: Report, decisions: dict[str, Decision]) -> SubmissionReview:
    """The review of one submission: each indicator's 复核得分 and the 复核合计 by the table's own total rules."""
    items = [IndicatorReview(item, decisions.get(item.id)) for item in report.indicators]
    total, explanation = review_total(report, items)
    return SubmissionReview(report, items, identity_questions(report), decisions.get(IDENTITY), total, explanation)


def review_total(report: Report, items: list[IndicatorReview]) -> tuple[Fraction | None, str]:
    """The 复核合计: bonuses added, penalties taken off, the cap and a veto applied as the table says; None (with why)
    while a score is still to be decided or the veto is unanswered."""
    table = table_of(report)
    if table is None or report.status == "unreadable" or not items:
        return None, "无法计算：工作簿未能读取"
    if report.total_explanation.startswith("一票否决"):
        return Fraction(0), report.total_explanation
    scores = {item.item.id: item.review_score for item in items}
    missing = [item.item.name for item in items if item.review_score is None]
    if missing:
        return None, f"待复核：{'、'.join(missing)}"
    if set(scores) != {indicator.id for indicator in table.indicators}:
        return None, "无法计算：指标与表格定义不一致"
    if table.vetoes and report.recomputed_total is None and report.recomputed_range is None and all(
            item.item.recomputed is not None or item.item.range is not None for item in items):
        return None, "无法计算：一票否决项未填写"
    total, explanation = table.total(scores)  # type: ignore[arg-type]
    return total, explanation
