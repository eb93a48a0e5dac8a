"""FALLBACK ADAPTER, to be deleted: RuleKind-like records built from today's PART_KINDS / TERM_KINDS.

The rule vocabulary page (docs/generate.py, ``rules_page``) is written against the registry that the rule-kinds
package will offer, ``selfscore.tables.rules.registered_kinds() -> tuple[RuleKind, ...]``. Until that lands, this
module builds the same records from the two dictionaries ``rules.py`` and ``rule_kinds.py`` fill today. Once
``registered_kinds`` exists, generate.py uses it and this file can go.

The phrasings and TOML snippets below are the old README's rule table, kept here so that nothing is lost before the
registry's own ``phrasing`` and ``example`` fields carry them.
"""

from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass
from typing import Literal

#: the old README's "criterion phrasing" and "definition-file snippet" per kind (replaced by RuleKind.phrasing/example)
_FROM_OLD_README: dict[str, tuple[str, str]] = {
    "checklist": ("「资金管理办法健全规范（2分）…否则扣减相应分数」",
                  '{ kind = "checklist", items = [{ input = "alloc_rules_sound", points = 2 }] }'),
    "deduction": ("「每发现1项扣0.5分，最多扣5分」；`zero_if`：「性质恶劣…一次性扣除5分」；`judgement_unless`：「且内容完整的」",
                  '{ kind = "deduction", points = 5, zero_if = "severe_violation", '
                  'terms = [{ kind = "per_count", input = "violations", per = 0.5 }] }'),
    "per_count": ("「每发现1项扣0.5分，最多扣5分」（`deduction` 的扣分项）",
                  '{ kind = "per_count", input = "violations", per = 0.5 }'),
    "below_target": ("「未达到计划的，每低一个百分点扣1分」；「按比例扣分」时加 `steps = \"exact\"`",
                     '{ kind = "below_target", label = "开工计划完成率", ratio = ["starts_actual", "starts_planned"], '
                     'target = 100, step = 1, per = 1 }\n# or input = "satisfaction_pct" for a percent input'),
    "bands": ("「≥90% 得5分，80%（含）–90% 得3分，低于80% 不得分」",
              '{ kind = "bands", label = "资金执行率", ratio = ["funds_spent", "funds_received"], '
              'bands = [{ at_least = 90, points = 5 }, { at_least = 80, points = 3 }] }'),
    "gate": ("「完成率低于60%的不得分」，包住门槛之上计分的部分",
             '{ kind = "gate", label = "完成率", ratio = ["units_actual", "units_planned"], below = 60, '
             'parts = [{ kind = "deduction", points = 30, terms = [...] }] }'),
    "above_limit": ("空置率、投诉率：「超过5%的，每高一个百分点扣1分」",
                    '{ kind = "above_limit", label = "空置率", ratio = ["vacant_units", "units_delivered"], '
                    'limit = 5, step = 1, per = 1 }'),
    "graded": ("「健全的得2分，基本健全的得1分，不健全的不得分」（`choice` 输入项）",
               '# the input: type = "choice", options = ["健全", "基本健全", "不健全"]\n'
               '{ kind = "graded", items = [{ input = "funds_rules", points = { "健全" = 2, "基本健全" = 1, "不健全" = 0 } }] }'),
    "per_item": ("「每获得1项表彰加1分，最多加3分」（加分项、扣分项指标）",
                 '{ kind = "per_item", input = "awards_count", per = 1, points = 3 }'),
}


@dataclass(frozen=True)
class RuleKind:
    """The fields of the registry's RuleKind that the vocabulary page reads."""

    name: str
    role: Literal["part", "term"]
    cls: type
    summary: str
    phrasing: str
    example: str
    doc: str


def _class_of(parse: object) -> type:
    """The class behind a registered parser: ``Cls.parse``, or a ``functools.partial`` wrapping one."""
    while isinstance(parse, functools.partial):
        parse = parse.args[0] if parse.args else parse.func
    owner = getattr(parse, "__self__", None)
    if not isinstance(owner, type):
        raise TypeError(f"cannot tell the rule class of {parse!r}")
    return owner


def registered_kinds() -> tuple[RuleKind, ...]:
    """Every rule kind known today, parts first, each from its class's docstring."""
    from selfscore.tables import definitions  # noqa: F401  (importing it registers rule_kinds' kinds today)
    from selfscore.tables.rules import PART_KINDS, TERM_KINDS

    kinds = []
    for role, registry in (("part", PART_KINDS), ("term", TERM_KINDS)):
        for name, parse in registry.items():
            cls = _class_of(parse)
            doc = inspect.getdoc(cls) or ""
            summary, _, rest = doc.partition("\n")
            phrasing, example = _FROM_OLD_README.get(name, ("", ""))
            kinds.append(RuleKind(name, role, cls, summary.strip(), phrasing, example, rest.strip()))  # type: ignore[arg-type]
    return tuple(kinds)
