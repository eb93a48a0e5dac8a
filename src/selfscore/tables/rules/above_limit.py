"""``above_limit`` (term): so much off per step of percentage points a rate rises above its limit (空置率、投诉率)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import Fields
from selfscore.tables.numbers import fmt, fmt_pct, round2
from selfscore.tables.rules.base import Inputs, Values, not_negative, per_step, positive
from selfscore.tables.rules.rate import Rate
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


def _diff(value: Fraction) -> str:
    """A difference in percentage points that is never shown as 0 when it is not."""
    if value == 0 or round2(value) != 0:
        return fmt(value)
    return fmt_pct(value, Fraction(0)).rstrip("%").rstrip("0")


@rule_kind(
    "above_limit", role="term", counts_steps=True,
    summary="`per` points off for every `step` percentage points a rate rises above `limit` % (空置率、投诉率).",
    phrasing="「空置率超过5%的，每高一个百分点扣1分」",
    example=('{ kind = "above_limit", label = "空置率", ratio = ["vacant_units", "units_delivered"], '
             'limit = 5, step = 1, per = 1 }'),
    doc=("A term of a `deduction`. The rate is a `percent` input or `ratio = [numerator, denominator]` × 100; "
         "a rate over 0 items takes nothing off.\n"
         "The excess counts in steps of `step` points: `ceil` counts a step begun as a whole one (the default), "
         "`exact` counts its fraction, `floor` only whole steps. "
         "`steps = \"exact\"` (or `ceil`, `floor`) on the term fixes its reading whatever `--steps` says, "
         "as a criterion saying 「按比例扣分」 must."),
)
@dataclass(frozen=True)
class AboveLimit:
    """``per`` points off for every ``step`` percentage points a rate rises above ``limit`` % (空置率、投诉率)."""

    rate: Rate
    limit: Fraction
    step: Fraction
    per: Fraction

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.rate.inputs

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> AboveLimit:
        rate = Rate.parse(fields, inputs)
        return cls(rate, not_negative(fields, "limit"), positive(fields, "step"), positive(fields, "per"))

    def depends_on_reading(self) -> bool:
        return True

    def deduction(self, values: Values, steps: StepReading) -> tuple[Fraction, str]:
        rate, text = self.rate.of(values, self.limit)
        if rate is None or rate <= self.limit:
            return Fraction(0), f"{text}，未超过 {fmt(self.limit)}%，不扣分"
        excess = rate - self.limit
        off, how = per_step(excess, self.step, self.per, steps, word="高", count_text=_diff, off_text=fmt)
        return off, f"{text}，比 {fmt(self.limit)}% 高 {_diff(excess)} 个百分点，{how}"
