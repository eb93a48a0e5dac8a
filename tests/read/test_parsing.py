"""Reading one cell for its definition: the value, and exactly what was done to read it (said back to the clerk)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from selfscore.read.parsing import parse_input, parse_year, shown
from selfscore.tables.inputs import input_definition_from as define


def definition(type_: str = "integer", unit: str = "套", **extra):
    return define({"id": "x", "label": "甲", "type": type_, "unit": unit, **extra}, "inputs.x")


@pytest.mark.parametrize(("typed", "value", "how"), [
    ("１２３", Decimal(123), "全角字符按半角读取"),
    (" 123 ", Decimal(123), "去掉空格"),
    ("1 234", Decimal(1234), "去掉空格"),
    ("１２３ ", Decimal(123), "全角字符按半角读取、去掉空格"),
    ("123套", Decimal(123), "去掉单位「套」"),
    ("1,234", Decimal(1234), "去掉千位分隔符"),
    ("1,234 套", Decimal(1234), "去掉空格、去掉单位「套」、去掉千位分隔符"),
    ("123", Decimal(123), "文本格式的数字"),
])
def test_a_number_typed_as_text_says_how_it_was_read(typed, value, how):
    parsed = parse_input(typed, definition())
    assert (parsed.value, parsed.error) == (value, None)
    assert parsed.notes == [("value_normalised", {"normalised": f" {value} ", "how": how})]


def test_a_unit_alone_is_not_a_number():
    assert parse_input("套", definition()).error == "value_not_number"


def test_a_graded_word_with_spaces_or_full_width_is_read_and_said():
    grades = definition("choice", unit="", options=["健全", "基本健全", "不健全"])
    parsed = parse_input(" 基本 健全 ", grades)
    assert parsed.value == "基本健全"
    assert parsed.notes == [("value_normalised", {"normalised": "「基本健全」", "how": "去除空格或全角字符"})]
    assert parse_input("健全", grades).notes == []


@pytest.mark.parametrize(("typed", "unit", "value", "rate"), [
    ("9.51亿元", "万元", Decimal(95100), "1 亿元 = 10000 万元"),
    ("9.51亿", "万元", Decimal(95100), "1 亿元 = 10000 万元"),
    ("50000元", "万元", Decimal(5), "1 万元 = 10000 元"),
    ("1.2万m2", "平方米", Decimal(12000), "1 万平方米 = 10000 平方米"),
    ("12000㎡", "万平方米", Decimal("1.2"), "1 万平方米 = 10000 平方米"),
])
def test_a_value_in_another_unit_of_its_kind_is_converted_and_the_rate_named(typed, unit, value, rate):
    parsed = parse_input(typed, definition("number", unit=unit))
    assert parsed.value == value
    assert parsed.notes == [("unit_converted", {"normalised": f"{value} {unit}", "rate": rate, "unit": unit})]


@pytest.mark.parametrize(("typed", "value", "notes"), [
    ("是", True, []),
    ("否", False, []),
    ("有", True, [("value_normalised", {"normalised": "「是」", "how": "本工具把「有」「√」「Y」等读作「是」"})]),
    ("×", False, [("value_normalised", {"normalised": "「否」", "how": "本工具把「无」「×」「N」等读作「否」"})]),
])
def test_a_yes_or_no_in_other_words_is_read_and_said(typed, value, notes):
    parsed = parse_input(typed, definition("yes_no", unit=""))
    assert (parsed.value, parsed.notes) == (value, notes)


@pytest.mark.parametrize(("typed", "value", "assumed"), [
    ("85%", Decimal(85), None),
    ("1%", Decimal(1), None),            # typed with its sign: one percent, never 100 %
    (0, Decimal(0), None),               # nothing to read as a fraction
    (Decimal("0.85"), Decimal(85), "85"),
    (1, Decimal(100), "100"),            # 1 in a plain cell: 100 %, said as 100 (not 1E+2)
    (85, Decimal(85), None),
])
def test_a_percent_cell_reads_a_fraction_as_a_percentage_and_says_so(typed, value, assumed):
    parsed = parse_input(typed, definition("percent", unit="%", min=0, max=100))
    assert parsed.value == value
    notes = [note for note in parsed.notes if note[0] == "percent_assumed"]
    assert notes == ([] if assumed is None else [("percent_assumed", {"normalised": assumed})])


def test_a_percent_input_without_a_unit_still_reads_a_typed_percent_sign():
    parsed = parse_input("85%", definition("percent", unit="", min=0, max=100))
    assert (parsed.value, parsed.error) == (Decimal(85), None)


@pytest.mark.parametrize(("typed", "year", "error"), [
    ("2020年", 2020, None), ("2020年度", 2020, None), (2020, 2020, None), ("  ", None, None), (None, None, None),
    (1990, 1990, None), (2100, 2100, None), (1989, None, "year_invalid"), (2101, None, "year_invalid"),
    (2020.5, None, "year_invalid"), ("二〇二〇", None, "year_invalid"),
])
def test_an_evaluation_year_is_read_with_or_without_its_word(typed, year, error):
    parsed = parse_year(typed)
    assert (parsed.value, parsed.error) == (year, error)


@pytest.mark.parametrize(("raw", "text"), [
    (dt.datetime(2020, 5, 1, 13, 45), "2020-05-01 13:45"),
    (dt.datetime(2020, 5, 1), "2020-05-01"),         # a date Excel keeps as midnight is shown as the date
    (dt.date(2020, 5, 1), "2020-05-01"),
    (3.0, "3"),
    (3.5, "3.5"),
    ("两项", "两项"),
])
def test_a_cell_is_echoed_as_the_filler_would_recognise_it(raw, text):
    assert shown(raw) == text


@pytest.mark.parametrize("raw", [True, dt.datetime(2020, 5, 1), dt.time(8, 30), dt.timedelta(days=1), float("inf"), float("nan")])
def test_what_is_not_a_number_is_said_to_be_not_a_number(raw):
    assert (parse_input(raw, definition()).value, parse_input(raw, definition()).error) == (None, "value_not_number")


def test_numbers_are_kept_exactly_as_given():
    assert parse_input(Decimal("282"), definition()).value == Decimal(282)
    tiny = parse_input("0.0000001", definition("number", unit="万元"))
    assert tiny.notes == [("value_normalised", {"normalised": " 0.0000001 ", "how": "文本格式的数字"})]   # never 1E-7


def test_a_number_of_a_thousand_trillion_or_more_is_too_large():
    assert parse_input(10**15 - 1, definition("number", unit="万元")).value == Decimal(10**15 - 1)
    assert parse_input(10**15, definition("number", unit="万元")).error == "value_too_large"


def test_a_value_of_no_cell_type_at_all_is_not_a_number():
    assert parse_input(object(), definition()).error == "value_not_number"


def test_a_percent_sign_is_only_read_in_a_percent_cell():
    assert parse_input("85%", definition()).error == "value_not_number"   # a count of 套 is not a percentage
