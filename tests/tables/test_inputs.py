"""Input (fact) definitions: defaults, what a clerk is told a value should look like, and every mistake named in full."""

from __future__ import annotations

import pytest

from selfscore.tables.definitions import DefinitionError
from selfscore.tables.inputs import input_definition_from

GRADES = ["健全", "基本健全", "不健全"]


def parsed(**raw):
    return input_definition_from({"id": "x", "label": "甲", **raw}, "inputs.x")


def test_what_an_input_leaves_out_is_empty_not_missing():
    definition = parsed(type="integer")
    assert (definition.unit, definition.short, definition.hint, definition.options) == ("", "", "", ())
    assert (definition.name, definition.with_unit(3)) == ("甲", "3")


def test_a_clerk_is_told_the_words_a_value_may_be():
    assert parsed(type="yes_no").expected() == "「是」或「否」"
    assert parsed(type="choice", options=GRADES).expected() == "「健全」、「基本健全」或「不健全」"
    assert parsed(type="choice", options=["有", "无"]).options == ("有", "无")   # two options are a choice


@pytest.mark.parametrize(("raw", "expected"), [
    ({"type": "integer"}, "整数"),
    ({"type": "integer", "min": 0}, "不小于 0 的整数"),
    ({"type": "number", "min": 0, "max": 10}, "不小于 0、不大于 10 的数字"),
    ({"type": "number", "min_exclusive": 0}, "大于 0 的数字"),
    ({"type": "percent", "min": 0, "max": 100}, "百分数（0～100）"),   # the range is in the words already
])
def test_a_clerk_is_told_what_a_number_may_be(raw, expected):
    assert parsed(**raw).expected() == expected


def test_a_value_is_shown_with_its_unit():
    assert parsed(type="percent", unit="%").with_unit(85) == "85%"
    assert parsed(type="integer", unit="套").with_unit(3) == "3 套"


def test_a_dropdown_may_use_every_character_excel_allows():
    # Excel keeps a list's formula under 256 characters: 250 in all (entries and their commas) still fit
    options = ["甲" * 124, "乙" * 125]
    assert len(",".join(options)) == 250
    assert parsed(type="choice", options=options).options == tuple(options)


CHOICE_NEEDS = ('inputs.x.options: a choice input needs its options (options = ["健全", "基本健全", "不健全"]), '
                "and only a choice input has them")


@pytest.mark.parametrize(("raw", "message"), [
    ({"type": "yes_no", "min": 0}, "inputs.x: a yes_no input cannot have numeric bounds"),
    ({"type": "yes_no", "max": 1}, "inputs.x: a yes_no input cannot have numeric bounds"),
    ({"type": "integer", "yes_requires": "y"}, "inputs.x.yes_requires: only a yes_no input can require another"),
    ({"type": "yes_no", "at_most": "y"}, "inputs.x.at_most: only a numeric input can be bounded by another"),
    ({"type": "integer", "options": GRADES}, CHOICE_NEEDS),
    ({"type": "choice"}, CHOICE_NEEDS),
    ({"type": "choice", "options": GRADES, "min": 0}, "inputs.x: a choice input cannot have numeric bounds"),
    ({"type": "choice", "options": GRADES, "max": 2}, "inputs.x: a choice input cannot have numeric bounds"),
    ({"type": "choice", "options": ["健,全", "否"]},
     "inputs.x.options[0]: expected a non-empty word without commas or quotes, got '健,全'"),
    ({"type": "choice", "options": ["是", '基本"健全']},
     "inputs.x.options[1]: expected a non-empty word without commas or quotes, got '基本\"健全'"),
    ({"type": "choice", "options": ["是", "  "]}, "inputs.x.options[1]: expected a non-empty word without commas or quotes, got '  '"),
    ({"type": "choice", "options": [1, 2]}, "inputs.x.options[0]: expected a non-empty word without commas or quotes, got 1"),
    ({"type": "choice", "options": ["健全"]}, "inputs.x.options: a choice needs at least two options (one option is no choice)"),
    ({"type": "choice", "options": ["健全", "健全"]}, "inputs.x.options: each option must be listed once"),
    ({"type": "choice", "options": ["甲" * 125, "乙" * 125]},
     "inputs.x.options: too long for an Excel dropdown (at most 250 characters in all)"),
])
def test_a_mistake_in_an_input_is_named_in_full(raw, message):
    with pytest.raises(DefinitionError) as error:
        parsed(**raw)
    assert str(error.value) == message
