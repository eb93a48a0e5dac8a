"""The marked-up copy written into the filler's own zip, the marks as edits to its parts.

Every part the marks do not need to change passes through byte for byte (images, charts, pivot tables,
slicers, x14 validations…).

What is edited: ``styles.xml`` gains fills, fonts, borders and cell formats at its end (the existing ones stay
as they are, so every cell keeps its own); a marked cell's ``s`` attribute in its sheet's XML (found by a regular
expression over the ``<c>`` start tags, never loaded as a tree); a marked sheet's comments and VML drawing are
added, or merged with its own; the results sheets and the hidden marks record are new parts (their model,
``write.sheet_model``, written as XML by ``write.sheet_xml``; where that cannot write them, built as openpyxl sheets in
a scratch workbook and serialised by ``write.scratch_xml``), with their relationships, content types and print
titles, their fonts, fills, borders and cell formats appended to the filler's ``styles.xml``; the workbook's
sheet-scoped names move with the sheets put in front. ``calcChain.xml`` is dropped: it is only Excel's cache of
the order it last calculated in, Excel rebuilds it without a word, and one that no longer matches the workbook's
sheets is what makes Excel offer a repair.

Whatever this writer cannot edit safely raises ``CannotEdit``; the caller then writes the copy with openpyxl. A
package whose parts bind the main namespace to a prefix (the Open XML SDK's ``<x:worksheet xmlns:x="…">``) is edited
once ``write.unprefixed`` has written those parts without it.

The marks record also keeps what it takes to undo these edits (``unmark``): a copy checked again has them taken
out of its parts — never through openpyxl, so that what openpyxl does not model survives a re-check too — as long
as the parts they touched are still as they were written. From a copy another program saved since (Excel, WPS and
LibreOffice rewrite every part) the marks are taken out cell by cell as ``write.marks.remove_marks`` takes them out,
still in its parts (``write.unmark_resaved``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import posixpath
import re
import zlib
from pathlib import PurePosixPath
from xml.sax.saxutils import escape, quoteattr
from zipfile import ZIP_STORED, ZipFile, ZipInfo

from defusedxml import ElementTree
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

from selfscore.read.lean import LeanWorkbook
from selfscore.read.safety import DEFAULT_LIMITS, Limits
from selfscore.results.report import PreviousCheck, Report
from selfscore.tables.names import MARKS_SHEET
from selfscore.write.marks import fingerprint_of, original_of, record_sheet, zip_stamp
from selfscore.write.markup import COMMENT_AUTHOR, cell_marks, comment_on, results_sheets
from selfscore.write.scratch_xml import ScratchParts, Unsupported
from selfscore.write.sheet_model import Book, to_workbook
from selfscore.write.sheet_xml import SheetParts
from selfscore.write.unprefixed import unprefixed
from selfscore.write.vml_blocks import idmap_blocks, separated, with_blocks
from selfscore.write.xlsx_bytes import workbook_bytes
from selfscore.write.zip_copy import Member, copy_zip

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_WORKSHEET_TYPE = _REL + "/worksheet"
_COMMENTS_TYPE = _REL + "/comments"
_VML_TYPE = _REL + "/vmlDrawing"
_CALC_CHAIN_TYPE = _REL + "/calcChain"
_VBA_TYPE = "http://schemas.microsoft.com/office/2006/relationships/vbaProject"
_THREADED_TYPE = "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment"
#: Excel 5 dialog sheets and Excel 4 macro sheets, which Excel drops from a macro-free workbook like a VBA project
_MACRO_SHEET_TYPES = ("/dialogsheet", "/xlMacrosheet", "/xlIntlMacrosheet")
_THREADED_REF = re.compile(r"<threadedComment\b[^>]*?\sref\s*=\s*\"([^\"]*)\"")
_WORKSHEET_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_COMMENTS_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
_VML_CT = "application/vnd.openxmlformats-officedocument.vmlDrawing"
_TEMPLATE_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml"
_SHEET_MAIN_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
#: the main part's content types of a template and of macro-enabled workbooks: the copy is an ordinary .xlsx
_OTHER_MAIN_CTS = (_TEMPLATE_CT, "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                   "application/vnd.ms-excel.template.macroEnabled.main+xml")
_MAX_EDITED_PART = 200 * 1024 * 1024  # a part larger than this is not rewritten as text: openpyxl writes the copy
#: the marks record's rows that say how to take the in-place edits out again: kind, code, and a chunk of text each
_RECORD_KIND, _RECORD_CODE, _RECORD_VERSION = "inplace", "edits", 1
_CHUNK = 30_000  # characters of the record in one cell (Excel holds 32 767)
_BOM = "\ufeff".encode()


class CannotEdit(Exception):
    """The workbook holds something this writer does not edit safely; write the copy with openpyxl instead."""


class _Prefixed(CannotEdit):
    """A part binds the main namespace to a prefix (``<x:workbook xmlns:x="…">``): ``write.unprefixed`` first."""


def mark_up_in_place(data: bytes, workbook: Workbook | LeanWorkbook, report: Report) -> bytes:
    """The marked-up copy of the .xlsx/.xltx ``data``, from which ``workbook`` was read (unmarked): by openpyxl's
    load, or by the lean reader with the cells' comments (``LeanWorkbook(comments=True)``). The workbook is only
    read, never changed, so that openpyxl's copy can start from it if this writer gives up."""
    try:
        try:
            return _Editor(data, workbook, report).write()
        except _Prefixed:  # the Open XML SDK's <x:worksheet xmlns:x="…">: edited once written without the prefix
            return _Editor(unprefixed(data, _MAX_EDITED_PART) or _fail("prefixed parts"), workbook, report).write()
    except CannotEdit:
        raise
    except Exception as error:  # anything unexpected in the parts: the caller falls back, never a broken copy
        raise CannotEdit(type(error).__name__) from error


# --- raw XML helpers -----------------------------------------------------------------------------------------

_ATTR = r'\s{name}\s*=\s*(["\'])(.*?)\1'


@functools.cache
def _attr_pattern(name: str) -> re.Pattern:
    return re.compile(_ATTR.format(name=re.escape(name)))  # compiled once: it runs on every cell of a marked sheet


def _attr(tag: str, name: str) -> str | None:
    match = _attr_pattern(name).search(tag)
    return match.group(2) if match else None


def _set_attr(tag: str, name: str, value: str) -> str:
    """The start tag ``tag`` with attribute ``name`` set to ``value`` (added before its end when absent)."""
    pattern = _attr_pattern(name)
    if pattern.search(tag):
        return pattern.sub(lambda _m: f' {name}="{value}"', tag, count=1)
    end = -2 if tag.endswith("/>") else -1
    return f'{tag[:end].rstrip()} {name}="{value}"{tag[end:]}'


