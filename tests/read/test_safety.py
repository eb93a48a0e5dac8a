"""The caps and the XML scan that run before openpyxl parses anything: each cap is a limit (the value
at it passes, one more is refused), each refusal names the part and the figures, and the streaming scan
counts what straddles its chunks."""

from __future__ import annotations

import os
import struct
import zipfile

import pytest

from selfscore.read.safety import Limits, TooCostly, check_archive, refusal, unpreserved_content
from support.harness import member, rezip, zipped

MB = 1024 * 1024
CHUNK = MB  # what the scan reads of a part at a time
ROOM = Limits(max_ratio=10**9)  # for parts made of repeated text, which compress far beyond any real file


def refused(data: bytes, limits: Limits = ROOM) -> tuple[str, str]:
    """The finding's code and message, or ("", "") when the archive passes."""
    try:
        check_archive(data, limits)
    except TooCostly as costly:
        return costly.finding.code, costly.finding.message
    return "", ""


def stored(members: dict[str, bytes]) -> bytes:
    """A zip of uncompressed members: each one's size on disk is its length."""
    return zipped(members, zipfile.ZIP_STORED)


def declaring(data: bytes, sizes: dict[str, int]) -> bytes:
    """The zip with each named member's uncompressed size declared as given (what a zip bomb's directory says)."""
    data = bytearray(data)
    for name, size in sizes.items():
        encoded = name.encode()
        central = data.index(b"PK\x01\x02")
        while data[central + 46:central + 46 + len(encoded)] != encoded:
            central = data.index(b"PK\x01\x02", central + 4)
        struct.pack_into("<I", data, central + 24, size)
    return bytes(data)


def book(sheets: dict[str, bytes], *, absolute: bool = False, extra: dict[str, bytes] | None = None) -> bytes:
    """A workbook's parts as the scan sees them: xl/workbook.xml, its relations and one part per sheet."""
    listed = "".join(f'<sheet name="{title}" sheetId="{n}" r:id="rId{n}"/>' for n, title in enumerate(sheets, 1))
    workbook = ('<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r='
                f'"http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>{listed}</sheets></workbook>')
    prefix = "/xl/" if absolute else ""
    relations = "".join(f'<Relationship Id="rId{n}" Type="worksheet" Target="{prefix}worksheets/sheet{n}.xml"/>'
                        for n in range(1, len(sheets) + 1))
    members = {"xl/workbook.xml": workbook.encode(),
               "xl/_rels/workbook.xml.rels": f"<Relationships>{relations}</Relationships>".encode()}
    members.update({f"xl/worksheets/sheet{n}.xml": part for n, part in enumerate(sheets.values(), 1)})
    members.update(extra or {})
    return zipped(members)


def sheet(rows: int, columns: int, merged: str = "") -> bytes:
    cells = "".join(f'<row r="{r}">' + "<c/>" * columns + "</row>" for r in range(1, rows + 1))
    return f"<worksheet><sheetData>{cells}</sheetData>{merged}</worksheet>".encode()


# ---------------------------------------------------------------- the zip's own caps


def test_the_file_size_cap_is_a_limit_and_names_both_sizes_in_megabytes():
    data = stored({"a.bin": os.urandom(3 * MB)})
    assert refused(data, Limits(max_file_bytes=len(data))) == ("", "")
    code, message = refused(data, Limits(max_file_bytes=len(data) - 1))
    assert code == "file_too_large" and "文件大小 3.0 MB" in message
    assert "超过上限 2.0 MB" in refused(data, Limits(max_file_bytes=2 * MB))[1]


def test_the_member_count_cap_is_a_limit():
    data = stored({f"{n}.bin": b"" for n in range(3)})
    assert refused(data, Limits(max_members=3)) == ("", "")
    code, message = refused(data, Limits(max_members=2))
    assert code == "zip_too_many_members" and "包含 3 个部件，超过上限 2" in message


