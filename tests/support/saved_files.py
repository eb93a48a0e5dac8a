"""The files people actually save: every spreadsheet format and oddity selfscore must answer rightly.

Each case is made here with the tools on this machine — LibreOffice's export filters (one case per
format it writes), openpyxl, and hand-built zips or binary records for what neither writes (.xlsb,
Strict Open XML, shared formulas, phonetic runs, pivot caches, other formats' headers) — from the
Jiaozuo workbook filled into the real template, so nothing is an opaque blob. Each case says the
verdict, a finding code and words of its message the report must contain.
``PYTHONPATH=tests:sample_data python -m support.saved_files DIR`` writes them all to DIR.
"""

from __future__ import annotations

import io
import re
import struct
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.styles import Font, PatternFill
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from selfscore.read.formats import OLE2_MAGIC
from selfscore.tables.definitions import get_table
from selfscore.tables.names import FACTS_SHEET, SCORE_SHEET
from support.harness import TABLE, Case, editing, jiaozuo_bytes, member, members, rezip, write_cases, writing, zipped
from support.libreoffice import converted_bytes

# ---------------------------------------------------------------- building blocks


def part_of(data: bytes, sheet_title: str) -> str:
    """The zip member holding a sheet (openpyxl numbers them in workbook order)."""
    index = load_workbook(io.BytesIO(data)).sheetnames.index(sheet_title) + 1
    return f"xl/worksheets/sheet{index}.xml"


def input_cell(name: str) -> str:
    """The coordinate of a defined name's cell in the template (e.g. in_starts_planned → C4)."""
    workbook = load_workbook(io.BytesIO(jiaozuo_bytes()))
    ((_, reference),) = list(workbook.defined_names[name].destinations)
    return reference.replace("$", "")


# ---------------------------------------------------------------- LibreOffice's export filters

#: every spreadsheet format LibreOffice writes here: (suffix of the file, filter)
SOFFICE_FILTERS = {
    "xls": "xls:MS Excel 97",
    "xlt": "xlt:MS Excel 97 Vorlage/Template",
    "ods": "ods:calc8",
    "ots": "ots:calc8_template",
    "fods": "fods:OpenDocument Spreadsheet Flat XML",
    "xlsx_lo": "xlsx:Calc MS Excel 2007 XML",
    "xlsx_ooxml": "xlsx:Calc Office Open XML",
    "xlsm_lo": "xlsm:Calc MS Excel 2007 VBA XML",
    "xltx": "xltx:Calc MS Excel 2007 XML Template",
    "csv": "csv:Text - txt - csv (StarCalc)",
    "html": "html:HTML (StarCalc)",
    "slk": "slk:SYLK",
    "dif": "dif:DIF",
}


def soffice(kind: str, **kwargs) -> Callable[[Path], Path]:
    return writing(lambda: converted_bytes(jiaozuo_bytes(**kwargs), SOFFICE_FILTERS[kind]))


# ---------------------------------------------------------------- .xlsb, written record by record (MS-XLSB)


def _record(kind: int, body: bytes = b"") -> bytes:
    """One BIFF12 record: type and size in 7-bit groups, low first."""
    head = bytearray()
    head += bytes([kind & 0x7F | 0x80, kind >> 7]) if kind >= 0x80 else bytes([kind])
    size = len(body)
    while True:
        byte = size & 0x7F
        size >>= 7
        head.append(byte | (0x80 if size else 0))
        if not size:
            break
    return bytes(head) + body


