"""Rule kinds: the small vocabulary a table definition composes each indicator's score from.

An indicator scores the sum of its parts. A part is a ``checklist`` (points for each 是) or a
``deduction`` (its points minus the capped sum of its terms, with an optional "severe → zero"
switch and an optional "judgement when incomplete" switch). Deduction terms are ``per_count``
(so much per counted item) and ``below_target`` (so much per step of percentage points that a
value, or a ratio of two inputs, falls short of its target). Adding a kind means adding one
class here and registering it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition, InputType
from selfscore.tables.numbers import fmt, fmt_apart, fmt_fact, fmt_pct, places_shown
from selfscore.tables.steps import (  # noqa: F401  (STEP_READINGS: still imported from here until its users move)
    STEP_READING_NAMES,
    STEP_READING_NAMES_PER_POINT,
    STEP_READINGS,
    StepReading,
    counted_steps,
)

#: Valid input values only: Decimal for numbers, bool for 是/否, the chosen word for a choice (健全…).
Values = Mapping[str, Decimal | bool | str]
Inputs = Mapping[str, InputDefinition]


@dataclass(frozen=True)
class Outcome:
    """What a part (or a whole indicator) scores: exact, or a range a person must judge."""

    high: Fraction
    low: Fraction
    text: str
    judged: bool = False
    #: the criterion makes ``high`` unreachable (full marks need a condition that is not met): a judged
    #: score must stay below it
    high_excluded: bool = False


class Term(Protocol):
    inputs: tuple[str, ...]

    def deduction(self, values: Values, reading: StepReading) -> tuple[Fraction, str]: ...

    def depends_on_reading(self) -> bool: ...


class Part(Protocol):
    @property
    def inputs(self) -> tuple[str, ...]: ...

    @property
    def max_points(self) -> Fraction: ...

    def score(self, values: Values, reading: StepReading) -> Outcome: ...


def _input_ref(
    fields: Fields, key: str, inputs: Inputs, types: tuple[InputType, ...]
) -> InputDefinition:
    input_id = fields.text(key)
    if input_id not in inputs:
        raise DefinitionError(f"{fields.where}.{key}: no input named '{input_id}'; declare it under [[inputs]] or correct the id")
    definition = inputs[input_id]
    if definition.type not in types:
        raise DefinitionError(
            f"{fields.where}.{key}: input '{input_id}' is {definition.type}, "
            f"expected {' or '.join(types)}; point the rule at such an input or change the input's type"
        )
    return definition


def _positive(fields: Fields, key: str) -> Fraction:
    value = fields.number(key)
    if value <= 0:
        raise DefinitionError(f"{fields.where}.{key}: must be greater than 0")
    return Fraction(value)


def _yes_no(value: Decimal | bool) -> str:
    return "是" if value else "否"


# ------------------------------------------------------------------------------ terms


@dataclass(frozen=True)
class PerCount:
    """``per`` points off for every counted item (violations, days late, quality issues)."""

    count: InputDefinition
    per: Fraction

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.count.id,)

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> PerCount:
        return cls(
            count=_input_ref(fields, "input", inputs, ("integer", "number")),
            per=_positive(fields, "per"),
        )

    def depends_on_reading(self) -> bool:
        return False

    def deduction(self, values: Values, reading: StepReading) -> tuple[Fraction, str]:
        count = values[self.count.id]
        if count == 0:
            return Fraction(0), f"{self.count.name} {self.count.with_unit(0)}，不扣分"
        off = Fraction(count) * self.per
        return off, f"{self.count.name} {self.count.with_unit(fmt_fact(count))} × {fmt(self.per)} = 扣 {fmt_apart(off)} 分"


@dataclass(frozen=True)
class BelowTarget:
    """``per`` points off for every ``step`` percentage points a rate falls short of ``target`` %.

    The rate is either a percent input itself or ``ratio`` = numerator / denominator × 100.
    How a fractional step counts is the step reading (ceil, exact or floor).
    """

    label: str
    target: Fraction
    step: Fraction
    per: Fraction
    value: InputDefinition | None = None
    numerator: InputDefinition | None = None
    denominator: InputDefinition | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        if self.value is not None:
            return (self.value.id,)
        assert self.numerator is not None and self.denominator is not None
        return (self.numerator.id, self.denominator.id)

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> BelowTarget:
        label = fields.text("label")
        target, step, per = (_positive(fields, key) for key in ("target", "step", "per"))
        if fields.has("ratio") and fields.has("input"):
            raise DefinitionError(f"{fields.where}: give either 'input' or 'ratio', not both")
        if fields.has("input"):
            value = _input_ref(fields, "input", inputs, ("percent",))
            return cls(label, target, step, per, value=value)
        ratio = fields.items("ratio")
        if len(ratio) != 2:
            raise DefinitionError(f"{fields.where}.ratio: expected [numerator, denominator]")
        pair = Fields({"numerator": ratio[0], "denominator": ratio[1]}, f"{fields.where}.ratio")
        numeric: tuple[InputType, ...] = ("integer", "number")
        return cls(
            label, target, step, per,
            numerator=_input_ref(pair, "numerator", inputs, numeric),
            denominator=_input_ref(pair, "denominator", inputs, numeric),
        )

    def depends_on_reading(self) -> bool:
        return True

    def rate(self, values: Values) -> tuple[Fraction, str]:
        """The rate in percent, and how it was obtained (never shown rounded onto the target it misses)."""
        if self.value is not None:
            typed = values[self.value.id]
            return Fraction(typed), f"{self.label} {fmt_fact(typed)}%"
        assert self.numerator is not None and self.denominator is not None
        numerator, denominator = values[self.numerator.id], values[self.denominator.id]
        rate = Fraction(numerator) / Fraction(denominator) * 100
        return rate, (
            f"{self.label}：{self.numerator.name} {self.numerator.with_unit(fmt_fact(numerator))} / "
            f"{self.denominator.name} {self.denominator.with_unit(fmt_fact(denominator))} = {fmt_pct(rate, self.target)}"
        )

    def _plan_of_zero(self, values: Values) -> bool:
        """「实际…大于或等于年度计划的」 holds for 0 ≥ 0: a plan of zero is met by any actual figure."""
        return self.denominator is not None and values[self.denominator.id] == 0

    def deduction(self, values: Values, reading: StepReading) -> tuple[Fraction, str]:
        if self._plan_of_zero(values):
            assert self.numerator is not None
            actual = self.numerator.with_unit(fmt_fact(values[self.numerator.id]))
            return Fraction(0), f"{self.label}：计划为 0，实际 {actual}，不低于计划"
        rate, text = self.rate(values)
        if rate >= self.target:
            return Fraction(0), f"{text}，≥{fmt(self.target)}%"
        shortfall = self.target - rate
        steps = shortfall / self.step
        off = counted_steps(steps, reading) * self.per
        # every figure with the digits it takes to show the shortfall the verdict rests on, the shortfall
        # with as many as the rate (99.9995% is 0.0005 points under, not 0.001)
        below = f"{text}，比 {fmt(self.target)}% 低 {fmt_apart(shortfall, places=places_shown(text))} 个百分点"
        if self.step == 1:
            how = STEP_READING_NAMES_PER_POINT[reading]
            return off, f"{below}，每低 1 个百分点扣 {fmt(self.per)} 分（{how}），扣 {fmt_apart(off)} 分"
        return off, (
            f"{below}，合 {fmt_apart(steps)} 档（每 {fmt(self.step)} 个百分点为一档、每档扣 {fmt(self.per)} 分，"
            f"{STEP_READING_NAMES[reading]}），扣 {fmt_apart(off)} 分"
        )


TERM_KINDS: dict[str, Callable[[Fields, Inputs], Term]] = {
    "per_count": PerCount.parse,
    "below_target": BelowTarget.parse,
}


# ------------------------------------------------------------------------------ parts


@dataclass(frozen=True)
class Checklist:
    """Points for each yes/no fact that is 是."""

    items: tuple[tuple[InputDefinition, Fraction], ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(item.id for item, _ in self.items)

    @property
    def max_points(self) -> Fraction:
        return sum((points for _, points in self.items), Fraction(0))

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Checklist:
        items = []
        for index, raw in enumerate(fields.items("items")):
            item = Fields(raw, f"{fields.where}.items[{index}]")
            items.append((_input_ref(item, "input", inputs, ("yes_no",)), _positive(item, "points")))
            item.done()
        if not items:
            raise DefinitionError(f"{fields.where}.items: a checklist needs at least one item")
        return cls(tuple(items))

    def score(self, values: Values, reading: StepReading) -> Outcome:
        earned = sum((points for item, points in self.items if values[item.id]), Fraction(0))
        if len(self.items) == 1:
            item, _ = self.items[0]
            text = f"{item.label}：{_yes_no(values[item.id])}，得 {fmt(earned)} 分"
        else:
            text = "；".join(
                f"{item.label}：是，得 {fmt(points)} 分" if values[item.id] else f"{item.label}：否，不得分（本项 {fmt(points)} 分）"
                for item, points in self.items
            ) + f"，小计 {fmt(earned)} 分"
        return Outcome(earned, earned, text)


@dataclass(frozen=True)
class Deduction:
    """``points`` minus the sum of its terms' deductions, never below zero."""

    points: Fraction
    terms: tuple[Term, ...]
    #: a yes/no input that, when 是, takes all of this part's points at once
    zero_if: InputDefinition | None = None
    #: a yes/no input that full marks require: when 否, the score is left to a person's judgement in
    #: [0, computed], full points excluded (and 0 when the deductions already took every point)
    judgement_unless: InputDefinition | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        ids = [input_id for term in self.terms for input_id in term.inputs]
        ids += [switch.id for switch in (self.zero_if, self.judgement_unless) if switch is not None]
        return tuple(dict.fromkeys(ids))

    @property
    def max_points(self) -> Fraction:
        return self.points

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Deduction:
        points = _positive(fields, "points")
        terms = []
        for index, raw in enumerate(fields.items("terms")):
            term_fields = Fields(raw, f"{fields.where}.terms[{index}]")
            kind = term_fields.choice("kind", TERM_KINDS)
            terms.append(TERM_KINDS[kind](term_fields, inputs))
            term_fields.done()
        if not terms:
            raise DefinitionError(f"{fields.where}.terms: a deduction needs at least one term")
        switches = {
            key: _input_ref(fields, key, inputs, ("yes_no",)) if fields.has(key) else None
            for key in ("zero_if", "judgement_unless")
        }
        return cls(points, tuple(terms), **switches)

    def depends_on_reading(self) -> bool:
        return any(term.depends_on_reading() for term in self.terms)

    def score(self, values: Values, reading: StepReading) -> Outcome:
        if self.zero_if is not None and values[self.zero_if.id]:
            text = f"{self.zero_if.label}：是，一次性扣除 {fmt(self.points)} 分，得 0 分"
            return Outcome(Fraction(0), Fraction(0), text)
        deductions = [term.deduction(values, reading) for term in self.terms]
        total = sum((off for off, _ in deductions), Fraction(0))
        taken = min(total, self.points)
        earned = self.points - taken
        text = "；".join(part for _, part in deductions)
        if self.judgement_unless is not None and not values[self.judgement_unless.id] and earned > 0:
            return self._judged(text, total, earned)
        if total == 0:
            text += f"，得满分 {fmt(self.points)}"
        elif total > self.points:
            text += f"，扣分合计 {fmt(total)}，最多扣 {fmt(self.points)}，得 0 分"
        elif len(deductions) > 1:
            text += f"，共扣 {fmt(taken)} 分，得 {fmt(earned)} 分"
        else:
            text += f"，得 {fmt(earned)} 分"
        if self.judgement_unless is not None and not values[self.judgement_unless.id]:
            # the deductions already took every point: nothing is left for a person to judge
            text += f"；{self.judgement_unless.label}：否，但扣分后已为 0 分，无需人工判定"
        return Outcome(earned, earned, text)

    def _judged(self, text: str, total: Fraction, earned: Fraction) -> Outcome:
        """「按时报送…且内容完整的（5分）」: without the condition full marks are out, and how much less
        is not said, so a person judges a score in [0, what the deductions leave), full points excluded."""
        assert self.judgement_unless is not None
        if total:
            text += f"，扣分后至多 {fmt(earned)} 分"
        condition = f"；{self.judgement_unless.label}：否——评分标准未规定此情形如何扣分，需人工判定，得分应在 0～{fmt(earned)} 分之间"
        if earned < self.points:
            return Outcome(earned, Fraction(0), text + condition, judged=True)
        return Outcome(earned, Fraction(0), text + condition + f"，且不能得满分 {fmt(self.points)} 分（满分要求此项为「是」）",
                       judged=True, high_excluded=True)


PART_KINDS: dict[str, Callable[[Fields, Inputs], Part]] = {
    "checklist": Checklist.parse,
    "deduction": Deduction.parse,
}


def parse_part(data: object, where: str, inputs: Inputs) -> Part:
    fields = Fields(data, where)
    kind = fields.choice("kind", PART_KINDS)
    part = PART_KINDS[kind](fields, inputs)
    fields.done()
    return part


def combine(outcomes: list[Outcome]) -> Outcome:
    """An indicator's outcome: the sum of its parts."""
    high = sum((outcome.high for outcome in outcomes), Fraction(0))
    low = sum((outcome.low for outcome in outcomes), Fraction(0))
    judged = any(outcome.judged for outcome in outcomes)
    if len(outcomes) == 1:
        return outcomes[0]
    text = "；".join(outcome.text for outcome in outcomes)
    text += f"；合计 {fmt(low)}～{fmt(high)} 分" if judged else f"；合计 {fmt(high)} 分"
    # the sum reaches its top only if every part does
    return Outcome(high, low, text, judged, high_excluded=any(outcome.high_excluded for outcome in outcomes))
