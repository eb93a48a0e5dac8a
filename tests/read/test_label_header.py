"""The label reader's header, pinned by hand: which words make a header cell, which rows make one header band,
whose 分值 a 分值 column is, what a 合计 row is, how far below its header a table reaches, which table a header
heads (by its rows, by the title above it, or by the meta sheet), and which rows count as inside the table."""

from __future__ import annotations

from dataclasses import replace

import pytest

from selfscore.read.labels import HEADER_SCAN_ROWS, TABLE_SCAN_ROWS, header_kind
from selfscore.read.labels.header import (
    Candidate,
    Header,
    TableRow,
    candidate_under,
    count_votes,
    find_headers,
    in_table,
    indicator_words,
    is_total,
    meta_hint,
    table_of,
)
from selfscore.read.result import Unreadable
from selfscore.tables.definitions import get_table
from selfscore.tables.names import META_SHEET
from support.layouts import grid

SHANTYTOWN_TITLE = "城镇保障性安居工程财政资金用于公租房保障和棚户区改造绩效自评表"
OLD_COMMUNITIES_TITLE = "城镇保障性安居工程财政资金用于城镇老旧小区改造绩效自评表"
#: the two annexes the choice is between, named, so a table added to schemas/ does not change these tests' votes
ANNEXES = {table_id: get_table(table_id) for table_id in ("shantytown", "old_communities")}


def header(columns: dict[str, list[int]]) -> Header:
    return Header(grid("Sheet1", {}), 1, 1, columns)


def candidate(rows: dict[int, list[object]]) -> Candidate:
    """The table under a one-row header 「二级指标 | 自评得分」 on row 3, below ``rows`` (title lines) and above more."""
    sheet = grid("Sheet1", {3: ["二级指标", "自评得分"], **rows})
    (found,), _ = find_headers(sheet)
    return candidate_under(found)


# --- header_kind: which words make a header cell ---

def test_a_note_in_brackets_does_not_hide_a_header_word():
    # without the brackets: 自评得分 exactly; with their text kept, 自评得分满分100分 is 4 of 11 letters shared (8/15 < 0.75)
    assert header_kind("自评得分（满分100分）") == "score"


def test_a_header_word_a_little_off_is_still_its_kind():
    # 评分标准依据 against 评分标准及依据: 12/13 ≈ 0.92; the runners-up 评分标准, 评分依据: 8/10 = 0.8, more than 0.1 behind
    assert header_kind("评分标准依据") == "criterion"


def test_a_tie_between_two_words_of_one_kind_is_that_kind():
    # 自评得分值 against 自评得分 and against 自评分值: 4 letters shared each, 8/9 both — a tie, but both are 自评得分 words
    assert header_kind("自评得分值") == "score"


def test_a_tie_between_words_of_two_kinds_is_no_kind():
    # 一级指标分值 against 一级指标 (一级指标) and 指标分值 (分值): 4 shared each, 8/10 both — which one is not guessed
    assert header_kind("一级指标分值") is None


# --- find_headers: which rows make one header band ---

ANNEX_HEADER = {
    4: ["评价指标", None, None, None, "评分标准", "自评得分"],
    5: ["一级指标", "分值", "二级指标", "分值", None, None],
    6: ["资金投入", 20, "资金筹集", 10, "按规定筹集资金的，得满分", 10],
}


def test_the_annex_two_row_header_is_one_header_with_every_column():
    sheet = grid("Sheet1", {2: [SHANTYTOWN_TITLE], 3: ["填报单位：焦作市"], **ANNEX_HEADER})
    assert find_headers(sheet) == ([Header(sheet, 4, 5, {
        "criterion": [5], "score": [6], "group": [1], "points": [2, 4], "name": [3]})], [])


def test_a_header_on_the_last_scanned_row_is_found_and_one_below_it_is_not():
    assert HEADER_SCAN_ROWS == 60
    on_60 = grid("Sheet1", {60: ["二级指标", "自评得分"]})
    assert find_headers(on_60) == ([Header(on_60, 60, 60, {"name": [1], "score": [2]})], [])
    assert find_headers(grid("Sheet1", {61: ["二级指标", "自评得分"]})) == ([], [])


