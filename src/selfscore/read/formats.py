"""Recognise what kind of file some bytes are, before anything tries to parse them."""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile

#: A sniffed kind. Readable: ``xlsx`` (also .xltx templates), ``xlsm`` (also .xltm), ``strict`` (Strict Open
#: XML), read by openpyxl; ``xlsb``, ``xls`` (also .xlt, WPS .et, Excel 5.0/95), ``ods`` (also .ots), read
#: by calamine. Every other kind is refused with a reason that names it (``FORMAT_NAMES``).
FileKind = str

#: the kinds the checker reads: what a unit's link stores (every other kind is refused before it is stored)
READABLE_KINDS = frozenset({"xlsx", "xlsm", "strict", "xlsb", "xls", "ods"})
#: the extension that matches each readable kind (a Strict file is an .xlsx), for a stored file handed back
KIND_EXTENSIONS = {"xlsx": ".xlsx", "xlsm": ".xlsm", "strict": ".xlsx", "xlsb": ".xlsb", "xls": ".xls", "ods": ".ods"}

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
STRICT_NAMESPACE = b"http://purl.oclc.org/ooxml/spreadsheetml/main"

#: what each kind is called where a clerk reads it; a refusal names the file's real format
FORMAT_NAMES: dict[str, str] = {
    "xlsx": "Excel 工作簿（.xlsx）",
    "xlsm": "启用宏的 Excel 工作簿（.xlsm）",
    "strict": "Strict Open XML 电子表格（.xlsx）",
    "xlsb": "Excel 二进制工作簿（.xlsb）",
    "xls": "Excel 97-2003 工作簿（.xls，或 WPS 的 .et）",
    "ods": "OpenDocument 表格（.ods）",
    "encrypted": "加密的工作簿",
    "text": "CSV 或 TXT 文本文件",
    "html": "网页（HTML）文件（常见于从网页或业务系统导出的“.xls”）",
    "spreadsheetml2003": "Excel 2003 XML 表格（.xml）",
    "fods": "OpenDocument 平面 XML 表格（.fods）",
    "sylk": "SYLK 文本表格（.slk）",
    "dif": "DIF 数据交换格式文件（.dif）",
    "xml": "XML 文件",
    "biff_old": "Excel 4.0 或更早版本的工作表（.xls）",
    "lotus": "Lotus 1-2-3 工作表（.wks/.wk1/.wk3/.wk4/.123）",
    "works": "Microsoft Works 电子表格（.wks）",
    "quattro": "Quattro Pro 电子表格（.wq1/.wb1/.wb2/.wb3/.qpw）",
    "dbf": "dBase 或 FoxPro 数据库文件（.dbf）",
    "numbers": "Apple Numbers 表格（.numbers）",
    "docx": "Word 文档（.docx）",
    "pptx": "PowerPoint 演示文稿（.pptx）",
    "odt": "OpenDocument 文本（.odt）",
    "odp": "OpenDocument 演示文稿（.odp）",
    "doc": "Word 97-2003 文档（.doc，或 WPS 的 .wps）",
    "ppt": "PowerPoint 97-2003 演示文稿（.ppt，或 WPS 的 .dps）",
    "zip_other": "压缩包或其他 Office 文档（如 Word 的 .docx）",
    "ole_other": "旧版 Office 文档（如 Word 的 .doc）",
    "rar": "RAR 压缩包",
    "7z": "7z 压缩包",
    "gzip": "gzip 压缩文件",
    "ofd": "OFD 版式文档",
    "image": "图片",
    "pdf": "PDF 文档",
}

#: a Lotus BOF record (opcode 0, length 2 or 26) and the version after it: .wks (0x0404), Symphony (0x0405),
#: .wk1 (0x0406); release 3 and later (.wk3 0x1000, .wk4 0x1002, .123 0x1003–0x1005)
_LOTUS = (b"\x00\x00\x02\x00\x04\x04", b"\x00\x00\x02\x00\x05\x04", b"\x00\x00\x02\x00\x06\x04",
          *(b"\x00\x00\x1a\x00" + bytes([version]) + b"\x10" for version in range(0x00, 0x06)))
#: the same BOF record with Quattro Pro's versions: DOS .wq1/.wq2 (0x5120, 0x5121), Windows .wb1/.wb2 (0x1001, 0x1002)
_QUATTRO = (b"\x00\x00\x02\x00\x20\x51", b"\x00\x00\x02\x00\x21\x51", b"\x00\x00\x02\x00\x01\x10",
            b"\x00\x00\x02\x00\x02\x10")
