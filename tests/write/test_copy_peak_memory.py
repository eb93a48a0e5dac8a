"""Issue 25's memory target: checking the largest workbook within the caps with the marked-up copy written into its
own zip peaks no higher than with openpyxl's writer. Each writer runs the real command in a process of its own, whose
peak resident memory (VmHWM) is read as the command ends; memory is not a timing, and the two differ by far more than
a run's noise (the figures are in docs/performance.md)."""

from __future__ import annotations

import json

from selfscore.write.inplace import unmark
from support import corpus
from support.measured import run_measured


def test_the_in_place_copy_of_the_largest_workbook_peaks_no_higher_than_openpyxls(tmp_path, monkeypatch):
    path = tmp_path / "at_caps.xlsx"
    path.write_bytes(corpus.at_caps())  # two sheets of 99 000 cells and a formula: openpyxl's writer loads it twice
    peaks, copies = {}, {}
    for writer in ("inplace", "openpyxl"):
        if writer == "openpyxl":
            monkeypatch.setenv("SELFSCORE_WRITER", "openpyxl")
        else:
            monkeypatch.delenv("SELFSCORE_WRITER", raising=False)
        code, stdout, stderr, _seconds, peaks[writer] = run_measured(
            ["check", str(path), "-o", str(tmp_path / writer), "--json", "-"], timeout=300)
        assert code == 1, stderr  # the formula without a saved value: errors, and a marked-up copy
        (report,) = json.loads(stdout)["reports"]
        assert "formula_no_value" in {finding["code"] for finding in report["findings"]}
        copies[writer] = (tmp_path / writer / "at_caps.checked.xlsx").read_bytes()
    # each copy is the one its writer makes: only the in-place writer's records its edits to take them out again
    assert unmark(copies["inplace"]) is not None and unmark(copies["openpyxl"]) is None
    assert peaks["inplace"] <= peaks["openpyxl"], peaks
