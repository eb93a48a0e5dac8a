"""The lean reader's own reading of worksheet rows, merged ranges, content types, workbook part and stylesheet gives
exactly what openpyxl's parsers give (issue 25: the report-only path at the parser's speed).

``lean._read_rows`` reads the commonest cells from the element and hands every other one to openpyxl's
``parse_cell``; a formula's saved result is read in the same pass instead of openpyxl's second, data-only parse.
Random rows of hand-built XML (every cell type openpyxl reads, rows and cells with and without ``r``, dates by
style, shared and array formulas, rich text, odd values that make openpyxl fail) are read both ways — by
openpyxl's ``WorkSheetParser``, twice as ``load_workbook`` does, and by the lean reader, as one tree and streamed —
and random workbooks written by openpyxl are read by ``load_workbook`` and by ``LeanWorkbook``.
"""

from __future__ import annotations

import datetime
import io
import math
import zipfile
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from openpyxl.cell import MergedCell
from openpyxl.reader.strings import read_string_table
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet._reader import WorkSheetParser

from selfscore.read import lean
from selfscore.read.by_names import destinations_of
from selfscore.read.lean import LeanWorkbook
from selfscore.read.safety import REMEMBERED_PART_BYTES, REMEMBERED_PARTS
from support.harness import jiaozuo_bytes, member, rezip, zipped

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRINGS = ["一", "two", "", "第四"]
#: style index → number format: 0 General, 1 a date, 2 a duration, 3 a number format
FORMATS = ["General", "yyyy-mm-dd", "[h]:mm:ss", "0.00"]
DATES, DURATIONS = {1, 2}, {2}

_text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=8)
_number = st.one_of(st.integers(-10**20, 10**20).map(str), st.floats(allow_nan=False, allow_infinity=False).map(repr),
                    st.sampled_from(["1E3", "2.5e-3", "007", "-0", "1.0", "", "1_0", " 3 "]))
_ODD_NUMBERS = st.sampled_from(["x", "nan", "1e", "--1"])


@st.composite
def _cell(draw, odd: bool) -> str:
    """One <c> of any kind openpyxl reads; with ``odd``, values and shapes openpyxl may fail on too."""
    kind = draw(st.sampled_from(["n", "n", "s", "str", "b", "e", "inline", "rich", "inline_empty", "formula",
                                 "formula_only", "shared", "array", "table", "date", "empty"]
                                + (["odd", "not_a_cell", "v_with_child"] if odd else [])))
    attributes = []
    if draw(st.booleans()):
        attributes.append(f'r="{get_column_letter(draw(st.integers(1, 30)))}{draw(st.integers(1, 40))}"')
    style = draw(st.one_of(st.none(), st.integers(0, 3).map(str), st.sampled_from(["", "9", "x"] if odd else ["0"])))
    if style is not None:
        attributes.append(f's="{style}"')
    number = draw(st.one_of(st.integers(-50000, 3000000).map(str), st.floats(-1e6, 1e7).map(repr)))
    text = escape(draw(_text))
    body = {
        "n": (None, f"<v>{draw(st.one_of(_number, _ODD_NUMBERS) if odd else _number)}</v>"),
        "s": ("s", f"<v>{draw(st.sampled_from(['0', '1', '2', '3', ''] + (['4', 'x'] if odd else [])))}</v>"),
        "str": ("str", f"<v>{text}</v>"),
        "b": ("b", f"<v>{draw(st.sampled_from(['0', '1', '2'] + (['x'] if odd else [])))}</v>"),
        "e": ("e", f"<v>{draw(st.sampled_from(['#N/A', '#DIV/0!', '#REF!']))}</v>"),
        "inline": ("inlineStr", f"<is><t>{text}</t></is>"),
        "rich": ("inlineStr", f"<is><r><rPr><b/></rPr><t>{text}</t></r><r><t>尾</t></r></is>"),
        "inline_empty": ("inlineStr", draw(st.sampled_from(["", "<is/>", "<is><t/></is>", f"<v>{text}</v>"]))),
        "formula": (draw(st.sampled_from([None, "str", "n", "b", "e"])),
                    f"<f>SUM(A1:A{draw(st.integers(1, 9))})</f><v>{number}</v>"),
        "formula_only": (None, draw(st.sampled_from(["<f/>", "<f>1+1</f>", '<f ca="1">NOW()</f>']))),
        "shared": (None, draw(st.sampled_from(['<f t="shared" ref="A1:A9" si="0">B1*2</f>', '<f t="shared" si="0"/>',
                                               '<f t="shared" si="1"/>'])) + f"<v>{number}</v>"),
        "array": (None, f'<f t="array" ref="A1:A2">SUM(B1:B2*C1:C2)</f><v>{number}</v>'),
        "table": (None, f'<f t="dataTable" ref="A1:B2" dt2D="1" dtr="0" r1="C1" r2="D1"/><v>{number}</v>'),
        "date": draw(st.sampled_from([(None, f"<v>{number}</v>"), (None, "<v>1e300</v>"), (None, "<v>-5</v>"),
                                      ("d", "<v>2020-01-02T03:04:05</v>"), ("d", "<v>2020-01-02</v>")]
                                     + ([("d", f"<v>{number}</v>"), (None, "<v>2020-01-02</v>")] if odd else []))),
        "empty": (draw(st.sampled_from([None, "n", "s", "str", "b", "e"])), draw(st.sampled_from(["", "<v/>", "<v></v>"]))),
        "odd": (draw(st.sampled_from(["x", "inlineStr", "d"])), f"<v>{text}</v>"),
        "not_a_cell": (None, ""),
        "v_with_child": (None, "<v>1<x/>2</v>"),
    }[kind]
    kind_attribute, content = body
    if kind_attribute is not None:
        attributes.append(f't="{kind_attribute}"')
    tag = "x" if kind == "not_a_cell" else "c"
    return f"<{tag} {' '.join(attributes)}>{content}</{tag}>"


