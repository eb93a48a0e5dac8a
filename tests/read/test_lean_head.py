"""The lean reader's own reading of the content types and the workbook part (``read.lean._head`` on a vouched part)
gives what openpyxl's ``Manifest`` and ``WorkbookParser`` give, and a part openpyxl rejects is rejected (issue 25:
files saved by different people, whose parts are all distinct, read as fast as copies of one template).

Random workbooks written by openpyxl (visible, hidden and very hidden sheets, chart sheets, workbook- and
sheet-scoped defined names, print titles, the 1904 calendar) and hand-made faults in their parts are read both
ways: the shared strings' part, the calendar, the sheets (name, state, part, chart sheet or not) and the
workbook-scoped names (name and text) must be equal, and where openpyxl fails the lean reading fails too.
"""

from __future__ import annotations

import io
import re
import zipfile
from xml.etree.ElementTree import tostring

import pytest
from defusedxml import EntitiesForbidden
from defusedxml.ElementTree import fromstring as safe_fromstring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904
from openpyxl.workbook.defined_name import DefinedName

from selfscore.read import lean, safety
from support.harness import jiaozuo_bytes

_TITLES = st.sampled_from(["自评表", "基础数据", "Sheet", "说明 (2)", "O'Brien", "a&b", "_selfscore"])


@st.composite
def _workbook(draw) -> bytes:
    workbook = Workbook()
    if draw(st.booleans()):
        workbook.epoch = CALENDAR_MAC_1904
    titles = draw(st.lists(_TITLES, min_size=1, max_size=4, unique=True))
    workbook.active.title = titles[0]
    for title in titles[1:]:
        sheet = workbook.create_sheet(title)
        sheet.sheet_state = draw(st.sampled_from(["visible", "hidden", "veryHidden"]))
    for _ in range(draw(st.integers(0, 2))):
        workbook.create_chartsheet(draw(st.sampled_from(["图表", "Chart", None])))
    sheets = workbook.worksheets
    for index in range(draw(st.integers(0, 6))):
        sheet = draw(st.sampled_from(sheets))
        text = draw(st.sampled_from([f"'{sheet.title}'!$B${index + 1}", f"'{sheet.title}'!$A$1:$C$3", "#REF!",
                                     "SUM(1,2)", f"'{sheet.title}'!$A$1,'{sheet.title}'!$B$2", "12"]))
        name = draw(st.sampled_from([f"in_{index}", f"score_{index}", f"名称{index}", f"meta_{index}"]))
        if draw(st.booleans()):
            workbook.defined_names[name] = DefinedName(name, attr_text=text)
        else:
            sheet.defined_names[name] = DefinedName(name, attr_text=text)
    if draw(st.booleans()):
        sheets[0].print_title_rows = "1:2"
    if draw(st.booleans()):
        sheets[0].print_area = "A1:D9"
    if draw(st.booleans()):
        sheets[0]["A1"] = "有共享字符串"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _replaced(data: bytes, member: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item)
            target.writestr(item, change(content) if item.filename == member else content)
    return buffer.getvalue()


def _read(data: bytes, prescanned: bool):
    """``_head``'s reading (through openpyxl's parsers unless ``prescanned``), or the exception's type."""
    lean._MANIFESTS.clear()
    lean._HEADS.clear()
    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        head = lean._head(archive, archive.namelist(), prescanned)
    except Exception as error:  # noqa: BLE001 (the point is that both fail)
        return type(error)
    names = {key: (value.name, value.attr_text) for key, value in head.defined_names.items()}
    return head.strings_path, head.epoch, head.sheets, names


def _same(data: bytes) -> object:
    expected = _read(data, prescanned=False)
    assert _read(data, prescanned=True) == expected
    return expected


