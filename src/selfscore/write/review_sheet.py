"""The 复核结果表: one A4 landscape sheet per table of the reviewed units, and the units not yet signed off.

Per unit and indicator 分值, 自评得分, 复核得分 and 扣分原因, with each unit's 复核合计 and rank; a last sheet lists the
units not submitted or not signed off. It is written from the plain data the collection hands up (the same dict as its
JSON export), so that this layer knows nothing of the database."""

from __future__ import annotations

from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.pagebreak import Break
from openpyxl.worksheet.worksheet import Worksheet

from selfscore.write.template import print_setup
from selfscore.write.xlsx_bytes import workbook_bytes

HEADER_FILL = "D9E1F2"
TOTAL_FILL = "F2F2F2"
COLUMNS = (("序号", 5), ("单位", 14), ("二级指标", 22), ("分值", 7), ("自评得分", 8), ("复核得分", 8), ("扣分原因", 62))
TOTAL_COLUMNS = (("排名", 6),)
NOT_DONE_SHEET = "未审核单位"
_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_WRAP = Alignment(wrap_text=True, vertical="top")
_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_NUMBER = Alignment(horizontal="right", vertical="top", wrap_text=True)
#: the height (points) an A4 landscape page leaves below the repeated title rows, at print_setup's margins, with room
#: to spare: a unit's rows are kept together on one page when they fit on one (its name stands in its first row only)
PAGE_BODY = 420


def _number(value: Any) -> Any:
    return "—" if value is None else value


def _header(sheet: Worksheet, title: str, subtitle: str, columns: tuple[tuple[str, int], ...]) -> None:
    last = chr(ord("A") + len(columns) - 1)
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"] = title
    sheet["A1"].font = Font(size=15, bold=True)
    sheet["A1"].alignment = _CENTER
    sheet.row_dimensions[1].height = 30
    sheet.merge_cells(f"A2:{last}2")
    sheet["A2"] = subtitle
    sheet["A2"].alignment = Alignment(horizontal="left")
    for number, (label, width) in enumerate(columns, start=1):
        cell = sheet.cell(3, number, label)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)
        cell.alignment = _CENTER
        cell.border = _BORDER
        sheet.column_dimensions[cell.column_letter].width = width
    sheet.freeze_panes = "A4"
    print_setup(sheet, "1:3")


def _lines(text: str, width: int) -> int:
    # a Chinese character is about two widths of a Latin one
    # (a column of width w holds about 0.52 w Chinese characters once printed to fit the page)
    return max(1, -(-sum(2 if ord(char) > 0x2E80 else 1 for char in text) // max(1, int(width * 1.05))) + text.count("\n"))


def _table_sheet(sheet: Worksheet, data: dict[str, Any], table: dict[str, Any]) -> None:
    collection = data["collection"]
    _header(sheet, f"{collection['name']} · 复核结果表", f"{table['title']}　　评价年度：{collection['year']}　　"
                                                       f"生成日期：{data['date']}", COLUMNS)
    row, page_used = 4, 0.0
    for number, unit in enumerate(table["units"], start=1):
        first = row
        name = unit["unit"] + (f"\n（工作簿填写：{unit['unit_in_workbook']}）" if unit.get("unit_in_workbook") else "")
        for indicator in unit["indicators"]:
            values = (number, name, indicator["name"], indicator["max"], _number(indicator["self"]),
                      _number(indicator["review"]), indicator["reason"])
            for column, value in enumerate(values, start=1):
                cell = sheet.cell(row, column, value)
                cell.border = _BORDER
                cell.alignment = _WRAP
            if indicator.get("changed"):
                sheet.cell(row, 6).font = Font(bold=True, color="C00000")
            sheet.row_dimensions[row].height = 2 + 16.5 * max(_lines(indicator["reason"], COLUMNS[6][1]),
                                                        _lines(indicator["name"], COLUMNS[2][1]))
            row += 1
        total_text = f"复核合计（{unit['state_name']}）" + (f"　排名 {unit['rank']}" if unit.get("rank") else "")
        values = (number, name, total_text, collection.get("max_total") or table.get("max_total"), _number(unit["self_total"]),
                  _number(unit["review_total"]), unit.get("review_total_explanation") or "")
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row, column, value)
            cell.border = _BORDER
            cell.alignment = _WRAP
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor=TOTAL_FILL)
        sheet.row_dimensions[row].height = 2 + 16.5 * max(2, _lines(values[6], COLUMNS[6][1]))
        for column in (1, 2):
            sheet.merge_cells(start_row=first, end_row=row, start_column=column, end_column=column)
            sheet.cell(first, column).alignment = _CENTER
        height = sum(sheet.row_dimensions[line].height for line in range(first, row + 1))
        if page_used and page_used + height > PAGE_BODY:
            sheet.row_breaks.append(Break(id=first - 1))
            page_used = 0
        page_used += height
        row += 1
    if not table["units"]:
        sheet.cell(4, 1, "没有单位提交这张表。")


