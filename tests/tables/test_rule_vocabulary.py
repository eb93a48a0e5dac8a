"""The rule vocabulary as the docs render it: every registered kind has its phrasing, example and doc, and its example loads."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from selfscore.tables.definitions import load_definition
from selfscore.tables.inputs import input_definition_from
from selfscore.tables.rules import RuleKind, parse_part, registered_kinds
from selfscore.tables.rules.deduction import Deduction

#: every input an example may point at, as a definition file declares it (written here, not taken from the code)
INPUTS = {
    "alloc_rules_sound": ('label = "资金分配办法是否健全规范"', 'type = "yes_no"'),
    "severe_violation": ('label = "是否存在性质恶劣的违规"', 'type = "yes_no"'),
    "violations": ('label = "发现违规问题数"', 'unit = "项"', 'type = "integer"', "min = 0"),
    "starts_actual": ('label = "实际新开工套数"', 'unit = "套"', 'type = "integer"', "min = 0"),
    "starts_planned": ('label = "计划新开工套数"', 'unit = "套"', 'type = "integer"', "min = 0"),
    "satisfaction_pct": ('label = "群众满意度"', 'unit = "%"', 'type = "percent"', "min = 0", "max = 100"),
    "funds_spent": ('label = "已支出资金"', 'unit = "万元"', 'type = "number"', "min = 0"),
    "funds_received": ('label = "到位资金"', 'unit = "万元"', 'type = "number"', "min_exclusive = 0"),
    "units_actual": ('label = "实际完成套数"', 'unit = "套"', 'type = "integer"', "min = 0"),
    "units_planned": ('label = "计划完成套数"', 'unit = "套"', 'type = "integer"', "min = 0"),
    "vacant_units": ('label = "空置套数"', 'unit = "套"', 'type = "integer"', "min = 0"),
    "units_delivered": ('label = "已交付套数"', 'unit = "套"', 'type = "integer"', "min = 0"),
    "funds_rules": ('label = "资金管理制度"', 'type = "choice"', 'options = ["健全", "基本健全", "不健全"]'),
    "awards_count": ('label = "获得表彰项数"', 'unit = "项"', 'type = "integer"', "min = 0"),
}
KINDS = registered_kinds()


def test_every_kind_a_definition_can_name_is_registered_once_in_its_role():
    parts = [kind.name for kind in KINDS if kind.role == "part"]
    terms = [kind.name for kind in KINDS if kind.role == "term"]
    assert parts == ["checklist", "deduction", "bands", "gate", "graded", "per_item", "judged"]
    assert terms == ["per_count", "below_target", "above_limit"]
    assert [kind.name for kind in KINDS if kind.counts_steps] == ["below_target", "above_limit"]


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_kind_says_what_it_scores(kind: RuleKind):
    for field in ("summary", "phrasing", "example", "doc"):
        assert getattr(kind, field).strip(), f"rule kind '{kind.name}' has no {field}: give it in its @rule_kind"
    assert "\n" not in kind.summary, f"rule kind '{kind.name}': the summary is one line"
    assert re.search(r"[\u4e00-\u9fff]", kind.phrasing), f"rule kind '{kind.name}': the phrasing is the criterion's Chinese"
    assert f'kind = "{kind.name}"' in kind.example, f"rule kind '{kind.name}': its example is of another kind"


def _used_inputs(example: str) -> list[str]:
    return [input_id for input_id in dict.fromkeys(re.findall(r'"(\w+)"', example)) if input_id in INPUTS]


def _input_text(input_id: str) -> str:
    return "\n".join((f'id = "{input_id}"', *INPUTS[input_id]))


def _part_text(kind: RuleKind) -> str:
    # a term is loaded where it lives: in a deduction
    return kind.example if kind.role == "part" else f'{{ kind = "deduction", points = 5, terms = [{kind.example}] }}'


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.name)
def test_every_example_loads_in_a_table_definition(kind: RuleKind, tmp_path: Path):
    used = _used_inputs(kind.example)
    inputs_text = "".join(f"\n[[inputs]]\n{_input_text(input_id)}\n" for input_id in used)
    # the indicator's points are the part's: read them from the part itself before writing the file
    inputs = {input_id: input_definition_from(tomllib.loads(_input_text(input_id)), f"inputs.{input_id}") for input_id in used}
    points = float(parse_part(tomllib.loads(f"part = {_part_text(kind)}")["part"], "example", inputs).max_points)
    source = tmp_path / "vocabulary.toml"
    source.write_text(f'''id = "vocabulary"
template_version = 1
annex = "附件1"
title = "规则词汇示例表"
short_title = "规则词汇"
{inputs_text}
[[groups]]
name = "一、示例"
points = {points}

[[groups.indicators]]
id = "example"
name = "示例指标"
points = {points}
criterion = {json.dumps(kind.phrasing, ensure_ascii=False)}
parts = [{_part_text(kind)}]
''', encoding="utf-8")

    (indicator,) = load_definition(source).indicators
    (part,) = indicator.parts
    if kind.role == "part":
        assert isinstance(part, kind.cls)
    else:
        assert isinstance(part, Deduction) and isinstance(part.terms[0], kind.cls)
    assert set(indicator.inputs) == set(used)
