"""Blank templates: a definition rendered as the annex table, a facts sheet and a short guide."""

from __future__ import annotations

import io
import math
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from selfscore import __version__
from selfscore.tables.definitions import Indicator, TableDefinition
from selfscore.tables.inputs import InputDefinition
from selfscore.tables.names import (
    FACTS_SHEET,
    GUIDE_SHEET,
    META_SHEET,
    META_UNIT,
    META_YEAR,
    SCORE_SHEET,
    SCORE_TOTAL,
    input_name,
    score_name,
    total_formula,
)
from selfscore.tables.numbers import fmt

BODY_FONT = "宋体"
TITLE_FONT = "黑体"
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
THIN = Side(style="thin", color="000000")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
UNLOCKED = Protection(locked=False)

SCORE_COLUMNS = {"A": 12, "B": 7, "C": 20, "D": 7, "E": 74, "F": 11}
FACTS_COLUMNS = {"A": 6, "B": 46, "C": 9, "D": 14, "E": 42, "F": 26}


def build_template(table: TableDefinition) -> Workbook:
    workbook = Workbook()
    score_sheet = workbook.active
    score_sheet.title = SCORE_SHEET
    _score_sheet(workbook, score_sheet, table)
    _facts_sheet(workbook, workbook.create_sheet(FACTS_SHEET), table)
    _guide_sheet(workbook.create_sheet(GUIDE_SHEET), table)
    _meta_sheet(workbook.create_sheet(META_SHEET), table)
    workbook.properties.title = table.title
    workbook.properties.subject = f"selfscore:{table.id}:v{table.template_version}"
    workbook.properties.creator = f"selfscore {__version__}"
    workbook.active = 0
    return workbook


def template_bytes(table: TableDefinition) -> bytes:
    buffer = io.BytesIO()
    build_template(table).save(buffer)
    return buffer.getvalue()


class TemplateExists(FileExistsError):
    """The template's file is already there: it may be a clerk's filled-in workbook, so it is never overwritten."""


