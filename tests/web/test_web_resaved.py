"""A clerk's round trip through the web: the marked-up copy downloaded, opened and saved in LibreOffice, uploaded
again — its picture, chart and pivot table come back in the new copy (write/unmark_resaved.py)."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from selfscore.tables.names import MARKS_SHEET, RESULTS_SHEET, SCORE_SHEET
from selfscore.web import create_app
from support.harness import members
from support.libreoffice import converted_bytes
from support.rich import KEPT, clerk_sets, rich_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_a_copy_saved_in_libreoffice_and_uploaded_again_keeps_its_picture_chart_and_pivot_table():
    with TestClient(create_app(processes=1), raise_server_exceptions=False) as client:
        first = client.post("/api/check.xlsx", files=[("file", ("某县.xlsx", clerk_sets(rich_workbook(), SCORE_SHEET,
                                                                                           {"F5": 7}), XLSX))])
        assert first.status_code == 200
        saved = converted_bytes(clerk_sets(first.content, SCORE_SHEET, {"F5": 10}), "xlsx:Calc MS Excel 2007 XML")
        report = client.post("/api/check", files=[("files", ("某县.checked.xlsx", saved, XLSX))])
        again = client.post("/api/check.xlsx", files=[("file", ("某县.checked.xlsx", saved, XLSX))])
    assert report.status_code == 200 and again.status_code == 200
    (checked,) = report.json()["reports"]
    assert "content_not_preserved" not in {finding["code"] for finding in checked["findings"]}
    assert ("score_mismatch", "F5") in {(f["code"], f["cell"]) for f in checked["previous_check"]["fixed"]}
    before, after = members(saved), members(again.content)
    kept = [name for name in before if name.startswith(KEPT)]
    assert {name.split("/")[1] for name in kept} >= {"media", "charts", "pivotTables", "pivotCache"}
    assert all(after[name] == before[name] for name in kept)
    workbook = load_workbook(io.BytesIO(again.content))
    assert workbook.sheetnames[0] == RESULTS_SHEET and workbook.sheetnames.count(MARKS_SHEET) == 1
    assert len([chart for sheet in workbook.worksheets for chart in sheet._charts]) == 1
