"""``per_item`` (part): so many points for every counted item, at most a cap — what a bonus or penalty indicator counts."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import NUMERIC, Inputs, Outcome, Values, input_ref, positive
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "per_item", role="part",
    summary="`per` points for every counted item, at most `points`: what a bonus or a penalty counts.",
    phrasing="「每获得1项表彰加1分，最多加3分」",
    example='{ kind = "per_item", input = "awards_count", per = 1, points = 3 }',
    doc=("The count in an `integer` or `number` input times `per`, at most `points`. In a bonus group (加分项) it is "
         "what the indicator adds to the total, in a penalty group (扣分项) what it takes off. "
         "The step reading does not matter."),
)
@dataclass(frozen=True)
class PerItem:
    """``per`` points for every counted item, at most ``points``: what a bonus or a penalty counts."""

    count: InputDefinition
    per: Fraction
    points: Fraction

    @property
    def inputs(self) -> tuple[str, ...]:
        return (self.count.id,)

    @property
    def max_points(self) -> Fraction:
        return self.points

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> PerItem:
        return cls(input_ref(fields, "input", inputs, NUMERIC), positive(fields, "per"), positive(fields, "points"))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, steps: StepReading) -> Outcome:
        count = Fraction(values[self.count.id])
        if count <= 0:
            return Outcome(Fraction(0), Fraction(0), f"{self.count.name} {self.count.with_unit(0)}，计 0 分")
        raw = count * self.per
        earned = min(raw, self.points)
        text = f"{self.count.name} {self.count.with_unit(fmt(count))} × {fmt(self.per)} = {fmt(raw)} 分"
        text += f"，最多 {fmt(self.points)} 分，计 {fmt(earned)} 分" if raw > self.points else f"，计 {fmt(earned)} 分"
        return Outcome(earned, earned, text)
