"""Versions of a table: a workbook is scored by the version its template was made from, and a template
whose version does not cover the workbook's 评价年度 gets a warning naming the right template."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfscore.checking import check_workbook
from selfscore.cli import main
from selfscore.tables.definitions import get_table_version
from selfscore.write.filling import fill_template, save
from support.helpers import JIAOZUO

OLD = "每低一个百分点扣1分，最多扣35分。\"\nparts = [\n  { kind = \"deduction\", points = 35, terms = [\n" \
      "    { kind = \"below_target\", label = \"开工计划完成率\", ratio = [\"starts_actual\", \"starts_planned\"], " \
      "target = 100, step = 1, per = 1 },"
NEW = OLD.replace("扣1分，最多", "扣2分，最多").replace("per = 1 },", "per = 2 },")


@pytest.fixture(autouse=True)
def two_versions(tmp_path, repo, monkeypatch):
    """附件1 as it stood up to 2020 (version 1) and from 2021 (version 2: 2 points per percentage point short)."""
    directory = tmp_path / "schemas"
    directory.mkdir()
    shutil.copy(repo / "schemas" / "old_communities.toml", directory)
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    assert OLD in text
    (directory / "shantytown.2020.toml").write_text(text.replace("template_version = 1", "template_version = 1\nlast_year = 2020"),
                                                   encoding="utf-8")
    newer = text.replace("template_version = 1", "template_version = 2\nfirst_year = 2021").replace(OLD, NEW)
    (directory / "shantytown.toml").write_text(newer, encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))


def workbook(path: Path, version: int, year: int, starts_actual: int = 272, starts_score: float = 25) -> Path:
    facts, scores, _total = JIAOZUO["shantytown"]
    scores = {**scores, "starts_completion": starts_score}
    table = get_table_version("shantytown", version)
    assert table is not None
    filled = fill_template(table, {**facts, "starts_actual": starts_actual}, scores, total=sum(scores.values()), unit="焦作市", year=year)
    return save(filled, path)


def test_a_workbook_is_scored_by_the_version_its_template_was_made_from(tmp_path):
    # 272 of 282 = 96.45 %: 3.55 points short, 4 steps. Version 1: 「每低一个百分点扣1分」 → 31; version 2: 扣2分 → 27
    old = check_workbook(workbook(tmp_path / "2020.xlsx", 1, 2020, starts_score=31))
    assert (old.template_version, old.indicator("starts_completion").recomputed, old.as_tuples("code")) == (1, 31, [])
    new = check_workbook(workbook(tmp_path / "2021.xlsx", 2, 2021, starts_score=27))
    assert (new.template_version, new.indicator("starts_completion").recomputed, new.as_tuples("code")) == (2, 27, [])


def test_a_template_for_other_years_names_the_right_one(tmp_path):
    report = check_workbook(workbook(tmp_path / "t.xlsx", 2, 2020, starts_score=27))
    assert report.as_tuples("code", "severity", "cell") == [("template_year_mismatch", "warning", "F2")]
    message = report.findings[0].message
    assert "本模板（模板版本 2）适用于2021年及以后，而评价年度为 2020" in message
    assert "应使用模板版本 1（适用于2020年及以前，「公租房保障和棚户区改造绩效自评表（2020年及以前适用）.xlsx」，" \
           "命令 selfscore template shantytown@1）" in message
    assert report.indicator("starts_completion").recomputed == 27   # scored by the template it was filled in
    older = check_workbook(workbook(tmp_path / "o.xlsx", 1, 2022, starts_score=31))
    assert "selfscore template shantytown@2" in older.findings[0].message


def test_cli_writes_an_earlier_version_by_its_number(tmp_path):
    result = CliRunner().invoke(main, ["template", "shantytown@1", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = tmp_path / "公租房保障和棚户区改造绩效自评表（2020年及以前适用）.xlsx"
    assert written.exists()
    report = check_workbook(written)
    assert report.template_version == 1
    unknown = CliRunner().invoke(main, ["template", "shantytown@7"])
    assert unknown.exit_code == 2 and "未知的表格：shantytown@7" in unknown.output and "shantytown@1, shantytown@2" in unknown.output


def test_cli_lists_every_version():
    result = CliRunner().invoke(main, ["tables"])
    assert result.exit_code == 0
    assert "shantytown\t附件1 " in result.output
    assert "（模板版本 2，适用于2021年及以后，9 个指标，18 项基础数据；另有 shantytown@1（适用于2020年及以前））" in result.output


def pasted(path: Path) -> Path:
    """The workbook's visible cells copied into a new workbook: no defined names, no hidden sheet, no version."""
    from openpyxl import Workbook, load_workbook

    source, target = load_workbook(path), Workbook()
    target.remove(target.active)
    for sheet in source.worksheets:
        if sheet.sheet_state == "visible":
            copy = target.create_sheet(sheet.title)
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None and type(cell).__name__ != "MergedCell":
                        copy[cell.coordinate] = cell.value
    target.save(path.with_name(f"pasted-{path.name}"))
    return path.with_name(f"pasted-{path.name}")


def test_a_workbook_without_its_version_is_scored_by_the_version_for_its_year(tmp_path):
    report = check_workbook(pasted(workbook(tmp_path / "2020.xlsx", 1, 2020, starts_score=31)))
    assert report.indicator("starts_completion").recomputed == 31       # 「每低一个百分点扣1分」, version 1
    assert ("version_by_year", "info") in report.as_tuples("code", "severity")
    note = next(f for f in report.findings if f.code == "version_by_year")
    assert note.message == "工作簿没有记录模板版本，按评价年度 2020 采用适用于2020年及以前的评分标准（模板版本 1）。"
    assert report.errors == 0
    current = check_workbook(pasted(workbook(tmp_path / "2022.xlsx", 2, 2022, starts_score=27)))
    assert current.indicator("starts_completion").recomputed == 27     # 扣2分, version 2: no note needed
    assert "version_by_year" not in [code for (code,) in current.as_tuples("code")]
