"""The report-only path (`check --no-markup`, `check(markup=False)`) gives exactly the full path's report."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfscore import checking
from selfscore.checking import check
from selfscore.cli import main
from selfscore.write.filling import save
from support import corpus, harness, layouts, saved_files
from support.helpers import TABLE_IDS, make_workbook


def _layout_workbooks(directory: Path) -> list[Path]:
    built = {
        "annex1": layouts.annex1_retyped(),
        "annex1_wrong": layouts.annex1_retyped(scores={"funds_raising": 12, "funds_allocation": 4}, total=99),
        "annex2": layouts.annex2_retyped(),
        "annex1_facts": layouts.annex1_with_facts(facts={"starts_actual": 270, "quality_issues": "两项"}),
        "annex1_facts_unheaded": layouts.annex1_with_facts(headed=False),
        "pasted": layouts.pasted_template(),
        "pasted_meta": layouts.pasted_template("old_communities", keep_meta=True, scores={"funds_raising": 10}),
        "reordered": layouts.reordered()[0],
        "reordered_repeated": layouts.reordered(repeat_header=True)[0],
        "shifted": layouts.shifted_single_header()[0],
        "ambiguous_row": layouts.set_cells(layouts.annex1_retyped(), {"C11": "改造计划完成率"}),
    }
    return [save(workbook, directory / f"layout_{name}.xlsx") for name, workbook in built.items()]


def _all_workbooks(directory: Path) -> list[Path]:
    paths = [make_workbook(directory / f"jiaozuo_{table}.xlsx", table) for table in TABLE_IDS]
    paths.append(make_workbook(directory / "faulty.xlsx", "shantytown", scores={"funds_raising": 8},
                               facts={"quality_issues": "两项", "satisfaction_pct": 0.85}))
    paths += _layout_workbooks(directory)
    hostile = [case for case in corpus.CASES if all(harness.has(tool) for tool in case.needs)]
    paths += [harness.built(case, directory / f"hostile_{case.name}.xlsx") for case in hostile]
    saved = [case for case in saved_files.CASES if all(harness.has(tool) for tool in case.needs)]
    paths += [harness.built(case, directory / f"saved_{case.file_name}") for case in saved]
    return paths


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory) -> list[Path]:
    if os.environ.get("CI") is None and not harness.has("soffice"):
        pytest.skip("LibreOffice (soffice) is not installed")
    return _all_workbooks(tmp_path_factory.mktemp("report_only"))


def test_both_paths_give_identical_json_for_every_generated_workbook(workbooks, monkeypatch):
    opened_fully: list[str] = []
    real_open = checking.open_workbook

    def counting_open(data, limits=checking.DEFAULT_LIMITS, **options):
        opened_fully.append(current[0])
        return real_open(data, limits, **options)

    current = [""]
    differing = []
    for path in workbooks:
        full = check(path).report.to_dict()
        monkeypatch.setattr(checking, "open_workbook", counting_open)
        current[0] = path.name
        lean = check(path, markup=False).report.to_dict()
        monkeypatch.setattr(checking, "open_workbook", real_open)
        if json.dumps(full, ensure_ascii=False, sort_keys=True) != json.dumps(lean, ensure_ascii=False, sort_keys=True):
            differing.append(path.name)
    assert differing == []
    # the report-only path really is another reading: the full openpyxl load happens only for what it hands back
    # (a marked-up copy checked again, or a file openpyxl itself must refuse)
    lean_read = [path.name for path in workbooks if path.name not in opened_fully and path.suffix in (".xlsx", ".xlsm")]
    for expected in ("jiaozuo_shantytown.xlsx", "faulty.xlsx", "layout_annex1_facts.xlsx", "layout_pasted_meta.xlsx",
                     "hostile_formulas_no_cache.xlsx", "hostile_names_swapped.xlsx", "saved_shared_formulas.xlsx",
                     "saved_lo_xlsm.xlsm", "saved_epoch_1904_date_in_a_fact.xlsx"):
        if any(path.name == expected for path in workbooks):
            assert expected in lean_read, expected
    assert "hostile_forged_marks_record.xlsx" in opened_fully


def test_no_markup_writes_no_copy_and_prints_the_same_json(tmp_path):
    path = make_workbook(tmp_path / "县.xlsx", "shantytown", scores={"funds_raising": 8})
    runner = CliRunner()
    full = runner.invoke(main, ["check", str(path), "-o", str(tmp_path / "full"), "--json", "-", "-q"])
    lean = runner.invoke(main, ["check", str(path), "--no-markup", "-o", str(tmp_path / "lean"), "--json", "-", "-q"])
    assert (full.exit_code, lean.exit_code) == (1, 1)
    assert json.loads(lean.stdout) == json.loads(full.stdout)
    assert (tmp_path / "full" / "县.checked.xlsx").exists()
    assert not (tmp_path / "lean").exists() or not any((tmp_path / "lean").iterdir())
