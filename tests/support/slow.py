"""Workbooks that take a while to check (a real template, filled, plus a sheet of many numbers): for rush tests and benchmarks."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from support.helpers import make_workbook


def slow_workbook(path: Path, table_id: str = "shantytown", *, sheets: int = 1, **changes) -> Path:
    """A filled template with ``sheets`` extra sheets 「附表1」… of 4000 × 20 numbers each: every check reads and
    writes them all, about 1.6 s a sheet on one core; two stay inside the safety caps (100 000 cells a sheet,
    200 000 a workbook)."""
    make_workbook(path, table_id, **changes)
    workbook = load_workbook(path)
    for number in range(1, sheets + 1):
        sheet = workbook.create_sheet(f"附表{number}")
        for row in range(4000):
            sheet.append([row * 20 + column for column in range(20)])
    workbook.save(path)
    return path
