"""A marked-up copy a person changed, or a file that is not one of our copies, is never written over.

The README invites a clerk to correct either the original or the marked-up copy. Checking again must
not throw a correction away: the new copy takes the next free name and the terminal line says why.
An unchanged copy of the same input is replaced, so checking again after fixing the original does
not pile up copies. Every test drives ``selfscore check`` and reads the workbooks back with openpyxl.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from selfscore.cli import main
from selfscore.tables.names import MARKS_SHEET, SCORE_SHEET
from selfscore.write import copies
from selfscore.write.copies import CHANGED, NOT_OURS, UNPROVEN
from selfscore.write.summary import SUMMARY_SHEET
from support.helpers import make_workbook
from support.libreoffice import convert

#: 资金筹集's self-score on the score sheet: 10 in the Jiaozuo workbook, and 10 is right
FUNDS_RAISING = "F5"


def check(*arguments) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["check", *map(str, arguments)])
    assert "Traceback" not in result.output, result.output
    return result.exit_code, result.output


def kept_line(kept: str, reason: str, written: Path) -> str:
    return f"  → 原有的 {kept} {reason}，没有覆盖；标注副本写入：{written}"


def copy_line(written: Path) -> str:
    return f"  → 标注副本：{written}"


def self_score(path: Path) -> object:
    return load_workbook(path)[SCORE_SHEET][FUNDS_RAISING].value


def correct_in_copy(path: Path, value: object) -> bytes:
    """What a clerk does: open the marked-up copy, change a self-score, save."""
    workbook = load_workbook(path)
    workbook[SCORE_SHEET][FUNDS_RAISING].value = value
    workbook.save(path)
    return path.read_bytes()


@pytest.fixture(params=["next to the input", "-o DIR"])
def where(request, tmp_path) -> tuple[list[str], Path]:
    """The options of a check and the folder its copies go to."""
    if request.param == "-o DIR":
        return ["-o", str(tmp_path / "out")], tmp_path / "out"
    return [], tmp_path


def test_the_clerks_correction_in_the_copy_survives_checking_the_original_again(tmp_path, where):
    options, folder = where
    original = make_workbook(tmp_path / "x.xlsx")
    copy, second = folder / "x.checked.xlsx", folder / "x.checked-2.xlsx"
    code, output = check(original, *options)
    assert code == 0 and copy_line(copy) in output.splitlines()
    corrected = correct_in_copy(copy, 5)

    code, output = check(original, *options)

    assert copy.read_bytes() == corrected, "the corrected copy is left exactly as the clerk saved it"
    assert self_score(copy) == 5
    assert self_score(second) == 10, "the new copy is of the original, as it stands"
    assert code == 0
    assert kept_line("x.checked.xlsx", CHANGED, second) in output.splitlines()
    assert sorted(path.name for path in folder.glob("x.checked*.xlsx")) == ["x.checked-2.xlsx", "x.checked.xlsx"]

    # Once more: x.checked-2.xlsx is an unchanged copy of x.xlsx and is replaced; the correction is still kept.
    code, output = check(original, *options)
    assert copy.read_bytes() == corrected
    assert kept_line("x.checked.xlsx", CHANGED, second) in output.splitlines()
    assert not (folder / "x.checked-3.xlsx").exists()


def test_an_unchanged_copy_is_replaced_after_the_original_is_fixed(tmp_path, where):
    options, folder = where
    original = make_workbook(tmp_path / "x.xlsx", scores={"funds_raising": 7})
    copy = folder / "x.checked.xlsx"
    assert check(original, *options)[0] == 1
    assert self_score(copy) == 7
    make_workbook(original)  # the clerk fixes the original: 资金筹集 back to 10

    code, output = check(original, *options)

    assert code == 0
    assert self_score(copy) == 10, "the unchanged copy was replaced by the new one"
    assert copy_line(copy) in output.splitlines() and "没有覆盖" not in output
    assert [path.name for path in folder.glob("x.checked*.xlsx")] == ["x.checked.xlsx"]


def test_a_copy_opened_and_saved_again_without_a_change_is_still_unchanged(tmp_path, where):
    options, folder = where
    original = make_workbook(tmp_path / "x.xlsx")
    copy = folder / "x.checked.xlsx"
    check(original, *options)
    before = copy.read_bytes()
    load_workbook(copy).save(copy)  # other bytes, the same values
    assert copy.read_bytes() != before

    code, output = check(original, *options)

    assert code == 0 and copy_line(copy) in output.splitlines()
    assert not (folder / "x.checked-2.xlsx").exists()


@pytest.mark.soffice
def test_two_inputs_of_one_stem_into_one_folder_each_keep_their_own_copy(tmp_path):
    """check x.xls -o DIR, then check x.xlsx -o DIR: the .xls file's copy is not the .xlsx file's to replace."""
    made = make_workbook(tmp_path / "made" / "x.xlsx", scores={"funds_raising": 7})
    (legacy,) = convert([made], "xls:MS Excel 97", tmp_path / "in")
    modern = make_workbook(tmp_path / "in" / "x.xlsx")
    out = tmp_path / "out"
    first, second = out / "x.checked.xlsx", out / "x.checked-2.xlsx"

    assert check(legacy, "-o", out)[0] == 1
    of_legacy = first.read_bytes()
    code, output = check(modern, "-o", out)

    assert code == 0
    assert first.read_bytes() == of_legacy, "the .xls file's copy is left alone"
    assert (self_score(first), self_score(second)) == (7, 10)
    assert kept_line("x.checked.xlsx", "是另一个文件（x.xls）的标注副本", second) in output.splitlines()

    # Each again: each replaces its own unchanged copy and nothing else; no third copy appears.
    code, output = check(legacy, "-o", out)
    assert code == 1 and copy_line(first) in output.splitlines()
    code, output = check(modern, "-o", out)
    assert code == 0 and kept_line("x.checked.xlsx", "是另一个文件（x.xls）的标注副本", second) in output.splitlines()
    assert sorted(path.name for path in out.iterdir()) == ["x.checked-2.xlsx", "x.checked.xlsx"]


def foreign_workbook(path: Path) -> None:
    workbook = Workbook()
    workbook.active["A1"] = "一张别人的表"
    workbook.save(path)


def text_file(path: Path) -> None:
    path.write_text("这不是工作簿，是一份说明。\n", encoding="utf-8")


def hostile_workbook(path: Path) -> None:
    """A workbook with an XML entity in it: read through the safety checks, refused, never parsed."""
    buffer = io.BytesIO()
    foreign_workbook(path)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(buffer, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa">]>' + data
            target.writestr(item, data)
    path.write_bytes(buffer.getvalue())


def folder_of_that_name(path: Path) -> None:
    path.mkdir()


def named_pipe(path: Path) -> None:
    """Reading a pipe would wait forever: it must be kept without being read."""
    os.mkfifo(path)


def older_copy(path: Path) -> None:
    """A marked-up copy written before copies recorded what they are: not provably unchanged."""
    original = make_workbook(path.with_name("older.xlsx"))
    assert check(original, "-o", path.parent)[0] == 0
    (path.parent / "older.checked.xlsx").replace(path)
    workbook = load_workbook(path)
    record = workbook[MARKS_SHEET]
    for row in range(record.max_row, 1, -1):
        if record.cell(row, 1).value == "copy":
            record.delete_rows(row)
    workbook.save(path)


@pytest.mark.parametrize("make, reason", [
    (foreign_workbook, NOT_OURS),
    (text_file, NOT_OURS),
    (hostile_workbook, NOT_OURS),
    (folder_of_that_name, NOT_OURS),
    (named_pipe, NOT_OURS),
    (older_copy, UNPROVEN),
], ids=["workbook without marks", "text file", "workbook with an XML entity", "folder", "named pipe", "older copy"])
def test_a_file_at_the_copys_name_that_is_not_its_copy_is_never_replaced(tmp_path, where, make, reason):
    options, folder = where
    folder.mkdir(exist_ok=True)
    original = make_workbook(tmp_path / "x.xlsx")
    there = folder / "x.checked.xlsx"
    make(there)
    before = there.read_bytes() if there.is_file() else None
    second = folder / "x.checked-2.xlsx"

    code, output = check(original, *options)

    assert code == 0
    assert kept_line("x.checked.xlsx", reason, second) in output.splitlines()
    assert (there.read_bytes() if there.is_file() else None) == before
    assert self_score(second) == 10


def test_every_name_taken_is_named_and_the_copy_goes_to_the_first_free_one(tmp_path):
    original = make_workbook(tmp_path / "x.xlsx")
    text_file(tmp_path / "x.checked.xlsx")
    check(original)
    correct_in_copy(tmp_path / "x.checked-2.xlsx", 5)

    code, output = check(original)

    third = tmp_path / "x.checked-3.xlsx"
    assert code == 0 and self_score(third) == 10
    assert (f"  → 原有的 x.checked.xlsx {NOT_OURS}、x.checked-2.xlsx {CHANGED}，都没有覆盖；标注副本写入：{third}"
            in output.splitlines())


def test_the_summary_links_to_the_copy_where_it_went(tmp_path):
    original = make_workbook(tmp_path / "x.xlsx")
    summary = tmp_path / "汇总.xlsx"
    check(original)
    correct_in_copy(tmp_path / "x.checked.xlsx", 5)

    assert check(original, "--summary", summary)[0] == 0

    sheet = load_workbook(summary)[SUMMARY_SHEET]
    links = [row[12].hyperlink.target for row in sheet.iter_rows(min_row=5) if row[12].hyperlink]
    assert links == ["x.checked-2.xlsx"]


def test_without_copies_nothing_is_looked_at_or_written(tmp_path):
    original = make_workbook(tmp_path / "x.xlsx")
    text_file(tmp_path / "x.checked.xlsx")

    code, output = check(original, "--no-markup")

    assert code == 0 and "没有覆盖" not in output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x.checked.xlsx", "x.xlsx"]


def test_a_corrected_copy_checked_itself_is_checked_as_the_clerk_left_it(tmp_path):
    """Checking the corrected copy (as the README invites) reads the correction, and still writes over nothing."""
    original = make_workbook(tmp_path / "x.xlsx")
    check(original)
    copy = tmp_path / "x.checked.xlsx"
    corrected = correct_in_copy(copy, 5)

    code, output = check(copy)

    assert code == 1 and "自评得分 5 与按填报数据重新计算的 10 分不符" in output
    assert copy.read_bytes() == corrected
    assert self_score(tmp_path / "x.checked-2.xlsx") == 5


def test_a_forged_record_cannot_write_control_characters_to_the_terminal(tmp_path):
    original = make_workbook(tmp_path / "x.xlsx")
    check(original)
    copy = tmp_path / "x.checked.xlsx"
    workbook = load_workbook(copy)
    record = workbook[MARKS_SHEET]
    row = next(row for row in range(2, record.max_row + 1) if record.cell(row, 7).value == "input")
    # a terminal's one-byte CSI (C1 controls are legal in XML) and a line break that would fake a line of its own
    record.cell(row, 8).value = "y\x9b2J\n  → 标注副本：y.xlsx"
    workbook.save(copy)

    code, output = check(original)

    assert code == 0 and "\x9b" not in output
    assert kept_line("x.checked.xlsx", "是另一个文件（y2J  → 标注副本：y.xlsx）的标注副本",
                     tmp_path / "x.checked-2.xlsx") in output.splitlines()


def test_a_copy_nobody_saved_since_is_recognised_without_reading_its_sheets(tmp_path, monkeypatch):
    """A re-run of a large batch finds hundreds of untouched copies: the zip's directory says they are ours."""
    original = make_workbook(tmp_path / "x.xlsx")
    check(original)

    def unread(*_arguments, **_options):
        raise AssertionError("an untouched copy was parsed")

    monkeypatch.setattr(copies, "open_workbook", unread)
    code, output = check(original)

    assert code == 0 and copy_line(tmp_path / "x.checked.xlsx") in output.splitlines()
    assert not (tmp_path / "x.checked-2.xlsx").exists()


