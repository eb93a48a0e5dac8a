"""The copy written into the filler's own zip (write/inplace.py), the default for .xlsx/.xlsm/.xltx/.xltm: what openpyxl
does not model — a picture, a chart, a pivot table, x14 data validations — comes back marked with its parts byte for
byte, opens in openpyxl and in LibreOffice, and every copy either writer makes keeps Excel's rules for the parts it
holds. Checking such a copy again takes exactly its edits out again, without openpyxl, so the same survive a re-check."""

from __future__ import annotations

import base64
import io
import json
import re
import zipfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.comments import Comment

import selfscore.write.unmark_resaved as unmark_resaved_module
from selfscore import checking
from selfscore.checking import check, check_file, marked_up_bytes
from selfscore.cli import main
from selfscore.read.by_names import merged_borders_applied, open_workbook
from selfscore.read.formats import sniff, with_parts_under_xl
from selfscore.tables.names import ADDED_SHEETS, FACTS_SHEET, MARKS_SHEET, RESULTS_SHEET, SCORE_SHEET
from selfscore.write.inplace import CannotEdit, mark_up_in_place, unmark
from selfscore.write.markup import STATUS_COLOURS
from support import corpus, harness, saved_files
from support.harness import member, members, rezip
from support.libreoffice import convert
from support.package_rules import assert_excels_rules
from support.rich import KEPT, rich_workbook
from support.rich import clerk_sets as _clerk_sets
from support.rich import sheet_part as _sheet_part


@pytest.fixture(scope="module")
def rich(tmp_path_factory) -> tuple[Path, bytes]:
    path = tmp_path_factory.mktemp("rich") / "rich.xlsx"
    path.write_bytes(rich_workbook())
    return path, path.read_bytes()


def _marked(path: Path):
    checked = check(path)
    assert checked.original is not None  # the in-place writer's, not openpyxl's
    copy = mark_up_in_place(checked.original, checked.workbook, checked.report)
    return checked.report, copy


def test_the_rich_workbook_really_holds_a_picture_a_chart_a_pivot_table_and_x14_validations(rich):
    _path, data = rich
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    for prefix in KEPT:
        assert any(name.startswith(prefix) for name in names), prefix
    assert "x14:dataValidation " in member(data, _sheet_part(data, FACTS_SHEET)).decode()


def test_a_picture_a_chart_a_pivot_table_and_x14_validations_come_back_marked_and_intact(rich):
    path, data = rich
    report, copy = _marked(path)
    assert "content_not_preserved" not in {finding.code for finding in report.findings}
    before, after = members(data), members(copy)
    kept = [name for name in before if name.startswith(KEPT)]
    assert kept and all(after[name] == before[name] for name in kept)
    # everything the marks do not touch passes byte for byte; calcChain is the only part dropped
    edited = {name for name in before if after.get(name) != before[name]}
    assert edited <= {"[Content_Types].xml", "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
                      "xl/calcChain.xml"} | {name for name in before if name.startswith("xl/worksheets/")}
    assert "x14:dataValidation " in after[_sheet_part(copy, FACTS_SHEET)].decode()

    workbook = load_workbook(io.BytesIO(copy))
    assert workbook.sheetnames[0] == RESULTS_SHEET and workbook.sheetnames[-1] == MARKS_SHEET
    assert len(workbook[FACTS_SHEET]._charts) == 1
    assert len(workbook["透视表"]._pivots) == 1
    assert report.indicators
    for result in report.indicators:
        cell = workbook[result.sheet][result.cell]
        assert cell.fill.fgColor.rgb.endswith(STATUS_COLOURS[result.status]) and "selfscore" in cell.comment.text


