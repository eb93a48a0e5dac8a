"""Whether a marked-up copy may be written where one is found already: never over what a person changed."""

from __future__ import annotations

import io
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from zipfile import ZipFile

from selfscore.read.by_names import open_workbook
from selfscore.read.safety import DEFAULT_LIMITS, Limits
from selfscore.write.marks import content_fingerprint, copy_record, unchanged_since_written

#: why a file found at a copy's name was kept, in a clerk's words
CHANGED = "已被修改过"
UNPROVEN = "由旧版本写出，无法确认是否修改过"
NOT_OURS = "不是本工具写的标注副本"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def reason_to_keep(target: Path, copy_of: str, limits: Limits = DEFAULT_LIMITS) -> str | None:
    """Why the file at ``target`` must not be replaced by a new copy of the input named ``copy_of``, or None when
    nothing would be lost: nothing is there, or an unchanged copy of that same input is.

    A copy nobody has saved since it was written is known by its zip's directory (``unchanged_since_written``).
    Any other file is read through the same safety checks as every input and its values compared with the
    fingerprint it records; anything that cannot be read — too large, hostile, damaged, a folder, a link — is
    kept, as any failure means "not ours".
    """
    try:
        status = os.lstat(target)
    except OSError:  # nothing there; or its folder cannot be searched, and writing the copy there fails and says so
        return None
    if not stat.S_ISREG(status.st_mode) or status.st_size > limits.max_file_bytes:
        return NOT_OURS  # a link, folder or pipe is a person's doing; a pipe would also block the read
    try:
        data = target.read_bytes()
    except OSError:
        return NOT_OURS
    try:
        with ZipFile(io.BytesIO(data)) as archive:
            if len(archive.infolist()) <= limits.max_members and unchanged_since_written(archive, copy_of):
                return None  # part for part what was written: nothing to parse
    except Exception:  # not a zip: the safe reading below says so
        pass
    try:
        workbook = open_workbook(data, limits)
        record = copy_record(workbook)
        if record is None:
            return NOT_OURS
        if record.copy_of is None or record.fingerprint is None:
            return UNPROVEN
        if not record.is_of(copy_of):
            # the name is read from a file anyone could have written: no control characters to the terminal
            return f"是另一个文件（{_CONTROL.sub('', record.copy_of)[:120]}）的标注副本"
        return None if content_fingerprint(workbook) == record.fingerprint else CHANGED
    except Exception:  # whatever went wrong reading it, it is not provably ours to replace
        return NOT_OURS


@dataclass(frozen=True)
class KeptFile:
    """A file found where a marked-up copy would have gone, left as it was; the copy took the next free name."""

    path: Path
    #: why, in a clerk's words (``reason_to_keep``)
    reason: str
