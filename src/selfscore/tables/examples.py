"""An example of a filled table, derived from its definition alone: a value for every fact, and the scores its rules give.

A table that has no published sample (a province's new definition, the third table of the tests) can still
be filled, checked and walked by everything that walks the tables: the facts are plausible values within
each input's bounds (是 unless the fact is a veto or requires a count, the first option of a choice, and
numbers that respect ``at_most``), and the scores and total are what the table's own rules make of them.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from selfscore.tables.definitions import TableDefinition
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.steps import DEFAULT_STEPS

#: a number that fits most facts: a count, an amount, a percentage (bounds still apply)
_TYPICAL = {"integer": Decimal(10), "number": Decimal(100), "percent": Decimal(95)}


def example_facts(table: TableDefinition) -> dict[str, object]:
    """A value for every input, as a person would type it (是/否, an option, a number)."""
    vetoes = {veto.input.id for veto in table.vetoes}
    values: dict[str, object] = {}
    for definition in table.inputs:
        values[definition.id] = _example(definition, vetoes)
    for definition in table.inputs:   # 「不大于…」: no more than the fact it is bounded by
        if definition.at_most is not None:
            values[definition.id] = min(values[definition.id], values[definition.at_most])  # type: ignore[type-var]
    return {key: int(value) if isinstance(value, Decimal) and value == value.to_integral() else
            (float(value) if isinstance(value, Decimal) else value) for key, value in values.items()}


def _example(definition: InputDefinition, vetoes: set[str]) -> object:
    if definition.type == "yes_no":
        # a veto or a fact that requires a count would change more than its own indicator
        return "否" if definition.id in vetoes or definition.yes_requires else "是"
    if definition.type == "choice":
        return definition.options[0]
    value = _TYPICAL[definition.type]
    if definition.max is not None:
        value = min(value, definition.max)
    if definition.min is not None:
        value = max(value, definition.min)
    if definition.min_exclusive is not None and value <= definition.min_exclusive:
        value = definition.min_exclusive + 1
    return value


def example_values(table: TableDefinition) -> dict[str, Decimal | bool | str]:
    """The example facts as the scorer reads them (Decimal, bool, the chosen word)."""
    values: dict[str, Decimal | bool | str] = {}
    for key, value in example_facts(table).items():
        kind = table.inputs_by_id[key].type
        values[key] = value == "是" if kind == "yes_no" else value if kind == "choice" else Decimal(str(value))
    return values


def example_scores(table: TableDefinition) -> tuple[dict[str, float], float]:
    """What the table's rules give for the example facts (a judged range at its top), and the total."""
    values = example_values(table)
    scores = {indicator.id: indicator.score(values, DEFAULT_STEPS).high for indicator in table.indicators}
    total, _ = table.total(scores)
    return {key: _plain(score) for key, score in scores.items()}, _plain(total)


def _plain(value: Fraction) -> float:
    return int(value) if value.denominator == 1 else float(value)
