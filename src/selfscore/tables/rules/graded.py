"""``graded`` (part): points by the word chosen for each item (健全 2, 基本健全 1, 不健全 0)."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Values, input_ref, not_negative
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "graded", role="part",
    summary="Points by the word chosen for each item from a dropdown: 健全 2, 基本健全 1, 不健全 0.",
    phrasing="「制度健全的得2分，基本健全的得1分，不健全的不得分」",
    example='{ kind = "graded", items = [{ input = "funds_rules", points = { "健全" = 2, "基本健全" = 1, "不健全" = 0 } }] }',
    doc=("Each item names a `choice` input (`options = [\"健全\", \"基本健全\", \"不健全\"]`, a dropdown in the template; "
         "any other word is `value_not_choice`) and the points of every option. The part is worth the sum of each "
         "item's best option. The step reading does not matter."),
)
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
            definition = input_ref(item, "input", inputs, ("choice",))
            grades = Fields(item.mapping("points"), f"{item.where}.points")
            missing = [option for option in definition.options if not grades.has(option)]
            if missing:
                raise DefinitionError(grades.where, f"须给出 '{definition.id}' 每个选项的分值；缺少 {', '.join(missing)}")
            scored = tuple((option, not_negative(grades, option)) for option in definition.options)
            grades.done()
            item.done()
            if max(points for _, points in scored) <= 0:
                raise DefinitionError(grades.where, "至少要有一个选项的分值大于 0")
            items.append((definition, scored))
        if not items:
            raise DefinitionError(f"{fields.where}.items", "分等评分（graded）至少要有一项")
        return cls(tuple(items))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, steps: StepReading) -> Outcome:
        earned = Fraction(0)
        texts = []
        for definition, grades in self.items:
            chosen = str(values[definition.id])
            points = dict(grades)[chosen]
            earned += points
            texts.append(f"{definition.label}：{chosen}（{fmt(points)}/{fmt(max(p for _, p in grades))}）")
        return Outcome(earned, earned, "；".join(texts) + f"，小计 {fmt(earned)} 分")
