"""Exact arithmetic helpers: scores are Fractions, shown with at most two decimals."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext
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


def _plain(value: Decimal) -> str:
    """A decimal in positional notation without trailing zeros: 4.50 → 4.5, 1E+2 → 100, 95100 stays 95100."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def fmt(value: Exact) -> str:
    """Show a score or quantity with at most two decimals and no trailing zeros: 35, 4.5, 95.12."""
    return _plain(round2(value))


def fmt_fact(value: Decimal | int) -> str:
    """A fact as it was typed, every digit kept and no trailing zeros: 463.58, 95100, 282.001."""
    return _plain(Decimal(value))


def fmt_pct(value: Exact, *apart_from: Exact) -> str:
    """A percentage with two decimals (122.36%), or more when two would make it look equal to one of
    ``apart_from`` that it is not (99.999%, not 100.00%, beside a 100% target)."""
    return f"{_visible(value, apart_from, places=2)}%"


def places_shown(text: str) -> int:
    """How many decimals the figure ending a text was shown with: 「… = 99.999%」 → 3."""
    decimals = re.search(r"(?:\.(\d+))?%?$", text)
    return len(decimals.group(1)) if decimals and decimals.group(1) else 0


def fmt_apart(value: Exact, *, places: int = 2) -> str:
    """``fmt`` with ``places`` decimals, or as many more as it takes for a value that is not whole never to look whole.

    An explanation must never contradict its result: a shortfall of 0.001 points is 「低 0.001 个百分点」,
    never 「低 0 个百分点，扣 1 分」, and 4.999 steps is not 「合 5 档」 when whole steps are what counts."""
    return _plain(_visible(value, (), places=places, whole_apart=True))


#: enough for any fact below 10**15 typed with many decimals; beyond it the figure is shown as it rounds
_MOST_PLACES = 40


def _visible(value: Exact, apart_from: tuple[Exact, ...], *, places: int, whole_apart: bool = False) -> Decimal:
    fraction = to_fraction(value)
    avoid = {to_fraction(other) for other in apart_from if to_fraction(other) != fraction}
    # room for 15 integer digits and every decimal tried (more than _MOST_PLACES when a rate is shown with more)
    with localcontext(prec=max(places, _MOST_PLACES) + 20):
        exact = Decimal(fraction.numerator) / Decimal(fraction.denominator)
        for digits in range(max(places, 2), max(places, _MOST_PLACES) + 1):
            shown = exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
            looks_whole = whole_apart and fraction.denominator != 1 and shown == shown.to_integral_value()
            if not looks_whole and Fraction(shown) not in avoid:
                return shown
    return shown


def json_number(value: Exact | None) -> int | float | None:
    """A score as JSON shows it: an integer when whole, else at most two decimals."""
    if value is None:
        return None
    rounded = round2(value)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def matches(self_score: Exact, recomputed: Exact) -> bool:
    return abs(to_fraction(self_score) - to_fraction(recomputed)) <= MATCH_TOLERANCE
