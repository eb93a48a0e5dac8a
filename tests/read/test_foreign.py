""".xls and .ods made by LibreOffice from real workbooks: read by their labels, marked up as a fresh template."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from libreoffice import convert
from openpyxl import load_workbook

import layouts
from helpers import make_workbook
from selfscore.checking import annotate, check_and_mark_up, check_workbook
from selfscore.read.formats import sniff
from selfscore.read.labels import Grid
from selfscore.tables.names import RESULTS_SHEET, SCORE_SHEET
from selfscore.write.filling import save

pytestmark = pytest.mark.soffice
FORMATS = ("xls", "ods")


@pytest.fixture(scope="module")
def converted(tmp_path_factory) -> Path:
    """The same workbooks as .xlsx, .xls and .ods, side by side."""
    directory = tmp_path_factory.mktemp("foreign")
    sources = [
        make_workbook(directory / "template_old.xlsx", "old_communities", unit="焦作市"),
        make_workbook(directory / "template_wrong.xlsx", "shantytown", scores={"funds_raising": 8}, total=98,
                      facts={"quality_issues": "两项"}),
        save(layouts.annex1_retyped(), directory / "annex1.xlsx"),
        save(layouts.reordered("old_communities")[0], directory / "reordered.xlsx"),
        save(layouts.shifted_single_header("shantytown")[0], directory / "shifted.xlsx"),
    ]
    for kind in FORMATS:
        convert(sources, kind, directory)
    return directory


@pytest.mark.parametrize("kind", FORMATS)
def test_a_converted_template_is_checked_in_full(converted, kind):
    path = converted / f"template_old.{kind}"
    assert sniff(path.read_bytes()) == kind
    report = check_workbook(path)
    assert (report.table, report.status, report.self_total, report.recomputed_total) == ("old_communities", "ok", 95, 95)
    assert {result.status for result in report.indicators} == {"match"}
    assert (report.unit, report.year, report.source_format) == ("焦作市", 2020, kind)
    assert {cell.recognised_from for cell in report.recognised} == {"label"}
    assert report.indicator("funds_raising").cell == "F5"  # the address in the source file
    assert [f.code for f in report.findings if f.severity != "info"] == []


@pytest.mark.parametrize("kind", FORMATS)
def test_the_marked_up_copy_is_a_fresh_template_with_the_values_read_and_the_marks(converted, kind):
    report, marked = check_and_mark_up(converted / f"template_wrong.{kind}")
    assert report.status == "errors"
    assert ("score_mismatch", "funds_raising") in report.as_tuples("code", "indicator")
    copy = load_workbook(io.BytesIO(marked))
    assert "score_funds_raising" in copy.defined_names  # our template: it can be checked again as it is
    sheet = copy[SCORE_SHEET]
    assert sheet["F5"].value == 8 and "不符" in sheet["F5"].comment.text
    facts = copy["基础数据"]
    flagged = [cell for row in facts.iter_rows() for cell in row if cell.value == "两项"]
    assert len(flagged) == 1 and "不是数字" in flagged[0].comment.text
    top = str(copy[RESULTS_SHEET]["A4"].value)
    assert "无法在原文件上直接标注" in top and "重新生成的模板" in top
    # checked again, the rebuilt copy gives the same verdict from its defined names
    again = check_workbook(marked)
    assert (again.self_total, again.recomputed_total) == (report.self_total, report.recomputed_total)
    assert sorted(again.as_tuples("code", "indicator", "input")) == sorted(
        (code, indicator, input_) for code, indicator, input_ in report.as_tuples("code", "indicator", "input")
        if code not in ("layout_recognised", "rebuilt_from_foreign_format"))
    assert annotate(converted / f"template_wrong.{kind}", report)[:2] == b"PK"


@pytest.mark.parametrize("kind", FORMATS)
def test_a_retyped_annex_saved_by_libreoffice_keeps_its_scores_and_cells(converted, kind):
    report = check_workbook(converted / f"annex1.{kind}")
    cells = layouts.annex1_cells()
    assert {r.id: (r.cell, r.self_score) for r in report.indicators} == {
        id_: (cells[id_], score) for id_, score in layouts.ANNEX1_SCORES.items()}
    assert [f.code for f in report.findings] == ["layout_recognised", "rebuilt_from_foreign_format", "facts_absent"]


@pytest.mark.parametrize("kind", FORMATS)
def test_scores_typed_as_text_survive_the_conversion(converted, kind):
    _, cells, scores = layouts.reordered("old_communities")
    report = check_workbook(converted / f"reordered.{kind}")
    assert {r.id: (r.cell, r.self_score) for r in report.indicators} == {id_: (cells[id_], s) for id_, s in scores.items()}
    assert report.year == 2020 and report.errors == 0


@pytest.mark.parametrize("kind", FORMATS)
def test_a_damaged_xls_or_ods_is_unreadable_with_a_reason(kind):
    from selfscore.read.formats import ODS_MIMETYPE, OLE2_MAGIC

    if kind == "xls":  # an OLE2 container that names a Workbook stream but holds garbage
        data = OLE2_MAGIC + bytes(600) + "Workbook".encode("utf-16-le") + bytes(3000)
    else:  # a zip that says it is a spreadsheet but has no content
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("mimetype", ODS_MIMETYPE)
            archive.writestr("content.xml", "<broken")
        data = buffer.getvalue()
    assert sniff(data) == kind
    report = check_workbook(data, name=f"坏.{kind}")
    assert (report.status, [f.code for f in report.findings]) == ("unreadable", ["not_a_workbook"])
    assert "已损坏" in report.findings[0].message


def test_a_grid_keeps_addresses_when_a_sheet_starts_below_a1(converted):
    from selfscore.read.foreign import grids_from_calamine

    grids = grids_from_calamine((converted / "shifted.ods").read_bytes(), "ods")
    sheet: Grid = grids[1]
    assert sheet.text(8, 3) == "指标名称" and sheet.text(9, 5) == "１０"  # the table starts at C8
    _, cells, _ = layouts.shifted_single_header("shantytown")
    report = check_workbook(converted / "shifted.xls")
    assert report.indicator("funds_raising").cell == cells["funds_raising"] == "E9"