def test_libreoffice_opens_the_marked_rich_copy_with_everything_in_it(rich, tmp_path):
    path, _data = rich
    _report, copy = _marked(path)
    source = tmp_path / "rich.checked.xlsx"
    source.write_bytes(copy)
    (pdf,) = convert([source], "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    (saved,) = convert([source], "xlsx:Calc MS Excel 2007 XML", tmp_path / "xlsx")
    names = zipfile.ZipFile(saved).namelist()
    for prefix in ("xl/media/", "xl/charts/", "xl/pivotTables/"):
        assert any(name.startswith(prefix) for name in names), prefix
    workbook = load_workbook(saved)
    assert workbook.sheetnames[0] == RESULTS_SHEET
    assert "selfscore" in next(cell.comment.text for row in workbook["自评表"].iter_rows() for cell in row
                               if cell.comment is not None)


def test_checking_the_rich_copy_again_removes_exactly_the_marks(rich):
    path, _data = rich
    report, copy = _marked(path)
    again = check(copy, name="rich.checked.xlsx")
    assert again.report.previous is not None
    assert [f.code for f in again.report.findings if f.code != "content_not_preserved"] == \
           [f.code for f in report.findings]
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(again.workbook.sheetnames)
    assert again.report.self_total == report.self_total


def test_a_cell_that_had_a_comment_keeps_it_above_the_marks_and_the_author_list_grows(tmp_path):
    path = tmp_path / "commented.xlsx"
    path.write_bytes(harness.jiaozuo_bytes())
    report, _copy = _marked(path)
    result = report.indicators[0]
    workbook = load_workbook(path)
    workbook[result.sheet][result.cell].comment = Comment("填报人的说明", "张三")
    workbook["自评表"]["A1"].comment = Comment("另一条说明", "李四")
    workbook.save(path)
    _report, copy = _marked(path)
    read = load_workbook(io.BytesIO(copy))
    assert read[result.sheet][result.cell].comment.text.startswith("填报人的说明\n——\nselfscore 校验：")
    assert read["自评表"]["A1"].comment.text == "另一条说明" and read["自评表"]["A1"].comment.author == "李四"
    assert_excels_rules(copy)


def test_a_workbook_it_cannot_edit_falls_back_to_openpyxl_and_says_what_that_copy_loses(monkeypatch):
    data = rich_workbook()
    # a results sheet's name already taken: the in-place writer refuses, openpyxl writes the copy
    book = member(data, "xl/workbook.xml").decode().replace('name="透视表"', f'name="{RESULTS_SHEET}"')
    data = rezip(data, {"xl/workbook.xml": book.encode()})
    checked = check(data, name="taken.xlsx")
    with pytest.raises(CannotEdit):
        mark_up_in_place(checked.original, checked.workbook, checked.report)
    copy = marked_up_bytes(checked)
    assert copy is not None
    assert "content_not_preserved" in {finding.code for finding in checked.report.findings}
    assert any("图片" in note for note in checked.report.notes)
    # the comments the in-place writer had set before it gave up are not marked a second time
    sheet = load_workbook(io.BytesIO(copy))[SCORE_SHEET]
    assert all(sheet[f"F{row}"].comment.text.count("selfscore 校验") == 1 for row in range(5, 14))
    # and openpyxl's copy draws merged ranges' edges as it would from a workbook loaded with them
    real_open = checking.open_workbook
    monkeypatch.setattr(checking, "open_workbook", lambda data, limits, **_merged_borders: real_open(data, limits))
    bordered = members(marked_up_bytes(check(data, name="taken.xlsx")))
    assert {name: body for name, body in members(copy).items() if name != "docProps/core.xml"} == \
        {name: body for name, body in bordered.items() if name != "docProps/core.xml"}


def test_a_workbook_loaded_without_merged_borders_saves_as_one_loaded_with_them():
    data = harness.jiaozuo_bytes()
    assert open_workbook(data, merged_borders=False)._unformatted_merges  # the template has merged ranges

    def saved(workbook) -> dict[str, bytes]:
        workbook.save(buffer := io.BytesIO())
        return {name: body for name, body in members(buffer.getvalue()).items() if name != "docProps/core.xml"}

    assert saved(merged_borders_applied(open_workbook(data, merged_borders=False))) == saved(open_workbook(data))
    assert saved(open_workbook(data, merged_borders=False))["xl/styles.xml"] != saved(open_workbook(data))["xl/styles.xml"]


def _codes(report) -> set[tuple[str, str]]:
    return {(finding.code, finding.cell) for finding in report.findings}


def test_a_copy_edited_by_the_clerk_and_checked_again_keeps_picture_chart_and_pivot_and_only_the_new_marks():
    original = _clerk_sets(rich_workbook(), SCORE_SHEET, {"F5": 7})  # 资金筹集 self-scored 7 of a computed 10
    first, copy = check_file(original, name="rich.xlsx")
    assert ("score_mismatch", "F5") in _codes(first)
    assert members(unmark(copy)[0]) == members(original)  # the copy is the original plus the edits, no more

    edited = _clerk_sets(copy, SCORE_SHEET, {"F5": 10, "F6": 4})  # F5 mended, F6 (资金分配, 5) newly wrong
    checked = check(edited, name="rich.checked.xlsx")
    assert checked.original is not None and checked.report.previous is not None  # written in place, not by openpyxl
    report, again = check_file(edited, name="rich.checked.xlsx")
    comparison = report.comparison()
    assert ("score_mismatch", "F5") in {(code, cell) for code, _sheet, cell, _message in comparison["fixed"]}
    assert ("score_mismatch", "F6") in {(code, cell) for code, _sheet, cell, _message in comparison["new"]}

    before, after = members(original), members(again)
    kept = [name for name in before if name.startswith(KEPT)]
    assert {name.split("/")[1] for name in kept} == {"media", "charts", "drawings", "pivotTables", "pivotCache"}
    assert all(after[name] == before[name] for name in kept)
    # only the current marks: taking this copy's edits out gives back the clerk's workbook without the first marks
    clerks = members(_clerk_sets(original, SCORE_SHEET, {"F5": 10, "F6": 4}))
    assert members(unmark(again)[0]) == clerks

    workbook = load_workbook(io.BytesIO(again))
    assert [name for name in workbook.sheetnames if name in (*ADDED_SHEETS, MARKS_SHEET)] == \
        [name for name in load_workbook(io.BytesIO(copy)).sheetnames if name in (*ADDED_SHEETS, MARKS_SHEET)]
    assert len(workbook[FACTS_SHEET]._charts) == 1 and len(workbook["透视表"]._pivots) == 1
    sheet = workbook[SCORE_SHEET]
    assert sheet["F5"].fill.fgColor.rgb.endswith(STATUS_COLOURS["match"])
    assert sheet["F6"].fill.fgColor.rgb.endswith(STATUS_COLOURS["mismatch"])
    comments = [cell.comment.text for row in sheet.iter_rows() for cell in row if cell.comment is not None]
    assert comments and all(text.count("selfscore 校验") == 1 for text in comments)
    assert "不符" not in sheet["F5"].comment.text and "不符" in sheet["F6"].comment.text  # not the first check's


def test_the_report_only_path_checks_an_in_place_copy_again_without_openpyxl(monkeypatch):
    _report, copy = check_file(_clerk_sets(rich_workbook(), SCORE_SHEET, {"F5": 7}), name="rich.xlsx")
    edited = _clerk_sets(copy, SCORE_SHEET, {"F5": 10})
    full = check(edited, name="rich.checked.xlsx").report.to_dict()

    def refuse(*_args, **_kwargs):
        raise AssertionError("the report-only path loaded the copy with openpyxl")

    monkeypatch.setattr(checking, "open_workbook", refuse)
    lean = check(edited, name="rich.checked.xlsx", markup=False).report.to_dict()
    assert lean == full and lean["previous_check"]


def test_a_copy_whose_styles_another_program_rewrote_has_its_marks_removed_in_its_parts_all_the_same():
    _report, copy = check_file(_clerk_sets(rich_workbook(), SCORE_SHEET, {"F5": 7}), name="rich.xlsx")
    styles = member(copy, "xl/styles.xml").replace(b"<cellXfs", b"<!-- saved again --><cellXfs", 1)
    resaved = rezip(copy, {"xl/styles.xml": styles})
    assert unmark(resaved) is None  # the record of the edits no longer describes the parts
    checked = check(resaved, name="rich.checked.xlsx")
    assert checked.report.previous is not None and ("score_mismatch", "F5") in {
        (code, cell) for code, _sheet, cell, _message in checked.report.previous.findings}
    # the marks were removed as remove_marks removes them, in the parts (write/unmark_resaved.py): written in place
    assert checked.original is not None and MARKS_SHEET not in checked.workbook.sheetnames
    assert not set(ADDED_SHEETS + (MARKS_SHEET,)) & set(checked.workbook.sheetnames)
    again = marked_up_bytes(checked)
    assert all(members(again)[name] == body for name, body in members(copy).items() if name.startswith(KEPT))


def _with_record(copy: bytes, change) -> bytes:
    """The copy with its record of edits (the marks sheet's "inplace" rows) changed by ``change``, as a forger would."""
    part = _sheet_part(copy, MARKS_SHEET)
    sheet = member(copy, part).decode()
    chunks = re.findall(r'<t>inplace</t></is></c><c r="G\d+" t="inlineStr"><is><t>edits</t></is></c>'
                        r'<c r="H\d+" t="inlineStr"><is><t>([A-Za-z0-9+/=]+)</t>', sheet)
    record = json.loads(zlib.decompress(base64.b64decode("".join(chunks))))
    change(record)
    packed = base64.b64encode(zlib.compress(json.dumps(record).encode())).decode()
    sheet = sheet.replace(chunks[0], packed, 1)
    for chunk in chunks[1:]:
        sheet = sheet.replace(chunk, "", 1)
    return rezip(copy, {part: sheet.encode()})


def test_a_forged_record_that_would_restore_a_bomb_is_refused_and_the_copy_is_unmarked_as_one_saved_again():
    _report, copy = check_file(_clerk_sets(rich_workbook(), SCORE_SHEET, {"F5": 7}), name="rich.xlsx")
    assert unmark(_with_record(copy, lambda record: None)) is not None  # the forger's tool itself changes nothing
    bomb = base64.b64encode(zlib.compress(b" " * 40_000_000)).decode()

    def forge(record) -> None:
        record["restore"]["xl/styles.xml"][1] = bomb

    forged = _with_record(copy, forge)
    assert unmark(forged) is None
    checked = check(forged, name="rich.checked.xlsx")
    assert checked.report.status != "unreadable" and checked.report.previous is not None
    # its marks removed as in a copy another program saved (write/unmark_resaved.py), which never unpacks the edits
    assert checked.original is not None and MARKS_SHEET not in checked.workbook.sheetnames


def test_an_xlsm_is_marked_in_place_and_its_copy_is_an_xlsx_without_the_macros():
    report, copy = check_file(saved_files.xlsm_with_macros(), name="宏.xlsm")
    assert "macros_not_kept" in {finding.code for finding in report.findings}
    assert "content_not_preserved" not in {finding.code for finding in report.findings}
    parts = members(copy)
    assert not [name for name in parts if "vbaproject" in name.lower()]
    assert b"macroEnabled" not in parts["[Content_Types].xml"] and b"vbaProject" not in parts["xl/_rels/workbook.xml.rels"]
    assert sniff(copy) == "xlsx" and unmark(copy) is not None
    assert_excels_rules(copy)


def test_the_openpyxl_writer_stays_for_comparison_and_says_what_its_copy_loses(rich, monkeypatch):
    monkeypatch.setenv("SELFSCORE_WRITER", "openpyxl")
    report, copy = check_file(rich[0])
    assert "content_not_preserved" in {finding.code for finding in report.findings}
    assert not [name for name in members(copy) if name.startswith("xl/media/")]


def test_selfscore_check_returns_a_picture_a_chart_and_a_pivot_table_marked_and_intact(rich, tmp_path):
    path, data = rich
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["check", str(path), "-o", str(out), "--json", "-"])
    assert result.exit_code == 0, result.output
    (report,) = json.loads(result.stdout)["reports"]
    assert "content_not_preserved" not in {finding["code"] for finding in report["findings"]}
    copy = (out / "rich.checked.xlsx").read_bytes()
    before, after = members(data), members(copy)
    kept = [name for name in before if name.startswith(KEPT)]
    assert {name.split("/")[1] for name in kept} == {"media", "charts", "drawings", "pivotTables", "pivotCache"}
    assert all(after[name] == before[name] for name in kept)
    workbook = load_workbook(io.BytesIO(copy))
    assert workbook.sheetnames[0] == RESULTS_SHEET
    assert all("selfscore" in workbook[SCORE_SHEET][f"F{row}"].comment.text for row in range(5, 14))

    # and the copy checked again through the command: the same three, still intact
    again = CliRunner().invoke(main, ["check", str(out / "rich.checked.xlsx"), "-o", str(tmp_path / "again"), "-q"])
    assert again.exit_code == 0, again.output
    (second,) = (tmp_path / "again").glob("*.xlsx")
    assert all(members(second.read_bytes())[name] == before[name] for name in kept)


