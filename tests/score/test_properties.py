"""Property tests: bounds, monotonicity and reading order of every rule; round trips through real workbooks."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selfscore.checking import check_workbook
from selfscore.tables.definitions import TableDefinition, get_table
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import json_number
from selfscore.write.filling import fill_template, to_bytes
from support.criteria import as_person_writes, expected_score, raw_indicators
from support.helpers import PROPERTY_EXAMPLES, TABLE_IDS

READINGS = ("ceil", "exact", "floor")


def value_strategy(definition: InputDefinition) -> st.SearchStrategy:
    if definition.type == "yes_no":
        return st.booleans()
    low = 1 if definition.min_exclusive is not None else 0
    if definition.type == "integer":
        return st.one_of(st.integers(low, 3), st.integers(low, 3000)).map(Decimal)
    if definition.type == "percent":
        # 0 < x ≤ 1 is read as a fraction (0.85 → 85 %) with a note; a person typing a percent avoids it
        return st.one_of(st.just(0), st.integers(11, 1000)).map(lambda tenths: Decimal(tenths) / 10)
    return st.integers(max(low, 1) if low else 0, 10_000_000).map(lambda cents: Decimal(cents) / 100)


def _below_target_terms(table: TableDefinition) -> list[dict]:
    """The definition's rate rules, raw: where the thresholds are that the strategies aim at."""
    return [term for indicator in raw_indicators(table).values() for part in indicator["parts"]
            for term in part.get("terms", []) if term["kind"] == "below_target"]


#: offsets from a threshold, in percentage points: exactly on it, a hair either side, a few steps under
NEAR = st.one_of(
    st.sampled_from(["0", "-0.000001", "0.000001", "-0.001", "0.001", "-0.5", "-1", "-4", "-4.000001", "-3.999999"]).map(Decimal),
    st.integers(-6000, 300).map(lambda thousandths: Decimal(thousandths) / 1000),   # −6 … +0.3 points, by 0.001
    st.integers(-25, 2).map(Decimal),
)


def _near_rate(draw, definition: InputDefinition, term: dict) -> Decimal:
    value = Decimal(str(term["target"])) + draw(NEAR)
    value = min(max(value, Decimal(0)), Decimal(definition.max) if definition.max is not None else value)
    return Decimal(0) if 0 < value <= 1 else value  # (0, 1] would be read as a fraction; see test_edges


def _near_ratio(draw, table: TableDefinition, term: dict, values: dict) -> None:
    numerator, denominator = (table.inputs_by_id[key] for key in term["ratio"])
    low = 1 if denominator.min_exclusive is not None else 0
    planned = draw(st.one_of(st.integers(low, 3), st.integers(max(low, 1), 1000), st.integers(max(low, 1), 200_000)))
    share = (Decimal(str(term["target"])) + draw(NEAR)) / 100
    actual = max(Decimal(0), Decimal(planned) * share)
    if numerator.type == "integer":
        actual = Decimal(int(actual)) + draw(st.sampled_from([0, 0, 1, -1]))
    else:
        actual = actual.quantize(Decimal("0.0001"))
    values[denominator.id], values[numerator.id] = Decimal(planned), max(Decimal(0), actual)


@st.composite
def facts(draw, table: TableDefinition) -> dict:
    values = {d.id: draw(value_strategy(d)) for d in table.inputs}
    for term in _below_target_terms(table):  # aim the rates at their thresholds and neighbours
        if draw(st.integers(0, 3)) == 0:
            continue  # and now and then anywhere at all
        if "input" in term:
            values[term["input"]] = _near_rate(draw, table.inputs_by_id[term["input"]], term)
        else:
            _near_ratio(draw, table, term, values)
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


def test_the_strategies_reach_the_thresholds_and_their_neighbours():
    """In 300 draws: satisfaction 75–80 % and completion 90–100 % many times, and exactly on a threshold."""
    seen = {"satisfaction 75-80": 0, "completion 90-100": 0, "on a threshold": 0, "plan of 0": 0}

    @given(table_and_facts())
    @settings(max_examples=300, database=None, deadline=None)
    def draw_one(case):
        table, values = case
        for term in _below_target_terms(table):
            target = Decimal(str(term["target"]))
            if "input" in term:
                rate = values[term["input"]]
            elif values[term["ratio"][1]] == 0:
                seen["plan of 0"] += 1
                continue
            else:
                rate = values[term["ratio"][0]] * 100 / values[term["ratio"][1]]
            seen["satisfaction 75-80"] += "input" in term and 75 <= rate < 80
            seen["completion 90-100"] += target == 100 and 90 <= rate < 100
            seen["on a threshold"] += rate == target

    draw_one()
    assert all(count >= 15 for count in seen.values()), seen


@given(table_and_facts(), st.sampled_from(READINGS))
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
def test_every_score_is_what_the_criterion_arithmetic_gives(case, reading):
    table, values = case
    raw = raw_indicators(table)
    for indicator in table.indicators:
        outcome = indicator.score(values, reading)
        expected = expected_score(raw[indicator.id], values, reading)
        assert (outcome.low, outcome.high, outcome.high_excluded) == (expected.low, expected.high, expected.high_excluded), \
            (indicator.id, outcome.text)
        assert outcome.judged == (expected.low != expected.high or expected.high_excluded)


@given(table_and_facts())
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
def test_scores_stay_within_points_and_floor_ge_exact_ge_ceil(case):
    table, values = case
    for indicator in table.indicators:
        ceil, exact, floor = (indicator.score(values, reading) for reading in READINGS)
        for outcome in (ceil, exact, floor):
            assert 0 <= outcome.low <= outcome.high <= indicator.points
        assert floor.high >= exact.high >= ceil.high


COUNT_INPUTS = ["violations", "undisclosed_items", "report_days_late", "quality_issues", "untimely_petitions"]


@given(table_and_facts(), st.sampled_from(COUNT_INPUTS), st.integers(1, 20))
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
def test_more_counted_problems_never_raise_a_score(case, input_id, extra):
    table, values = case
    worse = {**values, input_id: values[input_id] + extra}
    for indicator in table.users_of(input_id):
        for reading in READINGS:
            assert indicator.score(worse, reading).high <= indicator.score(values, reading).high


@given(table_and_facts(), st.integers(1, 100), st.sampled_from(READINGS))
@settings(max_examples=PROPERTY_EXAMPLES, deadline=None)
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
    # self-scores from the criterion arithmetic (not from the scorer), rounded as a person writes them
    values = {**values, "report_complete": True} if "report_complete" in values else dict(values)
    raw = raw_indicators(table)
    scores = {indicator.id: float(as_person_writes(expected_score(raw[indicator.id], values, "ceil").high))
              for indicator in table.indicators}
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
