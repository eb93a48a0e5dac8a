"""The corpus harness: one Case for every file a test or benchmark checks through the real command, the Jiaozuo
sample's bytes that most cases start from, the two ways to build a case (write bytes, or edit the workbook with
openpyxl), the zip surgery for what openpyxl cannot write, and the assertions every case's report must pass.

support/corpus.py (hostile and broken files) and support/saved_files.py (every format people save) hold the cases.
"""

from __future__ import annotations

import io
import math
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook

from selfscore.tables.definitions import get_table
from selfscore.tables.names import ADDED_SHEETS, MARKS_SHEET
from support.helpers import make_workbook

#: the table of the Jiaozuo sample every case is made from
TABLE = "shantytown"
#: the report status that goes with each exit code of `selfscore check`
STATUS_OF_EXIT = {0: "ok", 1: "errors", 2: "unreadable"}
EXIT_OF_STATUS = {status: code for code, status in STATUS_OF_EXIT.items()}


@dataclass(frozen=True)
class Case:
    """A file a person (or an attacker) might hand selfscore, how to make it, and what the report must say."""

    name: str
    build: Callable[[Path], Path]
    status: str  # ok | errors | unreadable
    code: str = ""  # a finding code the report must contain
    phrase: str = ""  # and words its message must contain
    #: the file name a person would have: .xlsb, .et, .xls (for an HTML page saved by a web system)…
    suffix: str = ".xlsx"
    #: the total self-score the report must read (None: not checked, e.g. unreadable)
    self_total: float | None = None
    #: input ids that must each carry an error finding ("all", "numbers" or none)
    every_input: str | None = None
    #: programs the case needs to be made (LibreOffice for its export filters)
    needs: tuple[str, ...] = field(default=())

    @property
    def exit_code(self) -> int:
        return EXIT_OF_STATUS[self.status]

    @property
    def file_name(self) -> str:
        return f"{self.name}{self.suffix}"

    @property
    def available(self) -> bool:
        return all(has(tool) for tool in self.needs)


def has(tool: str) -> bool:
    return shutil.which(tool) is not None or (tool == "soffice" and shutil.which("libreoffice") is not None)


def file_name(case: Case) -> str:
    return case.file_name


#: each case's file as its builder made it, once per test process (see ``built``)
_BUILT: dict[Case, bytes] = {}


def built(case: Case, path: Path) -> Path:
    """``case``'s file written at ``path``. A builder's bytes depend on nothing but its case (not on the path, the
    time or the order), so they are made once per test process and kept: the seven modules that check the corpora
    (hostile, saved files, in place, lean, report only, web, copy reading) no longer each make all of them again."""
    data = _BUILT.get(case)
    if data is None:
        data = _BUILT[case] = case.build(path).read_bytes()
    else:
        path.write_bytes(data)
    return path


def write_cases(directory: Path, cases: list[Case]) -> dict[str, Path]:
    """Each case whose tools are here, built into ``directory`` under its file name."""
    directory.mkdir(parents=True, exist_ok=True)
    return {case.name: built(case, directory / case.file_name) for case in cases if case.available}


# ---------------------------------------------------------------- the sample, and building a case from it


def jiaozuo_bytes(**changes) -> bytes:
    """The Jiaozuo workbook filled into the real template (``changes`` as make_workbook takes them)."""
    with tempfile.TemporaryDirectory() as directory:
        return make_workbook(Path(directory) / "t.xlsx", TABLE, **{"unit": "焦作市", **changes}).read_bytes()


def writing(make: Callable[[], bytes]) -> Callable[[Path], Path]:
    """A builder that writes the bytes ``make`` returns."""
    def build(path: Path) -> Path:
        path.write_bytes(make())
        return path
    return build


def editing(edit: Callable[[Workbook], None], **changes) -> Callable[[Path], Path]:
    """A builder: the Jiaozuo workbook changed through openpyxl by ``edit``, as another program would have saved it."""
    def build(path: Path) -> Path:
        workbook = load_workbook(io.BytesIO(jiaozuo_bytes(**changes)))
        edit(workbook)
        workbook.save(path)
        return path
    return build