# ------------------------------------------------------------------ Excel's rules for the parts, over every copy

@pytest.fixture(scope="module")
def corpus_copies(tmp_path_factory) -> dict[str, tuple[bytes, bytes, bool]]:
    """Each case of both corpora (hostile and saved files) that gets a marked-up copy: its input, its copy, and
    whether the in-place writer is the one to write it (an .xlsx/.xlsm read by openpyxl, not a copy saved again)."""
    directory = tmp_path_factory.mktemp("corpora")
    copies = {}
    for case in corpus.CASES + saved_files.CASES:
        if not all(harness.has(tool) for tool in case.needs):
            continue
        path = harness.built(case, directory / case.file_name)
        report, copy = check_file(path)
        if copy is not None:
            data = path.read_bytes()
            in_place = (sniff(data) in ("xlsx", "xlsm") and report.previous is None
                        and "rebuilt_from_foreign_format" not in {finding.code for finding in report.findings})
            copies[case.name] = (data, copy, in_place)
    assert len(copies) > 40
    return copies


def test_every_copy_the_corpora_produce_keeps_excels_rules_for_its_parts(corpus_copies):
    for name, (_data, copy, _in_place) in corpus_copies.items():
        try:
            assert_excels_rules(copy)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None


def test_libreoffice_opens_every_copy_the_corpora_produce(corpus_copies, tmp_path):
    sources = []
    for name, (_data, copy, _in_place) in corpus_copies.items():
        sources.append(tmp_path / f"{name}.checked.xlsx")
        sources[-1].write_bytes(copy)
    # one soffice run for all; a copy it cannot load has no PDF, and convert() fails on the missing file
    for pdf in convert(sources, "pdf", tmp_path / "pdf"):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000, pdf.name


