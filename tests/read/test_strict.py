"""Strict Open XML (Excel's 「Strict Open XML 电子表格」) read in-process: every Strict name is mapped back, nothing else changes.

The Strict and transitional names below are written out from ECMA-376 Part 1 (Strict conformance), not
taken from the code's own table, so a wrong entry or a skipped part shows here.
"""

from __future__ import annotations

from selfscore.checking import check_workbook
from selfscore.read.strict import transitional
from support.harness import members, zipped
from support.helpers import make_workbook

PURL, SCHEMAS = "http://purl.oclc.org/ooxml/", "http://schemas.openxmlformats.org/"
#: Strict name → transitional name, as the standard lists them (the ones a spreadsheet uses)
BY_HAND = {
    PURL + "spreadsheetml/main": SCHEMAS + "spreadsheetml/2006/main",
    PURL + "officeDocument/relationships": SCHEMAS + "officeDocument/2006/relationships",
    PURL + "officeDocument/relationships/officeDocument": SCHEMAS + "officeDocument/2006/relationships/officeDocument",
    PURL + "officeDocument/relationships/worksheet": SCHEMAS + "officeDocument/2006/relationships/worksheet",
    PURL + "officeDocument/relationships/extendedProperties": SCHEMAS + "officeDocument/2006/relationships/extended-properties",
    PURL + "officeDocument/relationships/customProperties": SCHEMAS + "officeDocument/2006/relationships/custom-properties",
    PURL + "officeDocument/extendedProperties": SCHEMAS + "officeDocument/2006/extended-properties",
    PURL + "officeDocument/docPropsVTypes": SCHEMAS + "officeDocument/2006/docPropsVTypes",
    PURL + "drawingml/main": SCHEMAS + "drawingml/2006/main",
}


def strict_by_hand(data: bytes) -> bytes:
    """An ordinary .xlsx as Excel saves it in Strict: longest transitional names replaced first."""
    def strictify(content: bytes) -> bytes:
        for strict, plain in sorted(BY_HAND.items(), key=lambda pair: -len(pair[1])):
            content = content.replace(plain.encode(), strict.encode())
        return content.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)

    return zipped({name: strictify(content) if name.endswith((".xml", ".rels")) else content
                   for name, content in members(data).items()})


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