def _wide(text: str) -> bytes:
    encoded = text.encode("utf-16-le")
    return struct.pack("<I", len(encoded) // 2) + encoded


def _sheet_bin(cells: dict[tuple[int, int], object]) -> bytes:
    rows = sorted({row for row, _ in cells}) or [0]
    columns = sorted({column for _, column in cells}) or [0]
    out = _record(0x81) + _record(0x94, struct.pack("<IIII", rows[0], rows[-1], columns[0], columns[-1]))
    out += _record(0x91)
    for row in rows:
        out += _record(0x00, struct.pack("<IIHHBBB", row, 0, 300, 0, 0, 0, 0) + struct.pack("<I", 0))
        for (cell_row, column), value in sorted(cells.items()):
            if cell_row != row:
                continue
            head = struct.pack("<II", column, 0)
            if isinstance(value, bool):
                out += _record(0x04, head + bytes([value]))
            elif isinstance(value, (int, float)):
                out += _record(0x05, head + struct.pack("<d", float(value)))
            else:
                out += _record(0x06, head + _wide(str(value)))
    out += _record(0x92) + _record(0x82)
    return out


def sparse_xlsb() -> bytes:
    """One .xlsb sheet with a value in A1 and one in XFD1048576: 17 billion cells to anything that fills the gap."""
    members = {"xl/worksheets/sheet1.bin": _sheet_bin({(0, 0): "二级指标", (1048575, 16383): 1})}
    return rezip(xlsb_from(jiaozuo_bytes()), replace=members)


#: the chart, macro and dialog sheets of a real .xlsb (BlankSheetTypes.xlsb): part, relationship type, content type
OTHER_XLSB_SHEETS = {
    "图表": ("xl/chartsheets/sheet1.bin", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/chartsheet",
             "application/vnd.ms-excel.chartsheet"),
    "宏表": ("xl/macrosheets/sheet1.bin", "http://schemas.microsoft.com/office/2006/relationships/xlMacrosheet",
             "application/vnd.ms-excel.macrosheet"),
    "对话框": ("xl/dialogsheets/sheet1.bin", "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
               "dialogsheet", "application/vnd.ms-excel.dialogsheet"),
}


def xlsb_from(data: bytes, *, macros: bool = False, other_sheets: bool = False) -> bytes:
    """An .xlsb holding the values of an .xlsx workbook's sheets (the binary format Excel offers for large files).

    ``other_sheets``: a chart sheet, an Excel 4.0 macro sheet and a dialog sheet too, taken from a real workbook,
    the chart sheet second (between worksheets), the others last."""
    source = load_workbook(io.BytesIO(data))
    members: dict[str, bytes] = {}
    sheets = b""
    relations = []
    overrides_of_others = ""
    real = zipfile.ZipFile(REAL_FILES / "BlankSheetTypes.xlsb") if other_sheets else None

    def other_sheet(title: str, tab: int) -> bytes:
        nonlocal overrides_of_others
        part, relation_type, content_type = OTHER_XLSB_SHEETS[title]
        members[part] = real.read(part)
        relations.append(f'<Relationship Id="rIdX{tab}" Type="{relation_type}" Target="{part.removeprefix("xl/")}"/>')
        overrides_of_others += f'<Override PartName="/{part}" ContentType="{content_type}"/>'
        return _record(0x9C, struct.pack("<II", 0, tab) + _wide(f"rIdX{tab}") + _wide(title))

    for index, sheet in enumerate(source.worksheets, start=1):
        cells = {(cell.row - 1, cell.column - 1): cell.value for row in sheet.iter_rows() for cell in row
                 if cell.value is not None}
        members[f"xl/worksheets/sheet{index}.bin"] = _sheet_bin(cells)
        state = 0 if sheet.sheet_state == "visible" else 1
        sheets += _record(0x9C, struct.pack("<II", state, index) + _wide(f"rId{index}") + _wide(sheet.title))
        relations.append(f'<Relationship Id="rId{index}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                         f'relationships/worksheet" Target="worksheets/sheet{index}.bin"/>')
        if other_sheets and index == 1:
            sheets += other_sheet("图表", 101)
    if other_sheets:
        sheets += other_sheet("宏表", 102) + other_sheet("对话框", 103)
    members["xl/workbook.bin"] = _record(0x83) + _record(0x8F) + sheets + _record(0x90) + _record(0x84)
    members["xl/_rels/workbook.bin.rels"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        f'package/2006/relationships">{"".join(relations)}</Relationships>').encode()
    members["_rels/.rels"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/'
        b'package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/officeDocument" Target="xl/workbook.bin"/></Relationships>')
    overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.bin" ContentType="application/vnd.ms-excel.worksheet"/>'
                        for i in range(1, len(source.worksheets) + 1))
    # Excel names the .xlsb main part "macroEnabled" whether or not it holds macros
    members["[Content_Types].xml"] = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/'
        '2006/content-types"><Default Extension="bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        f'<Override PartName="/xl/workbook.bin" ContentType="application/vnd.ms-excel.sheet.binary.macroEnabled.main"/>'
        f'{overrides}{overrides_of_others}</Types>').encode()
    if macros:
        members["xl/vbaProject.bin"] = OLE2_MAGIC + b"\x00" * 64 + "VBA".encode("utf-16-le")
    return zipped(members)


# ---------------------------------------------------------------- Strict Open XML, by hand


def strict_from(data: bytes) -> bytes:
    """The workbook as Excel saves it under 「Strict Open XML 电子表格」: the same parts, Strict namespaces."""
    from selfscore.read.strict import _MAPPING

    def strictify(content: bytes) -> bytes:
        for strict, transitional in _MAPPING:
            content = content.replace(transitional, strict)
        return content.replace(b"<workbook ", b'<workbook conformance="strict" ', 1)

    source = zipfile.ZipFile(io.BytesIO(data))
    return rezip(data, {name: strictify(source.read(name)) for name in source.namelist()
                        if name.endswith((".xml", ".rels"))})


# ---------------------------------------------------------------- parts found through the relationships alone


def parts_elsewhere(data: bytes, folder: str = "content") -> bytes:
    """The workbook (.xlsx or .xlsb) with its parts moved out of xl/ (the main part renamed book.xml or book.bin), as
    some generators write it: only _rels/.rels's officeDocument relationship, the workbook's relationships and
    [Content_Types].xml say where each part is. Excel and LibreOffice open such a file."""
    parts = members(data)
    extension = "bin" if "xl/workbook.bin" in parts else "xml"
    main, book = f"xl/workbook.{extension}", f"{folder}/book.{extension}"
    moved: dict[str, bytes] = {}
    for name, content in parts.items():
        if name.endswith((".xml", ".rels")):
            content = (content.replace(f'Target="{main}"'.encode(), f'Target="{book}"'.encode())
                       .replace(f'"/{main}"'.encode(), f'"/{book}"'.encode())
                       .replace(b'"/xl/', f'"/{folder}/'.encode()))
        if name == main:
            name = book
        elif name == f"xl/_rels/workbook.{extension}.rels":
            name = f"{folder}/_rels/book.{extension}.rels"
        elif name.startswith("xl/"):
            name = folder + name.removeprefix("xl")
        moved[name] = content
    assert not any(name.startswith("xl/") for name in moved)
    return zipped(moved)


# ---------------------------------------------------------------- oddities inside an .xlsx


