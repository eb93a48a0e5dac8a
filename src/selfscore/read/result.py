"""What reading a workbook gives: the values by defined name, the cell each came from, or why the file cannot be read."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from selfscore.results.findings import Finding
from selfscore.tables.definitions import TableDefinition

#: a value as read from its cell: a number, 是/否, a choice or text, a year; None when empty or unreadable
Value = Decimal | bool | str | int | None


class Unreadable(Exception):
    """The file cannot be read as a selfscore template; ``finding`` says why, in Chinese."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


@dataclass(frozen=True)
class CellRef:
    sheet: str
    cell: str


@dataclass
class ReadResult:
    table: TableDefinition
    template_version: int
    values: dict[str, Value] = field(default_factory=dict)
    cells: dict[str, CellRef] = field(default_factory=dict)
    #: names whose cell could not be read; their value is None and a finding says why
    flagged: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)