def _drop_attr(tag: str, name: str) -> str:
    return _attr_pattern(name).sub("", tag, count=1)


def _section(xml: str, tag: str) -> re.Match | None:
    """The element ``tag`` (unprefixed) with its content; None when absent."""
    return re.search(rf"<{tag}\b[^>]*?(?:/>|>(.*?)</{tag}\s*>)", xml, re.S)


def _children(content: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}\b[^>]*?(?:/>|>.*?</{tag}\s*>)", content, re.S)


def _append_to(xml: str, tag: str, child: str, items: list[str]) -> tuple[str, int]:
    """Append ``items`` to the section ``tag`` and update its count; returns the new XML and the first new index."""
    match = _section(xml, tag)
    if match is None:
        raise CannotEdit(f"styles.xml has no {tag}")
    existing = len(_children(match.group(1) or "", child))
    if not items:
        return xml, existing
    start = re.match(rf"<{tag}\b[^>]*?/?>", match.group(0)).group(0)
    opened = start[:-2] + ">" if start.endswith("/>") else start
    opened = _set_attr(opened, "count", str(existing + len(items)))
    body = (match.group(1) or "") + "".join(items)
    return xml[:match.start()] + f"{opened}{body}</{tag}>" + xml[match.end():], existing


def _xml(part: bytes) -> str:
    if len(part) > _MAX_EDITED_PART:
        raise CannotEdit("part too large")
    text = part.decode("utf-8")  # a part in UTF-16 is valid but rare: openpyxl writes that copy
    return text.lstrip("\ufeff")


def _join(base: str, target: str) -> str:
    """A relationship's target as a zip member name, relative to the part at ``base``."""
    if target.startswith("/"):
        return target[1:]
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _rels_name(part: str) -> str:
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def _relationships(xml: str | None) -> list[dict[str, str]]:
    if not xml:
        return []
    root = ElementTree.fromstring(xml.encode())
    return [dict(rel.attrib) for rel in root if rel.tag == f"{{{_PKG_REL}}}Relationship"]


def _relation_id(tag: str) -> str | None:
    """The relationship id a start tag names (``r:id``, whatever the prefix), or None."""
    return next((value for _name, value in re.findall(r'\s([\w]+:id)\s*=\s*"([^"]*)"', tag)), None)


def _main_part(package_rels: str | None) -> str | None:
    """The workbook part the package's relationships (``_rels/.rels``) name, or None unless they name exactly one."""
    office = [rel for rel in _relationships(package_rels) if rel.get("Type") == _REL + "/officeDocument"]
    return _join("", office[0]["Target"]) if len(office) == 1 else None


def _free_id(taken: set[str], prefix: str = "rIdS") -> str:
    number = 1
    while f"{prefix}{number}" in taken:
        number += 1
    taken.add(f"{prefix}{number}")
    return f"{prefix}{number}"


def _free_part(names: set[str], pattern: str) -> str:
    number = 1
    while pattern.format(number) in names:
        number += 1
    names.add(pattern.format(number))
    return pattern.format(number)


def _add_rels(xml: str | None, rels: list[tuple[str, str, str]]) -> str:
    """The relationships part with (id, type, target) appended (created when absent)."""
    if xml is None:
        xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG_REL}"></Relationships>'
    added = "".join(f'<Relationship Id="{rid}" Type="{kind}" Target={quoteattr(target)}/>' for rid, kind, target in rels)
    if re.search(r"<Relationships\b[^>]*/>", xml):
        return re.sub(r"<Relationships\b([^>]*)/>", lambda m: f"<Relationships{m.group(1)}>{added}</Relationships>", xml)
    if "</Relationships>" not in xml:
        raise CannotEdit("relationships part")
    return xml.replace("</Relationships>", added + "</Relationships>")


# --- the editor ----------------------------------------------------------------------------------------------