def with_shared_formulas() -> bytes:
    """Two fact cells computed by one shared formula, with their cached results (as Excel saves them)."""
    data = jiaozuo_bytes()
    part = part_of(data, FACTS_SHEET)
    xml = member(data, part).decode()
    first, second = input_cell("in_starts_planned"), input_cell("in_starts_actual")
    # openpyxl writes <c r="C4" t="n"><v>282</v></c>; Excel writes a shared formula as master + followers
    xml, count = re.subn(rf'<c r="{first}"([^>]*)><v>282</v></c>',
                         rf'<c r="{first}"\1><f t="shared" ref="{first}:{second}" si="0">141*2</f><v>282</v></c>', xml)
    xml, count2 = re.subn(rf'<c r="{second}"([^>]*)><v>(\d+)</v></c>', rf'<c r="{second}"\1><f t="shared" si="0"/><v>\2</v></c>', xml)
    assert count == count2 == 1, (first, second)
    return rezip(data, {part: xml.encode()})


def with_phonetic_runs() -> bytes:
    """填报单位 with phonetic guides (rPh runs), as Excel saves text typed through a Japanese or Chinese IME."""
    data = jiaozuo_bytes()
    part = part_of(data, SCORE_SHEET)
    xml, count = re.subn(r"<is><t>焦作市</t></is>", '<is><t>焦作市</t><rPh sb="0" eb="2"><t>ジャオズオ</t></rPh>'
                         '<phoneticPr fontId="1" type="noConversion"/></is>', member(data, part).decode())
    assert count == 1
    return rezip(data, {part: xml.encode()})


def rich_text_unit(workbook: Workbook) -> None:
    ((sheet, reference),) = list(workbook.defined_names["meta_unit"].destinations)
    cell = workbook[sheet][reference.replace("$", "")]
    cell.value = CellRichText("焦作", TextBlock(InlineFont(b=True, color="FF0000"), "市"))


def thousands_of_styles(workbook: Workbook) -> None:
    sheet = workbook.create_sheet("格式")
    for index in range(4000):
        cell = sheet.cell(row=index // 20 + 1, column=index % 20 + 1, value=index)
        cell.fill = PatternFill("solid", fgColor=f"FF{index * 37 % 0xFFFFFF:06X}")
        cell.font = Font(size=8 + index % 9)


def epoch_1904(workbook: Workbook) -> None:
    workbook.epoch = CALENDAR_MAC_1904


def with_external_link() -> bytes:
    """A fact computed from another workbook ([1]), with its cached result and the external link part."""
    data = jiaozuo_bytes()
    part = part_of(data, FACTS_SHEET)
    cell = input_cell("in_starts_planned")
    xml, count = re.subn(rf'<c r="{cell}"([^>]*)><v>282</v></c>',
                         rf'<c r="{cell}"\1><f>[1]汇总!B2</f><v>282</v></c>', member(data, part).decode())
    assert count == 1
    workbook_xml = member(data, "xl/workbook.xml").decode().replace(
        "</sheets>", '</sheets><externalReferences><externalReference r:id="rIdX1"/></externalReferences>')
    relations = member(data, "xl/_rels/workbook.xml.rels").decode().replace(
        "</Relationships>", '<Relationship Id="rIdX1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>')
    types = member(data, "[Content_Types].xml").decode().replace(
        "</Types>", '<Override PartName="/xl/externalLinks/externalLink1.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.externalLink+xml"/></Types>')
    link = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><externalLink xmlns="http://schemas.openxmlformats.org/'
            'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<externalBook r:id="rId1"><sheetNames><sheetName val="汇总"/></sheetNames><sheetDataSet><sheetData sheetId="0">'
            '<row r="2"><cell r="B2"><v>282</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>')
    link_relations = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.'
                      'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
                      'openxmlformats.org/officeDocument/2006/relationships/externalLinkPath" Target="%E6%B1%87%E6%80%BB.xlsx"'
                      ' TargetMode="External"/></Relationships>')
    return rezip(data, {part: xml.encode(), "xl/workbook.xml": workbook_xml.encode(),
                        "xl/_rels/workbook.xml.rels": relations.encode(), "[Content_Types].xml": types.encode()},
                 {"xl/externalLinks/externalLink1.xml": link.encode(),
                  "xl/externalLinks/_rels/externalLink1.xml.rels": link_relations.encode()})


