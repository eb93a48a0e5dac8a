"""``gate`` (part): below a rate the parts inside score 0 (「完成率低于60%的不得分」); at or above it they score as they say."""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Part, Values, combine, input_ref, positive
from selfscore.tables.rules.rate import Rate
from selfscore.tables.rules.registry import parse_part, rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "gate", role="part",
    summary="Below `below` % (or without a required 是/choice fact) the parts inside score 0; otherwise they score as they say.",
    phrasing="「完成率低于60%的不得分」「未建立绩效评价制度的，本项不得分」，及门槛以上的评分办法",
    example=('{ kind = "gate", label = "完成率", ratio = ["units_actual", "units_planned"], below = 60, '
             'parts = [{ kind = "deduction", points = 30, terms = [{ kind = "below_target", label = "完成率", '
             'ratio = ["units_actual", "units_planned"], target = 100, step = 1, per = 1 }] }] }'),
    doc=("The rate is a `percent` input or `ratio = [numerator, denominator]` × 100. Below `below` % the gate's "
         "`parts` (any parts: a `deduction`, `bands`, …) score 0; at or above it, or with a denominator of 0, "
         "they score as they say, under whichever step reading their terms count with.\n\n"
         "A gate on a fact instead of a rate (「未建立…的，本项不得分」): `requires = \"<input>\"` names a `yes_no` "
         "input (否 → the parts score 0) or a `choice` input with `passing = [\"健全\", \"基本健全\"]` (any other "
         "option → 0), in place of `label`, `input`/`ratio` and `below`: "
         "`{ kind = \"gate\", requires = \"evaluation_system\", parts = [{ kind = \"checklist\", items = "
         "[{ input = \"evaluation_done\", points = 2 }] }] }`."),
)
@dataclass(frozen=True)
class Gate:
    """Below ``below`` % (or without the fact it requires) the parts inside score 0; otherwise they score as they say."""

    rate: Rate | None
    below: Fraction | None
    parts: tuple[Part, ...]
    #: 「未建立…的，本项不得分」: a yes_no fact that must be 是, or a choice fact that must be one of ``passing``
    requires: InputDefinition | None = None
    passing: tuple[str, ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        gate = self.rate.inputs if self.rate is not None else (self.requires.id,)  # type: ignore[union-attr]
        return tuple(dict.fromkeys([*gate, *(input_id for part in self.parts for input_id in part.inputs)]))

    @property
    def max_points(self) -> Fraction:
        return sum((part.max_points for part in self.parts), Fraction(0))

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Gate:
        requires, passing, rate, below = None, (), None, None
        if fields.has("requires"):
            requires = input_ref(fields, "requires", inputs, ("yes_no", "choice"))
            passing = tuple(fields.items("passing", []))
            if requires.type == "choice":
                unknown = [option for option in passing if option not in requires.options]
                if not passing or unknown or len(passing) == len(requires.options):
                    raise DefinitionError(
                        f"{fields.where}.passing",
                        f"须列出 '{requires.id}' 中达到要求的选项（{'、'.join(requires.options)} 中的一部分），"
                        f"例如 passing = [\"{requires.options[0]}\"]"
                        + (f"；没有这些选项：{'、'.join(map(str, unknown))}" if unknown else ""))
            elif passing:
                raise DefinitionError(f"{fields.where}.passing", "是/否数据的门槛是「是」，不用写 passing；请删去")
        else:
            rate = Rate.parse(fields, inputs)
            below = positive(fields, "below")
        parts = tuple(parse_part(raw, f"{fields.where}.parts[{index}]", inputs)
                      for index, raw in enumerate(fields.items("parts")))
        if not parts:
            raise DefinitionError(f"{fields.where}.parts", "门槛（gate）须写明达到门槛后怎样评分的 parts，例如一个 deduction")
        return cls(rate, below, parts, requires, passing)

    def depends_on_reading(self) -> bool:
        return any(getattr(part, "depends_on_reading", lambda: False)() for part in self.parts)

    def score(self, values: Values, steps: StepReading) -> Outcome:
        if self.requires is not None:
            value = values[self.requires.id]
            met = value is True if self.requires.type == "yes_no" else value in self.passing
            shown = ("是" if value else "否") if self.requires.type == "yes_no" else str(value)
            if not met:
                return Outcome(Fraction(0), Fraction(0),
                               f"{self.requires.name}：{shown}，本项 {fmt(self.max_points)} 分不得分")
            passed = f"{self.requires.name}：{shown}"
        else:
            rate, text = self.rate.of(values, self.below)  # type: ignore[union-attr, arg-type]
            if rate is not None and rate < self.below:  # type: ignore[operator]
                return Outcome(Fraction(0), Fraction(0), f"{text}，低于 {fmt(self.below)}%，本项 {fmt(self.max_points)} 分不得分")  # type: ignore[arg-type]
            passed = f"{text}，视为不低于 {fmt(self.below)}%" if rate is None else f"{self.rate.label}不低于 {fmt(self.below)}%"  # type: ignore[arg-type, union-attr]
        inner = combine([part.score(values, steps) for part in self.parts])
        return replace(inner, text=f"{passed}；{inner.text}")  # keeps whatever else the parts said (judged, …)