class _Editor:
    def __init__(self, data: bytes, workbook: Workbook | LeanWorkbook, report: Report) -> None:
        self.data = data
        self.source = ZipFile(io.BytesIO(data))
        self.names = set(self.source.namelist())
        self.workbook = workbook
        self.report = report
        self.replaced: dict[str, bytes] = {}
        self.added: dict[str, bytes] = {}
        self.dropped: set[str] = set()
        #: relationships of the workbook part that go with a dropped part
        self.dropped_rels: set[str] = set()
        #: what a re-check restores of a part whose original referred to a dropped part: the original without that
        self.unmarked: dict[str, bytes] = {}
        #: the parts that begin with a byte order mark (EPPlus and the Open XML SDK before 2.8 write one on every
        #: part): an edited one keeps it, so that taking the edits out gives back its bytes
        self.marked_utf8: set[str] = set()

    def read(self, name: str) -> str | None:
        if name in self.replaced:
            return self.replaced[name].decode().lstrip("\ufeff")
        if name in self.added:
            return self.added[name].decode()
        if name not in self.names:
            return None
        body = self.source.read(name)
        if body.startswith(_BOM):
            self.marked_utf8.add(name)
        return _xml(body)

    def put(self, name: str, text: str) -> None:
        body = text.encode("utf-8")
        (self.replaced if name in self.names else self.added)[name] = _BOM + body if name in self.marked_utf8 else body

    def write(self) -> bytes:
        self._locate_parts()
        marks = cell_marks(self.workbook, self.report)
        fills: dict = {}
        originals = [original_of(self.workbook, sheet, cell, fills) for sheet, cell in marks]
        comments: dict[tuple[str, str], Comment] = {}
        written: dict[tuple[str, int, int], str] = {}  # the marks' comments, as the fingerprint reads the copy
        for (sheet, cell), (_colour, lines) in marks.items():
            target = self.workbook[sheet][cell]
            comments[(sheet, cell)] = comment_on(target, lines)
            written[(sheet, target.row, target.column)] = comments[(sheet, cell)].text

        copy_of = PurePosixPath(self.report.file).name
        book = results_sheets(self.report, self.workbook.sheetnames)
        fingerprint = fingerprint_of([*self.workbook.worksheets, *book.worksheets], written)
        record_sheet(book, originals, [(f.code, f.sheet or "", f.cell or "", f.message) for f in self.report.findings],
                     copy_of, fingerprint)
        try:
            added: SheetParts | _ScratchSheets = SheetParts(book)
        except Unsupported:  # built as openpyxl sheets and serialised from those
            added = _ScratchSheets(book)

        fill_xfs = self._styles(added, {colour for colour, _lines in marks.values()}, marks)
        self.mark_xfs = {index: style for (style, _colour), index in fill_xfs.items()}
        self.sheet_edits: dict[str, dict] = {}
        by_sheet: dict[str, dict[str, tuple[int, str | None]]] = {}
        for (sheet, cell), (colour, _lines) in marks.items():
            by_sheet.setdefault(sheet, {})[cell] = (colour, None)
        self._separate_drawings()
        self._shape_ids = self._vml_ids()
        for title, path in self.sheet_parts.items():
            self._edit_sheet(title, path, by_sheet.get(title, {}), fill_xfs,
                             {cell: comments[(title, cell)] for cell in by_sheet.get(title, {})})
        self._graft(added, book.sheetnames)
        return self._zip(zip_stamp(copy_of))

    # -- the package -----------------------------------------------------------------------------------------

    def _locate_parts(self) -> None:
        if "[Content_Types].xml" not in self.names:
            raise CannotEdit("no content types")
        self.book_part = _main_part(self.read("_rels/.rels")) or _fail("workbook part")
        self.book_rels_part = _rels_name(self.book_part)
        self.book_xml = self.read(self.book_part)
        if self.book_xml is None or not re.search(r"<workbook\b", self.book_xml):
            raise _Prefixed("workbook prefix")  # a prefixed (or Strict) workbook: openpyxl's copy
        self.book_rels = _relationships(self.read(self.book_rels_part))
        self._drop_macros()
        targets = {rel["Id"]: rel for rel in self.book_rels}
        self.sheet_parts: dict[str, str] = {}
        sheets = _section(self.book_xml, "sheets")
        for tag in re.findall(r"<sheet\b[^>]*>", sheets.group(1) if sheets else ""):
            rid = _relation_id(tag)
            rel = targets.get(rid or "")
            if rel is None:
                raise CannotEdit("sheet relationship")
            if rel.get("Type", "").endswith(_MACRO_SHEET_TYPES):
                raise CannotEdit("a dialog or macro sheet")  # an .xlsx cannot hold one: openpyxl's copy, and its note
            if rel.get("Type") == _WORKSHEET_TYPE:
                self.sheet_parts[_unescape(_attr(tag, "name") or "")] = _join(self.book_part, rel["Target"])
        if set(self.sheet_parts) != {sheet.title for sheet in self.workbook.worksheets} - {MARKS_SHEET}:
            raise CannotEdit("sheets differ from what openpyxl read")
        self.styles_part = next((_join(self.book_part, rel["Target"]) for rel in self.book_rels
                                 if rel.get("Type") == _REL + "/styles"), None)
        if self.styles_part is None or self.styles_part not in self.names:
            raise CannotEdit("no styles part")

    def _drop_macros(self) -> None:
        """The copy is an .xlsx: an .xlsm's (or a stray) VBA project and its signatures are left out, as the report
        says (``macros_not_kept``, or ``content_not_preserved`` for an .xlsx that holds one)."""
        for rel in self.book_rels:
            if rel.get("Type") == _VBA_TYPE:
                project = _join(self.book_part, rel["Target"])
                self.dropped.add(project)
                self.dropped_rels.add(rel["Id"])
                project_rels = _rels_name(project)
                if project_rels in self.names:
                    self.dropped.add(project_rels)
                    self.dropped |= {_join(project, signature["Target"])
                                     for signature in _relationships(self.read(project_rels))}
        self.dropped |= {name for name in self.names if name.lower().endswith("vbaproject.bin")}

    # -- styles --------------------------------------------------------------------------------------------------

    def _styles(self, added: SheetParts | _ScratchSheets, colours: set[str], marks) -> dict[tuple[int, str], int]:
        """Append the added sheets' styles and one format per (original format, fill colour) of a marked cell;
        returns the new index of each such pair and sets ``self.xf_offset`` for the grafted sheets."""
        styles = self.read(self.styles_part)
        if not re.search(r"<styleSheet\b", styles):
            raise _Prefixed("styles prefix")
        scratch_fonts, scratch_borders, scratch_fills, scratch_xfs = added.styles
        originals = _children((_section(styles, "cellXfs") or _fail("cellXfs")).group(1) or "", "xf")
        if not originals:
            raise CannotEdit("no cell formats")
        fills = [f'<fill><patternFill patternType="solid"><fgColor rgb="FF{colour}"/><bgColor indexed="64"/>'
                 f"</patternFill></fill>" for colour in sorted(colours)]
        styles, font_offset = _append_to(styles, "fonts", "font", scratch_fonts)
        styles, border_offset = _append_to(styles, "borders", "border", scratch_borders)
        styles, fill_offset = _append_to(styles, "fills", "fill", scratch_fills + fills)
        colour_fill = {colour: fill_offset + len(scratch_fills) + i for i, colour in enumerate(sorted(colours))}

        def moved(xf: str) -> str:
            start = re.match(r"<xf\b[^>]*?/?>", xf).group(0)
            tag = start
            for name, offset in (("fontId", font_offset), ("borderId", border_offset), ("fillId", fill_offset)):
                value = _attr(tag, name)
                if value is not None:
                    tag = _set_attr(tag, name, str(int(value) + offset))
            tag = _set_attr(tag, "xfId", "0")
            return tag + xf[len(start):]

        xfs = [moved(xf) for xf in scratch_xfs]
        self.xf_count = len(originals)
        wanted: dict[tuple[int, str], int] = {}
        for (sheet, cell), (colour, _lines) in marks.items():
            wanted.setdefault((self._style_index(sheet, cell), colour), -1)
        pairs = sorted(wanted)
        for style, colour in pairs:
            xf = originals[style]
            start = re.match(r"<xf\b[^>]*?/?>", xf).group(0)
            tag = _set_attr(_set_attr(start, "fillId", str(colour_fill[colour])), "applyFill", "1")
            xfs.append(tag + xf[len(start):])
        styles, xf_offset = _append_to(styles, "cellXfs", "xf", xfs)
        self.xf_offset = xf_offset
        self.put(self.styles_part, styles)
        return {pair: xf_offset + len(scratch_xfs) + i for i, pair in enumerate(pairs)}

    def _style_index(self, sheet: str, cell: str) -> int:
        style = self._cell_style(sheet, cell)
        return style if style < self.xf_count else 0

    def _cell_style(self, sheet: str, cell: str) -> int:
        """The cell's format index as written in its sheet (0 when it has none or does not exist)."""
        if not hasattr(self, "_styles_read"):
            self._styles_read: dict[str, dict[str, int]] = {}
        if sheet not in self._styles_read:
            xml = self.read(self.sheet_parts[sheet])
            found = {}
            for tag in _CELL_TAG.findall(xml):
                ref = _attr(tag, "r")
                if ref is None:
                    raise CannotEdit("a cell without its reference")
                found[ref] = int(_attr(tag, "s") or 0)
            self._styles_read[sheet] = found
        return self._styles_read[sheet].get(cell, 0)

    # -- the original sheets -------------------------------------------------------------------------------------

    def _edit_sheet(self, title: str, path: str, cells: dict, fill_xfs: dict[tuple[int, str], int],
                    comments: dict) -> None:
        xml = self.read(path)
        if not re.search(r"<worksheet\b", xml):
            raise _Prefixed("worksheet prefix")
        original = xml
        edits = self.sheet_edits[path] = {"views": [], "cells": [], "rows": [], "legacy": None}

        def view(match: re.Match) -> str:
            tag = match.group(0)
            unselected = _drop_attr(tag, "tabSelected")
            if unselected != tag:
                edits["views"].append([unselected, tag])
            return unselected

        # only the results sheet is selected: a second selected tab would group the sheets in Excel
        xml = re.sub(r"<sheetView\b[^>]*>", view, xml)
        if cells:
            xml = _restyle(xml, {cell: fill_xfs[(self._style_index(title, cell), colour)]
                                 for cell, (colour, _none) in cells.items()}, edits)
            xml = self._comments(path, xml, comments)
        if xml != original:
            self.put(path, xml)

    def _separate_drawings(self) -> None:
        """Comment drawings that share shape ids (ExcelJS numbers every sheet's notes alike) or hold shapes outside
        their own blocks (SheetJS) get blocks of their own (``write.vml_blocks``), before the marks add their shapes;
        the record restores them as they were."""
        names = [name for name in self.names if name.lower().endswith(".vml")]
        if not names:
            return
        try:
            drawings = {name: self.read(name) for name in names}
        except (UnicodeDecodeError, CannotEdit):  # not UTF-8, or too large: left as they are
            return
        for name, vml in separated(drawings).items():
            self.put(name, vml)

    def _vml_ids(self) -> list[int]:
        """[next free shape number, next free idmap block] over every VML drawing of the workbook."""
        highest, block = 1024, 0
        for name in self.names:
            if name.lower().endswith(".vml"):
                text = (self.replaced.get(name) or self.source.read(name)).decode("utf-8", "replace")
                for number in re.findall(r"_x0000_s(\d+)", text):
                    highest = max(highest, int(number))
                block = max([block, *(idmap_blocks(text) or ())])
        return [highest + 1, block + 1]

    def _comments(self, path: str, xml: str, comments: dict) -> str:
        rels_part = _rels_name(path)
        rels_xml = self.read(rels_part)
        rels = _relationships(rels_xml)
        for rel in rels:  # Excel 365's threaded comments stay; a marked cell's own cannot take the marks' note
            if rel.get("Type") == _THREADED_TYPE:
                threaded = self.read(_join(path, rel["Target"]))
                if threaded is None or set(comments) & set(_THREADED_REF.findall(threaded)):
                    raise CannotEdit("threaded comments on a marked cell")
        comments_rel = next((rel for rel in rels if rel.get("Type") == _COMMENTS_TYPE), None)
        legacy = re.search(r"<legacyDrawing\b[^>]*>", xml)
        vml_rel = None
        if legacy is not None:
            rid = _relation_id(legacy.group(0))
            vml_rel = next((rel for rel in rels if rel.get("Id") == rid), None)
            if vml_rel is None:
                raise CannotEdit("legacy drawing relationship")
        new_rels = []
        taken = {rel["Id"] for rel in rels}
        names = self.names | set(self.added)

        existing = {}
        if comments_rel is not None:
            comments_part = _join(path, comments_rel["Target"])
            comments_xml = self.read(comments_part)
            if comments_xml is None or not re.search(r"<comments\b", comments_xml):
                raise _Prefixed("comments prefix")
            for element in _children((_section(comments_xml, "commentList") or _fail("commentList")).group(1) or "",
                                     "comment"):
                existing[_attr(re.match(r"<comment\b[^>]*>", element).group(0), "ref")] = element
        else:
            comments_part = _free_part(names, "xl/comments{}.xml")
            comments_xml = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<comments xmlns="{_MAIN}">' \
                           f"<authors></authors><commentList></commentList></comments>"
            new_rels.append((_free_id(taken), _COMMENTS_TYPE, _relative(path, comments_part)))
            self._content_type(comments_part, _COMMENTS_CT)
        authors = _section(comments_xml, "authors")
        author_list = _children(authors.group(1) or "", "author") if authors else []
        ours = f"<author>{escape(COMMENT_AUTHOR)}</author>"
        if ours in author_list:  # one name once in the list
            author_id = author_list.index(ours)
        else:
            author_id = len(author_list)
            comments_xml, _ = _append_list(comments_xml, "authors", [ours])
        fresh = []
        for cell, comment in comments.items():
            element = (f'<comment ref="{cell}" authorId="{author_id}"><text><t xml:space="preserve">'
                       f"{_text(comment.text)}</t></text></comment>")
            if cell in existing:
                comments_xml = comments_xml.replace(existing[cell], element, 1)
            else:
                fresh.append(element)
        comments_xml, _ = _append_list(comments_xml, "commentList", fresh)
        self.put(comments_part, comments_xml)

        fresh_cells = [cell for cell in comments if cell not in existing]
        if vml_rel is not None:
            vml_part = _join(path, vml_rel["Target"])
            vml = self.read(vml_part)
            if vml is None or "</xml>" not in vml:
                raise CannotEdit("VML drawing")
            numbers, blocks = self._numbers(len(fresh_cells), idmap_blocks(vml))
            shapes = ("" if "_x0000_t202" in vml else _SHAPE_TYPE) + "".join(
                self._shape(cell, comments[cell], number) for cell, number in zip(fresh_cells, numbers, strict=True))
            vml = _with_vml_prefixes(vml) if fresh_cells else vml
            vml = with_blocks(vml, blocks) if blocks else vml
            index = vml.rindex("</xml>")
            self.put(vml_part, vml[:index] + shapes + vml[index:])
        elif fresh_cells or existing:
            if existing:
                raise CannotEdit("comments without their drawing")
            vml_part = _free_part(names, "xl/drawings/vmlDrawing{}.vml")
            numbers, blocks = self._numbers(len(fresh_cells), set())
            shapes = "".join(self._shape(cell, comments[cell], number) for cell, number in zip(fresh_cells, numbers, strict=True))
            vml = (f'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
                   f'xmlns:x="urn:schemas-microsoft-com:office:excel"><o:shapelayout v:ext="edit">'
                   f'<o:idmap v:ext="edit" data="{",".join(map(str, blocks))}"/></o:shapelayout>{_SHAPE_TYPE}{shapes}</xml>')
            self.put(vml_part, vml)
            rid = _free_id(taken)
            new_rels.append((rid, _VML_TYPE, _relative(path, vml_part)))
            self._default_type("vml", _VML_CT)
            xml = _insert_legacy_drawing(xml, rid)
            self.sheet_edits[path]["legacy"] = _legacy_element(rid)
        if new_rels:
            self.put(rels_part, _add_rels(rels_xml, new_rels))
        return xml

    def _numbers(self, count: int, blocks: set[int] | None) -> tuple[list[int], list[int]]:
        """``count`` new shape numbers for a VML drawing whose id blocks (``o:idmap``) are ``blocks`` (None: it names
        none), and the blocks it must name besides: the workbook's next numbers while they stay inside its blocks,
        else numbers in blocks no drawing has yet (Excel numbers a drawing's shapes inside its own blocks)."""
        start = self._shape_ids[0]
        if blocks is None or all((start + offset) // 1024 in blocks for offset in range(count)):
            self._shape_ids[0] += count
            return list(range(start, start + count)), []
        numbers: list[int] = []
        fresh: list[int] = []
        while len(numbers) < count or not fresh:
            block = self._shape_ids[1]
            self._shape_ids[1] += 1
            fresh.append(block)
            numbers += range(block * 1024 + 1, block * 1024 + 1 + min(1023, count - len(numbers)))
        self._shape_ids[0] = max(self._shape_ids[0], numbers[-1] + 1 if numbers else 0)
        return numbers, fresh

    def _shape(self, cell: str, comment, number: int) -> str:
        column, row = coordinate_from_string(cell)
        col = column_index_from_string(column) - 1
        width, height = comment.width or 144, comment.height or 79
        return (f'<v:shape id="_x0000_s{number}" type="#_x0000_t202" style="position:absolute;margin-left:59.25pt;'
                f'margin-top:1.5pt;width:{width}px;height:{height}px;z-index:{number};visibility:hidden" '
                f'fillcolor="#ffffe1" o:insetmode="auto"><v:fill color2="#ffffe1"/><v:shadow color="black" obscured="t"/>'
                f'<v:path o:connecttype="none"/><v:textbox style="mso-direction-alt:auto"><div style="text-align:left"/>'
                f'</v:textbox><x:ClientData ObjectType="Note"><x:MoveWithCells/><x:SizeWithCells/>'
                f"<x:Anchor>{col + 1}, 15, {row - 1}, 2, {col + 5}, 15, {row + 8}, 16</x:Anchor>"
                f"<x:AutoFill>False</x:AutoFill><x:Row>{row - 1}</x:Row><x:Column>{col}</x:Column></x:ClientData>"
                f"</v:shape>")

    # -- the added sheets ----------------------------------------------------------------------------------------

    def _graft(self, added: SheetParts | _ScratchSheets, titles: list[str]) -> None:
        taken_names = set(self.workbook.sheetnames) - {MARKS_SHEET}
        if taken_names & set(titles):
            raise CannotEdit("a sheet already has a results sheet's name")
        book = self.book_xml
        rel_taken = {rel["Id"] for rel in self.book_rels}
        sheet_ids = [int(value) for value in re.findall(r"<sheet\b[^>]*?\ssheetId\s*=\s*\"(\d+)\"", book)]
        next_id = max(sheet_ids, default=0) + 1
        names = self.names | set(self.added)
        front, back, new_rels = [], [], []
        prefix = _prefix_of(book, _REL)
        for index, title in enumerate(titles):
            part = _free_part(names, "xl/worksheets/sheet{}.xml")
            self.put(part, added.sheet(index, self.xf_offset))
            self._content_type(part, _WORKSHEET_CT)
            rid = _free_id(rel_taken)
            new_rels.append((rid, _WORKSHEET_TYPE, _relative(self.book_part, part)))
            state = ' state="veryHidden"' if title == MARKS_SHEET else ""
            rel_attr = f'{prefix}:id="{rid}"' if prefix else f'xmlns:r="{_REL}" r:id="{rid}"'
            entry = f"<sheet name={quoteattr(title)} sheetId=\"{next_id}\"{state} {rel_attr}/>"
            next_id += 1
            (back if title == MARKS_SHEET else front).append(entry)
            if title == MARKS_SHEET:
                self.marks_part = part
        shift = len(front)

        book = re.sub(r"<definedName\b[^>]*>", lambda m: _shift_local(m.group(0), shift), book)
        titles = [name for name in added.print_titles()
                  if _attr(name, "localSheetId") is not None and int(_attr(name, "localSheetId")) < shift]
        if titles:
            names_section = _section(book, "definedNames")
            if names_section is not None:
                book, _ = _append_list(book, "definedNames", titles)
            else:
                anchor = max((m.end() for m in re.finditer(
                    r"</sheets>|</functionGroups>|<functionGroups\b[^>]*/>|</externalReferences>", book)), default=None)
                if anchor is None:
                    raise CannotEdit("workbook without sheets")
                book = book[:anchor] + "<definedNames>" + "".join(titles) + "</definedNames>" + book[anchor:]
        sheets = _section(book, "sheets")
        start = re.match(r"<sheets\b[^>]*>", sheets.group(0)).group(0)
        book = (book[:sheets.start()] + start + "".join(front) + (sheets.group(1) or "") + "".join(back) + "</sheets>"
                + book[sheets.end():])
        book = re.sub(r"<workbookView\b[^>]*>",
                      lambda m: _set_attr(_drop_attr(m.group(0), "firstSheet"), "activeTab", "0"), book)
        self.put(self.book_part, book)

        rels_xml = self.read(self.book_rels_part)
        for rel in self.book_rels:
            if rel.get("Type") == _CALC_CHAIN_TYPE:
                self.dropped.add(_join(self.book_part, rel["Target"]))
                self.dropped_rels.add(rel["Id"])
            if rel["Id"] in self.dropped_rels:
                rels_xml = re.sub(rf"<Relationship\b[^>]*\bId\s*=\s*\"{re.escape(rel['Id'])}\"[^>]*/>", "", rels_xml)
        if self.dropped_rels:
            self.unmarked[self.book_rels_part] = rels_xml.encode("utf-8")
        self.put(self.book_rels_part, _add_rels(rels_xml, new_rels))

    # -- content types and the zip -----------------------------------------------------------------------------

    def _types(self) -> str:
        if not hasattr(self, "_types_xml"):
            self._types_xml = self.read("[Content_Types].xml")
            if not re.search(r"<Types\b", self._types_xml):
                raise CannotEdit("content types prefix")
        return self._types_xml

    def _content_type(self, part: str, content_type: str) -> None:
        self._types_xml = self._types().replace(
            "</Types>", f'<Override PartName="/{part}" ContentType="{content_type}"/></Types>')

    def _default_type(self, extension: str, content_type: str) -> None:
        types = self._types()
        if not re.search(rf"<Default\b[^>]*Extension\s*=\s*\"{extension}\"", types, re.I):
            self._types_xml = types.replace("</Types>", f'<Default Extension="{extension}" ContentType="{content_type}"/></Types>')

    def _copy_types(self, types: str) -> str:
        """The content types with the dropped parts' overrides taken out and the main part an ordinary workbook's."""
        for part in self.dropped:
            types = re.sub(rf"<Override\b[^>]*PartName\s*=\s*\"/{re.escape(part)}\"[^>]*/>", "", types)
        book_type = f'PartName="/{self.book_part}"'
        return re.sub(rf"<Override\b[^>]*{re.escape(book_type)}[^>]*/>",
                      lambda m: re.sub("|".join(map(re.escape, _OTHER_MAIN_CTS)), _SHEET_MAIN_CT, m.group(0)), types)

    def _zip(self, stamp) -> bytes:
        self.replaced["[Content_Types].xml"] = self._copy_types(self._types()).encode("utf-8")
        original = _xml(self.source.read("[Content_Types].xml"))
        if self._copy_types(original) != original:
            self.unmarked["[Content_Types].xml"] = self._copy_types(original).encode("utf-8")
        self._record_edits()
        members: list[Member] = [(info, self.replaced.get(info.filename)) for info in self.source.infolist()
                                 if info.filename not in self.dropped]
        members += [(ZipInfo(name, (1980, 1, 1, 0, 0, 0)), body) for name, body in self.added.items()]
        return copy_zip(self.source, self.data, members, stamp)

    def _record_edits(self) -> None:
        """Add to the marks record what re-checking the copy needs to take these edits out again (``unmark``): each
        edited part's original (compressed) with a digest of it as written, unless it is a sheet the filler may
        still edit, whose own edits are listed instead; and the parts added."""
        record = {
            "version": _RECORD_VERSION,
            "restore": {name: [hashlib.sha256(body).hexdigest(), _pack(self.unmarked.get(name) or self.source.read(name))]
                        for name, body in self.replaced.items() if name not in self.sheet_edits},
            "remove": sorted(self.added),
            "sheets": self.sheet_edits,
            "xfs": self.xf_count,
            "mark_xfs": self.mark_xfs,
        }
        text = _pack(json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode())
        chunks = [text[start:start + _CHUNK] for start in range(0, len(text), _CHUNK)]
        sheet = self.added[self.marks_part].decode()
        last = max((int(row) for row in re.findall(r"<row\b[^>]*?\sr=\"(\d+)\"", sheet)), default=0)
        rows = "".join(
            f'<row r="{last + index}"><c r="A{last + index}" t="inlineStr"><is><t>{_RECORD_KIND}</t></is></c>'
            f'<c r="G{last + index}" t="inlineStr"><is><t>{_RECORD_CODE}</t></is></c>'
            f'<c r="H{last + index}" t="inlineStr"><is><t>{chunk}</t></is></c></row>'
            for index, chunk in enumerate(chunks, start=1))
        if "</sheetData>" not in sheet:
            raise CannotEdit("marks record")
        sheet = sheet.replace("</sheetData>", rows + "</sheetData>", 1)
        sheet = re.sub(r'<dimension ref="A1:H\d+"/>', f'<dimension ref="A1:H{last + len(chunks)}"/>', sheet, count=1)
        self.added[self.marks_part] = sheet.encode()


def _pack(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data, 6)).decode("ascii")


