"""The marked-up workbook: the filler's own workbook with every finding on its cell, plus 「校验结果」 and 「问题清单」.

``results_sheets`` says what the added sheets hold, once, as a ``write.sheet_model.Book``: ``mark_up`` (the copy
openpyxl writes) makes them openpyxl sheets, the in-place writer writes them as XML (``write.sheet_xml``)."""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import PurePosixPath

from openpyxl import Workbook
from openpyxl.cell.cell import MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from selfscore.results.findings import SEVERITY_NAMES, Finding, place
from selfscore.results.report import REPORT_STATUS_NAMES, STATUS_NAMES, IndicatorResult, Report
from selfscore.tables.names import FINDINGS_SHEET, RECOGNISED_SHEET, RESULTS_SHEET
from selfscore.tables.steps import STEP_READING_NAMES
from selfscore.write.marks import OriginalCell, original_of, write_record, zip_stamp
from selfscore.write.sheet_model import MAX_TEXT as MAX_TEXT  # noqa: F401 - where tests and callers look for it
from selfscore.write.sheet_model import Book, SheetModel, apply_style, safe_text, style_key, to_workbook
from selfscore.write.template import text_height
from selfscore.write.xlsx_bytes import workbook_bytes

#: mark colours; a warning is orange, never the template's own light-yellow input fill (FFF2CC)
SEVERITY_COLOURS = {"error": "FFC7CE", "warning": "F4B084", "info": "DDEBF7"}
SEVERITY_COLOUR_NAMES = {"error": "红色", "warning": "橙色", "info": "蓝色"}
STATUS_COLOURS = {"match": "C6EFCE", "mismatch": "FFC7CE", "rounding_reading": "F4B084",
                  "review": "F4B084", "unknown": "D9D9D9"}
#: a whole workbook's verdict, in the same colours as its cells
REPORT_COLOURS = {"ok": "C6EFCE", "review": "F4B084", "errors": "FFC7CE", "unreadable": "D9D9D9"}
#: the findings that already spell out a score's computation; the score cell's own line then does not repeat it
_COMPUTED_CODES = ("score_mismatch", "rounding_reading")
_RANK = {"error": 3, "warning": 2, "info": 1}
COMMENT_AUTHOR = "selfscore"


def put_text(sheet: Worksheet, coordinate: str, value: object, **style) -> None:
    """Write a value as text into an openpyxl sheet, never as a formula, whatever it starts with."""
    cell = sheet[coordinate]
    cell.value = safe_text(value)
    cell.data_type = "s"
    apply_style(cell, style_key(**style))


def cell_marks(workbook: Workbook, report: Report) -> dict[tuple[str, str], tuple[str, list[str]]]:
    """Each marked cell's colour and comment lines, by (sheet, cell): the same for both writers."""
    notes: dict[tuple[str, str], list[str]] = defaultdict(list)
    worst: dict[tuple[str, str], str] = {}
    for finding in report.findings:
        if finding.sheet in workbook.sheetnames and finding.cell and _markable(workbook, finding.sheet, finding.cell):
            key = (finding.sheet, finding.cell)
            notes[key].append(f"【{SEVERITY_NAMES[finding.severity]}】{_without_place(finding)}")
            if _RANK[finding.severity] > _RANK.get(worst.get(key, ""), 0):
                worst[key] = finding.severity
    score_colours: dict[tuple[str, str], str] = {}
    computed = {(f.sheet, f.cell) for f in report.findings if f.code in _COMPUTED_CODES}
    for result in report.indicators:
        if result.sheet in workbook.sheetnames and result.cell and _markable(workbook, result.sheet, result.cell):
            key = (result.sheet, result.cell)
            notes[key].insert(0, score_line(result, with_explanation=key not in computed))
            score_colours[key] = STATUS_COLOURS[result.status]
    return {key: (SEVERITY_COLOURS[worst[key]] if key in worst else score_colours[key], lines)
            for key, lines in notes.items()}