def write_template(table: TableDefinition, directory: Path, *, force: bool = False) -> Path:
    """Write the blank template of ``table`` into ``directory``; an existing file is kept unless ``force``."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / table.file_name
    if path.exists() and not force:
        raise TemplateExists(str(path))
    path.write_bytes(template_bytes(table))
    return path


def _name(workbook: Workbook, name: str, sheet: Worksheet, coordinate: str) -> None:
    column = "".join(ch for ch in coordinate if ch.isalpha())
    row = coordinate[len(column):]
    workbook.defined_names[name] = DefinedName(name, attr_text=f"'{sheet.title}'!${column}${row}")


def _style(cell, *, bold: bool = False, size: float = 11, align: Alignment = CENTER, fill=None, font=BODY_FONT):
    cell.font = Font(name=font, size=size, bold=bold)
    cell.alignment = align
    cell.border = BORDER
    if fill is not None:
        cell.fill = fill


def _input_cell(cell) -> None:
    _style(cell, fill=INPUT_FILL)
    cell.protection = UNLOCKED


def text_height(text: str, width: float, size: float = 10.5, minimum: float = 20) -> float:
    """Row height that shows wrapped CJK text in full (Excel does not grow rows on its own)."""
    chars_per_line = max(1, int((width - 1) / 1.85 * 10.5 / size))
    lines = sum(max(1, math.ceil(len(line) / chars_per_line)) for line in text.split("\n"))
    return max(minimum, lines * 14.5 + 8)


def _protect(sheet: Worksheet) -> None:
    # No password: the protection stops accidents, not a person who means to change the layout.
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False


def print_setup(sheet: Worksheet, title_rows: str) -> None:
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.print_title_rows = title_rows
    sheet.page_margins.left = sheet.page_margins.right = 0.5
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6


def _score_sheet(workbook: Workbook, sheet: Worksheet, table: TableDefinition) -> None:
    for column, width in SCORE_COLUMNS.items():
        sheet.column_dimensions[column].width = width

    # As in the annex: 「附件1」 at the top left, the title across the rest of the row.
    sheet["A1"] = table.annex
    sheet["A1"].font = Font(name=TITLE_FONT, size=12)
    sheet["A1"].alignment = Alignment(horizontal="left", vertical="top")
    sheet.merge_cells("B1:F1")
    sheet["B1"] = table.title
    sheet["B1"].font = Font(name=TITLE_FONT, size=16, bold=True)
    sheet["B1"].alignment = CENTER
    sheet.row_dimensions[1].height = 40

    sheet["A2"] = "填报单位："
    sheet["A2"].font = Font(name=BODY_FONT, size=11)
    sheet["A2"].alignment = Alignment(horizontal="right", vertical="center")
    sheet.merge_cells("B2:D2")
    _input_cell(sheet["B2"])
    sheet["B2"].alignment = LEFT
    _name(workbook, META_UNIT, sheet, "B2")
    sheet["E2"] = "评价年度："
    sheet["E2"].font = Font(name=BODY_FONT, size=11)
    sheet["E2"].alignment = Alignment(horizontal="right", vertical="center")
    _input_cell(sheet["F2"])
    _name(workbook, META_YEAR, sheet, "F2")
    year_rule = DataValidation(type="whole", operator="between", formula1="2000", formula2="2100",
                               allow_blank=True, showErrorMessage=True, errorTitle="评价年度",
                               error="请填写四位数年份，如 2020。", promptTitle="评价年度", prompt="四位数年份，如 2020")
    sheet.add_data_validation(year_rule)
    year_rule.add("F2")
    sheet.row_dimensions[2].height = 24

    sheet.merge_cells("A3:D3")
    sheet["A3"] = "评价指标"
    sheet.merge_cells("E3:E4")
    sheet["E3"] = "评分标准"
    sheet.merge_cells("F3:F4")
    sheet["F3"] = "自评得分"
    for column, label in zip("ABCD", ("一级指标", "分值", "二级指标", "分值"), strict=True):
        sheet[f"{column}4"] = label
    for row in (3, 4):
        for column in "ABCDEF":
            _style(sheet[f"{column}{row}"], bold=True, fill=HEADER_FILL)

    row = first_score = 5
    for group in table.groups:
        first = row
        for indicator in group.indicators:
            sheet[f"C{row}"] = indicator.name
            sheet[f"D{row}"] = int(indicator.points) if indicator.points.denominator == 1 else float(indicator.points)
            sheet[f"E{row}"] = indicator.criterion
            for column in "ABCD":
                _style(sheet[f"{column}{row}"])
            _style(sheet[f"E{row}"], size=10.5, align=LEFT)
            _input_cell(sheet[f"F{row}"])
            _name(workbook, score_name(indicator.id), sheet, f"F{row}")
            rule = DataValidation(type="decimal", operator="between", formula1="0", formula2=fmt(indicator.points),
                                  allow_blank=True, showErrorMessage=True, errorTitle="自评得分",
                                  error=f"「{indicator.name}」的自评得分应在 0～{fmt(indicator.points)} 之间。",
                                  **_score_prompt(indicator))
            sheet.add_data_validation(rule)
            rule.add(f"F{row}")
            sheet.row_dimensions[row].height = text_height(indicator.criterion, SCORE_COLUMNS["E"], minimum=30)
            row += 1
        sheet[f"A{first}"] = group.name
        sheet[f"B{first}"] = int(group.points)
        if row - 1 > first:
            sheet.merge_cells(f"A{first}:A{row - 1}")
            sheet.merge_cells(f"B{first}:B{row - 1}")

    sheet.merge_cells(f"A{row}:C{row}")
    sheet[f"A{row}"] = "合计"
    sheet[f"D{row}"] = int(table.max_points)
    if table.adjusted:
        # 得分项 + 加分 − 扣分, capped, and 0 under a veto: more than a SUM, so the clerk types the 合计 and
        # it is checked against that rule (the note rows below say how it is made).
        for column in "ABCDE":
            _style(sheet[f"{column}{row}"], bold=True)
        _input_cell(sheet[f"F{row}"])
        sheet[f"F{row}"].font = Font(name=BODY_FONT, size=11, bold=True)
        _name(workbook, SCORE_TOTAL, sheet, f"F{row}")
        total_rule = DataValidation(type="decimal", operator="between", formula1="0", formula2=fmt(table.cap),
                                    allow_blank=True, showErrorMessage=True, errorTitle="合计",
                                    error=f"合计应在 0～{fmt(table.cap)} 之间，并{_total_rule_text(table)}。")
        sheet.add_data_validation(total_rule)
        total_rule.add(f"F{row}")
    else:
        sheet[f"E{row}"] = "（自动求和，无需填写）"
        for column in "ABCDF":
            _style(sheet[f"{column}{row}"], bold=True)
        _style(sheet[f"E{row}"], size=10.5)
        # 合计 sums the self-scores itself (a hand-typed total was a frequent total_mismatch); it stays locked
        # so that it is not overwritten by accident. The reader accepts this formula without a saved result.
        sheet[f"F{row}"] = total_formula(f"F{first_score}", f"F{row - 1}")
        _name(workbook, SCORE_TOTAL, sheet, f"F{row}")
    sheet.row_dimensions[row].height = 26
    for note in _total_notes(table):  # below 合计, where a reader of the table looks for how the total is made
        row += 1
        sheet.merge_cells(f"A{row}:F{row}")
        sheet[f"A{row}"] = note
        _style(sheet[f"A{row}"], size=10.5, align=LEFT)
        sheet.row_dimensions[row].height = text_height(note, sum(SCORE_COLUMNS.values()), minimum=24)

    sheet.freeze_panes = "A5"
    print_setup(sheet, "3:4")
    _protect(sheet)


def _score_prompt(indicator: Indicator) -> dict[str, object]:
    """What a bonus or penalty indicator's self-score cell holds, said where the filler types it."""
    if indicator.kind == "score":
        return {}
    what = "加分项：填写加分（0～{0} 分）" if indicator.kind == "bonus" else "扣分项：填写扣减的分数（正数，0～{0} 分）"
    return {"showInputMessage": True, "promptTitle": "自评得分", "prompt": what.format(fmt(indicator.points))}


