"""Definitions: both annex tables load, and a mistake in a definition names its file and key."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfscore.cli import main
from selfscore.tables.definitions import DefinitionError, load_definition, load_tables

EXPECTED = {
    "shantytown": ["funds_raising", "funds_allocation", "funds_use", "policy_disclosure", "report_submission",
                   "starts_completion", "subsidy_completion", "project_quality", "satisfaction"],
    "old_communities": ["funds_raising", "funds_allocation", "funds_use", "policy_disclosure", "report_submission",
                        "households_completion", "area_completion", "buildings_completion", "communities_completion",
                        "project_quality", "satisfaction"],
}


def test_tables_have_the_spec_ids_and_add_up_to_100():
    tables = load_tables()
    # the shipped annexes in annex order; a new definition in schemas/ may follow them
    assert list(tables)[:2] == ["shantytown", "old_communities"]
    for table_id, indicator_ids in EXPECTED.items():
        table = tables[table_id]
        assert [indicator.id for indicator in table.indicators] == indicator_ids
        assert table.max_points == 100
        assert [(g.name, int(g.points)) for g in table.groups] == [
            ("资金管理", 25), ("项目管理", 10), ("产出效益", 60), ("服务对象满意度", 5)]


def test_criterion_text_is_verbatim_with_the_typo_corrected():
    old = load_tables()["old_communities"]
    allocation = old.indicators_by_id["funds_allocation"].criterion
    assert "资金资金" not in allocation
    assert allocation.startswith("资金管理办法健全规范(2分)；资金按规定时间分配下达到县(市、区)")
    assert load_tables()["shantytown"].indicators_by_id["starts_completion"].criterion == (
        "项目实际开工量大于或等于年度计划的（35分）；未达到计划的，每低一个百分点扣1分，最多扣35分。")


def _broken_copy(tmp_path: Path, repo: Path, old: str, new: str) -> Path:
    target = tmp_path / "shantytown.toml"
    shutil.copy(repo / "schemas" / "shantytown.toml", target)
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(("old", "new", "expected"), [
    ('kind = "checklist"', 'kind = "checklst"', "shantytown.toml.groups[0].indicators[0].parts[0].kind: unknown value 'checklst'"),
    ('input = "local_funds_arranged"', 'input = "local_fund_arranged"', "no input named 'local_fund_arranged'"),
    ('type = "yes_no"', 'typ = "yes_no"', "shantytown.toml.inputs[0]: missing key 'type'"),
    ("points = 35\ncriterion", "points = 30\ncriterion", "parts add up to 35 points, but the indicator has 30"),
    ('per = 0.5', 'per = 0.5, pre = 1', "unknown key(s) pre"),
    ('template_version = 1', 'template_version = "1"', "shantytown.toml.template_version: expected a whole number"),
])
def test_a_typo_in_a_definition_names_the_file_and_key(tmp_path, repo, old, new, expected):
    with pytest.raises(DefinitionError) as error:
        load_definition(_broken_copy(tmp_path, repo, old, new))
    assert expected in str(error.value)


def test_a_third_table_is_one_new_file(tmp_path, repo):
    for path in (repo / "schemas").glob("*.toml"):
        shutil.copy(path, tmp_path / path.name)
    third = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    third = third.replace('id = "shantytown"', 'id = "rental_only"').replace('annex = "附件1"', 'annex = "附件3"')
    (tmp_path / "rental_only.toml").write_text(third, encoding="utf-8")
    assert list(load_tables(tmp_path)) == [*load_tables(), "rental_only"]


def test_cli_lists_tables():
    result = CliRunner().invoke(main, ["tables"])
    assert result.exit_code == 0
    assert "shantytown\t附件1" in result.output and "old_communities\t附件2" in result.output
