"""Table definitions: load and check the declarative files in ``schemas/``."""

from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition, input_definition_from
from selfscore.tables.numbers import fmt
from selfscore.tables.rules import Outcome, Part, Values, combine, parse_part
from selfscore.tables.steps import StepReading

__all__ = ["DefinitionError", "Group", "Indicator", "TableDefinition", "Veto", "load_definition", "load_tables",
           "load_versions", "get_table", "get_table_version"]

#: what a group's indicators do to the total: score it, add to it (加分项) or take from it (扣分项)
GroupKind = Literal["score", "bonus", "penalty"]
GROUP_KINDS: tuple[GroupKind, ...] = ("score", "bonus", "penalty")
GROUP_KIND_NAMES: dict[str, str] = {"score": "得分", "bonus": "加分", "penalty": "扣分"}


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    group: str
    points: Fraction
    criterion: str
    parts: tuple[Part, ...]
    #: a bonus (加分项) or penalty (扣分项) indicator's score is what it adds to or takes from the total
    kind: GroupKind = "score"

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(input_id for part in self.parts for input_id in part.inputs))

    def depends_on_reading(self) -> bool:
        return any(getattr(part, "depends_on_reading", lambda: False)() for part in self.parts)

    def score(self, values: Values, steps: StepReading) -> Outcome:
        return combine([part.score(values, steps) for part in self.parts])


@dataclass(frozen=True)
class Group:
    name: str
    points: Fraction
    indicators: tuple[Indicator, ...]
    kind: GroupKind = "score"


