"""A rate in percent, the one ratio helper: a percent input itself, or ``ratio`` = numerator / denominator × 100.

``below_target``, ``above_limit``, ``bands`` and ``gate`` all read their rate with it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt, fmt_pct
from selfscore.tables.rules.base import NUMERIC, Inputs, Values, input_ref


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
        """``label`` and exactly one of ``input`` (a percent input) and ``ratio``."""
        label = fields.text("label")
        if fields.has("ratio") == fields.has("input"):
            raise DefinitionError(fields.where, "请写 input（一项百分数数据）或 ratio = [分子, 分母] 二者之一")
        return cls.of_input(label, fields, inputs) if fields.has("input") else cls.of_ratio(label, fields, inputs)

    @classmethod
    def of_input(cls, label: str, fields: Fields, inputs: Inputs) -> Rate:
        """The rate a percent input gives itself (``input = "satisfaction_pct"``)."""
        return cls(label, value=input_ref(fields, "input", inputs, ("percent",)))

    @classmethod
    def of_ratio(cls, label: str, fields: Fields, inputs: Inputs) -> Rate:
        """The rate of two numeric inputs (``ratio = ["starts_actual", "starts_planned"]``), numerator first."""
        ratio = fields.items("ratio")
        if len(ratio) != 2:
            raise DefinitionError(f"{fields.where}.ratio", "应为 [分子, 分母] 两项数据的 id")
        pair = Fields({"numerator": ratio[0], "denominator": ratio[1]}, f"{fields.where}.ratio")
        return cls(label, numerator=input_ref(pair, "numerator", inputs, NUMERIC),
                   denominator=input_ref(pair, "denominator", inputs, NUMERIC))

    def percent(self, values: Values) -> Fraction | None:
        """The rate in percent; None when its denominator is 0."""
        if self.value is not None:
            return Fraction(values[self.value.id])
        assert self.numerator is not None and self.denominator is not None
        numerator, denominator = Fraction(values[self.numerator.id]), Fraction(values[self.denominator.id])
        return None if denominator == 0 else numerator / denominator * 100

    def facts(self, values: Values, show: Callable[[Decimal], str] = fmt) -> str:
        """A ratio's two facts as an explanation shows them: 「label：numerator 16 万元 / denominator 100 万元」."""
        assert self.numerator is not None and self.denominator is not None
        numerator, denominator = values[self.numerator.id], values[self.denominator.id]
        return (f"{self.label}：{self.numerator.name} {self.numerator.with_unit(show(numerator))} / "  # type: ignore[arg-type]
                f"{self.denominator.name} {self.denominator.with_unit(show(denominator))}")  # type: ignore[arg-type]

    def of(self, values: Values, *thresholds: Fraction) -> tuple[Fraction | None, str]:
        """The rate (None when its denominator is 0) and how it was obtained, in Chinese."""
        rate = self.percent(values)
        if self.value is not None:
            return rate, f"{self.label} {fmt_pct(rate, *thresholds)}"  # type: ignore[arg-type]
        assert self.denominator is not None
        if rate is None:
            return None, f"{self.facts(values)}，{self.denominator.name}为 0"
        return rate, f"{self.facts(values)} = {fmt_pct(rate, *thresholds)}"