def _fail(what: str):
    raise CannotEdit(what)


_CELL_TAG = re.compile(r"<c\b[^>]*>")
_SHAPE_TYPE = ('<v:shapetype id="_x0000_t202" coordsize="21600,21600" o:spt="202" path="m,l,21600r21600,l21600,xe">'
               '<v:stroke joinstyle="miter"/><v:path gradientshapeok="t" o:connecttype="rect"/></v:shapetype>')


_VML_PREFIXES = {"v": "urn:schemas-microsoft-com:vml", "o": "urn:schemas-microsoft-com:office:office",
                 "x": "urn:schemas-microsoft-com:office:excel"}


def _with_vml_prefixes(vml: str) -> str:
    """A VML drawing whose root declares the v:, o: and x: prefixes the marks' shapes are written with (openpyxl's
    drawings call them ns0:, ns1: and ns2:; shapes with prefixes nobody declared are not XML)."""
    root = re.search(r"<xml\b[^>]*>", vml) or _fail("VML root")
    tag = root.group(0)
    for prefix, namespace in _VML_PREFIXES.items():
        declared = _attr(tag, f"xmlns:{prefix}")
        if declared is None:
            tag = _set_attr(tag, f"xmlns:{prefix}", namespace)
        elif declared != namespace:
            raise CannotEdit("VML prefixes")
    return vml[:root.start()] + tag + vml[root.end():]


