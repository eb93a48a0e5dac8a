"""Validation with pandera: schemas built from the definitions, failures mapped back to cells."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pandera.pandas as pa

from selfscore.read.by_names import describe, expectation, place_of
from selfscore.read.result import ReadResult
from selfscore.results.findings import Finding, make_finding
from selfscore.tables.definitions import TableDefinition
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.names import META_UNIT, META_YEAR, SCORE_TOTAL, input_name, score_name
from selfscore.tables.numbers import fmt


def _load_checks_without_hypothesis() -> None:
    """Import pandera's built-in checks now, keeping hypothesis out of them when nothing has imported it yet.

    pandera imports its built-in checks on the first validation, and with them its data-synthesis strategies, which
    import hypothesis whenever it is installed (≈ 0.1 s; it is installed for the tests, never by a user's install).
    Validation never synthesises data, so the strategies are loaded as pandera loads them where hypothesis is absent.
    A process that has already imported hypothesis (the tests) keeps it as it is.
    """
    if "hypothesis" in sys.modules:
        import pandera.backends.pandas.builtin_checks  # noqa: F401
        return
    sys.modules["hypothesis"] = None  # type: ignore[assignment]  # an import of it fails: pandera goes without
    try:
        import pandera.backends.pandas.builtin_checks  # noqa: F401
    finally:
        del sys.modules["hypothesis"]


_load_checks_without_hypothesis()

#: A check's name is "<finding code>|<the name of the cell it reports on>|<other cell names…>"
SEP = "|"


def _check(test: Callable[[pd.Series], pd.Series], code: str, *names: str) -> pa.Check:
    return pa.Check(test, name=SEP.join((code, *names)))


def _input_checks(definition: InputDefinition) -> list[pa.Check]:
    name = input_name(definition.id)
    checks = []
    if definition.type == "integer":
        checks.append(_check(lambda s: s.map(lambda v: v == v.to_integral_value()), "value_not_integer", name))
    if definition.min is not None:
        checks.append(_check(lambda s, low=definition.min: s >= low, "value_below_min", name))
    if definition.min_exclusive is not None:
        checks.append(_check(lambda s, low=definition.min_exclusive: s > low, "value_below_min", name))
    if definition.max is not None:
        checks.append(_check(lambda s, high=definition.max: s <= high, "value_above_max", name))
    if definition.type == "choice":
        checks.append(_check(lambda s, options=definition.options: s.isin(options), "value_not_choice", name))
    return checks


def _pairwise(first: str, second: str, broken: Callable[[object, object], bool]) -> Callable[[pd.DataFrame], pd.Series]:
    """A frame check on two cells that passes whenever either is blank (blank is reported on its own)."""

    def test(frame: pd.DataFrame) -> pd.Series:
        return pd.Series(
            [not (a is not None and b is not None and broken(a, b)) for a, b in zip(frame[first], frame[second], strict=True)],
            index=frame.index,
        )

    return test


@functools.cache
def build_schema(table: TableDefinition) -> pa.DataFrameSchema:
    """The pandera schema of one table: a row per workbook, a column per defined name."""
    columns: dict[str, pa.Column] = {
        META_UNIT: pa.Column(object, nullable=False),
        META_YEAR: pa.Column(object, nullable=False),
    }
    frame_checks = []
    for definition in table.inputs:
        name = input_name(definition.id)
        columns[name] = pa.Column(object, nullable=False, checks=_input_checks(definition))
        if definition.at_most:
            other = input_name(definition.at_most)
            frame_checks.append(_check(_pairwise(name, other, lambda a, b: a > b), "value_exceeds_input", name, other))
        if definition.yes_requires:
            other = input_name(definition.yes_requires)
            frame_checks.append(_check(_pairwise(name, other, lambda a, b: a is True and b < 1), "yes_requires_count", name, other))
    score_names = []
    for indicator in table.indicators:
        name = score_name(indicator.id)
        score_names.append(name)
        columns[name] = pa.Column(object, nullable=False, checks=[_check(
            lambda s, high=Decimal(indicator.points.numerator) / indicator.points.denominator: (s >= 0) & (s <= high),
            "score_out_of_range", name)])
    cap = _decimal(table.cap)
    columns[SCORE_TOTAL] = pa.Column(object, nullable=False, checks=[
        _check(lambda s: s <= cap, "total_over_max", SCORE_TOTAL),
        _check(lambda s: s >= 0, "score_out_of_range", SCORE_TOTAL),
    ])

    def total_equals_sum(frame: pd.DataFrame) -> pd.Series:
        parts = frame[score_names]
        complete = parts.notna().all(axis=1) & frame[SCORE_TOTAL].notna()
        if table.adjusted:  # bonuses added, penalties taken off, the cap applied; a veto's 0 is its own finding
            sums = parts.apply(lambda row: _decimal(self_total(table, row.to_dict())[0]) if row.notna().all() else None, axis=1)
            vetoed = _vetoed_rows(table, frame)
            return ~complete | (sums == frame[SCORE_TOTAL]) | vetoed  # under a veto, total_vetoed says what the total should be
        sums = parts.apply(lambda row: sum(row.dropna(), Decimal(0)), axis=1)
        return ~complete | (sums == frame[SCORE_TOTAL])

    frame_checks.append(_check(total_equals_sum, "total_mismatch", SCORE_TOTAL))
    return pa.DataFrameSchema(columns, checks=frame_checks, coerce=False, name=table.id)


def _decimal(value: Fraction) -> Decimal:
    return Decimal(value.numerator) / Decimal(value.denominator)


def self_total(table: TableDefinition, scores: dict[str, object]) -> tuple[Fraction, str]:
    """What the 合计 should be from the self-scores (by defined name): the table's total rule, without a veto."""
    by_id = {indicator.id: Fraction(scores[score_name(indicator.id)]) for indicator in table.indicators}  # type: ignore[arg-type]
    return table.total(by_id)


def _vetoed_rows(table: TableDefinition, frame: pd.DataFrame) -> pd.Series:
    vetoed = pd.Series(False, index=frame.index)
    for veto in table.vetoes:
        vetoed |= frame[input_name(veto.input.id)].map(lambda value: value is True)
    return vetoed


def validate(read: ReadResult) -> tuple[list[Finding], set[str]]:
    """All constraint failures of one workbook in one lazy pass, and the names they make invalid."""
    return validate_many([read])[0]


def validate_many(reads: Sequence[ReadResult]) -> list[tuple[list[Finding], set[str]]]:
    """``validate`` for many workbooks, one frame (a row per workbook) per table.

    Every check looks at one row at a time, so the result for each workbook is the same as
    validating it alone; but pandera's cost is mostly per schema pass, not per row, and a batch
    pays it once per table instead of once per workbook.
    """
    results: list[tuple[list[Finding], set[str]] | None] = [None] * len(reads)
    by_table: dict[str, list[int]] = {}
    for position, read in enumerate(reads):
        by_table.setdefault(read.table.id, []).append(position)
    for positions in by_table.values():
        table_reads = [reads[position] for position in positions]
        cases = _failure_cases(table_reads)
        if cases is None:  # a check raised instead of answering: fall back to one workbook at a time
            per_row = [_validated(read, _failure_cases([read]) or {}) for read in table_reads]
        else:
            per_row = [_validated(read, cases.get(row, [])) for row, read in enumerate(table_reads)]
        for position, result in zip(positions, per_row, strict=True):
            results[position] = result
    return [result for result in results if result is not None]


def _failure_cases(reads: Sequence[ReadResult]) -> dict[int, list[tuple[str | None, list[str]]]] | None:
    """(code, names) of every failed check, by row; None if some check failed to run at all."""
    schema = build_schema(reads[0].table)
    frame = pd.DataFrame([{name: read.values.get(name) for name in schema.columns} for read in reads], dtype=object)
    try:
        schema.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    by_row: dict[int, list[tuple[str | None, list[str]]]] = {}
    seen: set[tuple[int, str, str]] = set()
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            return None
        check = str(case.check)
        code, names = (None, [str(case.column)]) if check == "not_nullable" else (check.split(SEP)[0], check.split(SEP)[1:])
        row = int(case.index)
        if (row, check, names[0]) not in seen:
            seen.add((row, check, names[0]))
            by_row.setdefault(row, []).append((code, names))
    return by_row


def _validated(read: ReadResult, failures: list[tuple[str | None, list[str]]]) -> tuple[list[Finding], set[str]]:
    findings: list[Finding] = []
    invalid: set[str] = set()
    # Single-cell failures first: a cross-cell check that involves a cell already found wrong
    # would only repeat that problem in more confusing words.
    for code, names in sorted(failures, key=lambda item: len(item[1])):
        if any(name in read.flagged or name in invalid for name in names):
            continue  # the reader or a single-cell check already said why this cell is unusable
        finding = _finding(read, code, names)
        if finding is not None:
            findings.append(finding)
            invalid.add(names[0])
    return findings, invalid


def _finding(read: ReadResult, code: str | None, names: list[str]) -> Finding | None:
    table = read.table
    name = names[0]
    ref = read.cells.get(name)
    if ref is None:
        return None
    place = place_of(table, name, ref)
    expected = expectation(table, name)
    if code is None:
        code = "score_missing" if name.startswith("score_") else "value_missing"
        return make_finding(code, **expected, **place)
    shown_value = _show(read.values.get(name))
    if code in ("value_exceeds_input", "yes_requires_count"):
        other = names[1]
        other_ref = read.cells.get(other)
        return make_finding(code, value=shown_value, other=describe(table, other),
                            other_cell=other_ref.cell if other_ref else "?", other_value=_show(read.values.get(other)),
                            **place)
    if code == "total_mismatch":
        if table.adjusted:
            total, how = self_total(table, read.values)
            return make_finding(code, value=shown_value, sum=f"{fmt(total)}（{how}）", **place)
        total = sum((v for n, v in read.values.items() if n.startswith("score_") and n != SCORE_TOTAL
                     and isinstance(v, Decimal)), Decimal(0))
        return make_finding(code, value=shown_value, sum=fmt(total), **place)
    if code == "total_over_max":
        return make_finding(code, value=shown_value, max=fmt(table.cap), **place)
    return make_finding(code, value=shown_value, **expected, **place)


def _show(value: object) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    return "" if value is None else str(value)