def test_header_cells_typed_again_on_the_rows_under_them_make_one_header():
    # a three-row header unmerged with its words copied into every row: one header, each column once
    sheet = grid("Sheet1", {4: ["二级指标", "自评得分"], 5: ["二级指标", "自评得分"], 6: ["二级指标", "自评得分"]})
    headers, problems = find_headers(sheet)
    assert problems == []
    assert [(found.first_row, found.columns) for found in headers] == [(4, {"name": [1], "score": [2]})]


def test_a_header_repeated_two_rows_down_is_found_again():
    # row 3 is past row 1 + 1, so it starts a header of its own (its band, rows 1 to 4, takes in row 1)
    sheet = grid("Sheet1", {1: ["二级指标", "自评得分"], 2: ["资金筹集", 10], 3: ["二级指标", "自评得分"]})
    headers, _ = find_headers(sheet)
    assert [found.last_row for found in headers] == [1, 3]


def test_a_score_label_three_rows_above_the_header_is_not_part_of_it():
    # the band of a header on row 4 is rows 2 to 5: the 「自评得分 95」 line on row 1 stays out
    sheet = grid("Sheet1", {1: ["自评得分", 95], 4: ["二级指标", "自评得分"], 5: ["资金筹集", 10]})
    assert find_headers(sheet) == ([Header(sheet, 4, 4, {"name": [1], "score": [2]})], [])


def test_a_score_typed_as_full_marks_two_rows_under_the_header_is_data():
    # 满分 is a 分值 word, but row 3 is beyond the band (rows -1 to 2) of a header on row 1
    sheet = grid("Sheet1", {1: ["二级指标", "自评得分"], 2: ["资金筹集", 10], 3: ["资金分配", "满分"]})
    assert find_headers(sheet) == ([Header(sheet, 1, 1, {"name": [1], "score": [2]})], [])


def test_a_first_row_with_a_score_typed_as_a_header_word_is_the_tables_not_the_headers():
    # the row right under the header joins its band only when its 二级指标 cell is empty or a header word: row 6
    # names 资金筹集, so its 「满分」 (a 分值 word, typed as the self-score) is data, not a second 分值 column
    sheet = grid("Sheet1", {**ANNEX_HEADER, 6: ["资金投入", 20, "资金筹集", 10, "按规定筹集资金的，得满分", "满分"]})
    (found,), _ = find_headers(sheet)
    assert (found.first_row, found.last_row, found.columns["points"]) == (4, 5, [2, 4])
    assert [row.row for row in candidate_under(found).rows] == [6]


def test_a_header_repeated_after_a_single_row_does_not_swallow_that_row():
    # rows 1 and 3 are the header (a page break after one indicator); row 2 is 资金筹集, a row of the table
    sheet = grid("Sheet1", {1: ["二级指标", "自评得分"], 2: ["资金筹集", 10], 3: ["二级指标", "自评得分"], 4: ["资金分配", 5]})
    headers, _ = find_headers(sheet)
    assert [(found.first_row, found.last_row) for found in headers] == [(1, 1), (3, 3)]
    assert [row.label for row in candidate_under(headers[0]).rows] == ["资金筹集", "资金分配"]


def test_the_two_row_annex_header_printed_again_on_the_next_page_adds_no_row():
    sheet = grid("Sheet1", {**ANNEX_HEADER, 7: ANNEX_HEADER[4], 8: ANNEX_HEADER[5], 9: ["资金投入", None, "资金分配", 5, "", 5]})
    first, repeated = find_headers(sheet)[0]
    assert (first.first_row, first.last_row, repeated.first_row, repeated.last_row) == (4, 5, 7, 8)
    assert [row.label for row in candidate_under(first).rows] == ["资金筹集", "资金分配"]


def test_a_score_heading_two_rows_above_the_names_is_part_of_their_header():
    # 自评得分 on row 2 (merged down over rows 2–4 in the workbook), 二级指标 on row 4, row 3 empty in between
    sheet = grid("Sheet1", {2: [None, "自评得分"], 4: ["二级指标"], 5: ["资金筹集", 10]})
    assert find_headers(sheet) == ([Header(sheet, 2, 4, {"score": [2], "name": [1]})], [])


