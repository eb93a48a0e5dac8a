"""Definitions: both annex tables load, and a mistake in a definition names its file and key."""

from __future__ import annotations

import re
import shutil
from fractions import Fraction
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
    ('kind = "checklist"', 'kind = "checklst"', "shantytown.toml 第 150 行 groups[0].indicators[0].parts[0].kind：未知的值 'checklst'"),
    ('input = "local_funds_arranged"', 'input = "local_fund_arranged"', "没有名为 'local_fund_arranged' 的数据"),
    ('type = "yes_no"', 'typ = "yes_no"', "shantytown.toml 第 11 行 inputs[0]：缺少键 type"),
    ("points = 35\ncriterion", "points = 30\ncriterion", "各部分（parts）合计 35 分，但指标的分值（points）是 30 分"),
    ('per = 0.5', 'per = 0.5, pre = 1', "未知的键 pre"),
    ('template_version = 1', 'template_version = "1"', "shantytown.toml 第 3 行 template_version：应为整数"),
    ('name = "项目管理"', 'nmae = "项目管理"', "shantytown.toml 第 181 行 groups[1]：缺少键 name"),
    ("points = 35\ncriterion", "pionts = 35\ncriterion", "shantytown.toml 第 211 行 groups[2].indicators[0]：缺少键 points"),
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


# ------------------------------------------------------------------------------ loading checks (issue 14)

FIXTURES = Path(__file__).resolve().parent.parent / "orchestration" / "fixtures"


@pytest.mark.parametrize(("old", "new", "key", "fix"), [
    # a fact worded like an indicator: read by labels, the two could not be told apart
    ('label = "经查实的工程质量问题"', 'label = "工程 质量"',
     "shantytown.toml 第 80 行 inputs[11].label：'工程 质量' 与指标 'project_quality' 同名", "请换个说法"),
    ('label = "经查实的工程质量问题"', 'label = "工程质量："',   # punctuation is not a difference either
     "shantytown.toml 第 80 行 inputs[11].label：'工程质量：' 与指标 'project_quality' 同名", ""),
    ('label = "资金管理办法是否健全规范"', 'label = "市县财政是否安排补助资金"',
     "inputs[1].label：'市县财政是否安排补助资金' 与数据 'local_funds_arranged' 同名", "请换个说法"),
    ('id = "alloc_on_time"', 'id = "alloc_rules_sound"', "shantytown.toml 第 23 行 inputs[2].id：'alloc_rules_sound' 定义了两次",
     "每项数据须有自己的 id"),
    ('id = "subsidy_completion"', 'id = "starts_completion"',
     "groups[2].indicators[1].id：'starts_completion' 定义了两次（另一处在 shantytown.toml.groups[2].indicators[0]）",
     "每个指标须有自己的 id"),
    ("max_points = 100", "max_points = 90",
     "shantytown.toml 第 8 行 max_points：各得分组合计 100 分（资金管理 25 + 项目管理 10 + 产出效益 60 + 服务对象满意度 5），不是 90 分",
     "请改正某组的 points 或 max_points"),
    ('name = "项目管理"\npoints = 10', 'name = "项目管理"\npoints = 15',
     "shantytown.toml 第 181 行 groups[1]：各指标合计 10 分，但这一组的分值（points）是 15 分",
     "请让这一组的 points 等于其指标之和"),
    ("# ---------------------------------------------------------------- indicators",
     '[[inputs]]\nid = "unused_fact"\nlabel = "未用的数据"\ntype = "yes_no"',
     "shantytown.toml 第 139 行 inputs[18]：没有任何指标用到的数据：unused_fact", "请在规则中用到它们，或删去"),
    ("# ---------------------------------------------------------------- indicators",
     '[[inputs]]\nid = "unused_fact"\nlabel = "未用的数据"\ntype = "yes_no"\n\n'
     '[[inputs]]\nid = "other_fact"\nlabel = "另一项"\ntype = "integer"',
     "inputs[18]：没有任何指标用到的数据：unused_fact, other_fact；", ""),
    ('zero_if = "severe_violation"', 'zero_if = "severe_violations"',
     "shantytown.toml 第 176 行 groups[0].indicators[2].parts[1].zero_if：没有名为 'severe_violations' 的数据",
     "请在 [[inputs]] 中声明它，或改正 id"),
    # 「按比例扣分」 in the criterion, but the rule left to --steps
    ("未达到计划的，每低一个百分点扣1分，最多扣35分。", "未达到计划的，按比例扣分，每低一个百分点扣1分，最多扣35分。",
     "groups[2].indicators[0].criterion：评分标准写的是「按比例扣分」", '请在每条数档的扣分项上加 steps = "exact"'),
    ('yes_requires = "violations"', 'yes_requires = "violation"',
     "inputs[7].yes_requires：数据 'severe_violation' 的 yes_requires 指向的 'violation' 不存在",
     "请在 [[inputs]] 中声明它，或改正 id"),
])
def test_a_definition_that_would_go_wrong_silently_is_refused_with_the_fix(tmp_path, repo, old, new, key, fix):
    with pytest.raises(DefinitionError) as error:
        load_definition(_broken_copy(tmp_path, repo, old, new))
    assert key in str(error.value)
    if fix:
        assert fix in str(error.value)