def test_a_change_saved_by_a_tool_that_keeps_the_zip_comment_is_still_a_change(tmp_path):
    original = make_workbook(tmp_path / "x.xlsx")
    check(original)
    copy = tmp_path / "x.checked.xlsx"
    with zipfile.ZipFile(copy) as archive:
        comment = archive.comment
    assert comment, "a fresh copy carries its stamp"
    correct_in_copy(copy, 5)  # openpyxl writes a new zip, without the comment: put it back
    with zipfile.ZipFile(copy, "a") as archive:
        archive.comment = comment

    code, output = check(original)

    assert self_score(copy) == 5 and self_score(tmp_path / "x.checked-2.xlsx") == 10
    assert kept_line("x.checked.xlsx", CHANGED, tmp_path / "x.checked-2.xlsx") in output.splitlines()


def test_a_copys_folder_that_cannot_be_made_fails_that_file_and_ends(tmp_path):
    """Where no name can even be looked at (a file stands where the copy's folder should be), the run must end."""
    make_workbook(tmp_path / "in" / "sub" / "x.xlsx")
    out = tmp_path / "out"
    out.mkdir()
    (out / "sub").write_text("a file where the folder should be", encoding="utf-8")

    result = subprocess.run([sys.executable, "-m", "selfscore", "check", str(tmp_path / "in"), "-o", str(out), "-j", "1"],
                            capture_output=True, text=True, timeout=120)

    assert result.returncode == 2, result.stdout + result.stderr
    assert "sub/x.xlsx：无法读取" in result.stdout and "Traceback" not in result.stderr


def test_an_input_whose_name_the_record_cannot_hold_as_it_is_still_replaces_its_own_copy(tmp_path):
    """A control character in a file name is written to the record as U+FFFD; the copy is still known as its own."""
    original = make_workbook(tmp_path / "x\x01.xlsx")
    copy = tmp_path / "x\x01.checked.xlsx"
    check(original)
    load_workbook(copy).save(copy)  # judged by the record, not by the zip's stamp

    code, output = check(original)

    assert code == 0 and "没有覆盖" not in output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["x\x01.checked.xlsx", "x\x01.xlsx"]
