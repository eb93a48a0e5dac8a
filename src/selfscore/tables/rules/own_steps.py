"""A term's own step reading: 「按比例扣分」 fixes how its steps count, whatever ``--steps`` says.

Any term that counts steps (``below_target``, ``above_limit``) takes ``steps = "exact"`` (or ceil, floor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import Fields
from selfscore.tables.rules.base import Inputs, Term, Values
from selfscore.tables.steps import STEP_READING_NAMES, STEP_READINGS, StepReading


@dataclass(frozen=True)
class OwnSteps:
    """A term whose criterion fixes its own step reading (「按比例扣分」 → exact), whatever ``--steps`` says."""

    term: Term
    steps: StepReading

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.term.inputs

    def depends_on_reading(self) -> bool:
        return False  # so no other reading is offered as a `rounding_reading` either

    def deduction(self, values: Values, steps: StepReading) -> tuple[Fraction, str]:
        off, text = self.term.deduction(values, self.steps)
        return off, f"{text}（评分标准规定{STEP_READING_NAMES[self.steps]}，不随所选口径变化）"


def parse_with_own_steps(parse: Callable[[Fields, Inputs], Term], fields: Fields, inputs: Inputs) -> Term:
    """A term as ``parse`` reads it, fixed to ``steps = "exact"`` (or ceil/floor) when its criterion says so."""
    steps = fields.choice("steps", STEP_READINGS) if fields.has("steps") else None
    term = parse(fields, inputs)
    return term if steps is None else OwnSteps(term, steps)  # type: ignore[arg-type]
