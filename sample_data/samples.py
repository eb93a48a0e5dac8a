"""The sample workbooks: Jiaozuo 2020 from the seed report, and faulty variants that show every finding.

Run ``python sample_data/samples.py`` to regenerate the .xlsx files beside this script; a test fails
when the committed files no longer match what this script writes.
"""

from __future__ import annotations

from pathlib import Path

from selfscore.tables.definitions import get_table
from selfscore.write.filling import fill_template, save

HERE = Path(__file__).parent

COMMON_FACTS = {
    "local_funds_arranged": "是",
    "alloc_rules_sound": "是",
    "alloc_on_time": "是",
    "alloc_targeted": "是",
    "monitoring_mechanism": "是",
    "performance_targets": "是",
    "violations": 0,
    "severe_violation": "否",
    "undisclosed_items": 0,
    "report_days_late": 0,
    "report_complete": "是",
    "quality_issues": 0,
    "untimely_petitions": 0,
}

SHANTYTOWN_FACTS = {
    **COMMON_FACTS,
    "satisfaction_pct": 85,  # illustrative: the report says only 「达到80%以上」
    "starts_planned": 282,
    "starts_actual": 282,
    "subsidy_planned": 404,
    "subsidy_actual": 404,
}
SHANTYTOWN_SCORES = {
    "funds_raising": 10, "funds_allocation": 5, "funds_use": 10, "policy_disclosure": 5,
    "report_submission": 5, "starts_completion": 35, "subsidy_completion": 15, "project_quality": 10,
    "satisfaction": 5,
}

OLD_COMMUNITIES_FACTS = {
    **COMMON_FACTS,
    "satisfaction_pct": 90,  # illustrative: not published
    "social_funds": 463.58,
    "project_funds_total": 95100,
    "households_planned": 23341,  # half of 46682, the provincial target
    "households_actual": 28561,
    "area_planned": 247.5,  # illustrative: half of 495 万平方米
    "area_actual": 302,  # illustrative: not published (61 % like households)
    "buildings_planned": 689,  # illustrative: half of 1378
    "buildings_actual": 841,  # illustrative: not published
    "communities_planned": 239,  # illustrative: half of 477, rounded up
    "communities_actual": 328,
}
OLD_COMMUNITIES_SCORES = {
    "funds_raising": 5, "funds_allocation": 5, "funds_use": 10, "policy_disclosure": 5,
    "report_submission": 5, "households_completion": 20, "area_completion": 20,
    "buildings_completion": 5, "communities_completion": 5, "project_quality": 10, "satisfaction": 5,
}


def samples() -> dict[str, object]:
    shantytown, old = get_table("shantytown"), get_table("old_communities")
    books = {
        "jiaozuo_2020_shantytown.xlsx": fill_template(
            shantytown, SHANTYTOWN_FACTS, SHANTYTOWN_SCORES, total=100, unit="焦作市", year=2020),
        "jiaozuo_2020_old_communities.xlsx": fill_template(
            old, OLD_COMMUNITIES_FACTS, OLD_COMMUNITIES_SCORES, total=95, unit="焦作市", year=2020),
    }
    # Values a clerk might type: some readable with a note, some not readable at all.
    books["faulty_invalid_values.xlsx"] = fill_template(
        shantytown,
        {**SHANTYTOWN_FACTS,
         "alloc_on_time": "√",            # read as 是, with a note
         "quality_issues": -1,            # below the minimum
         "severe_violation": "是",         # 是 needs at least one violation (there are 0)
         "undisclosed_items": "两项",       # not a number
         "satisfaction_pct": "０.８５",     # full-width, read as 85 %; as 0.85 % it would score 0: a warning
         "starts_actual": "２８２套",        # full-width digits and unit: read as 282
         "report_complete": "可能"},        # not 是/否
        SHANTYTOWN_SCORES, total=100, unit="示例县（数据有误）", year=2020)
    books["faulty_scores_and_total.xlsx"] = fill_template(
        old,
        {**OLD_COMMUNITIES_FACTS, "households_actual": 21000, "quality_issues": 2},
        {**OLD_COMMUNITIES_SCORES, "funds_raising": 10, "households_completion": 20, "project_quality": 9},
        total=96, unit="示例县（得分不符）", year=2020)
    books["faulty_rounding_and_review.xlsx"] = fill_template(
        old,
        {**OLD_COMMUNITIES_FACTS, "report_complete": "否", "report_days_late": 1},
        {**OLD_COMMUNITIES_SCORES, "funds_raising": 5.12, "report_submission": 3},
        total=93.12, unit="示例县（口径与人工判定）", year=2020)
    return books


def main() -> None:
    for name, workbook in samples().items():
        print(save(workbook, HERE / name))  # noqa: T201


if __name__ == "__main__":
    main()