@dataclass(frozen=True)
class Veto:
    """A yes/no fact that, when 是, makes the table's total 0 (一票否决)."""

    input: InputDefinition
    criterion: str


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
    #: 「加分后总分不超过100分」: the most the total may reach with its bonuses; None: the maximum
    total_cap: Fraction | None = None
    vetoes: tuple[Veto, ...] = ()
    #: the evaluation years (评价年度) this version of the table applies to; None: open-ended
    first_year: int | None = None
    last_year: int | None = None

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(indicator for group in self.groups for indicator in group.indicators)

    @property
    def max_points(self) -> Fraction:
        """The table's full marks: the points of its scored groups (bonus and penalty groups are extra)."""
        return sum((group.points for group in self.groups if group.kind == "score"), Fraction(0))

    @property
    def cap(self) -> Fraction:
        """The most the total may reach (the maximum unless bonuses may lift it higher)."""
        return self.max_points if self.total_cap is None else self.total_cap

    @property
    def adjusted(self) -> bool:
        """Whether the total is more than the plain sum: bonus or penalty groups, or a veto."""
        return bool(self.vetoes) or any(group.kind != "score" for group in self.groups)

    def total(self, scores: Mapping[str, Fraction], vetoed: bool = False) -> tuple[Fraction, str]:
        """The total of indicator scores (by id), and how it was reached when it is more than a sum.

        Bonuses are added and penalties taken off; the result is kept within [0, cap]
        (「加分后总分不超过100分」) and is 0 under a veto.
        """
        sums = {kind: sum((scores[i.id] for i in self.indicators if i.kind == kind), Fraction(0)) for kind in GROUP_KINDS}
        if vetoed:
            return Fraction(0), "一票否决，总分为 0"
        if not self.adjusted:
            return sums["score"], ""
        raw = sums["score"] + sums["bonus"] - sums["penalty"]
        total = min(max(raw, Fraction(0)), self.cap)
        text = f"得分项 {fmt(sums['score'])}"
        if any(group.kind == "bonus" for group in self.groups):
            text += f" + 加分 {fmt(sums['bonus'])}"
        if any(group.kind == "penalty" for group in self.groups):
            text += f" − 扣分 {fmt(sums['penalty'])}"
        text += f" = {fmt(raw)}"
        if raw > self.cap:
            text += f"，加分后总分不超过 {fmt(self.cap)} 分，计 {fmt(total)} 分"
        elif raw < 0:
            text += "，总分不低于 0 分，计 0 分"
        return total, text

    def covers(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (self.last_year is None or year <= self.last_year)

    @property
    def years_text(self) -> str:
        """The evaluation years of this version, as a clerk reads them: 2019～2020 年, 2021 年及以后."""
        if self.first_year is None and self.last_year is None:
            return "各年度"
        if self.first_year is None:
            return f"{self.last_year}年及以前"
        if self.last_year is None:
            return f"{self.first_year}年及以后"
        return f"{self.first_year}年" if self.first_year == self.last_year else f"{self.first_year}～{self.last_year}年"

    @functools.cached_property
    def inputs_by_id(self) -> dict[str, InputDefinition]:
        return {definition.id: definition for definition in self.inputs}

    @functools.cached_property
    def indicators_by_id(self) -> dict[str, Indicator]:
        return {indicator.id: indicator for indicator in self.indicators}

    @property
    def file_name(self) -> str:
        """The blank template's file name, as a clerk sees it in a download (with its years when it declares them)."""
        if self.first_year is None and self.last_year is None:
            return f"{self.short_title}绩效自评表.xlsx"
        return f"{self.short_title}绩效自评表（{self.years_text}适用）.xlsx"

    def users_of(self, input_id: str) -> tuple[Indicator, ...]:
        return tuple(indicator for indicator in self.indicators if input_id in indicator.inputs)


def load_definition(path: Path) -> TableDefinition:
    """Read one definition file; every mistake in it is a DefinitionError naming file, key and fix."""
    where = path.name
    try:
        # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark, which TOML itself does not allow
        data = tomllib.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise DefinitionError(f"{where}: not UTF-8 text (byte {error.start} cannot be read); "
                              f"save the file with UTF-8 encoding (e.g. 另存为 → 编码 UTF-8)") from None
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError(f"{where}: not valid TOML: {error}") from None
    fields = Fields(data, where)
    table_id = fields.text("id")
    # Several versions of one table live side by side as <id>.toml, <id>.<anything>.toml (e.g. shantytown.2019.toml).
    if path.stem != table_id and not path.stem.startswith(f"{table_id}."):
        raise DefinitionError(f"{where}.id: '{table_id}' must equal the file name '{path.stem}' "
                              f"(or name the file '{table_id}.<version>.toml')")

    inputs: dict[str, InputDefinition] = {}
    for index, raw in enumerate(fields.items("inputs")):
        definition = input_definition_from(raw, f"{where}.inputs[{index}]")
        if definition.id in inputs:
            raise DefinitionError(f"{where}.inputs[{index}].id: '{definition.id}' is defined twice; give each input its own id")
        inputs[definition.id] = definition
    for definition in inputs.values():
        for key in ("at_most", "yes_requires"):
            other = getattr(definition, key)
            if other is not None and other not in inputs:
                raise DefinitionError(f"{where}: input '{definition.id}'.{key}: no input named '{other}'; "
                                      f"declare it under [[inputs]] or correct the id")

    groups = _groups(fields, where, inputs)
    declared_max = fields.number("max_points", None)
    total_cap = fields.number("total_cap", None)
    table = TableDefinition(
        id=table_id,
        template_version=fields.integer("template_version"),
        annex=fields.text("annex"),
        title=fields.text("title"),
        short_title=fields.text("short_title"),
        inputs=tuple(inputs.values()),
        groups=groups,
        source=str(path),
        total_cap=None if total_cap is None else Fraction(total_cap),
        vetoes=_vetoes(fields, where, inputs),
        first_year=fields.integer("first_year", None),
        last_year=fields.integer("last_year", None),
    )
    fields.done()
    _check_table(table, where, declared_max)
    return table


#: criterion words that fix a rule's step reading to ``exact``
_PROPORTIONAL = re.compile(r"按比例(扣分|扣减|计分|计算|得分)")


def _groups(fields: Fields, where: str, inputs: dict[str, InputDefinition]) -> tuple[Group, ...]:
    groups = []
    seen: dict[str, str] = {}
    for group_index, raw_group in enumerate(fields.items("groups")):
        group_where = f"{where}.groups[{group_index}]"
        group_fields = Fields(raw_group, group_where)
        group_name = group_fields.text("name")
        group_points = Fraction(group_fields.number("points"))
        kind: GroupKind = group_fields.choice("kind", GROUP_KINDS) if group_fields.has("kind") else "score"  # type: ignore[assignment]
        indicators = []
        for index, raw in enumerate(group_fields.items("indicators")):
            indicator_where = f"{group_where}.indicators[{index}]"
            indicator_fields = Fields(raw, indicator_where)
            indicator_id = indicator_fields.text("id")
            if indicator_id in seen:
                raise DefinitionError(f"{indicator_where}.id: '{indicator_id}' is defined twice (also at {seen[indicator_id]}); "
                                      f"give each indicator its own id")
            seen[indicator_id] = indicator_where
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
                kind=kind,
            )
            indicator_fields.done()
            if _PROPORTIONAL.search(indicator.criterion) and indicator.depends_on_reading():
                # 「按比例扣分」 fixes the reading: left to --steps, a ceil run would score it against its own criterion
                raise DefinitionError(
                    f"{indicator_where}.criterion says 「按比例扣分」, but its rule counts steps as --steps says; "
                    f"add steps = \"exact\" to each term that counts steps (or the reading the criterion gives)")
            parts_total = sum((part.max_points for part in indicator.parts), Fraction(0))
            if parts_total != indicator.points:
                raise DefinitionError(
                    f"{indicator_where}: parts add up to {fmt(parts_total)} points, "
                    f"but the indicator has {fmt(indicator.points)}; make its 'points' equal the parts' total"
                )
            indicators.append(indicator)
        group_fields.done()
        indicators_total = sum((indicator.points for indicator in indicators), Fraction(0))
        if indicators_total != group_points:
            raise DefinitionError(
                f"{group_where}: indicators add up to {fmt(indicators_total)} points, "
                f"but the group has {fmt(group_points)}; make the group's 'points' equal its indicators' total"
            )
        groups.append(Group(group_name, group_points, tuple(indicators), kind))
    return tuple(groups)