_IMAGE_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM", b"II*\x00", b"MM\x00*")
#: a member read to tell formats apart is read this far at most: sniffing runs before the zip-bomb caps
_PEEK = 4096


def _utf16(name: str) -> bytes:
    return name.encode("utf-16-le")


def _peek(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        with archive.open(name) as stream:
            return stream.read(_PEEK)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return b""


def sniff(data: bytes) -> FileKind:
    """The kind of a file from its content alone (a file name can lie)."""
    if not data:
        return "empty"
    if data.startswith(OLE2_MAGIC):
        return _sniff_ole(data)
    if data.startswith(b"PK"):
        return _sniff_zip(data)
    if data.startswith(b"%PDF"):
        return "pdf"
    if data.startswith(b"Rar!\x1a\x07"):
        return "rar"
    if data.startswith(b"7z\xbc\xaf\x27\x1c"):
        return "7z"
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data.startswith(_IMAGE_MAGIC):
        return "image"
    if data[:2] in (b"\x09\x00", b"\x09\x02", b"\x09\x04") and data[2:3] in (b"\x04", b"\x06"):
        return "biff_old"  # a BIFF2–4 BOF record without an OLE2 container: Excel 2.x–4.0
    if data.startswith(_LOTUS):
        return "lotus"
    if data.startswith(b"\xff\x00\x02\x00\x04\x04"):  # a BOF record with Works' own opcode: Works for DOS/Windows
        return "works"
    if data.startswith(_QUATTRO):
        return "quattro"
    if _looks_like_dbf(data):
        return "dbf"
    return _sniff_text(data)


def _sniff_ole(data: bytes) -> FileKind:
    # An OLE2 container is a legacy .xls (Excel, or WPS's .et), an encrypted OOXML file, or another Office file.
    streams = _ole_streams(data)
    if streams is None:  # a container olefile cannot parse: the stream names are still in its directory sectors
        streams = {name for name in _OLE_STREAMS if _utf16(name) in data}
    if streams & {"EncryptionInfo", "EncryptedPackage"}:
        return "encrypted"
    if streams & {"Workbook", "Book"}:
        return "encrypted" if _xls_encrypted(data) else "xls"
    if "WordDocument" in streams:
        return "doc"
    if "PowerPoint Document" in streams:
        return "ppt"
    if streams & {"NativeContent_MAIN", "PerfectOffice_MAIN"}:  # Quattro Pro 9 and later (.qpw), 7–8 (.wb3)
        return "quattro"
    return "ole_other"


#: the top-level streams that tell OLE2 files apart
_OLE_STREAMS = ("EncryptionInfo", "EncryptedPackage", "Workbook", "Book", "WordDocument", "PowerPoint Document",
                "NativeContent_MAIN", "PerfectOffice_MAIN")
#: BIFF record types: BOF (BIFF5/8, and the older ones), FILEPASS, EOF and BOUNDSHEET
_BOF = (0x0809, 0x0409, 0x0209, 0x0009)
_FILEPASS, _EOF, _BOUNDSHEET = 0x002F, 0x000A, 0x0085


def _ole_streams(data: bytes) -> set[str] | None:
    """The names of an OLE2 container's top-level streams, or None when olefile cannot parse it."""
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as container:
            return {path[0] for path in container.listdir(streams=True, storages=True) if len(path) == 1}
    except Exception:  # olefile raises its own kinds, and OSError or struct errors, on a damaged container
        return None


def _xls_encrypted(data: bytes) -> bool:
    """Whether an .xls workbook has an open password: a FILEPASS record among the workbook globals' first records.

    Every kind of .xls encryption (XOR obfuscation, RC4, RC4 CryptoAPI; BIFF5 and BIFF8) writes one, after the
    first BOF (a WRITEPROTECT record may come between); record headers stay in clear text, only bodies are encrypted.
    calamine's own password error is lost when it reads from memory, so the record is read here.
    """
    import olefile

    try:
        with olefile.OleFileIO(io.BytesIO(data)) as container:
            name = "Workbook" if container.exists("Workbook") else "Book"
            with container.openstream(name) as stream:
                head = stream.read(64 * 1024)
    except Exception:  # a damaged container or stream: calamine says so when it reads the file
        return False
    position = 0
    for index in range(256):
        if position + 4 > len(head):
            return False
        kind, length = struct.unpack_from("<HH", head, position)
        if index == 0 and kind not in _BOF:
            return False
        if kind == _FILEPASS:
            return True
        if kind in (_EOF, _BOUNDSHEET):  # past where the globals' FILEPASS stands
            return False
        position += 4 + length
    return False


def _sniff_zip(data: bytes) -> FileKind:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return "unknown"
    if "mimetype" in names:
        mimetype = _peek(archive, "mimetype").strip()
        if mimetype.startswith(ODS_MIMETYPE):  # .ods and the .ots template
            manifest = _peek_all(archive, "META-INF/manifest.xml")
            return "encrypted" if b"encryption-data" in manifest else "ods"
        if mimetype.startswith(b"application/vnd.oasis.opendocument.text"):
            return "odt"
        if mimetype.startswith(b"application/vnd.oasis.opendocument.presentation"):
            return "odp"
    if "xl/workbook.bin" in names:
        return "xlsb"
    main = "xl/workbook.xml" if "xl/workbook.xml" in names else workbook_part(archive)
    if main is not None and main.endswith(".bin") and main in names:  # an .xlsb whose parts live elsewhere
        return "xlsb"
    if main is not None and main.endswith(".xml") and main in names:  # under xl/, or wherever the relationships say
        if STRICT_NAMESPACE in _peek(archive, main):
            return "strict"
        content_types = _peek_all(archive, "[Content_Types].xml")
        # the main part's type (sheet. or template.macroEnabled.main+xml) says so, not any "macroEnabled": SheetJS
        # lists a Default for .bin parts as the .xlsb main's binary.macroEnabled.main in every .xlsx it writes
        return "xlsm" if b"macroEnabled.main+xml" in content_types else "xlsx"
    if "[Content_Types].xml" in names and any(name.startswith("xl/") for name in names):
        return "xlsx"  # a workbook whose main part is elsewhere: openpyxl finds it from the content types
    if any(name.startswith("word/") for name in names):
        return "docx"
    if any(name.startswith("ppt/") for name in names):
        return "pptx"
    if any(name.startswith("Index/") and name.endswith(".iwa") for name in names):  # Index/Document.iwa and the rest
        return "numbers"
    if "OFD.xml" in names:
        return "ofd"
    return "zip_other"


_OFFICE_DOCUMENT = "/officeDocument"
_MAIN_RELATIONSHIPS = "_rels/.rels"


def workbook_part(archive: zipfile.ZipFile) -> str | None:
    """The package's main part, as _rels/.rels's officeDocument relationship names it (a zip member name), or None.

    Excel and LibreOffice find a workbook's parts through the relationships, wherever they live; most files keep
    them under xl/, some generators elsewhere."""
    from defusedxml.ElementTree import fromstring

    try:
        relations = fromstring(_peek_all(archive, _MAIN_RELATIONSHIPS))
    except Exception:  # no such part, or XML that is damaged or forbidden: no main part to be found
        return None
    for relation in relations:
        if (relation.get("Type") or "").endswith(_OFFICE_DOCUMENT) and relation.get("TargetMode") != "External":
            return posixpath.normpath((relation.get("Target") or "").lstrip("/")) or None
    return None


def relationships_of(part: str) -> str:
    """The member holding a part's relationships: xl/workbook.xml → xl/_rels/workbook.xml.rels."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def target_of(part: str, target: str) -> str:
    """A relationship's target as a zip member name: absolute from the package root, or relative to the part's folder."""
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(posixpath.dirname(part), target))


def with_parts_under_xl(data: bytes) -> bytes:
    """A workbook whose parts live in another folder, moved under xl/ (the main part as xl/workbook.xml), for openpyxl,
    which looks for the styles and theme there whatever the relationships say, and for calamine, which reads an
    .xlsb's xl/workbook.bin. Relative targets stay right (the
    folder's layout is kept); absolute ones, _rels/.rels and [Content_Types].xml are rewritten. Run after the
    safety pre-scan: every member is read. Anything else is returned as it is."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    names = archive.namelist()
    if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
        return data
    main = workbook_part(archive)
    folder = posixpath.dirname(main or "")
    if main is None or main not in names or not folder or any(name.startswith("xl/") for name in names):
        return data
    canonical = "xl/workbook.bin" if main.endswith(".bin") else "xl/workbook.xml"  # an .xlsb's, for calamine
    renamed = {main: canonical, relationships_of(main): relationships_of(canonical)}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in archive.infolist():
            name = member.filename
            content = archive.read(member)
            if name.endswith(".rels") or name == "[Content_Types].xml":
                for old, new in ((f'"/{main}"', f'"/{canonical}"'), (f'"{main}"', f'"{canonical}"'),
                                 (f'"/{folder}/', '"/xl/')):
                    content = content.replace(old.encode(), new.encode())
            new_name = renamed.get(name) or ("xl/" + name[len(folder) + 1:] if name.startswith(folder + "/") else name)
            copy.writestr(new_name, content)
    return out.getvalue()


def _peek_all(archive: zipfile.ZipFile, name: str, limit: int = 256 * 1024) -> bytes:
    """A small XML part in full (a manifest or content-types list is a few kilobytes), bounded all the same."""
    try:
        with archive.open(name) as stream:
            return stream.read(limit)
    except (KeyError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return b""


#: dBase/FoxPro version bytes: dBase III–V and 7 (0x03, 0x04, 0x05, with memos 0x83, 0x8B, 0x8C), dBase IV SQL (0x43, 0xCB),
#: Visual FoxPro (0x30, 0x31, 0x32), FoxPro with memo (0xF5)
_DBF_VERSIONS = (0x03, 0x04, 0x05, 0x30, 0x31, 0x32, 0x43, 0x83, 0x8B, 0x8C, 0xCB, 0xF5)


def _looks_like_dbf(data: bytes) -> bool:
    """A dBase header: version byte, a plausible last-update date and header/record lengths that fit."""
    if len(data) < 32 or data[0] not in _DBF_VERSIONS:
        return False
    month, day = data[2], data[3]
    header_length = int.from_bytes(data[8:10], "little")
    has_records = any(data[10:12])  # a record length that is not 0
    # the header is 32 bytes, a 32-byte descriptor per field and a terminator; dBase 7 has a 68-byte header and
    # 48-byte descriptors; Visual FoxPro adds a 263-byte backlink after the terminator
    fits = header_length >= 33 and (
        header_length % 32 in (1, 0)
        or (data[0] in (0x04, 0x8C) and header_length >= 69 + 48 and (header_length - 69) % 48 in (0, 1))
        or (data[0] in (0x30, 0x31, 0x32) and header_length >= 296 + 32 and header_length % 32 == 8))
    return 1 <= month <= 12 and 1 <= day <= 31 and fits and has_records


_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body|table|meta)\b", re.IGNORECASE | re.DOTALL)


def _sniff_text(data: bytes) -> FileKind:
    head = data[:4096]
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if head.startswith(bom):
            try:
                head = head[len(bom):].decode(encoding, errors="ignore").encode("utf-8")
            except LookupError:
                pass
            break
    else:
        if b"\x00" in head:
            return "unknown"
        if not any(_decodes(head, encoding) for encoding in ("utf-8", "gb18030")) and not _single_byte_text(head):
            return "unknown"
    lowered = head.lower()
    if _HTML.match(head) or b"<html" in lowered[:1024]:
        return "html"
    if head.lstrip().startswith(b"<"):
        if b"progid=\"excel.sheet\"" in lowered or b"urn:schemas-microsoft-com:office:spreadsheet" in lowered:
            return "spreadsheetml2003"
        if b"urn:oasis:names:tc:opendocument:xmlns:office" in lowered and b"spreadsheet" in lowered:
            return "fods"
        return "xml"
    if head.startswith(b"ID;"):
        return "sylk"
    if head.startswith(b"TABLE\r\n0,1") or head.startswith(b"TABLE\n0,1"):
        return "dif"
    return "text"


def _decodes(head: bytes, encoding: str) -> bool:
    try:
        head.decode(encoding)
        return True
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 4  # a character cut at the end of the 4 KB window is fine


#: the control bytes plain text holds: tab, line feed, vertical tab, form feed, carriage return, and DOS's end-of-file
_TEXT_CONTROLS = frozenset(b"\t\n\x0b\x0c\r\x1a")
_SEPARATORS = frozenset(b"\t\n\r ,;|")


def _single_byte_text(head: bytes) -> bool:
    """Text in a single-byte code page (Windows-1252 with its 「€」, Cyrillic 1251, Latin-1…), as CSV and PRN exports from
    European and Russian systems are: any byte decodes in one of them, so what tells text from a binary file is that it
    holds no control byte but those of text, and separates its words or fields somewhere."""
    if any(byte < 0x20 and byte not in _TEXT_CONTROLS or byte == 0x7F for byte in head):
        return False
    return any(byte in _SEPARATORS for byte in head)
