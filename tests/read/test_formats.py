"""File-kind recognition from content."""

from __future__ import annotations

import pytest

from selfscore.read.formats import OLE2_MAGIC, sniff, with_parts_under_xl
from support import saved_files
from support.harness import jiaozuo_bytes, members, zipped
from support.helpers import make_workbook


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


def _dbf(version: int = 0x03, month: int = 11, day: int = 27, header: int = 65, record: int = 10, size: int = 32) -> bytes:
    """A dBase file header: version, last update (year since 1900, month, day), record count, header and record lengths."""
    head = bytes([version, 124, month, day]) + (3).to_bytes(4, "little") + header.to_bytes(2, "little") + record.to_bytes(2, "little")
    return (head + b"\x00" * 32)[:size]


UTF8_BOM, UTF16LE_BOM, UTF16BE_BOM = b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"
SPREADSHEET_2003 = b'<?xml version="1.0"?>\n<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet/></Workbook>'
FODS = (b'<?xml version="1.0"?>\n<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        b'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"/>')


@pytest.mark.parametrize(("data", "kind"), [
    # magic numbers
    (b"Rar!\x1a\x07\x01\x00", "rar"), (b"7z\xbc\xaf\x27\x1c\x00\x04", "7z"), (b"\x1f\x8b\x08\x00", "gzip"),
    (b"\x89PNG\r\n\x1a\n....", "image"), (b"\xff\xd8\xff\xe0", "image"), (b"GIF89a..", "image"), (b"GIF87a..", "image"),
    (b"BM6\x00", "image"), (b"II*\x00\x08", "image"), (b"MM\x00*\x00", "image"),
    (b"\x09\x00\x04\x00\x02\x00\x10\x00", "biff_old"), (b"\x09\x02\x06\x00", "biff_old"), (b"\x09\x04\x06\x00", "biff_old"),
    (b"\x00\x00\x02\x00\x04\x04", "lotus"), (b"\x00\x00\x02\x00\x05\x04", "lotus"), (b"\x00\x00\x02\x00\x06\x04", "lotus"),
    # Lotus release 3 and later: a 26-byte BOF (.wk3 0x1000, .wk4 0x1002, .123 0x1003–0x1005); 0x1006 is none of them
    *[(b"\x00\x00\x1a\x00" + bytes([version]) + b"\x10\x04\x00" + bytes(22), "lotus") for version in range(6)],
    (b"\x00\x00\x1a\x00\x06\x10\x04\x00" + bytes(22), "unknown"),
    (b"\xff\x00\x02\x00\x04\x04\x05\x54\x02\x00", "works"), (b"\xff\x00\x02\x00\x06\x04", "unknown"),
    # Quattro Pro: DOS .wq1/.wq2, Windows .wb1/.wb2 (the BOF of Lotus, its own versions)
    *[(b"\x00\x00\x02\x00" + version, "quattro") for version in (b"\x20\x51", b"\x21\x51", b"\x01\x10", b"\x02\x10")],
    (saved_files.quattro_pro_qpw(), "quattro"), (saved_files.ole2("PerfectOffice_MAIN", b"\x00" * 8), "quattro"),  # 9+, 7–8
    # dBase: every version byte, and each field at its limits
    *[(_dbf(version=version), "dbf") for version in (0x03, 0x04, 0x05, 0x30, 0x31, 0x43, 0x83, 0x8B, 0xCB, 0xF5)],
    (_dbf(version=0x02), "unknown"), (_dbf(size=31), "unknown"),
    (_dbf(month=1), "dbf"), (_dbf(month=4), "dbf"), (_dbf(month=6), "dbf"), (_dbf(month=12), "dbf"),  # 4, 6: not a BIFF BOF
    (_dbf(month=0), "unknown"), (_dbf(month=13), "unknown"),
    (_dbf(day=1), "dbf"), (_dbf(day=31), "dbf"), (_dbf(day=0), "unknown"), (_dbf(day=32), "unknown"),
    (_dbf(header=33), "dbf"), (_dbf(header=64), "dbf"), (_dbf(header=32), "unknown"), (_dbf(header=66), "unknown"),
    (_dbf(record=1), "dbf"), (_dbf(record=256), "dbf"), (_dbf(record=0), "unknown"),
    # dBase 7 (68-byte header, 48-byte field descriptors) and Visual FoxPro (a 263-byte backlink after the descriptors)
    *[(_dbf(version=version, header=69 + 48 * fields), "dbf") for version in (0x04, 0x8C) for fields in (1, 2, 5)],
    (_dbf(version=0x8C, header=69 + 48 + 2), "unknown"), (_dbf(version=0x03, header=69 + 48 * 2), "unknown"),
    *[(_dbf(version=version, header=296 + 32 * fields), "dbf") for version in (0x30, 0x31, 0x32) for fields in (1, 3)],
    (_dbf(version=0x03, header=296 + 32), "unknown"), (_dbf(version=0x30, header=296 + 33), "unknown"),
    (saved_files.dbase7(), "dbf"), (saved_files.visual_foxpro(), "dbf"),
    (_dbf(record=0)[:12] + b"\xff" + b"\x00" * 19, "unknown"),   # the byte after the record length is not part of it
    # OLE2 containers
    (OLE2_MAGIC + b"\x00" * 64 + "Book".encode("utf-16-le"), "xls"),   # Excel 5.0/95
    (OLE2_MAGIC + b"\x00" * 64 + "EncryptedPackage".encode("utf-16-le"), "encrypted"),
    (OLE2_MAGIC + b"\x00" * 64 + "WordDocument".encode("utf-16-le"), "doc"),
    (OLE2_MAGIC + b"\x00" * 64 + "PowerPoint Document".encode("utf-16-le"), "ppt"),
    (OLE2_MAGIC + b"\x00" * 64 + "Workbook".encode("ascii"), "ole_other"),  # the stream names are UTF-16
    # text: HTML, XML flavours, SYLK, DIF, CSV in either encoding, with or without a byte-order mark
    (b"<!-- exported -->\n<TABLE border=1><tr><td>1</td></tr></TABLE>", "html"),
    (b"  <meta charset='gbk'><table>", "html"), (b"<!DOCTYPE HTML>", "html"),
    (b"Title line\n" + b"x" * 900 + b"<html><body>", "html"),              # <html within the first kilobyte
    (b"Title line\n" + b"x" * 1100 + b"<html><body>", "text"),             # ... but not beyond it
    (b"x" * 1019 + b"<html>", "html"), (b"x" * 1020 + b"<html>", "text"),   # the tag ends at byte 1024, or after it
    (UTF8_BOM + SPREADSHEET_2003, "spreadsheetml2003"),                       # the mark is not what the text starts with
    (UTF16BE_BOM + SPREADSHEET_2003.decode().encode("utf-16-be"), "spreadsheetml2003"),
    (UTF16LE_BOM + "<html><body>".encode("utf-16-le") + b"<", "html"),       # cut in the middle of a character
    (UTF8_BOM + b"<html><body>", "html"), (UTF16LE_BOM + "<html><body>".encode("utf-16-le"), "html"),
    (UTF16BE_BOM + "序号,项目\n1,2\n".encode("utf-16-be"), "text"),
    (SPREADSHEET_2003, "spreadsheetml2003"),
    (b'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n<W/>', "spreadsheetml2003"),
    (FODS, "fods"), (FODS.replace(b"spreadsheet", b"text"), "xml"), (b"  \n<root/>", "xml"),
    (b"ID;PWXL;N;E\r\nC;Y1;X1;K1\r\nE\r\n", "sylk"), (b"TABLE\r\n0,1\r\n\"\"\r\n", "dif"), (b"TABLE\n0,1\n", "dif"),
    (b"TABLE\n0,2\n", "text"),
    ("序号,项目\n1,2\n".encode("gb18030"), "text"), ("序号,项目\n1,2\n".encode(), "text"),
    (b"a,b\x00c", "unknown"), (b"\xff\xff\x80\x80abc", "unknown"),
    # text in a single-byte code page: any byte decodes, so no control byte but text's, and a separator somewhere
    (saved_files.CP1252_CSV, "text"), (saved_files.CP1251_PRN, "text"), ("Итого;5".encode("cp1251"), "text"),
    ("Café\tNoël\x1a".encode("cp1252"), "text"), (b"\xff\xff\x80\x80 abc", "text"),
    (b"\xff\xff\x80\x80abc", "unknown"), (b"\xff\xff\x80\x80 abc\x01", "unknown"), (b"\xff\xff\x80\x80 abc\x7f", "unknown"),
    # a character cut by the 4 KB window is still text; a bad byte four places before its end is not cut
    (b"a" * 4092 + b"\xff" + b"a" * 100, "text"), (b"a" * 4091 + b"\xff" + b"a" * 100, "unknown"),
])
def test_every_kind_and_its_edges(data, kind):
    assert sniff(data) == kind


@pytest.mark.parametrize(("members", "kind"), [
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet-template", "content.xml": b""}, "ods"),  # .ots
    ({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet\n", "content.xml": b"",
      "META-INF/manifest.xml": b"<manifest:encryption-data/>"}, "encrypted"),
    ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b""}, "odt"),
    ({"mimetype": b"application/vnd.oasis.opendocument.presentation", "content.xml": b""}, "odp"),
    ({"mimetype": b"application/epub+zip", "content.xml": b""}, "zip_other"),
    ({"[Content_Types].xml": b"", "xl/workbook.bin": b""}, "xlsb"),
    ({"[Content_Types].xml": b"", "xl/workbook.xml": b'<workbook xmlns="http://purl.oclc.org/ooxml/spreadsheetml/main"/>'}, "strict"),
    ({"[Content_Types].xml": b"", "xl/book.xml": b"<workbook/>"}, "xlsx"),   # main part found from the content types
    ({"xl/book.xml": b"<workbook/>"}, "zip_other"),                          # ... but only with them
    ({"word/styles.xml": b""}, "docx"), ({"ppt/presentation.xml": b""}, "pptx"),
    ({"Index/Document.iwa": b""}, "numbers"), ({"Index/Tables/DataList.iwa": b""}, "numbers"), ({"Index/notes.txt": b""}, "zip_other"),
    ({"OFD.xml": b"", "Doc_0/Document.xml": b""}, "ofd"),
])
def test_zip_containers_by_what_they_hold(members, kind):
    assert sniff(zipped(members)) == kind