def with_pivot_cache() -> bytes:
    """A pivot table over the facts sheet on a sheet of its own, with its cache (definition and records)."""
    workbook = load_workbook(io.BytesIO(jiaozuo_bytes()))
    pivot_sheet = workbook.create_sheet("透视表")
    pivot_sheet["A1"] = "数据项"
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    part = part_of(data, "透视表")
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    definition = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><pivotCacheDefinition xmlns="{main}" '
                  f'xmlns:r="{rel}" r:id="rId1" refreshOnLoad="1" recordCount="1"><cacheSource type="worksheet">'
                  f'<worksheetSource ref="A3:A4" sheet="{FACTS_SHEET}"/></cacheSource><cacheFields count="1">'
                  '<cacheField name="数据项" numFmtId="0"><sharedItems count="1"><s v="x"/></sharedItems></cacheField>'
                  "</cacheFields></pivotCacheDefinition>")
    records = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><pivotCacheRecords xmlns="{main}" xmlns:r="{rel}" '
               'count="1"><r><x v="0"/></r></pivotCacheRecords>')
    table = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><pivotTableDefinition xmlns="{main}" name="透视表1" '
             'cacheId="1" dataCaption="值" applyNumberFormats="0" applyBorderFormats="0" applyFontFormats="0" '
             'applyPatternFormats="0" applyAlignmentFormats="0" applyWidthHeightFormats="1" updatedVersion="6" '
             'minRefreshableVersion="3" createdVersion="6" indent="0" outline="1" outlineData="1">'
             '<location ref="A3:A5" firstHeaderRow="1" firstDataRow="1" firstDataCol="0"/>'
             '<pivotFields count="1"><pivotField axis="axisRow" showAll="0"><items count="2"><item x="0"/><item t="default"/>'
             '</items></pivotField></pivotFields><rowFields count="1"><field x="0"/></rowFields>'
             '<rowItems count="2"><i><x/></i><i t="grand"><x/></i></rowItems><colItems count="1"><i/></colItems>'
             "</pivotTableDefinition>")
    package = "http://schemas.openxmlformats.org/package/2006/relationships"
    relations = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="{package}">{{}}</Relationships>'
    sheet_relations = relations.format(f'<Relationship Id="rId1" Type="{rel}/pivotTable" '
                                       'Target="../pivotTables/pivotTable1.xml"/>')
    table_relations = relations.format(f'<Relationship Id="rId1" Type="{rel}/pivotCacheDefinition" '
                                       'Target="../pivotCache/pivotCacheDefinition1.xml"/>')
    cache_relations = relations.format(f'<Relationship Id="rId1" Type="{rel}/pivotCacheRecords" '
                                       'Target="pivotCacheRecords1.xml"/>')
    workbook_xml = member(data, "xl/workbook.xml").decode()
    workbook_xml = re.sub(r"(</definedNames>|<calcPr[^>]*/>)",
                          r'\1<pivotCaches><pivotCache cacheId="1" r:id="rIdP1"/></pivotCaches>', workbook_xml, count=1)
    assert "pivotCaches" in workbook_xml
    book_relations = member(data, "xl/_rels/workbook.xml.rels").decode().replace(
        "</Relationships>", f'<Relationship Id="rIdP1" Type="{rel}/pivotCacheDefinition" '
        'Target="pivotCache/pivotCacheDefinition1.xml"/></Relationships>')
    spreadsheet = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    types = member(data, "[Content_Types].xml").decode().replace("</Types>", (
        f'<Override PartName="/xl/pivotCache/pivotCacheDefinition1.xml" ContentType="{spreadsheet}.pivotCacheDefinition+xml"/>'
        f'<Override PartName="/xl/pivotCache/pivotCacheRecords1.xml" ContentType="{spreadsheet}.pivotCacheRecords+xml"/>'
        f'<Override PartName="/xl/pivotTables/pivotTable1.xml" ContentType="{spreadsheet}.pivotTable+xml"/></Types>'))
    sheet_number = part.rsplit("sheet", 1)[1].split(".")[0]
    return rezip(data, {"xl/workbook.xml": workbook_xml.encode(), "xl/_rels/workbook.xml.rels": book_relations.encode(),
                        "[Content_Types].xml": types.encode()},
                 {f"xl/worksheets/_rels/sheet{sheet_number}.xml.rels": sheet_relations.encode(),
                  "xl/pivotTables/pivotTable1.xml": table.encode(),
                  "xl/pivotTables/_rels/pivotTable1.xml.rels": table_relations.encode(),
                  "xl/pivotCache/pivotCacheDefinition1.xml": definition.encode(),
                  "xl/pivotCache/pivotCacheRecords1.xml": records.encode(),
                  "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": cache_relations.encode()})


def _bar_chart(data_sheet):
    from openpyxl.chart import BarChart, Reference

    chart = BarChart()
    chart.add_data(Reference(data_sheet, min_col=2, min_row=1, max_row=4))
    return chart


def chart_sheet_added(workbook: Workbook, index: int | None = None) -> None:
    chart_sheet = workbook.create_chartsheet("图表", index)
    chart_sheet.add_chart(_bar_chart(workbook[FACTS_SHEET]))


def charts_only() -> bytes:
    """A workbook whose only visible sheet is a chart (its data on a hidden sheet)."""
    workbook = Workbook()
    data = workbook.active
    data.title = "数据"
    for row in range(1, 5):
        data.cell(row=row, column=1, value=f"第{row}项")
        data.cell(row=row, column=2, value=row * 10)
    data.sheet_state = "hidden"
    chart_sheet = workbook.create_chartsheet("图表")
    chart_sheet.add_chart(_bar_chart(data))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def styles_out_of_standard() -> bytes:
    """A cell format whose number-format id is not a number: Excel shrugs, openpyxl's stylesheet parser fails."""
    data = jiaozuo_bytes()
    styles = member(data, "xl/styles.xml").decode()
    styles, count = re.subn(r'<xf numFmtId="\d+"', '<xf numFmtId="常规"', styles, count=1)
    assert count == 1
    return rezip(data, {"xl/styles.xml": styles.encode()})


