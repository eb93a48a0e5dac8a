"""``deduction`` (part): its points minus the capped sum of its terms, with the 「一次性扣除」 and 「且内容完整」 switches."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.numbers import fmt
from selfscore.tables.rules.base import Inputs, Outcome, Term, Values, input_ref, positive
from selfscore.tables.rules.registry import parse_term, rule_kind
from selfscore.tables.steps import StepReading


@rule_kind(
    "deduction", role="part",
    summary="Its points minus the sum of its terms' deductions, never below 0.",
    phrasing="「每发现1项扣0.5分，最多扣5分」；`zero_if`：「性质恶劣…一次性扣除5分」；`judgement_unless`：「且内容完整的」",
    example=('{ kind = "deduction", points = 5, zero_if = "severe_violation", '
             'terms = [{ kind = "per_count", input = "violations", per = 0.5 }] }'),
    doc=("`points` minus what its `terms` (`per_count`, `below_target`, `above_limit`) take off, at most all of them.\n"
         "`zero_if` names a `yes_no` input that, when 是, takes every point at once (「性质恶劣…一次性扣除」). "
         "`judgement_unless` names a `yes_no` input full marks require (「按时报送…且内容完整的」): when 否, "
         "a person judges a score between 0 and what the deductions leave, full points excluded.\n"
         "Under each step reading it takes off what its terms count under it."),
)
@dataclass(frozen=True)
class Deduction:
    """``points`` minus the sum of its terms' deductions, never below zero."""

    points: Fraction
    terms: tuple[Term, ...]
    #: a yes/no input that, when 是, takes all of this part's points at once
    zero_if: InputDefinition | None = None
    #: a yes/no input that full marks require: when 否, the score is left to a person's judgement in
    #: [0, computed], full points excluded (and 0 when the deductions already took every point)
    judgement_unless: InputDefinition | None = None

    @property
    def inputs(self) -> tuple[str, ...]:
        ids = [input_id for term in self.terms for input_id in term.inputs]
        ids += [switch.id for switch in (self.zero_if, self.judgement_unless) if switch is not None]
        return tuple(dict.fromkeys(ids))

    @property
    def max_points(self) -> Fraction:
        return self.points

    @classmethod
    def parse(cls, fields: Fields, inputs: Inputs) -> Deduction:
        points = positive(fields, "points")
        terms = []
        for index, raw in enumerate(fields.items("terms")):
            term_fields = Fields(raw, f"{fields.where}.terms[{index}]")
            terms.append(parse_term(term_fields, inputs))
            term_fields.done()
        if not terms:
            raise DefinitionError(f"{fields.where}.terms", "扣分（deduction）至少要有一条扣分项（terms），"
                                                        "例如 { kind = \"per_count\", input = \"violations\", per = 0.5 }")
        switches = {
            key: input_ref(fields, key, inputs, ("yes_no",)) if fields.has(key) else None
            for key in ("zero_if", "judgement_unless")
        }
        return cls(points, tuple(terms), **switches)

    def depends_on_reading(self) -> bool:
        return any(term.depends_on_reading() for term in self.terms)

    def score(self, values: Values, steps: StepReading) -> Outcome:
        if self.zero_if is not None and values[self.zero_if.id]:
            text = f"{self.zero_if.label}：是，一次性扣除 {fmt(self.points)} 分，得 0 分"
            return Outcome(Fraction(0), Fraction(0), text)
        deductions = [term.deduction(values, steps) for term in self.terms]
        total = sum((off for off, _ in deductions), Fraction(0))
        taken = min(total, self.points)
        earned = self.points - taken
        text = "；".join(part for _, part in deductions)
        if self.judgement_unless is not None and not values[self.judgement_unless.id] and earned > 0:
            return self._judged(text, total, earned)
        if total == 0:
            text += f"，得满分 {fmt(self.points)}"
        elif total > self.points:
            text += f"，扣分合计 {fmt(total)}，最多扣 {fmt(self.points)}，得 0 分"
        elif len(deductions) > 1:
            text += f"，共扣 {fmt(taken)} 分，得 {fmt(earned)} 分"
        else:
            text += f"，得 {fmt(earned)} 分"
        if self.judgement_unless is not None and not values[self.judgement_unless.id]:
            # the deductions already took every point: nothing is left for a person to judge
            text += f"；{self.judgement_unless.label}：否，但扣分后已为 0 分，无需人工判定"
        return Outcome(earned, earned, text)

    def _judged(self, text: str, total: Fraction, earned: Fraction) -> Outcome:
        """「按时报送…且内容完整的（5分）」: without the condition full marks are out, and how much less
        is not said, so a person judges a score in [0, what the deductions leave), full points excluded."""
        assert self.judgement_unless is not None
        if total:
            text += f"，扣分后至多 {fmt(earned)} 分"
        condition = f"；{self.judgement_unless.label}：否——评分标准未规定此情形如何扣分，需人工判定，得分应在 0～{fmt(earned)} 分之间"
        if earned < self.points:
            return Outcome(earned, Fraction(0), text + condition, judged=True)
        return Outcome(earned, Fraction(0), text + condition + f"，且不能得满分 {fmt(self.points)} 分（满分要求此项为「是」）",
                       judged=True, high_excluded=True)
