"""Strict Open XML workbooks (Excel's 「Strict Open XML 电子表格」) mapped to the transitional namespaces openpyxl reads.

The two flavours of .xlsx hold the same parts and elements; Strict only renames the namespaces and
relationship types (ECMA-376 Part 1, "Strict" conformance). Mapping the names back gives openpyxl a
workbook it can read and the marked-up copy is an ordinary .xlsx. Run only after ``safety.check_archive``:
it inflates every XML part.
"""

from __future__ import annotations

import io
import zipfile

_STRICT = "http://purl.oclc.org/ooxml/"
_TRANSITIONAL = "http://schemas.openxmlformats.org/"
#: longest first, so a relationship type is mapped before the namespace it starts with
_MAPPING: list[tuple[bytes, bytes]] = [(strict.encode(), transitional.encode()) for strict, transitional in [
    (_STRICT + "officeDocument/relationships/extendedProperties",
     _TRANSITIONAL + "officeDocument/2006/relationships/extended-properties"),
    (_STRICT + "officeDocument/relationships/customProperties",
     _TRANSITIONAL + "officeDocument/2006/relationships/custom-properties"),
    (_STRICT + "officeDocument/relationships", _TRANSITIONAL + "officeDocument/2006/relationships"),
    (_STRICT + "officeDocument/extendedProperties", _TRANSITIONAL + "officeDocument/2006/extended-properties"),
    (_STRICT + "officeDocument/customProperties", _TRANSITIONAL + "officeDocument/2006/custom-properties"),
    (_STRICT + "officeDocument/docPropsVTypes", _TRANSITIONAL + "officeDocument/2006/docPropsVTypes"),
    (_STRICT + "officeDocument/sharedTypes", _TRANSITIONAL + "officeDocument/2006/sharedTypes"),
    (_STRICT + "officeDocument/math", _TRANSITIONAL + "officeDocument/2006/math"),
    (_STRICT + "spreadsheetml/main", _TRANSITIONAL + "spreadsheetml/2006/main"),
    (_STRICT + "drawingml/spreadsheetDrawing", _TRANSITIONAL + "drawingml/2006/spreadsheetDrawing"),
    (_STRICT + "drawingml/chartDrawing", _TRANSITIONAL + "drawingml/2006/chartDrawing"),
    (_STRICT + "drawingml/chart", _TRANSITIONAL + "drawingml/2006/chart"),
    (_STRICT + "drawingml/main", _TRANSITIONAL + "drawingml/2006/main"),
    (_STRICT + "drawingml/picture", _TRANSITIONAL + "drawingml/2006/picture"),
]]


def transitional(data: bytes) -> bytes:
    """The same workbook with Strict namespaces and relationship types replaced by their transitional names."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename.lower().endswith((".xml", ".rels", ".vml")):
                for strict, transitional_name in _MAPPING:
                    content = content.replace(strict, transitional_name)
                content = content.replace(b' conformance="strict"', b"")
            target.writestr(member, content)
    return output.getvalue()
