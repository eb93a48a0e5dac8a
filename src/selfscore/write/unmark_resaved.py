"""A marked-up copy that Excel, WPS or LibreOffice saved again, with its marks taken out of its parts.

Such a program rewrites every part: the in-place writer's own record of its edits (``inplace.unmark``) no longer
matches, and the parts are renumbered its own way (styles, shared strings, part names, comments and their VML
shapes). What a re-check needs is what ``marks.remove_marks`` does through openpyxl — each marked cell's original
fill and comment back, the results sheets and the marks record gone — done here in the XML of the parts, so that
whatever openpyxl does not model (images, charts, pivot tables, slicers, x14 validations) survives and the new copy
is written in place again:

- the record and the results sheets (``tables.names``) leave: their ``<sheet>`` entries, the workbook's
  relationships to them, their content types, their parts and every part only they refer to (their own
  relationships, drawings, printer settings…); the defined names scoped to them go, the other sheet-scoped names
  and the workbook view's ``activeTab``/``firstSheet`` are renumbered; Excel's calculation chain is dropped;
- each recorded marked cell gets a cell format equal to its current one with the recorded fill (fills and formats
  are appended to ``styles.xml``, the existing ones are never changed), as openpyxl's ``cell.fill = …`` makes one;
  a cell inside a merged range other than its top-left one is left alone, as ``remove_marks`` leaves it;
- its comment becomes the recorded original (text and author), or is removed with its VML shape; a comments part
  and VML drawing left empty leave too.

Everything else passes through byte for byte; a copy whose workbook part (and others) a program built on the Open
XML SDK prefixed (``<x:workbook xmlns:x="…">``) is first written without the prefix (``write.unprefixed``).
Whatever does not fit — another prefixed part, a prefixed part that cannot be written so, a Strict part, threaded
comments on a marked cell, a recorded original comment for a cell without comments now, a shape that cannot be
found, a record edited by hand (a recorded fill that does not parse) — returns None, and openpyxl removes the marks
as before.
"""

from __future__ import annotations

import io
import posixpath
import re
from xml.sax.saxutils import escape
from zipfile import ZipFile

from openpyxl import Workbook
from openpyxl.styles.fills import Fill
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string, range_boundaries
from openpyxl.xml.functions import fromstring, tostring

from selfscore.read.lean import LeanWorkbook
from selfscore.read.safety import DEFAULT_LIMITS, Limits
from selfscore.results.report import PreviousCheck
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET
from selfscore.write.inplace import (
    _CALC_CHAIN_TYPE,
    _CELL_TAG,
    _COMMENTS_TYPE,
    _MAX_EDITED_PART,
    _REL,
    _THREADED_REF,
    _THREADED_TYPE,
    _VML_TYPE,
    _WORKSHEET_TYPE,
    _append_to,
    _attr,
    _children,
    _join,
    _main_part,
    _relation_id,
    _relationships,
    _rels_name,
    _restyle,
    _section,
    _set_attr,
    _text,
    _unescape,
    _xml,
    repacked,
)
from selfscore.write.marks import RecordedMark, read_record
from selfscore.write.unprefixed import unprefixed


class _NotOurs(Exception):
    """Something this unmarking does not handle: openpyxl removes the marks."""


class _PrefixedWorkbook(_NotOurs):
    """The workbook part binds the main namespace to a prefix, as a program built on the Open XML SDK writes every
    part: ``write.unprefixed`` first (a copy with only some other part prefixed is left to openpyxl)."""


def unmark_resaved(data: bytes, workbook: Workbook | LeanWorkbook,
                   limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, PreviousCheck] | None:
    """The marked-up copy ``data`` (read as ``workbook``, by openpyxl or the lean reader) with its marks taken out as
    ``remove_marks`` takes them out, in its parts; and what the previous check found. None when ``data`` holds no
    marks record or anything this does not handle safely (the caller then unmarks through openpyxl). ``data`` has
    passed the safety checks; the caller checks the result again."""
    try:
        record = read_record(workbook)
        if record is None:
            return None
        marks, previous = record
        try:
            return _Unmarker(data, limits).unmark(marks), previous
        except _PrefixedWorkbook:
            # a copy a program built on the Open XML SDK saved again: its parts written without the prefix first
            normal = unprefixed(data, _MAX_EDITED_PART)
            if normal is None:
                raise
            return _Unmarker(normal, limits).unmark(marks), previous
    except Exception:  # anything unexpected: openpyxl's route says it, as before
        return None


