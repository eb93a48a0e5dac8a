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


CHOICE_NEEDS = ('inputs.x.options：选项数据（type = "choice"）须列出选项（options = ["健全", "基本健全", "不健全"]），'
                "其他类型的数据不能有 options")


YES_NO_BOUNDS = "inputs.x：是/否（yes_no）数据不能有数值界限（min、min_exclusive、max）；请删去它们"
CHOICE_BOUNDS = "inputs.x：选项数据（choice）不能有数值界限（min、min_exclusive、max）；请删去它们"


@pytest.mark.parametrize(("raw", "message"), [
    ({"type": "yes_no", "min": 0}, YES_NO_BOUNDS),
    ({"type": "yes_no", "max": 1}, YES_NO_BOUNDS),
    ({"type": "integer", "yes_requires": "y"},
     "inputs.x.yes_requires：只有是/否（yes_no）数据才能要求另一项；请删去 yes_requires 或把类型改为 yes_no"),
    ({"type": "yes_no", "at_most": "y"},
     "inputs.x.at_most：只有数值数据（integer、number、percent）才能以另一项为上限；请删去 at_most 或改类型"),
    ({"type": "integer", "options": GRADES}, CHOICE_NEEDS),
    ({"type": "choice"}, CHOICE_NEEDS),
    ({"type": "choice", "options": GRADES, "min": 0}, CHOICE_BOUNDS),
    ({"type": "choice", "options": GRADES, "max": 2}, CHOICE_BOUNDS),
    ({"type": "choice", "options": ["健,全", "否"]}, "inputs.x.options[0]：应为不含逗号和引号的非空词语，实际是 '健,全'"),
    ({"type": "choice", "options": ["是", '基本"健全']}, "inputs.x.options[1]：应为不含逗号和引号的非空词语，实际是 '基本\"健全'"),
    ({"type": "choice", "options": ["是", "  "]}, "inputs.x.options[1]：应为不含逗号和引号的非空词语，实际是 '  '"),
    ({"type": "choice", "options": [1, 2]}, "inputs.x.options[0]：应为不含逗号和引号的非空词语，实际是 1"),
    ({"type": "choice", "options": ["健全"]}, "inputs.x.options：至少要有两个选项（只有一个选项就无从选择）"),
    ({"type": "choice", "options": ["健全", "健全"]}, "inputs.x.options：每个选项只能列一次；请删去重复的选项"),
    ({"type": "choice", "options": ["甲" * 125, "乙" * 125]},
     "inputs.x.options：选项太长，Excel 下拉列表放不下（合计最多 250 个字符）；请缩短选项"),
])
def test_a_mistake_in_an_input_is_named_in_full(raw, message):
    with pytest.raises(DefinitionError) as error:
        parsed(**raw)
    assert str(error.value) == message
