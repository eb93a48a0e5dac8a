"""`selfscore table new --from 附件.docx|附件.xlsx`: every table this project has, retyped as a plain annex workbook and
as a Word table (built here from the definitions' own criterion texts), compiled through the command, and scored
against the hand-written definition under every step reading: on the suite's named scenarios of the table (the
Jiaozuo sample or the third table's worked example, and every set of facts a test writes: support.scenarios), and
on random ones.

The figures of issue 23 come from here: the share of criterion sentences compiled into rules (at least 90 %),
and no compiled indicator scoring any scenario differently from the hand-written one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal, Inexact, localcontext
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from selfscore.cli import main
from selfscore.tables.compile.compiler import sentences_of
from selfscore.tables.definitions import Indicator, TableDefinition, load_definition
from selfscore.tables.steps import STEP_READINGS
from support.criteria import as_person_writes
from support.scenarios import Scenario, named_scenarios
from support.word import write_docx

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TABLES = [REPO / "schemas" / "shantytown.toml", REPO / "schemas" / "old_communities.toml", FIXTURES / "affordable_rental.toml"]
HEADER = ["一级指标", "二级指标", "分值", "评分标准"]


def _rows(table: TableDefinition) -> list[list[object]]:
    group_names = {"score": None, "bonus": "加分项", "penalty": "扣分项"}
    return [[group_names[group.kind] or group.name, indicator.name, float(indicator.points), indicator.criterion]
            for group in table.groups for indicator in group.indicators]


def annex_xlsx(table: TableDefinition, path: Path) -> Path:
    """The annex as an office retypes it: a title, the 附件 number, one header row, a row per indicator, 合计."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append([table.annex])
    sheet.append([table.title])
    sheet.append(HEADER)
    for row in _rows(table):
        sheet.append(row)
    sheet.append(["合计", None, float(table.max_points), None])
    workbook.save(path)
    return path


def annex_docx(table: TableDefinition, path: Path) -> Path:
    """The annex as the notice publishes it: paragraphs for 附件 and title, then a Word table (一级指标 merged down)."""
    rows = [[str(cell) if not isinstance(cell, float) else f"{cell:g}" for cell in row] for row in _rows(table)]
    return write_docx(path, [table.annex, table.title], [HEADER, *rows, ["合计", "", f"{float(table.max_points):g}", ""]],
                      merge_first_column=True)


def _value(definition, rng: random.Random):
    if definition.type == "yes_no":
        return rng.random() < 0.5
    if definition.type == "choice":
        return rng.choice(definition.options)
    if definition.type == "integer":
        return Decimal(rng.randint(0, 12))
    if definition.type == "percent":
        return Decimal(rng.randint(0, 1000)) / 10
    return Decimal(rng.choice([0, 50, 80, 95, 100, 120, rng.randint(1, 200)]))


def _kind(definition) -> str:
    return "numeric" if definition.type in ("integer", "number") else definition.type


@dataclass
class Pair:
    """A hand-written indicator, its compiled one, and how the hand-written facts become the compiled ones.

    The compiled facts are the hand-written ones in order, type by type; where the annex words a rate that the
    hand-written definition keeps as a ratio of two numbers, the compiled percentage is that ratio × 100."""

    hand: Indicator
    compiled: Indicator
    mapping: dict[str, str]
    #: (numerator, denominator, the compiled percentage), or None
    ratio: tuple[str, str, str] | None

    def compiled_values(self, values: dict) -> tuple[dict, bool] | None:
        """The compiled indicator's facts for the hand-written ones, and whether they are exact (a ratio's percentage
        may have no exact decimal: 463.58 / 95100); None for a ratio of a zero denominator (no percentage a clerk
        could type for it)."""
        mapped = {self.mapping[key]: value for key, value in values.items() if key in self.mapping}
        exact = True
        if self.ratio:
            numerator, denominator, percent = self.ratio
            if not values[denominator]:
                return None
            with localcontext() as context:
                context.traps[Inexact] = True
                try:
                    mapped[percent] = values[numerator] / values[denominator] * 100
                except Inexact:
                    context.traps[Inexact] = False
                    mapped[percent], exact = values[numerator] / values[denominator] * 100, False
        return mapped, exact

    def differs(self, values: dict, steps: str) -> bool | None:
        """Whether the two score the facts differently: exactly, or to the cent where the percentage is not exact."""
        found = self.compiled_values(values)
        if found is None:
            return None
        mapped, exact = found
        expected, got = self.hand.score(values, steps), self.compiled.score(mapped, steps)
        if exact:
            return (expected.high, expected.low, expected.judged) != (got.high, got.low, got.judged)
        return (as_person_writes(expected.high), as_person_writes(expected.low), expected.judged) != \
            (as_person_writes(got.high), as_person_writes(got.low), got.judged)


