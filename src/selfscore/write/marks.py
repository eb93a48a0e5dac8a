"""The record a marked-up copy keeps of its marks, so that checking it again starts clean, and of itself,
so that a copy a person has changed is never written over."""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from json.encoder import encode_basestring  # json.dumps's, with ensure_ascii=False
from zipfile import ZipFile, ZipInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles.fills import Fill
from openpyxl.utils.datetime import to_excel
from openpyxl.xml.functions import fromstring, tostring

from selfscore.read.lean import LeanSheet, LeanWorkbook
from selfscore.results.report import PreviousCheck
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET
from selfscore.write.sheet_model import Book, SheetModel, to_workbook

_HEADER = ("kind", "sheet", "cell", "fill", "comment", "comment_author", "code", "message")
#: the record's rows about the copy itself: kind "copy", what in the code column, its value in the message column
_COPY = "copy"
_COPY_OF = "input"
_FINGERPRINT = "fingerprint"
#: a record never has more rows than marks plus findings; a forged one must not make us walk a million rows
_MAX_RECORD_ROWS = 20_000


@dataclass(frozen=True)
class OriginalCell:
    """How a cell looked before selfscore marked it."""

    sheet: str
    cell: str
    fill_xml: str
    comment: str | None
    comment_author: str | None


def original_of(workbook: Workbook, sheet: str, cell: str, fills: dict[int, tuple[object, str]] | None = None
                ) -> OriginalCell:
    """How the cell looks now; ``fills`` (the fill's id → the fill and its XML) keeps the XML of each fill once over
    the cells of one workbook (cells share their workbook's fill objects)."""
    target = workbook[sheet][cell]
    comment = target.comment
    fill = target.fill
    known = fills.get(id(fill)) if fills is not None else None
    if known is None:
        known = (fill, tostring(fill.to_tree()).decode())  # the fill itself is kept, so its id is not reused
        if fills is not None:
            fills[id(fill)] = known
    return OriginalCell(sheet, cell, known[1], comment.text if comment else None, comment.author if comment else None)


def write_record(workbook: Workbook, originals: list[OriginalCell], findings: list[tuple[str, str, str, str]],
                 copy_of: str) -> None:
    """Add the record (``record_sheet``) to an openpyxl workbook, with the workbook's own fingerprint."""
    book = Book()
    record_sheet(book, originals, findings, copy_of, content_fingerprint(workbook))
    to_workbook(workbook, book.created)


def record_sheet(book: Book, originals: list[OriginalCell], findings: list[tuple[str, str, str, str]],
                 copy_of: str, fingerprint: str) -> None:
    """The marks record, after the book's sheets: the marks, the findings, which input (its file name) the copy is of,
    and the fingerprint of the copy's content."""
    sheet = book.create_sheet(MARKS_SHEET)
    sheet.append(_HEADER)
    sheet.append(_clean((_COPY, None, None, None, None, None, _COPY_OF, copy_of)))
    sheet.append((_COPY, None, None, None, None, None, _FINGERPRINT, fingerprint))
    for original in originals:
        sheet.append(_clean(("mark", original.sheet, original.cell, original.fill_xml, original.comment,
                             original.comment_author, None, None)))
    for code, sheet_name, cell, message in findings:
        sheet.append(_clean(("finding", sheet_name, cell, None, None, None, code, message)))
    sheet.state = "veryHidden"


def _clean(row: tuple) -> tuple:
    # Text that openpyxl refuses (control characters) would abort the save and lose the whole copy.
    return tuple(None if value is None else ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)) for value in row)


@dataclass(frozen=True)
class CopyRecord:
    """What a marked-up copy says of itself: the input it is a copy of and the fingerprint of what was written."""

    copy_of: str | None
    fingerprint: str | None

    def is_of(self, name: str) -> bool:
        """Whether the copy is of the input named ``name``, as the record would have written that name."""
        return self.copy_of == _clean((name,))[0]


