"""The step reading: how a rule that takes so much off per step counts a step begun but not completed.

「每低一个百分点扣1分」 says nothing of 0.3 points: ``ceil`` counts it as a step (the default, as 焦作市 scored),
``exact`` as 0.3 of a step, ``floor`` not at all. Everything that names, offers or counts a step reading —
the rules, the CLI's ``--steps``, the web form and API — takes it from here.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Literal

StepReading = Literal["ceil", "exact", "floor"]
STEP_READINGS: tuple[StepReading, ...] = ("ceil", "exact", "floor")
#: the reading used when none is chosen (it gives the results 焦作市 published)
DEFAULT_STEPS: StepReading = "ceil"
#: each reading in the words of an explanation or a report
STEP_READING_NAMES: dict[StepReading, str] = {
    "ceil": "不足一档按一档计",
    "exact": "按比例计",
    "floor": "满一档才计",
}
#: each reading in the words of a rule whose step is one percentage point (「每低 1 个百分点扣 1 分」)
STEP_READING_NAMES_PER_POINT: dict[StepReading, str] = {
    "ceil": "不足 1 个百分点按 1 个计",
    "exact": "按比例计",
    "floor": "不足 1 个百分点不计",
}


def counted_steps(step_count: Fraction, steps: StepReading) -> Fraction:
    """How many steps count under a step reading: any started one, a fraction, or only whole ones."""
    if steps == "ceil":
        return Fraction(math.ceil(step_count))
    if steps == "floor":
        return Fraction(math.floor(step_count))
    if steps == "exact":
        return step_count
    raise ValueError(f"unknown step reading {steps!r}; expected one of {', '.join(STEP_READINGS)}")
