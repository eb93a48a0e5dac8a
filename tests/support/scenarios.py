"""The suite's named scenarios of a table: its facts as the tests fill them, for scoring two definitions of one table alike.

A table's scenarios are
- its base: the Jiaozuo sample for the two annexes (sample_data/samples.py), the worked example for the third table
  (``third_table.FACTS``), the definition's own example (``selfscore.tables.examples``) for any other, and that
  example too for every table;
- every literal dict of facts written anywhere under tests/ (``make_workbook(…, facts={…})``, ``checked_third(…, {…})``,
  ``BEST = {…}``, a rule test's ``values = {…}``): a dict whose keys are all facts of the table, laid over the base.
  They are found by reading the test files' source (never by importing a test module), so a scenario a test adds
  is compared from then on; each is named by its file, line and the test it is in.

A scenario a clerk could not have entered validly — a formula, text in a number cell, a negative count, a value
outside its bounds or above the fact that bounds it, 0 < x ≤ 1 in a percent cell (read as a fraction, with a
note), 是 for a fact that needs a count of at least 1 — is left out: such a test is about reading or validation,
not scoring, and the checker does not score those values.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

from selfscore.tables.definitions import TableDefinition
from selfscore.tables.examples import example_facts
from support import third_table
from support.helpers import JIAOZUO

TESTS = Path(__file__).resolve().parents[1]
Values = dict[str, Decimal | bool | str]


@dataclass(frozen=True)
class Scenario:
    #: where it comes from: 焦作样表, 第三张表的算例, 定义的示例, or tests/<file>:<line> <test>
    name: str
    #: the facts as the scorer reads them (Decimal, bool, the chosen word)
    values: Values


_NUMBER_CALLS = {"Decimal": Decimal, "Fraction": Fraction, "int": int, "float": float}


def _literal(node: ast.expr) -> object:
    """The value of a literal written in a test (numbers, text, True/False, Decimal("…")); raises ValueError otherwise."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _NUMBER_CALLS \
            and len(node.args) == 1 and not node.keywords:
        return _NUMBER_CALLS[node.func.id](_literal(node.args[0]))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        value = _literal(node.operand)
        if isinstance(value, (int, float, Decimal, Fraction)) and not isinstance(value, bool):
            return -value
    return ast.literal_eval(node)


def _dicts_in(path: Path) -> list[tuple[str, dict[str, object]]]:
    """Every dict literal in a test file with text keys, named by its line and the function (or name) it is in."""
    found: list[tuple[str, dict[str, object]]] = []

    def visit(node: ast.AST, where: str) -> None:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            where = node.name
        elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name) and not where:
            where = node.targets[0].id
        if isinstance(node, ast.Dict) and node.keys:
            try:
                keys = [_literal(key) for key in node.keys if key is not None]
                values = [_literal(value) for value in node.values]
            except (ValueError, TypeError, SyntaxError, InvalidOperation, ZeroDivisionError):
                keys, values = [], [None]
            if len(keys) == len(values) and all(isinstance(key, str) for key in keys):
                found.append((f"{path.relative_to(TESTS.parent)}:{node.lineno} {where}", dict(zip(keys, values, strict=True))))
        for child in ast.iter_child_nodes(node):
            visit(child, where)

    visit(ast.parse(path.read_text(encoding="utf-8")), "")
    return found


def _value(table: TableDefinition, key: str, raw: object) -> Decimal | bool | str | None:
    """A fact as the scorer reads it, or None when a clerk could not have entered it validly."""
    definition = table.inputs_by_id[key]
    if definition.type == "yes_no":
        return {"是": True, "否": False, True: True, False: False}.get(raw) if isinstance(raw, (str, bool)) else None
    if definition.type == "choice":
        return raw if raw in definition.options else None
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, Fraction)):
        return None
    value = Decimal(str(raw)) if not isinstance(raw, Fraction) else Decimal(raw.numerator) / Decimal(raw.denominator)
    if definition.type == "integer" and value != value.to_integral_value():
        return None
    if definition.type == "percent" and (0 < value <= 1 or value > 100):
        return None
    low_ok = value >= (definition.min if definition.min is not None else 0)
    if not low_ok or (definition.min_exclusive is not None and value <= definition.min_exclusive) or \
            (definition.max is not None and value > definition.max):
        return None
    return value


def _valid(table: TableDefinition, facts: dict[str, object]) -> Values | None:
    values: Values = {}
    for key, raw in facts.items():
        value = _value(table, key, raw)
        if value is None:
            return None
        values[key] = value
    for definition in table.inputs:
        if definition.at_most and values[definition.id] > values[definition.at_most]:  # type: ignore[operator]
            return None
        if definition.yes_requires and values[definition.id] is True and values[definition.yes_requires] < 1:  # type: ignore[operator]
            return None
    return values


def _bases(table: TableDefinition) -> list[tuple[str, dict[str, object]]]:
    bases = [("定义的示例", example_facts(table))]
    if table.id in JIAOZUO:
        bases.insert(0, ("焦作样表", JIAOZUO[table.id][0]))
    if table.id == third_table.TABLE:
        bases.insert(0, ("第三张表的算例", third_table.FACTS))
    return bases


def named_scenarios(table: TableDefinition) -> list[Scenario]:
    """The table's bases and every test's facts laid over its first base, the invalid ones left out, each once."""
    bases = _bases(table)
    candidates = list(bases)
    for path in sorted(TESTS.rglob("*.py")):
        for name, facts in _dicts_in(path):
            if set(facts) <= set(table.inputs_by_id):
                candidates.append((name, {**bases[0][1], **facts}))
    scenarios, seen = [], []
    for name, facts in candidates:
        values = _valid(table, facts)
        if values is not None and values not in seen:
            seen.append(values)
            scenarios.append(Scenario(name, values))
    return scenarios
