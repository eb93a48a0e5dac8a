"""Terminal summary of reports: short, in Chinese, one block per workbook."""

from __future__ import annotations

from collections.abc import Sequence

from selfscore.results.report import REPORT_STATUS_NAMES, Report
from selfscore.tables.numbers import fmt
from selfscore.write.copies import KeptFile

_MARK = {"error": "✗", "warning": "!", "info": "·"}
_LIMIT = 12  # findings shown per workbook; the marked-up copy has them all
_DUPLICATES_SHOWN = 5  # files named per group of duplicates; the summary workbook names them all


def report_lines(report: Report, marked_up: str | None = None, kept: Sequence[KeptFile] = ()) -> list[str]:
    """A workbook's lines; ``kept`` are the files found at its copy's names and left alone, which the last line names."""
    header = f"{report.file}"
    if report.status == "unreadable":
        return [f"{header}：无法读取", f"  ✗ {report.findings[0].message}"]
    who = " ".join(str(part) for part in (report.unit, report.year) if part)
    lines = [
        f"{header}（{who or '未填填报单位'}，{report.title}）",
        f"  自评合计 {'未填' if report.self_total is None else fmt(report.self_total)}，重新计算 {report.recomputed_total_text}，"
        f"满分 {fmt(report.max_total or 0)} —— {REPORT_STATUS_NAMES[report.status]}："
        f"{report.errors} 个错误，{report.warnings} 个提醒",
    ]
    if report.status == "review":
        lines.append(f"  请人工确认：{'、'.join(report.to_confirm())}")
    shown = [f for f in report.findings if f.severity != "info"][:_LIMIT]
    lines += [f"  {_MARK[f.severity]} {f.message}" for f in shown]
    hidden = sum(1 for f in report.findings if f.severity != "info") - len(shown)
    if hidden > 0:
        lines.append(f"  …… 另有 {hidden} 条，见标注副本的「问题清单」表")
    if marked_up and kept:
        found = "、".join(f"{file.path.name} {file.reason}" for file in kept)
        lines.append(f"  → 原有的 {found}，{'都' if len(kept) > 1 else ''}没有覆盖；标注副本写入：{marked_up}")
    elif marked_up:
        lines.append(f"  → 标注副本：{marked_up}")
    return lines


def batch_line(reports: list[Report]) -> str:
    counts = {status: sum(1 for r in reports if r.status == status) for status in REPORT_STATUS_NAMES}
    return (f"共校验 {len(reports)} 个文件：{counts['ok']} 个通过，{counts['review']} 个需人工确认，"
            f"{counts['errors']} 个有错误，{counts['unreadable']} 个无法读取。")


def legend_line() -> str:
    """What the marks before each finding mean, printed once after the findings."""
    return f"图例：{_MARK['error']} 错误（必须改正）　{_MARK['warning']} 提醒（请确认）"


def duplicate_lines(reports: list[Report], groups: list[list[int]]) -> list[str]:
    """A warning line per group of reports that are the same submission (same unit, year and table)."""
    lines = []
    for group in groups:
        first = reports[group[0]]
        files = "、".join(reports[index].file for index in group[:_DUPLICATES_SHOWN])
        more = " 等" if len(group) > _DUPLICATES_SHOWN else ""
        lines.append(f"！重复报送：{first.unit} {first.year} 年「{first.title}」共 {len(group)} 份：{files}{more}")
    return lines