def pairs(hand: TableDefinition, compiled: TableDefinition) -> dict[str, Pair | None]:
    """Each hand-written indicator's pair, or None where the compiled one is a judged item."""
    found: dict[str, Pair | None] = {}
    for hand_indicator, indicator in zip(hand.indicators, compiled.indicators, strict=True):
        if any(type(part).__name__ == "Judged" for part in indicator.parts):
            found[hand_indicator.id] = None
            continue
        ours = [hand.inputs_by_id[i] for i in hand_indicator.inputs]
        theirs = [compiled.inputs_by_id[i] for i in indicator.inputs]
        mapping: dict[str, str] = {}
        for kind in {_kind(d) for d in ours} | {_kind(d) for d in theirs}:
            left, right = [d for d in ours if _kind(d) == kind], [d for d in theirs if _kind(d) == kind]
            if len(left) == len(right):
                mapping.update({a.id: b.id for a, b in zip(left, right, strict=True)})
        rest_ours = [d for d in ours if d.id not in mapping]
        rest_theirs = [d for d in theirs if d.id not in mapping.values()]
        ratio = None
        if rest_ours or rest_theirs:
            assert [_kind(d) for d in rest_ours] == ["numeric", "numeric"] and [d.type for d in rest_theirs] == ["percent"], \
                f"{hand_indicator.id}: the compiled facts do not correspond to the hand-written ones"
            ratio = (rest_ours[0].id, rest_ours[1].id, rest_theirs[0].id)
        found[hand_indicator.id] = Pair(hand_indicator, indicator, mapping, ratio)
    return found


def differences(hand: TableDefinition, compiled: TableDefinition, scenarios: int = 200) -> dict[str, str]:
    """Each compiled indicator scored against the hand-written one on random facts: 'same', 'judged' or how many
    differ (the denominators of a ratio drawn so that its percentage is exact)."""
    rng = random.Random(23)
    verdicts = {}
    for key, pair in pairs(hand, compiled).items():
        if pair is None:
            verdicts[key] = "judged"
            continue
        different = 0
        for _ in range(scenarios):
            values = {i: _value(hand.inputs_by_id[i], rng) for i in pair.hand.inputs}
            if pair.ratio:
                values[pair.ratio[1]] = Decimal(rng.choice([50, 80, 100, 125, 200, 250, 400, 500, 1000]))
            different += sum(bool(pair.differs(values, steps)) for steps in STEP_READINGS)
        verdicts[key] = "same" if not different else f"{different} different"
    return verdicts


def named_differences(hand: TableDefinition, compiled: TableDefinition, scenarios: list[Scenario]) -> dict[str, str]:
    """Each compiled indicator scored against the hand-written one on the suite's named scenarios of the table, under
    every step reading: 'same', 'judged', or the scenarios where they differ."""
    verdicts = {}
    for key, pair in pairs(hand, compiled).items():
        if pair is None:
            verdicts[key] = "judged"
            continue
        outcomes = {(scenario.name, steps): pair.differs(scenario.values, steps)
                    for scenario in scenarios for steps in STEP_READINGS}
        assert any(outcome is not None for outcome in outcomes.values()), f"{key}: no scenario could be compared"
        different = sorted({name for (name, _), outcome in outcomes.items() if outcome})
        verdicts[key] = "same" if not different else "different on " + "; ".join(different)
    return verdicts


def _figures(hand: TableDefinition, verdicts: dict[str, str]) -> tuple[int, int]:
    """Criterion sentences compiled into rules (not judged), and all of them."""
    sentences = {i.id: sentences_of(i.criterion) for i in hand.indicators}
    return sum(sentences[key] for key, verdict in verdicts.items() if verdict != "judged"), sum(sentences.values())


