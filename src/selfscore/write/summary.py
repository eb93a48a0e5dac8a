"""The reviewer's summary workbook: every checked workbook in one place — 汇总, 指标明细, 图表."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.layout import Layout, ManualLayout
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from selfscore.results.report import REPORT_STATUS_NAMES, STATUS_NAMES, Report, duplicate_groups
from selfscore.tables.definitions import TableDefinition, load_tables
from selfscore.tables.numbers import fmt, round2, to_fraction
from selfscore.write.markup import REPORT_COLOURS, SEVERITY_COLOURS, STATUS_COLOURS, put_text
from selfscore.write.template import print_setup, text_height
from selfscore.write.xlsx_bytes import workbook_bytes

SUMMARY_SHEET = "汇总"
DETAIL_SHEET = "指标明细"
CHART_SHEET = "图表"
HEADER_FILL = "D9E1F2"
#: duplicates in lavender: no mark colour (red, orange, blue, green, grey) means "the same submission twice"
DUPLICATE_FILL = "E4DFEC"
#: widths chosen so that the 14 columns print on one A4 landscape page at a legible size (about 85 %)
SUMMARY_COLUMNS = (
    ("序号", 5), ("文件", 24), ("填报单位", 16), ("年度", 6), ("表格", 14), ("自评合计", 8), ("重新计算", 9),
    ("差额", 8), ("错误", 6), ("提醒", 6), ("结论", 11), ("重复报送", 13), ("标注副本", 13), ("主要问题", 44),
)
#: a link's own text: LibreOffice never wraps a hyperlink cell, so a file name would be cut; the file is named beside it
LINK_TEXT = "打开标注副本"
_COLUMN = {label: get_column_letter(number) for number, (label, _width) in enumerate(SUMMARY_COLUMNS, start=1)}
HEADER_ROW = 4
#: cm: what an A4 landscape page holds below the sheet's title row
CHART_MAX_HEIGHT = 15.0


@dataclass(frozen=True)
class Difference:
    """Self total minus recomputed total, as far as it can be known."""

    #: 0 known difference, 1 cannot be computed (unknown, or inside a range a person must judge), 2 unreadable
    group: int
    value: Fraction | None
    text: str

    def sort_key(self) -> tuple:
        return (self.group, -abs(self.value) if self.value is not None else 0)


def difference(report: Report) -> Difference:
    if report.status == "unreadable":
        return Difference(2, None, "无法读取")
    if report.self_total is None:
        return Difference(1, None, "未填合计")
    own = to_fraction(report.self_total)
    if report.recomputed_total is not None:
        return Difference(0, own - report.recomputed_total, "")
    if report.recomputed_range is not None:
        low, high = report.recomputed_range
        if low <= own <= high:
            return Difference(1, None, "需人工判定")
        return Difference(0, own - (high if own > high else low), "")
    return Difference(1, None, "无法计算")


def summary_order(reports: Sequence[Report]) -> list[int]:
    """Largest difference first (either way); then those whose difference cannot be known; unreadable last."""
    return sorted(range(len(reports)), key=lambda i: (difference(reports[i]).sort_key(), -reports[i].errors,
                                                       reports[i].file))


def summary_bytes(reports: Sequence[Report], marked_paths: Sequence[str | None], collection: dict | None = None) -> bytes:
    """The summary workbook as .xlsx bytes; ``marked_paths[i]`` is the link to report i's marked-up copy
    (a path relative to where the summary is saved, or a URL), or None.

    A collection's summary also gets ``collection`` (its review results, see ``Collections.review_results``): a first
    sheet of every unit of the collection in its order, and per table a sheet of every indicator's three figures."""
    from selfscore.write.review_sheet import collection_sheets

    workbook = Workbook()
    duplicates = _duplicates_by_index(reports)
    tables = load_tables()
    _summary_sheet(workbook.active, reports, marked_paths, duplicates)
    _detail_sheet(workbook.create_sheet(DETAIL_SHEET), reports, tables, duplicates)
    _chart_sheet(workbook.create_sheet(CHART_SHEET), reports, tables, duplicates)
    if collection is not None:
        collection_sheets(workbook, collection)
    workbook.active = 0
    return workbook_bytes(workbook)


def _duplicates_by_index(reports: Sequence[Report]) -> dict[int, list[int]]:
    return {index: group for group in duplicate_groups(reports) for index in group}


def _number(value) -> float | int:
    rounded = round2(value)
    return int(rounded) if rounded == rounded.to_integral_value() else float(rounded)


