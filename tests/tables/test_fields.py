"""Strict reading of a definition file's keys: every mistake names the file, the key and the fix, word for word."""

from __future__ import annotations

from decimal import Decimal

import pytest

from selfscore.tables.fields import DefinitionError, Fields

WHERE = "t.toml.groups[0]"


def fields(**data) -> Fields:
    return Fields(data, WHERE)


def error_of(action) -> str:
    with pytest.raises(DefinitionError) as error:
        action()
    return str(error.value)


def test_each_reader_returns_the_value_or_the_default():
    f = fields(name="资金", points=5, share=0.5, parts=[1, 2], grades={"健全": 2}, flag=True)
    assert f.text("name") == "资金" and f.text("absent", "") == "" and f.text("gone", None) is None
    assert f.integer("points") == 5
    assert f.number("share") == Decimal("0.5") and f.number("absent", None) is None   # through str: exactly one half
    tenth = fields(step=0.1).number("step")
    assert isinstance(tenth, Decimal) and tenth == Decimal("0.1")                      # not the float nearest 0.1
    assert f.items("parts") == [1, 2] and f.items("absent", []) == []
    assert f.mapping("grades") == {"健全": 2}
    assert f.has("flag") and not f.has("name")          # a read key is taken out
    assert error_of(f.done) == f"{WHERE}：未知的键 flag；请改正拼写或删除"


def test_an_empty_default_is_allowed_but_an_empty_required_text_is_not():
    assert fields(unit="").text("unit", "") == ""
    assert error_of(lambda: fields(name="  ").text("name")) == f"{WHERE}.name：不能为空；请填写"


@pytest.mark.parametrize(("data", "read", "message"), [
    ({}, lambda f: f.text("name"), f"{WHERE}：缺少键 name；请补上（name = …）"),
    ({}, lambda f: f.number("points"), f"{WHERE}：缺少键 points；请补上（points = …）"),
    ({}, lambda f: f.integer("annex"), f"{WHERE}：缺少键 annex；请补上（annex = …）"),
    ({}, lambda f: f.mapping("points"), f"{WHERE}：缺少键 points；请补上（points = …）"),
    ({"points": True}, lambda f: f.integer("points"),
     f"{WHERE}.points：应为整数，实际是 true/false；请写成整数"),
    ({"points": "5"}, lambda f: f.integer("points"), f"{WHERE}.points：应为整数，实际是 '5'；请写成整数"),
    ({"share": "0.5"}, lambda f: f.number("share"), f"{WHERE}.share：应为整数或数字，实际是 '0.5'；请写成整数或数字"),
    ({"parts": {}}, lambda f: f.items("parts"), f"{WHERE}.parts：应为列表 [ … ]，实际是 {{}}；请写成列表 [ … ]"),
    ({"grades": []}, lambda f: f.mapping("grades"), f"{WHERE}.grades：应为表 {{ … }}，实际是 []；请写成表 {{ … }}"),
    ({"name": 3}, lambda f: f.text("name"), f"{WHERE}.name：应为文本（加英文引号），实际是 3；请写成文本（加英文引号）"),
    ({"steps": "round"}, lambda f: f.choice("steps", ("ceil", "exact", "floor")),
     f"{WHERE}.steps：未知的值 'round'，可选：ceil, exact, floor"),
    ({"a": 1, "c": 2, "b": 3}, lambda f: f.done(), f"{WHERE}：未知的键 a, b, c；请改正拼写或删除"),
])
def test_a_mistake_is_named_in_full(data, read, message):
    assert error_of(lambda: read(fields(**data))) == message


def test_a_list_where_a_table_belongs_is_named():
    assert error_of(lambda: Fields([1], WHERE)) == f"{WHERE}：应为一组「键 = 值」（表），实际是 列表"

