"""Recognise what kind of file some bytes are, before anything tries to parse them."""

from __future__ import annotations

import io
import zipfile
from typing import Literal

FileKind = Literal["empty", "xlsx", "xlsm", "ods", "xls", "encrypted", "ole_other", "zip_other", "pdf", "text", "unknown"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def sniff(data: bytes) -> FileKind:
    """The kind of a file from its content alone (a file name can lie)."""
    if not data:
        return "empty"
    if data.startswith(OLE2_MAGIC):
        # An OLE2 container is either a legacy .xls or an encrypted (password-protected) OOXML file.
        if _utf16("EncryptionInfo") in data or _utf16("EncryptedPackage") in data:
            return "encrypted"
        if _utf16("Workbook") in data or _utf16("Book") in data:
            return "xls"
        return "ole_other"
    if data.startswith(b"PK"):
        try:
            archive = zipfile.ZipFile(io.BytesIO(data))
            names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return "unknown"
        if "mimetype" in names and archive.read("mimetype").strip() == ODS_MIMETYPE:
            return "ods"
        if "xl/workbook.xml" in names or "[Content_Types].xml" in names and any(n.startswith("xl/") for n in names):
            content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
            return "xlsm" if b"macroEnabled" in content_types else "xlsx"
        return "zip_other"
    if data.startswith(b"%PDF"):
        return "pdf"
    head = data[:4096]
    if b"\x00" not in head:
        for encoding in ("utf-8", "gb18030"):
            try:
                head.decode(encoding)
                return "text"
            except UnicodeDecodeError:
                continue
    return "unknown"
