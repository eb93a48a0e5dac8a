"""What every rule kind shares: the values it reads, the outcome it gives, the part and term protocols, input references.

An indicator scores the sum of its parts (``combine``). A part scores points; a term is what a
``deduction`` part takes off. Each kind is one module of this package, registered by name with
``registry.rule_kind``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Protocol

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition, InputType
from selfscore.tables.numbers import fmt
from selfscore.tables.steps import STEP_READING_NAMES, STEP_READING_NAMES_PER_POINT, StepReading, counted_steps

#: Valid input values only: Decimal for numbers, bool for 是/否, the chosen word for a choice (健全…).
Values = Mapping[str, Decimal | bool | str]
Inputs = Mapping[str, InputDefinition]

#: the input types a count or either side of a ratio may have
NUMERIC: tuple[InputType, ...] = ("integer", "number")


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

    def deduction(self, values: Values, steps: StepReading) -> tuple[Fraction, str]: ...

    def depends_on_reading(self) -> bool: ...


class Part(Protocol):
    @property
    def inputs(self) -> tuple[str, ...]: ...

    @property
    def max_points(self) -> Fraction: ...

    def score(self, values: Values, steps: StepReading) -> Outcome: ...


def input_ref(fields: Fields, key: str, inputs: Inputs, types: tuple[InputType, ...]) -> InputDefinition:
    """The input that ``key`` names, which must be declared and of one of ``types``."""
    input_id = fields.text(key)
    if input_id not in inputs:
        raise DefinitionError(f"{fields.where}.{key}", f"没有名为 '{input_id}' 的数据；请在 [[inputs]] 中声明它，或改正 id")
    definition = inputs[input_id]
    if definition.type not in types:
        raise DefinitionError(
            f"{fields.where}.{key}",
            f"数据 '{input_id}' 的类型是 {definition.type}，此处应为 {' 或 '.join(types)}；请改指这类数据，或改该数据的类型")
    return definition


def positive(fields: Fields, key: str) -> Fraction:
    """A number that must be greater than 0 (points, a step, so much per item)."""
    value = fields.number(key)
    if value <= 0:
        raise DefinitionError(f"{fields.where}.{key}", "须大于 0")
    return Fraction(value)


def not_negative(fields: Fields, key: str) -> Fraction:
    """A number that may be 0 but not less (a threshold, a limit, an option's points)."""
    value = fields.number(key)
    if value < 0:
        raise DefinitionError(f"{fields.where}.{key}", "不能为负数")
    return Fraction(value)


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


def per_step(gap: Fraction, step: Fraction, per: Fraction, steps: StepReading, *, word: str,
             count_text: Callable[[Fraction], str], off_text: Callable[[Fraction], str]) -> tuple[Fraction, str]:
    """``per`` points off for every ``step`` percentage points of ``gap``, counted by the step reading, and the
    sentence that says so (「每高 1 个百分点扣 1 分（…），扣 2 分」 or 「合 1.5 档（…），扣 2 分」); ``word`` is 高 or 低."""
    step_count = gap / step
    off = counted_steps(step_count, steps) * per
    if step == 1:
        return off, f"每{word} 1 个百分点扣 {fmt(per)} 分（{STEP_READING_NAMES_PER_POINT[steps]}），扣 {off_text(off)} 分"
    return off, (f"合 {count_text(step_count)} 档（每 {fmt(step)} 个百分点为一档、每档扣 {fmt(per)} 分，"
                 f"{STEP_READING_NAMES[steps]}），扣 {off_text(off)} 分")
