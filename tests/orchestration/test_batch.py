"""Reviewer mode: many workbooks at once (directories, globs, processes), one summary workbook."""

from __future__ import annotations

import io
import multiprocessing
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from selfscore import batch, checking
from selfscore.batch import BatchInput, InputError, check_batch, collect_inputs
from selfscore.checking import check_many, check_workbook
from selfscore.cli import main
from selfscore.results.report import duplicate_groups
from selfscore.tables.names import META_UNIT
from selfscore.write.summary import CHART_SHEET, DETAIL_SHEET, SUMMARY_SHEET, summary_bytes
from support.helpers import make_workbook

#: (relative path, table, unit, changes): one clean pair per table, faulty ones of different sizes
WORKBOOKS = [
    ("郑州市.xlsx", "shantytown", "郑州市", {}),
    ("县/中牟县.xlsx", "shantytown", "中牟县", {"scores": {"funds_raising": 7}}),  # 7 instead of 10: −3
    ("县/巩义市.xlsx", "old_communities", "巩义市", {"facts": {"quality_issues": 6}}),  # 10 instead of 4: +6
    ("县/深/登封市.xlsx", "old_communities", "登封市", {}),
    ("县/新密市.xlsx", "shantytown", "新密市", {"facts": {"starts_actual": "两百"}}),  # unknown
]


@pytest.fixture(scope="module")
def province(tmp_path_factory) -> Path:
    """A folder of real workbooks as a province receives them, with a broken one in the middle."""
    root = tmp_path_factory.mktemp("province")
    for relative, table, unit, changes in WORKBOOKS:
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        make_workbook(root / relative, table, unit=unit, **changes)
    (root / "县" / "损坏.xlsx").write_bytes(b"PK\x03\x04 this is not a workbook")
    return root


@pytest.fixture
def folder(province, tmp_path) -> Path:
    target = tmp_path / "in"
    shutil.copytree(province, target)
    return target


def names(inputs: list[BatchInput]) -> list[str]:
    return [item.name for item in inputs]


def test_a_directory_is_searched_recursively_skipping_our_copies_and_lock_files(folder):
    shutil.copy(folder / "郑州市.xlsx", folder / "郑州市.checked.xlsx")
    shutil.copy(folder / "郑州市.xlsx", folder / "县" / "郑州市.checked-2.xlsx")
    (folder / "~$郑州市.xlsx").write_bytes(b"lock")
    (folder / "说明.txt").write_text("not a workbook")
    inputs = collect_inputs([folder])
    assert names(inputs) == ["县/中牟县.xlsx", "县/巩义市.xlsx", "县/损坏.xlsx", "县/新密市.xlsx", "县/深/登封市.xlsx", "郑州市.xlsx"]
    assert inputs[0].target == folder / "县" / "中牟县.checked.xlsx"


def test_with_an_output_directory_copies_keep_their_sub_folders_and_never_collide(folder, tmp_path):
    (folder / "另一批").mkdir()
    shutil.copy(folder / "郑州市.xlsx", folder / "另一批" / "中牟县.xlsx")
    out = tmp_path / "out"
    inputs = collect_inputs([folder / "县" / "中牟县.xlsx", folder / "另一批" / "中牟县.xlsx", folder], out)
    targets = [item.target for item in inputs]
    assert len(set(targets)) == len(targets), "every input has a copy of its own"
    assert targets[:2] == [out / "中牟县.checked.xlsx", out / "中牟县.checked-2.xlsx"]
    assert out / "县" / "深" / "登封市.checked.xlsx" in targets
    assert len(inputs) == len(WORKBOOKS) + 2, "a file named twice is checked once"


def test_a_glob_names_files_relative_to_its_fixed_part(folder):
    inputs = collect_inputs([str(folder / "县" / "**" / "*市.xlsx")])
    assert names(inputs) == ["巩义市.xlsx", "新密市.xlsx", "深/登封市.xlsx"]


@pytest.mark.parametrize("argument, message", [
    ("nowhere.xlsx", "找不到文件或目录「{}」"),
    ("*.nothing.xlsx", "没有与「{}」匹配的 .xlsx、.xls 或 .ods 文件"),
])
def test_an_argument_that_names_nothing_is_an_input_error(tmp_path, argument, message):
    path = str(tmp_path / argument)
    with pytest.raises(InputError, match=message.format(path).replace(".", r"\.").replace("*", r"\*")):
        collect_inputs([path])