# ---------------------------------------------------------------- zip surgery


def rezip(data: bytes, replace: dict[str, bytes | None] | None = None, add: dict[str, bytes] | None = None,
          compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """The same zip with some members replaced (None removes one) and some added."""
    replace = replace or {}
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression) as target:
        for item in source.infolist():
            if item.filename in replace:
                if replace[item.filename] is not None:
                    target.writestr(item.filename, replace[item.filename])
            else:
                target.writestr(item.filename, source.read(item.filename))
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return output.getvalue()


def member(data: bytes, name: str) -> bytes:
    return zipfile.ZipFile(io.BytesIO(data)).read(name)


def members(data: bytes) -> dict[str, bytes]:
    """Every part of a zip, by name, in the zip's order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def zipped(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", compression) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return output.getvalue()


# ---------------------------------------------------------------- what every case's report and copy must pass


def inputs_for(every_input: str) -> set[str]:
    """The inputs a case that corrupts every input cell expects a finding on ("all", or all but 是/否)."""
    table = get_table(TABLE)
    return {d.id for d in table.inputs if every_input == "all" or d.type != "yes_no"}


def assert_report_matches(case: Case, report: dict) -> None:
    """A case's JSON report has its status, its finding code with its Chinese phrase, and no internal failure."""
    codes = [finding["code"] for finding in report["findings"]]
    assert "check_failed" not in codes and "markup_failed" not in codes, codes
    assert report["status"] == case.status, codes
    if case.code:
        messages = [finding["message"] for finding in report["findings"] if finding["code"] == case.code]
        assert messages, f"{case.code} not in {codes}"
        assert any(case.phrase in message for message in messages), messages
    if case.every_input:
        flagged = {f["input"] for f in report["findings"] if f["severity"] == "error" and f["input"]}
        assert inputs_for(case.every_input) <= flagged


def _kept(value: object) -> tuple[object, ...]:
    # xlsx cannot hold an infinite or NaN number: openpyxl's copy keeps such a value as its text, the in-place copy
    # the cell's own XML (which read back is the same overflowing number)
    return (str(value), value) if isinstance(value, float) and not math.isfinite(value) else (value,)


def _both_nan(first: object, second: object) -> bool:
    return all(isinstance(value, float) and math.isnan(value) for value in (first, second))


def assert_preserved(original: bytes, copy: bytes) -> None:
    """Every original cell value and number format, merge, validation and defined name is in the copy,
    and the only formula cells in the copy are the filler's own: nothing echoed became a formula."""
    source = load_workbook(io.BytesIO(original))
    marked = load_workbook(io.BytesIO(copy))
    assert set(source.defined_names) <= set(marked.defined_names)
    for name, defined in source.defined_names.items():
        assert marked.defined_names[name].attr_text == defined.attr_text
    formulas = {}
    for sheet in source.worksheets:
        if sheet.title in (*ADDED_SHEETS, MARKS_SHEET):
            continue  # selfscore's own sheets in a copy checked again: rebuilt by design
        other = marked[sheet.title]
        assert sorted(map(str, other.merged_cells.ranges)) == sorted(map(str, sheet.merged_cells.ranges))
        assert [(str(v.sqref), v.type, v.formula1) for v in other.data_validations.dataValidation] == \
            [(str(v.sqref), v.type, v.formula1) for v in sheet.data_validations.dataValidation]
        for row in sheet.iter_rows():
            for cell in row:
                if cell.value is not None:
                    twin = other[cell.coordinate]
                    assert twin.number_format == cell.number_format, (sheet.title, cell.coordinate)
                    assert any(twin.value == kept or _both_nan(twin.value, kept) for kept in _kept(cell.value)), \
                        (sheet.title, cell.coordinate)
                if cell.data_type == "f":
                    formulas[sheet.title, cell.coordinate] = str(cell.value)
    assert {(sheet.title, cell.coordinate): str(cell.value) for sheet in marked.worksheets
            for cell in sheet._cells.values() if cell.data_type == "f"} == formulas