def test_sizes_are_said_in_binary_megabytes():
    data = declaring(stored({"a.bin": b"x" * 10}), {"a.bin": 100 * MB})
    code, message = refused(data, Limits(max_member_bytes=99 * MB, max_total_bytes=10**12, max_ratio=10**9))
    assert code == "zip_member_too_large" and "解压后为 100.0 MB，超过上限 99.0 MB" in message


def test_a_members_declared_size_is_capped_and_named():
    data = declaring(stored({"xl/media/a.bin": b"x" * 10, "b.bin": b""}), {"xl/media/a.bin": 5 * MB})
    assert refused(data, Limits(max_member_bytes=5 * MB, max_ratio=10**9)) == ("", "")
    code, message = refused(data, Limits(max_member_bytes=5 * MB - 1, max_ratio=10**9))
    assert code == "zip_member_too_large"
    assert "「xl/media/a.bin」解压后为 5.0 MB，超过上限 5.0 MB" in message


def test_the_declared_sizes_of_all_members_together_are_capped():
    data = declaring(stored({"a.bin": b"x" * 10, "b.bin": b"y" * 10}), {"a.bin": 3 * MB, "b.bin": 2 * MB})
    assert refused(data, Limits(max_total_bytes=5 * MB, max_ratio=10**9)) == ("", "")
    code, message = refused(data, Limits(max_total_bytes=5 * MB - 1, max_ratio=10**9))
    assert code == "zip_too_large" and "文件解压后共 5.0 MB，超过上限 5.0 MB" in message


def test_the_compression_ratio_is_capped_only_above_the_floor_and_up_to_the_limit():
    # 10 bytes stored, declared as 1000 (ratio 100:1) or 1001 (100.1:1)
    at = declaring(stored({"a.bin": b"x" * 10}), {"a.bin": 1000})
    over = declaring(stored({"a.bin": b"x" * 10}), {"a.bin": 1001})
    assert refused(at, Limits(max_ratio=100, ratio_floor_bytes=999)) == ("", "")
    assert refused(over, Limits(max_ratio=100, ratio_floor_bytes=1001)) == ("", "")  # not above the floor
    code, message = refused(over, Limits(max_ratio=100, ratio_floor_bytes=1000))
    assert code == "zip_ratio_too_high" and "「a.bin」的压缩比为 100:1，超过上限 100:1" in message
    assert "压缩比为 1000:1" in refused(declaring(stored({"a.bin": b"x" * 10}), {"a.bin": 10_000}),
                                        Limits(max_ratio=100, ratio_floor_bytes=1000))[1]
    # an empty member declared as holding something: its ratio is over 1 byte, not a division by zero
    empty = declaring(stored({"a.bin": b""}), {"a.bin": 5000})
    assert "压缩比为 5000:1" in refused(empty, Limits(max_ratio=4999, ratio_floor_bytes=1000))[1]
    assert refused(empty, Limits(max_ratio=5000, ratio_floor_bytes=1000)) == ("", "")


def test_a_damaged_zip_is_damaged():
    assert refused(b"PK\x03\x04" + bytes(100))[0] == "file_damaged"
    good = zipped({"xl/worksheets/sheet1.xml": sheet(1, 1)})
    broken = good.replace(b"PK\x03\x04", b"PK\x03\x05", 1)  # the part's own header is gone: it cannot be read
    assert refused(broken)[0] == "file_damaged"


# ---------------------------------------------------------------- what the parts hold


def test_rows_and_cells_of_a_sheet_are_capped_and_the_sheet_is_named_as_a_person_sees_it():
    data = book({"自评表": sheet(4, 5)})
    assert refused(data, Limits(max_rows_per_sheet=4, max_cells_per_sheet=20)) == ("", "")
    code, message = refused(data, Limits(max_rows_per_sheet=3))
    assert code == "sheet_too_large" and "工作表「自评表」有 4 行，超过上限 3" in message
    assert "工作表「自评表」有 20 个单元格，超过上限 19" in refused(data, Limits(max_cells_per_sheet=19))[1]