def test_an_empty_directory_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="中没有 .xlsx、.xls 或 .ods 文件"):
        collect_inputs([tmp_path])


def test_a_directory_scan_also_picks_up_xls_and_ods_but_not_other_files(tmp_path):
    for name in ("a.xlsx", "b.xls", "c.ODS", "d.csv", "e.checked.xlsx", "~$f.xlsx"):
        (tmp_path / name).write_bytes(b"x")
    assert names(collect_inputs([tmp_path])) == ["a.xlsx", "b.xls", "c.ODS"]


def reports_by_name(items):
    return {item.input.name: item.report for item in items}


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_broken_file_in_the_middle_gets_its_row_and_the_rest_are_checked(folder, jobs):
    items = check_batch(collect_inputs([folder]), jobs=jobs)
    statuses = {item.input.name: item.report.status for item in items}
    assert statuses == {"县/中牟县.xlsx": "errors", "县/巩义市.xlsx": "errors", "县/损坏.xlsx": "unreadable",
                        "县/新密市.xlsx": "errors", "县/深/登封市.xlsx": "ok", "郑州市.xlsx": "ok"}
    for item in items:
        assert (item.marked_up is None) == (item.report.status == "unreadable")
        assert item.marked_up is None or item.marked_up.exists()


@pytest.mark.parametrize("jobs", [1, 2])
def test_progress_is_reported_once_per_file(folder, jobs):
    seen = []
    items = check_batch(collect_inputs([folder]), jobs=jobs, on_done=lambda item: seen.append(item.input.name))
    assert sorted(seen) == sorted(item.input.name for item in items)


def test_two_processes_give_the_same_reports_as_one(folder, tmp_path):
    one = check_batch(collect_inputs([folder], tmp_path / "one"), jobs=1)
    two = check_batch(collect_inputs([folder], tmp_path / "two"), jobs=2)
    assert [item.report.to_dict() for item in one] == [item.report.to_dict() for item in two]
    assert [item.input.name for item in one] == [item.input.name for item in two]


@pytest.fixture
def chunks_seen(monkeypatch) -> list[list[Path]]:
    """The files of each chunk the batch validates together, in order."""
    seen: list[list[Path]] = []
    original = checking.check_many
    monkeypatch.setattr(checking, "check_many", lambda sources, **kw: seen.append(list(sources)) or original(sources, **kw))
    return seen


def test_a_chunk_holds_at_most_max_chunk_files_and_chunk_bytes(folder, tmp_path, monkeypatch, chunks_seen):
    inputs = collect_inputs([folder], tmp_path / "out")
    sizes = {item.path: item.path.stat().st_size for item in inputs}
    whole = [item.report.to_dict() for item in check_batch(inputs, jobs=1)]
    budget = 2 * max(sizes.values()) + 1  # two of the larger workbooks fit, three never do
    monkeypatch.setattr(batch, "CHUNK_BYTES", budget)
    chunks_seen.clear()
    items = check_batch(inputs, jobs=1)
    assert [path for chunk in chunks_seen for path in chunk] == [item.path for item in inputs]  # each once, in order
    assert all(len(chunk) == 1 or sum(sizes[path] for path in chunk) <= budget for chunk in chunks_seen)
    assert max(len(chunk) for chunk in chunks_seen) >= 2 and len(chunks_seen) >= 3
    assert [item.report.to_dict() for item in items] == whole  # the chunks change nothing in the reports
    monkeypatch.setattr(batch, "MAX_CHUNK", 2)
    monkeypatch.setattr(batch, "CHUNK_BYTES", 10**9)
    chunks_seen.clear()
    check_batch(inputs, jobs=1)
    assert [len(chunk) for chunk in chunks_seen] == [2, 2, 2]