def copy_record(workbook: Workbook) -> CopyRecord | None:
    """The copy's record of itself; None when the workbook is not a marked-up copy. A copy written before
    the record was kept has neither field."""
    if MARKS_SHEET not in workbook.sheetnames:
        return None
    record = workbook[MARKS_SHEET]
    found: dict[str, str] = {}
    for row in record.iter_rows(min_row=2, max_row=min(record.max_row, _MAX_RECORD_ROWS), max_col=len(_HEADER),
                                values_only=True):
        kind, code, value = row[0], row[6] if len(row) > 6 else None, row[7] if len(row) > 7 else None
        if kind == _COPY and code in (_COPY_OF, _FINGERPRINT) and isinstance(value, str):
            found.setdefault(code, value)
    return CopyRecord(found.get(_COPY_OF), found.get(_FINGERPRINT))


def content_fingerprint(workbook: Workbook) -> str:
    """SHA-256 of every cell's value and comment on every worksheet but the marks record itself.

    Computed on the workbook about to be saved and on the same file read back, it is the same: values
    are compared, not bytes, so a copy opened and saved again unchanged keeps its fingerprint (tested
    with openpyxl and LibreOffice). Numbers are taken to 15 significant digits (what Excel keeps), dates
    to the millisecond and line ends as a newline, so that a program rewriting them without a change
    does not count as one.
    """
    return fingerprint_of(workbook.worksheets)


def fingerprint_of(sheets, comments: dict[tuple[str, int, int], str] | None = None) -> str:
    """``content_fingerprint`` of these worksheets (they may come from more than one workbook, openpyxl's or the
    lean reader's, or be sheets still to be added, ``SheetModel``); ``comments`` are comments (sheet, row, column)
    → text set on cells as they are written.

    The digest is of every cell with a value or a comment, one line each, in the order of (sheet, row, column).
    The lines are hashed as that order reaches them, never gathered: gathering them first took 45 MB for a
    workbook at the cell caps, the peak of checking it. Two sheets of one title (one from each workbook) are
    walked together, the first one's cell first at the same place."""
    comments = dict(comments or {})
    by_title: dict[str, list[dict]] = {}
    for sheet in sheets:
        if sheet.title != MARKS_SHEET:
            # the cells that exist: walking rows × columns of a sparse sheet could be billions
            cells = sheet.cells if isinstance(sheet, LeanSheet | SheetModel) else sheet._cells
            by_title.setdefault(sheet.title, []).append(cells)
    for title, _row, _column in comments:
        by_title.setdefault(title, [])
    digest = hashlib.sha256()
    for title in sorted(by_title):
        tables = by_title[title]
        # a comment set on a cell the file does not have: openpyxl makes the cell, with no value
        missing = sorted((row, column, len(tables)) for (other, row, column) in comments
                         if other == title and not any((row, column) in cells for cells in tables))
        places = heapq.merge(*(_places(cells, index) for index, cells in enumerate(tables)), missing)
        name = _json_text(title)
        for row, column, index in places:
            comment = comments.pop((title, row, column), None)
            if index == len(tables):
                value = None
            else:
                cell = tables[index][(row, column)]
                value = _fingerprint_value(cell.value)
                if comment is None:
                    comment = cell.comment.text if getattr(cell, "comment", None) is not None else None
            if value is not None or comment:
                digest.update(f"[{name}, {row}, {column}, {_json_text(value)}, "
                              f"{_json_text(_lines(comment) if comment else None)}]\n".encode())
    return digest.hexdigest()


def _json_text(text: str | None) -> str:
    """``json.dumps(text, ensure_ascii=False)`` of a text or None (an entry is a list of them and two numbers: written
    out here, since building an encoder for each of a workbook's cells cost more than the rest of the fingerprint)."""
    return "null" if text is None else encode_basestring(text)


def _places(cells: dict, index: int) -> Iterator[tuple[int, int, int]]:
    """The sheet's cells in the order of (row, column), each with which of the sheets of its title it is in."""
    for row, column in sorted(cells):
        yield row, column, index


_STAMP = b"selfscore marked-up copy 1\n"


def zip_stamp(copy_of: str) -> Callable[[list[ZipInfo]], bytes]:
    """The zip comment of a copy: which input it is of and a digest of every part as written.

    A copy nobody has saved since is recognised from the zip's directory alone, without parsing a sheet
    (a re-run of a large batch finds hundreds of them); a copy saved again by anything, changed or not,
    loses the comment and is judged by ``content_fingerprint``.
    """
    return lambda members: _STAMP + _members_digest(members).encode() + b"\n" + _stamped_name(copy_of)


