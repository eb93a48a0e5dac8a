"""An annex table as a province publishes it — a Word table (.docx) or a workbook (.xlsx) — read for ``selfscore table new``.

The columns are found by the label reader's header words (``header_kind``: 一级指标, 二级指标, 分值, 评分标准);
a row under them is an indicator, down to 合计. The title, the 附件 number and the years are taken from the
text above the table where it says them.
"""

from __future__ import annotations

import re
import unicodedata
from fractions import Fraction
from pathlib import Path

from selfscore.read.labels.header import TOTAL_WORDS, header_kind
from selfscore.read.labels.words import fold
from selfscore.tables.compile import Annex, AnnexRow

_NEEDED = ("name", "points", "criterion")


class AnnexError(ValueError):
    """The file holds no annex table this reader can find (the message is Chinese)."""


def read_annex(path: Path) -> Annex:
    """The annex's title, 附件 number, years and rows, from a .docx or .xlsx file."""
    suffix = path.suffix.lower()
    if suffix == ".docx":
        texts, tables = _docx(path)
    elif suffix in (".xlsx", ".xlsm"):
        texts, tables = _xlsx(path)
    else:
        raise AnnexError(f"{path.name}：只能读取 Word 文档（.docx）或 Excel 工作簿（.xlsx）")
    for table in tables:
        rows = _rows(table)
        if rows:
            return _annex(texts + [cell for row in table[:3] for cell in row], rows)
    raise AnnexError(f"{path.name}：没有找到含「二级指标」「分值」「评分标准」列的表格")


def _docx(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    import docx  # python-docx: only this command needs it

    document = docx.Document(str(path))
    texts = [paragraph.text.strip() for paragraph in document.paragraphs if paragraph.text.strip()]
    tables = [[[cell.text.strip() for cell in row.cells] for row in table.rows] for table in document.tables]
    return texts, tables


def _xlsx(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=False, data_only=True)
    tables = []
    for sheet in workbook.worksheets:
        grid = [["" if value is None else str(value).strip() for value in row] for row in sheet.iter_rows(values_only=True)]
        for merged in sheet.merged_cells.ranges:   # a merged 一级指标 reads as its text on every row it spans
            value = grid[merged.min_row - 1][merged.min_col - 1]
            for row in range(merged.min_row, merged.max_row + 1):
                for column in range(merged.min_col, merged.max_col + 1):
                    grid[row - 1][column - 1] = value
        tables.append(grid)
    return [], tables


def _rows(table: list[list[str]]) -> list[AnnexRow]:
    for index, header in enumerate(table[:10]):
        columns: dict[str, int] = {}
        for column, text in enumerate(header):
            kind = header_kind(text) if text else None
            if kind and kind not in columns:
                columns[kind] = column
        if not all(kind in columns for kind in _NEEDED):
            continue
        rows, group = [], ""
        for row in table[index + 1:]:
            def cell(kind: str, row: list[str] = row, columns: dict[str, int] = columns) -> str:
                return row[columns[kind]] if kind in columns and columns[kind] < len(row) else ""

            name = cell("name")
            if any(fold(text) in TOTAL_WORDS for text in row if text):
                break
            group = cell("group") or group
            points = _points(cell("points"))
            if not name or points is None or header_kind(name) == "name":
                continue
            rows.append(AnnexRow(group, name, points, cell("criterion")))
        if rows:
            return rows
    return []


def _points(text: str) -> Fraction | None:
    found = re.search(r"\d+(?:\.\d+)?", unicodedata.normalize("NFKC", text))
    return Fraction(found.group()) if found else None


def _annex(texts: list[str], rows: list[AnnexRow]) -> Annex:
    plain = [unicodedata.normalize("NFKC", text) for text in texts]
    number = next((m.group() for text in plain if (m := re.search(r"附件\s*\d+", text))), "附件1").replace(" ", "")
    title = next((text for text in texts if "绩效" in text and "表" in text and len(text) < 80), "") or \
        next((text for text in texts if text and not text.startswith("附件")), "绩效自评表")
    annex = Annex(re.sub(r"^\d{4}年度?", "", title.strip()), rows, number)
    years = next((m for text in plain if (m := re.search(r"(\d{4})\s*年(?:度)?(?:[-～至到]\s*(\d{4})\s*年)?", text))), None)
    if years:
        annex.first_year = int(years.group(1))
        annex.last_year = int(years.group(2)) if years.group(2) else None
    return annex