def xlsm_with_macros(template: bool = False) -> bytes:
    data = jiaozuo_bytes()
    kind = "template" if template else "sheet"
    types = member(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        f"application/vnd.ms-excel.{kind}.macroEnabled.main+xml".encode())
    types = types.replace(b"</Types>", b'<Default Extension="bin" ContentType="application/vnd.ms-office.vbaProject"/></Types>')
    relations = member(data, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>", b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin"/></Relationships>')
    return rezip(data, {"[Content_Types].xml": types, "xl/_rels/workbook.xml.rels": relations},
                 {"xl/vbaProject.bin": OLE2_MAGIC + b"\x00" * 64 + "VBA".encode("utf-16-le") + b"Sub AutoOpen()"})


def encrypted_ods() -> bytes:
    """An .ods saved with a password: its manifest says how content.xml is encrypted."""
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
                'xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
                'manifest:media-type="text/xml" manifest:size="1000"><manifest:encryption-data manifest:checksum-type="SHA1/1K"'
                ' manifest:checksum="x"><manifest:algorithm manifest:algorithm-name="Blowfish CFB" manifest:initialisation-'
                'vector="x"/></manifest:encryption-data></manifest:file-entry></manifest:manifest>')
    return zipped({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
                   "META-INF/manifest.xml": manifest.encode(), "content.xml": bytes(range(256)) * 4})


def office_zip(kind: str) -> bytes:
    parts = {
        "docx": {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"},
        "pptx": {"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p:presentation/>"},
        "numbers": {"Index/Document.iwa": b"\x00" * 40, "Metadata/Properties.plist": b""},
        "odt": {"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<office:document-content/>"},
        "plain_zip": {"焦作市.xlsx": jiaozuo_bytes(), "说明.txt": "见附件".encode()},
    }
    return zipped(parts[kind])


SPREADSHEETML_2003 = """<?xml version="1.0"?>
<?mso-application progid="Excel.Sheet"?>
<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet">
 <Worksheet ss:Name="自评表"><Table><Row><Cell><Data ss:Type="String">二级指标</Data></Cell></Row></Table></Worksheet>
</Workbook>
"""
HTML_AS_XLS = """<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel">
<head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body><table><tr><td>一级指标</td><td>二级指标</td><td>自评得分</td></tr></table></body></html>
"""


def biff4_worksheet() -> bytes:
    """An Excel 4.0 worksheet: a bare BIFF4 stream (BOF, one number, EOF), no OLE2 container."""
    bof = struct.pack("<HHHHH", 0x0409, 6, 0x0000, 0x0010, 0)
    number = struct.pack("<HHHHH", 0x0203, 14, 0, 0, 0) + struct.pack("<d", 282.0)
    return bof + number + struct.pack("<HH", 0x000A, 0)


# ---------------------------------------------------------------- OLE2 containers and BIFF records, by hand (MS-CFB, MS-XLS)

REAL_FILES = Path(__file__).resolve().parent.parent / "fixtures" / "real_files"
_FREE, _END_OF_CHAIN, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def ole2(name: str, stream: bytes) -> bytes:
    """A compound file (version 3, 512-byte sectors) holding one stream, as Excel's .xls holds its Workbook stream.

    Sector 0 is the FAT, sector 1 the directory, the stream's sectors follow; the stream is padded to 4096 bytes so it
    lives in ordinary sectors, not the mini stream."""
    stream = stream.ljust(4096, b"\x00")
    sectors = -(-len(stream) // 512)
    assert sectors + 2 <= 128, "one FAT sector maps 128 sectors"
    header = (OLE2_MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
              + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, _END_OF_CHAIN, 0, _END_OF_CHAIN, 0)
              + struct.pack("<I", 0) + struct.pack("<I", _FREE) * 108)
    fat = [_FAT_SECTOR, _END_OF_CHAIN, *range(3, sectors + 2), _END_OF_CHAIN]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat) + struct.pack("<I", _FREE) * (128 - len(fat))

    def entry(entry_name: str, kind: int, child: int, start: int, size: int) -> bytes:
        encoded = (entry_name + "\x00").encode("utf-16-le")
        return (encoded.ljust(64, b"\x00") + struct.pack("<HBBIII", len(encoded), kind, 1, _NO_STREAM, _NO_STREAM, child)
                + bytes(16 + 4 + 16) + struct.pack("<IQ", start, size))

    directory = (entry("Root Entry", 5, 1, _END_OF_CHAIN, 0) + entry(name, 2, _NO_STREAM, 2, len(stream))).ljust(512, b"\x00")
    return header + fat_sector + directory + stream.ljust(sectors * 512, b"\x00")


def biff(kind: int, body: bytes = b"") -> bytes:
    """One BIFF5/BIFF8 record: type, length, body."""
    return struct.pack("<HH", kind, len(body)) + body


def encrypted_xls(biff_version: int, encryption: int | None) -> bytes:
    """The workbook globals of an .xls with an open password, as far as its FILEPASS record (MS-XLS 2.4.117).

    ``encryption``: 0 XOR obfuscation, 1 RC4 (BIFF8: a type word first); a BIFF5 FILEPASS is the XOR key and hash alone.
    None: no FILEPASS at all (the same workbook, not encrypted)."""
    if biff_version == 8:
        bof = biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0x000080C9, 0x00000206))
        filepass = {0: biff(0x002F, struct.pack("<HHH", 0, 0x1234, 0xABCD)),
                    1: biff(0x002F, struct.pack("<HHH", 1, 1, 1) + bytes(48))}.get(encryption, b"")
        name = "Workbook"
    else:
        bof = biff(0x0809, struct.pack("<HHHH", 0x0500, 0x0005, 0x0DBB, 0x07CC))
        filepass = biff(0x002F, struct.pack("<HH", 0x1234, 0xABCD)) if encryption is not None else b""
        name = "Book"
    write_protect = biff(0x0086)  # Excel writes WRITEPROTECT between the BOF and FILEPASS
    sheet = biff(0x0085, struct.pack("<IBB", 0, 0, 0) + b"\x06\x00Sheet1")
    return ole2(name, bof + write_protect + filepass + biff(0x00E1, b"\xb0\x04") + sheet + biff(0x000A))


