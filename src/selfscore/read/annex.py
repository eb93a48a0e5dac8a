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


#: WordprocessingML's namespace: a .docx is a zip whose word/document.xml holds paragraphs (w:p) and tables (w:tbl)
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _docx(path: Path) -> tuple[list[str], list[list[list[str]]]]:
    """Paragraphs and tables of a Word document, read from its XML with defusedxml.

    Not python-docx: it needs lxml, and with lxml installed openpyxl parses and writes workbooks through lxml
    instead of defusedxml (its DTD and entity refusals are what read/safety.py relies on)."""
    import zipfile

    from defusedxml.ElementTree import fromstring

    try:
        with zipfile.ZipFile(path) as archive:
            root = fromstring(archive.read("word/document.xml"))
    except (zipfile.BadZipFile, KeyError, ValueError) as error:
        raise AnnexError(f"{path.name}：不是可以读取的 Word 文档（.docx）：{type(error).__name__}") from None

    def text(element) -> str:  # noqa: ANN001
        return "".join(node.text or "" for node in element.iter(f"{_W}t")).strip()

    body = root.find(f"{_W}body")
    texts = [text(paragraph) for paragraph in (body.findall(f"{_W}p") if body is not None else []) if text(paragraph)]
    tables = []
    for table in root.iter(f"{_W}tbl"):
        rows = []
        for row in table.findall(f"{_W}tr"):
            cells = []
            for cell in row.findall(f"{_W}tc"):
                span = cell.find(f"{_W}tcPr/{_W}gridSpan")
                width = int(span.get(f"{_W}val", "1")) if span is not None else 1
                merged = cell.find(f"{_W}tcPr/{_W}vMerge")
                value = "\n".join(text(paragraph) for paragraph in cell.findall(f"{_W}p")).strip()
                # a cell merged down from the one above (a 一级指标 spanning rows) reads as that cell's text
                if merged is not None and merged.get(f"{_W}val") != "restart" and rows and len(rows[-1]) > len(cells):
                    value = rows[-1][len(cells)]
                cells += [value] * width
            rows.append(cells)
        tables.append(rows)
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