def _unescape(text: str) -> str:
    return (text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&apos;", "'")
            .replace("&amp;", "&"))


def _text(text: str) -> str:
    return escape(text).replace("\r", "&#13;")


def _relative(base: str, part: str) -> str:
    return posixpath.relpath(part, posixpath.dirname(base))


def _prefix_of(xml: str, namespace: str) -> str | None:
    root = re.search(r"<workbook\b[^>]*>", xml).group(0)
    match = re.search(rf'xmlns:(\w+)\s*=\s*"{re.escape(namespace)}"', root)
    return match.group(1) if match else None


def _shift_local(tag: str, shift: int) -> str:
    value = _attr(tag, "localSheetId")
    return tag if value is None or not shift else _set_attr(tag, "localSheetId", str(int(value) + shift))


def _append_list(xml: str, tag: str, items: list[str]) -> tuple[str, int]:
    """Append ``items`` inside the element ``tag`` (opening it when self-closed); count attributes stay as they are."""
    match = _section(xml, tag)
    if match is None:
        raise CannotEdit(f"no {tag}")
    start = re.match(rf"<{tag}\b[^>]*?/?>", match.group(0)).group(0)
    opened = start[:-2] + ">" if start.endswith("/>") else start
    return xml[:match.start()] + opened + (match.group(1) or "") + "".join(items) + f"</{tag}>" + xml[match.end():], 0