def test_header_words_typed_on_a_third_row_are_not_a_row_of_the_table():
    sheet = grid("Sheet1", {4: ["二级指标", "自评得分"], 5: ["二级指标", "自评得分"], 6: ["二级指标", "自评得分"], 7: ["资金筹集", 10]})
    (found,), _ = find_headers(sheet)
    assert (found.first_row, found.last_row) == (4, 5)
    assert [row.label for row in candidate_under(found).rows] == ["资金筹集"]


def test_a_names_row_without_a_score_column_does_not_end_the_search():
    sheet = grid("Sheet1", {1: ["指标名称", "说明"], 10: ["二级指标", "自评得分"]})
    assert find_headers(sheet) == ([Header(sheet, 10, 10, {"name": [1], "score": [2]})], [])


@pytest.mark.parametrize("doubled", [["二级指标", "指标名称", "自评得分"], ["二级指标", "自评得分", "得分"]],
                         ids=["two_name_columns", "two_score_columns"])
def test_a_header_with_two_name_or_score_columns_is_reported_and_a_later_header_still_found(doubled):
    sheet = grid("表1", {4: doubled, 30: ["二级指标", "自评得分"]})
    headers, problems = find_headers(sheet)
    assert headers == [Header(sheet, 30, 30, {"name": [1], "score": [2]})]
    assert len(problems) == 1 and problems[0].startswith("「表1」第 4 行")


# --- Header.points_column_of: whose 分值 a 分值 column is ---

def test_in_the_annex_layout_each_points_column_belongs_to_the_column_left_of_it():
    # 一级指标 | 分值 | 二级指标 | 分值
    annex = header({"group": [1], "points": [2, 4], "name": [3]})
    assert (annex.points_column_of("group"), annex.points_column_of("name")) == (2, 4)


def test_without_a_points_column_there_is_none_to_check():
    assert header({"name": [1], "score": [2]}).points_column_of("name") is None


def test_the_groups_points_column_is_not_the_indicators():
    # 一级指标 | 分值 | 二级指标: the one 分值 is the 一级指标's; the 二级指标 has none
    assert header({"group": [1], "points": [2], "name": [3]}).points_column_of("name") is None


def test_points_printed_before_the_names_belong_to_them_the_nearest_first():
    # 分值 | 分值 | 二级指标: nothing left of either, so both belong to the 二级指标; column 2 is 1 away, column 1 is 2
    assert header({"points": [1, 2], "name": [3]}).points_column_of("name") == 2


def test_of_two_points_columns_after_the_names_the_nearer_is_theirs():
    # 二级指标 | 分值 | 分值: 1 away against 2 away
    assert header({"name": [1], "points": [2, 3]}).points_column_of("name") == 2


def test_of_two_points_columns_as_near_either_side_of_the_names_the_one_after_them_is_theirs():
    # 分值 | 二级指标 | 分值: both belong to the 二级指标 (nothing left of column 1), both 1 away; the annexes print
    # an indicator's 分值 after its name, so column 3 is the one its 分值 is checked in
    assert header({"points": [1, 3], "name": [2]}).points_column_of("name") == 3


def test_the_names_column_itself_is_never_their_points_column():
    # a column that holds the 二级指标 names holds no points, even when a 分值 heading sits in it too
    assert header({"name": [3], "points": [3]}).points_column_of("name") is None


# --- is_total: a 合计 row ---

def test_a_total_word_counts_outside_the_criterion_and_score_columns_only():
    # 二级指标 | 评分标准 | 自评得分
    sheet = grid("Sheet1", {1: ["二级指标", "评分标准", "自评得分"], 2: [None, "合计", 5], 3: [None, None, "合计"], 4: ["合计", None, 100]})
    (found,), _ = find_headers(sheet)
    assert [is_total(sheet, row, found) for row in (2, 3, 4)] == [False, False, True]


# --- candidate_under: the rows of a table ---

def test_a_rows_label_is_compared_without_its_bracketed_note():
    rows = candidate({4: ["资金筹集（10分）", 10]}).rows
    assert rows == [TableRow(4, "资金筹集（10分）", "资金筹集")]


def test_a_total_200_rows_under_the_header_is_the_tables_and_one_201_rows_under_is_not():
    assert TABLE_SCAN_ROWS == 200
    # header on row 1: rows 2 … 201 are scanned
    assert candidate_under(header_on_row_1(201)).total_row == 201
    assert candidate_under(header_on_row_1(202)).total_row is None


