"""The marked-up copy and the reviewer's summary as a person prints them: rendered by LibreOffice, page by page."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfscore.cli import main

A4_LANDSCAPE = ("841.89", "595.304")
#: where the rendered pages are kept for a person to look at (ignored by git)
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts" / "rendering"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"{name} is required in CI (.ci/run installs libreoffice-calc-nogui and poppler-utils)")
        pytest.skip(f"{name} not installed")
    return found


def _render(workbook: Path, tmp_path: Path) -> list[tuple[tuple[str, str], str]]:
    """Each printed page of a workbook: its size in points and its text; the pages are also written as PNGs."""
    soffice, pdfinfo, pdftotext, pdftoppm = (_tool(name) for name in ("soffice", "pdfinfo", "pdftotext", "pdftoppm"))
    result = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", "pdf",
                             "--outdir", str(tmp_path), str(workbook)], capture_output=True, text=True, timeout=180)
    pdf = tmp_path / f"{workbook.stem}.pdf"
    assert result.returncode == 0 and pdf.exists(), result.stderr
    info = subprocess.run([pdfinfo, "-f", "1", "-l", "999", str(pdf)], capture_output=True, text=True, check=True).stdout
    sizes = [tuple(line.split("size:")[1].split()[0:3:2]) for line in info.splitlines() if line.startswith("Page") and "size:" in line]
    pages = []
    for number, size in enumerate(sizes, start=1):
        text = subprocess.run([pdftotext, "-f", str(number), "-l", str(number), "-layout", str(pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        pages.append((size, text))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    subprocess.run([pdftoppm, "-png", "-r", "60", str(pdf), str(ARTIFACTS / workbook.stem)], check=True, timeout=120)
    assert len(list(ARTIFACTS.glob(f"{workbook.stem}-*.png"))) >= len(pages)
    return pages


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(main, ["check", str(REPO / "sample_data"), "-o", str(out), "--summary", str(out / "汇总.xlsx"),
                                       "--jobs", "1", "-q"])
    assert result.exit_code == 1, result.output  # two samples have errors on purpose
    return out


@pytest.mark.soffice
def test_every_sheet_of_a_marked_up_copy_prints_on_a4_landscape_under_its_own_header(checked, tmp_path):
    pages = _render(checked / "faulty_invalid_values.checked.xlsx", tmp_path)
    assert [size for size, _ in pages] == [A4_LANDSCAPE] * 5
    results, findings, scores, facts, guide = (text for _, text in pages)
    assert "校验结果 ——" in results and "一级指标" in results and "问题清单" not in results.split("合计")[-1]
    assert "棚户区改造拆迁居民、公租房已保障对象满意度" in results  # a long 二级指标 is not cut
    # 7 findings: a plan of 0 is legal since issue 14, so the sample no longer has one
    assert "问题清单（7 条）" in findings and "类别" in findings and "一级指标" not in findings  # its own header
    assert "附件1" in scores and "城镇保障性安居工程财政资金用于公租房保障和棚户区改造绩效自评表" in scores
    assert "绩效自评基础数据" in facts and "年度计划（省定目标任务）" in facts
    assert "填报说明" in guide


@pytest.mark.soffice
def test_every_sheet_of_the_summary_prints_legibly_with_each_chart_on_one_page(checked, tmp_path):
    pages = _render(checked / "汇总.xlsx", tmp_path)
    assert [size for size, _ in pages] == [A4_LANDSCAPE] * 4  # 汇总, 指标明细, one chart page per table
    summary, detail, *charts = (text for _, text in pages)
    assert "绩效自评表校验汇总" in summary and summary.count("打开标注副本") == 5  # every link whole
    assert "需人工确认" in summary and "有错误" in summary and "通过" in summary
    assert "各单位各指标自评得分" in detail
    for chart, (title, units) in zip(charts, (("公租房保障和棚户区改造", ("焦作市", "示例县（数据有误）")),
                                              ("城镇老旧小区改造", ("焦作市", "示例县（口径与人工判定）", "示例县（得分不符）"))),
                                     strict=True):
        assert f"{title}：自评合计与重新计算" in chart  # the chart is on its table's page
        for unit in units:
            assert chart.count(unit) >= 2, (unit, chart)  # in the data and, whole, as the chart's category label
