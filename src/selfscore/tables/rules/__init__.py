"""Rule kinds: the small vocabulary a table definition composes each indicator's score from.

An indicator scores the sum of its parts. A part scores points: ``checklist``, ``deduction`` (its points
minus the capped sum of its terms), ``bands``, ``gate``, ``graded``, ``per_item``,
``judged`` (a reviewer's judgement, 0 to its points). A term is what a
deduction takes off: ``per_count``, ``below_target``, ``above_limit``; a term that counts steps may fix
its own step reading (``steps = "exact"``). Each kind is one module here, registered by name by a
decorator on its class (``registry.rule_kind``); adding a kind means adding its module and importing it below.
"""

# Every kind module, imported so that its decorator registers it. The order is the registry's: parts and
# terms each keep it in the list a definition error offers ("expected one of checklist, deduction, bands, …").
# isort: off
from selfscore.tables.rules import (  # noqa: F401
    checklist, deduction, per_count, below_target, bands, gate, graded, per_item, above_limit, judged,
)
# isort: on
from selfscore.tables.rules.base import Inputs, Outcome, Part, Term, Values, combine
from selfscore.tables.rules.registry import RuleKind, parse_part, registered_kinds

__all__ = ["Inputs", "Outcome", "Part", "RuleKind", "Term", "Values", "combine", "parse_part", "registered_kinds"]
