"""File-kind recognition from content."""

from __future__ import annotations

import io
import zipfile

from helpers import make_workbook
from selfscore.read.formats import OLE2_MAGIC, sniff


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def test_kinds(tmp_path):
    assert sniff(b"") == "empty"
    assert sniff(make_workbook(tmp_path / "t.xlsx").read_bytes()) == "xlsx"
    assert sniff(zipped({"[Content_Types].xml": b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                         "xl/workbook.xml": b"<workbook/>"})) == "xlsm"
    assert sniff(zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b""})) == "ods"
    assert sniff(zipped({"word/document.xml": b""})) == "docx"
    assert sniff(zipped({"notes.txt": b""})) == "zip_other"
    assert sniff(OLE2_MAGIC + b"\x00" * 100 + "Workbook".encode("utf-16-le")) == "xls"
    assert sniff(OLE2_MAGIC + b"\x00" * 100 + "EncryptionInfo".encode("utf-16-le")) == "encrypted"
    assert sniff(b"%PDF-1.7\n...") == "pdf"
    assert sniff("序号,项目\n1,2\n".encode()) == "text"
    assert sniff(b"PK\x03\x04 truncated") == "unknown"
    assert sniff(bytes(range(256)) * 4) == "unknown"
