"""Input (fact) definitions: what a filler enters and which values are allowed."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from selfscore.tables.fields import DefinitionError, Fields

InputType = Literal["yes_no", "integer", "number", "percent", "choice"]
INPUT_TYPES: tuple[InputType, ...] = ("yes_no", "integer", "number", "percent", "choice")
NUMERIC_TYPES: tuple[InputType, ...] = ("integer", "number", "percent")


@dataclass(frozen=True)
class InputDefinition:
    id: str
    label: str
    type: InputType
    unit: str = ""
    short: str = ""
    hint: str = ""
    min: Decimal | None = None
    min_exclusive: Decimal | None = None
    max: Decimal | None = None
    #: id of another numeric input this one must not exceed
    at_most: str | None = None
    #: id of a count input that must be at least 1 when this yes/no input is 是
    yes_requires: str | None = None
    #: the words a ``choice`` input accepts (健全 / 基本健全 / 不健全), in the order the dropdown shows them
    options: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The short name used inside explanations."""
        return self.short or self.label

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    def expected(self) -> str:
        """What a valid value looks like, in the words a clerk reads."""
        if self.type == "yes_no":
            return "「是」或「否」"
        if self.type == "choice":
            return "、".join(f"「{option}」" for option in self.options[:-1]) + f"或「{self.options[-1]}」"
        kind = {"integer": "整数", "number": "数字", "percent": "百分数（0～100）"}[self.type]
        bounds = []
        if self.min_exclusive is not None:
            bounds.append(f"大于 {self.min_exclusive}")
        if self.min is not None and self.type != "percent":
            bounds.append(f"不小于 {self.min}")
        if self.max is not None and self.type != "percent":
            bounds.append(f"不大于 {self.max}")
        return ("、".join(bounds) + " 的" if bounds else "") + kind

    def with_unit(self, value: object) -> str:
        if self.unit == "%":
            return f"{value}%"
        return f"{value} {self.unit}".rstrip()


def input_definition_from(data: object, where: str) -> InputDefinition:
    """One input (fact) definition from its [[inputs]] table; every mistake names the key and the fix."""
    fields = Fields(data, where)
    definition = InputDefinition(
        id=fields.text("id"),
        label=fields.text("label"),
        type=fields.choice("type", INPUT_TYPES),  # type: ignore[arg-type]
        unit=fields.text("unit", ""),
        short=fields.text("short", ""),
        hint=fields.text("hint", ""),
        min=fields.number("min", None),
        min_exclusive=fields.number("min_exclusive", None),
        max=fields.number("max", None),
        at_most=fields.text("at_most", None),
        yes_requires=fields.text("yes_requires", None),
        options=_options(fields, where),
    )
    fields.done()
    if definition.type == "yes_no" and any(
        bound is not None for bound in (definition.min, definition.min_exclusive, definition.max)
    ):
        raise DefinitionError(where, "是/否（yes_no）数据不能有数值界限（min、min_exclusive、max）；请删去它们")
    if definition.yes_requires and definition.type != "yes_no":
        raise DefinitionError(f"{where}.yes_requires", "只有是/否（yes_no）数据才能要求另一项；请删去 yes_requires 或把类型改为 yes_no")
    if definition.at_most and not definition.is_numeric:
        raise DefinitionError(f"{where}.at_most", "只有数值数据（integer、number、percent）才能以另一项为上限；请删去 at_most 或改类型")
    if (definition.type == "choice") != bool(definition.options):
        raise DefinitionError(f"{where}.options", "选项数据（type = \"choice\"）须列出选项"
                                                       "（options = [\"健全\", \"基本健全\", \"不健全\"]），"
                              "其他类型的数据不能有 options")
    if definition.type == "choice" and any(bound is not None for bound in (definition.min, definition.min_exclusive, definition.max)):
        raise DefinitionError(where, "选项数据（choice）不能有数值界限（min、min_exclusive、max）；请删去它们")
    return definition


#: Excel keeps a dropdown's list formula under 256 characters, and separates its entries with commas
_DROPDOWN_LIMIT = 250


def _options(fields: Fields, where: str) -> tuple[str, ...]:
    options = fields.items("options", [])
    for index, option in enumerate(options):
        if not isinstance(option, str) or not option.strip() or "," in option or '"' in option:
            raise DefinitionError(f"{where}.options[{index}]", f"应为不含逗号和引号的非空词语，实际是 {option!r}")
    if len(options) == 1:
        raise DefinitionError(f"{where}.options", "至少要有两个选项（只有一个选项就无从选择）")
    if len(set(options)) != len(options):
        raise DefinitionError(f"{where}.options", "每个选项只能列一次；请删去重复的选项")
    if len(",".join(options)) > _DROPDOWN_LIMIT:
        raise DefinitionError(f"{where}.options", f"选项太长，Excel 下拉列表放不下（合计最多 {_DROPDOWN_LIMIT} 个字符）；请缩短选项")
    return tuple(option.strip() for option in options)
