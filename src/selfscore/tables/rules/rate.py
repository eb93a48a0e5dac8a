"""More rule kinds, for the shapes provinces' sibling tables use: bands, gates, ceiling rates, graded items, counted bonuses.

Each kind is one small class with its parser, its exact scorer and its Chinese explanation, registered
by name in the same registries as the first kinds (``rules.PART_KINDS`` / ``rules.TERM_KINDS``):

- ``bands`` (part): 「≥90% 得5分，80%（含）–90% 得3分，低于80% 不得分」
- ``gate`` (part): 「完成率低于60%的不得分」, around the parts that score above the gate
- ``above_limit`` (term): 「空置率超过5%的，每高一个百分点扣1分」
- ``graded`` (part): 「制度健全的得2分，基本健全的得1分，不健全的不得分」 from a 健全/基本健全/不健全 dropdown
- ``per_item`` (part): 「每获得1项表彰加2分，最多加4分」 — what a bonus or penalty indicator counts
- ``steps = "exact"`` on any term that counts steps: 「按比例扣分」 fixes that rule's step reading
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition, InputType
from selfscore.tables.numbers import fmt, fmt_pct, round2
from selfscore.tables.rules.base import (
    PART_KINDS,
    TERM_KINDS,
    Inputs,
    Outcome,
    Part,
    Term,
    Values,
    _input_ref,
    _positive,
    combine,
    parse_part,
)
from selfscore.tables.steps import STEP_READING_NAMES, STEP_READING_NAMES_PER_POINT, STEP_READINGS, StepReading, counted_steps

_NUMERIC: tuple[InputType, ...] = ("integer", "number")


def _not_negative(fields: Fields, key: str) -> Fraction:
    value = fields.number(key)
    if value < 0:
        raise DefinitionError(f"{fields.where}.{key}: must not be negative")
    return Fraction(value)


def _diff(value: Fraction) -> str:
    """A difference in percentage points that is never shown as 0 when it is not."""
    if value == 0 or round2(value) != 0:
        return fmt(value)
    return fmt_pct(value, Fraction(0)).rstrip("%").rstrip("0")


@dataclass(frozen=True)
class Rate:
    """A rate in percent: a percent input itself, or ``ratio`` = numerator / denominator × 100."""

    label: str
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
    def parse(cls, fields: Fields, inputs: Inputs) -> Rate:
        label = fields.text("label")
        if fields.has("ratio") == fields.has("input"):
            raise DefinitionError(f"{fields.where}: give either 'input' (a percent input) or 'ratio' = [numerator, denominator]")
        if fields.has("input"):
            return cls(label, value=_input_ref(fields, "input", inputs, ("percent",)))
        ratio = fields.items("ratio")
        if len(ratio) != 2:
            raise DefinitionError(f"{fields.where}.ratio: expected [numerator, denominator]")
        pair = Fields({"numerator": ratio[0], "denominator": ratio[1]}, f"{fields.where}.ratio")
        return cls(label, numerator=_input_ref(pair, "numerator", inputs, _NUMERIC),
                   denominator=_input_ref(pair, "denominator", inputs, _NUMERIC))

    def of(self, values: Values, *thresholds: Fraction) -> tuple[Fraction | None, str]:
        """The rate (None when its denominator is 0) and how it was obtained, in Chinese."""
        if self.value is not None:
            rate = Fraction(values[self.value.id])
            return rate, f"{self.label} {fmt_pct(rate, *thresholds)}"
        assert self.numerator is not None and self.denominator is not None
        numerator, denominator = Fraction(values[self.numerator.id]), Fraction(values[self.denominator.id])
        shown = (f"{self.label}：{self.numerator.name} {self.numerator.with_unit(fmt(numerator))} / "
                 f"{self.denominator.name} {self.denominator.with_unit(fmt(denominator))}")
        if denominator == 0:
            return None, f"{shown}，{self.denominator.name}为 0"
        rate = numerator / denominator * 100
        return rate, f"{shown} = {fmt_pct(rate, *thresholds)}"


# ------------------------------------------------------------------------------ parts


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
            bands.append((_not_negative(band, "at_least"), _positive(band, "points")))
            band.done()
        if not bands:
            raise DefinitionError(f"{fields.where}.bands: list at least one band, e.g. {{ at_least = 90, points = 5 }}")
        for index, (above, below) in enumerate(zip(bands, bands[1:], strict=False), start=1):
            if not (below[0] < above[0] and below[1] < above[1]):
                raise DefinitionError(
                    f"{fields.where}.bands[{index}]: bands go from the highest threshold down, each with fewer points "
                    f"than the one before (here {fmt(below[0])}% → {fmt(below[1])} after {fmt(above[0])}% → {fmt(above[1])})")
        return cls(rate, tuple(bands))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, reading: StepReading) -> Outcome:
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
        below = _positive(fields, "below")
        parts = tuple(parse_part(raw, f"{fields.where}.parts[{index}]", inputs)
                      for index, raw in enumerate(fields.items("parts")))
        if not parts:
            raise DefinitionError(f"{fields.where}.parts: a gate needs the parts it lets through, e.g. a deduction")
        return cls(rate, below, parts)

    def depends_on_reading(self) -> bool:
        return any(getattr(part, "depends_on_reading", lambda: False)() for part in self.parts)

    def score(self, values: Values, reading: StepReading) -> Outcome:
        rate, text = self.rate.of(values, self.below)
        if rate is not None and rate < self.below:
            return Outcome(Fraction(0), Fraction(0), f"{text}，低于 {fmt(self.below)}%，本项 {fmt(self.max_points)} 分不得分")
        inner = combine([part.score(values, reading) for part in self.parts])
        passed = f"{text}，视为不低于 {fmt(self.below)}%" if rate is None else f"{self.rate.label}不低于 {fmt(self.below)}%"
        return replace(inner, text=f"{passed}；{inner.text}")  # keeps whatever else the parts said (judged, …)


@dataclass(frozen=True)
class Graded:
    """Points by the word chosen for each item: 健全 2, 基本健全 1, 不健全 0."""

    #: (the choice input, ((option, points), …)) per item
    items: tuple[tuple[InputDefinition, tuple[tuple[str, Fraction], ...]], ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(item.id for item, _ in self.items)

    @property
    def max_points(self) -> Fraction:
        return sum((max(points for _, points in grades) for _, grades in self.items), Fraction(0))

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Graded:
        items = []
        for index, raw in enumerate(fields.items("items")):
            item = Fields(raw, f"{fields.where}.items[{index}]")
            definition = _input_ref(item, "input", inputs, ("choice",))
            grades = Fields(item.mapping("points"), f"{item.where}.points")
            missing = [option for option in definition.options if not grades.has(option)]
            if missing:
                raise DefinitionError(f"{grades.where}: give the points for every option of '{definition.id}'; "
                                      f"missing {', '.join(missing)}")
            scored = tuple((option, _not_negative(grades, option)) for option in definition.options)
            grades.done()
            item.done()
            if max(points for _, points in scored) <= 0:
                raise DefinitionError(f"{grades.where}: at least one option must score more than 0")
            items.append((definition, scored))
        if not items:
            raise DefinitionError(f"{fields.where}.items: a graded part needs at least one item")
        return cls(tuple(items))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, reading: StepReading) -> Outcome:
        earned = Fraction(0)
        texts = []
        for definition, grades in self.items:
            chosen = str(values[definition.id])
            points = dict(grades)[chosen]
            earned += points
            texts.append(f"{definition.label}：{chosen}（{fmt(points)}/{fmt(max(p for _, p in grades))}）")
        return Outcome(earned, earned, "；".join(texts) + f"，小计 {fmt(earned)} 分")


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
        return cls(_input_ref(fields, "input", inputs, _NUMERIC), _positive(fields, "per"), _positive(fields, "points"))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, reading: StepReading) -> Outcome:
        count = Fraction(values[self.count.id])
        if count <= 0:
            return Outcome(Fraction(0), Fraction(0), f"{self.count.name} {self.count.with_unit(0)}，计 0 分")
        raw = count * self.per
        earned = min(raw, self.points)
        text = f"{self.count.name} {self.count.with_unit(fmt(count))} × {fmt(self.per)} = {fmt(raw)} 分"
        text += f"，最多 {fmt(self.points)} 分，计 {fmt(earned)} 分" if raw > self.points else f"，计 {fmt(earned)} 分"
        return Outcome(earned, earned, text)


# ------------------------------------------------------------------------------ terms


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
        return cls(rate, _not_negative(fields, "limit"), _positive(fields, "step"), _positive(fields, "per"))

    def depends_on_reading(self) -> bool:
        return True

    def deduction(self, values: Values, reading: StepReading) -> tuple[Fraction, str]:
        rate, text = self.rate.of(values, self.limit)
        if rate is None or rate <= self.limit:
            return Fraction(0), f"{text}，未超过 {fmt(self.limit)}%，不扣分"
        excess = rate - self.limit
        steps = excess / self.step
        off = counted_steps(steps, reading) * self.per
        above = f"{text}，比 {fmt(self.limit)}% 高 {_diff(excess)} 个百分点"
        if self.step == 1:
            how = STEP_READING_NAMES_PER_POINT[reading]
            return off, f"{above}，每高 1 个百分点扣 {fmt(self.per)} 分（{how}），扣 {fmt(off)} 分"
        return off, (f"{above}，合 {_diff(steps)} 档（每 {fmt(self.step)} 个百分点为一档、每档扣 {fmt(self.per)} 分，"
                     f"{STEP_READING_NAMES[reading]}），扣 {fmt(off)} 分")


@dataclass(frozen=True)
class OwnReading:
    """A term whose criterion fixes its own step reading (「按比例扣分」 → exact), whatever ``--steps`` says."""

    term: Term
    reading: StepReading

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.term.inputs

    def depends_on_reading(self) -> bool:
        return False  # so no other reading is offered as a `rounding_reading` either

    def deduction(self, values: Values, reading: StepReading) -> tuple[Fraction, str]:
        off, text = self.term.deduction(values, self.reading)
        return off, f"{text}（评分标准规定{STEP_READING_NAMES[self.reading]}，不随所选口径变化）"


def parse_with_own_reading(parse: Callable[[Fields, Inputs], Term], fields: Fields, inputs: Inputs) -> Term:
    """A term as ``parse`` reads it, fixed to ``steps = "exact"`` (or ceil/floor) when its criterion says so."""
    reading = fields.choice("steps", STEP_READINGS) if fields.has("steps") else None
    term = parse(fields, inputs)
    return term if reading is None else OwnReading(term, reading)  # type: ignore[arg-type]


PART_KINDS.update({
    "bands": Bands.parse,
    "gate": Gate.parse,
    "graded": Graded.parse,
    "per_item": PerItem.parse,
})
TERM_KINDS["above_limit"] = AboveLimit.parse
# Every term that counts steps can carry its criterion's own reading.
for _kind in ("below_target", "above_limit"):
    # a partial, not a closure: the reading is looked up when a definition is parsed, where tests can see it
    TERM_KINDS[_kind] = functools.partial(parse_with_own_reading, TERM_KINDS[_kind])
