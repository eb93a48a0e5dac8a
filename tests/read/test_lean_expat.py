"""The report-only reader parses with C expat only the parts the safety pre-scan has vouched for (issue 25, point 2)."""

from __future__ import annotations

import io
import zipfile

import pytest

from selfscore.checking import check
from selfscore.read.lean import LeanWorkbook, _vouched
from support.harness import jiaozuo_bytes, member, rezip, zipped

FACTS_PART = "xl/worksheets/sheet2.xml"


def _cells(workbook: LeanWorkbook) -> dict:
    return {title: {key: (cell.value, cell.data_type, cell.number_format) for key, cell in sheet.cells.items()}
            for title, sheet in workbook.sheets.items()}


def test_the_expat_parse_reads_exactly_what_the_defused_parse_reads():
    data = jiaozuo_bytes()
    assert _cells(LeanWorkbook(data, prescanned=True)) == _cells(LeanWorkbook(data))


@pytest.mark.parametrize(("name", "body", "vouched"), [
    ("xl/worksheets/sheet1.xml", b'<?xml version="1.0" encoding="UTF-8"?><worksheet/>', True),
    ("xl/worksheets/sheet1.xml", b"\xef\xbb\xbf<worksheet/>", True),
    ("xl/worksheets/sheet1.xml", '<?xml version="1.0" encoding="UTF-16"?><worksheet/>'.encode("utf-16"), False),
    ("xl/worksheets/sheet1.xml", b'<?xml version="1.0" encoding="ISO-8859-1"?><worksheet/>', False),
    ("xl/worksheets/sheet1.bin", b"<worksheet/>", False),
])
def test_only_a_utf8_part_named_xml_is_vouched_for(name, body, vouched):
    archive = zipfile.ZipFile(io.BytesIO(zipped({name: body})))
    assert _vouched(archive, name) is vouched


def test_a_dtd_the_byte_scan_cannot_see_is_still_refused_by_defusedxml():
    data = jiaozuo_bytes()
    sheet = member(data, FACTS_PART).decode()
    body = sheet[sheet.index("<worksheet"):]
    hostile = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>' + body)
    data = rezip(data, {FACTS_PART: hostile.encode("utf-16")})
    report = check(data, name="utf16.xlsx", markup=False).report
    assert report.status == "unreadable"
    assert report.findings[0].code == "xml_forbidden", report.findings
