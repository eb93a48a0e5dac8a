"""The marked-up workbook: the filler's own workbook with every finding on its cell, plus 「校验结果」."""

from __future__ import annotations

import math
from collections import defaultdict
from copy import copy

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.styles.cell_style import StyleArray
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from selfscore.results.findings import SEVERITY_NAMES, Finding, place
from selfscore.results.report import REPORT_STATUS_NAMES, STATUS_NAMES, Report
from selfscore.tables.names import RESULTS_SHEET
from selfscore.tables.numbers import fmt
from selfscore.tables.rules import STEP_READING_NAMES
from selfscore.write.marks import OriginalCell, original_of, write_record
from selfscore.write.template import print_setup, text_height
from selfscore.write.xlsx_bytes import workbook_bytes

SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "FFEB9C", "info": "DDEBF7"}
STATUS_COLOURS = {"match": "C6EFCE", "mismatch": "FFC7CE", "rounding_reading": "FFEB9C",
                  "review": "FFEB9C", "unknown": "D9D9D9"}
_RANK = {"error": 3, "warning": 2, "info": 1}
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_FONT = "宋体"
COMMENT_AUTHOR = "selfscore"
MAX_TEXT = 32767  # Excel's limit for one cell


def safe_text(value: object) -> str:
    """Text that openpyxl can write and Excel can hold: no control characters, not too long."""
    text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", "" if value is None else str(value))
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 1] + "…"


def put_text(sheet: Worksheet, coordinate: str, value: object, **style) -> None:
    """Write a value as text, never as a formula, whatever it starts with."""
    cell = sheet[coordinate]
    cell.value = safe_text(value)
    cell.data_type = "s"
    _apply(cell, **style)


def _apply(cell, **style) -> None:
    # Building and hashing style objects cell by cell is most of the cost of writing a results sheet;
    # each workbook builds one style per combination once and copies its indices to every other cell.
    workbook = cell.parent.parent
    cache = workbook.__dict__.setdefault("_selfscore_styles", {})
    key = tuple(sorted(style.items()))
    fields = cache.get(key)
    if fields is None:
        _apply_styles(cell, **style)
        names = ("fontId", "alignmentId") + (("borderId",) if style.get("border", True) else ()) + \
                (("fillId",) if style.get("fill") else ())
        cache[key] = fields = tuple((name, getattr(cell._style, name)) for name in names)
        return
    array = copy(cell._style) if cell._style else StyleArray()  # never change an array another cell shares
    for name, value in fields:
        setattr(array, name, value)
    cell._style = array


def _apply_styles(cell, *, bold: bool = False, size: float = 10.5, fill: str | None = None, wrap: bool = True,
                  border: bool = True, align: str = "left", colour: str | None = None, underline: str | None = None) -> None:
    cell.font = Font(name=_FONT, size=size, bold=bold, color=colour, underline=underline)
    cell.alignment = Alignment(horizontal=align, vertical="center", wrap_text=wrap)
    if border:
        cell.border = _BORDER
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)