def _lean_reads(data: bytes) -> bool:
    """Whether the workbook part is read here rather than by openpyxl's parser."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    part = lean._content_types(archive.read("[Content_Types].xml"), True)[0]
    return lean._workbook_part(lean._WorkbookPartParser(archive, part), archive.read(part)) is not None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_workbook())
def test_workbooks_written_by_openpyxl_read_alike(data: bytes) -> None:
    assert not isinstance(_same(data), type)
    assert _lean_reads(data)  # openpyxl's own files are plain: the lean reading is the one compared
    assert lean._plain_content_types(zipfile.ZipFile(io.BytesIO(data)).read("[Content_Types].xml")) is not None


_WORKBOOK_FAULTS = [
    (r'<definedName name="', r'<definedName hidden="1" name="'),
    (r'<definedName name="', r'<definedName comment="x" name="'),
    (r'<definedName name="', r'<definedName bogus="x" name="'),
    (r'<definedName name="', r'<definedName localSheetId="a" name="'),
    (r'<definedName name="', r'<definedName localSheetId="9" name="'),
    (r'<definedName name="', r'<definedName localSheetId="-1" name="'),
    (r'<definedName name="[^"]*"', r'<definedName'),
    (r'<definedName name="([^"]*)">', r'<definedName name="_xlnm.\1">'),
    (r'<definedName name="([^"]*)">', r'<definedName name="_xlnm.Print_Area">'),
    (r"</definedName>", r"<x/></definedName>"),
    (r"<definedNames>", r'<definedNames count="2">'),
    (r'<sheet name="', r'<sheet bogus="1" name="'),
    (r'state="visible"', r'state="none"'),
    (r'state="visible"', r'state="shown"'),
    (r'state="visible"', r""),
    (r'sheetId="1"', r'sheetId="x"'),
    (r'sheetId="1"', r""),
    (r'sheetId="1"', r'sheetId="1.0"'),
    (r'r:id="rId1"', r""),
    (r'r:id="rId1"', r'r:id="rId99"'),
    (r'<sheet name="[^"]*"', r"<sheet"),
    (r"<sheets>", r'<sheets count="1">'),
    (r"</sheets>", r'</sheets><sheets><sheet name="又一个" sheetId="9" r:id="rId1"/></sheets>'),
    (r"<sheets>", r'<sheets><x:sheet xmlns:x="urn:other" name="别的" sheetId="8" r:id="rId1"/>'),
    (r"<workbookPr", r'<workbookPr date1904="1"'),
    (r"<workbookPr", r'<workbookPr date1904="maybe"'),
    (r"<workbookPr", r'<workbookPr bogus="1"'),
    (r"<bookViews>", r'<bookViews><workbookView activeTab="x"/>'),
    (r"</sheets>", r'</sheets><externalReferences><externalReference r:id="rId1"/></externalReferences>'),
    (r"spreadsheetml/2006/main", r"spreadsheetml/2006/other"),
    (r"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
     r"http://purl.oclc.org/ooxml/spreadsheetml/main"),
    (r"</workbook>", r""),
    (r"<definedNames>", r"<definedNames><definedName name=\"全局\">'Sheet'!$A$1</definedName>"),
    (r'<definedName name="', r'<definedName functionGroupId="x" name="'),
    (r'<definedName name="', r'<definedName functionGroupId="3" name="'),
    (r'<definedName name="', r'<definedName hidden="maybe" xlm="0" name="'),
    (r'<definedName name="', r'<definedName xmlns:o="urn:other" o:uid="{1}" name="'),
    (r'<sheet name="', r'<sheet xmlns:o="urn:other" o:uid="{1}" name="'),
    (r'<sheet name="', r'<sheet xmlns:o="urn:other" o:id="rId9" name="'),
]


def _base() -> bytes:
    workbook = Workbook()
    workbook.active.title = "Sheet"
    hidden = workbook.create_sheet("隐藏")
    hidden.sheet_state = "hidden"
    workbook.create_chartsheet("图表")
    workbook.defined_names["in_a"] = DefinedName("in_a", attr_text="'Sheet'!$B$2")
    workbook.defined_names["in_b"] = DefinedName("in_b", attr_text="'隐藏'!$C$3")
    workbook.active.defined_names["local"] = DefinedName("local", attr_text="'Sheet'!$D$4")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(("pattern", "replacement"), _WORKBOOK_FAULTS)
def test_faults_in_the_workbook_part_read_as_openpyxl_reads_them(pattern: str, replacement: str) -> None:
    data = _base()
    changed = _replaced(data, "xl/workbook.xml", lambda content: re.sub(pattern.encode(), replacement.encode(), content, count=1))
    assert changed != data
    _same(changed)


_CONTENT_TYPE_FAULTS = [
    (r'<Override PartName="/xl/workbook.xml"[^>]*/>', r""),
    (r'<Override PartName="/xl/workbook.xml"', r'<Override Bogus="1" PartName="/xl/workbook.xml"'),
    (r"<Types ", r'<Types count="1" '),
    (r"<Default ", r'<Default Bogus="1" '),
    (r"<Default ", r"<Other "),
    (r"</Types>", r'<Override PartName="/xl/other.xml" ContentType="application/vnd.openxmlformats-officedocument'
                   r'.spreadsheetml.sheet.main+xml"/></Types>'),
    (r'(<Override PartName="/xl/workbook.xml"[^>]*/>)', r'<Override PartName="/xl/workbook.xml" ContentType='
                                                         r'"application/vnd.ms-excel.template.macroEnabled.main+xml"/>\1'),
    (r'<Override PartName="/xl/workbook.xml"[^>]*/>', r'<Override PartName="/xl/workbook.xml"/>'),
    (r"content-types", r"content-types-other"),
    (r"</Types>", r""),
]


@pytest.mark.parametrize(("pattern", "replacement"), _CONTENT_TYPE_FAULTS)
def test_faults_in_the_content_types_read_as_openpyxl_reads_them(pattern: str, replacement: str) -> None:
    data = _base()
    changed = _replaced(data, "[Content_Types].xml", lambda content: re.sub(pattern.encode(), replacement.encode(), content, count=1))
    assert changed != data
    _same(changed)


def test_a_prefixed_root_is_read_by_openpyxl_alike() -> None:
    data = _replaced(_base(), "xl/workbook.xml", lambda content: re.sub(
        rb"</(\w+)", rb"</x:\1", re.sub(rb"<(\w+)", rb"<x:\1", content)).replace(
        b"xmlns=", b"xmlns:x=", 1))
    assert _read(data, prescanned=False) == _read(_base(), prescanned=False)  # the same workbook, prefixed
    _same(data)


def test_a_workbook_part_as_excel_writes_it_is_read_here_and_alike() -> None:
    """Excel's hidden filter database name, its revision attributes and alternate content: read here, and alike."""
    def excel(content: bytes) -> bytes:
        content = content.replace(b"<definedNames>", b'<definedNames><definedName name="_xlnm._FilterDatabase" '
                                  b'localSheetId="0" hidden="1">Sheet!$A$1:$C$9</definedName>'
                                  b'<definedName name="\xe5\x85\xa8\xe5\xb1\x80" hidden="1" comment="c">Sheet!$B$2</definedName>')
        content = content.replace(b'<sheet name="Sheet"', b'<sheet xmlns:xr="urn:xr" xr:uid="{A}" name="Sheet"')
        return content.replace(b"<workbookPr", b'<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/'
                               b'markup-compatibility/2006"><mc:Choice Requires="x15"/></mc:AlternateContent><workbookPr')
    data = _replaced(_base(), "xl/workbook.xml", excel)
    found = _same(data)
    assert found[3]["全局"] == ("全局", "Sheet!$B$2")
    assert _lean_reads(data)


