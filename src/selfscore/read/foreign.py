""".xls, .xlsb and .ods workbooks: read with calamine by their labels (the marked-up copy is ``write.rebuilt``).

openpyxl can neither read nor write these formats; calamine reads them all (.xls and .ods with their
merged ranges). The JSON report keeps the source's own cell addresses. Nothing executable is kept:
calamine reads values only.
"""

from __future__ import annotations

import io

from selfscore.read.by_names import Unreadable
from selfscore.read.formats import sniff
from selfscore.read.labels import (
    HEADER_SCAN_ROWS,
    LABEL_SCAN_ROWS,
    TABLE_SCAN_ROWS,
    Grid,
    GridCell,
    LabelReadResult,
    read_by_labels,
)
from selfscore.results.findings import make_finding

#: the sniffed kinds read here, with the name a clerk knows them by
FOREIGN_KINDS: dict[str, str] = {"xls": ".xls（Excel 97-2003，或 WPS 的 .et）", "ods": ".ods（OpenDocument）",
                                 "xlsb": ".xlsb（Excel 二进制工作簿）"}
#: what is read of each sheet: the label search looks at the first LABEL_SCAN_ROWS rows and a table's
#: TABLE_SCAN_ROWS rows below a header in the first HEADER_SCAN_ROWS, never at column 200 and beyond
READ_ROWS = LABEL_SCAN_ROWS + HEADER_SCAN_ROWS + TABLE_SCAN_ROWS
READ_COLUMNS = 200


def foreign_kind(data: bytes) -> str | None:
    """The sniffed kind when it is one read by calamine, else None (openpyxl's turn)."""
    kind = sniff(data)
    return kind if kind in FOREIGN_KINDS else None


def grids_from_calamine(data: bytes, kind: str) -> list[Grid]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        grids = []
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            cells: dict[tuple[int, int], GridCell] = {}
            # iter_rows starts at row 1 but at the sheet's first used column: add that back so addresses
            # match the file. Only the rows and columns the label search looks at are kept in Python.
            first_column = sheet.start[1] if sheet.start else 0
            for row_number, row in enumerate(sheet.iter_rows(), start=1):
                if row_number > READ_ROWS:
                    break
                for offset, value in enumerate(row[: max(0, READ_COLUMNS - first_column)]):
                    if value is not None and value != "":
                        cells[(row_number, first_column + offset + 1)] = GridCell(value)
            merged = [(first[0] + 1, first[1] + 1, last[0] + 1, last[1] + 1)
                      for first, last in (sheet.merged_cell_ranges or [])]
            grids.append(Grid(name, cells, merged))
    except Exception as error:  # calamine raises its own kinds on damaged files; all mean the same to a clerk
        if "password" in str(error).lower() or "encrypt" in str(error).lower():  # an .xls with an open password
            raise Unreadable(make_finding("file_encrypted")) from None
        raise Unreadable(make_finding("not_a_workbook", reason=f"{FOREIGN_KINDS[kind]} 文件已损坏（{type(error).__name__}）")) from None
    return grids


def read_foreign(data: bytes, kind: str) -> LabelReadResult:
    read = read_by_labels(grids_from_calamine(data, kind))
    read.findings.insert(1, make_finding("rebuilt_from_foreign_format", format=FOREIGN_KINDS[kind]))
    return read