@pytest.mark.parametrize("text", [saved_files.CP1252_CSV, saved_files.CP1251_PRN])
def test_single_byte_samples_are_neither_utf8_nor_gb18030(text):
    """Else the two code-page cases above would be text for another reason."""
    for encoding in ("utf-8", "gb18030"):
        with pytest.raises(UnicodeDecodeError):
            text.decode(encoding)


@pytest.mark.parametrize("path", sorted(saved_files.REAL_FILES.glob("password_*.xls")), ids=lambda path: path.stem)
def test_real_encrypted_xls(path):
    assert sniff(path.read_bytes()) == "encrypted"


@pytest.mark.parametrize(("biff_version", "encryption", "kind"), [
    (8, 0, "encrypted"), (8, 1, "encrypted"), (5, 0, "encrypted"),   # XOR obfuscation, RC4; Excel 95's XOR
    (8, None, "xls"), (5, None, "xls"),                               # the same workbooks without a FILEPASS
])
def test_encrypted_xls_by_its_filepass_record(biff_version, encryption, kind):
    assert sniff(saved_files.encrypted_xls(biff_version, encryption)) == kind


def test_filepass_counts_only_after_a_bof():
    """A stream that does not start with a BOF record is no workbook whose FILEPASS means anything."""
    stream = saved_files.biff(0x0086) + saved_files.biff(0x002F, bytes(6)) + saved_files.biff(0x000A)
    assert sniff(saved_files.ole2("Workbook", stream)) == "xls"