@st.composite
def _sheet(draw) -> bytes:
    odd = draw(st.integers(0, 4)) == 0  # most sheets hold only what openpyxl reads, so that their cells are compared
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        number = draw(st.one_of(st.none(), st.integers(1, 40).map(str),
                                st.sampled_from(["3.0", "2.5", "x"] if odd else ["3.0", "07"])))
        attribute = "" if number is None else f' r="{number}"'
        cells = "".join(draw(st.lists(_cell(odd), max_size=5)))
        rows.append(f"<row{attribute}>{cells}</row>")
    merges = draw(st.sampled_from(["", '<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>',
                                   '<mergeCells><mergeCell ref="C3:C5"/><mergeCell ref="D1:E1"/></mergeCells>',
                                   '<mergeCells><mergeCell ref="B2:A1"/></mergeCells>' if odd else ""]))
    return f'<worksheet xmlns="{MAIN}"><sheetData>{"".join(rows)}</sheetData>{merges}</worksheet>'.encode()


def _comparable(value: object) -> object:
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if hasattr(value, "__dict__") and not isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return type(value).__name__, sorted((key, str(item)) for key, item in vars(value).items())
    return type(value).__name__, value


def _by_openpyxl(xml: bytes) -> tuple[dict, dict, list]:
    """The sheet as openpyxl's load reads it: every cell's (value, type, style), each formula's saved result."""

    def parse(data_only: bool):
        parser = WorkSheetParser(io.BytesIO(xml), STRINGS, data_only=data_only, date_formats=DATES,
                                 timedelta_formats=DURATIONS)
        cells = {}
        for _, row in parser.parse():
            for item in row:
                cells[(item["row"], item["column"])] = (_comparable(item["value"]), item["data_type"],
                                                        FORMATS[item["style_id"]])
        merged = [(merge.min_row, merge.min_col, merge.max_row, merge.max_col)
                  for merge in (parser.merged_cells.mergeCell if parser.merged_cells else [])]
        return cells, merged

    cells, merged = parse(False)
    cached = {}
    if any(kind == "f" for _, kind, _ in cells.values()):
        saved, _ = parse(True)
        cached = {key: saved[key][0] for key, (_, kind, _) in cells.items() if kind == "f"}
    return cells, cached, merged


def _by_lean(xml: bytes, *, whole: bool, vouched: bool) -> tuple[dict, dict, list]:
    parser = lean._ValuesParser(io.BytesIO(xml), STRINGS, date_formats=DATES, timedelta_formats=DURATIONS)
    parser.vouched = vouched
    cells, saved = {}, {}
    lean._read_rows(parser, FORMATS, cells, saved, xml if whole else None)
    return ({key: (_comparable(cell.value), cell.data_type, cell.number_format) for key, cell in cells.items()},
            {key: _comparable(value) for key, value in saved.items() if cells[key].data_type == "f"},
            parser.merged)