class _Unmarker:
    def __init__(self, data: bytes, limits: Limits) -> None:
        self.data = data
        self.source = ZipFile(io.BytesIO(data))
        self.names = set(self.source.namelist())
        self.limits = limits
        self.replaced: dict[str, bytes] = {}
        self.removed: set[str] = set()

    def read(self, name: str) -> str | None:
        if name in self.replaced:
            return self.replaced[name].decode("utf-8")
        if name not in self.names or name in self.removed:
            return None
        return _xml(self.source.read(name))

    def put(self, name: str, text: str) -> None:
        self.replaced[name] = text.encode("utf-8")

    def unmark(self, marks: list[RecordedMark]) -> bytes:
        self._locate()
        self._drop_added_sheets()
        by_sheet: dict[str, list[RecordedMark]] = {}
        for mark in marks:
            by_sheet.setdefault(mark.sheet, []).append(mark)
        self.styles = self.read(self.styles_part) if self.styles_part else None
        self.new_fills: list[str] = []
        self.new_xfs: list[str] = []
        for title, sheet_marks in by_sheet.items():
            self._unmark_sheet(title, sheet_marks)
        if self.new_xfs:
            self._append_styles()
        return self._zip()

    # -- the package -----------------------------------------------------------------------------------------

    def _locate(self) -> None:
        self.book_part = _main_part(self.read("_rels/.rels"))
        if self.book_part is None or "[Content_Types].xml" not in self.names:
            raise _NotOurs("workbook part")
        self.book_rels_part = _rels_name(self.book_part)
        book = self.read(self.book_part)
        if book is None or not re.search(r"<workbook\b", book) or not re.search(r"<sheets\b", book):
            raise _PrefixedWorkbook("prefixed workbook")
        self.book = book
        self.book_rels = _relationships(self.read(self.book_rels_part))
        by_id = {rel["Id"]: rel for rel in self.book_rels}
        #: (title, start tag, relationship) of each sheet, in the workbook's order
        self.sheets: list[tuple[str, str, dict[str, str]]] = []
        for tag in re.findall(r"<sheet\b[^>]*>", _section(book, "sheets").group(1) or ""):
            rid = _relation_id(tag)
            rel = by_id.get(rid or "")
            if rel is None:
                raise _NotOurs("sheet relationship")
            self.sheets.append((_unescape(_attr(tag, "name") or ""), tag, rel))
        self.styles_part = next((_join(self.book_part, rel["Target"]) for rel in self.book_rels
                                 if rel.get("Type") == _REL + "/styles"), None)

    def _part_of(self, title: str) -> str:
        for name, _tag, rel in self.sheets:
            if name == title:
                if rel.get("Type") != _WORKSHEET_TYPE or rel.get("TargetMode") == "External":
                    raise _NotOurs("a mark on a sheet that is not a worksheet")
                return _join(self.book_part, rel["Target"])
        raise _NotOurs("a mark on a sheet the workbook does not have")

    def _drop_added_sheets(self) -> None:
        """The record and the results sheets out of the workbook, its relationships, the content types and the zip,
        with whatever only they refer to; the calculation chain too (Excel rebuilds it)."""
        gone = [index for index, (title, _tag, _rel) in enumerate(self.sheets) if title in (MARKS_SHEET, *ADDED_SHEETS)]
        if MARKS_SHEET not in {self.sheets[index][0] for index in gone}:
            raise _NotOurs("no marks record")
        gone_ids = {self.sheets[index][2]["Id"] for index in gone}
        gone_ids |= {rel["Id"] for rel in self.book_rels if rel.get("Type") == _CALC_CHAIN_TYPE}
        parts = {_join(self.book_part, rel["Target"]) for rel in self.book_rels
                 if rel["Id"] in gone_ids and rel.get("TargetMode") != "External"}
        self._remove_parts(parts)

        book = self.book
        for index in gone:  # <sheet …/>, or <sheet …></sheet>
            tag = self.sheets[index][1]
            book = re.sub(re.escape(tag) + (r"" if tag.endswith("/>") else r"\s*</sheet\s*>"), "", book, count=1)

        def shifted(value: str) -> int:
            number = int(value)
            return number - sum(1 for index in gone if index < number)

        def name(match: re.Match) -> str:
            element = match.group(0)
            local = _attr(element, "localSheetId")
            if local is None:
                return element
            if int(local) in gone:
                return ""
            start = re.match(r"<definedName\b[^>]*>", element).group(0)
            return _set_attr(start, "localSheetId", str(shifted(local))) + element[len(start):]

        book = re.sub(r"<definedName\b[^>]*?(?:/>|>.*?</definedName\s*>)", name, book, flags=re.S)
        book = re.sub(r"<definedNames\b[^>]*>\s*</definedNames\s*>|<definedNames\b[^>]*/>", "", book)

        def view(match: re.Match) -> str:
            tag = match.group(0)
            for attribute in ("activeTab", "firstSheet"):
                value = _attr(tag, attribute)
                if value is not None:
                    tag = _set_attr(tag, attribute, "0" if int(value) in gone else str(shifted(value)))
            return tag

        book = re.sub(r"<workbookView\b[^>]*>", view, book)
        self.put(self.book_part, book)
        self._drop_rels(self.book_rels_part, gone_ids)

    def _remove_parts(self, parts: set[str]) -> None:
        """Remove ``parts``, their relationships, and each part they refer to that no other part refers to."""
        pending = set(parts)
        while pending:
            part = pending.pop()
            if part in self.removed or part not in self.names:
                continue
            self.removed.add(part)
            rels = _rels_name(part)
            if rels in self.names and rels not in self.removed:
                targets = {_join(part, rel["Target"]) for rel in _relationships(self.read(rels))
                           if rel.get("TargetMode") != "External"}
                self.removed.add(rels)
                pending |= {target for target in targets if not self._referred_to(target)}

    def _referred_to(self, part: str) -> bool:
        """Whether a part still in the package refers to ``part``."""
        for rels in self.names - self.removed:
            if not rels.endswith(".rels"):
                continue
            base = _owner(rels)
            for rel in _relationships(self.read(rels)):
                if rel.get("TargetMode") != "External" and _join(base, rel["Target"]) == part:
                    return True
        return False

    def _drop_rels(self, rels_part: str, ids: set[str]) -> None:
        xml = self.read(rels_part)
        for rid in ids:
            xml = re.sub(rf"<Relationship\b[^>]*\bId\s*=\s*\"{re.escape(rid)}\"[^>]*?(?:/>|>\s*</Relationship\s*>)",
                         "", xml)
        self.put(rels_part, xml)

    # -- the marked cells ------------------------------------------------------------------------------------

    def _unmark_sheet(self, title: str, marks: list[RecordedMark]) -> None:
        if title in (MARKS_SHEET, *ADDED_SHEETS):
            raise _NotOurs("a mark on a sheet that goes")
        path = self._part_of(title)
        xml = original = self.read(path)
        if xml is None or not re.search(r"<worksheet\b", xml):
            raise _NotOurs("prefixed worksheet")
        current: dict[str, int] = {}
        for tag in _CELL_TAG.findall(xml):
            ref = _attr(tag, "r")
            if ref is None:
                raise _NotOurs("a cell without its reference")
            current[ref] = int(_attr(tag, "s") or 0)
        followers = _merged_followers(xml, {mark.cell for mark in marks})
        marks = [mark for mark in marks if mark.cell not in followers]  # as remove_marks skips a MergedCell
        styles: dict[str, int] = {}
        for mark in marks:
            fill = _fill(mark.fill_xml)
            if fill is not None:
                styles[mark.cell] = self._with_fill(current.get(mark.cell), fill)
        if styles:
            xml = _restyle(xml, styles, {"cells": [], "rows": []})
        xml = self._comments(path, xml, marks)
        if xml != original:  # a sheet with nothing to undo passes through byte for byte
            self.put(path, xml)

    def _with_fill(self, style: int | None, fill: str) -> int:
        """The index of a new cell format: format ``style`` (a cell the file does not have: openpyxl's new cell,
        every index 0) with ``fill``."""
        if self.styles is None or not re.search(r"<styleSheet\b", self.styles):
            raise _NotOurs("prefixed styles")
        if not hasattr(self, "xfs"):
            self.xfs = _children((_section(self.styles, "cellXfs") or _missing("cellXfs")).group(1) or "", "xf")
            self.fill_count = len(_children((_section(self.styles, "fills") or _missing("fills")).group(1) or "", "fill"))
        if fill not in self.new_fills:
            self.new_fills.append(fill)
        fill_id = self.fill_count + self.new_fills.index(fill)
        if style is None:
            xf = f'<xf numFmtId="0" fontId="0" fillId="{fill_id}" borderId="0" xfId="0" applyFill="1"/>'
        else:
            if style >= len(self.xfs):
                raise _NotOurs("a cell format past the end")
            original = self.xfs[style]
            start = re.match(r"<xf\b[^>]*?/?>", original).group(0)
            xf = _set_attr(_set_attr(start, "fillId", str(fill_id)), "applyFill", "1") + original[len(start):]
        if xf not in self.new_xfs:
            self.new_xfs.append(xf)
        return len(self.xfs) + self.new_xfs.index(xf)

    def _append_styles(self) -> None:
        styles, _first = _append_to(self.styles, "fills", "fill", self.new_fills)
        styles, _first = _append_to(styles, "cellXfs", "xf", self.new_xfs)
        self.put(self.styles_part, styles)

    # -- comments --------------------------------------------------------------------------------------------

    def _comments(self, path: str, xml: str, marks: list[RecordedMark]) -> str:
        rels_part = _rels_name(path)
        rels = _relationships(self.read(rels_part))
        cells = {mark.cell for mark in marks}
        for rel in rels:
            if rel.get("Type") == _THREADED_TYPE:
                threaded = self.read(_join(path, rel["Target"])) or ""
                if cells & set(_THREADED_REF.findall(threaded)):
                    raise _NotOurs("threaded comments on a marked cell")
        comments_rel = next((rel for rel in rels if rel.get("Type") == _COMMENTS_TYPE), None)
        if comments_rel is None:
            if any(mark.comment for mark in marks):
                raise _NotOurs("an original comment to put back on a sheet without comments")
            return xml
        comments_part = _join(path, comments_rel["Target"])
        comments = original = self.read(comments_part)
        if comments is None or not re.search(r"<comments\b", comments):
            raise _NotOurs("prefixed comments")
        elements = {}
        for element in _children((_section(comments, "commentList") or _missing("commentList")).group(1) or "",
                                 "comment"):
            elements[_attr(re.match(r"<comment\b[^>]*>", element).group(0), "ref")] = element
        removed_cells = []
        for mark in marks:
            element = elements.get(mark.cell)
            if element is None:
                if mark.comment:
                    raise _NotOurs("an original comment for a cell without one now")
                continue
            if mark.comment:
                comments, author = self._author(comments, str(mark.author or ""))
                restored = (f'<comment ref="{mark.cell}" authorId="{author}"><text><t xml:space="preserve">'
                            f"{_text(str(mark.comment))}</t></text></comment>")
                comments = comments.replace(element, restored, 1)
            else:
                comments = comments.replace(element, "", 1)
                removed_cells.append(mark.cell)
        if not removed_cells:
            if comments != original:
                self.put(comments_part, comments)
            return xml
        return self._drop_shapes(path, xml, rels, comments_rel, comments_part, comments, removed_cells)

    def _author(self, comments: str, author: str) -> tuple[str, int]:
        section = _section(comments, "authors")
        authors = _children(section.group(1) or "", "author") if section else []
        names = [_unescape(re.sub(r"^<author\b[^>]*>|</author\s*>$|^<author\b[^>]*/>$", "", item)) for item in authors]
        if author in names:
            return comments, names.index(author)
        element = f"<author>{escape(author)}</author>"
        if section is None:
            raise _NotOurs("comments without authors")
        start = re.match(r"<authors\b[^>]*?/?>", section.group(0)).group(0)
        opened = start[:-2] + ">" if start.endswith("/>") else start
        body = opened + (section.group(1) or "") + element + "</authors>"
        return comments[:section.start()] + body + comments[section.end():], len(names)

    def _drop_shapes(self, path: str, xml: str, rels: list[dict[str, str]], comments_rel: dict[str, str],
                     comments_part: str, comments: str, cells: list[str]) -> str:
        """The VML shapes of the comments removed from ``cells``; the comments part and the drawing removed when
        nothing is left in them."""
        legacy = re.search(r"<legacyDrawing\b[^>]*?(?:/>|>\s*</legacyDrawing\s*>)", xml)  # excelize never self-closes
        rid = _relation_id(legacy.group(0)) if legacy else None
        vml_rel = next((rel for rel in rels if rel["Id"] == rid and rel.get("Type") == _VML_TYPE), None)
        if vml_rel is None:
            raise _NotOurs("comments without their drawing")
        vml_part = _join(path, vml_rel["Target"])
        vml = self.read(vml_part)
        if vml is None:
            raise _NotOurs("no drawing")
        v, x = _prefixes(vml, "urn:schemas-microsoft-com:vml", "v"), _prefixes(vml, "urn:schemas-microsoft-com:office:excel", "x")
        shapes = [match.group(0) for match in re.finditer(rf"<({v}):shape\b[^>]*>.*?</\1:shape\s*>", vml, re.S)]
        for cell in cells:
            column, row = coordinate_from_string(cell)
            position = (row - 1, column_index_from_string(column) - 1)
            found = [shape for shape in shapes if _note_at(shape, x) == position]
            if len(found) != 1:
                raise _NotOurs("the comment's shape")
            vml = vml.replace(found[0], "", 1)
            shapes.remove(found[0])
        left = _children((_section(comments, "commentList") or _missing("commentList")).group(1) or "", "comment")
        dropped = set()
        if not left:
            self._remove_parts({comments_part})
            dropped.add(comments_rel["Id"])
            if not re.search(rf"<(?:{v}):shape\b", vml):  # no other shape (a form control, say) keeps the drawing
                self._remove_parts({vml_part})
                dropped.add(vml_rel["Id"])
                xml = xml.replace(legacy.group(0), "", 1)
        if comments_part not in self.removed:
            self.put(comments_part, comments)
        if vml_part not in self.removed:
            self.put(vml_part, vml)
        if dropped:
            self._drop_rels(_rels_name(path), dropped)
        return xml

    # -- the zip ---------------------------------------------------------------------------------------------

    def _zip(self) -> bytes:
        types = self.read("[Content_Types].xml")
        if types is None or not re.search(r"<Types\b", types):
            raise _NotOurs("prefixed content types")
        for part in self.removed:
            types = re.sub(rf"<Override\b[^>]*PartName\s*=\s*\"/{re.escape(part)}\"[^>]*?(?:/>|>\s*</Override\s*>)",
                           "", types, flags=re.I)
        self.put("[Content_Types].xml", types)
        if sum(len(body) for body in self.replaced.values()) > self.limits.max_total_bytes:
            raise _NotOurs("too large")
        return repacked(self.source, self.data, self.replaced, self.removed)


