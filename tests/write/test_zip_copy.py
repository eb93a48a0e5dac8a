"""The copy's zip (write/zip_copy.py): the parts the marks leave alone are copied compressed as they were, with their
CRC-32 and sizes, and only new or edited parts are deflated. The copy reads back part for part as the copy with every
part deflated again (the writer before), passes zipfile's CRC check, opens in openpyxl, python-calamine and
LibreOffice, keeps the stamp that recognises it, and checked again has its marks taken out. Inputs as other zip
writers leave them — data descriptors, stored members, Zip64 extra fields, a CP437 name, duplicate names, bytes in
front of the archive — are copied raw where the copy can vouch for them, and read and deflated again where not."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from python_calamine import CalamineWorkbook

from selfscore.checking import check, check_file
from selfscore.cli import main
from selfscore.tables.names import MARKS_SHEET, RESULTS_SHEET
from selfscore.write import inplace, zip_copy
from selfscore.write.inplace import mark_up_in_place, unmark
from selfscore.write.marks import unchanged_since_written, zip_stamp
from selfscore.write.zip_copy import copy_zip, recompressed_zip
from support import corpus, libreoffice
from support.harness import jiaozuo_bytes, members

NAME = "第0001县.xlsx"


# ---------------------------------------------------------------- zips as other writers leave them


class _Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in: it then writes each member's CRC-32 and sizes in a data descriptor
    after the data (APPNOTE 4.3.9, flag bit 3), as a streaming writer does."""

    def __init__(self) -> None:
        self.buffer = io.BytesIO()

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        return self.buffer.write(data)


def _rezipped(data: bytes, *, streamed: bool = False, stored: tuple[str, ...] = (), zip64: bool = False,
              methods: dict[str, int] | None = None) -> bytes:
    """The zip's parts written again: through a stream (data descriptors), some stored, every local header with a
    Zip64 extra field (``force_zip64``), some parts with another compression method."""
    target = _Unseekable() if streamed else io.BytesIO()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members(data).items():
            info = zipfile.ZipInfo(name, (2024, 5, 6, 7, 8, 10))
            info.compress_type = zipfile.ZIP_STORED if name.startswith(stored) else (methods or {}).get(
                name, zipfile.ZIP_DEFLATED)
            with archive.open(info, "w", force_zip64=zip64) as stream:
                stream.write(body)
    return (target.buffer if streamed else target).getvalue()


_CENTRAL = struct.Struct("<4s6H3L5H2L")  # APPNOTE 4.3.12
_END = struct.Struct("<4s4H2LH")  # APPNOTE 4.3.16


def _zip64_directory(data: bytes) -> bytes:
    """The same zip with each central directory entry's sizes and offset moved into a Zip64 extra field (APPNOTE
    4.5.3), 0xFFFFFFFF in their places, as a writer does that cannot know the sizes will stay small."""
    end = data.rindex(b"PK\x05\x06")
    *_, count, _size, start, _comment = _END.unpack_from(data, end)
    directory, position = b"", start
    for _ in range(count):
        fields = list(_CENTRAL.unpack_from(data, position))
        name_length, extra_length, comment_length = fields[10:13]
        name = data[position + _CENTRAL.size:position + _CENTRAL.size + name_length]
        extra = struct.pack("<2H3Q", 1, 24, fields[9], fields[8], fields[16])  # sizes, then the offset
        fields[8] = fields[9] = fields[16] = 0xFFFF_FFFF
        fields[11], fields[12] = len(extra), 0
        directory += _CENTRAL.pack(*fields) + name + extra
        position += _CENTRAL.size + name_length + extra_length + comment_length
    return data[:start] + directory + _END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0)