def test_the_report_only_path_validates_larger_chunks_whatever_their_size(folder, monkeypatch, chunks_seen):
    inputs = collect_inputs([folder])
    whole = [item.report.to_dict() for item in check_batch(inputs, jobs=1, markup=False)]
    monkeypatch.setattr(batch, "CHUNK_BYTES", 1)  # it lets each workbook go once read: bytes do not cut its chunks
    monkeypatch.setattr(batch, "MAX_CHUNK", 1)
    chunks_seen.clear()
    items = check_batch(inputs, jobs=1, markup=False)
    assert [len(chunk) for chunk in chunks_seen] == [len(inputs)]
    assert [item.report.to_dict() for item in items] == whole
    monkeypatch.setattr(batch, "REPORT_CHUNK", 4)
    chunks_seen.clear()
    check_batch(inputs, jobs=1, markup=False)
    assert [len(chunk) for chunk in chunks_seen] == [4, 2]


def test_a_batch_moves_what_the_imports_made_out_of_the_collectors_way():
    probe = ("import gc, sys; from selfscore.batch import check_batch, collect_inputs; "
             "print(gc.get_freeze_count()); check_batch(collect_inputs([sys.argv[1]]), jobs=1, markup=False); "
             "print(gc.get_freeze_count())")
    sample = Path(__file__).resolve().parents[2] / "sample_data" / "jiaozuo_2020_shantytown.xlsx"
    before, after = subprocess.run([sys.executable, "-c", probe, str(sample)], capture_output=True, text=True,
                                   check=True).stdout.split()
    assert int(before) == 0 and int(after) > 50_000  # pandas', pandera's and openpyxl's objects, frozen once


def test_the_batch_reports_are_the_single_file_reports(folder):
    items = check_batch(collect_inputs([folder]), jobs=2)
    for item in items:
        if item.report.status != "unreadable":
            assert item.report.to_dict() == check_workbook(item.input.path, name=item.input.name).to_dict()


def test_validating_many_workbooks_at_once_finds_what_validating_each_alone_finds(folder, repo):
    paths = sorted(folder.rglob("*.xlsx")) + sorted((repo / "sample_data").glob("faulty_*.xlsx"))
    together = [checked.report.to_dict() for checked in check_many(paths)]
    alone = [check_workbook(path).to_dict() for path in paths]
    assert together == alone
    assert sum(len(report["findings"]) for report in alone) > 10


def test_reports_survive_the_trip_between_processes(folder):
    report = check_workbook(folder / "县" / "巩义市.xlsx")
    assert pickle.loads(pickle.dumps(report)) == report


def _explode(opened, *args):
    if opened.file_name.endswith("巩义市.xlsx"):
        raise RuntimeError("boom")
    return _original_finish(opened, *args)


def _die(opened, *args):
    if opened.file_name.endswith("巩义市.xlsx"):
        os._exit(3)  # as a segfault or the OOM killer would end the worker
    return _original_finish(opened, *args)


_original_finish = checking._finish


def test_a_failing_check_is_that_files_unreadable_row(folder, monkeypatch):
    monkeypatch.setattr(checking, "_finish", _explode)
    items = check_batch(collect_inputs([folder]), jobs=1)
    reports = reports_by_name(items)
    assert reports["县/巩义市.xlsx"].status == "unreadable"
    assert reports["县/巩义市.xlsx"].as_tuples("code") == [("check_failed",)]
    assert "RuntimeError" in reports["县/巩义市.xlsx"].findings[0].message
    assert reports["郑州市.xlsx"].status == "ok"


def test_a_copy_that_cannot_be_written_is_that_files_unreadable_row(folder, tmp_path):
    # a file stands where the folder of 县/'s copies would go (a folder at the copy's own name is no obstacle: the
    # copy takes the next free name, see test_corrections_kept.py)
    out = tmp_path / "out"
    out.mkdir()
    (out / "县").write_text("not a folder", encoding="utf-8")
    reports = reports_by_name(check_batch(collect_inputs([folder], out), jobs=1))
    assert reports["县/巩义市.xlsx"].as_tuples("code") == [("check_failed",)]
    assert "FileExistsError" in reports["县/巩义市.xlsx"].findings[0].message
    assert reports["郑州市.xlsx"].status == "ok"


