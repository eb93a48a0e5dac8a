"""Defences that run before openpyxl parses anything: file kind, zip caps, XML bombs, sheet sizes, lost content."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from xml.etree.ElementTree import fromstring as _c_fromstring

import openpyxl
from defusedxml.ElementTree import fromstring as safe_fromstring

from selfscore.read.formats import FORMAT_NAMES, FileKind, relationships_of, target_of, workbook_part
from selfscore.results.findings import Finding, make_finding

# openpyxl switches to defusedxml by itself when it is importable and OPENPYXL_DEFUSEDXML is not "False".
# Our own pre-scan below refuses any DTD anyway, so this is the second of two locks, not the only one.
OPENPYXL_USES_DEFUSEDXML: bool = bool(openpyxl.DEFUSEDXML)


@dataclass(frozen=True)
class Limits:
    """Caps on what one file may cost to read. The defaults are far above any real self-assessment workbook."""

    max_file_bytes: int = 20 * 1024 * 1024
    max_members: int = 2000
    max_member_bytes: int = 32 * 1024 * 1024  # declared uncompressed size of one zip member
    max_total_bytes: int = 100 * 1024 * 1024  # declared uncompressed size of all members together
    max_ratio: int = 200  # uncompressed / compressed, for members over ratio_floor_bytes
    ratio_floor_bytes: int = 1024 * 1024
    max_cells_per_sheet: int = 100_000  # cells plus merged-range area (openpyxl materialises every merged cell)
    max_rows_per_sheet: int = 100_000
    max_cells_total: int = 200_000  # at this size a check takes ~8 s and ~250 MB, formulas' second load included
    max_shared_strings: int = 300_000


DEFAULT_LIMITS = Limits()

#: the kinds openpyxl opens (a Strict Open XML workbook after its namespaces are mapped, see ``transitional``)
OPENPYXL_KINDS = ("xlsx", "xlsm", "strict")

#: What each sniffed kind that is not read means to a clerk, and what to do about it. ``xls``, ``ods`` and
#: ``xlsb`` are read through calamine (``read.foreign``); ``file_legacy`` is what the openpyxl path says if
#: handed one directly.
_REFUSALS: dict[str, str] = {
    "empty": "file_empty",
    "encrypted": "file_encrypted",
    "xls": "file_legacy",
    "ods": "file_legacy",
    "xlsb": "file_legacy",
    "pdf": "file_pdf",
    "text": "file_text",
    **dict.fromkeys(("zip_other", "docx", "pptx", "odt", "odp", "numbers", "ofd", "rar", "7z", "gzip"), "file_other_zip"),
    **dict.fromkeys(("ole_other", "doc", "ppt"), "file_other_ole"),
    **dict.fromkeys(("html", "spreadsheetml2003", "fods", "sylk", "dif", "xml", "biff_old", "lotus", "works", "quattro", "dbf",
                     "image"),
                    "file_other_format"),
}
_SAVE_AS = "请用 Excel/WPS 打开它，另存为 .xlsx（Excel 工作簿）后再上传。"
_ADVICE: dict[str, str] = {
    **dict.fromkeys(("rar", "7z", "gzip", "zip_other"), "如是压缩包，请解压后逐个上传其中用模板填写的 .xlsx 文件。"),
    **dict.fromkeys(("image", "ofd"), "请上传用模板填写的 .xlsx 文件本身，而不是截图、扫描件或版式文件。"),
    "numbers": "请在 Numbers 中选择“文件→导出为→Excel”，导出 .xlsx 后再上传。",
    "xml": "请上传用模板填写的 .xlsx 文件。",
    # Excel no longer opens these; LibreOffice does (Works and Quattro Pro through libwps)
    **dict.fromkeys(("lotus", "works", "quattro"), "请用 LibreOffice 打开它，另存为 .xlsx（Excel 工作簿）后再上传。"),
}


def refusal(kind: FileKind, data: bytes) -> Finding | None:
    """Why a file of this kind cannot be checked by openpyxl, or None when openpyxl can open it."""
    if kind in OPENPYXL_KINDS:
        return None
    if kind == "unknown":
        # A zip that zipfile cannot open is almost always a download or copy cut short.
        code = "file_damaged" if data.startswith(b"PK") else "file_unknown"
        return make_finding(code)
    code = _REFUSALS.get(kind, "file_unknown")
    default_advice = "请上传用模板填写的 .xlsx 文件。" if code == "file_other_zip" else _SAVE_AS
    return make_finding(code, format=FORMAT_NAMES.get(kind, kind), advice=_ADVICE.get(kind, default_advice))


class TooCostly(Exception):
    """The archive breaks a cap or carries an XML bomb; ``finding`` says which, in Chinese."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_archive(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a zip whose declared sizes, member count, ratios, DTDs or sheet sizes are out of bounds.

    zipfile never inflates a member beyond the size its central directory declares (a lying member fails
    its CRC check instead), so checking declared sizes bounds what openpyxl can later inflate.
    """
    if len(data) > limits.max_file_bytes:
        raise TooCostly(make_finding("file_too_large", size=_mb(len(data)), limit=_mb(limits.max_file_bytes)))
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise TooCostly(make_finding("file_damaged")) from None
    if len(members) > limits.max_members:
        raise TooCostly(make_finding("zip_too_many_members", count=len(members), limit=limits.max_members))
    total = 0
    for member in members:
        total += member.file_size
        if member.file_size > limits.max_member_bytes:
            raise TooCostly(make_finding("zip_member_too_large", member=member.filename, size=_mb(member.file_size),
                                         limit=_mb(limits.max_member_bytes)))
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > limits.ratio_floor_bytes and ratio > limits.max_ratio:
            raise TooCostly(make_finding("zip_ratio_too_high", member=member.filename, ratio=f"{ratio:.0f}",
                                         limit=limits.max_ratio))
    if total > limits.max_total_bytes:
        raise TooCostly(make_finding("zip_too_large", size=_mb(total), limit=_mb(limits.max_total_bytes)))

    sheet_names = _sheet_names(archive)
    cells_total = 0
    try:
        for member in members:
            name = member.filename
            if not name.lower().endswith((".xml", ".rels", ".vml")):
                continue
            counts = _scan(archive, member)
            if counts.dtd:
                raise TooCostly(make_finding("xml_dtd", member=name))
            if name in sheet_names:
                sheet = sheet_names[name]
                cells = counts.cells + counts.merged_area
                if counts.rows > limits.max_rows_per_sheet:
                    raise TooCostly(make_finding("sheet_too_large", sheet_name=sheet, count=counts.rows, unit="行",
                                                 limit=limits.max_rows_per_sheet))
                if cells > limits.max_cells_per_sheet:
                    raise TooCostly(make_finding("sheet_too_large", sheet_name=sheet, count=cells, unit="个单元格",
                                                 limit=limits.max_cells_per_sheet))
                cells_total += cells
            elif name.lower().endswith("sharedstrings.xml") and counts.strings > limits.max_shared_strings:
                raise TooCostly(make_finding("zip_too_many_strings", count=counts.strings, limit=limits.max_shared_strings))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        raise TooCostly(make_finding("file_damaged")) from None
    if cells_total > limits.max_cells_total:
        raise TooCostly(make_finding("workbook_too_large", count=cells_total, limit=limits.max_cells_total))


@dataclass
class _Counts:
    cells: int = 0
    rows: int = 0
    strings: int = 0
    merged_area: int = 0
    dtd: bool = False


_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(c|row|si)[\s/>]")
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref="\$?([A-Za-z]{1,3})\$?(\d{1,7})(?::\$?([A-Za-z]{1,3})\$?(\d{1,7}))?"')
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 1024 * 1024


def _chunks(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> Iterator[bytes]:
    with archive.open(member) as stream:
        while chunk := stream.read(_CHUNK):
            yield chunk


def _scan(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> _Counts:
    """Count cells, rows, shared strings and merged area, and spot DTDs, streaming one member."""
    counts = _Counts()
    tail = b""
    for chunk in _chunks(archive, member):
        buffer = tail + chunk
        # Only text up to the last '<' is certainly made of whole tags; the tag it opens waits for the next
        # chunk (text with no '<' in it opens none). Of a tag followed by a long run of text, its start is kept:
        # that is where its name is, be it <c or <!DOCTYPE.
        cut = buffer.rfind(b"<")
        done, tail = (buffer, b"") if cut < 0 else (buffer[:cut], buffer[cut:])
        if len(tail) > 64 * 1024:
            tail = tail[:1024]
        _count(done, counts)
    _count(tail, counts)
    return counts


def _count(text: bytes, counts: _Counts) -> None:
    if not text:
        return
    if _DTD.search(text):
        counts.dtd = True
    for match in _TAG.finditer(text):
        kind = match.group(1)
        if kind == b"c":
            counts.cells += 1
        elif kind == b"row":
            counts.rows += 1
        else:
            counts.strings += 1
    for match in _MERGE.finditer(text):
        first_column, first_row, last_column, last_row = match.groups()
        if last_column is None:
            continue
        width = abs(_column_number(last_column) - _column_number(first_column)) + 1
        height = abs(int(last_row) - int(first_row)) + 1
        counts.merged_area += width * height


#: what is remembered of a workbook's package parts by their bytes (the sheet titles here, the lean reader's content
#: types, workbook part and stylesheet): at most this many distinct contents, none over this size (no template's
#: parts are that large), so that what is remembered never holds megabytes
REMEMBERED_PARTS = 64
REMEMBERED_PART_BYTES = 256 * 1024

_ENCODING = re.compile(rb"""^<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)""")


def utf8_head(start: bytes) -> bool:
    """Whether a part beginning with these bytes (its first 256 are read) is in UTF-8 or ASCII text, where a byte
    search for ``<!DOCTYPE``/``<!ENTITY`` finds them: a part in UTF-16 or another declared encoding is not."""
    head = start[:256].removeprefix(b"\xef\xbb\xbf")
    if not head.startswith(b"<"):
        return False
    declared = _ENCODING.match(head)
    if head.startswith(b"<?xml") and b"?>" not in head:
        return False
    return declared is None or declared.group(1).lower() in (b"utf-8", b"utf8")


def _parsed(data: bytes):
    """The part's tree: by C expat where the bytes hold no DTD or entity declaration (``utf8_head``, ``_DTD``, as the
    pre-scan searches), else by defusedxml, which refuses the entities. The same tree either way."""
    if utf8_head(data) and not _DTD.search(data):
        return _c_fromstring(data)
    return safe_fromstring(data)


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _sheet_names(archive: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part → sheet title, so a message can name the sheet a person sees."""
    # the workbook part is wherever _rels/.rels says (xl/workbook.xml in most files)
    main = "xl/workbook.xml" if "xl/workbook.xml" in archive.namelist() else workbook_part(archive) or "xl/workbook.xml"
    try:
        workbook, relations = archive.read(main), archive.read(relationships_of(main))
    except Exception:
        workbook = relations = None
    if workbook is None:
        titles = None
    else:  # a workbook part as large as no template's is not remembered
        titles = (_titles if len(workbook) + len(relations) <= REMEMBERED_PART_BYTES else _titles.__wrapped__)(
            main, workbook, relations)
    if titles is None:  # damaged or forbidden XML is reported by the scan or by openpyxl
        return {member: member for member in archive.namelist() if member.startswith("xl/worksheets/sheet")}
    names = dict(titles)
    for member in archive.namelist():
        if member.startswith("xl/worksheets/sheet") and member not in names:
            names[member] = member
    return names