def _outcome(read, *args, **kwargs):
    try:
        return read(*args, **kwargs)
    except Exception as error:  # openpyxl fails on the file: the lean reader must fail too (the full path answers)
        return "fails", type(error).__name__


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_sheet(), st.booleans(), st.booleans())
def test_rows_read_as_openpyxls_worksheet_parser_reads_them(xml, whole, vouched):
    expected = _outcome(_by_openpyxl, xml)
    found = _outcome(_by_lean, xml, whole=whole, vouched=vouched)
    if expected[0] == "fails":
        assert found[0] == "fails", xml
    else:
        assert found == expected, xml
    event(f"openpyxl {'fails' if expected[0] == 'fails' else 'reads it'}")


@pytest.mark.parametrize("cell", [
    '<c r="A1" s="1"><f>TODAY()</f><v>45000</v></c>', '<c r="A1" s="2"><f>B1-C1</f><v>1.25</v></c>',
    '<c r="A1" s="1"><v>45000.5</v></c>', '<c r="A1" s="2"><v>0.5</v></c>', '<c r="A1" s="1"><v>1e300</v></c>',
    '<c r="A1" t="str"><f>A2&amp;"x"</f><v>text</v></c>', '<c r="A1" t="b"><f>TRUE()</f><v>1</v></c>',
    '<c r="A1" t="e"><f>1/0</f><v>#DIV/0!</v></c>', '<c r="A1"><f>1+1</f><v>2</v></c>', '<c r="A1"><f>1+1</f><v>2.5</v></c>',
    '<c r="A1"><f>1+1</f></c>', '<c r="A1" t="s"><f>X</f><v>1</v></c>', '<c r="A1" t="inlineStr"><f>1</f><is><t>a</t></is></c>',
    '<c r="A1" t="inlineStr"><is><t/></is></c>', '<c r="A1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c>',
    '<c r="A1" t="inlineStr"/>', '<c r="A1" t="s"><v/></c>', '<c r="A1" t="str"><v/></c>', '<c r="A1" t="d"><v>2020-02-03</v></c>',
    '<c r="A1"><v>007</v></c>', '<c r="A1"><v>1E2</v></c>', '<c r="A1" t="n"><v>-0.0</v></c>', '<c t="b"><v>2</v></c>',
    '<c r="A1" s="3" t="s"><v>3</v></c>', ('<c r="A1"><f t="shared" ref="A1:C1" si="0">A2</f><v>1</v></c>'
     '<c r="B1"><f t="shared" si="0"/><v>2</v></c>'),
    '<c r="C1"><v>1</v></c><c><v>2</v></c><c r="A1"><v>3</v></c><c><v>4</v></c>',
    '<c r="A1" t="inlineStr"><is bogus="1"><t>a</t></is></c>', '<c r="A1" t="inlineStr"><is><t bogus="1">a</t></is></c>',
])
def test_each_kind_of_cell_is_read_as_openpyxl_reads_it(cell):
    _read_alike(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1">{cell}</row><row>{cell}</row></sheetData></worksheet>')


def _read_alike(xml: str) -> None:
    """The lean reader, as one tree and streamed, fails where openpyxl fails and otherwise reads what it reads."""
    expected = _outcome(_by_openpyxl, xml.encode())
    for whole in (False, True):
        found = _outcome(_by_lean, xml.encode(), whole=whole, vouched=True)
        assert found[0] == "fails" if expected[0] == "fails" else found == expected


@pytest.mark.parametrize("merges", [
    '<mergeCells><mergeCell ref="B2:A1"/></mergeCells><mergeCells><mergeCell ref="A1:B2"/></mergeCells>',
    '<mergeCells><mergeCell ref="A1:B2"><min_col>1</min_col></mergeCell></mergeCells>',
    '<mergeCells count="9"><mergeCell ref="A1:B2"><extLst/></mergeCell><mergeCell ref="$C$3:$D$4"/></mergeCells>',
    '<mergeCells bogus="1"><mergeCell ref="A1:B2"/></mergeCells>',
])
def test_merged_ranges_are_read_as_openpyxl_reads_them(merges):
    _read_alike(f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>{merges}</worksheet>')


def test_a_tree_with_rows_outside_sheet_data_is_streamed_as_openpyxl_streams_it():
    xml = (f'<worksheet xmlns="{MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData>'
           f'<extLst><row r="5"><c><v>2</v></c></row></extLst></worksheet>').encode()
    assert _by_lean(xml, whole=True, vouched=True) == _by_openpyxl(xml)
    assert (5, 1) in _by_lean(xml, whole=True, vouched=True)[0]


_values = st.one_of(
    st.integers(-10**15, 10**15), st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).filter(lambda text: not text.startswith("=")),
    st.datetimes(datetime.datetime(1901, 1, 1), datetime.datetime(2100, 1, 1)).map(lambda moment: moment.replace(microsecond=0)),
    st.sampled_from(["=1+1", "=SUM(A1:A3)", "#N/A", None]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(1, 12), st.integers(1, 6), _values,
                          st.sampled_from(["General", "0.00", "yyyy-mm-dd", "[h]:mm", "@", "0%"])), max_size=25),
       st.booleans())
