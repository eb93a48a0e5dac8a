"""pandera's built-in checks load without hypothesis, which only the tests install: a check never synthesises data."""

import json
import subprocess
import sys

from support.helpers import make_workbook

PROBE = """
import json, sys
from selfscore.checking import check_workbook
report = check_workbook(sys.argv[1])
import pandera.strategies.base_strategies as strategies
print(json.dumps({"hypothesis_imported": "hypothesis" in sys.modules, "status": report.status,
                  "codes": sorted({finding.code for finding in report.findings}),
                  "strategies_have_hypothesis": strategies.HAS_HYPOTHESIS}))
import hypothesis  # still importable afterwards by whoever needs it
"""


def test_a_check_does_not_import_hypothesis_but_still_validates(tmp_path):
    import hypothesis  # noqa: F401  (installed for the tests: the case this guards)

    path = make_workbook(tmp_path / "faulty.xlsx", "shantytown", scores={"funds_raising": 99})
    result = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
    probe = json.loads(result.stdout)
    assert probe["hypothesis_imported"] is False
    assert probe["strategies_have_hypothesis"] is False
    assert probe["status"] == "errors"
    assert "score_out_of_range" in probe["codes"]  # a pandera check ran and failed


def test_a_process_that_imported_hypothesis_keeps_it(tmp_path):
    import hypothesis

    from selfscore.checking import check_workbook

    assert sys.modules["hypothesis"] is hypothesis
    report = check_workbook(make_workbook(tmp_path / "faulty.xlsx", "shantytown", scores={"funds_raising": 99}))
    assert "score_out_of_range" in {finding.code for finding in report.findings}