@pytest.mark.parametrize("source", TABLES, ids=lambda path: path.stem)
@pytest.mark.parametrize("form", ["xlsx", "docx"])
def test_an_annex_compiles_to_a_definition_that_scores_as_the_hand_written_one(tmp_path, monkeypatch, source, form):
    hand = load_definition(source)
    build = annex_xlsx if form == "xlsx" else annex_docx
    annex = build(hand, tmp_path / f"附件.{form}")
    output = tmp_path / "schemas" / "trial.toml"
    result = CliRunner().invoke(main, ["table", "new", "--from", str(annex), "-o", str(output)])
    assert result.exit_code == 0, result.output
    compiled = load_definition(output)                       # loads as it stands
    assert (compiled.title, compiled.annex) == (hand.title, hand.annex)
    assert [(i.name, i.points, i.criterion) for i in compiled.indicators] == [(i.name, i.points, i.criterion) for i in hand.indicators]
    assert compiled.max_points == hand.max_points and compiled.cap == hand.cap
    # the figures: sentences compiled into rules, and none scoring differently
    # on the suite's named scenarios of this table (the Jiaozuo sample or worked example, every test's facts)
    named = named_differences(hand, compiled, named_scenarios(hand))
    compiled_sentences, sentences = _figures(hand, named)
    assert compiled_sentences / sentences >= 0.9
    assert all(verdict in ("same", "judged") for verdict in named.values()), named
    # and on random ones
    verdicts = differences(hand, compiled)
    assert all(verdict in ("same", "judged") for verdict in verdicts.values()), verdicts
    assert f"句评分标准，{compiled_sentences} 句编译为规则" in result.output
    # the report beside the definition, sentence by sentence
    report = load_workbook(tmp_path / "schemas" / "trial.编译报告.xlsx")["编译报告"]
    rows = list(report.iter_rows(min_row=2, values_only=True))
    assert [row[3] for row in rows] == [i.criterion for i in hand.indicators]
    assert all(row[4] for row in rows)
    # and the table works from its first run: it checks, and its template is written
    assert CliRunner().invoke(main, ["table", "check", str(output)]).exit_code == 0
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(output.parent))
    written = CliRunner().invoke(main, ["template", "trial", "-o", str(tmp_path / "模板")])
    assert written.exit_code == 0, written.output
    assert list((tmp_path / "模板").glob("*.xlsx"))


def test_an_annex_without_a_table_is_named(tmp_path):
    write_docx(tmp_path / "通知.docx", ["关于开展绩效评价的通知"], [["附件：略"]])
    result = CliRunner().invoke(main, ["table", "new", "--from", str(tmp_path / "通知.docx"), "-o", str(tmp_path / "x.toml")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "通知.docx：没有找到含「二级指标」「分值」「评分标准」列的表格" in result.output


def test_the_annex_number_title_and_year_come_from_the_document(tmp_path):
    hand = load_definition(TABLES[0])
    rows = [[str(cell) if not isinstance(cell, float) else f"{cell:g}" for cell in row] for row in _rows(hand)]
    annex = write_docx(tmp_path / "附件3.docx", ["附件 3", f"2021年度{hand.title}"], [HEADER, *rows])
    output = tmp_path / "rental.toml"
    result = CliRunner().invoke(main, ["table", "new", "--from", str(annex), "-o", str(output)])
    assert result.exit_code == 0, result.output
    table = load_definition(output)
    assert (table.annex, table.title, table.first_year, table.last_year) == ("附件3", hand.title, 2021, None)
    assert table.short_title == "公租房保障和棚户区改造"


@pytest.mark.parametrize(("source", "base", "from_a_test"), [
    (TABLES[0], "焦作样表", "test_mismatch_message_spells_out_the_computation"),
    (TABLES[1], "焦作样表", "test_a_plan_of_zero_in_every_completion_indicator_of_old_communities"),
    (TABLES[2], "第三张表的算例", "test_a_veto_makes_the_total_zero"),
], ids=lambda value: value.stem if isinstance(value, Path) else None)
def test_the_named_scenarios_are_the_suites_own(source, base, from_a_test):
    """The comparison above runs on the table's sample and on the facts the tests write, not on its base alone."""
    names = [scenario.name for scenario in named_scenarios(load_definition(source))]
    assert names[:2] == [base, "定义的示例"]
    assert any(name.endswith(f" {from_a_test}") for name in names), names
    assert sum(name.startswith("tests/") for name in names) >= 10
