"""A new definition in schemas/ keeps the suite green (issue 23, point 1): what walks the tables fills each
from the definition itself, not from the samples that exist for two tables.

SELFSCORE_SCHEMAS points at copies of schemas/*.toml with the third table's definition beside them, and the
helpers every table-walking test uses (make_workbook, the hand-made layouts, the pasted template) are run on
every table found there.
"""

from __future__ import annotations

import shutil

import pytest

from selfscore.checking import check_workbook
from selfscore.tables.definitions import get_table, load_tables
from selfscore.tables.examples import example_facts, example_scores
from selfscore.write.filling import to_bytes
from support import layouts
from support.helpers import make_workbook, sample
from support.third_table import FIXTURES, TABLE


@pytest.fixture(autouse=True)
def three_tables(tmp_path, repo, monkeypatch):
    directory = tmp_path / "schemas"
    directory.mkdir()
    for path in [*(repo / "schemas").glob("*.toml"), FIXTURES / f"{TABLE}.toml"]:
        shutil.copy(path, directory / path.name)
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))
    assert list(load_tables()) == ["shantytown", "old_communities", TABLE]


def test_the_example_covers_every_input_within_its_bounds_and_scores_by_the_rules():
    table = get_table(TABLE)
    facts = example_facts(table)
    assert set(facts) == {definition.id for definition in table.inputs}
    assert facts["major_accident"] == "否"                # a veto is not triggered by the example
    assert facts["funds_rules"] == "健全"                 # a choice takes its first option
    assert facts["funds_spent"] <= facts["funds_received"]  # at_most holds
    scores, total = example_scores(table)
    assert set(scores) == {indicator.id for indicator in table.indicators}
    assert all(0 <= scores[indicator.id] <= indicator.points for indicator in table.indicators)
    assert sample(TABLE) == (facts, scores, total)


def test_every_table_is_filled_and_checks_to_its_own_total(tmp_path):
    for table_id in load_tables():
        facts, scores, total = sample(table_id)
        report = check_workbook(make_workbook(tmp_path / f"{table_id}.xlsx", table_id))
        assert (report.table, report.errors) == (table_id, 0), [f.message for f in report.findings]
        assert report.recomputed_total == total
        # the same changes every table-walking test passes: a table without that fact or indicator ignores them
        changed = check_workbook(make_workbook(tmp_path / f"{table_id}-2.xlsx", table_id, total=1,
                                               facts={"quality_issues": "两项"}))
        assert changed.findings and changed.self_total == 1


@pytest.mark.parametrize("builder", [layouts.reordered, layouts.shifted_single_header])
def test_every_table_in_a_hand_made_layout_is_read_by_its_labels(builder):
    for table_id in load_tables():
        workbook, cells, scores = builder(table_id)
        report = check_workbook(to_bytes(workbook), name="手工表.xlsx")
        assert report.table == table_id
        assert {r.id: (r.cell, r.self_score) for r in report.indicators} == {
            id_: (cells[id_], score) for id_, score in scores.items()}
        assert report.self_total == layouts.printed_scores(table_id)[1]
        assert report.errors == 0


def test_every_table_pasted_without_its_names_is_read_by_its_labels():
    for table_id in load_tables():
        report = check_workbook(to_bytes(layouts.pasted_template(table_id)), name="粘贴.xlsx")
        assert report.table == table_id and report.errors == 0
        assert report.self_total == sample(table_id)[2] == report.recomputed_total