def _owner(rels: str) -> str:
    """The part a relationships part belongs to (``xl/_rels/workbook.xml.rels`` → ``xl/workbook.xml``)."""
    folder, name = posixpath.split(rels)
    return posixpath.join(posixpath.dirname(folder), name.removesuffix(".rels"))


def _fill(fill_xml: object) -> str | None:
    """The recorded fill as openpyxl writes it; None when the record keeps none (the cell keeps its fill). A fill that
    does not parse is a record edited by hand: openpyxl's route, which keeps the cell's fill, says what it does."""
    if not fill_xml:
        return None
    try:
        fill = Fill.from_tree(fromstring(str(fill_xml)))
    except Exception as error:
        raise _NotOurs("a recorded fill that does not parse") from error
    if fill is None:
        raise _NotOurs("an empty fill")  # openpyxl would set no fill at all
    return tostring(fill.to_tree()).decode()


def _merged_followers(xml: str, cells: set[str]) -> set[str]:
    """Those of ``cells`` inside one of the sheet's merged ranges other than at its top-left (openpyxl's MergedCell)."""
    ranges = [range_boundaries(ref) for ref in re.findall(r"<mergeCell\b[^>]*?\sref\s*=\s*\"([^\"]+)\"", xml)]
    followers = set()
    for cell in cells:
        letters, row = coordinate_from_string(cell)
        column = column_index_from_string(letters)
        if any(low_column <= column <= high_column and low_row <= row <= high_row
               and (row, column) != (low_row, low_column)
               for low_column, low_row, high_column, high_row in ranges):
            followers.add(cell)
    return followers


def _prefixes(vml: str, namespace: str, usual: str) -> str:
    """The prefixes of ``namespace`` in a VML drawing, as a regular expression: the one it declares (openpyxl writes
    ns1: and ns2:) and the usual one (v: or x:), which Excel reads undeclared and the in-place writer writes."""
    declared = re.findall(rf'xmlns:([\w.-]+)\s*=\s*"{re.escape(namespace)}"', vml)
    return "|".join(re.escape(prefix) for prefix in {*declared, usual})


def _note_at(shape: str, x: str) -> tuple[int, int] | None:
    """The (row, column), from 0, of the cell a comment's shape belongs to; None for another shape."""
    if not re.search(r"ObjectType\s*=\s*\"Note\"", shape):
        return None
    row = re.search(rf"<(?:{x}):Row>\s*(\d+)\s*</(?:{x}):Row>", shape)
    column = re.search(rf"<(?:{x}):Column>\s*(\d+)\s*</(?:{x}):Column>", shape)
    return (int(row.group(1)), int(column.group(1))) if row and column else None


def _missing(what: str):
    raise _NotOurs(what)
