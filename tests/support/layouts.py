"""Hand-made workbooks as offices make them: the annex retyped, columns reordered, our template pasted elsewhere.

Each builder returns an openpyxl Workbook without selfscore's defined names or meta sheet, and
``expected_cells`` style dicts tell the tests which cell of the workbook holds which self-score.
Rows are written as plain lists, so a builder reads like the sheet it makes.
"""

from __future__ import annotations

from collections.abc import Sequence

from openpyxl import Workbook

from selfscore.read.labels import Grid, GridCell
from selfscore.tables.definitions import get_table
from selfscore.write.filling import fill_template
from support.helpers import sample

#: 附件1 prints every self-score; 附件2 prints only the total 95, so these per-indicator scores
#: are the ones that add up to it (social funding far below 20 % costs 5 points of 资金筹集).
ANNEX1_SCORES = {"funds_raising": 10, "funds_allocation": 5, "funds_use": 10, "policy_disclosure": 5,
                 "report_submission": 5, "starts_completion": 35, "subsidy_completion": 15, "project_quality": 10,
                 "satisfaction": 5}
ANNEX2_SCORES = {"funds_raising": 5, "funds_allocation": 5, "funds_use": 10, "policy_disclosure": 5,
                 "report_submission": 5, "households_completion": 20, "area_completion": 20, "buildings_completion": 5,
                 "communities_completion": 5, "project_quality": 10, "satisfaction": 5}


def put_rows(sheet, rows: Sequence[Sequence[object]], *, top: int = 1, left: int = 1, merges: Sequence[str] = ()) -> None:
    """Write rows of values starting at (top, left); None leaves a cell empty."""
    for row_offset, values in enumerate(rows):
        for column_offset, value in enumerate(values):
            if value is not None:
                sheet.cell(row=top + row_offset, column=left + column_offset, value=value)
    for merge in merges:
        sheet.merge_cells(merge)


def grid(title: str, rows: Sequence[Sequence[object]] | dict[int, Sequence[object]], *, top: int = 1) -> Grid:
    """A sheet as the label reader sees it: ``rows`` of values from (top, A), or row number → values; None leaves a
    cell empty, a GridCell is kept as it is."""
    numbered = rows.items() if isinstance(rows, dict) else enumerate(rows, start=top)
    return Grid(title, {(row, column): value if isinstance(value, GridCell) else GridCell(value)
                        for row, values in numbered for column, value in enumerate(values, start=1) if value is not None})


