"""The third table: its definition file in a fixture directory, and the worked example filled into its template.

Tests of any stage that need a table beyond the two shipped ones take it from here; the scores are worked out
by hand from the criteria in tests/orchestration/fixtures/affordable_rental.toml, quoted beside each.
"""

from __future__ import annotations

from pathlib import Path

from selfscore.tables.definitions import get_table
from selfscore.write.filling import fill_template, save

FIXTURES = Path(__file__).resolve().parent.parent / "orchestration" / "fixtures"
TABLE = "affordable_rental"

FACTS = {
    "local_funds_arranged": "是", "funds_rules": "健全", "project_rules": "基本健全",
    "funds_received": 1000, "funds_spent": 850,           # 85 %: 「80%（含）–90%的得3分」
    "units_planned": 2000, "units_actual": 1500,          # 75 %: above the 60 % gate, 25 short × 0.5 = 12.5 off
    "units_delivered": 1200, "vacant_units": 90,          # 7.5 %: 2.5 above 5 %, ceil → 3 off
    "rent_ratio_pct": 92.5,                               # 2.5 above 90 %, 「按比例扣分」 × 1.5 = 3.75 off
    "complaint_pct": 2.7,                                 # 0.7 above 2 % = 1.4 steps of 0.5, ceil → 2 off
    "satisfaction_pct": 88,                               # 「80%（含）–90%的得6分」
    "awards_count": 2, "innovation_adopted": "是",        # bonus 2 + 2
    "incidents": 1, "major_accident": "否",               # penalty 5
}
#: by hand: 10 + (3 + 1) + 3 + 17.5 + 12 + 11.25 + 8 + 6 = 71.75; + 4 bonus − 5 penalty = 70.75
SCORES = {"funds_raising": 10, "management_rules": 4, "funds_execution": 3, "units_completion": 17.5, "vacancy": 12,
          "rent_level": 11.25, "complaints": 8, "satisfaction": 6, "awards": 2, "innovation": 2, "safety_incidents": 5}
TOTAL = 70.75


def filled(path: Path, facts: dict | None = None, scores: dict | None = None, total: object = TOTAL, year: int = 2022) -> Path:
    """The worked example (with some values changed) in the third table's template; SELFSCORE_SCHEMAS must point
    at FIXTURES."""
    workbook = fill_template(get_table(TABLE), {**FACTS, **(facts or {})}, {**SCORES, **(scores or {})},
                             total=total, unit="测试市", year=year)
    return save(workbook, path)