def test_a_workbook_that_breaks_the_shared_validation_fails_alone(folder, monkeypatch):
    original = checking.validate_many

    def validate_many(reads):
        if any(read.values.get(META_UNIT) == "巩义市" for read in reads):
            raise RuntimeError("boom")
        return original(reads)

    monkeypatch.setattr(checking, "validate_many", validate_many)
    reports = reports_by_name(check_batch(collect_inputs([folder]), jobs=1))
    assert reports["县/巩义市.xlsx"].as_tuples("code") == [("check_failed",)]
    assert "RuntimeError" in reports["县/巩义市.xlsx"].findings[0].message
    assert {name: r.status for name, r in reports.items() if name != "县/巩义市.xlsx"} == {
        "县/中牟县.xlsx": "errors", "县/损坏.xlsx": "unreadable", "县/新密市.xlsx": "errors",
        "县/深/登封市.xlsx": "ok", "郑州市.xlsx": "ok"}


@pytest.mark.skipif(multiprocessing.get_start_method() != "fork", reason="the patched worker is inherited only by fork")
def test_a_dying_worker_is_that_files_unreadable_row_and_the_batch_goes_on(folder, monkeypatch):
    monkeypatch.setattr(batch, "MAX_CHUNK", 1)
    monkeypatch.setattr(checking, "_finish", _die)
    items = check_batch(collect_inputs([folder]), jobs=2)
    reports = reports_by_name(items)
    assert reports["县/巩义市.xlsx"].as_tuples("code") == [("check_failed",)]
    assert "校验进程意外退出" in reports["县/巩义市.xlsx"].findings[0].message
    assert {name: r.status for name, r in reports.items() if name != "县/巩义市.xlsx"} == {
        "县/中牟县.xlsx": "errors", "县/损坏.xlsx": "unreadable", "县/新密市.xlsx": "errors",
        "县/深/登封市.xlsx": "ok", "郑州市.xlsx": "ok"}


def test_the_same_unit_year_and_table_twice_is_a_duplicate(folder):
    make_workbook(folder / "郑州市（重报）.xlsx", unit="郑州市")  # same unit, year and table as 郑州市.xlsx
    make_workbook(folder / "郑州市2019.xlsx", unit="郑州市", year=2019)  # another year: not a duplicate
    make_workbook(folder / "郑州市老旧.xlsx", "old_communities", unit="郑州市")  # another table: not a duplicate
    reports = [item.report for item in check_batch(collect_inputs([folder]), jobs=1)]
    groups = duplicate_groups(reports)
    assert [[reports[i].file for i in group] for group in groups] == [["郑州市.xlsx", "郑州市（重报）.xlsx"]]


# --- the summary workbook ---------------------------------------------------------------------------

def rows_of(sheet, first_row):
    return [row for row in sheet.iter_rows(min_row=first_row, values_only=True) if any(v is not None for v in row)]


@pytest.fixture
def summary(folder, tmp_path):
    make_workbook(folder / "县" / "郑州市（重报）.xlsx", unit="郑州市")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", str(folder), "-o", str(out), "--summary", str(out / "汇总" / "汇总.xlsx"),
                                       "--jobs", "2"])
    assert result.exit_code == 2, result.output  # the broken file
    path = out / "汇总" / "汇总.xlsx"
    return path, load_workbook(path), result.output


def test_summary_has_its_three_sheets_in_chinese(summary):
    _path, workbook, _output = summary
    assert workbook.sheetnames == [SUMMARY_SHEET, DETAIL_SHEET, CHART_SHEET] == ["汇总", "指标明细", "图表"]