def _not_done_sheet(sheet: Worksheet, data: dict[str, Any]) -> None:
    columns = (("序号", 6), ("单位", 24), ("复核状态", 12), ("说明", 84))
    _header(sheet, f"{data['collection']['name']} · 未提交或未审核通过的单位", f"生成日期：{data['date']}", columns)
    for number, unit in enumerate(data["not_done"], start=1):
        for column, value in enumerate((number, unit["unit"], unit["state_name"], unit.get("note") or ""), start=1):
            cell = sheet.cell(3 + number, column, value)
            cell.border = _BORDER
            cell.alignment = _CENTER if column == 1 else _WRAP
        sheet.row_dimensions[3 + number].height = 2 + 16.5 * _lines(unit.get("note") or "", columns[3][1])
    if not data["not_done"]:
        sheet.cell(4, 1, "全部单位均已审核通过。")


def review_results_bytes(data: dict[str, Any]) -> bytes:
    """The 复核结果表 from a collection's review results (see ``Collections.review_results``)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    used: set[str] = set()
    for table in data["tables"]:
        name = table["sheet"][:31]
        while name in used:
            name = name[:29] + f"{len(used)}"
        used.add(name)
        _table_sheet(workbook.create_sheet(name), data, table)
    _not_done_sheet(workbook.create_sheet(NOT_DONE_SHEET), data)
    return workbook_bytes(workbook)


UNITS_SHEET = "各单位"
UNITS_COLUMNS = (("序号", 5), ("单位", 14), ("工作簿填写的单位", 14), ("复核状态", 9), ("结论", 10), ("自评合计", 8),
                 ("重新计算", 9), ("复核合计", 8), ("提示", 50))


def collection_sheets(workbook: Workbook, data: dict[str, Any]) -> None:
    """A collection's own sheets in its 汇总.xlsx: first 「各单位」 — every unit in the collection's order under the
    collection's name for it, 未提交 included, with its review state and three totals and notices — then per table
    a sheet of every indicator's 自评 / 重新计算 / 复核 figures."""
    sheet = workbook.create_sheet(UNITS_SHEET, 0)
    collection = data["collection"]
    _header(sheet, f"{collection['name']} · 汇总", f"评价年度：{collection['year']}　　生成日期：{data['date']}　　"
                                                 f"共 {len(data['units'])} 个单位", UNITS_COLUMNS)
    for number, unit in enumerate(data["units"], start=1):
        notices = "\n".join(unit["notices"])
        values = (number, unit["unit"], unit["unit_in_workbook"] or "", unit["state_name"], unit["verdict"],
                  _number(unit["self_total"]), unit["recomputed_text"] or "—" if unit["recomputed_total"] is None
                  else unit["recomputed_total"], _number(unit["review_total"]), notices)
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(3 + number, column, value)
            cell.border = _BORDER
            cell.alignment = _NUMBER if column in (1, 6, 7, 8) else _WRAP  # a range (95～99) lines up with the figures
        sheet.row_dimensions[3 + number].height = 2 + 16.5 * max(1, _lines(notices, UNITS_COLUMNS[8][1]),
                                                           _lines(unit["unit"], UNITS_COLUMNS[1][1]))
    for table in data["tables"]:
        if not table["units"]:
            continue
        _figures_sheet(workbook.create_sheet(f"复核-{table['sheet']}"[:31]), data, table)


def _figures_sheet(sheet: Worksheet, data: dict[str, Any], table: dict[str, Any]) -> None:
    indicators = table["units"][0]["indicators"]
    columns = (("单位", 14),) + tuple((f"{item['name']}（{item['max']}）", 11) for item in indicators) + (("合计", 11),)
    _header(sheet, f"{data['collection']['name']} · {table['title']}", "每格三行：自评得分 / 重新计算 / 复核得分", columns)
    for number, unit in enumerate(table["units"], start=1):
        row = 3 + number
        cell = sheet.cell(row, 1, unit["unit"])
        cell.border, cell.alignment = _BORDER, _WRAP
        for column, item in enumerate(unit["indicators"], start=2):
            text = f"{_number(item['self'])}\n{_number(item['recomputed'])}\n{_number(item['review'])}"
            cell = sheet.cell(row, column, text)
            cell.border, cell.alignment = _BORDER, _CENTER
            if item["review"] != item["self"]:
                cell.font = Font(bold=True, color="C00000")
        total = f"{_number(unit['self_total'])}\n{_number(unit['recomputed_total'])}\n{_number(unit['review_total'])}"
        cell = sheet.cell(row, len(columns), total)
        cell.border, cell.alignment, cell.font = _BORDER, _CENTER, Font(bold=True)
        sheet.row_dimensions[row].height = 45
    sheet.row_dimensions[3].height = 2 + 16.5 * max(_lines(label, width) for label, width in columns) + 6
