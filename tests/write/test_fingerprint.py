"""The fingerprint of a marked-up copy (``marks.fingerprint_of``) is hashed as the cells are walked, no longer gathered
and sorted first (that list was the peak of checking a workbook at the cell caps): the digest must be the one the
gathering code gave, since every copy written so far carries it and is judged by it when checked again."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from types import SimpleNamespace

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.comments import Comment

from selfscore.read.lean import LeanSheet, LeanWorkbook
from selfscore.tables.names import MARKS_SHEET
from selfscore.write.marks import _fingerprint_value, _lines, content_fingerprint, fingerprint_of
from support.harness import jiaozuo_bytes


def gathered_fingerprint(sheets, comments=None) -> str:
    """The fingerprint as it was computed before: every entry gathered, sorted by (sheet, row, column), hashed."""
    entries = []
    comments = dict(comments or {})
    for sheet in sheets:
        if sheet.title == MARKS_SHEET:
            continue
        cells = sheet.cells if isinstance(sheet, LeanSheet) else sheet._cells
        for (row, column), cell in cells.items():
            value = _fingerprint_value(cell.value)
            comment = comments.pop((sheet.title, row, column), None)
            if comment is None:
                comment = cell.comment.text if getattr(cell, "comment", None) is not None else None
            if value is not None or comment:
                entries.append((sheet.title, row, column, value, _lines(comment) if comment else None))
    entries += [(title, row, column, None, _lines(text)) for (title, row, column), text in comments.items() if text]
    digest = hashlib.sha256()
    for entry in sorted(entries, key=lambda item: item[:3]):
        digest.update(json.dumps(entry, ensure_ascii=False).encode() + b"\n")
    return digest.hexdigest()


TITLES = st.sampled_from(["填报说明", "绩效自评表", "A", "a", MARKS_SHEET, "校验结果"])
PLACES = st.tuples(st.integers(1, 6), st.integers(1, 4))
VALUES = st.one_of(st.none(), st.just(""), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=4),
                   st.booleans(), st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)))
TEXTS = st.one_of(st.none(), st.sampled_from(["", "批注", "a\r\nb", "第二行\r"]))


@st.composite
def sheet(draw):
    cells = draw(st.dictionaries(PLACES, st.tuples(VALUES, TEXTS), max_size=12))
    # cells in the order the file gave them, which need not be row by row
    order = draw(st.permutations(list(cells)))
    return SimpleNamespace(title=draw(TITLES), _cells={
        place: SimpleNamespace(value=cells[place][0],
                               comment=None if cells[place][1] is None else SimpleNamespace(text=cells[place][1]))
        for place in order})


@settings(max_examples=400, deadline=None)
@given(sheets=st.lists(sheet(), max_size=4),  # two sheets of one title, as the copy's and the scratch workbook's can be
       comments=st.dictionaries(st.tuples(TITLES, st.integers(1, 6), st.integers(1, 4)),
                                st.sampled_from(["", "问题", "x\r\ny"]), max_size=6))
def test_the_walked_fingerprint_is_the_gathered_one(sheets, comments):
    assert fingerprint_of(sheets, comments) == gathered_fingerprint(sheets, comments)


def test_the_fingerprint_of_a_real_workbook_read_both_ways_is_the_gathered_one():
    data = jiaozuo_bytes(scores={"funds_raising": 7})
    workbook = load_workbook(io.BytesIO(data))
    workbook.worksheets[0]["B2"].comment = Comment("填报人的批注", "某人")
    buffer = io.BytesIO()
    workbook.save(buffer)
    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    lean = LeanWorkbook(buffer.getvalue(), comments=True)
    marks = {(workbook.worksheets[1].title, 5, 6): "应为 8 分", (workbook.worksheets[0].title, 2, 2): "盖过原批注",
             ("不存在的表", 1, 1): "一张没有的表"}
    assert content_fingerprint(workbook) == gathered_fingerprint(workbook.worksheets)
    for sheets in (workbook.worksheets, lean.worksheets):
        assert fingerprint_of(sheets, marks) == gathered_fingerprint(sheets, marks)
    assert fingerprint_of(lean.worksheets, marks) == fingerprint_of(workbook.worksheets, marks)
