""".xls, .xlsb and .ods workbooks: read with calamine by their labels (the marked-up copy is ``write.rebuilt``).

openpyxl can neither read nor write these formats; calamine reads them all (an .xls with its merged
ranges; calamine gives none for .ods or .xlsb, whose labels are read cell by cell). The JSON report
keeps the source's own cell addresses. Nothing executable is kept: calamine reads values only.
"""

from __future__ import annotations

import io
import zipfile

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
from selfscore.read.result import Unreadable
from selfscore.read.safety import DEFAULT_LIMITS, Limits
from selfscore.results.findings import make_finding

#: the sniffed kinds read here, with the name a clerk knows them by
FOREIGN_KINDS: dict[str, str] = {"xls": ".xls（Excel 97-2003，或 WPS 的 .et）", "ods": ".ods（OpenDocument）",
                                 "xlsb": ".xlsb（Excel 二进制工作簿）"}
#: how an .xlsx that openpyxl cannot parse (a style or validation out of the standard) is named when
#: calamine reads its cells instead (``checking`` asks for this; ``foreign_kind`` never returns it)
_NAMES = {**FOREIGN_KINDS, "xlsx": ".xlsx（部分内容不合规范，只能读取单元格的值）"}
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
    except Unreadable:
        raise
    except Exception as error:  # calamine raises its own kinds on damaged files; all mean the same to a clerk
        said = f"{type(error).__name__} {error}".lower()
        if "password" in said or "encrypt" in said:  # an .xls with an open password
            raise Unreadable(make_finding("file_encrypted")) from None
        if kind == "xls" and _UTF16_WORKBOOK not in data:  # only a "Book" stream: Excel 5.0/95 or older
            reason = "文件是 Excel 5.0/95 等早期格式的工作簿，无法读取；请在 Excel/WPS 中打开后另存为 .xlsx"
        else:
            reason = f"{_NAMES[kind]} 文件已损坏（{type(error).__name__}）"
        raise Unreadable(make_finding("not_a_workbook", reason=reason)) from None
    return grids


_UTF16_WORKBOOK = "Workbook".encode("utf-16-le")
#: calamine holds a sheet as one rectangle from its first to its last used cell: a cell at A1 and one at
#: XFD1048576 would be 17 billion cells. .xlsb sheets are binary, out of reach of the XML scan in
#: ``safety.check_archive``, so their used rectangle is measured here first.
_CELL_RECORDS = set(range(0x01, 0x0C))


def check_xlsb_extent(data: bytes, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse an .xlsb sheet whose used rectangle is over the cell cap (run after ``safety.check_archive``)."""
    archive = zipfile.ZipFile(io.BytesIO(data))
    titles = _xlsb_sheet_titles(archive)
    for name in archive.namelist():
        if not (name.startswith("xl/worksheets/") and name.endswith(".bin")):
            continue
        rows, columns = _xlsb_extent(archive.read(name))
        if rows * columns > limits.max_cells_per_sheet:
            raise Unreadable(make_finding("sheet_too_large", sheet_name=titles.get(name, name), count=rows * columns,
                                          unit="个单元格（从第一个到最后一个有内容的单元格）",
                                          limit=limits.max_cells_per_sheet))


def _records(part: bytes, keep: int = 4):
    """The (type, first ``keep`` bytes of the body) of each BIFF12 record: type and size in 7-bit groups."""
    position, size = 0, len(part)
    while position < size:
        kind = part[position]
        position += 1
        if kind & 0x80 and position < size:
            kind = (kind & 0x7F) | (part[position] << 7)
            position += 1
        length = shift = 0
        for _ in range(4):
            if position >= size:
                break
            byte = part[position]
            position += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        yield kind, part[position:position + min(length, keep)]
        position += length


def _xlsb_extent(part: bytes) -> tuple[int, int]:
    """Rows × columns of the rectangle from the first to the last cell of a BIFF12 sheet part."""
    row = 0
    rows: list[int] = []
    columns: list[int] = []
    for kind, body in _records(part):
        if len(body) < 4:
            continue
        number = int.from_bytes(body, "little")
        if kind == 0x00:  # BrtRowHdr
            row = number
        elif kind in _CELL_RECORDS:
            rows.append(row)
            columns.append(number)
    if not rows:
        return 0, 0
    return max(rows) - min(rows) + 1, max(columns) - min(columns) + 1


def _xlsb_sheet_titles(archive: zipfile.ZipFile) -> dict[str, str]:
    """Sheet part → the sheet's name, from xl/workbook.bin (BrtBundleSh) and its relationships."""
    from defusedxml.ElementTree import fromstring

    try:
        relations = fromstring(archive.read("xl/_rels/workbook.bin.rels"))
        targets = {relation.get("Id"): "xl/" + (relation.get("Target") or "").lstrip("/").removeprefix("xl/")
                   for relation in relations}
        titles = {}
        for kind, body in _records(archive.read("xl/workbook.bin"), keep=1 << 16):
            if kind != 0x9C or len(body) < 12:
                continue
            id_length = int.from_bytes(body[8:12], "little")
            relation_id = body[12:12 + 2 * id_length].decode("utf-16-le")
            offset = 12 + 2 * id_length
            name_length = int.from_bytes(body[offset:offset + 4], "little")
            titles[targets.get(relation_id, "")] = body[offset + 4:offset + 4 + 2 * name_length].decode("utf-16-le")
        return titles
    except Exception:  # a damaged workbook part: calamine says so next; the message falls back to the part name
        return {}


def read_foreign(data: bytes, kind: str) -> LabelReadResult:
    read = read_by_labels(grids_from_calamine(data, kind))
    read.findings.insert(1, make_finding("rebuilt_from_foreign_format", format=_NAMES[kind]))
    return read