def test_all_sheets_cells_together_are_capped():
    data = book({"一": sheet(2, 5), "二": sheet(3, 5)})
    assert refused(data, Limits(max_cells_total=25)) == ("", "")
    code, message = refused(data, Limits(max_cells_total=24))
    assert code == "workbook_too_large" and "共有 25 个单元格，超过上限 24" in message


def test_every_merged_range_of_a_sheet_adds_its_area():
    merges = '<mergeCells><mergeCell ref="B2"/><mergeCell ref="A1:C3"/><mergeCell ref="E1:F2"/></mergeCells>'
    data = book({"表": sheet(1, 1, merges)})
    assert "有 14 个单元格" in refused(data, Limits(max_cells_per_sheet=13))[1]  # 1 cell + 9 + 4


@pytest.mark.parametrize(("ref", "area"), [
    ("A1:C3", 9), ("$A$1:$B$2", 4), ("C3:A1", 9), ("a1:b2", 4), ("AA1:AB1", 2), ("A1:XFD1", 16384), ("B2", 0),
])
def test_a_merged_range_counts_as_every_cell_it_covers(ref, area):
    # openpyxl makes a cell object for each cell of a merged range: 1 cell written + the range's area
    data = book({"表": sheet(1, 1, f'<mergeCells><mergeCell ref="{ref}"/></mergeCells>')})
    assert refused(data, Limits(max_cells_per_sheet=1 + area)) == ("", "")
    assert f"有 {1 + area} 个单元格" in refused(data, Limits(max_cells_per_sheet=area))[1]


def test_only_cell_row_and_string_tags_are_counted_whatever_their_prefix():
    part = (b'<x:worksheet><x:sheetData><x:row r="1"><x:c r="A1"/><c>\n</c><col/><cell/><rowBreaks/><c\t/></x:row>'
            b"</x:sheetData></x:worksheet>")
    data = book({"表": part})
    # three cells (x:c, c, c with a tab) in one row; col, cell and rowBreaks are none of them
    assert refused(data, Limits(max_cells_per_sheet=3, max_rows_per_sheet=1)) == ("", "")
    assert "有 3 个单元格" in refused(data, Limits(max_cells_per_sheet=2))[1]
    assert "有 1 行" in refused(data, Limits(max_rows_per_sheet=0))[1]


def test_shared_strings_are_capped():
    strings = b"<sst>" + b"<si><t>a</t></si>" * 3 + b"<x:si/></sst>"
    data = book({"表": sheet(1, 1)}, extra={"xl/sharedStrings.xml": strings})
    assert refused(data, Limits(max_shared_strings=4)) == ("", "")
    code, message = refused(data, Limits(max_shared_strings=3))
    assert code == "zip_too_many_strings" and "共有 4 段文本，超过上限 3" in message


@pytest.mark.parametrize("name", ["xl/worksheets/sheet1.xml", "xl/_rels/workbook.xml.rels", "xl/drawings/vml1.vml",
                                  "customXml/ITEM1.XML"])
@pytest.mark.parametrize("declaration", [b"<!DOCTYPE x [", b"<!doctype x>", b"<!ENTITY a 'b'>"])
def test_a_dtd_or_entity_in_any_xml_part_is_refused_and_the_part_named(name, declaration):
    data = zipped({name: b'<?xml version="1.0"?>' + declaration + b"<x/>"})
    code, message = refused(data)
    assert code == "xml_dtd" and f"「{name}」含有 DTD" in message


def test_a_dtd_in_a_part_that_is_not_xml_is_not_read_but_the_parts_after_it_are():
    assert refused(zipped({"xl/media/image1.bin": b"<!DOCTYPE x>"})) == ("", "")
    assert refused(zipped({"xl/media/image1.bin": b"", "xl/workbook.xml": b"<!DOCTYPE x><workbook/>"}))[0] == "xml_dtd"


