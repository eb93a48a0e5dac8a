"""The lean reader's own reading of a stylesheet (``read.lean_styles``) gives what openpyxl's ``Stylesheet`` gives,
and a stylesheet openpyxl rejects is rejected (issue 25: the report-only path at the parser's speed).

Random stylesheets written by openpyxl (fonts, fills, borders, alignments, protections, number formats, named
styles) and random faults made in them by hand (an attribute set to an odd value or removed, an element added,
removed or repeated) are read both ways: each cell format's number format, the date and duration formats, the
fill of each format and the fills themselves must be equal, and where openpyxl fails the lean reading fails too.
"""

from __future__ import annotations

import io
import zipfile
from xml.etree.ElementTree import Element, SubElement, fromstring, tostring

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side

from selfscore.read import lean_styles
from selfscore.read.lean import _Styles
from support.harness import jiaozuo_bytes, member

_COLOURS = st.sampled_from(["FF0000", "00FF00AA", "FFFFFFFF", "123ABC"])
_FORMATS = st.sampled_from(["General", "0.00", "yyyy-mm-dd", "[h]:mm:ss", "mm:ss", "0%", "#,##0.00_);[Red](#,##0.00)",
                            "@", 'yyyy"年"m"月"d"日"', "0.000E+00", "hh:mm AM/PM", "d-mmm", "0.0_ "])


@st.composite
def _style(draw) -> dict:
    return {
        "font": Font(name=draw(st.sampled_from(["宋体", "Calibri", None])), sz=draw(st.sampled_from([None, 9, 10.5, 14])),
                     b=draw(st.booleans()), i=draw(st.booleans()), color=draw(st.one_of(st.none(), _COLOURS)),
                     u=draw(st.sampled_from([None, "single", "double"])),
                     vertAlign=draw(st.sampled_from([None, "superscript"]))),
        "fill": draw(st.sampled_from([PatternFill(), PatternFill("solid", fgColor="FFF2CC"),
                                      PatternFill("gray125"), PatternFill("darkGrid", fgColor="FF0000", bgColor="00FF00")])),
        "border": Border(left=Side(draw(st.sampled_from([None, "thin", "double"])), color=draw(st.one_of(st.none(), _COLOURS))),
                         bottom=Side(draw(st.sampled_from([None, "medium"])))),
        "alignment": Alignment(horizontal=draw(st.sampled_from([None, "center", "left"])),
                               vertical=draw(st.sampled_from([None, "top", "center"])), wrap_text=draw(st.booleans()),
                               indent=draw(st.sampled_from([0, 2])), text_rotation=draw(st.sampled_from([0, 0, 90]))),
        "protection": Protection(locked=draw(st.booleans()), hidden=draw(st.booleans())),
        "number_format": draw(_FORMATS),
    }


def _written(styles: list[dict], named: int) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for index in range(named):
        style = NamedStyle(name=f"样式{index}", number_format="0.00" if index % 2 else "yyyy-mm-dd")
        style.font = Font(b=bool(index % 2))
        workbook.add_named_style(style)
        sheet.cell(40 + index, 1, 1).style = style.name
    for row, style in enumerate(styles, start=1):
        cell = sheet.cell(row, 1, row)
        for key, value in style.items():
            setattr(cell, key, value)
    out = io.BytesIO()
    workbook.save(out)
    return zipfile.ZipFile(out).read("xl/styles.xml")


def _outcome(source: bytes, vouched: bool) -> tuple:
    try:
        styles = _Styles(source, vouched)
    except Exception as error:
        return ("fails", type(error).__name__ if not vouched else None)
    return (styles.formats, styles.fill_ids, styles.fills, styles.date_formats, styles.timedelta_formats)


def _same(source: bytes) -> bool:
    """Both readings agree; whether ``lean_styles`` read it itself."""
    expected = _outcome(source, vouched=False)
    found = _outcome(source, vouched=True)
    if expected[0] == "fails":  # openpyxl's parser, or the lean reader's own check of the formats
        assert found[0] == "fails", source
    else:
        assert found == expected, source
    return lean_styles.read(source) is not None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_style(), max_size=6), st.integers(0, 3))
def test_stylesheets_written_by_openpyxl_are_read_as_openpyxl_reads_them(styles, named):
    read_here = _same(_written(styles, named))
    event(f"read by lean_styles: {read_here}")


_TAGS = ["numFmt", "font", "fill", "patternFill", "border", "left", "xf", "alignment", "protection", "cellStyle",
         "color", "fgColor", "b", "sz", "family", "u", "dxf", "gradientFill", "colors", "extLst", "ext", "rgbColor",
         "tableStyle"]
_VALUES = ["", "0", "1", "2", "-1", "x", "1e3", "999", "99999999999", "none", "solid", "thin", "center", "FF00",
           "FF0000", "0.5", "-0.5", "1.5", "14", "15", "true", "single", "major", "yyyy-mm-dd", "0.00"]
_ATTRIBUTES = ["numFmtId", "fontId", "fillId", "borderId", "xfId", "formatCode", "val", "rgb", "theme", "tint",
               "indexed", "patternType", "style", "horizontal", "vertical", "indent", "textRotation", "name",
               "builtinId", "count", "uri", "bogus", "locked", "readingOrder", "{urn:x}uid"]
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _mutated(source: bytes, choices) -> bytes:
    root = fromstring(source)
    elements = list(root.iter())
    for _ in range(choices.draw(st.integers(1, 3))):
        target = choices.draw(st.sampled_from(elements))
        action = choices.draw(st.sampled_from(["set", "set", "drop", "add", "remove", "repeat"]))
        if action == "set":
            target.set(choices.draw(st.sampled_from(_ATTRIBUTES)), choices.draw(st.sampled_from(_VALUES)))
        elif action == "drop" and target.keys():
            del target.attrib[choices.draw(st.sampled_from(sorted(target.keys())))]
        elif action == "add":
            SubElement(target, _MAIN + choices.draw(st.sampled_from(_TAGS)),
                       {choices.draw(st.sampled_from(_ATTRIBUTES)): choices.draw(st.sampled_from(_VALUES))})
        elif action in ("remove", "repeat") and len(target):
            child = target[choices.draw(st.integers(0, len(target) - 1))]
            if action == "remove":
                target.remove(child)
            else:
                target.append(Element(child.tag, dict(child.attrib)))
    return tostring(root)


def _bases() -> list[bytes]:
    return [member(jiaozuo_bytes(), "xl/styles.xml"), _written([], 2)]


_BASES = _bases()


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(range(len(_BASES))), st.data())
def test_a_stylesheet_with_faults_is_read_or_rejected_as_openpyxl_reads_or_rejects_it(base, choices):
    source = _mutated(_BASES[base], choices)
    expected = _outcome(source, vouched=False)
    event("openpyxl rejects it" if expected[0] == "fails" else "openpyxl reads it")
    event(f"read by lean_styles: {_same(source)}")


def test_the_generated_and_sample_stylesheets_are_read_by_lean_styles():
    for source in _BASES:
        assert lean_styles.read(source) is not None
        assert _same(source)


def test_what_lean_styles_leaves_to_openpyxl():
    source = _BASES[0].decode()
    assert lean_styles.read(source.replace("<fills", "<dxfs><dxf><font><b/></font></dxf></dxfs><fills", 1).encode()) is None
    assert lean_styles.read(source.replace('numFmtId="0"', 'numFmtId="-1"', 1).encode()) is None
    assert lean_styles.read(b"<styleSheet") is None
