"""How figures are shown: two decimals, or as many as it takes never to contradict the verdict they explain."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from selfscore.tables.numbers import fmt, fmt_apart, fmt_fact, fmt_pct, json_number, places_shown


@pytest.mark.parametrize(("value", "apart_from", "shown"), [
    (Fraction(99999, 1000), (100,), "99.999%"),          # not 100.00% beside a 100 % target
    (Fraction(12236, 100), (100,), "122.36%"),
    (Fraction(100), (100,), "100.00%"),                   # equal to the target: two decimals suffice
    (Fraction(46358, 95100), (20,), "0.49%"),
    (Fraction(1999999, 20000), (100,), "99.99995%"),
])
def test_a_percentage_has_two_decimals_or_the_digits_its_difference_needs(value, apart_from, shown):
    assert fmt_pct(value, *apart_from) == shown


@pytest.mark.parametrize(("value", "places", "shown"), [
    (Fraction(1, 1000), 2, "0.001"),                # a shortfall is never shown as 0
    (Fraction(1, 2000), 2, "0.001"),                # rounded half up at the first place that shows it
    (Fraction(1, 2000), 4, "0.0005"),               # with as many places as the rate beside it
    (Fraction(4999, 1000), 2, "4.999"),             # not whole-looking: 「合 5 档」 under floor would contradict
    (Fraction(49999, 10000), 2, "4.9999"),
    (Fraction(9996, 10000), 2, "0.9996"),           # nor 「低 1 个百分点」 for a shortfall of 0.9996
    (Fraction(5), 2, "5"),
    (Fraction(0), 2, "0"),
    (Fraction(5, 2), 2, "2.5"),
    (Fraction(1, 3), 2, "0.33"),
    (Fraction(1, 10**40), 2, "0." + "0" * 39 + "1"),  # the most places tried: 40
    (Fraction(1, 10**41), 2, "0"),                  # beyond them the figure is shown as it rounds
])
def test_a_shortfall_or_step_count_that_is_not_whole_never_looks_whole(value, places, shown):
    assert fmt_apart(value, places=places) == shown


def test_many_digits_need_room_in_the_decimal_context():
    # a satisfaction typed as text with 22 significant digits: its shortfall is 10⁻²⁰ points
    value = Fraction(Decimal("79.99999999999999999999"))
    assert fmt_pct(value, 80) == "79.99999999999999999999%"
    assert fmt_apart(80 - value) == "0.00000000000000000001"
    # a fact just under 10¹⁵ with 20 decimals: 35 significant digits, more than Python's default 28
    large = Fraction(10**14) - Fraction(1, 10**20)
    assert fmt_apart(large) == "99999999999999." + "9" * 20


def test_a_shortfall_shown_with_more_places_than_forty_has_room_for_them():
    # a satisfaction of 1.0230150409251076e-73 (found by the fuzz test) is shown with 75 decimals; its shortfall too
    shown = fmt_apart(Fraction(85) - Fraction(1.0230150409251076e-73) * 100, places=75)
    assert shown == "84." + "9" * 70 + "8977"  # never a whole-looking 85, and every place the rate was shown with


def test_a_percentage_near_nothing_it_must_stay_apart_from_has_two_decimals():
    assert fmt_pct(Fraction(4999, 1000)) == "5.00%"  # only a step count is kept from looking whole
    assert fmt_pct(Fraction(4999, 1000), 5) == "4.999%"


@pytest.mark.parametrize(("text", "places"), [
    ("实际 99999 套 / 计划 100000 套 = 99.999%", 3), ("满意度 85%", 0), ("社会筹资 463.58 万元 / 95100 万元 = 0.49%", 2),
    ("满意度 79.5%", 1), ("计划为 0", 0),
])
def test_the_places_a_figure_was_shown_with_are_those_of_the_last_figure(text, places):
    assert places_shown(text) == places


@pytest.mark.parametrize(("value", "shown"), [
    (Decimal("463.58"), "463.58"), (Decimal("95100"), "95100"), (Decimal("282.0"), "282"), (Decimal("282.001"), "282.001"),
    (Decimal("1E+2"), "100"), (7, "7"),
])
def test_a_fact_is_shown_with_every_digit_it_was_read_with(value, shown):
    assert fmt_fact(value) == shown


@pytest.mark.parametrize(("value", "shown"), [(Fraction(69, 2), "34.5"), (Fraction(35), "35"), (Fraction(34999, 1000), "35"),
                                              (Fraction(1, 3), "0.33"), (Fraction(5, 1000), "0.01")])
def test_a_score_has_at_most_two_decimals_rounded_half_up(value, shown):
    assert fmt(value) == shown


def test_json_numbers_are_integers_when_whole():
    assert json_number(Fraction(35)) == 35 and isinstance(json_number(Fraction(35)), int)
    assert json_number(Fraction(69, 2)) == 34.5 and isinstance(json_number(Fraction(69, 2)), float)
    assert json_number(Fraction(1, 3)) == 0.33
    assert json_number(None) is None