def _put_number(sheet: Worksheet, coordinate: str, value, fill: str | None = None, number_format: str = "General") -> None:
    # Numbers (parsed or computed, never raw text from a workbook) stay numbers, so a reviewer can sort and filter.
    put_text(sheet, coordinate, "", align="center", fill=fill)
    cell = sheet[coordinate]
    cell.value = _number(value)
    cell.data_type = "n"
    cell.number_format = number_format


def _table_name(report: Report, tables: dict[str, TableDefinition]) -> str:
    table = tables.get(report.table or "")
    return table.short_title if table else (report.title or "")


def _label(report: Report, index: int, duplicates: dict[int, list[int]]) -> str:
    """How a unit is named in the matrix and the chart; duplicates also by their file, to tell them apart."""
    if not report.unit:
        return report.file
    return f"{report.unit}（{report.file}）" if index in duplicates else report.unit


def _summary_sheet(sheet: Worksheet, reports: Sequence[Report], marked_paths: Sequence[str | None],
                   duplicates: dict[int, list[int]]) -> None:
    sheet.title = SUMMARY_SHEET
    tables = load_tables()
    last_column = get_column_letter(len(SUMMARY_COLUMNS))
    for number, (_label_text, width) in enumerate(SUMMARY_COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = width

    counts = {status: sum(1 for r in reports if r.status == status) for status in REPORT_STATUS_NAMES}
    sheet.merge_cells(f"A1:{last_column}1")
    put_text(sheet, "A1", "绩效自评表校验汇总", bold=True, size=15, border=False, align="center")
    sheet.row_dimensions[1].height = 28
    sheet.merge_cells(f"A2:{last_column}2")
    put_text(sheet, "A2", f"共 {len(reports)} 个文件：{counts['ok']} 个通过，{counts['review']} 个需人工确认，{counts['errors']} 个有错误，"
             f"{counts['unreadable']} 个无法读取。差额 = 自评合计 − 重新计算（正数为自评偏高）；按差额绝对值从大到小排列，"
             "差额无法确定的（无法计算、需人工判定、未填合计）排在其后，无法读取的文件排在最后。", border=False)
    sheet.row_dimensions[2].height = 30
    sheet.merge_cells(f"A3:{last_column}3")
    groups = duplicate_groups(reports)
    if groups:
        text = "重复报送（同一填报单位、年度、表格出现多次）：" + "；".join(
            f"{reports[g[0]].unit} {reports[g[0]].year} 年{_table_name(reports[g[0]], tables)} "
            f"{len(g)} 份（{'、'.join(reports[i].file for i in g)}）" for g in groups)
        put_text(sheet, "A3", text, bold=True, border=False, fill=DUPLICATE_FILL)
    else:
        put_text(sheet, "A3", "未发现重复报送。", border=False)
    sheet.row_dimensions[3].height = 30

    for number, (label, _width) in enumerate(SUMMARY_COLUMNS, start=1):
        put_text(sheet, f"{get_column_letter(number)}{HEADER_ROW}", label, bold=True, fill=HEADER_FILL, align="center")

    row = HEADER_ROW
    for position, index in enumerate(summary_order(reports), start=1):
        report = reports[index]
        row += 1
        c = {label: f"{letter}{row}" for label, letter in _COLUMN.items()}
        diff = difference(report)
        _put_number(sheet, c["序号"], position)
        put_text(sheet, c["文件"], report.file)
        put_text(sheet, c["填报单位"], report.unit or "")
        if report.year is not None:
            _put_number(sheet, c["年度"], report.year, number_format="0")
        else:
            put_text(sheet, c["年度"], "", align="center")
        put_text(sheet, c["表格"], _table_name(report, tables))
        if report.self_total is not None:
            _put_number(sheet, c["自评合计"], report.self_total)
        else:
            put_text(sheet, c["自评合计"], "—" if report.status != "unreadable" else "", align="center")
        if report.recomputed_total is not None:
            _put_number(sheet, c["重新计算"], report.recomputed_total)
        else:
            put_text(sheet, c["重新计算"], report.recomputed_total_text if report.status != "unreadable" else "",
                     align="center")
        if diff.value is not None:
            _put_number(sheet, c["差额"], diff.value)
        else:
            put_text(sheet, c["差额"], diff.text, align="center")
        _put_number(sheet, c["错误"], report.errors)
        _put_number(sheet, c["提醒"], report.warnings)
        put_text(sheet, c["结论"], REPORT_STATUS_NAMES[report.status], align="center")
        if index in duplicates:
            others = [reports[i].file for i in duplicates[index] if i != index]
            put_text(sheet, c["重复报送"], "与 " + "、".join(others) + " 重复")
        else:
            put_text(sheet, c["重复报送"], "")
        link = marked_paths[index] if index < len(marked_paths) else None
        if link:
            put_text(sheet, c["标注副本"], LINK_TEXT)
            cell = sheet[c["标注副本"]]
            cell.hyperlink = link
            cell.font = Font(name=cell.font.name, size=cell.font.sz, color="0563C1", underline="single")
        else:
            put_text(sheet, c["标注副本"], "")
        first_error = next((f.message for f in report.findings if f.severity == "error"), "")
        put_text(sheet, c["主要问题"], first_error)
        # Tall enough for every wrapped cell (the first error, a long file or unit name), so none is cut in print.
        widths = dict(SUMMARY_COLUMNS)
        sheet.row_dimensions[row].height = max(
            text_height(first_error, widths["主要问题"]), text_height(report.file, widths["文件"]),
            text_height(report.unit or "", widths["填报单位"]), text_height(_table_name(report, tables), widths["表格"]))

    if row > HEADER_ROW:
        first, last = HEADER_ROW + 1, row
        letter = _COLUMN
        diff_range = f"{letter['差额']}{first}:{letter['差额']}{last}"
        top = f"{letter['差额']}{first}"
        sheet.conditional_formatting.add(diff_range, FormulaRule(
            formula=[f"AND(ISNUMBER({top}),{top}<>0)"], fill=PatternFill("solid", fgColor="FFC7CE"),
            font=Font(color="9C0006", bold=True)))
        sheet.conditional_formatting.add(diff_range, FormulaRule(
            formula=[f"AND(ISNUMBER({top}),{top}=0)"], fill=PatternFill("solid", fgColor="C6EFCE")))
        sheet.conditional_formatting.add(f"{letter['错误']}{first}:{letter['错误']}{last}", CellIsRule(
            operator="greaterThan", formula=["0"], fill=PatternFill("solid", fgColor="FFC7CE")))
        sheet.conditional_formatting.add(f"{letter['提醒']}{first}:{letter['提醒']}{last}", CellIsRule(
            operator="greaterThan", formula=["0"], fill=PatternFill("solid", fgColor=SEVERITY_COLOURS["warning"])))
        status_cell = f"${letter['结论']}{first}"
        for status, colour in REPORT_COLOURS.items():
            sheet.conditional_formatting.add(f"{letter['结论']}{first}:{letter['结论']}{last}", FormulaRule(
                formula=[f'{status_cell}="{REPORT_STATUS_NAMES[status]}"'], fill=PatternFill("solid", fgColor=colour)))
        duplicate_cell = f"${letter['重复报送']}{first}"
        sheet.conditional_formatting.add(f"A{first}:{letter['重复报送']}{last}", FormulaRule(
            formula=[f'{duplicate_cell}<>""'], fill=PatternFill("solid", fgColor=DUPLICATE_FILL)))
    sheet.freeze_panes = f"C{HEADER_ROW + 1}"
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_column}{max(row, HEADER_ROW + 1)}"
    print_setup(sheet, f"{HEADER_ROW}:{HEADER_ROW}")


