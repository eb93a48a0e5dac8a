"""The full check of an .xlsx the in-place writer marks up reads it with the lean reader, never openpyxl's load, and
gives exactly the report and the copy (every part, byte for byte) that reading it with openpyxl's load gives."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.comments import Comment

from selfscore import checking
from selfscore.checking import check, check_file
from selfscore.read.lean import LeanWorkbook
from selfscore.tables.names import SCORE_SHEET
from support import corpus, harness, saved_files
from support.harness import members
from support.helpers import TABLE_IDS, make_workbook


def _with_comments(path: Path) -> Path:
    """A workbook whose cells carry the filler's comments: on a marked cell, on an empty cell, on a merged range's
    hidden cell (openpyxl drops that one) and on a merged range's first cell."""
    workbook = load_workbook(path)
    sheet = workbook[SCORE_SHEET]
    sheet["F5"].comment = Comment("自评依据见附件", "张三")
    sheet["Z40"].comment = Comment("空白单元格上的批注", "李四")
    merged = next(iter(sheet.merged_cells.ranges))
    sheet.cell(merged.min_row, merged.min_col).comment = Comment("合并区域左上角", "王五")
    workbook.save(path)
    return path


def _workbooks(directory: Path) -> list[Path]:
    paths = [make_workbook(directory / f"jiaozuo_{table}.xlsx", table) for table in TABLE_IDS]
    paths.append(_with_comments(make_workbook(directory / "commented.xlsx", "shantytown",
                                              scores={"funds_raising": 8})))
    paths.append(make_workbook(directory / "faulty.xlsx", "shantytown", scores={"funds_raising": 8}, total=99,
                               facts={"quality_issues": "两项", "satisfaction_pct": 0.85}))
    hostile = [case for case in corpus.CASES if all(harness.has(tool) for tool in case.needs)]
    paths += [harness.built(case, directory / f"hostile_{case.name}.xlsx") for case in hostile]
    saved = [case for case in saved_files.CASES if all(harness.has(tool) for tool in case.needs)]
    paths += [harness.built(case, directory / f"saved_{case.file_name}") for case in saved]
    marked = directory / "commented.checked.xlsx"  # a copy checked again: its marks taken out of its parts first
    marked.write_bytes(check_file(paths[len(TABLE_IDS)])[1])
    return [*paths, marked]


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> list[Path]:
    if os.environ.get("CI") is None and not harness.has("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    return _workbooks(tmp_path_factory.mktemp("copy_read_lean"))


def _parts(copy: bytes) -> dict[str, bytes]:
    """Every part of a copy; but the time openpyxl's save stamps (a copy it writes, e.g. from an .ods) in the core
    properties."""
    return {name: body for name, body in members(copy).items() if name != "docProps/core.xml"}


def _json(report) -> str:
    return json.dumps(report.to_dict(), ensure_ascii=False, sort_keys=True)


def test_the_lean_reading_gives_the_same_report_and_the_same_copy_as_openpyxls_load(workbooks, monkeypatch):
    loaded: list[str] = []
    real_open = checking.open_workbook
    current = [""]

    def counting_open(data, limits=checking.DEFAULT_LIMITS, **options):
        loaded.append(current[0])
        return real_open(data, limits, **options)

    differing = []
    for path in workbooks:
        monkeypatch.setattr(checking, "_open_lean_for_copy", lambda *_args: None)  # today's: openpyxl's load
        loaded_report, loaded_copy = check_file(path)
        monkeypatch.undo()
        monkeypatch.setattr(checking, "open_workbook", counting_open)
        current[0] = path.name
        lean_report, lean_copy = check_file(path)
        monkeypatch.undo()
        if _json(lean_report) != _json(loaded_report):
            differing.append((path.name, "report"))
        if (lean_copy is None) != (loaded_copy is None) or (lean_copy is not None and _parts(lean_copy) != _parts(loaded_copy)):
            differing.append((path.name, "copy"))
    assert differing == []
    # and the plain ones really were read without openpyxl's load
    for expected in ("jiaozuo_shantytown.xlsx", "commented.xlsx", "faulty.xlsx", "commented.checked.xlsx",
                     "hostile_formulas_no_cache.xlsx", "saved_shared_formulas.xlsx", "saved_lo_xlsm.xlsm"):
        if any(path.name == expected for path in workbooks):
            assert expected not in loaded, expected


def test_the_filler_s_comments_come_back_in_the_copy(tmp_path):
    path = _with_comments(make_workbook(tmp_path / "县.xlsx", "shantytown", scores={"funds_raising": 8}))
    checked = check(path)
    assert isinstance(checked.workbook, LeanWorkbook) and checked.original is not None
    sheet = load_workbook(io.BytesIO(check_file(path)[1]))[SCORE_SHEET]
    assert sheet["F5"].comment.text.startswith("自评依据见附件\n——\nselfscore 校验：")
    assert sheet["Z40"].comment.text == "空白单元格上的批注" and sheet["Z40"].comment.author == "李四"


def test_a_copy_the_in_place_writer_refuses_is_written_by_openpyxl_from_a_load_made_then(tmp_path, monkeypatch):
    from selfscore.write import inplace

    def refuse(*_args):
        raise inplace.CannotEdit("refused for the test")

    path = make_workbook(tmp_path / "县.xlsx", "shantytown", scores={"funds_raising": 8})
    expected_report, expected_copy = check_file(path)
    monkeypatch.setattr(inplace, "mark_up_in_place", refuse)
    report, copy = check_file(path)
    assert copy is not None and "markup_failed" not in {finding.code for finding in report.findings}
    sheet = load_workbook(io.BytesIO(copy))[SCORE_SHEET]
    assert sheet["F5"].comment is not None and "selfscore 校验" in sheet["F5"].comment.text
    assert load_workbook(io.BytesIO(copy)).sheetnames == load_workbook(io.BytesIO(expected_copy)).sheetnames
