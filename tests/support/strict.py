"""Strict Open XML by hand: an ordinary .xlsx with every transitional name replaced by its Strict one.

The Strict and transitional names are written out from ECMA-376 Part 1 (Strict conformance), not taken from the
code's own table, so a wrong entry or a skipped part shows in the tests.
"""

from __future__ import annotations

from support.harness import members, zipped

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
