"""The copy's zip: the parts passed through copied compressed as they are, only new or edited parts deflated.

``zipfile`` writes a member only from its content, so a copy made member by member with it inflates and deflates
every part again, the ones it leaves unchanged too (≈ 1.8 ms of a generated workbook's marked-up copy).
``copy_zip`` copies a passed-through member's compressed bytes, with its CRC-32 and sizes, from the original
archive, and deflates only what is new or edited, with the same zlib settings as ``zipfile``. A member is copied raw
only where it can be vouched for: stored or deflated, not encrypted, its local header agreeing with the central
directory, and its bytes inflating to exactly the size and CRC-32 the directory declares (checked here, in bounded
chunks; that costs a twentieth of deflating them). Any other member is read through ``zipfile`` and deflated again,
as before; a copy that would need Zip64 records is written by ``zipfile`` whole.

What is written is what ``zipfile`` would write for the same members (version 2.0, made on Unix, no extra fields,
the name in ASCII or else UTF-8 with the language encoding flag, no data descriptors), except that a passed-through
member keeps the compressed bytes it had. The layout follows PKWARE's APPNOTE.TXT (6.3.x), cited by section.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable, Iterable
from zipfile import ZIP_DEFLATED, ZIP_STORED, ZipFile, ZipInfo

#: given the members written, the zip's comment (``marks.zip_stamp``)
Stamp = Callable[[list[ZipInfo]], bytes]
#: a member of the copy: its entry in the source (or a new ``ZipInfo`` for a new part) and its content, None for
#: "the source's member of that name, unchanged"
Member = tuple[ZipInfo, bytes | None]

# 4.3.7 local file header: signature, version needed to extract, general purpose bit flag, compression method,
# last mod file time, last mod file date, crc-32, compressed size, uncompressed size, file name length, extra
# field length (then the name and the extra field)
_LOCAL = struct.Struct("<4s5H3L2H")
_LOCAL_SIGNATURE = b"PK\x03\x04"
# 4.3.12 central directory file header: signature, version made by, version needed to extract, flags, method,
# time, date, crc-32, compressed size, uncompressed size, name length, extra length, comment length, disk number
# start, internal attributes, external attributes, relative offset of the local header
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_CENTRAL_SIGNATURE = b"PK\x01\x02"
# 4.3.16 end of central directory record: signature, number of this disk, disk where the central directory
# starts, entries on this disk, entries in all, size of the central directory, its offset, comment length
_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"

_VERSION = 20  # 4.4.3: 2.0, deflate; what zipfile writes without Zip64
_MADE_BY = 3 << 8 | _VERSION  # 4.4.2: Unix, as zipfile writes it on Linux
_UTF8_NAME = 1 << 11  # 4.4.4 bit 11, the language encoding flag (APPNOTE appendix D): the name is UTF-8
#: 4.4.4 flags a raw copy may carry: bits 1-2 (the deflating option used: a hint only), bit 3 (sizes and CRC-32 in a
#: data descriptor after the data: the central directory has them too, and the copy writes them in its own local
#: header) and bit 11 (the name's encoding, written again from the name). Any other — bit 0 and 6 encryption, bit
#: 5 patched data, bit 13 an encrypted central directory, reserved bits — and the member is read and deflated again.
_COPYABLE_FLAGS = 0b0000_1000_0000_1110
#: 4.4.8, 4.4.9, 4.4.16, 4.4.22: 0xFFFFFFFF in a size or offset (0xFFFF in an entry count) means "see the Zip64 record"
_MAX_32, _MAX_16 = 0xFFFF_FFFF, 0xFFFF
_STEP = 1024 * 1024  # bytes inflated (or read) at a time when a raw member is checked


class _NeedsZip64(Exception):
    """The copy is too large for the plain records this writer writes (4.3.14, 4.4.1.4)."""


def copy_zip(source: ZipFile, data: bytes, members: Iterable[Member], stamp: Stamp | None = None) -> bytes:
    """The zip of ``members``, in their order, from the archive ``source`` opened on ``data``; its comment is
    ``stamp`` of the members written (the name, CRC-32 and size of each are those a reader of the copy sees)."""
    members = list(members)
    try:
        return _Writer(source, data).zip(members, stamp)
    except _NeedsZip64:
        return recompressed_zip(source, members, stamp)


def recompressed_zip(source: ZipFile, members: Iterable[Member], stamp: Stamp | None = None) -> bytes:
    """The same zip written by ``zipfile``, every member deflated again: what the copy was before ``copy_zip``, and
    still is where it would need Zip64 records (``zipfile`` writes them)."""
    buffer = io.BytesIO()
    with ZipFile(buffer, "w", ZIP_DEFLATED, allowZip64=True) as archive:
        for info, body in members:
            copied = ZipInfo(info.filename, info.date_time)
            copied.compress_type = ZIP_DEFLATED
            copied.external_attr = info.external_attr
            archive.writestr(copied, body if body is not None else source.read(info.filename))
        if stamp is not None:
            archive.comment = stamp(archive.infolist())
    return buffer.getvalue()


class _Writer:
    def __init__(self, source: ZipFile, data: bytes) -> None:
        self.source = source
        self.data = memoryview(data)
        self.out = io.BytesIO()
        self.written: list[tuple[ZipInfo, bytes, int]] = []  # each member as written, its encoded name and flags

    def zip(self, members: list[Member], stamp: Stamp | None) -> bytes:
        for info, body in members:
            entry = ZipInfo(info.filename, info.date_time)  # the name and date as zipfile would write them
            entry.external_attr = info.external_attr
            if body is not None:  # a new or edited part
                self._deflated(entry, body)
                continue
            original = self.source.getinfo(info.filename)  # what zipfile reads by that name (of duplicates, the last)
            raw = self._raw(original)
            if raw is None:
                self._deflated(entry, self.source.read(info.filename))
            else:
                entry.compress_type, entry.CRC, entry.file_size = original.compress_type, original.CRC, original.file_size
                self._member(entry, raw)
        return self._close(stamp(self._infos()) if stamp is not None else b"")

    def _raw(self, info: ZipInfo) -> memoryview | None:
        """The member's compressed bytes, if they can be copied as they are; None to read and deflate it again."""
        if info.compress_type not in (ZIP_STORED, ZIP_DEFLATED) or info.flag_bits & ~_COPYABLE_FLAGS:
            return None
        start = info.header_offset  # zipfile's, past anything prepended to the archive
        if start < 0 or start + _LOCAL.size > len(self.data):
            return None
        signature, _needed, _flags, method, _time, _date, _crc, _csize, _usize, name_length, extra_length = \
            _LOCAL.unpack_from(self.data, start)
        name = bytes(self.data[start + _LOCAL.size:start + _LOCAL.size + name_length])
        # the local header must describe the same member (zipfile refuses a name that differs, 4.3.7 / 4.3.12)
        encoding = "utf-8" if info.flag_bits & _UTF8_NAME else self.source.metadata_encoding or "cp437"
        if signature != _LOCAL_SIGNATURE or method != info.compress_type or \
                name.decode(encoding, "replace") != info.orig_filename:
            return None
        begin = start + _LOCAL.size + name_length + extra_length
        end = begin + info.compress_size
        if end > len(self.data):
            return None
        body = self.data[begin:end]
        return body if _holds(body, info) else None

    def _deflated(self, entry: ZipInfo, body: bytes) -> None:
        compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)  # zipfile's own settings
        entry.compress_type, entry.CRC, entry.file_size = ZIP_DEFLATED, zlib.crc32(body), len(body)
        self._member(entry, compressor.compress(body) + compressor.flush())

    def _member(self, entry: ZipInfo, compressed: bytes | memoryview) -> None:
        """A local header (4.3.7) with the sizes and CRC-32 in it, then the data (4.3.8); no data descriptor."""
        entry.compress_size = len(compressed)
        entry.header_offset = self.out.tell()
        if max(entry.file_size, entry.compress_size, entry.header_offset) >= _MAX_32:
            raise _NeedsZip64
        name, flags = _encoded(entry.filename)
        self.out.write(_LOCAL.pack(_LOCAL_SIGNATURE, _VERSION, flags, entry.compress_type, *_dos(entry.date_time),
                                   entry.CRC, entry.compress_size, entry.file_size, len(name), 0))
        self.out.write(name)
        self.out.write(compressed)
        self.written.append((entry, name, flags))

    def _infos(self) -> list[ZipInfo]:
        return [entry for entry, _name, _flags in self.written]

    def _close(self, comment: bytes) -> bytes:
        """The central directory (4.3.12) and its end record (4.3.16), with the comment."""
        start = self.out.tell()
        for entry, name, flags in self.written:
            self.out.write(_CENTRAL.pack(_CENTRAL_SIGNATURE, _MADE_BY, _VERSION, flags, entry.compress_type,
                                         *_dos(entry.date_time), entry.CRC, entry.compress_size, entry.file_size,
                                         len(name), 0, 0, 0, 0, entry.external_attr, entry.header_offset))
            self.out.write(name)
        size = self.out.tell() - start
        if len(self.written) >= _MAX_16 or max(start, size) >= _MAX_32:
            raise _NeedsZip64
        comment = comment[:_MAX_16]  # 4.3.16: the comment's length is two bytes (zipfile cuts it so too)
        self.out.write(_END.pack(_END_SIGNATURE, 0, 0, len(self.written), len(self.written), size, start,
                                 len(comment)))
        self.out.write(comment)
        return self.out.getvalue()