def _compressed(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes as stored in the zip, found from its local header (APPNOTE 4.3.7)."""
    name_length, extra_length = struct.unpack_from("<2H", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    return data[start:start + info.compress_size]


def _deflated(body: bytes) -> bytes:
    compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # zipfile's settings
    return compressor.compress(body) + compressor.flush()


def _parts_in_order(data: bytes) -> list[tuple[str, bytes]]:
    """Every member by its directory entry, duplicates too (``members`` keeps one part a name)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return [(info.filename, archive.open(info).read()) for info in archive.infolist()]


def _assert_raw_where_unchanged(source: bytes, copy: bytes, raw_expected: bool = True) -> int:
    """A part of the copy with the source's content has the source's compressed bytes; any other part is deflated
    with zipfile's settings. Returns how many were copied raw."""
    original = zipfile.ZipFile(io.BytesIO(source))
    before = {info.filename: info for info in original.infolist()}
    raw = 0
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        for info in archive.infolist():
            body = archive.read(info)
            assert not info.flag_bits & 0x08, f"{info.filename}: the copy writes no data descriptors"
            old = before.get(info.filename)
            if raw_expected and old is not None and original.read(old) == body:
                assert (info.compress_type, _compressed(copy, info)) == (old.compress_type, _compressed(source, old)), \
                    info.filename
                raw += 1
            else:
                assert info.compress_type == zipfile.ZIP_DEFLATED and _compressed(copy, info) == _deflated(body), \
                    info.filename
    return raw


# ---------------------------------------------------------------- through the writer: the copy a check makes

FAULTY = jiaozuo_bytes(scores={"funds_raising": 7})
#: inputs as different zip writers leave them: openpyxl's own, a streaming writer's (data descriptors, the picture
#: stored), Zip64 extra fields in every local header and in the central directory, and everything stored
INPUTS = {
    "openpyxl": lambda: corpus.with_image(FAULTY),
    "streamed_with_the_picture_stored": lambda: _rezipped(corpus.with_image(FAULTY), streamed=True,
                                                          stored=("xl/media/",)),
    "zip64_extra_fields": lambda: _zip64_directory(_rezipped(corpus.with_image(FAULTY), zip64=True)),
    "all_stored": lambda: _rezipped(FAULTY, stored=("",)),
}


@pytest.fixture(scope="module", params=sorted(INPUTS))
def marked(request, tmp_path_factory) -> tuple[Path, bytes, bytes]:
    """An input, its copy as the writer makes it, and the copy with every part deflated again (the writer before)."""
    path = tmp_path_factory.mktemp(request.param) / NAME
    path.write_bytes(INPUTS[request.param]())
    checked = check(path)
    assert checked.original is not None and checked.report.findings
    copy = mark_up_in_place(checked.original, checked.workbook, checked.report)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inplace, "copy_zip", lambda source, data, members, stamp=None: recompressed_zip(
            source, members, stamp))
        checked = check(path)
        before = mark_up_in_place(checked.original, checked.workbook, checked.report)
    return path, copy, before


def test_the_inputs_really_are_as_those_writers_leave_them():
    def infos(name: str) -> list[zipfile.ZipInfo]:
        return zipfile.ZipFile(io.BytesIO(INPUTS[name]())).infolist()

    streamed = infos("streamed_with_the_picture_stored")
    assert all(info.flag_bits & 0x08 for info in streamed)  # a data descriptor after every member
    assert {info.compress_type for info in streamed if info.filename.startswith("xl/media/")} == {zipfile.ZIP_STORED}
    data = INPUTS["zip64_extra_fields"]()
    for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
        local_extra = struct.unpack_from("<H", data, info.header_offset + 28)[0]
        central = _CENTRAL.unpack_from(data, _directory_entry(data, info.filename))
        assert local_extra and central[8] == central[9] == central[16] == 0xFFFF_FFFF, info.filename
    assert {info.compress_type for info in infos("all_stored")} == {zipfile.ZIP_STORED}


def test_the_copy_reads_back_part_for_part_as_the_copy_deflated_again(marked):
    path, copy, before = marked
    assert _parts_in_order(copy) == _parts_in_order(before)  # names, order and content; zipfile checks every CRC
    # the stamp digests the names, CRC-32s and sizes, which a raw copy keeps: the same comment
    assert zipfile.ZipFile(io.BytesIO(copy)).comment == zipfile.ZipFile(io.BytesIO(before)).comment
    # as large as before, but where the input stores its parts uncompressed: they stay so (the input's own size)
    stored = all(info.compress_type == zipfile.ZIP_STORED for info in zipfile.ZipFile(path).infolist())
    assert len(copy) < (len(before) + path.stat().st_size if stored else len(before) * 1.05)


def test_the_parts_the_marks_leave_alone_are_copied_compressed_as_they_were(marked):
    path, copy, _before = marked
    assert _assert_raw_where_unchanged(path.read_bytes(), copy) >= 4  # theme, properties, the picture…
    with zipfile.ZipFile(io.BytesIO(copy)) as archive:
        assert unchanged_since_written(archive, NAME)  # the copy is recognised as the one written


