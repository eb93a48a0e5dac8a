"""Excel's rules for a package's parts, asserted over a marked-up copy: what makes Excel offer a repair when broken.

Unique style ids in range, comment authors, VML shape ids and id blocks, relationship ids and targets, sheet names and
ids, sheet-scoped names in range, and a content type for each part. What the features of Excel 365 and WPS bring
(``assert_feature_rules``, part of ``assert_excels_rules``): a worksheet's elements in the schema's order, every
relationship id a sheet or the workbook names present in its relationships, VML shape numbers unique and inside their
drawing's id blocks, each control's shape in its sheet's drawing, ``vm``/``cm`` metadata indices in range,
conditional formats' ``dxfId`` in range, each cell format's ``xfId``, custom ``numFmtId`` and checkbox feature bag
defined, tables' ids and names unique and their header cells strings equal to their columns' names, and a link inside
the workbook going to a sheet it has.
"""

from __future__ import annotations

import posixpath
import re

from defusedxml import ElementTree
from openpyxl.utils.cell import column_index_from_string, get_column_letter

from support.harness import members

_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def assert_excels_rules(copy: bytes) -> None:
    """Unique style ids in range, comment authors, VML shape ids, relationship ids and a content type for each part."""
    parts = members(copy)
    types = ElementTree.fromstring(parts["[Content_Types].xml"])
    defaults = {d.get("Extension").lower() for d in types if d.tag.endswith("Default")}
    overrides = [o.get("PartName") for o in types if o.tag.endswith("Override")]
    assert len(overrides) == len({name.lower() for name in overrides}), "a part named twice in the content types"
    for name in parts:
        if name.endswith("/") or name == "[Content_Types].xml":
            continue
        assert f"/{name}" in overrides or name.rsplit(".", 1)[-1].lower() in defaults, f"no content type: {name}"
    for name, body in parts.items():
        if not name.endswith(".rels"):
            continue
        rels = ElementTree.fromstring(body)
        ids = [rel.get("Id") for rel in rels]
        assert len(ids) == len(set(ids)), f"relationship ids repeat in {name}"
        base = posixpath.dirname(posixpath.dirname(name))
        for rel in rels:
            if rel.get("TargetMode") == "External":
                continue
            target = rel.get("Target")
            resolved = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(base, target))
            assert resolved in parts, f"{name} points at a missing part {resolved}"

    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    sheets = book.find(f"{_MAIN}sheets")
    assert len({s.get("name").lower() for s in sheets}) == len(sheets)
    assert len({s.get("sheetId") for s in sheets}) == len(sheets)
    for defined in book.iter(f"{_MAIN}definedName"):
        if defined.get("localSheetId") is not None:
            assert int(defined.get("localSheetId")) < len(sheets)

    styles = ElementTree.fromstring(parts["xl/styles.xml"])
    counts = {}
    for section, child in (("fonts", "font"), ("fills", "fill"), ("borders", "border"), ("cellXfs", "xf")):
        element = styles.find(f"{_MAIN}{section}")
        items = element.findall(f"{_MAIN}{child}")
        counts[section] = len(items)
        if element.get("count") is not None:
            assert int(element.get("count")) == len(items), f"{section} count"
    for xf in styles.find(f"{_MAIN}cellXfs"):
        for attribute, section in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            assert int(xf.get(attribute, 0)) < counts[section]
    shape_ids: list[str] = []
    blocks: list[str] = []
    for name, body in parts.items():
        if name.startswith("xl/worksheets/sheet") and name.endswith(".xml"):
            for style in re.findall(rb'<c\b[^>]*?\ss="(\d+)"', body):
                assert int(style) < counts["cellXfs"], f"a cell's format past the end in {name}"
        if name.lower().endswith(".vml"):
            text = body.decode("utf-8", "replace")
            shape_ids += re.findall(r'<v:shape\b[^>]*?\sid="([^"]+)"', text)
            blocks += re.findall(r'<o:idmap\b[^>]*?\sdata="([^"]+)"', text)
        if re.fullmatch(r"xl/comments[^/]*\.xml", name):
            comments = ElementTree.fromstring(body)
            authors = comments.find(f"{_MAIN}authors")
            names = [author.text for author in authors]
            assert len(names) == len(set(names)), f"an author twice in {name}"
            refs = []
            for comment in comments.iter(f"{_MAIN}comment"):
                assert int(comment.get("authorId")) < len(authors)
                refs.append(comment.get("ref"))
            assert len(refs) == len(set(refs)), f"two comments on one cell in {name}"
    assert len(shape_ids) == len(set(shape_ids)), "VML shape ids repeat"
    assert len(blocks) == len(set(blocks)), "VML id blocks repeat"
    assert_feature_rules(parts)


