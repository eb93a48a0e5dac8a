"""``below_target`` (term): so much off per step of percentage points a rate falls short of its target."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.numbers import fmt, fmt_apart, fmt_fact, fmt_pct, places_shown
from selfscore.tables.rules.base import Inputs, Values, per_step, positive
from selfscore.tables.rules.rate import Rate
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "below_target", role="term", counts_steps=True,
    summary="`per` points off for every `step` percentage points a rate falls short of `target` %.",
    phrasing="「未达到计划的，每低一个百分点扣1分」",
    example=('{ kind = "below_target", label = "开工计划完成率", ratio = ["starts_actual", "starts_planned"], '
             'target = 100, step = 1, per = 1 }'),
    doc=("A term of a `deduction`. The rate is a `percent` input (`input = \"satisfaction_pct\"`) or "
         "`ratio = [numerator, denominator]` × 100; a plan (denominator) of 0 is met by any actual figure.\n"
         "The shortfall counts in steps of `step` points: `ceil` counts a step begun as a whole one (the default), "
         "`exact` counts its fraction, `floor` only whole steps. "
         "`steps = \"exact\"` (or `ceil`, `floor`) on the term fixes its reading whatever `--steps` says, "
         "as a criterion saying 「按比例扣分」 must."),
)
@dataclass(frozen=True)
class BelowTarget:
    """``per`` points off for every ``step`` percentage points a rate falls short of ``target`` %.

    The rate is either a percent input itself or ``ratio`` = numerator / denominator × 100.
    How a fractional step counts is the step reading (ceil, exact or floor).
    """

    rate: Rate
    target: Fraction
    step: Fraction
    per: Fraction

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.rate.inputs

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> BelowTarget:
        label = fields.text("label")
        target, step, per = (positive(fields, key) for key in ("target", "step", "per"))
        if fields.has("ratio") and fields.has("input"):
            raise DefinitionError(fields.where, "input 与 ratio 只能写一个；请删去其中一个")
        rate = Rate.of_input(label, fields, inputs) if fields.has("input") else Rate.of_ratio(label, fields, inputs)
        return cls(rate, target, step, per)

    def depends_on_reading(self) -> bool:
        return True

    def shown(self, values: Values, rate: Fraction) -> str:
        """How the rate was obtained, every fact with the digits it was read with (never shown rounded onto the
        target it misses)."""
        if self.rate.value is not None:
            return f"{self.rate.label} {fmt_fact(values[self.rate.value.id])}%"  # type: ignore[arg-type]
        return f"{self.rate.facts(values, fmt_fact)} = {fmt_pct(rate, self.target)}"

    def deduction(self, values: Values, steps: StepReading) -> tuple[Fraction, str]:
        rate = self.rate.percent(values)
        if rate is None:
            # 「实际…大于或等于年度计划的」 holds for 0 ≥ 0: a plan of zero is met by any actual figure
            assert self.rate.numerator is not None
            actual = self.rate.numerator.with_unit(fmt_fact(values[self.rate.numerator.id]))  # type: ignore[arg-type]
            return Fraction(0), f"{self.rate.label}：计划为 0，实际 {actual}，不低于计划"
        text = self.shown(values, rate)
        if rate >= self.target:
            return Fraction(0), f"{text}，≥{fmt(self.target)}%"
        shortfall = self.target - rate
        off, how = per_step(shortfall, self.step, self.per, steps, word="低", count_text=fmt_apart, off_text=fmt_apart)
        # every figure with the digits it takes to show the shortfall the verdict rests on, the shortfall
        # with as many as the rate (99.9995% is 0.0005 points under, not 0.001)
        return off, f"{text}，比 {fmt(self.target)}% 低 {fmt_apart(shortfall, places=places_shown(text))} 个百分点，{how}"