def test_summary_rows_are_sorted_by_the_size_of_the_difference(summary):
    _path, workbook, _output = summary
    sheet = workbook[SUMMARY_SHEET]
    header = [cell.value for cell in sheet[4]]
    assert header[:11] == ["序号", "文件", "填报单位", "年度", "表格", "自评合计", "重新计算", "差额", "错误", "提醒", "结论"]
    rows = [dict(zip(header, row, strict=True)) for row in rows_of(sheet, 5)]
    assert [(r["文件"], r["差额"]) for r in rows] == [
        ("县/巩义市.xlsx", 6),  # self 95, recomputed 89: the largest difference first
        ("县/中牟县.xlsx", -3),
        ("县/深/登封市.xlsx", 0),
        ("县/郑州市（重报）.xlsx", 0),
        ("郑州市.xlsx", 0),
        ("县/新密市.xlsx", "无法计算"),  # cannot be known: after every known difference
        ("县/损坏.xlsx", "无法读取"),  # unreadable: last
    ]
    first = rows[0]
    assert (first["填报单位"], first["年度"], first["表格"], first["自评合计"], first["重新计算"], first["错误"], first["结论"]) == \
        ("巩义市", 2020, "城镇老旧小区改造", 95, 89, 1, "有错误")
    assert rows[-1]["结论"] == "无法读取" and "文件已损坏或不完整" in rows[-1]["主要问题"]
    assert sheet.freeze_panes == "C5"
    assert sheet.auto_filter.ref == "A4:N11"
    assert len(sheet.conditional_formatting) >= 4


def test_summary_flags_duplicates_in_a_column_a_warning_line_and_the_terminal(summary):
    _path, workbook, output = summary
    sheet = workbook[SUMMARY_SHEET]
    assert "郑州市 2020 年公租房保障和棚户区改造 2 份" in sheet["A3"].value
    flagged = {row[1]: row[11] for row in rows_of(sheet, 5) if row[11]}
    assert flagged == {"郑州市.xlsx": "与 县/郑州市（重报）.xlsx 重复", "县/郑州市（重报）.xlsx": "与 郑州市.xlsx 重复"}
    assert "！重复报送：郑州市 2020 年" in output


def test_summary_links_point_at_the_marked_up_copies(summary):
    path, workbook, _output = summary
    sheet = workbook[SUMMARY_SHEET]
    links = {row[0].value: row[12].hyperlink.target for row in sheet.iter_rows(min_row=5) if row[12].hyperlink}
    assert len(links) == len(WORKBOOKS) + 1  # every readable workbook; the broken one has no copy
    for target in links.values():
        assert not os.path.isabs(target)
        copy = (path.parent / target).resolve()
        assert copy.exists() and copy.name.endswith(".checked.xlsx")
        assert load_workbook(copy).sheetnames[0] == "校验结果"


def test_indicator_matrix_shows_self_and_recomputed_where_they_differ(summary):
    _path, workbook, _output = summary
    sheet = workbook[DETAIL_SHEET]
    cells = {}
    header: list = []
    for row in sheet.iter_rows(min_row=3):
        if row[0].value == "填报单位":
            header = [cell.value for cell in row]
        elif header and row[0].value and row[1].value:
            cells.update({(row[0].value, label): cell for label, cell in zip(header, row, strict=False) if label})
    zhongmu = cells[("中牟县", "资金筹集（10）")]
    assert zhongmu.value == "7 → 10"
    assert zhongmu.fill.fgColor.rgb.endswith("FFC7CE")  # 不符: red
    assert cells[("中牟县", "资金分配（5）")].value == "5"
    assert cells[("中牟县", "资金分配（5）")].fill.fgColor.rgb.endswith("C6EFCE")  # 一致: green
    assert cells[("巩义市", "工程质量（10）")].value == "10 → 4"
    assert cells[("新密市", "开工计划完成率（35）")].value == "35 → 无法计算"
    assert cells[("新密市", "开工计划完成率（35）")].fill.fgColor.rgb.endswith("D9D9D9")  # 无法计算: grey
    assert cells[("巩义市", "合计（100）")].value == "95 → 89"


def test_chart_sheet_has_a_native_bar_chart_per_table(summary):
    _path, workbook, _output = summary
    sheet = workbook[CHART_SHEET]
    charts = sheet._charts
    assert len(charts) == 2
    assert all(chart.tagname == "barChart" for chart in charts)
    assert [series.tx.strRef.f for series in charts[0].series] == ["'图表'!B3", "'图表'!C3"]
    values = {row[0]: row[1:3] for row in rows_of(sheet, 3)}
    assert values["中牟县"] == (97, 100)
    assert values["新密市"] == (100, None)


