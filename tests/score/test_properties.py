"""Property tests: bounds, monotonicity and reading order of every rule; round trips through real workbooks."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import TABLE_IDS
from selfscore.checking import check_workbook
from selfscore.tables.definitions import TableDefinition, get_table
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import json_number
from selfscore.write.filling import fill_template, to_bytes

READINGS = ("ceil", "exact", "floor")


def value_strategy(definition: InputDefinition) -> st.SearchStrategy:
    if definition.type == "yes_no":
        return st.booleans()
    low = 1 if definition.min_exclusive is not None else 0
    if definition.type == "integer":
        return st.integers(low, 3000).map(Decimal)
    if definition.type == "percent":
        # 0 < x ≤ 1 is read as a fraction (0.85 → 85 %) with a note; a person typing a percent avoids it
        return st.one_of(st.just(0), st.integers(11, 1000)).map(lambda tenths: Decimal(tenths) / 10)
    return st.integers(max(low, 1) if low else 0, 10_000_000).map(lambda cents: Decimal(cents) / 100)


@st.composite
def facts(draw, table: TableDefinition) -> dict:
    values = {d.id: draw(value_strategy(d)) for d in table.inputs}
    for definition in table.inputs:  # keep cross-field rules satisfied
        if definition.at_most and values[definition.id] > values[definition.at_most]:
            values[definition.id] = values[definition.at_most]
        if definition.yes_requires and values[definition.id] and values[definition.yes_requires] < 1:
            values[definition.yes_requires] = Decimal(1)
    return values


@st.composite
def table_and_facts(draw):
    table = get_table(draw(st.sampled_from(TABLE_IDS)))
    return table, draw(facts(table))


@given(table_and_facts())
@settings(max_examples=300)
def test_scores_stay_within_points_and_floor_ge_exact_ge_ceil(case):
    table, values = case
    for indicator in table.indicators:
        ceil, exact, floor = (indicator.score(values, reading) for reading in READINGS)
        for outcome in (ceil, exact, floor):
            assert 0 <= outcome.low <= outcome.high <= indicator.points
        assert floor.high >= exact.high >= ceil.high


COUNT_INPUTS = ["violations", "undisclosed_items", "report_days_late", "quality_issues", "untimely_petitions"]


@given(table_and_facts(), st.sampled_from(COUNT_INPUTS), st.integers(1, 20))
@settings(max_examples=200)
def test_more_counted_problems_never_raise_a_score(case, input_id, extra):
    table, values = case
    worse = {**values, input_id: values[input_id] + extra}
    for indicator in table.users_of(input_id):
        for reading in READINGS:
            assert indicator.score(worse, reading).high <= indicator.score(values, reading).high


@given(table_and_facts(), st.integers(1, 100), st.sampled_from(READINGS))
@settings(max_examples=200)
def test_a_larger_shortfall_never_raises_a_score(case, percent_less, reading):
    table, values = case
    for definition in table.inputs:
        if definition.id.endswith("_actual") or definition.id in ("social_funds", "satisfaction_pct"):
            worse = {**values, definition.id: values[definition.id] * (100 - percent_less) / 100}
            for indicator in table.users_of(definition.id):
                assert indicator.score(worse, reading).high <= indicator.score(values, reading).high


def as_typed(value):
    if isinstance(value, bool):
        return "是" if value else "否"
    return int(value) if value == value.to_integral_value() else float(value)


@given(table_and_facts())
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_round_trip_fill_then_check_gives_the_same_values_and_no_findings(case):
    table, values = case
    # self-scores are what selfscore recomputes, rounded as a person would write them
    scores = {}
    for indicator in table.indicators:
        outcome = indicator.score(values, "ceil")
        scores[indicator.id] = json_number(outcome.high)
    values = {k: v for k, v in values.items()}
    if not values["report_complete"]:
        values["report_complete"] = True
        scores["report_submission"] = json_number(table.indicators_by_id["report_submission"].score(values, "ceil").high)
    total = sum(Decimal(str(s)) for s in scores.values())
    workbook = fill_template(table, {k: as_typed(v) for k, v in values.items()}, scores,
                             total=json_number(total), unit="某县", year=2021)
    report = check_workbook(to_bytes(workbook), name="x.xlsx")
    assert report.findings == []
    assert {r.status for r in report.indicators} == {"match"}
    assert json_number(report.self_total) == json_number(total)


CORRUPTIONS = ["abc", "#REF!", "１２x", "是的吧", -5]


@given(table_and_facts(), st.data())
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_one_corrupted_cell_gives_exactly_one_error_on_that_cell(case, data):
    table, values = case
    target = data.draw(st.sampled_from([d for d in table.inputs]))
    bad = data.draw(st.sampled_from([c for c in CORRUPTIONS if not (target.type == "yes_no" and c == -5)]))
    typed = {k: as_typed(v) for k, v in values.items()}
    typed[target.id] = bad
    workbook = fill_template(table, typed, {}, unit="某县", year=2021)
    report = check_workbook(to_bytes(workbook), name="x.xlsx")
    (sheet, ref), = workbook.defined_names[f"in_{target.id}"].destinations
    cell = ref.replace("$", "")
    input_errors = [f for f in report.findings if f.severity == "error" and f.sheet == "基础数据"]
    assert [(f.cell, f.input) for f in input_errors] == [(cell, target.id)]