def _holds(body: memoryview, info: ZipInfo) -> bool:
    """Whether ``body`` is ``info``'s data: it inflates (or, stored, is) exactly ``file_size`` bytes with its
    CRC-32. Inflated a step at a time, so a member never takes more than a step of memory beyond its own bytes."""
    if info.compress_type == ZIP_STORED:
        crc = 0
        for begin in range(0, len(body), _STEP):
            crc = zlib.crc32(body[begin:begin + _STEP], crc)
        return len(body) == info.file_size and crc == info.CRC
    inflater = zlib.decompressobj(-15)  # 4.4.5 method 8: a raw deflate stream (RFC 1951), no zlib header
    crc = size = 0
    for begin in range(0, len(body), _STEP):
        pending: bytes | memoryview = body[begin:begin + _STEP]
        while True:  # until zlib has taken all of this step and given all it can (a full step out: ask again)
            inflated = inflater.decompress(pending, _STEP)
            size += len(inflated)
            if size > info.file_size:
                return False
            crc = zlib.crc32(inflated, crc)
            pending = inflater.unconsumed_tail
            if not pending and len(inflated) < _STEP:
                break
    return inflater.eof and not inflater.unused_data and size == info.file_size and crc == info.CRC


def _encoded(name: str) -> tuple[bytes, int]:
    """The name as zipfile writes it: ASCII, or else UTF-8 with the language encoding flag (appendix D.2)."""
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_NAME


def _dos(date_time: tuple[int, ...]) -> tuple[int, int]:
    """4.4.6: the MS-DOS time and date (two seconds a step)."""
    year, month, day, hour, minute, second = date_time[:6]
    return hour << 11 | minute << 5 | second // 2, (year - 1980) << 9 | month << 5 | day
