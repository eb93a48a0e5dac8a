"""The hostile-input corpus: every broken, disguised, oversized or tampered file selfscore must survive.

Each case is built from the real template (or the Jiaozuo sample filled into it) by a small function,
so nothing in the corpus is an opaque blob. ``PYTHONPATH=tests:sample_data python -m support.corpus DIR`` writes the whole corpus to DIR.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.workbook.defined_name import DefinedName

from selfscore.read.formats import OLE2_MAGIC
from selfscore.tables.definitions import get_table
from selfscore.tables.names import FACTS_SHEET, MARKS_SHEET, META_SHEET, SCORE_SHEET
from support.harness import TABLE, Case, editing, jiaozuo_bytes, member, rezip, write_cases, writing, zipped
from support.libreoffice import converted_bytes

INJECTION = '=HYPERLINK("http://example.invalid/x","点我")'
#: which zip member holds which sheet of a template saved by openpyxl
GUIDE_PART = "xl/worksheets/sheet3.xml"
FACTS_PART = "xl/worksheets/sheet2.xml"


# ---------------------------------------------------------------- building blocks


def png_1x1() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")


def with_image(data: bytes) -> bytes:
    """Put a picture on the score sheet the way Excel stores one: media, a drawing and their relationships."""
    drawing = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<xdr:wsDr xmlns:xdr="http://schemas.openxmlformats.org/drawingml/2006/spreadsheetDrawing" '
        'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<xdr:oneCellAnchor><xdr:from><xdr:col>7</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>1</xdr:row><xdr:rowOff>0</xdr:rowOff>'
        '</xdr:from><xdr:ext cx="952500" cy="952500"/><xdr:pic><xdr:nvPicPr><xdr:cNvPr id="2" name="公章"/><xdr:cNvPicPr/>'
        '</xdr:nvPicPr><xdr:blipFill><a:blip r:embed="rId1"/><a:stretch><a:fillRect/></a:stretch></xdr:blipFill>'
        '<xdr:spPr><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></xdr:spPr></xdr:pic><xdr:clientData/></xdr:oneCellAnchor>'
        '</xdr:wsDr>'
    ).encode()
    relationships = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>'
    )
    image_relation = ('<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/image" '
                      'Target="../media/image1.png"/>')
    drawing_relation = ('<Relationship Id="rIdPic1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/drawing" '
                        'Target="../drawings/drawing1.xml"/>')
    sheet_part, sheet_rels = "xl/worksheets/sheet1.xml", "xl/worksheets/_rels/sheet1.xml.rels"
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    sheet = member(data, sheet_part).decode()
    if 'xmlns:r="' not in sheet[: sheet.index(">", sheet.index("<worksheet"))]:
        sheet = sheet.replace("<worksheet ", '<worksheet xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" ', 1)
    sheet = sheet.replace("</worksheet>", '<drawing r:id="rIdPic1"/></worksheet>')
    if sheet_rels in names:
        rels = member(data, sheet_rels).decode().replace("</Relationships>", drawing_relation + "</Relationships>")
    else:
        rels = relationships.format(drawing_relation)
    types = member(data, "[Content_Types].xml").decode().replace(
        "</Types>", '<Default Extension="png" ContentType="image/png"/>'
        '<Override PartName="/xl/drawings/drawing1.xml" ContentType="application/vnd.openxmlformats-officedocument.drawing+xml"/></Types>')
    replace: dict[str, bytes | None] = {sheet_part: sheet.encode(), "[Content_Types].xml": types.encode()}
    add = {"xl/media/image1.png": png_1x1(), "xl/drawings/drawing1.xml": drawing,
           "xl/drawings/_rels/drawing1.xml.rels": relationships.format(image_relation).encode()}
    if sheet_rels in names:
        replace[sheet_rels] = rels.encode()
    else:
        add[sheet_rels] = rels.encode()
    return rezip(data, replace, add)


def guide_rows(data: bytes, rows: str) -> bytes:
    """Append raw <row> XML to the guide sheet (its own rows end at 8)."""
    sheet = member(data, GUIDE_PART).decode()
    return rezip(data, {GUIDE_PART: sheet.replace("</sheetData>", rows + "</sheetData>").encode()})


def many_cells(count: int, columns: int = 10) -> str:
    rows = []
    for index in range(count // columns):
        row = index + 10
        cells = "".join(f'<c r="{chr(65 + column)}{row}"><v>{column}</v></c>' for column in range(columns))
        rows.append(f'<row r="{row}">{cells}</row>')
    return "".join(rows)


def shared_strings(count: int) -> bytes:
    rng = random.Random(count)  # varied, so the compression-ratio cap does not answer first
    return b"<sst>" + "".join(f"<si><t>{rng.getrandbits(40):x}</t></si>" for _ in range(count)).encode() + b"</sst>"


def at_caps() -> bytes:
    """Just under the per-sheet and per-workbook cell caps, with a formula so the workbook is loaded twice."""
    data = guide_rows(jiaozuo_bytes(facts={"violations": "=1-1"}), many_cells(99_000))
    meta_part = "xl/worksheets/sheet4.xml"
    return rezip(data, {meta_part: member(data, meta_part).replace(b"</sheetData>", many_cells(99_000).encode() + b"</sheetData>")})


def forged_marks_record() -> bytes:
    """A marked-up copy whose hidden record of marks was edited by hand: bad XML, bad cells, a far-away row."""
    from selfscore.checking import check_and_mark_up

    _, marked = check_and_mark_up(jiaozuo_bytes(scores={"funds_raising": 7}), name="t.xlsx")
    workbook = load_workbook(io.BytesIO(marked))
    record = workbook[MARKS_SHEET]
    record.append(("mark", SCORE_SHEET, "F5", "<not xml", "批注", "作者", None, None))
    record.append(("mark", SCORE_SHEET, "ZZZZ0", None, None, None, None, None))
    record.append(("mark", "没有这个表", "A1", None, None, None, None, None))
    record.cell(row=1_048_576, column=16_384, value="far away")
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def billion_laughs(data: bytes) -> bytes:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    sheet = ('<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE worksheet [' + "".join(entities) + "]>"
             '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
             '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>')
    return rezip(data, {GUIDE_PART: sheet.encode()})


def lying_sizes(data: bytes) -> bytes:
    """A member whose central directory declares 1 000 bytes but which inflates to far more."""
    big = b"<!-- " + b" " * 5_000_000 + b" -->"
    archive = rezip(data, add={"xl/padding.xml": big})
    declared = struct.pack("<I", 1000)
    name = b"xl/padding.xml"
    central = archive.rindex(b"PK\x01\x02", 0, archive.rindex(name))
    local = archive.rindex(b"PK\x03\x04", 0, archive.index(name))
    patched = bytearray(archive)
    patched[central + 24: central + 28] = declared
    patched[local + 22: local + 26] = declared
    return bytes(patched)


def set_all(value: object, *, numbers_only: bool = False, raw_text: bool = False) -> Callable[[Path], Path]:
    """Every input and self-score cell of the Jiaozuo workbook holds ``value``."""
    table = get_table(TABLE)

    def edit(workbook) -> None:
        names = [f"in_{d.id}" for d in table.inputs if not (numbers_only and d.type == "yes_no")]
        if not numbers_only:
            names += [f"score_{i.id}" for i in table.indicators] + ["score_total", "meta_year"]
        for name in names:
            (sheet, reference), = workbook.defined_names[name].destinations
            cell = workbook[sheet][reference.replace("$", "")]
            cell.value = value
            if raw_text:
                cell.data_type = "s"

    return editing(edit)


def over_excel_limit(path: Path) -> Path:
    """Text longer than Excel's 32 767 characters in every cell (openpyxl itself truncates, so patch the XML)."""
    set_all("LONGTEXT")(path)
    rng = random.Random(32767)  # varied text: a run of one character would trip the compression-ratio cap first
    long_text = "".join(chr(0x4E00 + rng.randrange(3000)) for _ in range(40_000)).encode()
    data = path.read_bytes()
    parts = {part: member(data, part).replace(b"LONGTEXT", long_text) for part in ("xl/worksheets/sheet1.xml", FACTS_PART)}
    path.write_bytes(rezip(data, parts))
    return path


