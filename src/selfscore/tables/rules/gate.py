"""``gate`` (part): below a rate the parts inside score 0 (「完成率低于60%的不得分」); at or above it they score as they say."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Part, Values, combine, positive
from selfscore.tables.rules.rate import Rate
from selfscore.tables.rules.registry import parse_part, rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "gate", role="part",
    summary="Below `below` % the parts inside score 0; at or above it they score as they say.",
    phrasing="「完成率低于60%的不得分」，及门槛以上的评分办法",
    example=('{ kind = "gate", label = "完成率", ratio = ["units_actual", "units_planned"], below = 60, '
             'parts = [{ kind = "deduction", points = 30, terms = [{ kind = "below_target", label = "完成率", '
             'ratio = ["units_actual", "units_planned"], target = 100, step = 1, per = 1 }] }] }'),
    doc=("The rate is a `percent` input or `ratio = [numerator, denominator]` × 100. Below `below` % the gate's "
         "`parts` (any parts: a `deduction`, `bands`, …) score 0; at or above it, or with a denominator of 0, "
         "they score as they say, under whichever step reading their terms count with."),
)
@dataclass(frozen=True)
class Gate:
    """Below ``below`` % the parts inside score 0; at or above it they score as they say."""

    rate: Rate
    below: Fraction
    parts: tuple[Part, ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.rate.inputs, *(input_id for part in self.parts for input_id in part.inputs)]))

    @property
    def max_points(self) -> Fraction:
        return sum((part.max_points for part in self.parts), Fraction(0))

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Gate:
        rate = Rate.parse(fields, inputs)
        below = positive(fields, "below")
        parts = tuple(parse_part(raw, f"{fields.where}.parts[{index}]", inputs)
                      for index, raw in enumerate(fields.items("parts")))
        if not parts:
            raise DefinitionError(f"{fields.where}.parts", "门槛（gate）须写明达到门槛后怎样评分的 parts，例如一个 deduction")
        return cls(rate, below, parts)

    def depends_on_reading(self) -> bool:
        return any(getattr(part, "depends_on_reading", lambda: False)() for part in self.parts)

    def score(self, values: Values, steps: StepReading) -> Outcome:
        rate, text = self.rate.of(values, self.below)
        if rate is not None and rate < self.below:
            return Outcome(Fraction(0), Fraction(0), f"{text}，低于 {fmt(self.below)}%，本项 {fmt(self.max_points)} 分不得分")
        inner = combine([part.score(values, steps) for part in self.parts])
        passed = f"{text}，视为不低于 {fmt(self.below)}%" if rate is None else f"{self.rate.label}不低于 {fmt(self.below)}%"
        return replace(inner, text=f"{passed}；{inner.text}")  # keeps whatever else the parts said (judged, …)
