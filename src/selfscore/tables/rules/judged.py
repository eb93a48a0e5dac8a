"""``judged`` (part): a criterion no rule reads yet; a reviewer judges it, anywhere from 0 to its points."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import Fields
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Values, positive
from selfscore.tables.rules.registry import rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "judged", role="part",
    summary="A criterion no rule reads yet: any score from 0 to `points`, for a reviewer to judge.",
    phrasing="评分标准中尚未写成规则的句子（`selfscore table new` 读不懂的评分标准），由审核人判定",
    example='{ kind = "judged", points = 5 }',
    doc=("Scores a `review` range from 0 to `points` whatever the facts: the self-score is accepted within it and "
         "the indicator is listed for a person to confirm. `selfscore table new` writes it for a criterion it "
         "could not compile, with a comment quoting the sentence, so the table works from its first run; "
         "replace it by the rules the criterion means. The step reading does not matter."),
)
@dataclass(frozen=True)
class Judged:
    """Any score from 0 to ``points``, for a reviewer to judge."""

    points: Fraction

    @property
    def inputs(self) -> tuple[str, ...]:
        return ()

    @property
    def max_points(self) -> Fraction:
        return self.points

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Judged:
        return cls(positive(fields, "points"))

    def depends_on_reading(self) -> bool:
        return False

    def score(self, values: Values, steps: StepReading) -> Outcome:
        return Outcome(self.points, Fraction(0), f"评分标准尚未写成规则，由审核人判定（0～{fmt(self.points)} 分）", judged=True)
