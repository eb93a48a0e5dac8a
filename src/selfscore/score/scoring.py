"""Recompute every indicator from the facts and compare it with the self-score."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from selfscore.read.by_names import describe
from selfscore.read.result import ReadResult
from selfscore.results.findings import Finding, make_finding
from selfscore.results.report import IndicatorResult
from selfscore.tables.definitions import Indicator
from selfscore.tables.names import SCORE_TOTAL, input_name, score_name
from selfscore.tables.numbers import MATCH_TOLERANCE, fmt, fmt_fact, matches
from selfscore.tables.rules import Outcome, Values
from selfscore.tables.steps import DEFAULT_STEPS, STEP_READING_NAMES, STEP_READINGS, StepReading


def usable_values(read: ReadResult, invalid: set[str]) -> Values:
    """The facts that were read and passed validation, by input id."""
    values = {}
    for definition in read.table.inputs:
        name = input_name(definition.id)
        value = read.values.get(name)
        if value is not None and name not in read.flagged and name not in invalid:
            values[definition.id] = value
    return values  # type: ignore[return-value]


def score_indicators(
    read: ReadResult, invalid: set[str], steps: StepReading
) -> tuple[list[IndicatorResult], list[Finding]]:
    values = usable_values(read, invalid)
    read.findings[:] = [_percent_reading(read, finding, values, steps) for finding in read.findings]
    results: list[IndicatorResult] = []
    findings: list[Finding] = []
    for indicator in read.table.indicators:
        result, finding = _score_one(read, indicator, values, steps, invalid)
        results.append(result)
        if finding is not None:
            findings.append(finding)
    return results, findings


def _percent_reading(read: ReadResult, note: Finding, values: Values, steps: StepReading) -> Finding:
    """A value in (0, 1] in a plain percent cell is read as a fraction (0.85 → 85 %), with a note; when
    reading it as a small percentage (0.85 %, 1 → 1 %) would score differently, the note becomes a warning
    that names both readings and both scores."""
    if note.code != "percent_assumed" or note.input not in values:
        return note
    as_fraction = values[note.input]
    assert isinstance(as_fraction, Decimal)
    as_percent = as_fraction / 100
    other = {**values, note.input: as_percent}
    differences = []
    for indicator in read.table.users_of(note.input):
        if all(input_id in values for input_id in indicator.inputs):
            first, second = indicator.score(values, steps), indicator.score(other, steps)
            if (first.low, first.high) != (second.low, second.high):
                differences.append(f"「{indicator.name}」按 {fmt_fact(as_fraction)}% 得 {_score_text(first)} 分、"
                                   f"按 {fmt_fact(as_percent)}% 得 {_score_text(second)} 分")
    if not differences:
        return note
    ref = read.cells[input_name(note.input)]
    return make_finding("percent_ambiguous", sheet=ref.sheet, cell=ref.cell, what=describe(read.table, input_name(note.input)),
                        input=note.input, value=note.value, as_fraction=fmt_fact(as_fraction), as_percent=fmt_fact(as_percent),
                        scores="；".join(differences))


def _score_text(outcome: Outcome) -> str:
    return f"{fmt(outcome.low)}～{fmt(outcome.high)}" if outcome.judged else fmt(outcome.high)


def _score_one(
    read: ReadResult, indicator: Indicator, values: Values, steps: StepReading, invalid: set[str] = frozenset()  # type: ignore[assignment]
) -> tuple[IndicatorResult, Finding | None]:
    name = score_name(indicator.id)
    ref = read.cells.get(name)
    self_score = read.values.get(name)
    if not isinstance(self_score, Decimal):
        self_score = None
    base = {"id": indicator.id, "name": indicator.name, "group": indicator.group, "max": indicator.points,
            "self_score": self_score, "sheet": ref.sheet if ref else None, "cell": ref.cell if ref else None}
    place = {"sheet": base["sheet"], "cell": base["cell"], "what": describe(read.table, name), "indicator": indicator.id}

    missing = [input_id for input_id in indicator.inputs if input_id not in values]
    if missing:
        return _cannot_compute(read, indicator, missing, invalid, base, ref)

    outcome = indicator.score(values, steps)
    if outcome.judged:
        return _judged(base, place, outcome, self_score)
    recomputed = outcome.high
    result = {**base, "recomputed": recomputed, "range": None, "explanation": outcome.text}
    if self_score is None:
        return IndicatorResult(**result, status="unknown"), None
    if matches(self_score, recomputed):
        return IndicatorResult(**result, status="match"), None
    others = [r for r in STEP_READINGS if r != steps and indicator.depends_on_reading()
              and matches(self_score, indicator.score(values, r).high)]
    if others:
        finding = make_finding(
            "rounding_reading", value=fmt(self_score), recomputed=fmt(recomputed),
            chosen=_reading_named(steps), other="、".join(STEP_READING_NAMES[r] for r in others),
            explanation=outcome.text, **place)
        return IndicatorResult(**result, status="rounding_reading"), finding
    finding = make_finding("score_mismatch", value=fmt(self_score), recomputed=fmt(recomputed),
                           explanation=outcome.text, **place)
    return IndicatorResult(**result, status="mismatch"), finding


def _cannot_compute(read: ReadResult, indicator: Indicator, missing: list[str], invalid: set[str], base: dict,
                    ref) -> tuple[IndicatorResult, Finding | None]:
    """An indicator whose facts are unusable: its row points at their cells; the cause is reported once, on them.

    Only an input whose problem no finding names yet (none is expected, but a reader may leave one) gets a
    ``score_unknown`` here, so that a cause is never silent and never counted twice.
    """
    cells = [read.cells.get(input_name(input_id)) for input_id in missing]
    labels = "、".join(f"「{read.table.inputs_by_id[input_id].label}」" for input_id in missing)
    places = "、".join(dict.fromkeys(f"「{cell.sheet}」{cell.cell}" for cell in cells if cell is not None))
    explanation = f"无法计算：{labels}有误或未填写" + (f"，见{places}" if places else "")
    result = IndicatorResult(**base, recomputed=None, range=None, status="unknown", explanation=explanation)
    unreported = [input_id for input_id in missing
                  if input_name(input_id) not in read.flagged and input_name(input_id) not in invalid]
    if not unreported:
        return result, None
    first = next((cell for cell in cells if cell is not None), ref)
    finding = make_finding("score_unknown", sheet=first.sheet if first else None, cell=first.cell if first else None,
                           indicator=indicator.id, input=unreported[0], indicator_name=indicator.name,
                           inputs=labels, places=f"，见{places}" if places else "")
    return result, finding


def _judged(base: dict, place: dict, outcome: Outcome, self_score: Decimal | None) -> tuple[IndicatorResult, Finding | None]:
    low, high = outcome.low, outcome.high
    result = {**base, "recomputed": None, "range": (low, high), "explanation": outcome.text}
    if self_score is None:
        return IndicatorResult(**result, status="unknown"), None
    # the self-score as typed: 4.005 rounded to 4.01 would read as outside a range it is inside
    if outcome.high_excluded and matches(self_score, high):
        # 「…且内容完整的（5分）」: full marks are exactly what the unmet condition rules out
        finding = make_finding("score_mismatch", value=fmt_fact(self_score), recomputed=f"{fmt(low)}～{fmt(high)}（不含 {fmt(high)}）",
                               explanation=outcome.text, **place)
        return IndicatorResult(**result, status="mismatch"), finding
    if low - MATCH_TOLERANCE <= Fraction(self_score) <= high + MATCH_TOLERANCE:
        finding = make_finding("score_review", value=fmt_fact(self_score), low=fmt(low), high=fmt(high), **place)
        return IndicatorResult(**result, status="review"), finding
    finding = make_finding("score_mismatch", value=fmt_fact(self_score), recomputed=f"{fmt(low)}～{fmt(high)}",
                           explanation=outcome.text, **place)
    return IndicatorResult(**result, status="mismatch"), finding


def totals(
    read: ReadResult, results: list[IndicatorResult], invalid: set[str] | None = None
) -> tuple[Decimal | None, Fraction | None, tuple[Fraction, Fraction] | None]:
    """The self total, and the recomputed total (exact) or its range when a person must judge.

    A table with bonus (加分项) or penalty (扣分项) groups adds and takes them off and caps the result
    (「加分后总分不超过100分」); a veto (一票否决) answered 是 makes it 0 whatever else is unknown.
    """
    self_total = read.values.get(SCORE_TOTAL)
    self_total = self_total if isinstance(self_total, Decimal) else None
    table = read.table
    if table.vetoes:
        vetoes = _veto_answers(read, invalid or set())
        if any(vetoes.values()):
            return self_total, Fraction(0), None
        if None in vetoes.values():
            return self_total, None, None
    if any(result.status == "unknown" and result.recomputed is None and result.range is None for result in results):
        return self_total, None, None
    if any(result.range is not None for result in results):
        # a penalty's highest deduction gives the lowest total
        lows = {r.id: _bound(r, low=(table.indicators_by_id[r.id].kind != "penalty")) for r in results}
        highs = {r.id: _bound(r, low=(table.indicators_by_id[r.id].kind == "penalty")) for r in results}
        return self_total, None, (table.total(lows)[0], table.total(highs)[0])
    return self_total, table.total({r.id: r.recomputed for r in results})[0], None  # type: ignore[misc]


def _bound(result: IndicatorResult, low: bool) -> Fraction:
    if result.range is None:
        return result.recomputed  # type: ignore[return-value]
    return result.range[0] if low else result.range[1]


def _veto_answers(read: ReadResult, invalid: set[str]) -> dict[str, bool | None]:
    """Each veto's answer (None when its cell is blank or unusable)."""
    values = usable_values(read, invalid)
    return {veto.input.id: values.get(veto.input.id) for veto in read.table.vetoes}  # type: ignore[misc]


