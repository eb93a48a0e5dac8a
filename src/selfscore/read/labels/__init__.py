"""Reading by labels: a workbook without our defined names, found by its words (header, rows, facts, meta cells)."""

from selfscore.read.labels.grid import HEADER_SCAN_ROWS, LABEL_SCAN_ROWS, TABLE_SCAN_ROWS, Grid, GridCell, grids_from_openpyxl
from selfscore.read.labels.header import header_kind
from selfscore.read.labels.reader import LabelReadResult, names_present, read_by_labels, settle_without_facts
from selfscore.read.labels.words import MARGIN, best_match, fold, likeness

__all__ = [
    "HEADER_SCAN_ROWS", "LABEL_SCAN_ROWS", "MARGIN", "TABLE_SCAN_ROWS", "Grid", "GridCell", "LabelReadResult",
    "best_match", "fold", "header_kind", "grids_from_openpyxl", "likeness", "names_present", "read_by_labels", "settle_without_facts",
]