def test_every_in_place_copy_of_the_corpora_gives_back_its_input_when_checked_again(corpus_copies):
    """Taking a copy's edits out gives back the input part for part (without the parts the copy leaves out: Excel's
    calculation chain and an .xlsm's macros), and checking the copy again writes a copy that keeps Excel's rules."""
    undone = 0
    for name, (data, copy, in_place) in corpus_copies.items():
        if not in_place:
            assert unmark(copy) is None, name  # openpyxl's copy: its marks are removed through openpyxl
            continue
        result = unmark(copy)
        assert result is not None, name
        original, restored = members(with_parts_under_xl(data)), members(result[0])
        left_out = {part for part in original if part.endswith(("calcChain.xml", "vbaProject.bin"))}
        assert set(restored) == set(original) - left_out, name
        # the content types and the workbook's relationships lose what was left out, and say the copy is an .xlsx
        retyped = left_out or re.search(rb"macroEnabled|template\.main", original["[Content_Types].xml"])
        for part, body in restored.items():
            if not (retyped and part in ("[Content_Types].xml", "xl/_rels/workbook.xml.rels")):
                assert body == original[part], (name, part)
        _report, again = check_file(copy, name=f"{name}.checked.xlsx")
        assert unmark(again) is not None, name
        assert_excels_rules(again)
        undone += 1
    assert undone > 40