def _by_table(reports: Sequence[Report], tables: dict[str, TableDefinition]) -> list[tuple[TableDefinition, list[int]]]:
    """Readable reports per table, in the order the tables are defined, units in name order."""
    blocks = []
    for table in tables.values():
        indices = [i for i, r in enumerate(reports) if r.status != "unreadable" and r.table == table.id]
        if indices:
            blocks.append((table, sorted(indices, key=lambda i: (reports[i].unit or "", reports[i].file))))
    return blocks


def score_cell_text(self_score, recomputed_text: str, same: bool) -> str:
    """「10」 when the self-score stands, 「10 → 5」 when the recomputed score differs."""
    own = "—" if self_score is None else fmt(self_score)
    return own if same else f"{own} → {recomputed_text}"


def _detail_sheet(sheet: Worksheet, reports: Sequence[Report], tables: dict[str, TableDefinition],
                  duplicates: dict[int, list[int]]) -> None:
    put_text(sheet, "A1", "各单位各指标自评得分；与重新计算不同时写作「自评 → 重新计算」。颜色：", bold=True, border=False, wrap=False)
    for number, (status, name) in enumerate(STATUS_NAMES.items(), start=2):
        put_text(sheet, f"{get_column_letter(number + 2)}1", name, fill=STATUS_COLOURS[status], align="center")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 7
    row = 2
    widest = 3
    for table, indices in _by_table(reports, tables):
        row += 1
        columns = 3 + len(table.indicators) + 1
        widest = max(widest, columns)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
        put_text(sheet, f"A{row}", f"{table.annex} {table.title}（{len(indices)} 份）", bold=True, size=12, border=False)
        row += 1
        headers = ["填报单位", "年度", "文件"] + [f"{i.name}（{fmt(i.points)}）" for i in table.indicators] + \
                  [f"合计（{fmt(table.max_points)}）"]
        for number, label in enumerate(headers, start=1):
            put_text(sheet, f"{get_column_letter(number)}{row}", label, bold=True, fill=HEADER_FILL, align="center")
        sheet.row_dimensions[row].height = max(42, max(text_height(label, 12) for label in headers))
        for index in indices:
            report = reports[index]
            row += 1
            put_text(sheet, f"A{row}", report.unit or "（未填）", fill=DUPLICATE_FILL if index in duplicates else None)
            put_text(sheet, f"B{row}", report.year or "", align="center")
            put_text(sheet, f"C{row}", report.file)
            # wrapped names need a row tall enough for them, or the lines overlap the next row
            sheet.row_dimensions[row].height = max(text_height(report.file, 24), text_height(report.unit or "", 24))
            for number, indicator in enumerate(table.indicators, start=4):
                result = next((r for r in report.indicators if r.id == indicator.id), None)
                coordinate = f"{get_column_letter(number)}{row}"
                if result is None:
                    put_text(sheet, coordinate, "", align="center")
                    continue
                same = result.status in ("match", "review")
                put_text(sheet, coordinate, score_cell_text(result.self_score, result.recomputed_text, same),
                         align="center", fill=STATUS_COLOURS[result.status])
            diff = difference(report)
            total_status = ("match" if diff.value == 0 else "mismatch") if diff.value is not None else \
                ("review" if diff.text == "需人工判定" else "unknown")
            put_text(sheet, f"{get_column_letter(columns)}{row}",
                     score_cell_text(report.self_total, report.recomputed_total_text, total_status in ("match", "review")),
                     bold=True, align="center", fill=STATUS_COLOURS[total_status])
        row += 1
    for number in range(4, widest + 1):
        sheet.column_dimensions[get_column_letter(number)].width = 12
    sheet.column_dimensions["C"].width = 24
    sheet.freeze_panes = "B3"
    # A matrix of 15 columns is read across: one page wide in print, however many rows.
    print_setup(sheet, "1:1")