#: CT_Worksheet's children in the schema's order (ECMA-376 Part 1, 18.3.1.99); Excel refuses a sheet out of order
_WORKSHEET_ORDER = (
    "sheetPr", "dimension", "sheetViews", "sheetFormatPr", "cols", "sheetData", "sheetCalcPr", "sheetProtection",
    "protectedRanges", "scenarios", "autoFilter", "sortState", "dataConsolidate", "customSheetViews", "mergeCells",
    "phoneticPr", "conditionalFormatting", "dataValidations", "hyperlinks", "printOptions", "pageMargins", "pageSetup",
    "headerFooter", "rowBreaks", "colBreaks", "customProperties", "cellWatches", "ignoredErrors", "smartTags", "drawing",
    "legacyDrawing", "legacyDrawingHF", "drawingHF", "picture", "oleObjects", "controls", "webPublishItems", "tableParts",
    "extLst")
_FPB = "{http://schemas.microsoft.com/office/spreadsheetml/2022/featurepropertybag}"
_SHAPE_NUMBER = re.compile(r"_x0000_s(\d+)")


def _rels_of(parts: dict[str, bytes], name: str) -> dict[str, str]:
    """A part's relationships, id → resolved target (external ones as they are)."""
    rels_name = posixpath.join(posixpath.dirname(name), "_rels", posixpath.basename(name) + ".rels")
    if rels_name not in parts:
        return {}
    found = {}
    for rel in ElementTree.fromstring(parts[rels_name]):
        target = rel.get("Target")
        if rel.get("TargetMode") != "External":
            target = target[1:] if target.startswith("/") else posixpath.normpath(
                posixpath.join(posixpath.dirname(name), target))
        found[rel.get("Id")] = target
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def vml_shapes(body: bytes) -> tuple[list[int], set[int]]:
    """A VML drawing's shape numbers (``o:spid``, or ``id`` where it has none) and its id blocks (``o:idmap``)."""
    text = body.decode("utf-8", "replace")
    numbers = []
    for tag in re.findall(r"<v:shape\b[^>]*>", text):
        spid = re.search(r'\so:spid="([^"]+)"', tag) or re.search(r'\sid="([^"]+)"', tag)
        number = _SHAPE_NUMBER.fullmatch(spid.group(1)) if spid else None
        if number:
            numbers.append(int(number.group(1)))
    blocks = {int(value) for data in re.findall(r'<o:idmap\b[^>]*?\sdata="([^"]*)"', text)
              for value in re.findall(r"\d+", data)}
    return numbers, blocks


def _metadata_counts(parts: dict[str, bytes], book_rels: dict[str, str]) -> dict[str, int]:
    """How many cell (``cm``) and value (``vm``) metadata records the workbook's metadata part holds."""
    counts = {"cm": 0, "vm": 0}
    part = next((target for target in book_rels.values() if target in parts and target.endswith("metadata.xml")), None)
    if part is not None:
        root = ElementTree.fromstring(parts[part])
        for attribute, section in (("cm", "cellMetadata"), ("vm", "valueMetadata")):
            element = root.find(f"{_MAIN}{section}")
            counts[attribute] = 0 if element is None else len(element.findall(f"{_MAIN}bk"))
    return counts


def _cell_text(sheet, ref: str, strings: list[str]) -> str | None:
    """A cell's text when it holds a string (shared, inline or a formula's), else None."""
    for cell in sheet.iter(f"{_MAIN}c"):
        if cell.get("r") == ref:
            kind = cell.get("t")
            if kind == "s":
                return strings[int(cell.findtext(f"{_MAIN}v"))]
            if kind == "inlineStr":
                return "".join(t.text or "" for t in cell.iter(f"{_MAIN}t"))
            if kind == "str":
                return cell.findtext(f"{_MAIN}v") or ""
            return None
    return None


