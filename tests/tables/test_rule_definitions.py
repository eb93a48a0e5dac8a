"""Each rule kind as a definition file states it: what is parsed from it, and the mistakes it refuses by file and key."""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from selfscore.tables.definitions import DefinitionError, load_definition
from selfscore.tables.rules.below_target import BelowTarget
from selfscore.tables.rules.checklist import Checklist
from selfscore.tables.rules.deduction import Deduction
from selfscore.tables.rules.per_count import PerCount


def fresh(repo: Path, table_id: str, tmp_path: Path, old: str | None = None, new: str = ""):
    """A definition read from a copy of the shipped file (not the cached tables), optionally edited."""
    target = tmp_path / f"{table_id}.toml"
    shutil.copy(repo / "schemas" / f"{table_id}.toml", target)
    if old is not None:
        text = target.read_text(encoding="utf-8")
        assert old in text
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_definition(target)


def test_a_rate_on_a_percent_input_is_read_with_its_label_target_step_and_per(repo, tmp_path):
    # 「满意度指标达到80%以上的（5分）；低于80%的，每低一个百分点扣1分，…每一次扣1分」
    satisfaction = fresh(repo, "shantytown", tmp_path).indicators_by_id["satisfaction"]
    (part,) = satisfaction.parts
    assert isinstance(part, Deduction) and part.points == 5 and part.zero_if is None and part.judgement_unless is None
    rate, petitions = part.terms
    assert isinstance(rate, BelowTarget)
    assert (rate.rate.label, rate.target, rate.step, rate.per) == ("满意度", 80, 1, 1)
    assert (rate.rate.value.id, rate.rate.numerator, rate.rate.denominator) == ("satisfaction_pct", None, None)
    assert isinstance(petitions, PerCount) and (petitions.count.id, petitions.per) == ("untimely_petitions", 1)
    assert satisfaction.inputs == ("satisfaction_pct", "untimely_petitions")
    assert satisfaction.depends_on_reading() is True


def test_a_ratio_of_two_inputs_is_read_numerator_first(repo, tmp_path):
    # 「社会筹资占改造项目资金比例20%及以上的(5分)，未达到目标的，每低四个百分点扣1分」
    raising = fresh(repo, "old_communities", tmp_path).indicators_by_id["funds_raising"]
    checklist, deduction = raising.parts
    assert isinstance(checklist, Checklist) and [(i.id, p) for i, p in checklist.items] == [("local_funds_arranged", 5)]
    (rate,) = deduction.terms
    assert (rate.rate.label, rate.target, rate.step, rate.per) == ("社会筹资占比", 20, 4, 1)
    assert (rate.rate.value, rate.rate.numerator.id, rate.rate.denominator.id) == (None, "social_funds", "project_funds_total")
    assert rate.inputs == ("social_funds", "project_funds_total")
    values = {"local_funds_arranged": True, "social_funds": Decimal(16), "project_funds_total": Decimal(100)}
    assert raising.score(values, "ceil").high == 9   # 16 %: one step of 4 points under 20 %


def test_switches_and_counts_are_read(repo, tmp_path):
    table = fresh(repo, "shantytown", tmp_path)
    use = table.indicators_by_id["funds_use"].parts[1]
    assert (use.zero_if.id, use.judgement_unless) == ("severe_violation", None)
    assert [(t.count.id, t.per) for t in use.terms] == [("violations", Fraction(1, 2))]
    report = table.indicators_by_id["report_submission"].parts[0]
    assert (report.zero_if, report.judgement_unless.id) == (None, "report_complete")
    assert report.inputs == ("report_days_late", "report_complete")
    assert table.indicators_by_id["policy_disclosure"].depends_on_reading() is False
    assert table.indicators_by_id["funds_allocation"].depends_on_reading() is False


def test_a_count_may_be_a_number_input(repo, tmp_path):
    table = fresh(repo, "old_communities", tmp_path, 'input = "quality_issues", per = 1 },',
                  'input = "quality_issues", per = 1 },\n    { kind = "per_count", input = "area_actual", per = 1 },')
    values = {"quality_issues": Decimal(0), "area_actual": Decimal("2.5")}
    assert table.indicators_by_id["project_quality"].score(values, "ceil").high == Fraction(15, 2)


@pytest.mark.parametrize(("old", "new", "expected"), [
    # a count must be a number
    ('input = "quality_issues", per = 1', 'input = "report_complete", per = 1',
     "terms[0].input：数据 'report_complete' 的类型是 yes_no，此处应为 integer 或 number"),
    # a rate input must be a percentage
    ('input = "satisfaction_pct", target = 80', 'input = "untimely_petitions", target = 80',
     "terms[0].input：数据 'untimely_petitions' 的类型是 integer，此处应为 percent"),
    ('ratio = ["starts_actual", "starts_planned"]', 'ratio = ["starts_actual", "report_complete"]',
     "ratio.denominator：数据 'report_complete' 的类型是 yes_no，此处应为 integer 或 number"),
    ('ratio = ["starts_actual", "starts_planned"]', 'ratio = ["starts_actual"]', "ratio：应为 [分子, 分母] 两项数据的 id"),
    ('ratio = ["starts_actual", "starts_planned"]', 'ratio = ["starts_actual", "starts_planned"], input = "satisfaction_pct"',
     "input 与 ratio 只能写一个"),
    ('target = 100, step = 1, per = 1 },\n  ] },\n]\n\n[[groups.indicators]]\nid = "subsidy_completion"',
     'target = 100, step = 0, per = 1 },\n  ] },\n]\n\n[[groups.indicators]]\nid = "subsidy_completion"', "step：须大于 0"),
    ('per = 0.5 },\n  ] },\n]\n\n[[groups]]', 'per = -0.5 },\n  ] },\n]\n\n[[groups]]', "per：须大于 0"),
    ('{ input = "alloc_targeted", points = 1 }', '{ input = "violations", points = 1 }',
     "items[2].input：数据 'violations' 的类型是 integer，此处应为 yes_no"),
    ('zero_if = "severe_violation"', 'zero_if = "violations"', "zero_if：数据 'violations' 的类型是 integer，此处应为 yes_no"),
    ('judgement_unless = "report_complete"', 'judgement_unless = "report_days_late"',
     "judgement_unless：数据 'report_days_late' 的类型是 integer，此处应为 yes_no"),
])
def test_a_rule_that_cannot_work_names_the_file_key_and_why(repo, tmp_path, old, new, expected):
    with pytest.raises(DefinitionError) as error:
        fresh(repo, "shantytown", tmp_path, old, new)
    assert expected in str(error.value)
    assert re.match(r"shantytown\.toml 第 \d+ 行 groups\[\d\]\.indicators\[\d\]\.parts\[\d\]", str(error.value))


def test_an_empty_checklist_or_deduction_is_refused(repo, tmp_path):
    with pytest.raises(DefinitionError, match=r"items：清单（checklist）至少要有一项"):
        fresh(repo, "shantytown", tmp_path, '{ kind = "checklist", items = [{ input = "local_funds_arranged", points = 10 }] }',
              '{ kind = "checklist", items = [] }')
    with pytest.raises(DefinitionError, match=r"terms：扣分（deduction）至少要有一条扣分项"):
        fresh(repo, "shantytown", tmp_path, """{ kind = "deduction", points = 10, terms = [
    { kind = "per_count", input = "quality_issues", per = 1 },
  ] }""", '{ kind = "deduction", points = 10, terms = [] }')