def _chart_sheet(sheet: Worksheet, reports: Sequence[Report], tables: dict[str, TableDefinition],
                 duplicates: dict[int, list[int]]) -> None:
    put_text(sheet, "A1", "自评合计与重新计算合计（重新计算无法确定的单位只有自评一栏）", bold=True, border=False, wrap=False)
    sheet.column_dimensions["A"].width = 22
    row = 3
    for table, indices in _by_table(reports, tables):
        put_text(sheet, f"A{row}", table.short_title, bold=True, fill=HEADER_FILL)
        put_text(sheet, f"B{row}", "自评合计", bold=True, fill=HEADER_FILL, align="center")
        put_text(sheet, f"C{row}", "重新计算", bold=True, fill=HEADER_FILL, align="center")
        header = row
        for index in indices:
            report = reports[index]
            row += 1
            put_text(sheet, f"A{row}", _label(report, index, duplicates))
            for column, value in (("B", report.self_total), ("C", report.recomputed_total)):
                if value is None:
                    put_text(sheet, f"{column}{row}", "", align="center")
                    sheet[f"{column}{row}"].value = None
                else:
                    _put_number(sheet, f"{column}{row}", value)
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "clustered"
        chart.title = f"{table.short_title}：自评合计与重新计算"
        chart.y_axis.title = "分"
        chart.y_axis.scaling.min = 0
        chart.y_axis.scaling.max = float(table.max_points)
        chart.x_axis.delete = False  # openpyxl hides the axes by default, Excel then shows no labels
        chart.y_axis.delete = False
        chart.add_data(Reference(sheet, min_col=2, max_col=3, min_row=header, max_row=row), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=row))
        # One page per table: the chart no taller than an A4 landscape page, its category labels given room.
        chart.height = min(CHART_MAX_HEIGHT, max(7.5, 0.9 * len(indices) + 3))
        chart.width = 17
        longest = max(len(_label(reports[i], i, duplicates)) for i in indices)
        label_share = min(0.45, 0.06 + 0.028 * longest)
        chart.plot_area.layout = Layout(ManualLayout(x=label_share, y=0.12, w=0.97 - label_share, h=0.68,
                                                     xMode="edge", yMode="edge"))
        chart.legend.position = "b"
        sheet.add_chart(chart, f"E{header}")
        # The next block starts below both this block's rows and its chart (~0.5 cm a row), on a page of its own.
        row = max(row, header + int(chart.height / 0.5)) + 3
        sheet.row_breaks.append(Break(id=row - 2))
    sheet.column_dimensions["B"].width = 9
    sheet.column_dimensions["C"].width = 9
    print_setup(sheet, "1:1")
