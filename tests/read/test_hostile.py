"""Hostile and broken input: every corpus file through the real command, in its own process, within its memory bound.

How long each case takes is measured by benchmarks/files.py, not asserted here: a busy machine would fail the test."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from openpyxl import load_workbook

from selfscore.checking import check_workbook
from selfscore.read.by_names import identify, open_workbook, read_values
from selfscore.read.formats import sniff
from selfscore.read.result import Unreadable
from selfscore.read.safety import OPENPYXL_USES_DEFUSEDXML, Limits
from selfscore.results.findings import CATALOGUE
from selfscore.tables.names import FACTS_SHEET, SCORE_SHEET
from support import corpus, harness
from support.helpers import make_workbook
from support.measured import measured_commands

MEGABYTES = 512


def _available(case: harness.Case) -> bool:
    return all(harness.has(tool) for tool in case.needs)


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


@pytest.fixture(scope="module")
def corpus_runs(tmp_path_factory) -> dict[str, Run]:
    """Build every case and check it in its own process, as many at a time as there are cores."""
    directory = tmp_path_factory.mktemp("corpus")

    def build_and_run(case: harness.Case) -> Run:
        path = harness.built(case, directory / f"{case.name}.xlsx")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        out = directory / f"{case.name}.out"
        measured = run_measured(["check", str(path), "-o", str(out), "--json", "-"])
        return Run(path, digest, out, *measured)

    cases = [case for case in corpus.CASES if _available(case)]
    workers = max(2, os.cpu_count() or 2)
    with measured_commands(workers) as run_measured, ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(zip((case.name for case in cases), pool.map(build_and_run, cases), strict=True))



@pytest.mark.parametrize("case", corpus.CASES, ids=[case.name for case in corpus.CASES])
def test_corpus_case(case: harness.Case, corpus_runs: dict[str, Run]):
    if not _available(case):
        if os.environ.get("CI"):
            pytest.fail(f"{', '.join(case.needs)} is required in CI for the corpus case {case.name}")
        pytest.skip(f"needs {', '.join(case.needs)}")
    run = corpus_runs[case.name]

    assert "Traceback" not in run.stdout + run.stderr
    assert run.code == case.exit_code, run.stderr
    assert run.megabytes < MEGABYTES, f"{case.name} peaked at {run.megabytes:.0f} MB"
    assert hashlib.sha256(run.path.read_bytes()).hexdigest() == run.digest_before, "the input file was modified"

    (report,) = json.loads(run.stdout)["reports"]
    harness.assert_report_matches(case, report)

    marked_up = run.out / f"{case.name}.checked.xlsx"
    if case.exit_code == 2:
        assert report["status"] == "unreadable" and not marked_up.exists()
        return
    copy = marked_up.read_bytes()
    if sniff(run.path.read_bytes()) in ("xlsx", "xlsm"):  # a reader of .xls/.ods (issue 6) rebuilds a template instead
        harness.assert_preserved(run.path.read_bytes(), copy)
    if case.code == "content_not_preserved":
        results = load_workbook(io.BytesIO(copy))["校验结果"]
        assert any(case.phrase in str(cell.value) for row in results.iter_rows() for cell in row)


def test_openpyxl_parses_xml_with_defusedxml(tmp_path):
    assert OPENPYXL_USES_DEFUSEDXML and openpyxl.DEFUSEDXML
    # Straight into openpyxl, past selfscore's own DTD scan: the entities must be refused, not expanded.
    bomb = corpus.billion_laughs(make_workbook(tmp_path / "t.xlsx").read_bytes())
    with pytest.raises(ValueError) as raised:  # openpyxl wraps what its worksheet parser raised
        load_workbook(io.BytesIO(bomb))
    assert isinstance(raised.value, DefusedXmlException) or isinstance(raised.value.__context__, DefusedXmlException)


def test_caps_are_configurable(tmp_path):
    data = make_workbook(tmp_path / "t.xlsx").read_bytes()
    assert check_workbook(data, name="t.xlsx").status == "ok"
    tight = check_workbook(data, name="t.xlsx", limits=Limits(max_cells_per_sheet=50))
    assert (tight.status, tight.findings[0].code) == ("unreadable", "sheet_too_large")
    small = check_workbook(data, name="t.xlsx", limits=Limits(max_file_bytes=1000))
    assert small.findings[0].code == "file_too_large"
    path_too_big = check_workbook(tmp_path / "t.xlsx", limits=Limits(max_file_bytes=1000))
    assert path_too_big.findings[0].code == "file_too_large"


def test_no_message_template_uses_a_name_reserved_for_the_place():
    # make_finding takes sheet, cell, what, indicator, input and value itself; a template asking for one
    # of them (other than value) would raise KeyError at the worst moment.
    for kind in CATALOGUE.values():
        for reserved in ("{sheet}", "{cell}", "{what}", "{indicator}", "{input}"):
            assert reserved not in kind.template, (kind.code, reserved)


# ---------------------------------------------------------------- tampered templates never mis-assign

DISTINCT = {"violations": 1, "undisclosed_items": 2, "report_days_late": 3, "quality_issues": 4,
            "untimely_petitions": 5, "satisfaction_pct": 86, "starts_planned": 300, "starts_actual": 290,
            "subsidy_planned": 410, "subsidy_actual": 400}
DISTINCT_SCORES = {"funds_raising": 10, "funds_allocation": 5, "funds_use": 8.5, "policy_disclosure": 4,
                   "report_submission": 2, "starts_completion": 31, "subsidy_completion": 12.5, "project_quality": 6,
                   "satisfaction": 0}


def _tampered(tmp_path: Path, edit) -> bytes:
    path = make_workbook(tmp_path / "t.xlsx", facts=DISTINCT, scores=DISTINCT_SCORES, total=79)
    workbook = load_workbook(path)
    edit(workbook)
    workbook.save(path)
    return path.read_bytes()


EDITS = (
    [pytest.param(lambda wb, r=row: wb[FACTS_SHEET].delete_rows(r), id=f"facts-delete-{row}") for row in range(3, 26, 2)]
    + [pytest.param(lambda wb, r=row: wb[FACTS_SHEET].insert_rows(r, 2), id=f"facts-insert-{row}") for row in range(4, 26, 3)]
    + [pytest.param(lambda wb, r=row: wb[SCORE_SHEET].delete_rows(r), id=f"scores-delete-{row}") for row in range(4, 15, 2)]
    + [pytest.param(lambda wb, r=row: wb[SCORE_SHEET].insert_rows(r), id=f"scores-insert-{row}") for row in range(5, 15, 3)]
    + [pytest.param(corpus.swap_names("in_starts_planned", "in_violations"), id="swap-facts"),
       pytest.param(corpus.swap_names("score_funds_use", "score_satisfaction"), id="swap-scores"),
       pytest.param(lambda wb: wb[FACTS_SHEET].move_range("B10:B12", rows=1), id="labels-moved")]
)


@pytest.mark.parametrize("edit", EDITS)
def test_a_tampered_template_never_reads_a_value_into_the_wrong_indicator(tmp_path, edit):
    data = _tampered(tmp_path, edit)
    workbook = open_workbook(data)
    table, version, _ = identify(workbook)
    read = read_values(workbook, table, version, data)
    for input_id, value in DISTINCT.items():
        name = f"in_{input_id}"
        if name in read.flagged:
            assert any(f.input == input_id and f.code.startswith("name_") for f in read.findings)
        else:
            assert read.values[name] == Decimal(value), name
    for indicator_id, score in DISTINCT_SCORES.items():
        name = f"score_{indicator_id}"
        if name not in read.flagged:
            assert read.values[name] == Decimal(str(score)), name
    # and the whole check runs through, saying precisely what it could not read
    report = check_workbook(data, name="t.xlsx")
    assert report.status in ("ok", "errors")


def test_every_file_kind_but_those_openpyxl_reads_has_its_own_reason():
    from selfscore.read.formats import FORMAT_NAMES
    from selfscore.read.safety import OPENPYXL_KINDS, refusal

    for kind in [*FORMAT_NAMES, "empty", "unknown"]:
        finding = refusal(kind, b"PK" if kind == "unknown" else b"")
        assert (finding is None) == (kind in OPENPYXL_KINDS), kind
        if finding is not None:
            assert finding.severity == "error" and finding.code.startswith("file_") and "{" not in finding.message


def test_lost_content_is_named_in_a_clerks_words():
    from selfscore.read.safety import unpreserved_content

    members = {"xl/workbook.xml": b"", "xl/charts/chart1.xml": b"", "xl/drawings/drawing1.xml": b"",
               "xl/pivotCache/pivotCacheDefinition1.xml": b"", "xl/drawings/commentsDrawing1.vml": b""}
    assert unpreserved_content(harness.zipped(members)) == ["图表", "数据透视表"]
    # a comment's VML drawing is carried by openpyxl, so a marked-up copy checked again warns of nothing
    assert unpreserved_content(harness.zipped({"xl/drawings/commentsDrawing1.vml": b""})) == []


def test_a_dtd_past_the_scan_is_still_refused_by_the_parser_and_said_so(tmp_path, monkeypatch):
    # the second lock: were the pre-scan to miss a DTD (it once did, for one opening a part), defusedxml refuses it
    import selfscore.read.by_names as by_names

    monkeypatch.setattr(by_names, "check_archive", lambda data, limits: None)
    bomb = corpus.billion_laughs(make_workbook(tmp_path / "t.xlsx").read_bytes())
    with pytest.raises(Unreadable) as refused:
        open_workbook(bomb)
    assert refused.value.finding.code == "xml_forbidden"
    assert re.fullmatch(r"文件含有不安全的 XML 结构（(EntitiesForbidden|DTDForbidden)），可能是恶意构造的文件，已拒绝读取。",
                        refused.value.finding.message)


def test_a_zip_that_says_xlsx_but_openpyxl_cannot_open_names_what_failed():
    data = harness.zipped({"[Content_Types].xml": b'<Types><Override PartName="/xl/workbook.xml" ContentType='
                                                  b'"application/vnd.openxmlformats-officedocument.spreadsheetml'
                                                  b'.sheet.main+xml"/></Types>', "xl/workbook.xml": b"<workbook"})
    assert sniff(data) == "xlsx"
    with pytest.raises(Unreadable) as refused:
        open_workbook(data)
    with pytest.raises(Exception) as direct:  # what openpyxl itself raises on it, named in the message
        load_workbook(io.BytesIO(data))
    assert refused.value.finding.code == "not_a_workbook"
    assert f"：文件已损坏或不是 Excel 工作簿（{type(direct.value).__name__}）。" in refused.value.finding.message
