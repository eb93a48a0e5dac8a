""".xls, .xlsb and .ods workbooks: read with calamine by their labels (the marked-up copy is ``write.rebuilt``).

openpyxl can neither read nor write these formats; calamine reads them all (an .xls with its merged
ranges; calamine gives none for .ods or .xlsb, whose labels are read cell by cell). The JSON report
keeps the source's own cell addresses. Nothing executable is kept: calamine reads values only.
"""

from __future__ import annotations

import io
import zipfile

from selfscore.read.formats import sniff, with_parts_under_xl
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
from selfscore.results.findings import CATALOGUE, make_finding

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
    """The worksheets' cells, as calamine reads them."""
    return _calamine_sheets(data, kind)[0]


def _calamine_sheets(data: bytes, kind: str) -> tuple[list[Grid], list[str]]:
    """The worksheets' cells, and the other sheets, each named with its kind (「图表工作表「Chart1」」).

    Chart, macro and dialog sheets hold no cells of ours: calamine fails on an .xlsb's macro or dialog sheet and
    on reading a chart sheet, so they are left out (``worksheets_only``)."""
    from python_calamine import CalamineWorkbook

    try:
        others: list[str] = []
        if kind == "xlsb":
            data, others = worksheets_only(with_parts_under_xl(data))
        elif kind == "xlsx":  # an .xlsx openpyxl could not parse, its parts perhaps elsewhere than xl/
            data = with_parts_under_xl(data)
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names, more = _worksheet_names(workbook)
        others += more
        grids = []
        for name in names:
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
    return grids, others


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


#: what each kind of sheet other than a worksheet is called where a clerk reads it
_OTHER_SHEETS = {"chartsheet": "图表工作表", "macrosheet": "宏表（Excel 4.0 宏）", "dialogsheet": "对话框工作表"}


def _worksheet_names(workbook) -> tuple[list[str], list[str]]:
    """The names of the workbook's worksheets, in order, and its other sheets, each named with its kind."""
    from python_calamine import SheetTypeEnum

    kinds = ((SheetTypeEnum.ChartSheet, "chartsheet"), (SheetTypeEnum.MacroSheet, "macrosheet"),
             (SheetTypeEnum.DialogSheet, "dialogsheet"))  # the enum's members are not hashable
    names, others = [], []
    for sheet in workbook.sheets_metadata:
        if sheet.typ == SheetTypeEnum.WorkSheet:
            names.append(sheet.name)
        else:
            kind = next((key for member, key in kinds if sheet.typ == member), "")
            others.append(f"{_OTHER_SHEETS.get(kind, '工作表')}「{sheet.name}」")
    return names, others


#: BrtBundleSh, the record of xl/workbook.bin naming one sheet and its relationship
_BUNDLE_SHEET = 0x9C
_WORKSHEET_RELATIONSHIP = "/relationships/worksheet"


def worksheets_only(data: bytes) -> tuple[bytes, list[str]]:
    """An .xlsb whose xl/workbook.bin lists its worksheets alone, and the sheets left out, each named with its kind.

    The chart, macro (Excel 4.0) and dialog sheets' BrtBundleSh records are dropped, so calamine neither fails on
    them nor tries to read them as worksheets. The parts stay in the zip, unread; a workbook with nothing to drop
    is returned as it is."""
    from defusedxml.ElementTree import fromstring

    archive = zipfile.ZipFile(io.BytesIO(data))
    try:
        relations = fromstring(archive.read("xl/_rels/workbook.bin.rels"))
        workbook = archive.read("xl/workbook.bin")
    except Exception:  # a damaged or missing part: calamine says the file is damaged
        return data, []
    types = {relation.get("Id"): relation.get("Type") or "" for relation in relations}
    kept = bytearray()
    dropped: list[str] = []
    for kind, start, body, end in _record_spans(workbook):
        if kind == _BUNDLE_SHEET and end - body >= 12:
            relation_id, name = _bundle_sheet(workbook[body:end])
            relation_type = types.get(relation_id, _WORKSHEET_RELATIONSHIP)
            if not relation_type.endswith(_WORKSHEET_RELATIONSHIP):
                kind_name = next((said for key, said in _OTHER_SHEETS.items() if relation_type.lower().endswith(key.lower())),
                                 "工作表")
                dropped.append(f"{kind_name}「{name}」")
                continue
        kept += workbook[start:end]
    if not dropped:
        return data, []
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in archive.infolist():
            copy.writestr(member, bytes(kept) if member.filename == "xl/workbook.bin" else archive.read(member))
    return out.getvalue(), dropped


def _bundle_sheet(body: bytes) -> tuple[str, str]:
    """A BrtBundleSh's relationship id and sheet name: state, tab id, then two length-prefixed UTF-16 strings."""
    id_length = int.from_bytes(body[8:12], "little")
    relation_id = body[12:12 + 2 * id_length].decode("utf-16-le", errors="replace")
    offset = 12 + 2 * id_length
    name_length = int.from_bytes(body[offset:offset + 4], "little")
    return relation_id, body[offset + 4:offset + 4 + 2 * name_length].decode("utf-16-le", errors="replace")


def _records(part: bytes, keep: int = 4):
    """The (type, first ``keep`` bytes of the body) of each BIFF12 record: type and size in 7-bit groups."""
    for kind, _, body, end in _record_spans(part):
        yield kind, part[body:min(end, body + keep)]


def _record_spans(part: bytes):
    """The (type, start, body start, end) of each BIFF12 record."""
    position, size = 0, len(part)
    while position < size:
        start = position
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
        yield kind, start, position, min(position + length, size)
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
            if kind != _BUNDLE_SHEET or len(body) < 12:
                continue
            relation_id, name = _bundle_sheet(body)
            titles[targets.get(relation_id, "")] = name
        return titles
    except Exception:  # a damaged workbook part: calamine says so next; the message falls back to the part name
        return {}


def read_foreign(data: bytes, kind: str) -> LabelReadResult:
    grids, others = _calamine_sheets(data, kind)
    try:
        read = read_by_labels(grids)
    except Unreadable as unreadable:
        if unreadable.finding.code != "not_a_template":
            raise
        # say which sheets were looked at, and which were not (a chart, macro or dialog sheet holds no table)
        read_sheets = "、".join(f"「{grid.title}」" for grid in grids) or "（没有）"
        prefix, suffix = CATALOGUE["not_a_template"].template.split("{reason}")
        said = unreadable.finding.message.removeprefix(prefix).removesuffix(suffix)
        reason = f"读取了工作表{read_sheets}，{said}"
        if others:
            reason += f"；{'、'.join(others)}不是普通工作表，没有读取"
        raise Unreadable(make_finding("not_a_template", reason=reason)) from None
    read.findings.insert(1, make_finding("rebuilt_from_foreign_format", format=_NAMES[kind]))
    return read
