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
    assert error_of(f.done) == f"{WHERE}: unknown key(s) flag; correct the spelling or remove them"


def test_an_empty_default_is_allowed_but_an_empty_required_text_is_not():
    assert fields(unit="").text("unit", "") == ""
    assert error_of(lambda: fields(name="  ").text("name")) == f"{WHERE}.name: must not be empty; fill it in"


@pytest.mark.parametrize(("data", "read", "message"), [
    ({}, lambda f: f.text("name"), f"{WHERE}: missing key 'name'; add it (key = value)"),
    ({}, lambda f: f.number("points"), f"{WHERE}: missing key 'points'; add it (key = value)"),
    ({}, lambda f: f.integer("annex"), f"{WHERE}: missing key 'annex'; add it (key = value)"),
    ({}, lambda f: f.mapping("points"), f"{WHERE}: missing key 'points'; add it (key = value)"),
    ({"points": True}, lambda f: f.integer("points"),
     f"{WHERE}.points: expected a whole number, got a boolean; write it as a whole number"),
    ({"points": "5"}, lambda f: f.integer("points"), f"{WHERE}.points: expected a whole number, got '5'; write it as a whole number"),
    ({"share": "0.5"}, lambda f: f.number("share"), f"{WHERE}.share: expected a whole number or a number, got '0.5'; "
                                                     "write it as a whole number or a number"),
    ({"parts": {}}, lambda f: f.items("parts"), f"{WHERE}.parts: expected a list, got {{}}; write it as a list"),
    ({"grades": []}, lambda f: f.mapping("grades"), f"{WHERE}.grades: expected a table, got []; write it as a table"),
    ({"name": 3}, lambda f: f.text("name"), f"{WHERE}.name: expected text, got 3; write it as text"),
    ({"steps": "round"}, lambda f: f.choice("steps", ("ceil", "exact", "floor")),
     f"{WHERE}.steps: unknown value 'round', expected one of ceil, exact, floor"),
    ({"a": 1, "c": 2, "b": 3}, lambda f: f.done(), f"{WHERE}: unknown key(s) a, b, c; correct the spelling or remove them"),
])
def test_a_mistake_is_named_in_full(data, read, message):
    assert error_of(lambda: read(fields(**data))) == message


def test_a_list_where_a_table_belongs_is_named():
    assert error_of(lambda: Fields([1], WHERE)) == f"{WHERE}: expected a table of keys, got list"