def test_every_in_place_copy_of_the_corpora_saved_again_by_libreoffice_reads_as_openpyxls_route(corpus_copies, tmp_path,
                                                                                                    monkeypatch):
    """A copy a clerk opened and saved in LibreOffice has its marks taken out of its parts (write/unmark_resaved.py),
    and is checked exactly as when openpyxl removed them, but for what openpyxl's copy says it lost."""
    sources = []
    for name, (_data, copy, in_place) in corpus_copies.items():
        if in_place:
            sources.append(tmp_path / f"{name}.xlsx")
            sources[-1].write_bytes(copy)
    assert len(sources) > 40
    for saved in convert(sources, "xlsx:Calc MS Excel 2007 XML", tmp_path / "saved"):
        data = saved.read_bytes()
        assert unmark(data) is None, saved.name
        assert check(data, name="x.checked.xlsx").original is not None, saved.name  # not openpyxl's route
        report, _copy = check_file(data, name="x.checked.xlsx")
        with monkeypatch.context() as patched:
            patched.setattr(unmark_resaved_module, "unmark_resaved", lambda *_args, **_kwargs: None)
            old, _old_copy = check_file(data, name="x.checked.xlsx")
        lost = {finding.message for finding in old.findings if finding.code == "content_not_preserved"}
        old.findings = [finding for finding in old.findings if finding.code != "content_not_preserved"]
        old.notes = [note for note in old.notes if note not in lost]
        assert report.previous is not None and report.to_dict() == old.to_dict(), saved.name


def test_the_rich_copy_keeps_excels_rules_for_its_parts(rich):
    assert_excels_rules(_marked(rich[0])[1])


@pytest.mark.parametrize(("part", "old", "new"), [
    ("xl/_rels/workbook.xml.rels", "</Relationships>",
     '<Relationship Id="rId1" Type="x" Target="styles.xml"/></Relationships>'),  # an id twice
    ("[Content_Types].xml", 'Extension="rels"', 'Extension="relsx"'),  # parts without a content type
    ("xl/styles.xml", '<cellXfs count="', '<cellXfs count="9'),  # a count that lies
])
def test_the_validator_fails_a_copy_that_breaks_a_rule(rich, part, old, new):
    copy = _marked(rich[0])[1]
    text = member(copy, part).decode()
    assert old in text
    with pytest.raises(AssertionError):
        assert_excels_rules(rezip(copy, {part: text.replace(old, new, 1).encode()}))
