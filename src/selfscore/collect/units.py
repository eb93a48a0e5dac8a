"""The reviewer's list of units, pasted one per line or uploaded as a workbook with one unit per row."""

from __future__ import annotations

import unicodedata

from selfscore.read.by_names import open_workbook
from selfscore.read.result import Unreadable

MAX_UNITS = 1000
MAX_NAME = 200
#: a first row with one of these is a header, not a unit
HEADERS = {"单位", "单位名称", "填报单位", "名称", "县区", "县（市、区）", "地区"}


class UnitListError(ValueError):
    """The list of units cannot be used; the message says which line and why, in Chinese."""


def unit_name(text: str) -> str:
    """A unit's name as it is kept and compared, wherever it comes from (the form, a workbook, the API, a workbook's
    填报单位): NFC, so 「café」 typed with a combining accent is the same unit as with a precomposed é; spaces collapsed."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def same_unit(written: str, unit: str) -> bool:
    """Whether a workbook's 填报单位 names this unit (in whichever Unicode form either was typed)."""
    return unit_name(written) == unit_name(unit)


def units_from_text(text: str) -> list[str]:
    """One unit per non-blank line, spaces trimmed."""
    return check_units([unit_name(line) for line in text.splitlines() if line.strip()])


def units_from_workbook(data: bytes) -> list[str]:
    """The first column of the first sheet, one unit per row, below a header such as 「单位」 when there is one."""
    try:
        workbook = open_workbook(data)
    except Unreadable as unreadable:
        raise UnitListError(f"单位名单工作簿无法读取：{unreadable.finding.message}") from None
    sheet = workbook.worksheets[0]
    names = []
    for row in sheet.iter_rows(min_col=1, max_col=1, values_only=True):
        value = row[0]
        if value is None or not str(value).strip():
            continue
        names.append(unit_name(str(value)))
    # A header row (「单位」) near the top, under a title or two, starts the list.
    header = next((index for index, name in enumerate(names[:10]) if name in HEADERS), None)
    if header is not None:
        names = names[header + 1:]
    return check_units(names, where="工作表「" + sheet.title + "」第 {line} 个单位")


def check_units(names: list[str], where: str = "第 {line} 行") -> list[str]:
    if not names:
        raise UnitListError("没有填写单位：请每行填写一个单位名称，或上传第一列为单位名称的工作簿。")
    if len(names) > MAX_UNITS:
        raise UnitListError(f"单位太多：一次最多 {MAX_UNITS} 个，本次有 {len(names)} 个。")
    seen: dict[str, int] = {}
    for line, name in enumerate(names, start=1):
        if len(name) > MAX_NAME:
            raise UnitListError(f"{where.format(line=line)}的单位名称太长（{len(name)} 个字符，最多 {MAX_NAME} 个）。")
        if name in seen:
            raise UnitListError(f"{where.format(line=line)}的单位「{name}」与{where.format(line=seen[name])}重复；每个单位只能列一次。")
        seen[name] = line
    return names