def mark_up(workbook: Workbook, report: Report) -> bytes:
    """Mark the (already loaded) workbook in place and return it as .xlsx bytes."""
    notes: dict[tuple[str, str], list[str]] = defaultdict(list)
    worst: dict[tuple[str, str], str] = {}
    for finding in report.findings:
        if finding.sheet in workbook.sheetnames and finding.cell and _markable(workbook, finding.sheet, finding.cell):
            key = (finding.sheet, finding.cell)
            notes[key].append(f"【{SEVERITY_NAMES[finding.severity]}】{_without_place(finding)}")
            if _RANK[finding.severity] > _RANK.get(worst.get(key, ""), 0):
                worst[key] = finding.severity
    score_colours: dict[tuple[str, str], str] = {}
    for result in report.indicators:
        if result.sheet in workbook.sheetnames and result.cell and _markable(workbook, result.sheet, result.cell):
            key = (result.sheet, result.cell)
            notes[key].insert(0, f"【{STATUS_NAMES[result.status]}】重新计算：{result.recomputed_text} 分。{result.explanation}")
            score_colours[key] = STATUS_COLOURS[result.status]

    originals: list[OriginalCell] = []
    for key, lines in notes.items():
        sheet, coordinate = key
        originals.append(original_of(workbook, sheet, coordinate))
        cell = workbook[sheet][coordinate]
        colour = SEVERITY_COLOURS[worst[key]] if key in worst else score_colours[key]
        cell.fill = PatternFill("solid", fgColor=colour)
        text = "selfscore 校验：\n" + "\n".join(lines)
        if cell.comment is not None:
            text = f"{cell.comment.text}\n——\n{text}"
        comment = Comment(safe_text(text), COMMENT_AUTHOR)
        comment.width = 420
        comment.height = min(600, 60 + 18 * sum(1 + len(line) // 28 for line in lines))
        cell.comment = comment

    _keep_unwritable_numbers(workbook)
    _results_sheet(workbook, report)
    write_record(workbook, originals, [(f.code, f.sheet or "", f.cell or "", f.message) for f in report.findings])
    return workbook_bytes(workbook)


def _keep_unwritable_numbers(workbook: Workbook) -> None:
    """openpyxl writes an infinite or NaN number (e.g. a file's 1e999) as an empty cell; keep it visible, as text."""
    for sheet in workbook.worksheets:
        # _cells holds only the cells that exist: walking rows × columns of a sparse sheet could be billions
        for cell in list(sheet._cells.values()):
            if isinstance(cell.value, float) and not math.isfinite(cell.value):
                cell.value = str(cell.value)
                cell.data_type = "s"


def _markable(workbook: Workbook, sheet: str, coordinate: str) -> bool:
    # A cell inside a merged range cannot carry a comment; its finding is still listed in 「校验结果」.
    return not isinstance(workbook[sheet][coordinate], MergedCell)


def _without_place(finding: Finding) -> str:
    # The comment sits on the cell itself, so the 「sheet」cell prefix would only repeat it.
    prefix = f"{finding.place}（"
    if finding.place and finding.message.startswith(prefix):
        return finding.message[len(finding.place):]
    return finding.message


def _link(sheet: Worksheet, coordinate: str, target_sheet: str, target_cell: str) -> None:
    cell = sheet[coordinate]
    cell.hyperlink = Hyperlink(ref=coordinate, location=f"'{target_sheet}'!{target_cell}", display=str(cell.value))
    cell.font = Font(name=_FONT, size=10.5, color="0563C1", underline="single")


def _results_sheet(workbook: Workbook, report: Report) -> None:
    sheet = workbook.create_sheet(RESULTS_SHEET, 0)
    widths = {"A": 14, "B": 24, "C": 8, "D": 10, "E": 10, "F": 11, "G": 80}
    for column, width in widths.items():
        sheet.column_dimensions[column].width = width

    sheet.merge_cells("A1:G1")
    put_text(sheet, "A1", f"校验结果 —— {report.title or ''}", bold=True, size=15, border=False, align="center")
    sheet.row_dimensions[1].height = 30
    sheet.merge_cells("A2:G2")
    put_text(sheet, "A2", f"文件：{report.file}　　填报单位：{report.unit or '（未填写）'}　　评价年度：{report.year or '（未填写）'}"
             f"　　扣分口径：{STEP_READING_NAMES.get(report.step_reading, report.step_reading)}", border=False)
    verdict = (f"结论：{REPORT_STATUS_NAMES[report.status]}。共 {report.errors} 个错误（红色）、{report.warnings} 个提醒（黄色）、"
               f"{report.count('info')} 条说明（蓝色）。点击「位置」可跳到对应单元格，单元格批注写明原因。")
    sheet.merge_cells("A3:G3")
    put_text(sheet, "A3", verdict, bold=True, border=False, fill="FFC7CE" if report.errors else "C6EFCE")
    sheet.row_dimensions[3].height = 32
    if report.notes:  # how a workbook that is not our template was read: the reader must check it
        notes = "\n".join(report.notes)
        sheet.merge_cells("A4:G4")
        put_text(sheet, "A4", notes, border=False, fill=SEVERITY_COLOURS["warning"])
        sheet.row_dimensions[4].height = text_height(notes, sum(widths.values()))

    row = 5
    header = ("一级指标", "二级指标", "分值", "自评得分", "重新计算", "结果", "计算过程")
    for column, label in zip("ABCDEFG", header, strict=True):
        put_text(sheet, f"{column}{row}", label, bold=True, fill="D9E1F2", align="center")
    for result in report.indicators:
        row += 1
        cells = (result.group, result.name, fmt(result.max), "—" if result.self_score is None else fmt(result.self_score),
                 result.recomputed_text, STATUS_NAMES[result.status], result.explanation)
        for column, value in zip("ABCDEFG", cells, strict=True):
            put_text(sheet, f"{column}{row}", value, align="left" if column in "BG" else "center")
        sheet[f"F{row}"].fill = PatternFill("solid", fgColor=STATUS_COLOURS[result.status])
        if result.sheet and result.cell:
            _link(sheet, f"B{row}", result.sheet, result.cell)
        sheet.row_dimensions[row].height = text_height(result.explanation, widths["G"])
    row += 1
    total_cells = ("合计", "", fmt(report.max_total) if report.max_total is not None else "",
                   "—" if report.self_total is None else fmt(report.self_total), report.recomputed_total_text, "",
                   report.total_explanation)
    for column, value in zip("ABCDEFG", total_cells, strict=True):
        put_text(sheet, f"{column}{row}", value, bold=True, align="center")

    row += 2
    sheet.merge_cells(f"A{row}:G{row}")
    put_text(sheet, f"A{row}", f"问题清单（{len(report.findings)} 条）", bold=True, size=12, border=False)
    row += 1
    for column, label in zip("ABC", ("级别", "位置", "说明"), strict=True):
        put_text(sheet, f"{column}{row}", label, bold=True, fill="D9E1F2", align="center")
    sheet.merge_cells(f"C{row}:G{row}")
    if not report.findings:
        row += 1
        sheet.merge_cells(f"A{row}:G{row}")
        put_text(sheet, f"A{row}", "未发现问题。")
    for finding in report.findings:
        row += 1
        put_text(sheet, f"A{row}", SEVERITY_NAMES[finding.severity], align="center",
                 fill=SEVERITY_COLOURS[finding.severity])
        put_text(sheet, f"B{row}", finding.place or "整个文件")
        if finding.sheet in workbook.sheetnames and finding.cell:
            _link(sheet, f"B{row}", finding.sheet, finding.cell)
        sheet.merge_cells(f"C{row}:G{row}")
        put_text(sheet, f"C{row}", finding.message)
        sheet.row_dimensions[row].height = text_height(finding.message, sum(widths[c] for c in "CDEFG"))

    comparison = report.comparison()
    if comparison is not None:
        row += 2
        sheet.merge_cells(f"A{row}:G{row}")
        put_text(sheet, f"A{row}", f"与上次校验相比：已改正 {len(comparison['fixed'])} 项，仍存在 {len(comparison['remaining'])} 项，"
                 f"新发现 {len(comparison['new'])} 项", bold=True, size=12, border=False)
        for label, key, colour in (("已改正", "fixed", "C6EFCE"), ("仍存在", "remaining", "FFC7CE"), ("新发现", "new", "FFEB9C")):
            for _code, sheet_name, cell, message in comparison[key]:
                row += 1
                put_text(sheet, f"A{row}", label, align="center", fill=colour)
                put_text(sheet, f"B{row}", place(sheet_name, cell) or "整个文件")
                sheet.merge_cells(f"C{row}:G{row}")
                put_text(sheet, f"C{row}", message)
                sheet.row_dimensions[row].height = text_height(message, sum(widths[c] for c in "CDEFG"))

    row = _recognised_section(sheet, workbook, report, row, widths)

    sheet.freeze_panes = "A5"
    print_setup(sheet, "5:5")
    for other in workbook.worksheets:
        other.sheet_view.tabSelected = False
    sheet.sheet_view.tabSelected = True
    workbook.active = 0



def _recognised_section(sheet: Worksheet, workbook: Workbook, report: Report, row: int, widths: dict[str, float]) -> int:
    """Where each value was found, when some were found by their labels rather than by defined names."""
    if not any(cell.recognised_from == "label" for cell in report.recognised):
        return row
    row += 2
    sheet.merge_cells(f"A{row}:G{row}")
    put_text(sheet, f"A{row}", f"识别到的单元格（{len(report.recognised)} 个，按表头和文字识别，请核对）",
             bold=True, size=12, border=False)
    row += 1
    for column, label in zip("ABC", ("位置", "内容", "依据的文字"), strict=True):
        put_text(sheet, f"{column}{row}", label, bold=True, fill="D9E1F2", align="center")
    sheet.merge_cells(f"C{row}:G{row}")
    for cell in report.recognised:
        row += 1
        put_text(sheet, f"A{row}", place(cell.sheet, cell.cell))
        if cell.sheet in workbook.sheetnames:
            _link(sheet, f"A{row}", cell.sheet, cell.cell)
        put_text(sheet, f"B{row}", cell.what)
        sheet.merge_cells(f"C{row}:G{row}")
        put_text(sheet, f"C{row}", cell.label or "（名称）")
        sheet.row_dimensions[row].height = max(text_height(cell.what, widths["B"]), 20)
    return row