def test_the_copy_opens_in_openpyxl_calamine_and_libreoffice(marked, tmp_path, monkeypatch):
    path, _copy, _before = marked
    result = CliRunner().invoke(main, ["check", str(path), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 1, result.output  # the findings: the copy is written
    copy = tmp_path / "out" / NAME.replace(".xlsx", ".checked.xlsx")
    assert _parts_in_order(copy.read_bytes()) == _parts_in_order(marked[1])
    workbook = load_workbook(copy)
    assert workbook.sheetnames[0] == RESULTS_SHEET and MARKS_SHEET in workbook.sheetnames
    calamine = CalamineWorkbook.from_path(str(copy))
    assert calamine.sheet_names == workbook.sheetnames
    for title in calamine.sheet_names:
        rows = calamine.get_sheet_by_name(title).to_python()
        assert rows or title == MARKS_SHEET, title
    assert any("7" in str(value) for row in calamine.get_sheet_by_name(RESULTS_SHEET).to_python() for value in row)
    # LibreOffice's conversions are cached by the parts' content, which the old copy shares: convert this zip
    monkeypatch.setattr(libreoffice, "CACHE", tmp_path / "soffice-cache")
    (pdf,) = libreoffice.convert([copy], "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000


def test_checking_the_copy_again_takes_the_marks_out(marked):
    path, copy, _before = marked
    result = unmark(copy)
    assert result is not None
    restored, previous = result
    assert previous.findings
    original = members(path.read_bytes())
    assert set(members(restored)) == set(original)
    for part, body in members(restored).items():
        assert body == original[part], part
    # taking the marks out copies the parts it does not touch raw too
    _assert_raw_where_unchanged(copy, restored)
    report, again = check_file(copy, name=NAME.replace(".xlsx", ".checked.xlsx"))
    assert report.previous is not None and unmark(again) is not None


# ---------------------------------------------------------------- the zip alone


def _copied(data: bytes, stamp=None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    return copy_zip(source, data, [(info, None) for info in source.infolist()], stamp)


def _zip(parts: list[tuple[str, bytes]], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression) as archive:
        for name, body in parts:
            archive.writestr(name, body)
    return output.getvalue()


PARTS = [("a.xml", b"<a>" + b"x" * 5000 + b"</a>"), ("b/c.bin", bytes(range(256)) * 40), ("empty.xml", b""),
         ("d/", b"")]


@pytest.mark.parametrize("step", [7, 4096, 1024 * 1024])
def test_members_are_vouched_for_a_step_at_a_time(step, monkeypatch):
    monkeypatch.setattr(zip_copy, "_STEP", step)  # the inflating loop's edges: a step of 7 bytes to a whole member
    big = (b"<row>" + b"0123456789" * 40 + b"</row>") * 12_000  # inflates to 5 MB, several steps of 1 MB
    for data in (_zip([*PARTS, ("big.xml", big)]), _rezipped(_zip([*PARTS, ("big.xml", big)]), streamed=True),
                 _zip(PARTS, zipfile.ZIP_STORED)):
        copy = _copied(data)
        assert _parts_in_order(copy) == _parts_in_order(data)
        assert _assert_raw_where_unchanged(data, copy) == len(zipfile.ZipFile(io.BytesIO(data)).infolist())


def test_bytes_in_front_of_the_archive_and_a_cp437_name_are_copied_raw():
    data = _zip([*PARTS, ("cafX.xml", b"<x/>")])
    data = b"MZ" + b"\0" * 100 + data.replace(b"cafX", "café".encode("cp437"))  # no UTF-8 flag: read as CP437
    source = zipfile.ZipFile(io.BytesIO(data))
    assert "café.xml" in source.namelist() and not source.getinfo("café.xml").flag_bits & 0x800
    copy = _copied(data)
    assert _parts_in_order(copy) == _parts_in_order(data)
    written = zipfile.ZipFile(io.BytesIO(copy)).getinfo("café.xml")
    assert written.flag_bits & 0x800 and written.header_offset < len(copy)  # UTF-8 now, as zipfile writes a name
    assert _assert_raw_where_unchanged(data, copy) == len(PARTS) + 1


@pytest.mark.parametrize("method", [zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_another_compression_method_is_inflated_and_deflated_again(method):
    data = _rezipped(_zip(PARTS), methods={"a.xml": method})
    copy = _copied(data)
    assert _parts_in_order(copy) == _parts_in_order(data)
    info = zipfile.ZipFile(io.BytesIO(copy)).getinfo("a.xml")
    assert info.compress_type == zipfile.ZIP_DEFLATED and _compressed(copy, info) == _deflated(dict(PARTS)["a.xml"])


def _directory_entry(data: bytes, name: str) -> int:
    """Where the member's central directory entry starts (APPNOTE 4.3.12)."""
    position = data.rindex(b"PK\x05\x06")
    position = _END.unpack_from(data, position)[6]
    while data[position + _CENTRAL.size:position + _CENTRAL.size + len(name.encode())] != name.encode():
        position = data.index(b"PK\x01\x02", position + 4)
    return position


def _flag_bits(data: bytes, name: str, bits: int) -> bytes:
    """The zip with ``bits`` set in the member's flags, in its local header and in its directory entry."""
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(name)
    patched = bytearray(data)
    struct.pack_into("<H", patched, info.header_offset + 6, info.flag_bits | bits)
    struct.pack_into("<H", patched, _directory_entry(data, name) + 8, info.flag_bits | bits)
    return bytes(patched)


def test_a_member_that_says_it_is_encrypted_is_never_copied_raw():
    data = _flag_bits(_zip(PARTS), "a.xml", 0x01)  # APPNOTE 4.4.4 bit 0
    with pytest.raises(RuntimeError, match="encrypted"):  # read through zipfile, which asks for a password
        _copied(data)


def test_a_member_whose_bytes_do_not_inflate_to_its_crc_is_never_copied_raw():
    data = bytearray(_zip(PARTS, zipfile.ZIP_STORED))
    info = zipfile.ZipFile(io.BytesIO(bytes(data))).getinfo("b/c.bin")
    data[info.header_offset + 30 + len("b/c.bin") + 10] ^= 0xFF  # one byte of the content changed, not its CRC
    with pytest.raises(zipfile.BadZipFile, match="CRC"):  # read through zipfile, which refuses it
        _copied(bytes(data))
    deflated = _zip(PARTS)
    info = zipfile.ZipFile(io.BytesIO(deflated)).getinfo("a.xml")
    truncated = _cut_short(deflated, info)
    with pytest.raises((zipfile.BadZipFile, zlib.error, EOFError)):
        _copied(truncated)


def _cut_short(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """The zip with the member's compressed size one byte short in its directory entry: a deflate stream cut off."""
    patched = bytearray(data)
    struct.pack_into("<L", patched, _directory_entry(data, info.filename) + 20, info.compress_size - 1)
    return bytes(patched)


def test_a_local_header_that_names_another_member_is_never_copied_raw():
    data = _zip(PARTS)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo("a.xml")
    patched = bytearray(data)
    patched[info.header_offset + 30] = ord("z")  # the local header now says z.xml
    with pytest.raises(zipfile.BadZipFile, match="differ"):
        _copied(bytes(patched))


def test_duplicate_names_are_copied_as_zipfile_reads_them():
    with pytest.warns(UserWarning, match="Duplicate name"):
        data = _zip([("a.xml", b"<first/>"), ("b.xml", b"<b/>"), ("a.xml", b"<second/>")])
    source = zipfile.ZipFile(io.BytesIO(data))
    with pytest.warns(UserWarning, match="Duplicate name"):
        before = recompressed_zip(source, [(info, None) for info in source.infolist()])
    copy = _copied(data)
    assert _parts_in_order(copy) == _parts_in_order(before) == [
        ("a.xml", b"<second/>"), ("b.xml", b"<b/>"), ("a.xml", b"<second/>")]


def test_new_and_edited_members_are_deflated_as_zipfile_deflates_them():
    data = _zip(PARTS)
    source = zipfile.ZipFile(io.BytesIO(data))
    edited = [(info, b"<edited/>" if info.filename == "a.xml" else None) for info in source.infolist()]
    edited.append((zipfile.ZipInfo("new.xml", (1980, 1, 1, 0, 0, 0)), b"<new>" * 100))
    stamp = zip_stamp(NAME)
    copy, before = copy_zip(source, data, edited, stamp), recompressed_zip(source, edited, stamp)
    assert _parts_in_order(copy) == _parts_in_order(before)
    assert _assert_raw_where_unchanged(data, copy) == len(PARTS) - 1
    for name in ("a.xml", "new.xml"):
        assert _compressed(copy, zipfile.ZipFile(io.BytesIO(copy)).getinfo(name)) == \
            _compressed(before, zipfile.ZipFile(io.BytesIO(before)).getinfo(name))
    assert unchanged_since_written(zipfile.ZipFile(io.BytesIO(copy)), NAME)
    assert zipfile.ZipFile(io.BytesIO(copy)).comment == zipfile.ZipFile(io.BytesIO(before)).comment


def test_a_copy_that_would_need_zip64_records_is_written_by_zipfile(monkeypatch):
    monkeypatch.setattr(zip_copy, "_MAX_32", 3000)  # as if the parts were over 4 GiB
    data = _zip(PARTS)
    source = zipfile.ZipFile(io.BytesIO(data))
    assert _copied(data) == recompressed_zip(source, [(info, None) for info in source.infolist()])