def real_file(name: str) -> Callable[[Path], Path]:
    return writing(lambda: (REAL_FILES / name).read_bytes())


def dbase() -> bytes:
    header = struct.pack("<BBBBIHH20x", 0x03, 120, 12, 31, 1, 65, 11)
    field_descriptor = b"NAME".ljust(11, b"\x00") + b"C" + b"\x00" * 4 + bytes([10, 0]) + b"\x00" * 14
    return header + field_descriptor + b"\r" + " 焦作市".encode("gb18030").ljust(11) + b"\x1a"


def dbase7() -> bytes:
    """A dBase 7 table: a 68-byte header (language driver name at 32), one 48-byte field descriptor, the terminator."""
    header = struct.pack("<BBBBIHH", 0x04, 124, 11, 27, 1, 68 + 48 + 1, 11) + bytes(20) + b"DB437US0".ljust(32, b"\x00")
    header += bytes(4)
    field_descriptor = b"NAME".ljust(32, b"\x00") + b"C" + bytes([10, 0]) + bytes(13)
    return header + field_descriptor + b"\r" + b" Jiaozuo   " + b"\x1a"


def visual_foxpro() -> bytes:
    """A Visual FoxPro table: dBase's header and descriptors, then the 263-byte backlink to its database container."""
    header = struct.pack("<BBBBIHH20x", 0x30, 124, 11, 27, 1, 32 + 32 + 1 + 263, 11)
    field_descriptor = b"NAME".ljust(11, b"\x00") + b"C" + bytes(4) + bytes([10, 0]) + bytes(14)
    return header + field_descriptor + b"\r" + bytes(263) + b" Jiaozuo   " + b"\x1a"


def lotus_release3() -> bytes:
    """A Lotus 1-2-3 release 3 worksheet (.wk3): the 26-byte BOF record, a number cell, EOF."""
    bof = struct.pack("<HHHH", 0x0000, 26, 0x1000, 0x0004) + bytes(22)
    number = struct.pack("<HHHBB", 0x0017, 14, 0, 0, 0) + struct.pack("<d", 282.0)[:10].ljust(10, b"\x00")
    return bof + number + struct.pack("<HH", 0x0001, 0)


def works_spreadsheet() -> bytes:
    """A Microsoft Works spreadsheet (.wks): Lotus's records behind Works' own BOF opcode 0x00FF."""
    return struct.pack("<HHH", 0x00FF, 2, 0x0404) + struct.pack("<HHH", 0x5405, 2, 0) + struct.pack("<HH", 0x0001, 0)


def quattro_pro_qpw() -> bytes:
    """A Quattro Pro 9+ notebook (.qpw): an OLE2 container whose workbook stream is NativeContent_MAIN."""
    return ole2("NativeContent_MAIN", struct.pack("<HHH", 0x0000, 2, 0x0001) + b"QPW" + struct.pack("<HH", 0x0001, 0))


#: a CSV from a Western European system, in Windows-1252 (「€」 is 0x80), and a Russian PRN export in Windows-1251
CP1252_CSV = "Région;Budget (€);Réalisé\r\nCafé Noël;1 250 €;98,5 %\r\n".encode("cp1252")
CP1251_PRN = ("Наименование       Итого    Факт\r\nСнос ветхого жилья   282     281\r\n").encode("cp1251")


# ---------------------------------------------------------------- the cases

JIAOZUO_TOTAL = 100  # the Jiaozuo shantytown self-score total
SOFFICE = ("soffice",)
SAVE_AS = "另存为 .xlsx"