def total_details(
    read: ReadResult, results: list[IndicatorResult], invalid: set[str], recomputed: Fraction | None
) -> tuple[str, list[Finding]]:
    """How the recomputed total was reached, when it is more than a sum; and a vetoed total that is not 0."""
    table = read.table
    if not table.adjusted:
        return "", []
    answers = _veto_answers(read, invalid)
    vetoed = [veto for veto in table.vetoes if answers.get(veto.input.id)]
    if vetoed:
        veto = vetoed[0]
        text = f"一票否决：{veto.input.label}：是（{veto.criterion}），总分为 0"
        self_total = read.values.get(SCORE_TOTAL)
        ref = read.cells.get(SCORE_TOTAL)
        if isinstance(self_total, Decimal) and self_total != 0 and SCORE_TOTAL not in read.flagged and ref is not None:
            finding = make_finding("total_vetoed", sheet=ref.sheet, cell=ref.cell, what="合计", value=fmt(self_total),
                                   label=veto.input.label, criterion=veto.criterion, input=veto.input.id)
            return text, [finding]
        return text, []
    if recomputed is None:
        return "", []
    return table.total({r.id: r.recomputed for r in results})[1], []  # type: ignore[misc]


def _reading_named(steps: StepReading) -> str:
    """The reading a score was computed with, as the rounding_reading message names it: the default, or the one chosen."""
    if steps == DEFAULT_STEPS:
        return f"默认口径（{STEP_READING_NAMES[steps]}）"
    return f"所选口径（{STEP_READING_NAMES[steps]}；默认口径为{STEP_READING_NAMES[DEFAULT_STEPS]}）"