def test_summary_never_turns_a_unit_name_into_a_formula(tmp_path):
    path = make_workbook(tmp_path / "x.xlsx", unit='=HYPERLINK("http://evil","点我")')
    report = check_workbook(path)
    report.unit = '=HYPERLINK("http://evil","点我")'  # as if the reader had accepted it
    workbook = load_workbook(io.BytesIO(summary_bytes([report], ["x.checked.xlsx"])))
    cell = workbook[SUMMARY_SHEET]["C5"]
    assert cell.value == '=HYPERLINK("http://evil","点我")' and cell.data_type == "s"
    assert workbook[DETAIL_SHEET]["A4"].data_type == "s"
    assert workbook[CHART_SHEET]["A4"].data_type == "s"


def test_summary_says_each_verdict_in_word_and_colour_and_prints_on_a4_landscape(tmp_path):
    reports = [check_workbook(make_workbook(tmp_path / "ok.xlsx", unit="甲县")),
               check_workbook(make_workbook(tmp_path / "review.xlsx", "old_communities", unit="乙县",
                                            scores={"funds_raising": 5.12})),
               check_workbook(make_workbook(tmp_path / "errors.xlsx", unit="丙县", scores={"funds_raising": 7}))]
    workbook = load_workbook(io.BytesIO(summary_bytes(reports, ["ok.checked.xlsx", "review.checked.xlsx", None])))
    sheet = workbook[SUMMARY_SHEET]
    verdicts = {sheet[f"B{row}"].value: sheet[f"K{row}"].value for row in range(5, 8)}
    assert verdicts == {"ok.xlsx": "通过", "review.xlsx": "需人工确认", "errors.xlsx": "有错误"}
    assert "1 个通过，1 个需人工确认，1 个有错误" in sheet["A2"].value
    colours = {rule.formula[0].split("=")[-1].strip('"'): rule.dxf.fill.fgColor.rgb[-6:]
               for rules in sheet.conditional_formatting for rule in rules.rules if "$K" in rule.formula[0]}
    assert colours == {"通过": "C6EFCE", "需人工确认": "F4B084", "有错误": "FFC7CE", "无法读取": "D9D9D9"}
    links = [sheet[f"M{row}"] for row in range(5, 8) if sheet[f"M{row}"].hyperlink is not None]
    assert [link.value for link in links] == ["打开标注副本"] * 2  # whole in print: LibreOffice never wraps a link
    for each in workbook.worksheets:
        assert each.page_setup.orientation == "landscape" and int(each.page_setup.paperSize) == 9
        assert each.page_setup.fitToWidth == 1


# --- the command ----------------------------------------------------------------------------------

def test_check_exit_codes_for_a_batch(folder, tmp_path):
    runner = CliRunner()
    clean = [str(folder / "郑州市.xlsx"), str(folder / "县" / "深" / "登封市.xlsx")]
    assert runner.invoke(main, ["check", *clean, "-o", str(tmp_path / "a"), "-q"]).exit_code == 0
    assert runner.invoke(main, ["check", *clean, str(folder / "县" / "中牟县.xlsx"), "-o", str(tmp_path / "b"),
                                "-q", "--jobs", "2"]).exit_code == 1
    assert runner.invoke(main, ["check", str(folder), "-o", str(tmp_path / "c"), "-q"]).exit_code == 2
    missing = runner.invoke(main, ["check", str(tmp_path / "nowhere")])
    assert missing.exit_code == 2 and "找不到文件或目录" in missing.output


def test_a_quoted_glob_and_the_quiet_flag(folder, tmp_path):
    result = CliRunner().invoke(main, ["check", str(folder / "**" / "郑州市*.xlsx"), "-o", str(tmp_path / "o"), "-q"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "共校验 1 个文件：1 个通过，0 个需人工确认，0 个有错误，0 个无法读取。"
    assert (tmp_path / "o" / "郑州市.checked.xlsx").exists()


def test_the_summary_and_json_are_not_taken_as_inputs_on_a_second_run(folder):
    runner = CliRunner()
    args = ["check", str(folder), "--summary", str(folder / "汇总.xlsx"), "-q", "--jobs", "1"]
    assert runner.invoke(main, args).exit_code == 2
    again = runner.invoke(main, args)
    assert again.exit_code == 2
    assert "共校验 6 个文件" in again.output, "neither the copies nor the summary are checked again"
