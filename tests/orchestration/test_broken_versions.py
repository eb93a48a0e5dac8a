"""A broken definition file is `table_unavailable` for every workbook of what it defined (issue 23), through the command:

- a workbook made from an OLD version of a table whose versioned file (shantytown.2020.toml) is broken — not scored
  by the current version with a `template_outdated` warning;
- a workbook of that version read by its labels (no meta sheet), by its 评价年度;
- a workbook read by its labels (no defined names, no meta sheet) of a table whose only definition is broken,
  recognised by its title and indicator names — not `not_a_template`.

Each is tested with a mistake in valid TOML and with a file that is not TOML at all (its version, years, title and
indicator names then read line by line). The file and the cause are named in the finding.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from selfscore.cli import main
from selfscore.tables.definitions import get_table_version
from selfscore.tables.names import META_SHEET
from selfscore.write.filling import fill_template, save
from support.helpers import JIAOZUO
from support.third_table import FIXTURES, TABLE, filled

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
#: 「每低一个百分点扣1分」 of 开工计划完成率 in version 1 (the step the two versions differ by)
PER = "target = 100, step = 1, per = 1 },"
#: two mistakes a file can have: a deduction worth more than its indicator (valid TOML), and a line that is not TOML
MISTAKES = {
    "points": (('{ kind = "deduction", points = 35, terms', '{ kind = "deduction", points = 30, terms'),
               "第 {line} 行 groups[2].indicators[0]：各部分（parts）合计 30 分，但指标的分值（points）是 35 分"),
    "toml": (("template_version = 1", "template_version = 1\nnote = 旧版"), "不是有效的 TOML"),
}


def _check(paths: list[Path], output: Path) -> dict[str, dict]:
    inbox = output.parent / "in"
    inbox.mkdir(exist_ok=True)
    for path in paths:
        if path.parent != inbox:
            shutil.copy(path, inbox / path.name)
    result = CliRunner().invoke(main, ["check", str(inbox), "-o", str(output), "--json", "-"])
    assert "Traceback" not in result.output
    return {Path(report["file"]).name: report for report in json.loads(result.stdout)["reports"]}


def _unavailable(report: dict, table: str, file: str, cause: str) -> None:
    assert report["status"] == "unreadable", report["findings"]
    [finding] = report["findings"]
    assert finding["code"] == "table_unavailable", finding
    assert finding["message"].startswith(f"工作簿是「{table}」表，但这张表的定义文件 {file} 有误，暂时无法校验（其他表格不受影响）：")
    assert f"{file} " in finding["message"] and cause in finding["message"], finding["message"]
    assert f"selfscore table check {file}" in finding["message"]


def _by_labels(path: Path) -> Path:
    """The workbook as it reads once pasted elsewhere: no meta sheet, no defined names — only its words."""
    workbook = load_workbook(path)
    workbook.remove(workbook[META_SHEET])
    for name in list(workbook.defined_names):
        del workbook.defined_names[name]
    target = path.with_name(f"labels-{path.name}")
    workbook.save(target)
    return target


# ------------------------------------------------------------------ an old version's file broken


@pytest.fixture
def versions(tmp_path, repo, monkeypatch) -> Path:
    """附件1 in two versions: up to 2020 (shantytown.2020.toml, version 1) and from 2021 (shantytown.toml, version 2)."""
    directory = tmp_path / "schemas"
    directory.mkdir()
    shutil.copy(repo / "schemas" / "old_communities.toml", directory)
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    assert PER in text
    (directory / "shantytown.2020.toml").write_text(
        text.replace("template_version = 1", "template_version = 1\nlast_year = 2020"), encoding="utf-8")
    (directory / "shantytown.toml").write_text(text.replace("template_version = 1", "template_version = 2\nfirst_year = 2021")
                                               .replace(PER, PER.replace("per = 1", "per = 2")), encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))
    return directory


def _version_workbook(path: Path, version: int, year: int) -> Path:
    facts, scores, total = JIAOZUO["shantytown"]
    table = get_table_version("shantytown", version)
    assert table is not None
    return save(fill_template(table, facts, scores, total=total, unit="焦作市", year=year), path)


def _break(directory: Path, file: str, mistake: str, monkeypatch) -> str:
    """A copy of the definitions with a mistake in one file, now the definitions in use; the cause its finding names.

    A copy, not the same directory: a process loads a directory's definitions once."""
    broken = directory.with_name(f"{directory.name}-broken")
    shutil.copytree(directory, broken)
    (old, new), cause = MISTAKES[mistake]
    text = (broken / file).read_text(encoding="utf-8")
    assert old in text
    text = text.replace(old, new, 1)
    (broken / file).write_text(text, encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(broken))
    # the indicator whose parts do not add up is named by the line of its [[groups.indicators]]
    line = text[:text.rfind("[[groups.indicators]]", 0, text.index(new))].count("\n") + 1
    return cause.format(line=line) if mistake == "points" else cause


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_workbook_of_an_old_version_whose_file_is_broken_is_unavailable_naming_that_file(tmp_path, versions, monkeypatch, mistake):
    old = _version_workbook(tmp_path / "2020.xlsx", 1, 2020)
    new = _version_workbook(tmp_path / "2021.xlsx", 2, 2021)
    pasted = _by_labels(_version_workbook(tmp_path / "粘贴2020.xlsx", 1, 2020))
    # while the old file is good, the old workbook is scored by it
    assert _check([old], tmp_path / "before")["2020.xlsx"]["status"] == "ok"
    cause = _break(versions, "shantytown.2020.toml", mistake, monkeypatch)
    reports = _check([old, new, pasted], tmp_path / "out")
    _unavailable(reports["2020.xlsx"], "shantytown", "shantytown.2020.toml", cause)
    assert "template_outdated" not in json.dumps(reports["2020.xlsx"])
    # read by its labels, the workbook says 2020: the version for that year is the broken one
    _unavailable(reports["labels-粘贴2020.xlsx"], "shantytown", "shantytown.2020.toml", cause)
    # the current version still checks its own workbooks
    assert (reports["2021.xlsx"]["status"], reports["2021.xlsx"]["totals"]["recomputed"]) == ("ok", 100)