def _total_rule_text(table: TableDefinition) -> str:
    if not any(group.kind != "score" for group in table.groups):
        return "等于各项自评得分之和"
    text = "等于得分项之和"
    text += "加上加分项" if any(group.kind == "bonus" for group in table.groups) else ""
    text += "减去扣分项" if any(group.kind == "penalty" for group in table.groups) else ""
    return text + f"（加分后总分不超过 {fmt(table.cap)} 分）"


def _total_notes(table: TableDefinition) -> list[str]:
    """How the total is made when it is more than a sum, and the vetoes that make it 0."""
    notes = []
    if any(group.kind != "score" for group in table.groups):
        notes.append(f"说明：合计{_total_rule_text(table)}；扣分项的自评得分填写扣减的分数（正数）。")
    notes += [f"一票否决：{veto.criterion}（在「{FACTS_SHEET}」中填报；为「是」时合计应为 0）" for veto in table.vetoes]
    return notes


def _hint(definition: InputDefinition) -> str:
    if definition.hint:
        return definition.hint
    if definition.type == "yes_no":
        return "从下拉列表选择「是」或「否」"
    if definition.type == "choice":
        return f"从下拉列表选择{definition.expected()}"
    return f"填写{definition.expected()}"


def _validation(definition: InputDefinition) -> DataValidation:
    common = {"allow_blank": True, "showErrorMessage": True, "errorTitle": definition.label,
              "error": f"应填写{definition.expected()}。", "showInputMessage": True,
              "promptTitle": definition.label[:32], "prompt": _hint(definition)[:255]}
    if definition.type == "yes_no":
        return DataValidation(type="list", formula1='"是,否"', **common)
    if definition.type == "choice":
        return DataValidation(type="list", formula1='"' + ",".join(definition.options) + '"', **common)
    kind = "whole" if definition.type == "integer" else "decimal"
    low = definition.min_exclusive if definition.min_exclusive is not None else definition.min
    if definition.min_exclusive is not None:
        return DataValidation(type=kind, operator="greaterThan", formula1=str(low), **common)
    if definition.max is not None:
        return DataValidation(type=kind, operator="between", formula1=str(low or 0), formula2=str(definition.max), **common)
    return DataValidation(type=kind, operator="greaterThanOrEqual", formula1=str(low or 0), **common)