def swap_names(first: str, second: str) -> Callable:
    def edit(workbook) -> None:
        a, b = workbook.defined_names[first].attr_text, workbook.defined_names[second].attr_text
        workbook.defined_names[first] = DefinedName(first, attr_text=b)
        workbook.defined_names[second] = DefinedName(second, attr_text=a)
    return edit


def delete_names(*names: str) -> Callable:
    def edit(workbook) -> None:
        for name in names:
            del workbook.defined_names[name]
    return edit


def break_name(name: str) -> Callable:
    def edit(workbook) -> None:
        workbook.defined_names[name] = DefinedName(name, attr_text="#REF!")
    return edit


def rename_sheet(update_names: bool) -> Callable:
    def edit(workbook) -> None:
        workbook[FACTS_SHEET].title = "基础数据（修改）"
        if update_names:  # as Excel does when a sheet is renamed
            for name, defined in list(workbook.defined_names.items()):
                defined.attr_text = defined.attr_text.replace(f"'{FACTS_SHEET}'!", "'基础数据（修改）'!")
                workbook.defined_names[name] = defined
    return edit


def meta(key_row: int, value: object) -> Callable:
    def edit(workbook) -> None:
        workbook[META_SHEET][f"B{key_row}"] = value
    return edit


def soffice_convert(kind: str) -> Callable[[Path], Path]:
    return writing(lambda: converted_bytes(jiaozuo_bytes(), kind))


