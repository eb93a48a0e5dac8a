"""``per_count`` (term): so many points off for every counted item."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt, fmt_apart, fmt_fact
from selfscore.tables.rules.base import NUMERIC, Inputs, Values, input_ref, positive
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "per_count", role="term",
    summary="`per` points off for every counted item (violations, days late, quality issues).",
    phrasing="「每发现1项扣0.5分」",
    example='{ kind = "per_count", input = "violations", per = 0.5 }',
    doc=("A term of a `deduction`: the count in an `integer` or `number` input times `per`; "
         "the deduction's points cap what all its terms take together. The step reading does not matter."),
)
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
            count=input_ref(fields, "input", inputs, NUMERIC),
            per=positive(fields, "per"),
        )

    def depends_on_reading(self) -> bool:
        return False

    def deduction(self, values: Values, steps: StepReading) -> tuple[Fraction, str]:
        count = values[self.count.id]
        if count == 0:
            return Fraction(0), f"{self.count.name} {self.count.with_unit(0)}，不扣分"
        off = Fraction(count) * self.per
        return off, f"{self.count.name} {self.count.with_unit(fmt_fact(count))} × {fmt(self.per)} = 扣 {fmt_apart(off)} 分"
