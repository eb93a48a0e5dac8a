"""The phrase table of `selfscore table new`: each phrasing compiles its own example, and what none reads is judged."""

from __future__ import annotations

import re
import tomllib
from fractions import Fraction
from pathlib import Path

import pytest

from selfscore.tables.compile import PHRASES, Annex, AnnexRow, compile_annex
from selfscore.tables.compile.phrases import match_criterion, normalise
from selfscore.tables.definitions import load_definition

DOCS = Path(__file__).resolve().parents[2] / "docs" / "reference" / "rules.md"


def _points(example: str) -> Fraction:
    """What an example is worth: its （N分） added up, else the most it names."""
    text = normalise(example)
    marked = re.findall(r"\((\d+(?:\.\d+)?)分\)", text)
    if marked:
        return sum((Fraction(value) for value in marked), Fraction(0))
    found = re.findall(r"\((\d+(?:\.\d+)?)分\)|得(\d+)分|最多(?:加|扣)(\d+)分|加(\d+)分", text)
    return max(Fraction(next(group for group in groups if group)) for groups in found)


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda phrase: phrase.name)
def test_each_phrasing_compiles_its_own_example_and_is_documented(phrase):
    found = match_criterion(phrase.example, "k", _points(phrase.example))
    assert found is not None and found[0] == phrase.name
    rules = found[1]
    assert rules.parts and all(tomllib.loads(f"part = {part}") for part in rules.parts)
    page = DOCS.read_text(encoding="utf-8")
    assert f"| `{phrase.name}` |" in page and phrase.example.replace("|", "\\|") in page


@pytest.mark.parametrize(("criterion", "points"), [
    # no phrasing reads it
    ("根据项目实施情况酌情打分。", 5),
    # a known phrasing whose points do not add up to the indicator's
    ("资金执行率≥90%的得5分，80%（含）–90%的得3分，低于80%的不得分。", 10),
    # a sentence left over: a phrasing must read the whole criterion
    ("信息及时对外公开的（5分）；每少公开1项扣0.5分，最多扣5分。另视情况扣分。", 5),
])
def test_what_no_phrasing_reads_is_judged_with_the_sentence_quoted(tmp_path, criterion, points):
    compiled = compile_annex(Annex("测试绩效自评表", [AnnexRow("产出", "测试指标", Fraction(points), criterion)]), "trial")
    assert [entry.phrase for entry in compiled.entries] == [None]
    assert f"# 未能编译为规则，由审核人判定；请改写为它的规则：{criterion}" in compiled.text
    (tmp_path / "trial.toml").write_text(compiled.text, encoding="utf-8")
    (indicator,) = load_definition(tmp_path / "trial.toml").indicators
    outcome = indicator.score({}, "ceil")
    assert (outcome.low, outcome.high, outcome.judged) == (0, points, True)


def test_a_criterion_in_sentences_compiles_sentence_by_sentence():
    criterion = ("市县财政安排补助资金用于城镇老旧小区改造的(5分)；没有安排的(0分)。企业、居民等社会筹资占改造项目资金比例20%及以上的"
                 "(5分)，未达到目标的，每低四个百分点扣1分，最多扣5分。")
    name, rules = match_criterion(criterion, "k", Fraction(10))
    assert name == "checklist + below_share"
    assert [input_.type for input_ in rules.inputs] == ["yes_no", "percent"]
    assert 'target = 20, step = 4, per = 1' in rules.parts[1]


def test_a_one_off_deduction_gates_the_deduction_before_it():
    criterion = ("没有违规违纪情况的（5分）；经查实存在违规违纪行为的，每发现1项扣0.5分，最多扣5分。"
                 "对性质恶劣、有重大不良影响的违规违纪项目一次性扣除5分。")
    name, rules = match_criterion(criterion, "k", Fraction(5))
    assert name == "per_count + zero_if"
    assert 'zero_if = "k_2"' in rules.parts[0] and rules.inputs[-1].label == "是否存在性质恶劣、有重大不良影响的违规违纪项目"