def header_on_row_1(total_row: int) -> Header:
    sheet = grid("Sheet1", {1: ["二级指标", "自评得分"], total_row: ["合计", 100]})
    (found,), _ = find_headers(sheet)
    return found


# --- which table a header heads ---

def test_an_indicator_name_with_a_bracketed_note_is_compared_without_it():
    table = get_table("shantytown")
    first, *others = table.groups[0].indicators
    renamed = replace(first, name="资金筹集（含社会资金）")
    table = replace(table, groups=(replace(table.groups[0], indicators=(renamed, *others)), *table.groups[1:]))
    assert indicator_words(table)["funds_raising"] == "资金筹集"


def test_each_row_naming_an_indicator_of_a_table_is_one_vote_for_it():
    found = candidate({4: ["资金筹集", 10], 5: ["开工计划完成率", 35], 6: ["工程质量", 10], 7: ["备注", None]})
    # 资金筹集 and 工程质量 are in both tables, 开工计划完成率 in 附件1 only; 备注 in neither
    tables = ANNEXES
    assert (count_votes(found, tables["shantytown"]), count_votes(found, tables["old_communities"])) == (3, 2)


def test_the_table_most_rows_name_is_the_table():
    # 开工计划完成率: 1 vote for 附件1; against 附件2's 改造户数计划完成率 it shares 5 of 7 and 9 letters (10/16 < 0.75)
    assert table_of(candidate({4: ["开工计划完成率", 35]}), ANNEXES, None).id == "shantytown"


def ambiguity(found: Candidate, tables=None) -> str:
    with pytest.raises(Unreadable) as raised:
        table_of(found, tables or ANNEXES, None)
    assert raised.value.finding.code == "layout_ambiguous"
    return raised.value.finding.message


def test_rows_that_fit_both_tables_equally_and_no_title_leave_the_table_unknown():
    # 资金筹集 and 工程质量: 2 votes each
    message = ambiguity(candidate({4: ["资金筹集", 10], 5: ["工程质量", 10]}))
    assert "（公租房保障和棚户区改造、城镇老旧小区改造）" in message


def test_rows_that_fit_both_tables_equally_go_by_the_title_above_the_header():
    found = candidate({1: [OLD_COMMUNITIES_TITLE], 4: ["资金筹集", 10], 5: ["工程质量", 10]})
    assert table_of(found, ANNEXES, None).id == "old_communities"


def test_words_on_the_header_row_itself_are_not_the_title():
    found = candidate({3: ["二级指标", "自评得分", "城镇老旧小区改造"], 4: ["资金筹集", 10], 5: ["工程质量", 10]})
    ambiguity(found)


def test_a_table_no_row_names_is_not_chosen_even_when_it_is_the_only_one():
    ambiguity(candidate({4: ["备注", None]}), {"shantytown": get_table("shantytown")})


def test_a_title_and_rows_that_disagree_are_reported_with_both_tables():
    found = candidate({1: [OLD_COMMUNITIES_TITLE], 4: ["开工计划完成率", 35]})
    message = ambiguity(found)
    assert "标题像「城镇老旧小区改造」" in message and "指标像「公租房保障和棚户区改造」" in message


def test_the_meta_sheet_names_the_table_in_whatever_row_it_keeps_it():
    # our template writes A1 table; a meta sheet with its rows in another order says the same
    meta = grid(META_SHEET, {1: ["template_version", 3], 2: ["generator", "selfscore"], 3: ["table", "old_communities"]})
    sheet = grid("Sheet1", {1: ["二级指标", "自评得分"]})
    tables = ANNEXES
    assert meta_hint([sheet, meta], tables) is tables["old_communities"]
    assert meta_hint([sheet], tables) is None


# --- in_table: the rows a table covers ---

def test_a_table_covers_its_header_rows_through_its_total_row():
    sheet = grid("Sheet1", {**ANNEX_HEADER, 7: ["合计", None, 100, None, None, 95]})
    (found,), _ = find_headers(sheet)
    table = candidate_under(found)
    assert (table.header.first_row, table.last_row) == (4, 7)
    assert [in_table(sheet, row, table) for row in (3, 4, 7, 8)] == [False, True, True, False]
    assert not in_table(grid("Sheet1", {4: ["二级指标"]}), 4, table)
