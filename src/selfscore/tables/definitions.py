"""Table definitions: load and check the declarative files in ``schemas/``."""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition, parse_input
from selfscore.tables.numbers import fmt
from selfscore.tables.rules import Outcome, Part, StepReading, Values, combine, parse_part

__all__ = ["DefinitionError", "Group", "Indicator", "TableDefinition", "load_definition", "load_tables", "get_table"]


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    group: str
    points: Fraction
    criterion: str
    parts: tuple[Part, ...]

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(input_id for part in self.parts for input_id in part.inputs))

    def depends_on_reading(self) -> bool:
        return any(getattr(part, "depends_on_reading", lambda: False)() for part in self.parts)

    def score(self, values: Values, reading: StepReading) -> Outcome:
        return combine([part.score(values, reading) for part in self.parts])


@dataclass(frozen=True)
class Group:
    name: str
    points: Fraction
    indicators: tuple[Indicator, ...]


@dataclass(frozen=True)
class TableDefinition:
    id: str
    template_version: int
    annex: str
    title: str
    short_title: str
    inputs: tuple[InputDefinition, ...]
    groups: tuple[Group, ...]
    source: str

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(indicator for group in self.groups for indicator in group.indicators)

    @property
    def max_points(self) -> Fraction:
        return sum((group.points for group in self.groups), Fraction(0))

    @functools.cached_property
    def inputs_by_id(self) -> dict[str, InputDefinition]:
        return {definition.id: definition for definition in self.inputs}

    @functools.cached_property
    def indicators_by_id(self) -> dict[str, Indicator]:
        return {indicator.id: indicator for indicator in self.indicators}

    @property
    def file_name(self) -> str:
        """The blank template's file name, as a clerk sees it in a download."""
        return f"{self.short_title}绩效自评表.xlsx"

    def users_of(self, input_id: str) -> tuple[Indicator, ...]:
        return tuple(indicator for indicator in self.indicators if input_id in indicator.inputs)


def load_definition(path: Path) -> TableDefinition:
    """Read one definition file; every mistake in it is a DefinitionError naming file and key."""
    where = path.name
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(f"{where}: not valid TOML: {error}") from None
    fields = Fields(data, where)
    table_id = fields.text("id")
    if table_id != path.stem:
        raise DefinitionError(f"{where}.id: '{table_id}' must equal the file name '{path.stem}'")

    inputs: dict[str, InputDefinition] = {}
    for index, raw in enumerate(fields.items("inputs")):
        definition = parse_input(raw, f"{where}.inputs[{index}]")
        if definition.id in inputs:
            raise DefinitionError(f"{where}.inputs[{index}].id: '{definition.id}' is defined twice")
        inputs[definition.id] = definition
    for definition in inputs.values():
        for key in ("at_most", "yes_requires"):
            other = getattr(definition, key)
            if other is not None and other not in inputs:
                raise DefinitionError(f"{where}: input '{definition.id}'.{key}: no input named '{other}'")

    groups = []
    seen: set[str] = set()
    for group_index, raw_group in enumerate(fields.items("groups")):
        group_where = f"{where}.groups[{group_index}]"
        group_fields = Fields(raw_group, group_where)
        group_name = group_fields.text("name")
        group_points = Fraction(group_fields.number("points"))
        indicators = []
        for index, raw in enumerate(group_fields.items("indicators")):
            indicator_where = f"{group_where}.indicators[{index}]"
            indicator_fields = Fields(raw, indicator_where)
            indicator_id = indicator_fields.text("id")
            if indicator_id in seen:
                raise DefinitionError(f"{indicator_where}.id: '{indicator_id}' is defined twice")
            seen.add(indicator_id)
            indicator = Indicator(
                id=indicator_id,
                name=indicator_fields.text("name"),
                group=group_name,
                points=Fraction(indicator_fields.number("points")),
                criterion=indicator_fields.text("criterion"),
                parts=tuple(
                    parse_part(part, f"{indicator_where}.parts[{part_index}]", inputs)
                    for part_index, part in enumerate(indicator_fields.items("parts"))
                ),
            )
            indicator_fields.done()
            parts_total = sum((part.max_points for part in indicator.parts), Fraction(0))
            if parts_total != indicator.points:
                raise DefinitionError(
                    f"{indicator_where}: parts add up to {fmt(parts_total)} points, "
                    f"but the indicator has {fmt(indicator.points)}"
                )
            indicators.append(indicator)
        group_fields.done()
        indicators_total = sum((indicator.points for indicator in indicators), Fraction(0))
        if indicators_total != group_points:
            raise DefinitionError(
                f"{group_where}: indicators add up to {fmt(indicators_total)} points, "
                f"but the group has {fmt(group_points)}"
            )
        groups.append(Group(group_name, group_points, tuple(indicators)))

    table = TableDefinition(
        id=table_id,
        template_version=fields.integer("template_version"),
        annex=fields.text("annex"),
        title=fields.text("title"),
        short_title=fields.text("short_title"),
        inputs=tuple(inputs.values()),
        groups=tuple(groups),
        source=str(path),
    )
    fields.done()
    used = {input_id for indicator in table.indicators for input_id in indicator.inputs}
    used |= {d.yes_requires for d in table.inputs if d.yes_requires}
    unused = [input_id for input_id in inputs if input_id not in used]
    if unused:
        raise DefinitionError(f"{where}: input(s) not used by any indicator: {', '.join(unused)}")
    return table


def schemas_dir() -> Path:
    """Where the definitions live: $SELFSCORE_SCHEMAS, the installed package, or the checkout."""
    override = os.environ.get("SELFSCORE_SCHEMAS")
    if override:
        return Path(override)
    package = Path(__file__).resolve().parent.parent
    packaged = package / "schemas"  # put there by the wheel build
    # An editable install runs from src/selfscore: the definitions are at the top of the checkout.
    return packaged if packaged.is_dir() else package.parent.parent / "schemas"


@functools.cache
def _load_all(directory: Path) -> dict[str, TableDefinition]:
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise DefinitionError(f"{directory}: no table definitions (*.toml) found")
    tables = [load_definition(path) for path in files]
    # Keep the annex order (附件1, 附件2, …) so lists read like the source document.
    return {table.id: table for table in sorted(tables, key=lambda table: (table.annex, table.id))}


def load_tables(directory: Path | None = None) -> dict[str, TableDefinition]:
    return _load_all((directory or schemas_dir()).resolve())


def get_table(table_id: str) -> TableDefinition:
    tables = load_tables()
    if table_id not in tables:
        raise KeyError(table_id)
    return tables[table_id]