def _annex(table_id: str, scores: dict[str, object], *, criterion_typo: bool = False, total: object = None) -> Workbook:
    """An annex table retyped: title, 「填报单位：焦作市」 in one cell, the two header rows, groups merged, 合计."""
    table = get_table(table_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Sheet1"
    rows: list[list[object]] = [
        [table.annex],
        [table.title],
        ["填报单位：焦作市"],
        ["评价指标", None, None, None, "评分标准", "自评得分"],
        ["一级指标", "分值", "二级指标", "分值", None, None],
    ]
    merges = ["A2:F2", "A4:D4", "E4:E5", "F4:F5"]
    row = 6
    for group in table.groups:
        first = row
        for index, indicator in enumerate(group.indicators):
            criterion = indicator.criterion
            if criterion_typo and indicator.id == "funds_allocation":
                criterion = criterion.replace("资金按规定时间", "资金资金按规定时间")  # the annex's own typo
            rows.append([group.name if index == 0 else None, int(group.points) if index == 0 else None,
                         indicator.name, int(indicator.points), criterion, scores.get(indicator.id)])
            row += 1
        if row - 1 > first:
            merges += [f"A{first}:A{row - 1}", f"B{first}:B{row - 1}"]
    # The annex's 合计 line: 「合计		100			95」 — 合计 over the first two columns, 100 under 二级指标.
    rows.append(["合计", None, 100, None, None, total if total is not None else sum(scores.values())])
    merges.append(f"A{row}:B{row}")
    put_rows(sheet, rows, merges=merges)
    return workbook


def annex1_retyped(scores: dict[str, object] | None = None, total: object = None) -> Workbook:
    """附件1 as printed in the seed document, typed into a fresh workbook."""
    return _annex("shantytown", {**ANNEX1_SCORES, **(scores or {})}, total=total)


def annex2_retyped(scores: dict[str, object] | None = None, total: object = None) -> Workbook:
    """附件2 as printed (with its 「资金资金」), with the per-indicator scores that make its total 95."""
    return _annex("old_communities", {**ANNEX2_SCORES, **(scores or {})}, criterion_typo=True, total=total)


def annex1_cells() -> dict[str, str]:
    """Where annex1_retyped puts each self-score (and the total)."""
    table = get_table("shantytown")
    cells = {indicator.id: f"F{6 + index}" for index, indicator in enumerate(table.indicators)}
    cells["total"] = f"F{6 + len(table.indicators)}"
    return cells


def reordered(table_id: str = "shantytown", *, repeat_header: bool = False) -> tuple[Workbook, dict[str, str], dict[str, object]]:
    """序号 first, 自评得分 before 分值, 一级指标 last and only on its group's first row (no merges),
    three title rows, spaced and full-width header words, scores typed as 「10分」, 填报单位 in two cells;
    with ``repeat_header`` the header row is printed again after the fifth indicator (a page break)."""
    table = get_table(table_id)
    scores, total = printed_scores(table_id)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "自评"
    rows: list[list[object]] = [
        ["焦作市财政局"],
        [f"2020年度{table.title}"],
        [None],
        ["填报单位", "焦作市", None, "填报日期", "2021-01-20"],
        (header := ["序 号", "二级 指标", "自评得分（分）", "分　值", "一级指标", "评分标准"]),
    ]
    cells: dict[str, str] = {}
    row = 6
    number = 1
    for group in table.groups:
        for index, indicator in enumerate(group.indicators):
            rows.append([number, f" {indicator.name} ", f"{scores[indicator.id]}分", int(indicator.points),
                         group.name if index == 0 else None, indicator.criterion])
            cells[indicator.id] = f"C{row}"
            row += 1
            number += 1
            if repeat_header and number == 6:
                rows.append(list(header))
                row += 1
    rows.append([None, "合 计", f"{total}分", int(table.max_points)])
    cells["total"] = f"C{row}"
    put_rows(sheet, rows)
    return workbook, cells, dict(scores)


def printed_scores(table_id: str) -> tuple[dict[str, object], object]:
    """The self-scores a hand-made layout prints: the annexes' own, or the example a new definition gives."""
    if table_id in ("shantytown", "old_communities"):
        scores = ANNEX1_SCORES if table_id == "shantytown" else ANNEX2_SCORES
        return scores, sum(scores.values())
    _facts, scores, total = sample(table_id)
    return scores, total


def shifted_single_header(table_id: str = "old_communities") -> tuple[Workbook, dict[str, str], dict[str, object]]:
    """One header row, no 一级指标 and no 评分标准, the table starting at C8 of the second sheet, full-width scores,
    wording a clerk might use (「评价报告报送及时完整性」, 「租赁补贴发放完成率」)."""
    table = get_table(table_id)
    scores, total = printed_scores(table_id)
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active["A1"] = "本表根据省厅通知填报。"
    sheet = workbook.create_sheet("绩效自评")
    reworded = {"评价报告报送及时、完整性": "评价报告报送及时完整性", "租赁补贴发放计划完成率": "租赁补贴发放完成率"}
    rows: list[list[object]] = [["指标名称", "标准分值", "自评得分"]]
    cells: dict[str, str] = {}
    for offset, indicator in enumerate(table.indicators, start=1):
        full_width = str(scores[indicator.id]).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
        rows.append([reworded.get(indicator.name, indicator.name), int(indicator.points), full_width])
        cells[indicator.id] = f"E{8 + offset}"
    rows.append(["总计", int(table.max_points), total])
    cells["total"] = f"E{8 + len(table.indicators) + 1}"
    put_rows(sheet, [["填报单位：焦作市住房和城乡建设局　　评价年度：2020"]], top=6, left=3)
    put_rows(sheet, rows, top=8, left=3)
    return workbook, cells, dict(scores)


def pasted_template(table_id: str = "shantytown", *, keep_meta: bool = False,
                    scores: dict[str, object] | None = None) -> Workbook:
    """Our filled template copied cell by cell into another workbook: the defined names (and the meta sheet) are lost."""
    facts, base_scores, total = sample(table_id)
    all_scores = {**base_scores, **(scores or {})}
    if scores or not get_table(table_id).adjusted:   # a plain sum, or a bonus and penalty table's own total
        total = sum(all_scores.values())
    source = fill_template(get_table(table_id), facts, all_scores, total=total, unit="焦作市", year=2020)
    if keep_meta:
        for name in list(source.defined_names):
            del source.defined_names[name]
        return source
    target = Workbook()
    target.remove(target.active)
    for sheet in source.worksheets:
        if sheet.sheet_state != "visible":
            continue
        copy = target.create_sheet(f"复制-{sheet.title}")
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None and type(cell).__name__ != "MergedCell":
                    copy[cell.coordinate] = cell.value
        for merged in sheet.merged_cells.ranges:
            copy.merge_cells(str(merged))
    return target


def set_cells(workbook: Workbook, values: dict[str, object], sheet: str | None = None) -> Workbook:
    """Overwrite some cells of a sheet (the active one by default): a duplicated row, a tampered 分值."""
    target = workbook[sheet] if sheet else workbook.active
    for coordinate, value in values.items():
        target[coordinate] = value
    return workbook


def annex1_with_facts(*, headed: bool = True, facts: dict[str, object] | None = None) -> Workbook:
    """附件1 retyped plus the office's own facts sheet: our labels (units in brackets), values beside them."""
    table = get_table("shantytown")
    values = {**sample("shantytown")[0], **(facts or {})}
    workbook = annex1_retyped()
    sheet = workbook.create_sheet("基础情况")
    rows: list[list[object]] = [["基础情况表"], ["序号", "项目", "数值", "备注"] if headed else [None]]
    for number, definition in enumerate(table.inputs, start=1):
        label = f"{definition.label}（{definition.unit}）" if definition.unit else definition.label
        rows.append([number, label, values.get(definition.id), None])
    put_rows(sheet, rows)
    return workbook