class _ScratchSheets:
    """The added sheets built as openpyxl sheets in a scratch workbook and serialised (``ScratchParts``, or
    openpyxl's own writer where that gives up), read back as ``SheetParts`` gives them."""

    def __init__(self, book: Book) -> None:
        scratch = Workbook()
        to_workbook(scratch, book.created)
        scratch.remove(scratch["Sheet"])
        try:
            self.parts: ScratchParts | ZipFile = ScratchParts(scratch)
        except Unsupported:  # openpyxl's own writer, read back at once
            self.parts = ZipFile(io.BytesIO(workbook_bytes(scratch, compression=ZIP_STORED)))
        styles = self.parts.read("xl/styles.xml").decode()
        if "<numFmt " in styles:
            raise CannotEdit("number formats in the results sheets")
        self.styles = tuple(_children(_section(styles, section).group(1), child)
                            for section, child in (("fonts", "font"), ("borders", "border"), ("fills", "fill"),
                                                   ("cellXfs", "xf")))
        self.strings = []
        if "xl/sharedStrings.xml" in self.parts.namelist():
            self.strings = re.findall(r"<si>(.*?)</si>", self.parts.read("xl/sharedStrings.xml").decode(), re.S)

    def sheet(self, index: int, offset: int) -> str:
        if _rels_name(f"xl/worksheets/sheet{index + 1}.xml") in self.parts.namelist():
            raise CannotEdit("a results sheet with relationships")
        return _inline(self.parts.read(f"xl/worksheets/sheet{index + 1}.xml").decode(), self.strings, offset)

    def print_titles(self) -> list[str]:
        return re.findall(r"<definedName\b[^>]*>.*?</definedName>", self.parts.read("xl/workbook.xml").decode(), re.S)


