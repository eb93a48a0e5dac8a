"""Every 是/否 word a filler may type, read both ways — from a list written here, never imported from the code.

A word added to the wrong side (「无」 among the 是 words would make 「是否存在违规：无」 read as 是) or dropped
from its side fails here, word by word, and once through the whole check of a real workbook.
"""

from __future__ import annotations

import pytest

from selfscore.checking import check_workbook
from selfscore.read.parsing import parse_input
from selfscore.tables.definitions import get_table
from support.helpers import make_workbook

#: what the template's 填报说明 and the docs promise a filler (「是/否/有/无/√/×/Y/N/TRUE/FALSE」), and the variants
#: offices type: each read as 是 …
YES_WORDS = ["是", "有", "√", "✓", "✔", "Y", "y", "YES", "Yes", "yes", "TRUE", "True", "true", "对", " 是 ", "ｙ"]
#: … and each read as 否
NO_WORDS = ["否", "无", "没有", "×", "✗", "✘", "X", "x", "N", "n", "NO", "No", "no", "FALSE", "False", "false", "不是",
            " 无 ", "ｎ"]
#: neither: a 是/否 cell holding one of these is refused, never guessed
NEITHER = ["不详", "待定", "基本是", "是否", "有无", "1", "0", "?", "——", "√×"]


def _severe_violation():
    return get_table("shantytown").inputs_by_id["severe_violation"]


@pytest.mark.parametrize("word", YES_WORDS)
def test_each_yes_word_reads_as_yes(word):
    parsed = parse_input(word, _severe_violation())
    assert (parsed.value, parsed.error) == (True, None)


@pytest.mark.parametrize("word", NO_WORDS)
def test_each_no_word_reads_as_no(word):
    parsed = parse_input(word, _severe_violation())
    assert (parsed.value, parsed.error) == (False, None)


@pytest.mark.parametrize("word", NEITHER)
def test_a_word_that_is_neither_is_refused(word):
    parsed = parse_input(word, _severe_violation())
    assert (parsed.value, parsed.error) == (None, "value_not_yes_no")


def test_the_lists_share_no_word():
    folded = {word.strip().upper() for word in YES_WORDS}
    assert not folded & {word.strip().upper() for word in NO_WORDS}


@pytest.mark.parametrize(("word", "codes"), [
    # 「是否存在性质恶劣…的违规违纪项目：无」 with no violations: nothing wrong, the answer is 否
    ("无", set()),
    # 「有」 is 是, which needs at least one violation (the Jiaozuo facts have none)
    ("有", {"yes_requires_count"}),
])
def test_a_word_decides_the_check_of_a_whole_workbook(tmp_path, word, codes):
    report = check_workbook(make_workbook(tmp_path / "t.xlsx", facts={"severe_violation": word}))
    assert {f.code for f in report.findings if f.severity == "error"} == codes
    assert any(f.code == "value_normalised" and f.input == "severe_violation" for f in report.findings)
