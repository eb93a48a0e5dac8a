"""A broken definition beside the two good ones disables its own table only (issue 23, point 1).

SELFSCORE_SCHEMAS points at a directory with copies of schemas/*.toml and a third definition with a
mistake: the Jiaozuo samples still check to 100 and 95 (in worker processes too), `selfscore tables`
lists the third as 「不可用」 with its cause, `template` writes the others, a workbook of the broken table
is unreadable with a finding naming the definition file and the cause, and the web app logs it at
start-up and shows it on the home page.
"""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from selfscore.cli import main
from selfscore.web import create_app
from support.third_table import FIXTURES, TABLE, filled

SAMPLES = Path(__file__).resolve().parents[2] / "sample_data"
#: bands out of order in the third table's 资金执行率 (its line in the fixture)
BROKEN = ("{ at_least = 80, points = 3 },", "{ at_least = 95, points = 3 },")
CAUSE = ("affordable_rental.toml 第 167 行 groups[0].indicators[2].parts[0].bands[1]：分档须从高到低排列，"
         "每档的门槛和分值都低于上一档（这里 90% → 5 分之后是 95% → 3 分）")


@pytest.fixture
def schemas(tmp_path, repo, monkeypatch) -> Path:
    directory = tmp_path / "schemas"
    directory.mkdir()
    for path in (repo / "schemas").glob("*.toml"):
        shutil.copy(path, directory / path.name)
    text = (FIXTURES / f"{TABLE}.toml").read_text(encoding="utf-8")
    assert BROKEN[0] in text
    (directory / f"{TABLE}.toml").write_text(text.replace(*BROKEN, 1), encoding="utf-8")
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(directory))
    return directory


@pytest.fixture
def third_table_workbook(tmp_path, monkeypatch) -> Path:
    """A workbook of the third table, filled from its template while its definition was still good."""
    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(FIXTURES))
    return filled(tmp_path / "in" / "保租房.xlsx")


def test_the_good_tables_still_check_to_100_and_95_and_the_broken_one_is_named(tmp_path, third_table_workbook, schemas):
    inbox = third_table_workbook.parent
    for name in ("jiaozuo_2020_shantytown.xlsx", "jiaozuo_2020_old_communities.xlsx"):
        shutil.copy(SAMPLES / name, inbox / name)
    # two worker processes: each loads the definitions from SELFSCORE_SCHEMAS and meets the broken one
    result = CliRunner().invoke(main, ["check", str(inbox), "-o", str(tmp_path / "out"), "--json", "-", "--jobs", "2"])
    assert "Traceback" not in result.output
    reports = {Path(report["file"]).name: report for report in json.loads(result.stdout)["reports"]}
    for name, total in (("jiaozuo_2020_shantytown.xlsx", 100), ("jiaozuo_2020_old_communities.xlsx", 95)):
        assert (reports[name]["status"], reports[name]["totals"]["recomputed"]) == ("ok", total)
    third = reports["保租房.xlsx"]
    assert third["status"] == "unreadable"
    [finding] = [finding for finding in third["findings"] if finding["code"] == "table_unavailable"]
    assert finding["severity"] == "error"
    assert finding["message"].startswith(f"工作簿是「{TABLE}」表，但这张表的定义文件 {TABLE}.toml 有误，暂时无法校验（其他表格不受影响）：")
    assert CAUSE in finding["message"] and f"selfscore table check {TABLE}.toml" in finding["message"]


def test_tables_lists_the_broken_table_as_unavailable_with_its_cause(schemas):
    result = CliRunner().invoke(main, ["tables"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split("\t")[0] for line in lines] == ["shantytown", "old_communities", TABLE]
    assert lines[2].startswith(f"{TABLE}\t不可用：定义文件 {TABLE}.toml 有误——{CAUSE}")


def test_template_writes_the_good_tables_and_refuses_the_broken_one_with_its_cause(tmp_path, schemas):
    result = CliRunner().invoke(main, ["template", "-o", str(tmp_path / "all")])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (tmp_path / "all").iterdir()) == [
        "公租房保障和棚户区改造绩效自评表.xlsx", "城镇老旧小区改造绩效自评表.xlsx"]
    result = CliRunner().invoke(main, ["template", TABLE, "-o", str(tmp_path / "one")])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert f"错误：表格 {TABLE} 暂不可用：定义文件 {TABLE}.toml 有误——{CAUSE}" in result.output


def test_serve_logs_it_at_start_up_and_the_home_page_shows_it(schemas, caplog):
    with caplog.at_level(logging.WARNING, logger="selfscore.web.app"):
        app = create_app(processes=1)
    assert any(f"表格 {TABLE} 不可用：定义文件 {TABLE}.toml 有误——{CAUSE}" in record.getMessage() for record in caplog.records)
    with TestClient(app) as client:
        page = client.get("/").text
    assert "下载模板：公租房保障和棚户区改造绩效自评表.xlsx" in page and "下载模板：城镇老旧小区改造绩效自评表.xlsx" in page
    assert f'id="unavailable-{TABLE}"' in page and f"表格 {TABLE} 暂不可用（其他表格不受影响）" in page
    assert "第 167 行" in page


def test_a_broken_version_of_a_working_table_is_named_as_such(schemas):
    # a second file of shantytown with the same template version: refused, the table itself still works
    (schemas / "shantytown.2019.toml").write_text((schemas / "shantytown.toml").read_text(encoding="utf-8"), encoding="utf-8")
    lines = CliRunner().invoke(main, ["tables"]).output.splitlines()
    assert lines[0].startswith("shantytown\t附件1 ")
    [other] = [line for line in lines if "另一版本不可用" in line]
    assert other.startswith("shantytown\t另一版本不可用：定义文件 shantytown.toml 有误——shantytown.toml 第 3 行 template_version：")