_SCRATCH_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", re.S)


def _inline(sheet: str, strings: list[str], offset: int) -> str:
    """A scratch sheet's XML with its shared strings written inline and its formats moved by ``offset``."""

    def cell(match: re.Match) -> str:
        tag, body = f"<c{match.group(1)}>", match.group(2)
        style = _attr(tag, "s")
        if style is not None:
            tag = _set_attr(tag, "s", str(int(style) + offset))
        if body is None:
            return tag[:-1] + "/>"
        if _attr(tag, "t") == "s":
            index = int(re.search(r"<v>(\d+)</v>", body).group(1))
            return _set_attr(tag, "t", "inlineStr") + f"<is>{strings[index]}</is></c>"
        return tag + body + "</c>"

    sheet = _SCRATCH_CELL.sub(cell, sheet)
    return re.sub(r"<(row|col)\b[^>]*>", lambda m: _move_row_style(m.group(0), offset), sheet)


def _move_row_style(tag: str, offset: int) -> str:
    name = "s" if tag.startswith("<row") else "style"
    value = _attr(tag, name)
    return tag if value is None else _set_attr(tag, name, str(int(value) + offset))


def _restyle(xml: str, styles: dict[str, int], edits: dict) -> str:
    """The sheet's XML with each cell of ``styles`` given its new format; a cell not written yet is added.
    ``edits`` records each cell's format before ([cell, old s or None, new s, added]) and the rows added."""
    left = dict(styles)

    def cell(match: re.Match) -> str:
        tag = match.group(0)
        ref = _attr(tag, "r")
        if ref in left:
            style = left.pop(ref)
            edits["cells"].append([ref, _attr(tag, "s"), style, False])
            return _set_attr(tag, "s", str(style))
        return tag

    xml = _CELL_TAG.sub(cell, xml)
    if left:
        edits["cells"] += [[ref, None, style, True] for ref, style in left.items()]
        xml = _add_cells(xml, left, edits["rows"])
    return xml


def _add_cells(xml: str, cells: dict[str, int], rows_added: list[int]) -> str:
    by_row: dict[int, list[tuple[int, str, int]]] = {}
    for ref, style in cells.items():
        column, row = coordinate_from_string(ref)
        by_row.setdefault(row, []).append((column_index_from_string(column), ref, style))
    data = _section(xml, "sheetData")
    if data is None:
        raise CannotEdit("no sheetData")
    body = data.group(1) or ""
    for row, wanted in sorted(by_row.items()):
        new_cells = sorted(wanted)
        found = re.search(rf"<row\b[^>]*?\sr\s*=\s*\"{row}\"[^>]*?(/>|>(.*?)</row>)", body, re.S)
        if found is None:
            rows = [(int(_attr(m.group(0), "r") or _fail("row without number")), m.start())
                    for m in re.finditer(r"<row\b[^>]*>", body)]
            position = next((start for number, start in rows if number > row), len(body))
            element = f'<row r="{row}">' + "".join(f'<c r="{ref}" s="{style}"/>' for _c, ref, style in new_cells) + "</row>"
            rows_added.append(row)
            body = body[:position] + element + body[position:]
            continue
        start_tag = re.match(r"<row\b[^>]*?/?>", found.group(0)).group(0)
        content = found.group(2) or ""
        for column, ref, style in new_cells:
            position = len(content)
            for tag in re.finditer(r"<c\b[^>]*>", content):
                other, _row = coordinate_from_string(_attr(tag.group(0), "r") or _fail("cell without reference"))
                if column_index_from_string(other) > column:
                    position = tag.start()
                    break
            content = content[:position] + f'<c r="{ref}" s="{style}"/>' + content[position:]
        opened = start_tag[:-2] + ">" if start_tag.endswith("/>") else start_tag
        body = body[:found.start()] + opened + content + "</row>" + body[found.end():]
    start = re.match(r"<sheetData\b[^>]*?/?>", data.group(0)).group(0)
    opened = start[:-2] + ">" if start.endswith("/>") else start
    return xml[:data.start()] + opened + body + "</sheetData>" + xml[data.end():]


#: what comes before legacyDrawing in a worksheet (ECMA-376 CT_Worksheet), each as it ends: written empty
#: (``<pageMargins …/>``) or with an end tag (``<pageMargins …></pageMargins>``, as excelize writes every element)
_BEFORE_LEGACY_NAMES = ("sheetCalcPr|sheetProtection|protectedRanges|scenarios|autoFilter|sortState|dataConsolidate|"
                        "customSheetViews|mergeCells|phoneticPr|conditionalFormatting|dataValidations|hyperlinks|"
                        "printOptions|pageMargins|pageSetup|headerFooter|rowBreaks|colBreaks|customProperties|"
                        "cellWatches|ignoredErrors|smartTags|drawing")
_BEFORE_LEGACY = re.compile(rf"</sheetData>|<sheetData\b[^>]*/>|</(?:{_BEFORE_LEGACY_NAMES})>|"
                            rf"<(?:{_BEFORE_LEGACY_NAMES})\b[^>]*/>")


def _legacy_element(rid: str) -> str:
    return f'<legacyDrawing xmlns:r="{_REL}" r:id="{rid}"/>'


