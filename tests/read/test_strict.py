"""Strict Open XML (Excel's 「Strict Open XML 电子表格」) read in-process: every Strict name is mapped back, nothing else changes.

The Strict and transitional names (support.strict) are written out from ECMA-376 Part 1 (Strict conformance), not
taken from the code's own table, so a wrong entry or a skipped part shows here.
"""

from __future__ import annotations

from selfscore.checking import check_workbook
from selfscore.read.strict import transitional
from support.harness import members, zipped
from support.helpers import make_workbook
from support.strict import BY_HAND, PURL, SCHEMAS, strict_by_hand


def test_every_strict_name_in_xml_rels_and_vml_parts_becomes_its_transitional_name():
    text = " ".join(BY_HAND).encode()
    parts = {"xl/workbook.xml": b'<workbook conformance="strict" xmlns="' + PURL.encode() + b'spreadsheetml/main"/>',
             "xl/_rels/workbook.xml.rels": text, "XL/DRAWINGS/VMLDRAWING1.VML": text, "docProps/app.XML": text}
    out = members(transitional(zipped(parts)))
    assert list(out) == list(parts)  # every part kept, in order
    assert out["xl/workbook.xml"] == b'<workbook xmlns="' + SCHEMAS.encode() + b'spreadsheetml/2006/main"/>'
    expected = " ".join(BY_HAND.values()).encode()
    for name in ("xl/_rels/workbook.xml.rels", "XL/DRAWINGS/VMLDRAWING1.VML", "docProps/app.XML"):
        assert out[name] == expected, name


def test_other_parts_are_copied_byte_for_byte():
    image = b"\x89PNG " + (PURL + "spreadsheetml/main").encode() + b' conformance="strict"'
    parts = {"xl/media/image1.png": image, "xl/printerSettings/printerSettings1.bin": image}
    assert members(transitional(zipped(parts))) == parts


def test_the_jiaozuo_workbook_saved_as_strict_checks_as_the_ordinary_one(tmp_path):
    ordinary = make_workbook(tmp_path / "a.xlsx", scores={"funds_raising": 8}, total=98).read_bytes()
    strict = strict_by_hand(ordinary)
    workbook_part = members(strict)["xl/workbook.xml"]
    assert b'conformance="strict"' in workbook_part and b"schemas.openxmlformats.org/spreadsheetml" not in workbook_part
    assert not any(b"purl.oclc.org" in content for content in members(transitional(strict)).values())
    expected, got = check_workbook(ordinary, name="a.xlsx").to_dict(), check_workbook(strict, name="a.xlsx").to_dict()
    assert got["status"] == "errors" and got["totals"] == expected["totals"]
    assert got["findings"] == expected["findings"] and got["indicators"] == expected["indicators"]