def test_workbooks_written_by_openpyxl_read_as_load_workbook_reads_them(cells, merge):
    workbook = Workbook()
    sheet = workbook.active
    for row, column, value, number_format in cells:
        sheet.cell(row, column, value).number_format = number_format
    if merge:
        sheet.merge_cells("B2:C3")
    out = io.BytesIO()
    workbook.save(out)
    data = out.getvalue()
    loaded = load_workbook(io.BytesIO(data))
    saved = load_workbook(io.BytesIO(data), data_only=True)
    for prescanned in (False, True):
        read = LeanWorkbook(data, prescanned=prescanned)
        found = read[sheet.title]
        expected = {}
        for row in loaded[sheet.title].iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    expected[(cell.row, cell.column)] = "merged"
                elif cell.value is not None:
                    result = saved[sheet.title].cell(cell.row, cell.column).value if cell.data_type == "f" else None
                    expected[(cell.row, cell.column)] = (cell.value, cell.data_type, cell.number_format, result)
        assert {key: "merged" if cell.merged_follower else
                (cell.value, cell.data_type, cell.number_format, found.cached.get(key))
                for key, cell in found.cells.items() if cell.merged_follower or cell.value is not None} == expected


@given(st.one_of(
    st.text(max_size=30),
    st.builds(lambda sheet, cell: f"'{sheet}'!{cell}", st.text(min_size=1, max_size=8),
              st.sampled_from(["$A$1", "A1", "$B$2:$C$3", "#REF!", "A1,B2"])),
    st.sampled_from(["自评表!$B$2", "'基础数据'!$D$4", "#REF!", "'a'!$A$1,'b'!$B$2", "SUM(A1)", "", "'it''s'!$A$1"]),
))
def test_destinations_are_openpyxls(text):
    try:
        expected = tuple(DefinedName("name", attr_text=text).destinations)
    except Exception:
        expected = ()
    assert destinations_of(text) == expected


def _cells(workbook: LeanWorkbook) -> dict:
    return {title: {key: (cell.value, cell.data_type, cell.number_format) for key, cell in sheet.cells.items()}
            for title, sheet in workbook.sheets.items()}


def test_remembered_parts_give_what_a_first_read_gives():
    data = jiaozuo_bytes()
    lean._HEADS.clear(), lean._STYLES.clear(), lean._MANIFESTS.clear()
    first = LeanWorkbook(data, prescanned=True)
    again = LeanWorkbook(data, prescanned=True)
    assert _cells(again) == _cells(first)
    assert (again.sheetnames, again.chartsheets, again.epoch) == (first.sheetnames, first.chartsheets, first.epoch)
    assert {name: defined.attr_text for name, defined in again.defined_names.items()} == {
        name: defined.attr_text for name, defined in first.defined_names.items()}
    # a workbook whose stylesheet differs from the remembered one is read by its own
    styles = member(data, "xl/styles.xml").decode()
    at = styles.index("<cellXfs")
    dated = styles[:at] + styles[at:].replace('numFmtId="0"', 'numFmtId="14"', 1)  # the first cell format: a date
    assert dated != styles
    changed = LeanWorkbook(rezip(data, {"xl/styles.xml": dated.encode()}), prescanned=True)
    title = first.sheetnames[0]
    assert changed[title].styles.formats != first[title].styles.formats
    assert LeanWorkbook(data, prescanned=True)[title].styles is first[title].styles