def comment_on(cell, lines: list[str]) -> Comment:
    """The comment a marked cell gets: the cell's own comment first, then what selfscore found."""
    text = "selfscore 校验：\n" + "\n".join(lines)
    if cell.comment is not None:
        text = f"{cell.comment.text}\n——\n{text}"
    comment = Comment(safe_text(text), COMMENT_AUTHOR)
    comment.width = 420
    comment.height = min(600, 60 + 18 * sum(1 + len(line) // 28 for line in lines))
    return comment


def mark_up(workbook: Workbook, report: Report) -> bytes:
    """Mark the (already loaded) workbook in place and return it as .xlsx bytes."""
    originals: list[OriginalCell] = []
    fills: dict = {}
    for (sheet, coordinate), (colour, lines) in cell_marks(workbook, report).items():
        originals.append(original_of(workbook, sheet, coordinate, fills))
        cell = workbook[sheet][coordinate]
        cell.fill = PatternFill("solid", fgColor=colour)
        cell.comment = comment_on(cell, lines)

    _keep_unwritable_numbers(workbook)
    to_workbook(workbook, results_sheets(report, workbook.sheetnames).created)
    copy_of = PurePosixPath(report.file).name
    write_record(workbook, originals, [(f.code, f.sheet or "", f.cell or "", f.message) for f in report.findings],
                 copy_of=copy_of)
    return workbook_bytes(workbook, zip_stamp(copy_of))


def _keep_unwritable_numbers(workbook: Workbook) -> None:
    """openpyxl writes an infinite or NaN number (e.g. a file's 1e999) as an empty cell; keep it visible, as text."""
    for sheet in workbook.worksheets:
        # _cells holds only the cells that exist: walking rows × columns of a sparse sheet could be billions
        for cell in list(sheet._cells.values()):
            if isinstance(cell.value, float) and not math.isfinite(cell.value):
                cell.value = str(cell.value)
                cell.data_type = "s"


def _markable(workbook: Workbook, sheet: str, coordinate: str) -> bool:
    # A cell inside a merged range cannot carry a comment; its finding is still listed in 「问题清单」.
    cell = workbook[sheet][coordinate]
    return not isinstance(cell, MergedCell) and not getattr(cell, "merged_follower", False)  # or the lean reader's


def score_line(result: IndicatorResult, *, with_explanation: bool = True) -> str:
    """The first line of a self-score cell's comment: its status, the recomputed score, and how (unless a finding says it)."""
    status = f"【{STATUS_NAMES[result.status]}】"
    if result.recomputed is None and result.range is None:  # the explanation says why, and where the cause is
        return status + result.explanation.removeprefix(f"{STATUS_NAMES[result.status]}：")
    line = f"{status}重新计算 {result.recomputed_text} 分"
    return f"{line}。{result.explanation}" if with_explanation else f"{line}。"


def _without_place(finding: Finding) -> str:
    # The comment sits on the cell itself, so the 「sheet」cell prefix would only repeat it; what the cell holds
    # stays as the line's subject (「是否存在…：填写了…」), never a bare bracket.
    message = finding.message
    if not finding.place or not message.startswith(finding.place):
        return message
    rest = message[len(finding.place):]
    if rest.startswith("（") and "）：" in rest:
        what, body = rest[1:].split("）：", 1)
        return f"{what}：{body}"
    return rest.removeprefix("：")


def _score_value(sheet: SheetModel, coordinate: str, value, text: str, **style) -> None:
    if value is None:
        sheet.text(coordinate, text, align="center", **style)
    else:
        sheet.number(coordinate, value, align="center", **style)


def legend(report: Report) -> str:
    """The colour legend of a marked-up copy, counting causes: each problem is reported once, on its own cell."""
    return (f"共 {report.errors} 个错误（{SEVERITY_COLOUR_NAMES['error']}）、{report.warnings} 个提醒"
            f"（{SEVERITY_COLOUR_NAMES['warning']}）、{report.count('info')} 条说明（{SEVERITY_COLOUR_NAMES['info']}）。"
            "自评得分一致的为绿色，无法计算的为灰色。单元格批注写明原因。")


def results_sheets(report: Report, sheetnames: list[str]) -> Book:
    """「校验结果」, 「问题清单」 and (when cells were found by labels) 「识别到的单元格」, to be put in front of the
    workbook's own sheets; ``sheetnames`` are the sheets a link may point to."""
    book = Book()
    sheet = book.create_sheet(RESULTS_SHEET, 0)
    # A 二级指标 is a link, and LibreOffice never wraps a link: its column holds the longest name on one line.
    names = max((len(result.name) for result in report.indicators), default=0)
    name_width = max(24, round(names * 1.9 + 2))
    widths = {"A": 14, "B": name_width, "C": 8, "D": 10, "E": 10, "F": 11, "G": max(60, 104 - name_width)}
    sheet.widths.update(widths)

    sheet.merge("A1:G1")
    sheet.text("A1", f"校验结果 —— {report.title or ''}", bold=True, size=15, border=False, align="center")
    sheet.heights[1] = 30
    sheet.merge("A2:G2")
    sheet.text("A2", f"文件：{report.file}　　填报单位：{report.unit or '（未填写）'}　　评价年度：{report.year or '（未填写）'}"
               f"　　扣分口径：{STEP_READING_NAMES.get(report.steps, report.steps)}", border=False)
    verdict = f"结论：{REPORT_STATUS_NAMES[report.status]}。{legend(report)}问题清单见「{FINDINGS_SHEET}」表，点击位置可跳到对应单元格。"
    if report.status == "review":
        verdict += f"\n请人工确认：{'、'.join(report.to_confirm())}。"
    sheet.merge("A3:G3")
    sheet.text("A3", verdict, bold=True, border=False, fill=REPORT_COLOURS[report.status])
    sheet.heights[3] = max(32, text_height(verdict, sum(widths.values())))
    if report.notes:  # how a workbook that is not our template was read: the reader must check it
        notes = "\n".join(report.notes)
        sheet.merge("A4:G4")
        sheet.text("A4", notes, border=False, fill=SEVERITY_COLOURS["warning"])
        sheet.heights[4] = text_height(notes, sum(widths.values()))

    row = 5
    header = ("一级指标", "二级指标", "分值", "自评得分", "重新计算", "结果", "计算过程")
    for column, label in zip("ABCDEFG", header, strict=True):
        sheet.text(f"{column}{row}", label, bold=True, fill="D9E1F2", align="center")
    for result in report.indicators:
        row += 1
        for column, value in zip("ABG", (result.group, result.name, result.explanation), strict=True):
            sheet.text(f"{column}{row}", value, align="center" if column == "A" else "left")
        sheet.number(f"C{row}", result.max, align="center")
        _score_value(sheet, f"D{row}", result.self_score, "—")
        _score_value(sheet, f"E{row}", result.recomputed, result.recomputed_text)
        sheet.text(f"F{row}", STATUS_NAMES[result.status], align="center", fill=STATUS_COLOURS[result.status])
        if result.sheet and result.cell:
            sheet.link(f"B{row}", result.sheet, result.cell)
        # Tall enough for the longer of the wrapped 二级指标 and computation, so neither is cut in print.
        sheet.heights[row] = max(text_height(result.explanation, widths["G"]), text_height(result.name, widths["B"]))
    row += 1
    sheet.text(f"A{row}", "合计", bold=True, align="center")
    sheet.text(f"B{row}", "", bold=True)
    if report.max_total is not None:
        sheet.number(f"C{row}", report.max_total, bold=True, align="center")
    else:
        sheet.text(f"C{row}", "", bold=True)
    _score_value(sheet, f"D{row}", report.self_total, "—", bold=True)
    _score_value(sheet, f"E{row}", report.recomputed_total, report.recomputed_total_text, bold=True)
    sheet.text(f"F{row}", "", bold=True)
    sheet.text(f"G{row}", report.total_explanation, bold=True)
    # a veto or a bonus and penalty total is explained at length: tall enough not to print over the row above
    sheet.heights[row] = text_height(report.total_explanation or "", widths["G"])

    comparison = report.comparison()
    if comparison is not None:
        row += 2
        sheet.merge(f"A{row}:G{row}")
        sheet.text(f"A{row}", f"与上次校验相比：已改正 {len(comparison['fixed'])} 项，仍存在 {len(comparison['remaining'])} 项，"
                   f"新发现 {len(comparison['new'])} 项（明细见「{FINDINGS_SHEET}」表）", bold=True, size=12, border=False)

    sheet.freeze = "A6"
    sheet.title_rows = "5:5"
    sheet.selected = True  # the only selected tab: a second one would group the sheets in Excel
    _findings_sheet(book, report, sheetnames)
    _recognised_sheet(book, report, sheetnames)
    return book


_FINDINGS_WIDTHS = {"A": 10, "B": 22, "C": 110}


def _findings_sheet(book: Book, report: Report, sheetnames: list[str]) -> None:
    """Every finding with a link to its cell, then what changed since the last check, under their own header."""
    sheet = book.create_sheet(FINDINGS_SHEET, 1)
    sheet.selected = False
    sheet.widths.update(_FINDINGS_WIDTHS)
    sheet.merge("A1:C1")
    sheet.text("A1", f"问题清单（{len(report.findings)} 条）—— {report.file}", bold=True, size=13, border=False)
    sheet.heights[1] = 24
    for column, label in zip("ABC", ("类别", "位置", "说明"), strict=True):
        sheet.text(f"{column}2", label, bold=True, fill="D9E1F2", align="center")
    row = 2
    if not report.findings:
        row += 1
        sheet.merge(f"A{row}:C{row}")
        sheet.text(f"A{row}", "未发现问题。")
    for finding in report.findings:
        row += 1
        sheet.text(f"A{row}", SEVERITY_NAMES[finding.severity], align="center", fill=SEVERITY_COLOURS[finding.severity])
        sheet.text(f"B{row}", finding.place or "整个文件")
        if finding.sheet in sheetnames and finding.cell:
            sheet.link(f"B{row}", finding.sheet, finding.cell)
        sheet.text(f"C{row}", finding.message)
        sheet.heights[row] = max(text_height(finding.message, _FINDINGS_WIDTHS["C"]),
                                 text_height(finding.place, _FINDINGS_WIDTHS["B"]))
    comparison = report.comparison()
    if comparison is not None:
        row += 2
        sheet.merge(f"A{row}:C{row}")
        sheet.text(f"A{row}", f"与上次校验相比：已改正 {len(comparison['fixed'])} 项，仍存在 {len(comparison['remaining'])} 项，"
                   f"新发现 {len(comparison['new'])} 项", bold=True, size=12, border=False)
        for label, key, colour in (("已改正", "fixed", "C6EFCE"), ("仍存在", "remaining", "FFC7CE"),
                                   ("新发现", "new", SEVERITY_COLOURS["warning"])):
            for _code, sheet_name, cell, message in comparison[key]:
                row += 1
                sheet.text(f"A{row}", label, align="center", fill=colour)
                sheet.text(f"B{row}", place(sheet_name, cell) or "整个文件")
                sheet.text(f"C{row}", message)
                sheet.heights[row] = text_height(message, _FINDINGS_WIDTHS["C"])
    sheet.freeze = "A3"
    sheet.title_rows = "2:2"


def _recognised_sheet(book: Book, report: Report, sheetnames: list[str]) -> None:
    """Where each value was found, when some were found by their labels rather than by defined names."""
    if not any(cell.recognised_from == "label" for cell in report.recognised):
        return
    sheet = book.create_sheet(RECOGNISED_SHEET, 2)
    sheet.selected = False
    widths = {"A": 22, "B": 40, "C": 70}
    sheet.widths.update(widths)
    sheet.merge("A1:C1")
    sheet.text("A1", f"识别到的单元格（{len(report.recognised)} 个，按表头和文字识别，请核对）",
               bold=True, size=12, border=False)
    for column, label in zip("ABC", ("位置", "内容", "依据的文字"), strict=True):
        sheet.text(f"{column}2", label, bold=True, fill="D9E1F2", align="center")
    row = 2
    for cell in report.recognised:
        row += 1
        sheet.text(f"A{row}", place(cell.sheet, cell.cell))
        if cell.sheet in sheetnames:
            sheet.link(f"A{row}", cell.sheet, cell.cell)
        sheet.text(f"B{row}", cell.what)
        sheet.text(f"C{row}", cell.label or "（名称）")
        sheet.heights[row] = max(text_height(cell.what, widths["B"]), text_height(cell.label or "", widths["C"]))
    sheet.freeze = "A3"
    sheet.title_rows = "2:2"