def test_a_workbook_of_the_current_version_whose_file_is_broken_is_not_scored_by_the_old_one(tmp_path, versions, monkeypatch):
    new = _version_workbook(tmp_path / "2021.xlsx", 2, 2021)
    cause = _break(versions, "shantytown.toml", "points", monkeypatch)
    reports = _check([new], tmp_path / "out")
    _unavailable(reports["2021.xlsx"], "shantytown", "shantytown.toml", cause)


def test_template_names_the_broken_old_version(tmp_path, versions, monkeypatch):
    cause = _break(versions, "shantytown.2020.toml", "points", monkeypatch)
    result = CliRunner().invoke(main, ["template", "shantytown@1", "-o", str(tmp_path / "t")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"表格 shantytown 暂不可用：定义文件 shantytown.2020.toml 有误——shantytown.2020.toml {cause}" in result.output


# ------------------------------------------------------------------ a table read by its labels, its file broken


@pytest.fixture
def third_by_labels(tmp_path, monkeypatch) -> Path:
    """A workbook of the third table, filled while its definition was good, then pasted: only its words are left."""
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(FIXTURES))
    return _by_labels(filled(tmp_path / "保租房.xlsx"))


@pytest.mark.parametrize("mistake", ["bands", "toml"])
def test_a_workbook_read_by_labels_of_a_broken_table_is_unavailable_naming_the_file(tmp_path, repo, monkeypatch,
                                                                                    third_by_labels, mistake):
    directory = tmp_path / "schemas"
    directory.mkdir()
    for path in (repo / "schemas").glob("*.toml"):
        shutil.copy(path, directory / path.name)
    text = (FIXTURES / f"{TABLE}.toml").read_text(encoding="utf-8")
    if mistake == "bands":
        old, new = "{ at_least = 80, points = 3 },", "{ at_least = 95, points = 3 },"
        cause = "groups[0].indicators[2].parts[0].bands[1]：分档须从高到低排列"
    else:   # not TOML at all: the title and the indicator names are read line by line
        old, new = 'id = "affordable_rental"', 'id = affordable_rental'
        cause = "不是有效的 TOML"
    assert old in text
    (directory / f"{TABLE}.toml").write_text(text.replace(old, new, 1), encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))
    jiaozuo = _by_labels(shutil.copy(SAMPLES / "jiaozuo_2020_shantytown.xlsx", tmp_path / "焦作.xlsx"))
    reports = _check([third_by_labels, jiaozuo], tmp_path / "out")
    _unavailable(reports[third_by_labels.name], TABLE, f"{TABLE}.toml", cause)
    # a working table read by its labels beside it is read as before
    assert (reports[jiaozuo.name]["status"], reports[jiaozuo.name]["totals"]["recomputed"]) == ("ok", 100)
    assert "layout_recognised" in json.dumps(reports[jiaozuo.name])


def test_a_broken_table_that_shares_indicator_names_with_a_working_one_is_told_apart(tmp_path, repo, monkeypatch):
    """附件2 broken: its indicators 资金筹集, 资金分配 … are also 附件1's; more of its rows name 附件2's, so it is 附件2's
    workbook that is unavailable, and 附件1's reads as before."""
    directory = tmp_path / "schemas"
    directory.mkdir()
    shutil.copy(repo / "schemas" / "shantytown.toml", directory)
    text = (repo / "schemas" / "old_communities.toml").read_text(encoding="utf-8")
    (directory / "old_communities.toml").write_text(text.replace("template_version = 1", "template_version = 一"), encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))
    old = _by_labels(shutil.copy(SAMPLES / "jiaozuo_2020_old_communities.xlsx", tmp_path / "老旧小区.xlsx"))
    shanty = _by_labels(shutil.copy(SAMPLES / "jiaozuo_2020_shantytown.xlsx", tmp_path / "棚改.xlsx"))
    reports = _check([old, shanty], tmp_path / "out")
    _unavailable(reports[old.name], "old_communities", "old_communities.toml", "不是有效的 TOML")
    assert (reports[shanty.name]["status"], reports[shanty.name]["totals"]["recomputed"]) == ("ok", 100)