def assert_feature_rules(parts: dict[str, bytes]) -> None:
    """The rules the features of Excel 365 and WPS bring, over a package's parts (see the module's docstring)."""
    book_rels = _rels_of(parts, "xl/workbook.xml")
    book = ElementTree.fromstring(parts["xl/workbook.xml"])
    for element in book.iter():
        for name, value in element.attrib.items():
            if name.startswith(_REL):
                assert value in book_rels, f"xl/workbook.xml names a missing relationship {value}"
    styles = ElementTree.fromstring(parts["xl/styles.xml"])
    style_xfs = styles.find(f"{_MAIN}cellStyleXfs")
    style_count = 0 if style_xfs is None else len(style_xfs.findall(f"{_MAIN}xf"))
    formats = {int(fmt.get("numFmtId")) for fmt in styles.iter(f"{_MAIN}numFmt")}
    bags = [target for target in book_rels.values() if target.endswith("featurePropertyBag.xml") and target in parts]
    for xf in styles.find(f"{_MAIN}cellXfs").findall(f"{_MAIN}xf"):
        assert int(xf.get("xfId", 0)) < max(style_count, 1), "a cell format's xfId past the cell styles"
        if xf.find(f".//{_FPB}xfComplement") is not None:  # a checkbox format names the feature property bag
            assert bags, "a cell format's xfComplement without the workbook's feature property bag"
        number_format = int(xf.get("numFmtId", 0))
        assert number_format < 164 or number_format in formats, f"a cell format's numFmtId {number_format} undefined"
    dxfs = styles.find(f"{_MAIN}dxfs")
    dxf_count = 0 if dxfs is None else len(dxfs.findall(f"{_MAIN}dxf"))
    metadata = _metadata_counts(parts, book_rels)
    strings = []
    shared = next((target for target in book_rels.values() if target.endswith("sharedStrings.xml")), None)
    if shared in parts:
        strings = ["".join(t.text or "" for t in item.iter(f"{_MAIN}t"))
                   for item in ElementTree.fromstring(parts[shared]).findall(f"{_MAIN}si")]

    titles = {sheet.get("name") for sheet in book.iter(f"{_MAIN}sheet")}
    numbers: list[int] = []
    for name, body in parts.items():
        if name.lower().endswith(".vml"):
            drawn, blocks = vml_shapes(body)
            numbers += drawn
            if blocks:
                outside = [number for number in drawn if number // 1024 not in blocks]
                assert not outside, f"VML shapes {outside} outside the id blocks {sorted(blocks)} of {name}"
    assert len(numbers) == len(set(numbers)), "VML shape numbers repeat"

    table_ids: list[str] = []
    table_names: list[str] = []
    for name, body in parts.items():
        if not (name.startswith("xl/worksheets/") and name.endswith(".xml")) or "/_rels/" in name:
            continue
        sheet = ElementTree.fromstring(body)
        if _local(sheet.tag) != "worksheet":
            continue
        order = [_WORKSHEET_ORDER.index(_local(child.tag)) for child in sheet
                 if _local(child.tag) in _WORKSHEET_ORDER]
        assert order == sorted(order), f"{name}: its elements are out of the schema's order"
        rels = _rels_of(parts, name)
        for element in sheet.iter():
            for attribute, value in element.attrib.items():
                if attribute.startswith(_REL):
                    assert value in rels, f"{name} names a missing relationship {value}"
        for link in sheet.iter(f"{_MAIN}hyperlink"):
            location = link.get("location") or ""
            if "!" in location:  # a reference (a name alone is a defined name's)
                target = re.fullmatch(r"'((?:[^']|'')+)'!.+|([^'!]+)!.+", location)
                title = target and (target.group(1).replace("''", "'") if target.group(1) else target.group(2))
                assert title in titles, f"{name}: a link to a sheet that is not there ({location})"
        for cell in sheet.iter(f"{_MAIN}c"):
            for attribute in ("cm", "vm"):
                if cell.get(attribute) is not None:
                    assert 1 <= int(cell.get(attribute)) <= metadata[attribute], \
                        f"{name} {cell.get('r')}: {attribute} past the workbook's metadata"
        for rule in sheet.iter(f"{_MAIN}cfRule"):
            if rule.get("dxfId") is not None:
                assert int(rule.get("dxfId")) < dxf_count, f"{name}: a conditional format's dxfId past the end"
        legacy = sheet.find(f"{_MAIN}legacyDrawing")
        drawn = set()
        if legacy is not None and rels.get(legacy.get(f"{_REL}id")) in parts:
            drawn = set(vml_shapes(parts[rels[legacy.get(f"{_REL}id")]])[0])
        for control in sheet.iter(f"{_MAIN}control"):
            assert int(control.get("shapeId")) in drawn, f"{name}: control {control.get('name')} has no shape"
        for part in sheet.iter(f"{_MAIN}tablePart"):
            table = ElementTree.fromstring(parts[rels[part.get(f"{_REL}id")]])
            table_ids.append(table.get("id"))
            table_names.append(table.get("name").lower())
            if table.get("headerRowCount", "1") != "0":
                first = table.get("ref").split(":")[0]
                column, row = re.fullmatch(r"([A-Z]+)(\d+)", first).groups()
                for offset, column_element in enumerate(table.iter(f"{_MAIN}tableColumn")):
                    ref = get_column_letter(column_index_from_string(column) + offset) + row
                    assert _cell_text(sheet, ref, strings) == column_element.get("name"), \
                        f"{name}: the table's header {ref} is not the text of its column's name"
    assert len(table_ids) == len(set(table_ids)) and len(table_names) == len(set(table_names)), "tables repeat"