# ---------------------------------------------------------------- the scan streams a part chunk by chunk


@pytest.mark.parametrize("offset", [-9, -4, -1, 0, 1])
def test_a_dtd_straddling_two_chunks_is_found(offset):
    padding = CHUNK + offset - len(b"<a>")
    data = zipped({"a.xml": b"<a>" + b" " * padding + b"<!DOCTYPE x><b/></a>"})
    assert refused(data)[0] == "xml_dtd"


@pytest.mark.parametrize("offset", [-3, -2, -1, 0, 1])
def test_a_cell_tag_straddling_two_chunks_is_counted_once(offset):
    head = b'<worksheet><sheetData><row r="1">'
    padding = CHUNK + offset - len(head)
    part = head + b" " * padding + b"<c/><c/></row></sheetData></worksheet>"
    data = book({"表": part})
    assert refused(data, Limits(max_cells_per_sheet=2, max_ratio=10**9)) == ("", "")
    assert "有 2 个单元格" in refused(data, Limits(max_cells_per_sheet=1, max_ratio=10**9))[1]


def test_a_dtd_opening_a_part_before_a_chunk_of_text_is_found():
    # the part starts with the declaration and has no other tag in its first chunk
    data = zipped({"a.xml": b"<!DOCTYPE x [" + b" " * (2 * CHUNK) + b"]><a/>"})
    assert refused(data)[0] == "xml_dtd"


def test_a_tag_after_a_long_run_of_text_is_still_counted():
    # a shared string of 3 MB: the scan keeps a tag's start, never the whole text, between chunks
    strings = b"<sst><si><t>" + b"x" * (3 * CHUNK) + b"</t></si><si><t>b</t></si></sst>"
    data = book({"表": sheet(1, 1)}, extra={"xl/sharedStrings.xml": strings})
    assert "共有 2 段文本" in refused(data, Limits(max_shared_strings=1, max_ratio=10**9, max_member_bytes=10**9))[1]


def test_the_tag_that_ends_a_part_is_counted():
    assert "有 3 个单元格" in refused(book({"表": b"<c/><c/><c/>"}), Limits(max_cells_per_sheet=2))[1]


def test_text_without_any_tag_counts_nothing():
    data = book({"表": b" " * (2 * CHUNK)})
    assert refused(data, Limits(max_cells_per_sheet=0, max_rows_per_sheet=0, max_ratio=10**9)) == ("", "")


# ---------------------------------------------------------------- which part is which sheet


def test_sheet_parts_are_named_by_their_titles_through_relative_or_absolute_targets():
    for absolute in (False, True):
        data = book({"基础数据": sheet(1, 1), "自评表": sheet(3, 1)}, absolute=absolute)
        assert "工作表「自评表」有 3 行" in refused(data, Limits(max_rows_per_sheet=2))[1]


def test_a_sheet_part_no_title_points_at_is_named_by_its_part():
    data = book({"表": sheet(1, 1)}, extra={"xl/worksheets/sheet9.xml": sheet(3, 1)})
    assert "工作表「xl/worksheets/sheet9.xml」有 3 行" in refused(data, Limits(max_rows_per_sheet=2))[1]


def test_without_a_readable_workbook_part_every_sheet_part_is_named_by_itself():
    data = zipped({"xl/workbook.xml": b"<workbook", "xl/worksheets/sheet1.xml": sheet(3, 1)})
    assert "工作表「xl/worksheets/sheet1.xml」有 3 行" in refused(data, Limits(max_rows_per_sheet=2))[1]
    dtd = zipped({"xl/workbook.xml": b"<!DOCTYPE x><workbook/>", "xl/_rels/workbook.xml.rels": b"<Relationships/>"})
    assert refused(dtd)[0] == "xml_dtd"


def test_a_sheet_with_no_name_is_named_by_its_part():
    data = book({"": sheet(3, 1)})
    assert "工作表「xl/worksheets/sheet1.xml」有 3 行" in refused(data, Limits(max_rows_per_sheet=2))[1]


