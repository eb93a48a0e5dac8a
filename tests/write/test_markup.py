"""The marked-up workbook: nothing lost, every finding visible on its cell, and a marked copy can be checked again."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from openpyxl.comments import Comment

from selfscore.checking import check_and_mark_up, check_workbook
from selfscore.tables.names import FINDINGS_SHEET, MARKS_SHEET, RESULTS_SHEET
from selfscore.write.filling import to_bytes
from support.helpers import cell_values, make_workbook


def faulty(tmp_path, **kwargs):
    return make_workbook(tmp_path / "t.xlsx", facts={"undisclosed_items": "两项", "quality_issues": 3},
                         scores={"funds_raising": 8}, **kwargs)


def test_marked_copy_keeps_every_original_cell_value_and_the_source_is_untouched(tmp_path):
    path = faulty(tmp_path)
    before = path.read_bytes()
    _, marked = check_and_mark_up(path)
    assert path.read_bytes() == before
    original = cell_values(path)
    copy = cell_values(marked)
    assert {key: copy.get(key) for key in original} == original
    workbook = load_workbook(io.BytesIO(marked))
    source = load_workbook(path)
    assert set(source.defined_names) <= set(workbook.defined_names)
    for sheet in source.worksheets:
        assert sorted(map(str, workbook[sheet.title].merged_cells.ranges)) == sorted(map(str, sheet.merged_cells.ranges))
        assert len(workbook[sheet.title].data_validations.dataValidation) == len(sheet.data_validations.dataValidation)
        assert workbook[sheet.title].protection.sheet == sheet.protection.sheet


def test_every_finding_is_on_its_cell_with_a_fill_and_a_comment(tmp_path):
    report, marked = check_and_mark_up(faulty(tmp_path))
    workbook = load_workbook(io.BytesIO(marked))
    for finding in report.findings:
        cell = workbook[finding.sheet][finding.cell]
        assert cell.comment is not None and "selfscore" in cell.comment.text
        assert cell.fill.fgColor.rgb.endswith({"error": "FFC7CE", "warning": "F4B084", "info": "DDEBF7"}[finding.severity]) or \
            finding.severity != "error"
    not_number = workbook["基础数据"]["D12"]
    assert not_number.fill.fgColor.rgb.endswith("FFC7CE")
    assert "填写的「两项」不是数字" in not_number.comment.text
    # self-score cells show whether they matched
    assert workbook["自评表"]["F5"].fill.fgColor.rgb.endswith("FFC7CE")   # 8 ≠ 10
    assert workbook["自评表"]["F6"].fill.fgColor.rgb.endswith("C6EFCE")   # matches
    assert "【一致】重新计算 5 分" in workbook["自评表"]["F6"].comment.text


def test_results_sheet_lists_scores_and_findings_with_links(tmp_path):
    report, marked = check_and_mark_up(faulty(tmp_path))
    workbook = load_workbook(io.BytesIO(marked))
    assert workbook.sheetnames[0] == RESULTS_SHEET
    assert workbook.active.title == RESULTS_SHEET
    sheet = workbook[RESULTS_SHEET]
    texts = [str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None]
    assert any("市县财政是否安排补助资金：是，得 10 分" in t for t in texts)
    assert workbook.sheetnames[1] == FINDINGS_SHEET  # the findings print under their own header
    locations = {c.hyperlink.location for name in (RESULTS_SHEET, FINDINGS_SHEET)
                 for row in workbook[name].iter_rows() for c in row if c.hyperlink is not None}
    for finding in report.findings:
        assert f"'{finding.sheet}'!{finding.cell}" in locations
    assert "'自评表'!F5" in locations


def test_nothing_echoed_from_the_filler_becomes_a_formula(tmp_path):
    evil = '=HYPERLINK("http://example.invalid","点我")'
    path = make_workbook(tmp_path / "t.xlsx", facts={"undisclosed_items": "=1+"})
    workbook = load_workbook(path)
    unit = workbook["自评表"]["B2"]
    unit.value = evil
    unit.data_type = "s"  # text that starts with '=', as Excel stores a value typed after an apostrophe
    workbook["基础数据"]["D12"].comment = Comment(evil, "张三")
    workbook.save(path)
    report, marked = check_and_mark_up(path)
    assert report.unit == evil
    marked_book = load_workbook(io.BytesIO(marked))
    original = load_workbook(path)
    for sheet in marked_book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    assert sheet.title in original.sheetnames, f"formula in {sheet.title}!{cell.coordinate}"
                    assert original[sheet.title][cell.coordinate].value == cell.value
    echoed = [c.value for s in (RESULTS_SHEET, MARKS_SHEET) for row in marked_book[s].iter_rows() for c in row]
    assert any(isinstance(v, str) and "=HYPERLINK" in v for v in echoed)
    assert evil in echoed  # the filler's comment, kept verbatim for restoring, as text
    import zipfile
    archive = zipfile.ZipFile(io.BytesIO(marked))
    sheet_files = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
    added = [n for n in sheet_files if n.endswith(("sheet1.xml", f"sheet{len(sheet_files)}.xml"))]
    assert all("<f>" not in archive.read(n).decode() for n in added)


def test_checking_a_marked_copy_gives_the_same_findings_as_a_clean_one(tmp_path):
    path = faulty(tmp_path)
    clean = check_workbook(path)
    _, marked = check_and_mark_up(path)
    again, marked_again = check_and_mark_up(marked, name="t.checked.xlsx")
    assert again.as_tuples("code", "sheet", "cell", "message") == clean.as_tuples("code", "sheet", "cell", "message")
    workbook = load_workbook(io.BytesIO(marked_again))
    assert workbook.sheetnames.count(RESULTS_SHEET) == 1 and workbook.sheetnames.count(MARKS_SHEET) == 1
    comment = workbook["基础数据"]["D12"].comment.text
    assert comment.count("selfscore 校验") == 1
    assert comment.count("不是数字") == 1
    comparison = again.comparison()
    assert comparison["fixed"] == [] and comparison["new"] == []
    assert len(comparison["remaining"]) == len(clean.findings)


def test_marks_are_removed_to_the_templates_own_styles(tmp_path):
    path = faulty(tmp_path)
    from openpyxl.xml.functions import tostring

    def fill_xml(cell):
        return tostring(cell.fill.to_tree())

    template_fill = fill_xml(load_workbook(path)["基础数据"]["D12"])
    _, marked = check_and_mark_up(path)
    from selfscore.write.marks import remove_marks
    workbook = load_workbook(io.BytesIO(marked))
    previous = remove_marks(workbook)
    assert previous is not None and previous.findings
    assert fill_xml(workbook["基础数据"]["D12"]) == template_fill
    assert b"FFF2CC" in template_fill
    assert workbook["基础数据"]["D12"].comment is None
    assert RESULTS_SHEET not in workbook.sheetnames and MARKS_SHEET not in workbook.sheetnames


def test_a_fixed_marked_copy_says_what_was_fixed_remains_and_is_new(tmp_path):
    _, marked = check_and_mark_up(faulty(tmp_path))
    workbook = load_workbook(io.BytesIO(marked))
    workbook["基础数据"]["D12"].value = 0        # fixed
    workbook["自评表"]["F13"].value = 4          # a new mismatch on 工程质量 (recomputed 7)
    fixed_path = tmp_path / "t.checked.xlsx"
    workbook.save(fixed_path)
    report, remarked = check_and_mark_up(fixed_path)
    comparison = report.comparison()
    assert {(code, cell) for code, _, cell, _ in comparison["fixed"]} == {("value_not_number", "D12")}  # one cause, once
    assert {(code, cell) for code, _, cell, _ in comparison["remaining"]} >= {("score_mismatch", "F5")}
    assert {(code, cell) for code, _, cell, _ in comparison["new"]} >= {("score_mismatch", "F13")}
    sheet = load_workbook(io.BytesIO(remarked))[RESULTS_SHEET]
    assert any(isinstance(c.value, str) and c.value.startswith("与上次校验相比：已改正 1 项") for row in sheet.iter_rows() for c in row)
    assert report.to_dict()["previous_check"]["fixed"][0]["code"] == "value_not_number"


def test_the_fillers_own_comment_survives_marking_and_unmarking(tmp_path):
    path = faulty(tmp_path)
    workbook = load_workbook(path)
    workbook["基础数据"]["D12"].comment = Comment("这是填报人的备注", "张三")
    workbook.save(path)
    _, marked = check_and_mark_up(path)
    marked_book = load_workbook(io.BytesIO(marked))
    text = marked_book["基础数据"]["D12"].comment.text
    assert text.startswith("这是填报人的备注") and "不是数字" in text
    from selfscore.write.marks import remove_marks
    remove_marks(marked_book)
    assert marked_book["基础数据"]["D12"].comment.text == "这是填报人的备注"


def test_one_finding_per_bad_input_and_its_indicators_point_at_it(tmp_path):
    bad = {"undisclosed_items": "两项", "quality_issues": -1, "report_complete": "可能", "violations": 0,
           "severe_violation": "是", "subsidy_actual": "很多"}
    report, marked = check_and_mark_up(make_workbook(tmp_path / "t.xlsx", facts=bad))
    assert [f.code for f in report.findings if f.severity != "info"] == [
            "yes_requires_count", "value_not_number", "value_not_yes_no", "value_below_min", "value_not_number"]
    assert report.errors == 5 and report.warnings == 0  # counts count causes
    assert len({(f.sheet, f.cell) for f in report.findings}) == len(report.findings)
    workbook = load_workbook(io.BytesIO(marked))
    policy = report.indicator("policy_disclosure")
    assert policy.status == "unknown"
    assert policy.explanation == "无法计算：「应公开未公开的政策、计划信息」有误或未填写，见「基础数据」D12"
    comment = workbook["自评表"][policy.cell].comment.text
    assert "【无法计算】「应公开未公开的政策、计划信息」有误或未填写，见「基础数据」D12" in comment
    assert "无法计算 分" not in comment and "（D12）" not in comment
    results = workbook[RESULTS_SHEET]
    row = next(r for r in range(6, 20) if results[f"B{r}"].value == policy.name)
    assert results[f"F{row}"].value == "无法计算" and "「基础数据」D12" in results[f"G{row}"].value
    facts_cell = workbook["基础数据"]["D12"].comment.text
    assert facts_cell.count("【") == 1 and "【错误】应公开未公开的政策、计划信息：填写的「两项」不是数字" in facts_cell
    assert f"共 {report.errors} 个错误" in results["A3"].value


def test_a_score_comment_states_the_computation_once(tmp_path):
    report, marked = check_and_mark_up(make_workbook(tmp_path / "t.xlsx", "old_communities", scores={"funds_raising": 10}))
    comment = load_workbook(io.BytesIO(marked))["自评表"]["F5"].comment.text
    explanation = report.indicator("funds_raising").explanation
    assert comment.count(explanation) == 1
    assert "【不符】重新计算 5 分。" in comment and "【错误】资金筹集·自评得分：自评得分 10 与按填报数据重新计算的 5 分不符" in comment


def test_results_sheet_writes_scores_as_numbers_and_echoed_values_as_text(tmp_path):
    report, marked = check_and_mark_up(make_workbook(tmp_path / "t.xlsx", facts={"report_complete": "否"},
                                                     scores={"report_submission": 3, "funds_raising": 8.5}))
    sheet = load_workbook(io.BytesIO(marked))[RESULTS_SHEET]
    rows = {sheet[f"B{r}"].value: r for r in range(6, 6 + len(report.indicators))}
    raising = rows["资金筹集"]
    assert (sheet[f"C{raising}"].value, sheet[f"D{raising}"].value, sheet[f"E{raising}"].value) == (10, 8.5, 10)
    assert all(sheet[f"{c}{raising}"].data_type == "n" for c in "CDE")
    review = rows["评价报告报送及时、完整性"]
    assert sheet[f"E{review}"].value == "0～5" and sheet[f"E{review}"].data_type == "s"  # a range stays words
    total = 6 + len(report.indicators)
    assert sheet[f"A{total}"].value == "合计" and sheet[f"C{total}"].value == 100 and sheet[f"D{total}"].value == 96.5
    assert "测试市" in sheet["A2"].value and sheet["A2"].data_type == "s"  # echoed from the workbook: text


def test_marks_never_share_the_templates_input_fill_and_the_legend_names_their_colours(tmp_path):
    path = make_workbook(tmp_path / "t.xlsx", "old_communities", scores={"funds_raising": 5.12},
                         facts={"undisclosed_items": "两项"})
    template_fill = load_workbook(path)["基础数据"]["D12"].fill.fgColor.rgb
    assert template_fill.endswith("FFF2CC")
    report, marked = check_and_mark_up(path)
    workbook = load_workbook(io.BytesIO(marked))
    warning = workbook["自评表"]["F5"]  # rounding_reading: a warning
    error = workbook["基础数据"]["D12"]
    fills = {warning.fill.fgColor.rgb[-6:], error.fill.fgColor.rgb[-6:]}
    assert "FFF2CC" not in fills and len(fills) == 2
    legend = workbook[RESULTS_SHEET]["A3"].value
    assert "个提醒（橙色）" in legend and "个错误（红色）" in legend and "黄色" not in legend
    guide = " ".join(str(c.value) for row in workbook["填报说明"].iter_rows() for c in row if c.value)
    assert "橙色为提醒" in guide and "黄色为提醒" not in guide


def test_a_comment_says_what_its_cell_holds_but_not_again_where_it_is(tmp_path):
    # 资金筹集 scored 7 though 市县财政安排了补助资金 (「…的（10分）」); 「两项」 where a count of items belongs
    path = make_workbook(tmp_path / "t.xlsx", facts={"undisclosed_items": "两项"}, scores={"funds_raising": 7})
    _, marked = check_and_mark_up(path)
    workbook = load_workbook(io.BytesIO(marked))
    # a finding that already shows the computation: the first line gives the score only, not the computation twice
    assert workbook["自评表"]["F5"].comment.text == (
        "selfscore 校验：\n【不符】重新计算 10 分。\n"
        "【错误】资金筹集·自评得分：自评得分 7 与按填报数据重新计算的 10 分不符。计算过程：市县财政是否安排补助资金：是，得 10 分")
    assert workbook["基础数据"]["D12"].comment.text == (
        "selfscore 校验：\n【错误】应公开未公开的政策、计划信息：填写的「两项」不是数字；应填写不小于 0 的整数（本格单位为项，只填数字）。")
    assert workbook["自评表"]["F8"].comment.text == (
        "selfscore 校验：\n【无法计算】「应公开未公开的政策、计划信息」有误或未填写，见「基础数据」D12")


def test_a_comment_on_a_cell_whose_finding_names_no_subject_starts_with_the_finding():
    from support.layouts import annex1_retyped, set_cells

    workbook = set_cells(annex1_retyped(), {"C9": "其他工作"})
    report, marked = check_and_mark_up(to_bytes(workbook), name="手工表.xlsx")
    (finding,) = [f for f in report.findings if f.code == "layout_row_unmatched"]
    comment = load_workbook(io.BytesIO(marked))[finding.sheet]["C9"].comment.text
    assert comment == ("selfscore 校验：\n【提醒】「其他工作」无法对应到「公租房保障和棚户区改造」的任何二级指标，该行未校验；"
                       "如为指标，请按评分表填写指标名称。")


def test_text_echoed_into_the_copy_is_what_excel_can_hold():
    from selfscore.write.markup import MAX_TEXT, safe_text

    assert safe_text(None) == ""
    assert safe_text("甲\x01乙") == "甲\ufffd乙"                      # a control character Excel refuses
    assert safe_text("x" * MAX_TEXT) == "x" * MAX_TEXT                # at the limit: kept whole
    longer = safe_text("x" * (MAX_TEXT + 1))
    assert len(longer) == MAX_TEXT and longer == "x" * (MAX_TEXT - 1) + "…"


def test_a_matching_score_keeps_its_computation_in_the_comment(tmp_path):
    _, marked = check_and_mark_up(make_workbook(tmp_path / "t.xlsx"))
    assert load_workbook(io.BytesIO(marked))["自评表"]["F12"].comment.text == (
        "selfscore 校验：\n【一致】重新计算 10 分。经查实的工程质量问题 0 项，不扣分，得满分 10")