def _facts_sheet(workbook: Workbook, sheet: Worksheet, table: TableDefinition) -> None:
    for column, width in FACTS_COLUMNS.items():
        sheet.column_dimensions[column].width = width
    sheet.merge_cells("A1:F1")
    sheet["A1"] = f"{table.short_title}绩效自评基础数据"
    sheet["A1"].font = Font(name=TITLE_FONT, size=16, bold=True)
    sheet["A1"].alignment = CENTER
    sheet.row_dimensions[1].height = 36
    sheet.merge_cells("A2:F2")
    sheet["A2"] = ("请在黄色单元格中填写本年度的实际情况；「是/否」项从下拉列表选择。"
                   "selfscore 根据本表数据重新计算「自评表」中每个指标的得分。")
    sheet["A2"].font = Font(name=BODY_FONT, size=10.5)
    sheet["A2"].alignment = LEFT
    sheet.row_dimensions[2].height = 32
    for column, label in zip("ABCDEF", ("序号", "数据项", "单位", "填报值", "填写说明", "用于指标"), strict=True):
        sheet[f"{column}3"] = label
        _style(sheet[f"{column}3"], bold=True, fill=HEADER_FILL)
    for index, definition in enumerate(table.inputs, start=1):
        row = index + 3
        users = "、".join([indicator.name for indicator in table.users_of(definition.id)]
                         + ["一票否决" for veto in table.vetoes if veto.input.id == definition.id]) or "（校验用）"
        unit = definition.unit or {"yes_no": "是/否", "choice": "选择"}.get(definition.type, "")
        cells = (index, definition.label, unit,
                 None, _hint(definition), users)
        for column, value in zip("ABCDEF", cells, strict=True):
            sheet[f"{column}{row}"] = value
            _style(sheet[f"{column}{row}"], size=10.5, align=LEFT if column in "BEF" else CENTER)
        _input_cell(sheet[f"D{row}"])
        _name(workbook, input_name(definition.id), sheet, f"D{row}")
        rule = _validation(definition)
        sheet.add_data_validation(rule)
        rule.add(f"D{row}")
        longest = max(text_height(definition.label, FACTS_COLUMNS["B"]), text_height(_hint(definition), FACTS_COLUMNS["E"]),
                      text_height(users, FACTS_COLUMNS["F"]))
        sheet.row_dimensions[row].height = max(24, longest - 6)
    sheet.freeze_panes = "A4"
    print_setup(sheet, "3:3")
    _protect(sheet)


def _guide_sheet(sheet: Worksheet, table: TableDefinition) -> None:
    steps = [
        f"填报说明 —— {table.title}",
        "1. 在「自评表」第 2 行填写填报单位和评价年度。",
        "2. 在「基础数据」表的黄色单元格中逐项填写实际情况（"
        + ("是/否" if not any(d.type == "choice" for d in table.inputs) else "是/否和「健全」等选项")
        + "从下拉列表选择，数量填整数，没有的填 0）。",
        "3. 在「自评表」的「自评得分」列填写各指标自评得分；「合计」自动求和，无需填写。" if not table.adjusted else
        f"3. 在「自评表」的「自评得分」列填写各指标自评得分，并在「合计」行填写总分（应{_total_rule_text(table)}）。",
        "4. 保存为 .xlsx 文件，用 selfscore 校验（网页上传或命令 selfscore check 文件名.xlsx）。",
        "5. 校验后得到「…checked.xlsx」标注副本：红色为错误，橙色为提醒，蓝色为说明，自评得分一致的为绿色；鼠标停在单元格上可查看批注。"
        "「校验结果」表列出每个指标重新计算的得分和计算过程，「问题清单」表列出全部问题。",
        "6. 在标注副本上直接修改后可再次校验，结果表会列出已改正、仍存在和新发现的问题。",
        "说明：只有黄色单元格可以填写，表格已加保护（无密码），以免误改表格结构。",
    ]
    width = 100
    sheet.column_dimensions["A"].width = width
    for row, text in enumerate(steps, start=1):
        cell = sheet.cell(row=row, column=1, value=text)
        cell.font = Font(name=TITLE_FONT if row == 1 else BODY_FONT, size=14 if row == 1 else 11, bold=row == 1)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.row_dimensions[row].height = 30 if row == 1 else text_height(text, width, size=11, minimum=28)
    print_setup(sheet, "1:1")
    _protect(sheet)


def _meta_sheet(sheet: Worksheet, table: TableDefinition) -> None:
    sheet["A1"], sheet["B1"] = "table", table.id
    sheet["A2"], sheet["B2"] = "template_version", table.template_version
    sheet["A3"], sheet["B3"] = "generator", "selfscore"
    sheet.sheet_state = "veryHidden"
    _protect(sheet)