def test_annexes_sort_by_their_number(tmp_path, repo):
    for number in (10, 2, 1):
        text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
        text = text.replace('id = "shantytown"', f'id = "annex{number}"').replace('annex = "附件1"', f'annex = "附件{number}"')
        (tmp_path / f"annex{number}.toml").write_text(text, encoding="utf-8")
    text = text.replace('id = "annex1"', 'id = "unnumbered"').replace('annex = "附件1"', 'annex = "附表"')
    (tmp_path / "unnumbered.toml").write_text(text, encoding="utf-8")
    # an annex without a number comes after every numbered one
    assert list(load_tables(tmp_path)) == ["annex1", "annex2", "annex10", "unnumbered"]


def _two_versions(tmp_path: Path, repo: Path, old_years: str = "last_year = 2020", new_years: str = "first_year = 2021") -> Path:
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    older = text.replace("template_version = 1", f"template_version = 1\n{old_years}")
    (tmp_path / "shantytown.2020.toml").write_text(older, encoding="utf-8")
    newer = text.replace("template_version = 1", f"template_version = 2\n{new_years}").replace(
        "每低一个百分点扣1分，最多扣35分", "每低一个百分点扣2分，最多扣35分").replace(
        'target = 100, step = 1, per = 1 },\n  ] },\n]\n\n[[groups.indicators]]\nid = "subsidy_completion"',
        'target = 100, step = 1, per = 2 },\n  ] },\n]\n\n[[groups.indicators]]\nid = "subsidy_completion"')
    (tmp_path / "shantytown.toml").write_text(newer, encoding="utf-8")
    return tmp_path


def test_versions_of_a_table_live_side_by_side(tmp_path, repo):
    from selfscore.tables.definitions import load_versions

    directory = _two_versions(tmp_path, repo)
    versions = load_versions(directory)["shantytown"]
    assert [(table.template_version, table.first_year, table.last_year) for table in versions] == [(1, None, 2020), (2, 2021, None)]
    assert load_tables(directory)["shantytown"].template_version == 2   # the current one
    assert [table.covers(2020) for table in versions] == [True, False]
    assert versions[0].file_name == "公租房保障和棚户区改造绩效自评表（2020年及以前适用）.xlsx"
    assert versions[1].years_text == "2021年及以后"


@pytest.mark.parametrize(("old_years", "new_years", "expected"), [
    ("last_year = 2021", "first_year = 2021", "'shantytown' 的第 1 版和第 2 版有重叠的适用年度"),
    ("", "first_year = 2021", "有重叠的适用年度"),
    ("last_year = 2020", "first_year = 2022\nlast_year = 2021", "first_year：2022 晚于 last_year 2021；请对调两者"),
])
def test_versions_must_not_overlap(tmp_path, repo, old_years, new_years, expected):
    from selfscore.tables.definitions import broken_definitions, load_versions

    directory = _two_versions(tmp_path, repo, old_years, new_years)
    # the newer version is refused, with its file and line; the older one still works
    assert [table.template_version for table in load_versions(directory)["shantytown"]] == [1]
    [broken] = broken_definitions(directory)
    assert (broken.file, broken.table_id) == ("shantytown.toml", "shantytown")
    assert broken.cause.startswith("shantytown.toml 第 ") and expected in broken.cause


def test_a_version_file_names_its_table(tmp_path, repo):
    shutil.copy(repo / "schemas" / "shantytown.toml", tmp_path / "rental.2020.toml")
    with pytest.raises(DefinitionError) as error:
        load_definition(tmp_path / "rental.2020.toml")
    assert "rental.2020.toml 第 2 行 id：'shantytown' 须与文件名 'rental.2020' 相同" in str(error.value)