@pytest.mark.parametrize(("part", "fault"), [
    ("xl/styles.xml", ('<cellXfs count', '<cellXfs bogus="1" count')),
    ("xl/styles.xml", ('numFmtId="0"', 'numFmtId="x"')),
    ("xl/workbook.xml", ("<sheets>", '<sheets><sheet name="x"/>')),
    ("[Content_Types].xml", ("<Types", "<Types bogus='1'")),
])
def test_a_part_openpyxl_rejects_is_rejected_every_time(part, fault):
    data = jiaozuo_bytes()
    LeanWorkbook(data, prescanned=True)  # the good parts remembered
    text = member(data, part).decode()
    assert fault[0] in text
    broken = rezip(data, {part: text.replace(fault[0], fault[1], 1).encode()})
    with pytest.raises(Exception):  # noqa: B017 (whatever openpyxl raises: the full path then reports the file)
        load_workbook(io.BytesIO(broken))
    for _ in range(2):
        with pytest.raises(Exception):  # noqa: B017
            LeanWorkbook(broken, prescanned=True)
    assert zipfile.ZipFile(io.BytesIO(broken)).testzip() is None


def test_what_is_remembered_stays_bounded():
    data = jiaozuo_bytes()
    styles = member(data, "xl/styles.xml").decode()
    at = styles.index("<cellXfs")
    for number in range(REMEMBERED_PARTS + 6):  # as many distinct stylesheets, the first cell format's differing
        changed = styles[:at] + styles[at:].replace('numFmtId="0"', f'numFmtId="{number}"', 1)
        workbook = LeanWorkbook(rezip(data, {"xl/styles.xml": changed.encode()}), prescanned=True)
        assert workbook[workbook.sheetnames[0]].styles.formats[0] == lean.BUILTIN_FORMATS.get(number, "General")
    assert len(lean._STYLES) <= REMEMBERED_PARTS


_STRING_ITEMS = st.one_of(
    st.builds(lambda text: f"<si><t>{escape(text)}</t></si>", _text),
    st.builds(lambda text: f'<si><t xml:space="preserve"> {escape(text)} </t></si>', _text),
    st.sampled_from(["<si><t/></si>", "<si/>", "<si><t>a_x005F_b</t></si>", '<si bogus="1"><t>a</t></si>',
                     "<si><r><rPr><b/></rPr><t>粗</t></r><r><t>体</t></r></si>", "<si><t>a</t><t>b</t></si>",
                     '<si><t>读</t><rPh sb="0" eb="1"><t>du</t></rPh><phoneticPr fontId="1"/></si>',
                     "<si><t>a<x/>b</t></si>"]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_STRING_ITEMS, max_size=8))
def test_shared_strings_are_read_as_openpyxls_read_string_table_reads_them(items):
    xml = f'<sst xmlns="{MAIN}" count="{len(items)}">{"".join(items)}</sst>'.encode()
    archive = zipfile.ZipFile(io.BytesIO(zipped({"xl/sharedStrings.xml": xml})))
    expected = _outcome(read_string_table, io.BytesIO(xml))
    found = _outcome(lean._shared_strings, archive, "xl/sharedStrings.xml", True)
    if isinstance(expected, tuple):  # openpyxl fails
        assert isinstance(found, tuple) and found[0] == "fails"
    else:
        assert found == expected


def test_a_part_as_large_as_no_templates_is_not_remembered():
    data = jiaozuo_bytes()
    styles = member(data, "xl/styles.xml").decode()
    padded = styles.replace("<fonts", "<!--" + "x" * REMEMBERED_PART_BYTES + "--><fonts", 1)
    lean._STYLES.clear()
    LeanWorkbook(data, prescanned=True)
    large = LeanWorkbook(rezip(data, {"xl/styles.xml": padded.encode()}), prescanned=True)
    assert len(lean._STYLES) == 1
    assert _cells(large) == _cells(LeanWorkbook(data, prescanned=True))
