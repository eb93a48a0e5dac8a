"""Exact arithmetic helpers: scores are Fractions, shown with at most two decimals."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

Exact = Fraction | Decimal | int

#: A self-score matches a recomputed one when they differ by at most this.
MATCH_TOLERANCE = Fraction(5, 1000)
_CENT = Decimal("0.01")


def to_fraction(value: Exact) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)


def round2(value: Exact) -> Decimal:
    """Round half up to two decimals, as a person with a calculator would."""
    fraction = to_fraction(value)
    exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
    return exact.quantize(_CENT, rounding=ROUND_HALF_UP)


def fmt(value: Exact) -> str:
    """Show a score or quantity with at most two decimals and no trailing zeros: 35, 4.5, 95.12."""
    text = format(round2(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt_pct(value: Exact) -> str:
    """A percentage with exactly two decimals: 122.36%."""
    return f"{round2(value)}%"


def json_number(value: Exact | None) -> int | float | None:
    """A score as JSON shows it: an integer when whole, else at most two decimals."""
    if value is None:
        return None
    rounded = round2(value)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def matches(self_score: Exact, recomputed: Exact) -> bool:
    return abs(to_fraction(self_score) - to_fraction(recomputed)) <= MATCH_TOLERANCE
