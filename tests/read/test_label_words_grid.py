"""The label reader's words and grids at their edges: fold's defaults, likeness at its floor and on long texts,
best_match at the threshold, the margin and exact matches, and a Grid's merged ranges, empty cells and the cells
grids_from_openpyxl builds (number formats, array formulas, errors, a sheet the cached copy lacks).

Likenesses are difflib ratios 2·M / T (M characters in matching blocks, T both lengths together), worked out by hand.
"""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.formula import ArrayFormula, DataTableFormula

from selfscore.read.labels import MARGIN, Grid, GridCell, best_match, fold, grids_from_openpyxl, likeness
from selfscore.read.labels.words import NAME_THRESHOLD

# --- fold ---------------------------------------------------------------------------------------------------------


def test_fold_keeps_the_words_in_brackets_unless_asked_to_drop_them():
    # NFKC turns （） into (), which are punctuation and go; the words inside stay by default
    assert fold("资金（万元）") == "资金万元"
    assert fold("资金（万元）", drop_brackets=True) == "资金"


def test_fold_of_an_empty_cell_is_empty_text():
    assert fold(None) == ""
    assert fold("") == ""


def test_fold_says_a_doubled_word_of_up_to_ten_characters_once():
    assert fold("资金资金按规定时间") == "资金按规定时间"                   # the annex's own typo
    assert fold("开工计划完成率开工计划完成率开工计划完成率") == "开工计划完成率"   # three times is still one word
    ten = "保障性安居工程财政资"                                          # ten characters: folded once
    eleven = "保障性安居工程财政资金"                                     # eleven: past the bound, kept twice
    assert (fold(ten * 2), fold(eleven * 2)) == (ten, eleven * 2)
    assert fold("一二") == "一二" and fold("一一") == "一一"                # a word has two characters at least


def test_fold_of_a_cell_as_long_as_excel_allows_keeps_its_doubled_words_short():
    # 32 767 characters of text (Excel's limit): a doubled word, then 32 763 characters that repeat no word
    rest = "".join(chr(0x4E00 + index % 20000) for index in range(32763))
    assert fold("资金资金" + rest) == "资金" + rest


# --- likeness -----------------------------------------------------------------------------------------------------


def test_identical_words_are_exactly_alike():
    assert likeness("开工套数", "开工套数") == 1.0


def test_a_likeness_exactly_at_the_floor_is_the_ratio_not_cut_short():
    # "ab" against "abcd": both characters match, 2·2 / 6 = 2/3; every cheap bound is 2/3 too, so none is below it
    assert likeness("ab", "abcd", floor=2 / 3) == 2 / 3


def test_a_quick_bound_exactly_at_the_floor_does_not_cut_the_comparison_short():
    # "ab" against "ac": equal lengths (real_quick_ratio 1.0), one shared letter: quick_ratio = ratio = 2·1 / 4 = 0.5
    assert likeness("ab", "ac", floor=0.5) == 0.5


def test_a_long_text_with_a_recurring_character_is_still_compared_character_by_character():
    # y + 249 x's against 249 x's + z: the 249 x's match, 2·249 / 500 = 0.996. difflib's autojunk would count x (in
    # more than 1% of a 200+ character text) as popular, find no other common character to start from, and say 0
    assert likeness("y" + "x" * 249, "x" * 249 + "z") == pytest.approx(0.996)


# --- best_match ---------------------------------------------------------------------------------------------------


def test_a_single_candidate_with_the_same_words_is_the_match():
    assert best_match("开工套数", {"started": "开工套数"}, NAME_THRESHOLD) == ("started", [])


def test_an_exact_match_wins_over_a_near_one_within_the_margin():
    # 城镇老旧小区改造开工 (10 characters) against …开工率 (11): 2·10 / 21 ≈ 0.952, within 0.1 of 1.0,
    # yet the label says exactly the first
    text = "城镇老旧小区改造开工"
    candidates = {"started": text, "rate": text + "率"}
    assert likeness(text, candidates["rate"]) == pytest.approx(20 / 21)
    assert best_match(text, candidates, NAME_THRESHOLD) == ("started", [])


def test_two_candidates_with_the_same_words_are_a_tie():
    key, tied = best_match("开工套数", {"first": "开工套数", "second": "开工套数"}, NAME_THRESHOLD)
    assert key is None
    assert sorted(tied) == ["first", "second"]


def test_a_likeness_exactly_at_the_threshold_is_a_match():
    # 开工套数 against 开工户数: 开工 and 数 match, 2·3 / 8 = 0.75 = NAME_THRESHOLD
    assert NAME_THRESHOLD == 0.75
    assert likeness("开工套数", "开工户数") == 0.75
    assert best_match("开工套数", {"households": "开工户数"}, NAME_THRESHOLD) == ("households", [])


def test_a_runner_up_exactly_at_the_threshold_still_makes_a_tie():
    # 开工套数合计: 2·4 / 10 = 0.8; 开工户数: 2·3 / 8 = 0.75 — 0.05 apart, inside the margin, and 0.75 is close enough
    candidates = {"total": "开工套数合计", "households": "开工户数"}
    assert best_match("开工套数", candidates, NAME_THRESHOLD) == (None, ["total", "households"])


