"""An annex table compiled into a definition file's text, with a report of what each criterion became."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from fractions import Fraction

from selfscore.tables.compile.ids import Ids, indicator_words, label_words
from selfscore.tables.compile.phrases import TOTAL_CAP, Input, Rules, match_criterion, normalise


@dataclass(frozen=True)
class AnnexRow:
    group: str
    name: str
    points: Fraction
    criterion: str


@dataclass
class Annex:
    """What an annex says: its title, 附件 number, years (where it says them) and its rows."""

    title: str
    rows: list[AnnexRow]
    annex: str = "附件1"
    first_year: int | None = None
    last_year: int | None = None


@dataclass(frozen=True)
class Compiled:
    """One criterion: the indicator it belongs to and what it was compiled into (None: a judged part)."""

    indicator_id: str
    name: str
    points: Fraction
    criterion: str
    phrase: str | None
    sentences: int


@dataclass
class CompiledTable:
    text: str
    entries: list[Compiled] = field(default_factory=list)

    @property
    def compiled(self) -> int:
        return sum(entry.sentences for entry in self.entries if entry.phrase)

    @property
    def sentences(self) -> int:
        return sum(entry.sentences for entry in self.entries)


def sentences_of(criterion: str) -> int:
    """How many sentences a criterion has (split at 。 and ；), the unit the report counts in."""
    return max(1, len([part for part in re.split(r"[。；;]", normalise(criterion)) if part.strip()]))


def _q(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def _num(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else str(float(value))


def _group_kind(name: str) -> str:
    return "bonus" if "加分" in name else "penalty" if "扣分" in name else "score"


def _short_title(title: str) -> str:
    short = re.sub(r"^.*?(财政资金用于|资金用于)", "", title)
    return re.sub(r"绩效(自评|评价)?(指标)?表$", "", short) or title


#: the indicator key the phrasings build their facts' ids on, until ``_named`` gives each fact its readable id
_DRAFT = "draft"
#: the last word of a phrasing's id that says what kind of figure a fact is; kept at the end of its readable id
_SUFFIXES = ("pct", "count", "planned", "actual")


def _named(rules: Rules, indicator_id: str, ids: Ids) -> Rules:
    """The rules with each fact's draft id (``draft_2_pct``) replaced by a readable one from its label (``ids``).

    A plan and its actual figure are named by their label's first part (改造面积计划完成率：计划数 → renovation_area_planned);
    a label the glossary does not cover is named by the indicator (policy_disclosure_count)."""
    parts, inputs = list(rules.parts), []
    for item in rules.inputs:
        suffix = item.id.rsplit("_", 1)[-1]
        suffix = suffix if suffix in _SUFFIXES else ""
        if suffix in ("planned", "actual"):
            words = [word for word in label_words(item.label.split("：")[0]) if word != "completion"]
        else:
            words = label_words(item.label)
        new = ids.give(words, indicator_id, suffix)
        parts = [part.replace(f'"{item.id}"', f'"{new}"') for part in parts]
        inputs.append(replace(item, id=new))
    return replace(rules, parts=tuple(parts), inputs=tuple(inputs))


def compile_annex(annex: Annex, table_id: str) -> CompiledTable:
    """The definition file's text for an annex, and what each criterion became."""
    groups: dict[str, list[AnnexRow]] = {}
    for row in annex.rows:
        groups.setdefault(row.group or "指标", []).append(row)
    inputs: list[Input] = []
    entries: list[Compiled] = []
    body: list[str] = []
    total_cap: str | None = None
    number = 0
    indicator_ids, input_ids = Ids(), Ids()
    for group_name, rows in groups.items():
        kind = _group_kind(group_name)
        body += ["", "[[groups]]", f"name = {_q(group_name)}"]
        if kind != "score":
            body.append(f'kind = "{kind}"')
        body.append(f"points = {_num(sum((row.points for row in rows), Fraction(0)))}")
        for row in rows:
            number += 1
            key = indicator_ids.give(indicator_words(row.name), f"indicator_{number:02d}")
            cap = TOTAL_CAP.search(normalise(row.criterion))
            if cap:
                total_cap = cap.group(1)
            found = match_criterion(row.criterion, _DRAFT, row.points)
            body += ["", "[[groups.indicators]]", f'id = "{key}"', f"name = {_q(row.name)}",
                     f"points = {_num(row.points)}", f"criterion = {_q(row.criterion)}"]
            if found is None:
                body += [f"# 未能编译为规则，由审核人判定；请改写为它的规则：{row.criterion}",
                         f'parts = [{{ kind = "judged", points = {_num(row.points)} }}]']
                entries.append(Compiled(key, row.name, row.points, row.criterion, None, sentences_of(row.criterion)))
                continue
            phrase, rules = found
            # the rule's words may repeat another indicator's: a label names one fact only
            taken = {item.label for item in inputs}
            rules = _named(replace(rules, inputs=tuple(
                item if item.label not in taken else replace(item, label=f"{row.name}：{item.label}")
                for item in rules.inputs)), key, input_ids)
            inputs += rules.inputs
            body += [f"# 按「{phrase}」编译", "parts = ["] + [f"  {part}," for part in rules.parts] + ["]"]
            entries.append(Compiled(key, row.name, row.points, row.criterion, phrase, sentences_of(row.criterion)))
    head = [f"# {annex.annex} — {annex.title}. 由 selfscore table new 从附件生成：请对照附件核对每条规则，",
            "# 「judged」的指标由审核人判定，改写为评分标准的规则后即可自动计算（selfscore table check 检查）。",
            f'id = "{table_id}"', "template_version = 1", f"annex = {_q(annex.annex)}", f"title = {_q(annex.title)}",
            f"short_title = {_q(_short_title(annex.title))}"]
    if annex.first_year is not None:
        head.append(f"first_year = {annex.first_year}")
    if annex.last_year is not None:
        head.append(f"last_year = {annex.last_year}")
    if total_cap is None and any(_group_kind(name) == "bonus" for name in groups):
        total_cap = _num(sum((row.points for row in annex.rows if _group_kind(row.group) == "score"), Fraction(0)))
    if total_cap is not None:
        head.append(f"total_cap = {total_cap}")
    lines = [*head, ""]
    for item in inputs:
        lines += ["[[inputs]]", f'id = "{item.id}"', f"label = {_q(item.label)}", f'type = "{item.type}"']
        if item.unit:
            lines.append(f"unit = {_q(item.unit)}")
        if item.type in ("integer", "number"):
            lines.append("min = 0")
        if item.options:
            lines.append("options = [" + ", ".join(_q(option) for option in item.options) + "]")
        lines.append("")
    return CompiledTable("\n".join(lines + body).rstrip() + "\n", entries)
