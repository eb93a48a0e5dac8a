"""Label matching with a margin, and a recognised label echoed into 校验结果 as text — with hand-computed likenesses."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from selfscore.checking import check_and_mark_up
from selfscore.read.labels import MARGIN, best_match, likeness
from selfscore.tables.names import ADDED_SHEETS
from selfscore.write.filling import to_bytes
from support import layouts

#: twenty letters; a candidate with its last k replaced shares 20 − k of them: likeness 2(20 − k) / 40
TEXT = "abcdefghijklmnopqrst"


def last_replaced(k: int) -> str:
    return TEXT[: 20 - k] + "XYZUVW"[:k]


@pytest.mark.parametrize(("k", "expected"), [(2, 0.9), (3, 0.85), (4, 0.8), (5, 0.75)])
def test_the_likeness_of_the_candidates_is_what_hand_arithmetic_says(k, expected):
    assert likeness(TEXT, last_replaced(k)) == pytest.approx(expected)


def test_a_runner_up_within_the_margin_makes_the_match_ambiguous():
    # 0.9 against 0.85: 0.05 apart, inside the margin of 0.1 — reported, not picked
    assert MARGIN == pytest.approx(0.1)
    candidates = {"near": last_replaced(2), "close": last_replaced(3)}
    assert best_match(TEXT, candidates, 0.75) == (None, ["near", "close"])


def test_a_runner_up_just_inside_the_margin_is_still_a_tie():
    # 0.9 against 0.825 (36 and 33 of 40 letters shared): 0.075 apart, still inside the margin
    text = TEXT + "abcdefghijklmnopqrst"   # 40 letters
    near = text[:36] + "XYZU"             # 36 of 40 shared: 0.9
    close = text[:33] + "XYZUVWQ"         # 33 of 40 shared: 0.825
    assert likeness(text, near) == pytest.approx(0.9) and likeness(text, close) == pytest.approx(0.825)
    assert best_match(text, {"near": near, "close": close}, 0.75) == (None, ["near", "close"])


def test_a_runner_up_beyond_the_margin_leaves_a_clear_match():
    # 0.9 against 0.75: 0.15 apart
    assert best_match(TEXT, {"near": last_replaced(2), "far": last_replaced(5)}, 0.75) == ("near", [])


def test_a_fact_label_that_looks_like_a_formula_is_echoed_as_text():
    label = "=经查实的违规违纪问题（项）"
    workbook = layouts.annex1_with_facts()
    sheet = workbook["基础情况"]
    cell = next(c for row in sheet.iter_rows() for c in row if c.value == "经查实的违规违纪问题（项）")
    cell.value = label
    cell.data_type = "s"   # typed as text, as Excel keeps a label a clerk prefixed with '
    report, marked = check_and_mark_up(to_bytes(workbook), name="手工表.xlsx")
    recognised = next(c for c in report.recognised if c.name == "in_violations")
    assert recognised.label == label
    book = load_workbook(io.BytesIO(marked))
    added = [book[name] for name in ADDED_SHEETS if name in book.sheetnames]
    echoed = [c for sheet in added for row in sheet.iter_rows() for c in row
              if isinstance(c.value, str) and c.value.endswith("经查实的违规违纪问题（项）")]
    assert echoed, "the recognised label is listed"
    assert all(c.data_type == "s" for c in echoed)
    archive = zipfile.ZipFile(io.BytesIO(marked))
    for sheet in added:
        index = book.sheetnames.index(sheet.title) + 1
        assert "<f>" not in archive.read(f"xl/worksheets/sheet{index}.xml").decode()
