"""Fuzzing the reader: any value of any type in any cell is read or reported on its cell, never raises, never lost."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from selfscore.checking import check_and_mark_up
from selfscore.read.by_names import ERROR_VALUES, identify, open_workbook, read_values
from selfscore.tables.definitions import get_table
from selfscore.tables.names import META_UNIT, META_YEAR, SCORE_TOTAL, input_name, score_name
from selfscore.write.filling import fill_template, to_bytes
from support import harness
from support.helpers import TABLE_IDS

#: text a person (or a broken program) may leave in a cell; openpyxl refuses raw control characters,
#: so those come as Excel writes them: _x0007_
texts = st.one_of(
    st.text(max_size=40).map(lambda text: ILLEGAL_CHARACTERS_RE.sub("", text)),
    st.sampled_from(["是", "否", " 是 ", "√", "×", "Y", "n", "TRUE", "有", "两项", "282套", "２８２", "95,100", "85%", "0.85",
                     "463.58万元", "10分", "1e5", "-0", "+3", ".5", "1,2,3", "_x0007_是", "是_x001F_", "NaN", "inf"]),
    st.sampled_from(sorted(ERROR_VALUES)),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", '=HYPERLINK("http://example.invalid","点我")', "=1/0", "=#REF!"]),
    st.integers(min_value=0, max_value=5).map(lambda n: "9" * (10 ** n)),  # up to 100 000 characters
)
values = st.one_of(
    st.none(),
    texts,
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=False, allow_infinity=False, places=3, min_value=-10**9, max_value=10**9).map(float),
    st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2100, 1, 1)),
    st.datetimes(min_value=dt.datetime(1900, 3, 1), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
)


@st.composite
def filled(draw):
    """A table and what a person typed into its cells (the workbook is made in the test: its repr is too long)."""
    table = get_table(draw(st.sampled_from(TABLE_IDS)))
    facts = {definition.id: draw(values) for definition in table.inputs}
    scores = {indicator.id: draw(values) for indicator in table.indicators}
    others = {"total": draw(values), "unit": draw(values), "year": draw(values)}
    return table.id, facts, scores, others


def workbook_bytes(case) -> tuple:
    table_id, facts, scores, others = case
    table = get_table(table_id)
    return table, to_bytes(fill_template(table, facts, scores, **others))


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@given(filled())
@FUZZ
def test_every_value_is_read_in_normal_form_or_reported_on_its_cell(case):
    table, data = workbook_bytes(case)
    workbook = open_workbook(data)
    found_table, version, _ = identify(workbook)
    read = read_values(workbook, found_table, version, data)
    errors = {f.cell for f in read.findings if f.severity == "error"}
    notes = {f.cell for f in read.findings if f.severity == "info"}
    for name in [META_UNIT, META_YEAR, SCORE_TOTAL] + [input_name(d.id) for d in table.inputs] + \
            [score_name(i.id) for i in table.indicators]:
        ref = read.cells[name]
        value = read.values[name]
        raw = workbook[ref.sheet][ref.cell].value
        if ref.cell in errors and name in read.flagged:
            assert value is None
            continue
        assert name not in read.flagged, (name, raw)
        if raw is None or (isinstance(raw, str) and not raw.strip()):  # blank, or only spaces: nothing typed
            assert value is None
        elif name == META_UNIT:
            assert isinstance(value, str)
        elif name == META_YEAR:
            assert isinstance(value, int) and 1990 <= value <= 2100
        elif name.startswith("in_") and table.inputs_by_id[name[3:]].type == "yes_no":
            assert isinstance(value, bool)
            assert isinstance(raw, bool) or raw.strip() in ("是", "否") or ref.cell in notes
        elif name == SCORE_TOTAL and raw == f"=SUM(F5:F{int(ref.cell[1:]) - 1})":
            # the template's own 合计, left in place: computed as Excel's SUM, over the scores that are numbers
            scores = [workbook[ref.sheet][read.cells[score_name(i.id)].cell].value for i in table.indicators]
            numbers = [s for s in scores if isinstance(s, int | float) and not isinstance(s, bool) and math.isfinite(s)]
            assert value == sum((Decimal(repr(s)) if isinstance(s, float) else Decimal(s) for s in numbers), Decimal(0))
        else:
            assert isinstance(value, Decimal) and value.is_finite() and abs(value) < 10**15
            assert not isinstance(raw, str) or ref.cell in notes  # text read as a number always says so


@given(filled())
@FUZZ
def test_the_marked_up_copy_keeps_every_original_cell(case):
    _, data = workbook_bytes(case)
    report, marked = check_and_mark_up(data, name="x.xlsx")
    assert report.status in ("ok", "review", "errors"), report.findings[:1]
    assert marked is not None
    harness.assert_preserved(data, marked)
