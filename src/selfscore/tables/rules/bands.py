"""``bands`` (part): points by the band a rate falls in."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Values, not_negative, positive
from selfscore.tables.rules.rate import Rate
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "bands", role="part",
    summary="Points by the band a rate falls in: ordered thresholds, unequal widths, 0 below the lowest.",
    phrasing="「≥90% 得5分，80%（含）–90% 得3分，低于80% 不得分」",
    example=('{ kind = "bands", label = "资金执行率", ratio = ["funds_spent", "funds_received"], '
             'bands = [{ at_least = 90, points = 5 }, { at_least = 80, points = 3 }] }'),
    doc=("The rate is a `percent` input or `ratio = [numerator, denominator]` × 100. `bands` go from the highest "
         "threshold down, each with fewer points: a rate at or above a band's `at_least` earns its points, one below "
         "the lowest earns 0. A denominator of 0 (a plan of 0) reaches the highest band. "
         "The step reading does not matter."),
)
@dataclass(frozen=True)
class Bands:
    """Points by the band a rate falls in: ordered thresholds, unequal widths, 0 below the lowest."""

    rate: Rate
    #: (at least this %, points), highest threshold first
    bands: tuple[tuple[Fraction, Fraction], ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.rate.inputs

    @property
    def max_points(self) -> Fraction:
        return self.bands[0][1]

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Bands:
        rate = Rate.parse(fields, inputs)
        bands = []
        for index, raw in enumerate(fields.items("bands")):
            band = Fields(raw, f"{fields.where}.bands[{index}]")
            bands.append((not_negative(band, "at_least"), positive(band, "points")))
            band.done()
        if not bands:
            raise DefinitionError(f"{fields.where}.bands", "至少列出一档，例如 { at_least = 90, points = 5 }")
        for index, (above, below) in enumerate(zip(bands, bands[1:], strict=False), start=1):
            if not (below[0] < above[0] and below[1] < above[1]):
                raise DefinitionError(
                    f"{fields.where}.bands[{index}]",
                    f"分档须从高到低排列，每档的门槛和分值都低于上一档（这里 {fmt(above[0])}% → {fmt(above[1])} 分之后是 "
                    f"{fmt(below[0])}% → {fmt(below[1])} 分）；请调整顺序或数值")
        return cls(rate, tuple(bands))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, steps: StepReading) -> Outcome:
        thresholds = [threshold for threshold, _ in self.bands]
        rate, text = self.rate.of(values, *thresholds)
        if rate is None:
            points = self.max_points
            return Outcome(points, points, f"{text}，视为达到最高档，得满分 {fmt(points)}")
        for index, (threshold, points) in enumerate(self.bands):
            if rate >= threshold:
                if index == 0:
                    return Outcome(points, points, f"{text}，≥{fmt(threshold)}%，得满分 {fmt(points)}")
                upper = self.bands[index - 1][0]
                return Outcome(points, points, f"{text}，在 {fmt(threshold)}%（含）～{fmt(upper)}% 之间，得 {fmt(points)} 分")
        return Outcome(Fraction(0), Fraction(0), f"{text}，低于 {fmt(thresholds[-1])}%，不得分")