OFFICE_DOCUMENT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"


def _main_relationship(target: str, mode: str = "") -> bytes:
    return (f'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{OFFICE_DOCUMENT}" Target="{target}"{mode}/></Relationships>').encode()


def test_a_workbook_whose_parts_are_not_under_xl_is_found_through_its_relationships():
    original = jiaozuo_bytes()
    moved = saved_files.parts_elsewhere(original)
    assert not any(name.startswith("xl/") for name in members(moved))
    assert sniff(moved) == "xlsx"
    assert sniff(saved_files.parts_elsewhere(saved_files.strict_from(jiaozuo_bytes()), "book")) == "strict"
    # moved back under xl/ for openpyxl: exactly the parts it was moved from
    assert members(with_parts_under_xl(moved)) == members(original)
    # an .xlsb too, for calamine
    binary = saved_files.xlsb_from(original)
    binary_moved = saved_files.parts_elsewhere(binary, "b")
    assert sniff(binary_moved) == "xlsb" and members(with_parts_under_xl(binary_moved)) == members(binary)


@pytest.mark.parametrize(("members_", "kind"), [
    ({"_rels/.rels": _main_relationship("/sheets/main.xml"), "sheets/main.xml": b"<workbook/>"}, "xlsx"),
    ({"_rels/.rels": _main_relationship("sheets/missing.xml"), "sheets/main.xml": b"<workbook/>"}, "zip_other"),
    ({"_rels/.rels": _main_relationship("sheets/main.xml", ' TargetMode="External"'), "sheets/main.xml": b""}, "zip_other"),
    ({"_rels/.rels": b"<Relationships", "sheets/main.xml": b"<workbook/>"}, "zip_other"),      # damaged XML
    ({"_rels/.rels": b'<!DOCTYPE x [<!ENTITY a "b">]><Relationships/>', "main.xml": b""}, "zip_other"),  # refused DTD
])
def test_the_main_part_named_by_the_package_relationships(members_, kind):
    assert sniff(zipped(members_)) == kind


def test_parts_under_xl_or_at_the_root_are_left_as_they_are():
    data = jiaozuo_bytes()
    assert with_parts_under_xl(data) is data
    at_root = zipped({"_rels/.rels": _main_relationship("book.xml"), "book.xml": b"<workbook/>"})
    assert with_parts_under_xl(at_root) is at_root