READ = [
    # LibreOffice's spreadsheet formats that selfscore reads
    Case("lo_xls", soffice("xls"), "ok", "rebuilt_from_foreign_format", ".xls", suffix=".xls", self_total=JIAOZUO_TOTAL, needs=SOFFICE),
    Case("lo_xlt_template", soffice("xlt"), "ok", "rebuilt_from_foreign_format", ".xls", suffix=".xlt", self_total=JIAOZUO_TOTAL,
         needs=SOFFICE),
    Case("lo_xls_saved_as_et", soffice("xls"), "ok", "rebuilt_from_foreign_format", "WPS 的 .et", suffix=".et", self_total=JIAOZUO_TOTAL,
         needs=SOFFICE),
    Case("lo_ods", soffice("ods"), "ok", "rebuilt_from_foreign_format", ".ods", suffix=".ods", self_total=JIAOZUO_TOTAL, needs=SOFFICE),
    Case("lo_ots_template", soffice("ots"), "ok", "rebuilt_from_foreign_format", ".ods", suffix=".ots", self_total=JIAOZUO_TOTAL,
         needs=SOFFICE),
    Case("lo_xlsx_excel2007", soffice("xlsx_lo"), "ok", "", "", self_total=JIAOZUO_TOTAL, needs=SOFFICE),
    Case("lo_xlsx_office_open_xml", soffice("xlsx_ooxml"), "ok", "", "", self_total=JIAOZUO_TOTAL, needs=SOFFICE),
    Case("lo_xlsm", soffice("xlsm_lo"), "ok", "macros_not_kept", "标注副本另存为 .xlsx，不含宏", suffix=".xlsm", self_total=JIAOZUO_TOTAL,
         needs=SOFFICE),
    Case("lo_xltx_template", soffice("xltx"), "ok", "", "", suffix=".xltx", self_total=JIAOZUO_TOTAL, needs=SOFFICE),
    Case("lo_xls_faulty", soffice("xls", scores={"funds_raising": 8}), "errors", "score_mismatch", "自评得分 8", suffix=".xls",
         self_total=JIAOZUO_TOTAL - 2, needs=SOFFICE),
    # .xlsb (Excel's binary workbook) and macro-enabled workbooks
    Case("xlsb", writing(lambda: xlsb_from(jiaozuo_bytes())), "ok", "rebuilt_from_foreign_format", "Excel 二进制工作簿", suffix=".xlsb",
         self_total=JIAOZUO_TOTAL),
    Case("xlsb_with_macros", writing(lambda: xlsb_from(jiaozuo_bytes(), macros=True)), "ok", "rebuilt_from_foreign_format", ".xlsb",
         suffix=".xlsb", self_total=JIAOZUO_TOTAL),
    Case("xlsb_faulty", writing(lambda: xlsb_from(jiaozuo_bytes(facts={"starts_actual": "两项"}))), "errors", "value_not_number", "两项",
         suffix=".xlsb", self_total=JIAOZUO_TOTAL),
    Case("xlsb_with_chart_macro_and_dialog_sheets", writing(lambda: xlsb_from(jiaozuo_bytes(), other_sheets=True)), "ok",
         "rebuilt_from_foreign_format", ".xlsb", suffix=".xlsb", self_total=JIAOZUO_TOTAL),
    *[Case(f"real_xlsb_{path.stem.replace('.', '_')}", real_file(path.name), "unreadable", "not_a_template", "不是普通工作表，没有读取",
           suffix=".xlsb") for path in sorted(REAL_FILES.glob("*.xlsb"))],
    Case("xlsb_parts_outside_xl", writing(lambda: parts_elsewhere(xlsb_from(jiaozuo_bytes(), other_sheets=True))), "ok",
         "rebuilt_from_foreign_format", ".xlsb", suffix=".xlsb", self_total=JIAOZUO_TOTAL),
    Case("xlsb_sparse_outside_xl", writing(lambda: parts_elsewhere(sparse_xlsb())), "unreadable", "sheet_too_large", "超过上限",
         suffix=".xlsb"),
    Case("xlsb_sparse_17_billion_cells", writing(sparse_xlsb), "unreadable", "sheet_too_large", "超过上限", suffix=".xlsb"),
    Case("xlsm_with_vba", writing(xlsm_with_macros), "ok", "macros_not_kept", "没有运行也没有保留其中的宏", suffix=".xlsm",
         self_total=JIAOZUO_TOTAL),
    Case("xltm_with_vba", writing(lambda: xlsm_with_macros(template=True)), "ok", "macros_not_kept", "不含宏", suffix=".xltm",
         self_total=JIAOZUO_TOTAL),
    # the oddities of .xlsx files from the wild
    Case("strict_open_xml", writing(lambda: strict_from(jiaozuo_bytes())), "ok", "", "", self_total=JIAOZUO_TOTAL),
    Case("strict_faulty", writing(lambda: strict_from(jiaozuo_bytes(scores={"funds_raising": 8}))), "errors", "score_mismatch",
         "自评得分 8", self_total=JIAOZUO_TOTAL - 2),
    Case("parts_outside_xl", writing(lambda: parts_elsewhere(jiaozuo_bytes())), "ok", "", "", self_total=JIAOZUO_TOTAL),
    Case("parts_outside_xl_faulty", writing(lambda: parts_elsewhere(jiaozuo_bytes(scores={"funds_raising": 8}))), "errors",
         "score_mismatch", "自评得分 8", self_total=JIAOZUO_TOTAL - 2),
    Case("strict_parts_outside_xl", writing(lambda: parts_elsewhere(strict_from(jiaozuo_bytes()), "book")), "ok", "", "",
         self_total=JIAOZUO_TOTAL),
    Case("epoch_1904", editing(epoch_1904), "ok", "", "", self_total=JIAOZUO_TOTAL),
    Case("epoch_1904_date_in_a_fact", editing(epoch_1904, facts={"starts_actual": __import__("datetime").datetime(
        2020, 12, 31)}), "errors", "value_not_number", "2020-12-31", self_total=JIAOZUO_TOTAL),
    Case("styles_4000", editing(thousands_of_styles), "ok", "", "", self_total=JIAOZUO_TOTAL),
    Case("shared_formulas", writing(with_shared_formulas), "ok", "formula_in_input", "141*2", self_total=JIAOZUO_TOTAL),
    Case("rich_text_unit", editing(rich_text_unit), "ok", "", "", self_total=JIAOZUO_TOTAL),
    Case("phonetic_runs", writing(with_phonetic_runs), "ok", "", "", self_total=JIAOZUO_TOTAL),
    Case("external_link", writing(with_external_link), "ok", "formula_in_input", "[1]汇总!B2", self_total=JIAOZUO_TOTAL),
    Case("pivot_cache", writing(with_pivot_cache), "ok", "", "", self_total=JIAOZUO_TOTAL),  # kept in the copy (issue 25)
    Case("styles_out_of_standard", writing(styles_out_of_standard), "ok", "rebuilt_from_foreign_format", "部分内容不合规范",
         self_total=JIAOZUO_TOTAL),
    Case("styles_out_of_standard_outside_xl", writing(lambda: parts_elsewhere(styles_out_of_standard())), "ok",
         "rebuilt_from_foreign_format", "部分内容不合规范", self_total=JIAOZUO_TOTAL),
    Case("chart_sheet_added", editing(chart_sheet_added), "ok", "", "", self_total=JIAOZUO_TOTAL),  # kept (issue 25)
]

