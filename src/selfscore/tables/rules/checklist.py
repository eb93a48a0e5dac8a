"""``checklist`` (part): points for each yes/no fact that is 是."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Values, input_ref, positive
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


def _yes_no(value: Decimal | bool) -> str:
    return "是" if value else "否"


@rule_kind(
    "checklist", role="part",
    summary="Points for each yes/no fact answered 是.",
    phrasing="「资金管理办法健全规范（2分）…否则扣减相应分数」",
    example='{ kind = "checklist", items = [{ input = "alloc_rules_sound", points = 2 }] }',
    doc=("Each item names a `yes_no` input and its points: 是 earns them, 否 earns nothing. "
         "The part is worth the sum of its items' points. The step reading does not matter."),
)
@dataclass(frozen=True)
class Checklist:
    """Points for each yes/no fact that is 是."""

    items: tuple[tuple[InputDefinition, Fraction], ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(item.id for item, _ in self.items)

    @property
    def max_points(self) -> Fraction:
        return sum((points for _, points in self.items), Fraction(0))

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Checklist:
        items = []
        for index, raw in enumerate(fields.items("items")):
            item = Fields(raw, f"{fields.where}.items[{index}]")
            items.append((input_ref(item, "input", inputs, ("yes_no",)), positive(item, "points")))
            item.done()
        if not items:
            raise DefinitionError(f"{fields.where}.items", "清单（checklist）至少要有一项，例如 { input = \"funds_arranged\", points = 2 }")
        return cls(tuple(items))

    def score(self, values: Values, steps: StepReading) -> Outcome:
        earned = sum((points for item, points in self.items if values[item.id]), Fraction(0))
        if len(self.items) == 1:
            item, _ = self.items[0]
            text = f"{item.label}：{_yes_no(values[item.id])}，得 {fmt(earned)} 分"
        else:
            text = "；".join(
                f"{item.label}：是，得 {fmt(points)} 分" if values[item.id] else f"{item.label}：否，不得分（本项 {fmt(points)} 分）"
                for item, points in self.items
            ) + f"，小计 {fmt(earned)} 分"
        return Outcome(earned, earned, text)
