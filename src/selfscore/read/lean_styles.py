"""The stylesheet as the lean reader needs it, read without openpyxl's object model where openpyxl's reading is sure.

openpyxl's ``Stylesheet.from_tree`` builds and validates an object per font, fill, border, cell format and named
style (about 1 ms for a template's stylesheet); the lean reader needs each cell format's number format, which of
them openpyxl reads as dates and durations, and the fills (for the marks' record). A stylesheet openpyxl rejects
must not be read here: the report must then be the full path's.

``read`` therefore reads a stylesheet only when every element and attribute in it is one this module knows, with
a value openpyxl's descriptors certainly accept (``_SPEC``: stricter than openpyxl — a negative index, a number in
exponent form, a gradient fill, a text rotation, differential formats, an unknown element or attribute all send the
stylesheet to openpyxl), and when the named styles point at fonts, fills, borders and formats that exist (openpyxl
looks them up while it reads); it then computes what openpyxl computes (``Stylesheet._normalise_numbers``). For
anything else it answers None and openpyxl's parser reads the part, raising where openpyxl raises.
``tests/read/test_lean_styles.py`` compares both readings over random stylesheets written by openpyxl and over
hand-made faults.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import fromstring as _c_fromstring

from openpyxl.descriptors.excel import Extension
from openpyxl.styles.alignment import horizontal_alignments, vertical_aligments
from openpyxl.styles.borders import Side
from openpyxl.styles.fills import Fill
from openpyxl.styles.fills import fills as _PATTERNS
from openpyxl.styles.numbers import BUILTIN_FORMATS, BUILTIN_FORMATS_MAX_SIZE, BUILTIN_FORMATS_REVERSE, is_date_format, is_timedelta_format
from openpyxl.xml.constants import SHEET_MAIN_NS
from openpyxl.xml.functions import localname

_NS = f"{{{SHEET_MAIN_NS}}}"

Check = Callable[[str], bool]


def _pattern(expression: str) -> Check:
    return re.compile(expression).fullmatch  # type: ignore[return-value]


def _one_of(*values: str) -> Check:
    allowed = frozenset(values)
    return allowed.__contains__


_ANY: Check = lambda value: True  # noqa: E731 (a Bool descriptor takes any text)
_INDEX = _pattern(r"[0-9]{1,9}")  # int() takes it, and an array('i') of openpyxl's StyleArray holds it
_DECIMAL = _pattern(r"-?[0-9]{1,9}(?:\.[0-9]{1,15})?")
_FAMILY = _pattern(r"(?:[0-9]|1[0-4])(?:\.0{1,15})?")  # a MinMax(0, 14)
_TINT = _pattern(r"-?(?:0(?:\.[0-9]{1,20})?|1(?:\.0{1,20})?)")  # a MinMax(-1, 1)
_RGB = _pattern(r"[A-Fa-f0-9]{8}|[A-Fa-f0-9]{6}")  # openpyxl's aRGB_REGEX
_INDENT = _pattern(r"[0-9]{1,2}|1[0-9]{2}|2[0-4][0-9]|25[0-5]")  # a MinMax(0, 255)

_COLOR = ({"rgb": _RGB, "indexed": _INDEX, "auto": _ANY, "theme": _INDEX, "tint": _TINT, "type": _ANY}, ())
_NESTED = {"val": _ANY}  # a font's <b val="…"/>: openpyxl reads only ``val``


def _val(check: Check) -> tuple[dict, tuple]:
    return {"val": check}, ()


_SIDE = ({"style": _one_of("none", *Side.style.values)}, ("color",))

#: element → (its attributes, each with the check of its value; the elements it may hold). An attribute in another
#: namespace is dropped by openpyxl's ``from_tree`` (but not by ``PatternFill._from_tree``: none is allowed there).
_SPEC: dict[str, tuple[dict[str, Check], tuple[str, ...]]] = {
    "numFmts": ({"count": _INDEX}, ("numFmt",)),
    "numFmt": ({"numFmtId": _INDEX, "formatCode": _ANY}, ()),
    "fonts": ({"count": _ANY}, ("font",)),  # a NestedSequence: its own attributes are never read
    "font": ({}, ("name", "charset", "family", "sz", "b", "i", "strike", "outline", "shadow", "condense", "extend",
                  "u", "vertAlign", "scheme", "color")),
    "name": _val(_ANY), "charset": _val(_INDEX), "family": _val(_FAMILY), "sz": _val(_DECIMAL),
    **{flag: _val(_ANY) for flag in ("b", "i", "strike", "outline", "shadow", "condense", "extend")},
    "u": _val(_one_of("none", "single", "double", "singleAccounting", "doubleAccounting")),
    "vertAlign": _val(_one_of("none", "superscript", "subscript", "baseline")),
    "scheme": _val(_one_of("none", "major", "minor")),
    "color": _COLOR, "fgColor": _COLOR, "bgColor": _COLOR,
    "fills": ({"count": _ANY}, ("fill",)),
    "fill": ({}, ("patternFill",)),
    "patternFill": ({"patternType": _one_of("none", *_PATTERNS)}, ("fgColor", "bgColor")),
    "borders": ({"count": _ANY}, ("border",)),
    "border": ({"outline": _ANY, "diagonalUp": _ANY, "diagonalDown": _ANY},
               ("start", "end", "left", "right", "top", "bottom", "diagonal", "vertical", "horizontal")),
    **dict.fromkeys(("start", "end", "left", "right", "top", "bottom", "diagonal", "vertical", "horizontal"), _SIDE),
    "cellStyleXfs": ({"count": _INDEX}, ("xf",)),
    "cellXfs": ({"count": _INDEX}, ("xf",)),
    "xf": ({"numFmtId": _INDEX, "fontId": _INDEX, "fillId": _INDEX, "borderId": _INDEX, "xfId": _INDEX,
            **dict.fromkeys(("quotePrefix", "pivotButton", "applyNumberFormat", "applyFont", "applyFill", "applyBorder",
                             "applyAlignment", "applyProtection"), _ANY)},
           ("alignment", "protection")),
    "alignment": ({"horizontal": _one_of("none", *horizontal_alignments), "vertical": _one_of("none", *vertical_aligments),
                   "wrapText": _ANY, "shrinkToFit": _ANY, "justifyLastLine": _ANY, "indent": _INDENT,
                   "readingOrder": _INDEX}, ()),
    "protection": ({"locked": _ANY, "hidden": _ANY}, ()),
    "cellStyles": ({"count": _INDEX}, ("cellStyle",)),
    "cellStyle": ({"name": _ANY, "xfId": _INDEX, "builtinId": _INDEX, "iLevel": _INDEX, "hidden": _ANY,
                   "customBuiltin": _ANY}, ()),
    "dxfs": ({"count": _ANY}, ()),  # only an empty list of differential formats
    "tableStyles": ({"count": _INDEX, "defaultTableStyle": _ANY, "defaultPivotStyle": _ANY}, ()),
    "colors": ({}, ("indexedColors", "mruColors")),
    "indexedColors": ({"count": _ANY}, ("rgbColor",)),  # NestedSequences, as the fonts
    "mruColors": ({"count": _ANY}, ("color",)),
    "rgbColor": ({"rgb": _RGB}, ()),
}
_TOP = ("numFmts", "fonts", "fills", "borders", "cellStyleXfs", "cellXfs", "cellStyles", "dxfs", "tableStyles",
        "colors", "extLst")
#: what must be there for openpyxl to build the element: a number format's id and code, a named style's name and
#: format, an indexed colour's value
_REQUIRED = {"numFmt": ("numFmtId", "formatCode"), "cellStyle": ("name", "xfId"), "rgbColor": ("rgb",)}


class Read:
    """What openpyxl's ``Stylesheet`` gives the lean reader: each cell format's (number format id as openpyxl
    normalises it, fill id), the custom number formats by their normalised index, the date and duration formats'
    indices, and the fills (built by openpyxl's own ``Fill.from_tree`` when first asked for)."""

    def __init__(self, cell_styles: list[tuple[int, int]], number_formats: list[str], date_formats: set[int],
                 timedelta_formats: set[int], fills: list[Element]) -> None:
        self.cell_styles = cell_styles
        self.number_formats = number_formats
        self.date_formats = date_formats
        self.timedelta_formats = timedelta_formats
        self._fill_elements = fills

    def fills(self) -> list:
        return [Fill.from_tree(element) for element in self._fill_elements]


def read(source: bytes) -> Read | None:
    """The stylesheet's reading, or None where only openpyxl's parser may read it (see the module docstring)."""
    try:
        root = _c_fromstring(source)
    except Exception:  # malformed: openpyxl's parse says so
        return None
    top: dict[str, Element] = {}
    for child in root:
        name = _local(child.tag)
        if name is None or name not in _TOP or name in top:
            return None
        top[name] = child
        if name == "extLst":
            if not _extensions(child):
                return None
        elif not _known(child, name):
            return None
    fonts, fills, borders = (len(top[name]) if name in top else 0 for name in ("fonts", "fills", "borders"))
    if any(len(fill) != 1 for fill in top.get("fills", ())):
        return None  # Fill.from_tree makes nothing of an empty fill, and reads only the first of several
    custom = {int(number.get("numFmtId")): number.get("formatCode") for number in top.get("numFmts", ())}
    named_xfs = [_indices(xf) for xf in top.get("cellStyleXfs", ())]
    # Stylesheet._merge_named_styles looks each named style's format, font, fill and border up
    seen_ids: set[int] = set()
    seen_names: set[str] = set()
    for style in sorted(top.get("cellStyles", ()), key=lambda style: int(style.get("xfId"))):
        xf_id, name = int(style.get("xfId")), style.get("name")
        if xf_id in seen_ids or name in seen_names:
            continue
        seen_ids.add(xf_id)
        seen_names.add(name)
        if xf_id >= len(named_xfs):
            return None
        _, font, fill, border = named_xfs[xf_id]
        if font >= fonts or fill >= fills or border >= borders:
            return None
    cell_styles, number_formats, positions = [], [], {}
    date_formats, timedelta_formats = set(), set()
    for index, xf in enumerate(top.get("cellXfs", ())):  # Stylesheet._normalise_numbers
        number, _, fill, _ = _indices(xf)
        if number in custom:
            code = custom[number]
            if code in BUILTIN_FORMATS_REVERSE:
                number = BUILTIN_FORMATS_REVERSE[code]
            else:
                if code not in positions:
                    positions[code] = len(number_formats)
                    number_formats.append(code)
                number = positions[code] + BUILTIN_FORMATS_MAX_SIZE
        else:
            code = BUILTIN_FORMATS.get(number)
        if is_date_format(code):
            date_formats.add(index)
        if is_timedelta_format(code):
            timedelta_formats.add(index)
        cell_styles.append((number, fill))
    return Read(cell_styles, number_formats, date_formats, timedelta_formats, list(top.get("fills", ())))


def _local(tag: str) -> str | None:
    """The element's name in the spreadsheet namespace; None for any other."""
    return tag[len(_NS):] if isinstance(tag, str) and tag.startswith(_NS) else None


def _indices(xf: Element) -> tuple[int, int, int, int]:
    """A cell format's number format, font, fill and border (openpyxl's defaults: 0)."""
    return tuple(int(xf.get(name) or 0) for name in ("numFmtId", "fontId", "fillId", "borderId"))  # type: ignore[return-value]


def _known(element: Element, name: str) -> bool:
    """Whether every attribute and element under ``element`` (named ``name``) is in ``_SPEC`` and its value passes.

    One pass over the subtree (no call per element): each element's name comes from its parent's allowed
    children (``_CHILDREN``), and an attribute value that passed its check once passes again (``_PASSED``: a
    stylesheet repeats its few values in every font, border and cell format)."""
    passed = _PASSED
    pending = [(element, name)]
    pop, push = pending.pop, pending.append
    while pending:
        element, name = pop()
        if element.attrib:
            attributes = _SPEC[name][0]
            for key, value in element.items():
                if (name, key, value) in passed:
                    continue
                if key.startswith("{") and name != "patternFill":
                    continue  # dropped by from_tree
                check = attributes.get(key)
                if check is None or not check(value):
                    return False
                if len(passed) < _PASSED_SIZE:
                    passed.add((name, key, value))
        required = _REQUIRED.get(name)
        if required is not None and any(element.get(key) is None for key in required):
            return False
        text = element.text
        if text and text.strip():
            return False
        if len(element):
            children = _CHILDREN[name]
            for child in element:
                child_name = children.get(child.tag)
                if child_name is None:
                    return False
                push((child, child_name))
    return True


#: element name → its allowed children's tags → their names (``_SPEC``'s, in the spreadsheet namespace)
_CHILDREN = {name: {_NS + child: child for child in children} for name, (_, children) in _SPEC.items()}
#: (element name, attribute, value) that passed ``_SPEC``'s check: a pure function of the three, kept up to a bound
_PASSED: set[tuple[str, str, str]] = set()
_PASSED_SIZE = 1 << 14


def _extensions(element: Element) -> bool:
    """An <extLst> openpyxl reads as an ExtensionList: only <ext uri="…"> whose content it ignores."""
    if any(not key.startswith("{") for key in element.keys()):
        return False
    for ext in element:
        if _local(ext.tag) != "ext" or ext.get("uri") is None:
            return False
        if any(not key.startswith("{") and key != "uri" for key in ext.keys()):
            return False
        if any(not isinstance(child.tag, str) or hasattr(Extension, localname(child)) for child in ext):
            return False  # openpyxl reads a child named as one of Extension's attributes: only others are ignored
    return True