def encrypted() -> bytes:
    from msoffcrypto.format.ooxml import OOXMLFile

    output = io.BytesIO()
    OOXMLFile(io.BytesIO(jiaozuo_bytes())).encrypt("密码123", output)
    return output.getvalue()


def macro_enabled() -> bytes:
    data = jiaozuo_bytes()
    types = member(data, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
    return rezip(data, {"[Content_Types].xml": types}, {"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 macro project"})


def minimal_pdf() -> bytes:
    return (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")


def oversized_file() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", b"<Types/>")
        archive.writestr("xl/workbook.xml", b"<workbook/>")
        archive.writestr("xl/media/noise.bin", random.Random(7).randbytes(21 * 1024 * 1024))
    return output.getvalue()


# ---------------------------------------------------------------- the corpus


NOT_A_WORKBOOK = [
    Case("empty", writing(lambda: b""), "unreadable", "file_empty", "文件是空的"),
    Case("random_bytes", writing(lambda: b"\x13" + random.Random(1).randbytes(4095)), "unreadable", "file_unknown", "无法识别是什么文件"),
    Case("truncated_zip", writing(lambda: jiaozuo_bytes()[:6000]), "unreadable", "file_damaged", "文件已损坏或不完整"),
    Case("csv_renamed", writing(lambda: "序号,数据项,填报值\n1,实际新开工套数,282\n".encode("gb18030")), "unreadable",
         "file_text", "文本文件"),
    Case("pdf_renamed", writing(minimal_pdf), "unreadable", "file_pdf", "PDF"),
    Case("docx_renamed", writing(lambda: zipped({"word/document.xml": b"<w:document/>", "[Content_Types].xml": b"<Types/>"})),
         "unreadable", "file_other_zip", "Word 文档（.docx）"),
    Case("word_97_renamed", writing(lambda: OLE2_MAGIC + bytes(504) + "WordDocument".encode("utf-16-le") + bytes(1000)), "unreadable",
         "file_other_ole", "Word 97-2003 文档"),
    Case("encrypted", writing(encrypted), "unreadable", "file_encrypted", "请取消密码保护后另存为 .xlsx"),
    # issue 6 reads .xls and .ods (by labels, through calamine) and rebuilds a template to mark up
    Case("legacy_xls", soffice_convert("xls"), "ok", "", "", needs=("soffice",)),
    Case("ods", soffice_convert("ods"), "ok", "", "", needs=("soffice",)),
    # issue 13 reads an .xlsm's values (never its macros) and marks up an .xlsx copy
    Case("xlsm", writing(macro_enabled), "ok", "macros_not_kept", "启用宏的 Excel 工作簿（.xlsm）"),
    # issue 6 reads a workbook without the meta sheet by its labels, and says so
    Case("meta_sheet_removed", editing(lambda wb: wb.remove(wb[META_SHEET])), "ok", "layout_recognised", "已按表头和文字识别"),
    Case("unknown_table", editing(meta(1, "nonsense")), "unreadable", "unknown_table", "不在本工具支持的范围内"),
]


BOMBS = [
    Case("file_over_20mb", writing(oversized_file), "unreadable", "file_too_large", "超过上限 20.0 MB"),
    Case("member_inflates_to_40mb", writing(lambda: rezip(jiaozuo_bytes(), add={"xl/padding.xml": b" " * 40_000_000})), "unreadable",
         "zip_member_too_large", "解压后为 38.1 MB"),
    Case("compression_ratio_1000", writing(lambda: rezip(jiaozuo_bytes(), add={"xl/padding.xml": b" " * 5_000_000})), "unreadable",
         "zip_ratio_too_high", "压缩炸弹"),
    Case("lying_declared_size", writing(lambda: lying_sizes(jiaozuo_bytes())), "unreadable", "file_damaged", "文件已损坏"),
    Case("members_3000", writing(lambda: rezip(jiaozuo_bytes(), add={f"xl/x/{i}.bin": b"" for i in range(3000)})), "unreadable",
         "zip_too_many_members", "3012 个部件"),
    Case("billion_laughs", writing(lambda: billion_laughs(jiaozuo_bytes())), "unreadable", "xml_dtd", "实体膨胀"),
    Case("cells_150k", writing(lambda: guide_rows(jiaozuo_bytes(), many_cells(150_000))), "unreadable", "sheet_too_large",
         "工作表「填报说明」有 150008 个单元格"),
    Case("rows_150k", writing(lambda: guide_rows(jiaozuo_bytes(), "".join(f'<row r="{r}" ht="20" customHeight="1"/>'
                                                                           for r in range(10, 150_010)))),
         "unreadable", "sheet_too_large", "150008 行"),
    Case("merge_whole_sheet", writing(lambda: rezip(jiaozuo_bytes(), {GUIDE_PART: member(jiaozuo_bytes(), GUIDE_PART).replace(
        b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell ref="C20:XFD1048576"/></mergeCells>')})),
         "unreadable", "sheet_too_large", "个单元格，超过上限"),
    Case("shared_strings_400k", writing(lambda: rezip(jiaozuo_bytes(), add={"xl/sharedStrings.xml": shared_strings(400_000)})),
         "unreadable", "zip_too_many_strings", "400000 段文本"),
    Case("cells_at_caps_with_formula", writing(at_caps), "errors", "formula_no_value", "没有保存它的计算结果"),
    Case("cells_30k_allowed", writing(lambda: guide_rows(jiaozuo_bytes(), many_cells(30_000))), "ok", "", ""),
]

TAMPERED = [
    Case("names_deleted", editing(delete_names("in_starts_planned", "score_total")), "errors", "name_missing",
         "找不到名称为「in_starts_planned」"),
    Case("name_points_at_ref", editing(break_name("in_violations")), "errors", "name_broken", "已失效"),
    Case("names_swapped", editing(swap_names("in_starts_planned", "in_subsidy_planned")), "errors", "name_moved",
         "名称「in_starts_planned」本应指向「年度计划新开工套数」的填报格"),
    Case("fact_row_deleted", editing(lambda wb: wb[FACTS_SHEET].delete_rows(6)), "errors", "name_moved", "可能插入、删除或移动过行"),
    Case("fact_row_inserted", editing(lambda wb: wb[FACTS_SHEET].insert_rows(8)), "errors", "name_moved", "没有标签"),
    Case("score_row_deleted", editing(lambda wb: wb[SCORE_SHEET].delete_rows(7)), "errors", "name_moved", "可能插入、删除或移动过行"),
    Case("sheet_renamed_names_stale", editing(rename_sheet(update_names=False)), "errors", "name_broken", "工作表「基础数据」不存在"),
    Case("sheet_renamed_like_excel", editing(rename_sheet(update_names=True)), "ok", "", ""),
    Case("forged_marks_record", writing(forged_marks_record), "errors", "score_mismatch", "自评得分 7"),
    Case("older_template_version", editing(meta(2, 0)), "ok", "template_outdated", "模板版本为 0"),
]

VALUES = [
    Case("text_everywhere", set_all("两项"), "errors", "value_not_number", "填写的「两项」不是数字", every_input="all"),
    Case("negative_everywhere", set_all(-5), "errors", "value_below_min", "填写的 -5 过小", every_input="all"),
    Case("dates_everywhere", set_all(dt.datetime(2020, 12, 31)), "errors", "value_not_number", "2020-12-31", every_input="all"),
    Case("huge_numbers", set_all(1e300), "errors", "value_too_large", "过大", every_input="all"),
    Case("error_values", set_all("#DIV/0!"), "errors", "value_error", "错误值 #DIV/0!", every_input="all"),
    Case("formulas_no_cache", set_all("=1/0"), "errors", "formula_no_value", "没有保存它的计算结果", every_input="all"),
    Case("booleans_in_numbers", set_all(True, numbers_only=True), "errors", "value_not_number", "填写的「True」不是数字",
         every_input="numbers"),
    Case("text_over_32767", over_excel_limit, "errors", "value_too_long", "超过 32767 个字符", every_input="all"),
    Case("control_characters", set_all("_x0007_是_x001F_"), "errors", "value_not_number", "_x0007_", every_input="all"),
    Case("formula_injection", set_all(INJECTION, raw_text=True), "errors", "value_not_number", "HYPERLINK", every_input="all"),
    Case("injection_in_unit", editing(lambda wb: _set_text(wb, "B2", INJECTION)), "ok", "", ""),
]

LOST_CONTENT = [
    # issue 25: the copy is written into the filler's own zip, and keeps the picture (tests/write/test_inplace.py)
    Case("with_image", writing(lambda: with_image(jiaozuo_bytes())), "ok", "", ""),
    Case("with_vba_in_xlsx", writing(lambda: rezip(jiaozuo_bytes(), add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0"})), "ok",
         "content_not_preserved", "宏（VBA）"),
]


def _set_text(workbook, coordinate: str, text: str) -> None:
    cell = workbook[SCORE_SHEET][coordinate]
    cell.value = text
    cell.data_type = "s"


CASES: list[Case] = NOT_A_WORKBOOK + BOMBS + TAMPERED + VALUES + LOST_CONTENT


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "corpus")
    for name, path in write_cases(target, CASES).items():
        print(f"{name}\t{path.stat().st_size}\t{re.sub(r'.*/', '', str(path))}")
