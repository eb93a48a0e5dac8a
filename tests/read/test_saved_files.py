"""Every spreadsheet format people save: through the real command, each in its own process, within its memory bound.

How long each file takes is measured by benchmarks/files.py, not asserted here: a busy machine would fail the test."""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from openpyxl import load_workbook

from selfscore.read.formats import FORMAT_NAMES, sniff, with_parts_under_xl
from selfscore.read.safety import OPENPYXL_KINDS, refusal
from selfscore.read.strict import transitional
from selfscore.tables.names import RESULTS_SHEET
from support import harness, saved_files
from support.measured import measured_commands

MEGABYTES = 512


@dataclass
class Run:
    path: Path
    digest_before: str
    out: Path
    code: int
    stdout: str
    stderr: str
    seconds: float
    megabytes: float


def _available(case: harness.Case) -> bool:
    return all(harness.has(tool) for tool in case.needs)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Run]:
    directory = tmp_path_factory.mktemp("saved")

    def build_and_run(case: harness.Case) -> Run:
        path = harness.built(case, directory / case.file_name)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out = directory / f"{case.name}.out"
        return Run(path, digest, out, *run_measured(["check", str(path), "-o", str(out), "--json", "-"]))

    cases = [case for case in saved_files.CASES if _available(case)]
    workers = max(2, os.cpu_count() or 2)
    with measured_commands(workers) as run_measured, ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip((case.name for case in cases), pool.map(build_and_run, cases), strict=True))


EXIT_OF_STATUS = {"ok": 0, "errors": 1, "unreadable": 2}


@pytest.mark.parametrize("case", saved_files.CASES, ids=[case.name for case in saved_files.CASES])
def test_saved_file(case: harness.Case, runs: dict[str, Run]):
    if not _available(case):
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(case.needs)} is required in CI for the case {case.name}")
        pytest.skip(f"needs {', '.join(case.needs)}")
    run = runs[case.name]
    assert "Traceback" not in run.stdout + run.stderr
    assert run.megabytes < MEGABYTES, f"{case.name} peaked at {run.megabytes:.0f} MB"
    assert hashlib.sha256(run.path.read_bytes()).hexdigest() == run.digest_before, "the input file was modified"
    (report,) = json.loads(run.stdout)["reports"]
    codes = [finding["code"] for finding in report["findings"]]
    assert "check_failed" not in codes and "markup_failed" not in codes, codes
    assert (report["status"], run.code) == (case.status, EXIT_OF_STATUS[case.status]), codes
    if case.code:
        messages = [finding["message"] for finding in report["findings"] if finding["code"] == case.code]
        assert any(case.phrase in message for message in messages), (case.code, codes, messages)
    marked_up = run.out / case.file_name.rsplit(".", 1)[0]
    copy_path = marked_up.with_name(marked_up.name + ".checked.xlsx")
    if case.status == "unreadable":
        assert not copy_path.exists()
        return
    assert report["totals"]["self"] == case.self_total
    assert report["unit"] == "焦作市" and report["table"] == harness.TABLE
    copy = copy_path.read_bytes()
    assert sniff(copy) == "xlsx"  # always an ordinary .xlsx: no macros, not a template, not Strict, not binary
    members = zipfile.ZipFile(io.BytesIO(copy)).namelist()
    assert "xl/vbaProject.bin" not in members
    assert b"macroEnabled" not in zipfile.ZipFile(io.BytesIO(copy)).read("[Content_Types].xml")
    assert RESULTS_SHEET in load_workbook(io.BytesIO(copy)).sheetnames
    original = run.path.read_bytes()
    kind = sniff(original)
    if kind in OPENPYXL_KINDS and report["source_format"] is None:  # the filler's own workbook, marked: all kept
        readable = with_parts_under_xl(original)  # openpyxl finds styles only under xl/ (test_formats checks the move)
        harness.assert_preserved(transitional(readable) if kind == "strict" else readable, copy)
    else:  # .xls/.xlsb/.ods, or an .xlsx only calamine reads: a rebuilt template
        assert "score_total" in load_workbook(io.BytesIO(copy)).defined_names


def test_every_refused_kind_names_its_real_format():
    for kind, name in FORMAT_NAMES.items():
        finding = refusal(kind, b"")
        if kind in OPENPYXL_KINDS:
            assert finding is None
            continue
        assert finding is not None and finding.severity == "error" and "{" not in finding.message, kind
        if finding.code in ("file_legacy", "file_other_zip", "file_other_ole", "file_other_format"):
            assert name in finding.message, (kind, finding.message)