def test_the_third_table_declares_every_new_kind():
    table = load_tables(FIXTURES)["affordable_rental"]
    kinds = {type(part).__name__ for indicator in table.indicators for part in indicator.parts}
    assert {"Bands", "Gate", "Graded", "PerItem", "Checklist", "Deduction"} <= kinds
    assert [group.kind for group in table.groups] == ["score", "score", "score", "bonus", "penalty"]
    assert (table.max_points, table.cap, [veto.input.id for veto in table.vetoes]) == (100, 100, ["major_accident"])


def test_a_capped_total_and_a_veto_from_the_criterion():
    table = load_tables(FIXTURES)["affordable_rental"]
    scores = {indicator.id: indicator.points for indicator in table.indicators}
    scores["safety_incidents"] = Fraction(0)
    # 100 from the scored groups + 5 bonus: 「加分后总分不超过100分」
    assert table.total(scores) == (100, "得分项 100 + 加分 5 − 扣分 0 = 105，加分后总分不超过 100 分，计 100 分")
    scores["safety_incidents"] = Fraction(10)
    assert table.total(scores)[0] == 95    # 100 + 5 − 10
    assert table.total(scores, vetoed=True) == (0, "一票否决，总分为 0")


@pytest.mark.parametrize(("old", "new", "fix"), [
    ('type = "yes_no"', 'typ = "yes_no"', "缺少键 type；请补上（type = …）"),
    ('per = 0.5', 'per = 0.5, pre = 1', "未知的键 pre；请改正拼写或删除"),
    ('template_version = 1', 'template_version = "1"', "应为整数，实际是 '1'；请写成整数"),
    ('kind = "checklist"', 'kind = "checklst"', "未知的值 'checklst'，可选：checklist, deduction, bands, gate"),
])
def test_a_typo_is_refused_with_what_to_write_instead(tmp_path, repo, old, new, fix):
    with pytest.raises(DefinitionError) as error:
        load_definition(_broken_copy(tmp_path, repo, old, new))
    assert fix in str(error.value)


def _third_table_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = (FIXTURES / "affordable_rental.toml").read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / "affordable_rental.toml"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


@pytest.mark.parametrize(("veto_input", "expected"), [
    ("incidents", "vetoes[0].input：'incidents' 不是是/否（yes_no）数据；一票否决以「是/否」回答"),
    ("no_such_fact", "vetoes[0].input：'no_such_fact' 不是是/否（yes_no）数据"),
])
def test_a_veto_on_anything_but_a_yes_no_input_is_refused(tmp_path, veto_input, expected):
    with pytest.raises(DefinitionError) as error:
        load_definition(_third_table_copy(tmp_path, 'input = "major_accident"', f'input = "{veto_input}"'))
    assert expected in str(error.value)


def _third_table_scores(scored: Fraction, bonus: Fraction = Fraction(0), penalty: Fraction = Fraction(0)) -> dict[str, Fraction]:
    """The third table's scores with the scored groups adding up to ``scored`` (all in its first indicator)."""
    table = load_tables(FIXTURES)["affordable_rental"]
    scores = {indicator.id: Fraction(0) for indicator in table.indicators}
    scores["funds_raising"], scores["awards"], scores["safety_incidents"] = scored, bonus, penalty
    return scores


@pytest.mark.parametrize(("scored", "bonus", "penalty", "total", "text"), [
    # 「加分后总分不超过100分」: exactly 100 is not capped, and says nothing of a cap
    (Fraction(95), Fraction(5), 0, 100, "得分项 95 + 加分 5 − 扣分 0 = 100"),
    (Fraction(96), Fraction(5), 0, 100, "得分项 96 + 加分 5 − 扣分 0 = 101，加分后总分不超过 100 分，计 100 分"),
    # penalties never take the total below 0
    (Fraction(3), 0, Fraction(5), 0, "得分项 3 + 加分 0 − 扣分 5 = -2，总分不低于 0 分，计 0 分"),
    (Fraction(5), 0, Fraction(5), 0, "得分项 5 + 加分 0 − 扣分 5 = 0"),
    (Fraction(11, 2), 0, Fraction(5), Fraction(1, 2), "得分项 5.5 + 加分 0 − 扣分 5 = 0.5"),
])
def test_an_adjusted_total_at_its_cap_and_at_zero(scored, bonus, penalty, total, text):
    table = load_tables(FIXTURES)["affordable_rental"]
    assert table.total(_third_table_scores(scored, Fraction(bonus), Fraction(penalty))) == (total, text)