def test_the_template_is_read_here_and_alike() -> None:
    data = jiaozuo_bytes()
    _same(data)
    assert _lean_reads(data)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_workbook())
def test_the_pre_scan_reads_the_sheet_titles_as_defusedxml_does(data: bytes) -> None:
    """``safety._titles`` parses the workbook part and its relationships by C expat where no DTD is in them."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    for part in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels"):
        content = archive.read(part)
        assert tostring(safety._parsed(content)) == tostring(safe_fromstring(content))
    parts = ("xl/workbook.xml", archive.read("xl/workbook.xml"), archive.read("xl/_rels/workbook.xml.rels"))
    titles = safety._titles.__wrapped__(*parts)
    parsed, safety._parsed = safety._parsed, safe_fromstring
    try:
        assert titles == safety._titles.__wrapped__(*parts)
    finally:
        safety._parsed = parsed
    assert set(titles.values()) == {sheet[0] for sheet in _read(data, prescanned=False)[2]}  # openpyxl's parser


def test_a_part_declaring_entities_is_left_to_defusedxml() -> None:
    declared = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    with pytest.raises(EntitiesForbidden):
        safety._parsed(declared)
    assert safety._titles.__wrapped__("xl/workbook.xml", declared, b"<Relationships/>") is None
    assert safety._parsed('<x>文字</x>'.encode("utf-16")).text == "文字"  # another encoding: defusedxml reads it