def unchanged_since_written(archive: ZipFile, copy_of: str) -> bool:
    """Whether the zip is, part for part, the copy of ``copy_of`` that selfscore wrote (``zip_stamp``)."""
    comment = archive.comment
    if not comment.startswith(_STAMP):
        return False
    digest, _, name = comment[len(_STAMP):].partition(b"\n")
    return name == _stamped_name(copy_of) and digest == _members_digest(archive.infolist()).encode()


def _stamped_name(copy_of: str) -> bytes:
    return copy_of[:1000].encode("utf-8", "replace")  # a file name may hold bytes that are not UTF-8


def _members_digest(members: list[ZipInfo]) -> str:
    digest = hashlib.sha256()
    for member in sorted(members, key=lambda member: member.filename):
        digest.update(f"{member.filename}\0{member.CRC}\0{member.file_size}\n".encode())
    return digest.hexdigest()


def _fingerprint_value(value: object) -> str | None:
    if type(value) is str:  # most cells: what the last test below gives, sooner
        return f"s:{_lines(value)}" if value else None
    if value is None or value == "":  # openpyxl writes an empty text as no value at all
        return None
    if isinstance(value, bool):
        return f"b:{int(value)}"
    if isinstance(value, int | float):
        return f"n:{float(value):.15g}"
    if isinstance(value, dt.datetime | dt.date | dt.time | dt.timedelta):
        try:  # a date is a number of days in the file; read back, it may differ in the last microsecond
            return f"t:{round(to_excel(value) * 86_400_000)}"
        except (TypeError, ValueError, OverflowError):  # e.g. a time zone, which no cell can hold
            return f"t:{value.isoformat()}"
    if isinstance(value, str):
        return f"s:{_lines(value)}"
    text = getattr(value, "text", None)  # an array formula
    return f"{type(value).__name__}:{getattr(value, 'ref', '')}:{text if text is not None else value}"


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


_CELL = re.compile(r"[A-Z]{1,3}[1-9]\d{0,6}")


@dataclass(frozen=True)
class RecordedMark:
    """A "mark" row of the record: a marked cell and how it looked before (``OriginalCell`` as read back)."""

    sheet: str
    cell: str
    fill_xml: object
    comment: object
    author: object


def read_record(workbook: Workbook | LeanWorkbook) -> tuple[list[RecordedMark], PreviousCheck] | None:
    """The marks record of a marked-up copy (read by openpyxl or by the lean reader): the marks on the workbook's
    sheets, and what the check that made it found; None if unmarked."""
    if MARKS_SHEET not in workbook.sheetnames:
        return None
    record = workbook[MARKS_SHEET]
    last = record.max_row if not isinstance(record, LeanSheet) else max((row for row, _column in record.cells), default=1)
    marks, findings = [], []
    for row in record.iter_rows(min_row=2, max_row=min(last, _MAX_RECORD_ROWS), max_col=len(_HEADER),
                                values_only=True):
        kind, sheet, cell, fill_xml, comment, author, code, message = (list(row) + [None] * 8)[:8]
        if kind == "mark" and sheet in workbook.sheetnames and isinstance(cell, str) and _CELL.fullmatch(cell):
            marks.append(RecordedMark(sheet, cell, fill_xml, comment, author))
        elif kind == "finding":
            findings.append((str(code or ""), str(sheet or ""), str(cell or ""), str(message or "")))
    return marks, PreviousCheck(tuple(findings))


def remove_marks(workbook: Workbook) -> PreviousCheck | None:
    """Undo a previous check's marks in place; returns what that check found, or None if unmarked.
    (``write.unmark_resaved`` does the same in a copy's parts, without openpyxl.)"""
    record = read_record(workbook)
    if record is None:
        return None
    marks, previous = record
    for mark in marks:
        target = workbook[mark.sheet][mark.cell]
        if isinstance(target, MergedCell):
            continue
        if mark.fill_xml:
            try:
                target.fill = Fill.from_tree(fromstring(str(mark.fill_xml)))
            except Exception:  # a record edited by hand: keep the current fill rather than fail the check
                pass
        target.comment = Comment(str(mark.comment), str(mark.author or "")) if mark.comment else None
    for name in (MARKS_SHEET, *ADDED_SHEETS):
        if name in workbook.sheetnames:
            del workbook[name]
    workbook.active = 0
    return previous