def test_a_total_names_only_the_groups_the_table_has(tmp_path):
    table = load_definition(_third_table_copy(tmp_path, 'kind = "bonus"', 'kind = "penalty"'))
    assert [group.kind for group in table.groups] == ["score", "score", "score", "penalty", "penalty"]
    assert table.total(_third_table_scores(Fraction(90), Fraction(2), Fraction(3))) == (85, "得分项 90 − 扣分 5 = 85")
    table = load_definition(_third_table_copy(tmp_path, 'kind = "penalty"', 'kind = "bonus"'))
    assert [group.kind for group in table.groups] == ["score", "score", "score", "bonus", "bonus"]
    assert table.total(_third_table_scores(Fraction(90), Fraction(2), Fraction(3))) == (95, "得分项 90 + 加分 5 = 95")
    shantytown = load_tables()["shantytown"]   # no bonus or penalty: a plain sum, nothing to explain
    assert shantytown.total({indicator.id: indicator.points for indicator in shantytown.indicators}) == (100, "")


def test_looking_up_a_table_or_version_that_is_not_there(tmp_path, repo, monkeypatch):
    from selfscore.tables.definitions import get_table, get_table_version, version_for_year

    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(_two_versions(tmp_path, repo, "last_year = 2020", "first_year = 2022")))
    with pytest.raises(KeyError, match="rental"):
        get_table("rental")
    assert get_table_version("rental", 1) is None and version_for_year("rental", 2020) is None
    assert get_table_version("shantytown", 3) is None and get_table_version("shantytown", 2).template_version == 2
    assert version_for_year("shantytown", 2021) is None   # between the two versions' years
    assert version_for_year("shantytown", 2020).template_version == 1


def test_a_cap_below_the_maximum_is_refused(tmp_path):
    with pytest.raises(DefinitionError) as error:
        load_definition(_third_table_copy(tmp_path, "total_cap = 100", "total_cap = 90"))
    assert "total_cap：90 低于表格满分 100；total_cap 限制的是加分后的总分" in str(error.value)


def test_a_table_without_a_scored_group_is_refused_before_its_points_are_added_up(tmp_path):
    text = (FIXTURES / "affordable_rental.toml").read_text(encoding="utf-8")
    every_group_a_bonus = re.sub(r'\[\[groups\]\]\nname = "([^"]+)"\npoints', r'[[groups]]\nname = "\1"\nkind = "bonus"\npoints', text)
    (tmp_path / "affordable_rental.toml").write_text(every_group_a_bonus, encoding="utf-8")
    with pytest.raises(DefinitionError) as error:
        load_definition(tmp_path / "affordable_rental.toml")
    assert str(error.value).startswith("affordable_rental.toml 第 ")
    assert str(error.value).endswith(' groups：表格至少要有一组得分项（kind = "score"，不写即是）')


def test_indicators_know_their_group_and_a_version_may_cover_a_single_year(tmp_path, repo):
    from selfscore.tables.definitions import load_versions

    table = load_tables()["shantytown"]
    assert [indicator.group for indicator in table.indicators][:3] == ["资金管理"] * 3
    versions = load_versions(_two_versions(tmp_path, repo, "last_year = 2020", "first_year = 2021\nlast_year = 2021"))["shantytown"]
    assert versions[1].years_text == "2021年" and versions[1].covers(2021) and not versions[1].covers(2022)


def test_a_definition_saved_by_notepad_with_a_byte_order_mark_loads(tmp_path, repo):
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    (tmp_path / "shantytown.toml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    assert load_definition(tmp_path / "shantytown.toml").title == load_tables()["shantytown"].title


def test_a_definition_saved_in_gbk_is_refused_with_how_to_save_it(tmp_path, repo):
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    (tmp_path / "shantytown.toml").write_bytes(text.encode("gbk", errors="replace"))
    with pytest.raises(DefinitionError) as error:
        load_definition(tmp_path / "shantytown.toml")
    assert str(error.value).startswith("shantytown.toml 第 1 行：文件不是 UTF-8 编码（第 ")
    assert "像是GBK 等编码" in str(error.value) and "请用 UTF-8 编码另存" in str(error.value)


def test_a_definition_that_is_not_toml_says_where_it_breaks(tmp_path):
    (tmp_path / "shantytown.toml").write_text('id = "shantytown"\ntitle = 城镇\n', encoding="utf-8")
    with pytest.raises(DefinitionError) as error:
        load_definition(tmp_path / "shantytown.toml")
    assert str(error.value).startswith("shantytown.toml 第 2 行：不是有效的 TOML（第 9 列附近：值写得不对（文字要加英文引号））")


def test_max_points_may_be_left_out_and_is_then_what_the_groups_add_up_to(tmp_path, repo):
    table = load_definition(_broken_copy(tmp_path, repo, "max_points = 100\n", ""))
    assert table.max_points == 100
