"""An independent reading of a definition file's criteria: the expected score of every indicator, by hand arithmetic.

The scorer (selfscore.tables.rules) must not be its own oracle, so this reads the raw TOML and does the
criterion arithmetic in its own way — cross-multiplied comparisons instead of rates, ``max(0, …)``
instead of capping, integer steps counted by division — for the rule kinds the shipped tables use.
A rule kind it does not know raises, so a test built on it fails rather than passing unchecked.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

from selfscore.tables.definitions import TableDefinition


@dataclass(frozen=True)
class Expected:
    low: Fraction
    high: Fraction
    #: full marks are ruled out (「…且内容完整的」 with 内容不完整)
    high_excluded: bool = False


def raw_indicators(table: TableDefinition) -> dict[str, dict]:
    data = tomllib.loads(Path(table.source).read_text(encoding="utf-8"))
    return {indicator["id"]: indicator for group in data["groups"] for indicator in group["indicators"]}


def _steps(short_by: Fraction, step: Fraction, reading: str) -> Fraction:
    """Steps of ``step`` in a shortfall: whole ones by integer division, a started one added for ceil."""
    whole, rest = divmod(short_by, step)
    if reading == "exact":
        return short_by / step
    return Fraction(whole) + (1 if reading == "ceil" and rest else 0)


def _term_off(term: dict, values: dict, reading: str) -> Fraction:
    per = Fraction(str(term["per"]))
    if term["kind"] == "per_count":
        return Fraction(values[term["input"]]) * per
    if term["kind"] != "below_target":
        raise NotImplementedError(term["kind"])
    target, step = Fraction(str(term["target"])), Fraction(str(term["step"]))
    if "input" in term:
        rate = Fraction(values[term["input"]])
        return per * _steps(target - rate, step, reading) if rate < target else Fraction(0)
    numerator, denominator = (Fraction(values[key]) for key in term["ratio"])
    # met when numerator × 100 ≥ target × denominator: 0 ≥ 0 for a plan of zero
    if numerator * 100 >= target * denominator:
        return Fraction(0)
    return per * _steps(target - numerator * 100 / denominator, step, reading)


def _part(part: dict, values: dict, reading: str) -> Expected:
    if part["kind"] == "checklist":
        earned = sum((Fraction(str(item["points"])) for item in part["items"] if values[item["input"]]), Fraction(0))
        return Expected(earned, earned)
    if part["kind"] != "deduction":
        raise NotImplementedError(part["kind"])
    points = Fraction(str(part["points"]))
    if "zero_if" in part and values[part["zero_if"]]:
        return Expected(Fraction(0), Fraction(0))
    earned = max(Fraction(0), points - sum((_term_off(t, values, reading) for t in part["terms"]), Fraction(0)))
    if "judgement_unless" in part and not values[part["judgement_unless"]] and earned > 0:
        return Expected(Fraction(0), earned, high_excluded=earned == points)
    return Expected(earned, earned)


def expected_score(raw_indicator: dict, values: dict, reading: str) -> Expected:
    parts = [_part(part, values, reading) for part in raw_indicator["parts"]]
    return Expected(sum((p.low for p in parts), Fraction(0)), sum((p.high for p in parts), Fraction(0)),
                    any(p.high_excluded for p in parts))


def as_person_writes(value: Fraction) -> Decimal:
    """A score as a clerk types it: two decimals, half up."""
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
