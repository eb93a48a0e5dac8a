"""The rule kinds by name: a decorator on each kind's class registers it, with the texts the rule vocabulary shows.

Like pandera's ``@register_builtin_check``: the name a definition file writes (``kind = "bands"``), the
criterion phrasing it scores and its documentation stand on the class, and nothing else changes the
registry. The package imports every kind module, so loading ``selfscore.tables.rules`` registers them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from selfscore.tables.fields import Fields
from selfscore.tables.rules.base import Inputs, Part, Term
from selfscore.tables.rules.own_steps import parse_with_own_steps

Role = Literal["part", "term"]
Kind = TypeVar("Kind", bound=type)


@dataclass(frozen=True)
class RuleKind:
    """One rule kind as a definition file names it and the rule vocabulary documents it."""

    #: what ``kind = "…"`` says in a definition file
    name: str
    #: a part scores points; a term is what a ``deduction`` part takes off
    role: Role
    cls: type
    #: one line: what it scores
    summary: str
    #: the criterion phrasing it scores (Chinese, as the 评分标准 words it)
    phrasing: str
    #: a TOML snippet that loads when put into a table definition with its inputs
    example: str
    #: a few lines of Markdown: what it scores, and what it does under each step reading where that matters
    doc: str
    #: a term that counts steps, so it takes ``steps = "exact"`` (or ceil, floor) when its criterion fixes its reading
    counts_steps: bool = False


_KINDS: dict[str, RuleKind] = {}


def rule_kind(name: str, *, role: Role, summary: str, phrasing: str, example: str, doc: str,
              counts_steps: bool = False) -> Callable[[Kind], Kind]:
    """Register the decorated class (with a ``parse(fields, inputs)`` classmethod) as the rule kind ``name``."""

    def register(cls: Kind) -> Kind:
        if name in _KINDS:
            raise ValueError(f"rule kind '{name}' is registered twice ({_KINDS[name].cls.__name__} and {cls.__name__})")
        _KINDS[name] = RuleKind(name, role, cls, summary, phrasing, example, doc, counts_steps)
        return cls

    return register


def registered_kinds() -> tuple[RuleKind, ...]:
    """Every rule kind, parts and terms, in the order they were registered."""
    return tuple(_KINDS.values())


def _kinds(role: Role) -> dict[str, RuleKind]:
    return {name: kind for name, kind in _KINDS.items() if kind.role == role}


def parse_part(data: object, where: str, inputs: Inputs) -> Part:
    """One part of an indicator, as its ``kind`` reads it; every key must be used."""
    fields = Fields(data, where)
    kinds = _kinds("part")
    part: Part = _parse(kinds[fields.choice("kind", kinds)], fields, inputs)
    fields.done()
    return part


def parse_term(fields: Fields, inputs: Inputs) -> Term:
    """One term of a deduction, as its ``kind`` reads it (the caller checks that every key was used)."""
    kinds = _kinds("term")
    kind = kinds[fields.choice("kind", kinds)]
    if kind.counts_steps:
        return parse_with_own_steps(kind.cls.parse, fields, inputs)  # type: ignore[attr-defined]
    term: Term = _parse(kind, fields, inputs)
    return term


def _parse(kind: RuleKind, fields: Fields, inputs: Inputs) -> Any:
    return kind.cls.parse(fields, inputs)  # type: ignore[attr-defined]