def _insert_legacy_drawing(xml: str, rid: str) -> str:
    element = _legacy_element(rid)
    anchor = max((match.end() for match in _BEFORE_LEGACY.finditer(xml)), default=None)
    if anchor is None:
        raise CannotEdit("worksheet without sheetData")
    return xml[:anchor] + element + xml[anchor:]


# --- checking a copy again: the edits taken out -----------------------------------------------------------------


def unmark(data: bytes, limits: Limits = DEFAULT_LIMITS) -> tuple[bytes, PreviousCheck] | None:
    """The workbook a copy this writer made was made from, with the filler's later changes to its cells kept,
    and what that check found; None when ``data`` is not such a copy, or when a part the marks edited is no
    longer as they left it (a program saved the copy again: ``write.unmark_resaved`` then removes its marks).

    Exactly the edits are taken out: the marked cells get their own format (``s``) back, and a cell the marks
    added is removed again; the parts the marks changed (styles, workbook, relationships, content types,
    comments and drawings that were there) are restored from the record, and the parts they added (the results
    sheets, the record itself, comments and drawings of their own) are removed. Nothing else is touched: images,
    charts and pivot tables pass through. Only the dropped ``calcChain.xml`` is not put back (Excel rebuilds it).
    ``data`` has been through the safety checks; what it restores is held to the same caps (each part, all of
    them) and checked again by the caller."""
    try:
        return _unmark(data, limits)
    except Exception:  # anything unexpected: not provably ours, openpyxl removes the marks
        return None


def _unmark(data: bytes, limits: Limits) -> tuple[bytes, PreviousCheck] | None:
    source = ZipFile(io.BytesIO(data))
    names = set(source.namelist())
    book_part = _main_part(_xml(source.read("_rels/.rels"))) if "_rels/.rels" in names else None
    if book_part is None:
        return None
    book = _xml(source.read(book_part)) if book_part in names else ""
    sheets = _section(book, "sheets")
    tag = next((tag for tag in re.findall(r"<sheet\b[^>]*>", sheets.group(1) or "" if sheets else "")
                if _unescape(_attr(tag, "name") or "") == MARKS_SHEET), None)
    rels_part = _rels_name(book_part)
    if tag is None or rels_part not in names:
        return None
    rid = _relation_id(tag)
    rel = next((rel for rel in _relationships(_xml(source.read(rels_part))) if rel.get("Id") == rid), None)
    if rel is None or _join(book_part, rel["Target"]) not in names:
        return None
    rows = _record_rows(source.read(_join(book_part, rel["Target"])))
    packed = "".join(row.get("H", "") for row in rows if row.get("A") == _RECORD_KIND and row.get("G") == _RECORD_CODE)
    if not packed:
        return None
    record = json.loads(_unpack(packed, limits.max_member_bytes))
    if record.get("version") != _RECORD_VERSION:
        return None
    restore: dict[str, bytes] = {}
    for name, (digest, original) in record["restore"].items():
        if name not in names or hashlib.sha256(source.read(name)).hexdigest() != digest:
            return None  # saved again since: the record no longer describes the part
        restore[name] = _unpack(original, limits.max_member_bytes)
        if sum(map(len, restore.values())) > limits.max_total_bytes:
            return None
    removed = set(record["remove"])
    if not removed <= names or not set(record["sheets"]) <= names:
        return None
    findings = tuple((row.get("G", ""), row.get("B", ""), row.get("C", ""), row.get("H", ""))
                     for row in rows if row.get("A") == "finding")
    mark_xfs = {int(index): style for index, style in record["mark_xfs"].items()}
    replaced = dict(restore)
    for name, edits in record["sheets"].items():
        if name in restore:
            continue
        marked = source.read(name)
        body = _unmark_sheet(_xml(marked), edits, record["xfs"], mark_xfs).encode("utf-8")
        if marked.startswith(_BOM):
            body = _BOM + body
        if body != marked:  # a sheet the marks left alone is copied as it is compressed
            replaced[name] = body
    return repacked(source, data, replaced, removed), PreviousCheck(findings)


def repacked(source: ZipFile, data: bytes, replaced: dict[str, bytes], removed: set[str]) -> bytes:
    """The zip ``source`` (opened on ``data``) without the members ``removed``, those in ``replaced`` with their new
    bodies, every other one as it was, copied as it is compressed (in the same order, with its date and attributes)."""
    return copy_zip(source, data, [(info, replaced.get(info.filename)) for info in source.infolist()
                                   if info.filename not in removed])


def _unpack(text: str, limit: int) -> bytes:
    inflater = zlib.decompressobj()
    body = inflater.decompress(base64.b64decode(text, validate=True), limit + 1)
    if len(body) > limit or inflater.unconsumed_tail:
        raise CannotEdit("record too large")
    return body


def _unmark_sheet(xml: str, edits: dict, xf_count: int, mark_xfs: dict[int, int]) -> str:
    """A sheet's XML with the marks' edits (``_Editor._edit_sheet``) taken out, the filler's changes kept."""
    for unselected, selected in edits["views"]:
        xml = xml.replace(unselected, selected, 1)
    if edits["legacy"]:
        xml = xml.replace(edits["legacy"], "", 1)
    marked = {ref: (old, new, added) for ref, old, new, added in edits["cells"]}

    def cell(match: re.Match) -> str:
        tag = match.group(0)
        style = _attr(tag, "s")
        if style is None or not style.isdigit() or int(style) < xf_count:
            return tag
        ref = _attr(tag, "r")
        if ref in marked and int(style) == marked[ref][1]:
            old, new, added = marked[ref]
            if added and tag == f'<c r="{ref}" s="{new}"/>':
                return ""  # a cell the marks wrote: it goes again
            return _drop_attr(tag, "s") if old is None else _set_attr(tag, "s", old)
        # a format of the marks (a cell copied from a marked one) falls back to the format it was made from
        return _set_attr(tag, "s", str(mark_xfs.get(int(style), 0)))

    xml = _CELL_TAG.sub(cell, xml)
    for row in edits["rows"]:
        xml = xml.replace(f'<row r="{row}"></row>', "", 1)
    return xml


_MAIN_NS = "{" + _MAIN + "}"


def _record_rows(sheet: bytes) -> list[dict[str, str]]:
    """The marks record's rows as {column letter: text}; only text written inline is read (as the writer writes it)."""
    rows = []
    for row in ElementTree.fromstring(sheet).iter(f"{_MAIN_NS}row"):
        cells = {}
        for cell in row.iter(f"{_MAIN_NS}c"):
            column = re.match(r"[A-Z]+", cell.get("r") or "")
            inline = cell.find(f"{_MAIN_NS}is")
            if column and inline is not None:
                cells[column.group(0)] = "".join(text.text or "" for text in inline.iter(f"{_MAIN_NS}t"))
        rows.append(cells)
    return rows