def _vetoes(fields: Fields, where: str, inputs: dict[str, InputDefinition]) -> tuple[Veto, ...]:
    vetoes = []
    for index, raw in enumerate(fields.items("vetoes", [])):
        veto_fields = Fields(raw, f"{where}.vetoes[{index}]")
        input_id = veto_fields.text("input")
        if input_id not in inputs or inputs[input_id].type != "yes_no":
            raise DefinitionError(f"{veto_fields.where}.input: '{input_id}' is not a yes_no input; "
                                  f"a veto (一票否决) is answered 是/否 — declare it under [[inputs]] with type = \"yes_no\"")
        vetoes.append(Veto(inputs[input_id], veto_fields.text("criterion")))
        veto_fields.done()
    return tuple(vetoes)


def _fold(text: str) -> str:
    """A label as the label reader compares it: full-width forms, spaces and punctuation do not count."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


def _check_table(table: TableDefinition, where: str, declared_max: object) -> None:
    """What the reader and the scorer rely on, checked once when the table is loaded."""
    if not any(group.kind == "score" for group in table.groups):
        raise DefinitionError(f"{where}.groups: a table needs at least one scored group (kind = \"score\", the default)")
    if declared_max is not None and Fraction(declared_max) != table.max_points:  # type: ignore[arg-type]
        scored = " + ".join(f"{group.name} {fmt(group.points)}" for group in table.groups if group.kind == "score")
        raise DefinitionError(f"{where}.max_points: the scored groups add up to {fmt(table.max_points)} ({scored}), "
                              f"not {fmt(Fraction(declared_max))}; correct a group's points or max_points")  # type: ignore[arg-type]
    if table.total_cap is not None and table.total_cap < table.max_points:
        raise DefinitionError(f"{where}.total_cap: {fmt(table.total_cap)} is below the table's maximum {fmt(table.max_points)}; "
                              f"the cap limits what bonuses add (「加分后总分不超过100分」: total_cap = 100)")
    if table.first_year is not None and table.last_year is not None and table.first_year > table.last_year:
        raise DefinitionError(f"{where}.first_year: {table.first_year} is after last_year {table.last_year}; swap them")
    # A fact is found by its label when the defined names are lost; a label that equals an indicator's
    # name or another fact's label would then be two places for one thing (layout_input_ambiguous).
    names = {_fold(indicator.name): f"indicator '{indicator.id}'" for indicator in table.indicators}
    for index, definition in enumerate(table.inputs):
        folded = _fold(definition.label)
        if folded in names:
            raise DefinitionError(
                f"{where}.inputs[{index}].label: '{definition.label}' is also the name of {names[folded]}; a workbook read by "
                f"its labels could not tell them apart — word the fact differently (e.g. add what is counted, or its unit)")
        names[folded] = f"input '{table.inputs[index].id}'"
    used = {input_id for indicator in table.indicators for input_id in indicator.inputs}
    used |= {d.yes_requires for d in table.inputs if d.yes_requires}
    used |= {veto.input.id for veto in table.vetoes}
    unused = [(index, d.id) for index, d in enumerate(table.inputs) if d.id not in used]
    if unused:
        index, _ = unused[0]
        raise DefinitionError(f"{where}.inputs[{index}]: input(s) not used by any indicator: {', '.join(i for _, i in unused)}; "
                              f"use them in a rule or remove them")


def _annex_number(annex: str) -> tuple[int, str]:
    """附件2 before 附件10: by the number in the annex, then as text."""
    number = re.search(r"\d+", unicodedata.normalize("NFKC", annex))
    return (int(number.group()) if number else 1 << 30, annex)


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
def _load_all(directory: Path) -> dict[str, tuple[TableDefinition, ...]]:
    """Every version of every table in a directory, oldest template version first."""
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise DefinitionError(f"{directory}: no table definitions (*.toml) found")
    versions: dict[str, list[TableDefinition]] = {}
    for table in (load_definition(path) for path in files):
        versions.setdefault(table.id, []).append(table)
    for table_id, found in versions.items():
        found.sort(key=lambda table: table.template_version)
        for older, newer in zip(found, found[1:], strict=False):
            if older.template_version == newer.template_version:
                raise DefinitionError(f"{Path(newer.source).name}.template_version: {Path(older.source).name} is version "
                                      f"{older.template_version} of '{table_id}' too; give each version its own number")
            if older.last_year is None or newer.first_year is None or older.last_year >= newer.first_year:
                raise DefinitionError(
                    f"{Path(newer.source).name}.first_year: versions {older.template_version} and {newer.template_version} "
                    f"of '{table_id}' both apply to some year; give the older one last_year and this one a later first_year")
    # Keep the annex order (附件1, 附件2, …, 附件10) so lists read like the source document.
    ordered = sorted(versions.items(), key=lambda item: (_annex_number(item[1][-1].annex), item[0]))
    return {table_id: tuple(found) for table_id, found in ordered}


def load_versions(directory: Path | None = None) -> dict[str, tuple[TableDefinition, ...]]:
    """Every version of every table, oldest first; the last is the current one."""
    return _load_all((directory or schemas_dir()).resolve())


def load_tables(directory: Path | None = None) -> dict[str, TableDefinition]:
    """The current (highest) version of every table, in annex order."""
    return {table_id: found[-1] for table_id, found in load_versions(directory).items()}


def get_table(table_id: str) -> TableDefinition:
    tables = load_tables()
    if table_id not in tables:
        raise KeyError(table_id)
    return tables[table_id]


def get_table_version(table_id: str, template_version: int) -> TableDefinition | None:
    """The version of a table a template was made from, if it is still among the definitions."""
    return next((table for table in load_versions().get(table_id, ()) if table.template_version == template_version), None)


def version_for_year(table_id: str, year: int) -> TableDefinition | None:
    """The version of a table whose evaluation years cover ``year``."""
    return next((table for table in load_versions().get(table_id, ()) if table.covers(year)), None)