REFUSED = [
    Case("charts_only", writing(charts_only), "unreadable", "not_a_template", "只有图表"),
    Case("encrypted_ods", writing(encrypted_ods), "unreadable", "file_encrypted", "取消密码保护", suffix=".ods"),
    Case("lo_fods", soffice("fods"), "unreadable", "file_other_format", "OpenDocument 平面 XML 表格", suffix=".fods", needs=SOFFICE),
    Case("lo_csv", soffice("csv"), "unreadable", "file_text", "文本文件", suffix=".csv", needs=SOFFICE),
    Case("lo_html_saved_as_xls", soffice("html"), "unreadable", "file_other_format", "网页（HTML）", suffix=".xls", needs=SOFFICE),
    Case("lo_sylk", soffice("slk"), "unreadable", "file_other_format", "SYLK", suffix=".slk", needs=SOFFICE),
    Case("lo_dif", soffice("dif"), "unreadable", "file_other_format", "DIF", suffix=".dif", needs=SOFFICE),
    Case("html_table_as_xls", writing(lambda: HTML_AS_XLS.encode()), "unreadable", "file_other_format", "网页（HTML）", suffix=".xls"),
    Case("spreadsheetml_2003", writing(lambda: SPREADSHEETML_2003.encode()), "unreadable", "file_other_format", "Excel 2003 XML",
         suffix=".xml"),
    Case("excel4_worksheet", writing(biff4_worksheet), "unreadable", "file_other_format", "Excel 4.0", suffix=".xls"),
    # .xls with an open password: four real ones (RC4 and RC4 CryptoAPI), XOR obfuscation and Excel 95 built here
    *[Case(f"encrypted_xls_{path.stem}", real_file(path.name), "unreadable", "file_encrypted", "请取消密码保护后另存为 .xlsx",
           suffix=".xls") for path in sorted(REAL_FILES.glob("password_*.xls"))],
    Case("encrypted_xls_xor", writing(lambda: encrypted_xls(8, 0)), "unreadable", "file_encrypted", "取消密码保护",
         suffix=".xls"),
    Case("encrypted_xls_excel95", writing(lambda: encrypted_xls(5, 0)), "unreadable", "file_encrypted", "取消密码保护",
         suffix=".xls"),
    Case("dbase", writing(dbase), "unreadable", "file_other_format", "dBase", suffix=".dbf"),
    Case("dbase7", writing(dbase7), "unreadable", "file_other_format", "dBase 或 FoxPro", suffix=".dbf"),
    Case("visual_foxpro", writing(visual_foxpro), "unreadable", "file_other_format", "dBase 或 FoxPro", suffix=".dbf"),
    Case("lotus_wk3", writing(lotus_release3), "unreadable", "file_other_format", "Lotus 1-2-3", suffix=".wk3"),
    Case("works_wks", writing(works_spreadsheet), "unreadable", "file_other_format", "Microsoft Works", suffix=".wks"),
    Case("quattro_pro_qpw", writing(quattro_pro_qpw), "unreadable", "file_other_format", "Quattro Pro", suffix=".qpw"),
    Case("csv_cp1252", writing(lambda: CP1252_CSV), "unreadable", "file_text", "文本文件", suffix=".csv"),
    Case("prn_cp1251", writing(lambda: CP1251_PRN), "unreadable", "file_text", "文本文件", suffix=".prn"),
    Case("docx", writing(lambda: office_zip("docx")), "unreadable", "file_other_zip", "Word 文档（.docx）", suffix=".docx"),
    Case("pptx", writing(lambda: office_zip("pptx")), "unreadable", "file_other_zip", "PowerPoint", suffix=".pptx"),
    Case("numbers", writing(lambda: office_zip("numbers")), "unreadable", "file_other_zip", "Apple Numbers", suffix=".numbers"),
    Case("odt", writing(lambda: office_zip("odt")), "unreadable", "file_other_zip", "OpenDocument 文本", suffix=".odt"),
    Case("zip_of_workbooks", writing(lambda: office_zip("plain_zip")), "unreadable", "file_other_zip", "请解压后", suffix=".zip"),
    Case("rar", writing(lambda: b"Rar!\x1a\x07\x01\x00" + bytes(200)), "unreadable", "file_other_zip", "RAR 压缩包", suffix=".rar"),
    Case("png_screenshot", writing(lambda: b"\x89PNG\r\n\x1a\n" + bytes(200)), "unreadable", "file_other_format", "截图"),
    Case("ppt_97", writing(lambda: OLE2_MAGIC + bytes(504) + "PowerPoint Document".encode("utf-16-le") + bytes(900)), "unreadable",
         "file_other_ole", "PowerPoint 97-2003", suffix=".xls"),
]

CASES: list[Case] = READ + REFUSED


def expected_inputs() -> int:
    return len(get_table(TABLE).inputs)


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "saved_files")
    for name, path in write_cases(target, CASES).items():
        print(f"{name}\t{path.stat().st_size}\t{path.name}")
