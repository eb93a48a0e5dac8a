"""The ids `selfscore table new` writes: English words from the glossary, unique, valid bare keys, the same every run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest

from selfscore.tables.compile import Annex, AnnexRow, compile_annex
from selfscore.tables.compile.ids import GLOSSARY, Ids, indicator_words, words_of
from selfscore.tables.definitions import load_definition

REPO = Path(__file__).resolve().parents[2]
TABLES = [REPO / "schemas" / "shantytown.toml", REPO / "schemas" / "old_communities.toml",
          REPO / "tests" / "orchestration" / "fixtures" / "affordable_rental.toml"]
BARE_KEY = re.compile(r"[a-z][a-z0-9_]*")


def _annex(source: Path) -> Annex:
    table = load_definition(source)
    return Annex(table.title, [AnnexRow(group.name, indicator.name, indicator.points, indicator.criterion)
                               for group in table.groups for indicator in group.indicators])


def _ids(text: str) -> tuple[list[str], list[str]]:
    data = tomllib.loads(text)
    return ([item["id"] for item in data.get("inputs", [])],
            [indicator["id"] for group in data["groups"] for indicator in group["indicators"]])


@pytest.mark.parametrize("source", TABLES, ids=lambda path: path.stem)
def test_every_id_of_the_tables_is_words_unique_and_a_bare_key(source):
    inputs, indicators = _ids(compile_annex(_annex(source), "trial").text)
    for ids in (inputs, indicators):
        assert len(set(ids)) == len(ids), ids
        assert all(BARE_KEY.fullmatch(key) for key in ids), ids
    # the glossary covers every name and label of these tables: no numbered fallback, no draft id left over
    assert not [key for key in inputs + indicators if re.match(r"indicator_\d|draft_", key)], inputs + indicators


def test_the_ids_read_like_the_hand_written_ones():
    _, indicators = _ids(compile_annex(_annex(TABLES[0]), "trial").text)
    # the hand-written shantytown.toml says funds_raising, funds_allocation, policy_disclosure, starts_completion,
    # project_quality
    assert {"funds_raising", "funds_allocation", "policy_disclosure", "starts_completion", "project_quality"} <= set(indicators)
    inputs, _ = _ids(compile_annex(_annex(TABLES[1]), "trial").text)
    assert {"renovation_area_planned", "renovation_area_actual", "satisfaction_pct"} <= set(inputs)


def test_a_name_is_its_first_two_words_and_its_head():
    assert words_of("违规违纪") == ["violations"]               # a word repeated at once is kept once
    assert words_of("资金到位率") == ["funds", "received"]       # the longest term: 到位率, not 到位 and 率
    assert indicator_words("租赁补贴发放计划完成率") == ["rental", "subsidy", "completion"]


def test_what_the_glossary_does_not_cover_falls_back_and_a_clash_is_numbered():
    rows = [AnnexRow("产出", "绿化覆盖", Fraction(5), "酌情打分。"), AnnexRow("产出", "资金筹集", Fraction(5), "酌情打分。"),
            AnnexRow("产出", "资金（筹集）", Fraction(5), "酌情打分。")]
    _, indicators = _ids(compile_annex(Annex("测试绩效自评表", rows), "trial").text)
    assert indicators == ["indicator_01", "funds_raising", "funds_raising_2"]
    ids = Ids()
    assert [ids.give([], "x"), ids.give([], "x"), ids.give(["x"], "y")] == ["x", "x_2", "x_3"]


def test_the_glossary_gives_words_that_make_bare_keys():
    assert all(BARE_KEY.fullmatch(word) for word in GLOSSARY.values())


def test_the_same_annex_gives_the_same_file_in_another_process():
    """Stable across runs: another interpreter, with another hash seed, writes the same text."""
    ours = compile_annex(_annex(TABLES[2]), "trial").text
    code = ("import sys\n"
            "from pathlib import Path\n"
            "from selfscore.tables.compile import Annex, AnnexRow, compile_annex\n"
            "from selfscore.tables.definitions import load_definition\n"
            f"table = load_definition(Path({str(TABLES[2])!r}))\n"
            "rows = [AnnexRow(g.name, i.name, i.points, i.criterion) for g in table.groups for i in g.indicators]\n"
            "sys.stdout.write(compile_annex(Annex(table.title, rows), 'trial').text)\n")
    theirs = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            env={**os.environ, "PYTHONHASHSEED": "12345"}).stdout
    assert theirs == ours