def test_a_runner_up_exactly_the_margin_behind_leaves_a_clear_match():
    # abcde against aVWXY: 2·1 / 10 = 0.2; against a + 14 others: 2·1 / 20 = 0.1. In floats 0.2 is exactly twice
    # 0.1, so 0.2 − 0.1 is exactly MARGIN: beaten by the margin is beaten (threshold 0.1 puts both within reach)
    assert MARGIN == 0.1
    candidates = {"near": "aVWXY", "far": "aVWXYZQRSTUOPLM"}
    assert likeness("abcde", candidates["near"]) == 0.2 and likeness("abcde", candidates["far"]) == 0.1
    assert best_match("abcde", candidates, 0.1) == ("near", [])


# --- Grid ---------------------------------------------------------------------------------------------------------

#: a range merged over rows 2–4 and columns 3–5 (C2:E4), its value in its top-left cell
MERGED = Grid("表", {(2, 3): GridCell("开工套数"), (1, 1): GridCell("标题")}, merged=[(2, 3, 4, 5)])


def test_a_row_without_cells_has_no_columns():
    assert MERGED.columns_in(3) == []
    assert MERGED.columns_in(2) == [3]


def test_an_absent_cell_and_a_formula_without_a_cached_value_read_as_empty_text():
    grid = Grid("表", {(1, 1): GridCell(None, "=A2+A3")})
    assert grid.text(1, 1) == ""
    assert grid.text(5, 5) == ""


def test_a_number_reads_as_it_is_shown():
    grid = Grid("表", {(1, 1): GridCell(12.0), (1, 2): GridCell(3)})
    assert grid.text(1, 1) == "12"
    assert grid.text(1, 2) == "3"


@pytest.mark.parametrize("corner", [(2, 3), (2, 5), (4, 3), (4, 5)])
def test_every_corner_of_a_merged_range_belongs_to_it(corner):
    assert MERGED.merged_range(*corner) == (2, 3, 4, 5)


@pytest.mark.parametrize("outside", [(1, 3), (5, 3), (2, 2), (2, 6)])
def test_a_cell_next_to_a_merged_range_is_not_in_it(outside):
    assert MERGED.merged_range(*outside) is None


def test_a_merged_cell_reads_from_the_top_left_of_its_range():
    # E4, the far corner of C2:E4, is C2
    assert MERGED.top_left(4, 5) == (2, 3)
    assert MERGED.top_left(1, 1) == (1, 1)


def test_right_of_a_merged_cell_is_past_the_whole_range():
    # C2:E4 ends in column 5, so the next column is 6; an unmerged A1 is followed by B
    assert MERGED.right_of(2, 3) == 6
    assert MERGED.right_of(1, 1) == 2


# --- grids_from_openpyxl ------------------------------------------------------------------------------------------


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_grid_cells_keep_their_number_formats_errors_and_formulas():
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "表"
    sheet["A1"] = 5
    sheet["A1"].number_format = ""              # a custom format with no code: as General
    sheet["B1"] = "=A1/10"
    sheet["B1"].number_format = "0.0%"
    sheet["C1"] = ArrayFormula("C1", "=SUM(A1:A1)")
    sheet["D1"] = "#DIV/0!"                     # an error value
    sheet["E1"] = "#说明"                        # text that only starts like one
    data = _saved(workbook)
    [grid] = grids_from_openpyxl(load_workbook(io.BytesIO(data)), data)
    assert grid.get(1, 1) == GridCell(5, None, "General", False)
    # openpyxl keeps no cached results, so the formulas have none
    assert grid.get(1, 2) == GridCell(None, "=A1/10", "0.0%", False)
    assert grid.get(1, 3) == GridCell(None, "=SUM(A1:A1)", "General", False)
    assert grid.get(1, 4).is_error is True
    assert grid.get(1, 5).is_error is False


def test_an_array_formula_without_text_still_counts_as_a_formula():
    workbook = Workbook()
    workbook.active["A1"] = ArrayFormula("A1")  # built in memory, no text
    [grid] = grids_from_openpyxl(workbook, _saved(workbook))
    assert grid.get(1, 1).formula == "="


def test_a_what_if_data_table_is_a_formula_shown_as_excel_shows_it():
    workbook = Workbook()
    workbook.active["A2"] = DataTableFormula(ref="A2:A3", r1="B1")   # 模拟运算表 over one column input
    data = _saved(workbook)
    [grid] = grids_from_openpyxl(load_workbook(io.BytesIO(data)), data)
    assert grid.get(2, 1).formula == "=TABLE(,B1)"


def test_a_sheet_the_cached_copy_lacks_has_formulas_without_values():
    workbook = Workbook()
    workbook.active.title = "表"
    data = _saved(workbook)
    workbook.create_sheet("后加")["A1"] = "=1+1"
    grids = grids_from_openpyxl(workbook, data)
    assert [grid.title for grid in grids] == ["表", "后加"]
    assert grids[1].get(1, 1) == GridCell(None, "=1+1")