# ---------------------------------------------------------------- kinds refused and content not kept


def test_a_cut_short_zip_is_damaged_and_anything_else_unknown():
    assert refusal("unknown", b"PK\x03\x04").code == "file_damaged"
    assert refusal("unknown", b"\x00PK").code == "file_unknown"
    for kind in ("xlsx", "xlsm", "strict"):
        assert refusal(kind, b"") is None


OPENING = "文件无法作为 Excel 工作簿（.xlsx）打开：文件不是 .xlsx 格式，"


@pytest.mark.parametrize(("kind", "code", "message"), [
    ("docx", "file_other_zip", "而是Word 文档（.docx）；请上传用模板填写的 .xlsx 文件。"),
    ("rar", "file_other_zip", "而是RAR 压缩包；如是压缩包，请解压后逐个上传其中用模板填写的 .xlsx 文件。"),
    ("image", "file_other_format", "而是图片，本工具不能直接读取；请上传用模板填写的 .xlsx 文件本身，而不是截图、扫描件或版式文件。"),
    ("numbers", "file_other_zip", "而是Apple Numbers 表格（.numbers）；请在 Numbers 中选择“文件→导出为→Excel”，导出 .xlsx 后再上传。"),
    ("html", "file_other_format", "而是网页（HTML）文件（常见于从网页或业务系统导出的“.xls”），本工具不能直接读取；"
                                  "请用 Excel/WPS 打开它，另存为 .xlsx（Excel 工作簿）后再上传。"),
    ("pdf", "file_pdf", "而是 PDF 文档；请上传用模板填写的 .xlsx 文件本身，而不是打印或导出的 PDF。"),
    ("nothing_we_know", "file_unknown", "也无法识别是什么文件；请上传用本工具模板填写并保存为 .xlsx 的文件。"),
])
def test_each_refused_kind_is_named_and_gets_its_own_advice(kind, code, message):
    finding = refusal(kind, b"")
    assert (finding.code, finding.message) == (code, OPENING + message)


def test_a_refusal_reads_as_its_message():
    with pytest.raises(TooCostly) as costly:
        check_archive(b"PK\x03\x04" + bytes(100))
    assert str(costly.value) == costly.value.finding.message and costly.value.finding.code == "file_damaged"


def test_lost_content_is_listed_once_each_in_the_order_a_clerk_reads_it():
    members = {name: b"" for name in ("xl/pivotTables/p1.xml", "xl/pivotCache/c1.xml", "xl/drawings/drawing1.xml",
                                      "xl/vbaProject.bin", "xl/timelines/t1.xml")}
    assert unpreserved_content(zipped(members)) == ["图形", "数据透视表", "宏（VBA）", "日程表"]
    assert unpreserved_content(zipped({"xl/drawings/drawing1.xml": b"", "xl/media/image1.png": b""})) == ["图片"]
    assert unpreserved_content(b"not a zip") == []


def test_a_sheet_that_names_no_part_leaves_its_part_named_by_itself():
    data = book({"表": sheet(3, 1)})
    data = rezip(data, {"xl/workbook.xml": member(data, "xl/workbook.xml").replace(b' r:id="rId1"', b"")})
    assert "工作表「xl/worksheets/sheet1.xml」有 3 行" in refused(data, Limits(max_rows_per_sheet=2))[1]


def test_a_sheet_is_named_by_its_title_wherever_the_relationships_put_its_part():
    """The pre-scan finds the workbook part through _rels/.rels, so a cap names the sheet a person sees."""
    from support.harness import jiaozuo_bytes
    from support.saved_files import parts_elsewhere

    data = parts_elsewhere(jiaozuo_bytes())
    code, message = refused(data, Limits(max_cells_per_sheet=20))
    assert code == "sheet_too_large" and "「自评表」" in message and "content/" not in message, message