@lru_cache(maxsize=REMEMBERED_PARTS)
def _titles(main: str, workbook_xml: bytes, relations_xml: bytes) -> dict[str, str] | None:
    """Each sheet's part → its title, by the workbook part and its relationships (None where either is damaged or
    forbidden XML); remembered by their bytes (the callers copy it), which every workbook made from one template
    shares."""
    try:
        workbook = _parsed(workbook_xml)
        relations = _parsed(relations_xml)
    except Exception:
        return None
    names: dict[str, str] = {}
    targets = {relation.get("Id"): target_of(main, relation.get("Target") or "") for relation in relations}
    for element in workbook.iter():
        if element.tag.endswith("}sheet"):
            relation_id = next((value for key, value in element.attrib.items() if key.endswith("}id")), None)
            if relation_id in targets:
                names[targets[relation_id]] = element.get("name") or targets[relation_id]
    return names


#: zip member prefixes of content openpyxl drops or cannot write back faithfully, in the words of a clerk.
_UNPRESERVED = (
    ("xl/media/", "图片"),
    ("xl/drawings/drawing", "图形"),
    ("xl/charts/", "图表"),
    ("xl/chartsheets/", "图表工作表"),
    ("xl/pivotCache/", "数据透视表"),
    ("xl/pivotTables/", "数据透视表"),
    ("xl/vbaProject.bin", "宏（VBA）"),
    ("xl/dialogsheets/", "对话框工作表"),
    ("xl/macrosheets/", "宏表"),
    ("xl/embeddings/", "嵌入对象"),
    ("xl/activeX/", "控件"),
    ("xl/ctrlProps/", "表单控件"),
    ("xl/slicers/", "切片器"),
    ("xl/slicerCaches/", "切片器"),
    ("xl/timelines/", "日程表"),
    ("xl/threadedComments/", "批注回复"),
)


def unpreserved_content(data: bytes) -> list[str]:
    """What the file holds that the marked-up copy will not carry (the file itself is never changed)."""
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return []
    found: list[str] = []
    for prefix, label in _UNPRESERVED:
        if any(name.startswith(prefix) for name in names) and label not in found:
            found.append(label)
    if "图形" in found and ("图片" in found or "图表" in found):
        found.remove("图形")  # the drawing part is only where the picture or chart sits
    return found
