"""File names of what selfscore writes, one rule for the CLI, the batch, the summary and the web."""

from __future__ import annotations

import re


def checked_name(name: str) -> str:
    """The file name of a marked-up copy: 县.xlsx → 县.checked.xlsx; 县.checked.xlsx stays 县.checked.xlsx."""
    stem = re.sub(r"\.(xlsx|xlsm|xlsb|xls|et|ods|xltx|xltm|xlt|ett|ots)$", "", name, flags=re.IGNORECASE)
    while stem.lower().endswith(".checked"):
        stem = stem[: -len(".checked")]
    return f"{stem or '自评表'}.checked.xlsx"
