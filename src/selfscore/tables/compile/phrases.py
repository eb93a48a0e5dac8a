"""The criterion phrasings ``selfscore table new`` compiles into rules: one pattern each, with its example.

A phrasing reads a whole criterion (after ``normalise``: full-width brackets and digits made plain). It gives
the parts of the indicator (as TOML inline tables) and the inputs they need, or None when the criterion is
not of its shape. The compiler checks that the parts are worth the indicator's points.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

NUMBER = r"(\d+(?:\.\d+)?)"
ONE = r"(?:一|1)"


@dataclass(frozen=True)
class Input:
    id: str
    label: str
    type: str
    unit: str = ""
    options: tuple[str, ...] = ()
    at_most: str = ""


@dataclass(frozen=True)
class Rules:
    parts: tuple[str, ...]
    inputs: tuple[Input, ...]
    points: Fraction


Build = Callable[["re.Match[str]", str, Fraction], "Rules | None"]


@dataclass(frozen=True)
class Phrase:
    name: str
    pattern: re.Pattern[str]
    build: Build
    #: a criterion it compiles, as an annex words it
    example: str
    #: what it compiles into, in a sentence
    doc: str


def normalise(text: str) -> str:
    """Full-width brackets, digits and signs made plain; spaces dropped (the criterion's words stay)."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"\s+", "", text).replace("—", "-").replace("–", "-").replace("～", "-")
    text = text.replace(",", "，").replace(";", "；").replace(":", "：")
    # a bracketed aside（市、区）is no part of the phrasing; (5分) and (含) are
    return re.sub(r"\((?!\d+(?:\.\d+)?分\)|含\)|每)[^()]*\)", "", text)


def _n(text: str) -> Fraction:
    return Fraction(text)


def _num(value: Fraction) -> str:
    return str(int(value)) if value.denominator == 1 else str(float(value))


def _clean(label: str) -> str:
    label = re.sub(r"^(对于|对|凡|经|如|若)", "", label.strip("，,；;。 "))
    return re.sub(r"的$", "", label)[:40] or "数据"


# ------------------------------------------------------------------------------------------------ builders

_CLAUSE = re.compile(r"([^；;。()]+?)的?\(" + NUMBER + r"分\)")
_FILLER = re.compile(r"(没有|未)[^；;。()]*?的?\(0分\)|否则扣减相应分数|[；;。，,\s]")


def _checklist(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    text = match.string
    clauses = [(label, _n(value)) for label, value in _CLAUSE.findall(text) if _n(value) > 0]
    rest = _FILLER.sub("", _CLAUSE.sub("", text))
    if not clauses or rest or sum(value for _, value in clauses) != points:
        return None
    inputs = tuple(Input(f"{key}_{index}", "是否" + _clean(label), "yes_no") for index, (label, _) in enumerate(clauses, 1))
    items = ", ".join(f'{{ input = "{i.id}", points = {_num(v)} }}' for i, (_, v) in zip(inputs, clauses, strict=True))
    return Rules((f'{{ kind = "checklist", items = [{items}] }}',), inputs, points)


def _per_count(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    full, what, unit, per, most = match.group("full", "what", "unit", "per", "most")
    if _n(full) != points or _n(most) != points:
        return None
    count = Input(f"{key}_count", _clean(what) + ("天数" if unit == "天" else "数"), "integer", unit or "项")
    term = f'{{ kind = "per_count", input = "{count.id}", per = {_num(_n(per))} }}'
    return Rules((f'{{ kind = "deduction", points = {_num(points)}, terms = [{term}] }}',), (count,), points)


def _per_count_unless(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    condition, full, what, unit, per, most = match.group("condition", "full", "what", "unit", "per", "most")
    if _n(full) != points or _n(most) != points:
        return None
    # 「按时报送…且内容完整的（5分）」: full marks need the second condition too; without it a reviewer judges
    complete = Input(f"{key}_unless", "是否" + _clean(condition.split("且", 1)[1]), "yes_no")
    count = Input(f"{key}_count", _clean(what) + ("天数" if unit == "天" else "数"), "integer", unit or "项")
    term = f'{{ kind = "per_count", input = "{count.id}", per = {_num(_n(per))} }}'
    return Rules((f'{{ kind = "deduction", points = {_num(points)}, judgement_unless = "{complete.id}", terms = [{term}] }}',),
                 (count, complete), points)


def _two_terms(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, target, full, again, per, what, unit, each, most = match.group(
        "label", "target", "full", "again", "per", "what", "unit", "each", "most")
    if target != again or _n(full) != points or _n(most) != points:
        return None
    rate = Input(f"{key}_pct", _clean(label) + "（百分数）", "percent", "%")
    count = Input(f"{key}_count", _clean(what) + "数", "integer", unit)
    terms = (f'{{ kind = "below_target", label = "{_clean(label)}", input = "{rate.id}", target = {target}, step = 1, '
             f'per = {_num(_n(per))} }}, {{ kind = "per_count", input = "{count.id}", per = {_num(_n(each))} }}')
    return Rules((f'{{ kind = "deduction", points = {_num(points)}, terms = [{terms}] }}',), (rate, count), points)


def _ratio_inputs(key: str, label: str) -> tuple[Input, Input]:
    planned = Input(f"{key}_planned", f"{label}：计划数", "number")
    actual = Input(f"{key}_actual", f"{label}：实际完成数", "number")
    return actual, planned


def _below_target(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, full, per, most = match.group("label", "full", "per", "most")
    if _n(full) != points or _n(most) != points:
        return None
    actual, planned = _ratio_inputs(key, _clean(label))
    term = (f'{{ kind = "below_target", label = "完成率", ratio = ["{actual.id}", "{planned.id}"], target = 100, '
            f'step = 1, per = {_num(_n(per))} }}')
    return Rules((f'{{ kind = "deduction", points = {_num(points)}, terms = [{term}] }}',), (actual, planned), points)


def _gate(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, below, again, per, most = match.group("label", "below", "again", "per", "most")
    if below != again or _n(most) != points:
        return None
    actual, planned = _ratio_inputs(key, _clean(label))
    ratio = f'ratio = ["{actual.id}", "{planned.id}"]'
    term = f'{{ kind = "below_target", label = "{_clean(label)}", {ratio}, target = 100, step = 1, per = {_num(_n(per))} }}'
    inner = f'{{ kind = "deduction", points = {_num(points)}, terms = [{term}] }}'
    return Rules((f'{{ kind = "gate", label = "{_clean(label)}", {ratio}, below = {below}, parts = [{inner}] }}',),
                 (actual, planned), points)


_BAND = re.compile(NUMBER + r"%\(含\)-" + NUMBER + r"%的得" + NUMBER + "分")


def _bands(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, top, top_points, rest = match.group("label", "top", "points", "rest")
    bands = [(_n(top), _n(top_points))] + [(_n(low), _n(value)) for low, _high, value in _BAND.findall(rest)]
    if bands[0][1] != points or len(bands) != 1 + len(_BAND.findall(rest)):
        return None
    rate = Input(f"{key}_pct", _clean(label) + "（百分数）", "percent", "%")
    listed = ", ".join(f"{{ at_least = {_num(at)}, points = {_num(value)} }}" for at, value in bands)
    return Rules((f'{{ kind = "bands", label = "{_clean(label)}", input = "{rate.id}", bands = [{listed}] }}',), (rate,), points)


def _above_limit(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, limit, full, exact, step, per, most = match.group("label", "limit", "full", "exact", "step", "per", "most")
    if _n(full) != points or _n(most) != points:
        return None
    rate = Input(f"{key}_pct", _clean(label) + "（百分数）", "percent", "%")
    steps = ', steps = "exact"' if exact else ""
    step_value = "1" if step in (None, "一", "1") else step
    term = (f'{{ kind = "above_limit", label = "{_clean(label)}", input = "{rate.id}", limit = {limit}, step = {step_value}, '
            f'per = {_num(_n(per))}{steps} }}')
    return Rules((f'{{ kind = "deduction", points = {_num(points)}, terms = [{term}] }}',), (rate,), points)


_GRADE = re.compile(r"([^；;。，,]+?)健全的得" + NUMBER + r"分，基本健全的得" + NUMBER + r"分，不健全的不得分")
GRADES = ("健全", "基本健全", "不健全")


def _graded(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    found = _GRADE.findall(match.string)
    if normalise(_GRADE.sub("", match.string)).strip("；;。，, ") or sum(_n(top) for _, top, _ in found) != points:
        return None
    inputs = tuple(Input(f"{key}_{index}", _clean(label), "choice", options=GRADES) for index, (label, _, _) in enumerate(found, 1))
    items = ", ".join(f'{{ input = "{i.id}", points = {{ "健全" = {_num(_n(a))}, "基本健全" = {_num(_n(b))}, "不健全" = 0 }} }}'
                      for i, (_, a, b) in zip(inputs, found, strict=True))
    return Rules((f'{{ kind = "graded", items = [{items}] }}',), inputs, points)


def _per_item(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, unit, per, most = match.group("label", "unit", "per", "most")
    if _n(most) != points:
        return None
    count = Input(f"{key}_count", _clean(label) + "数", "integer", unit)
    return Rules((f'{{ kind = "per_item", input = "{count.id}", per = {_num(_n(per))}, points = {_num(points)} }}',),
                 (count,), points)


_NUMERALS = dict(zip("一二三四五六七八九十", range(1, 11), strict=True))


def _step(text: str | None) -> str:
    return "1" if not text else str(_NUMERALS[text]) if text in _NUMERALS else text


def _below_share(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, target, full, step, per, most = match.group("label", "target", "full", "step", "per", "most")
    if _n(full) != points or _n(most) != points:
        return None
    rate = Input(f"{key}_pct", _clean(label) + "（百分数）", "percent", "%")
    term = (f'{{ kind = "below_target", label = "{_clean(label)}", input = "{rate.id}", target = {target}, '
            f'step = {_step(step)}, per = {_num(_n(per))} }}')
    return Rules((f'{{ kind = "deduction", points = {_num(points)}, terms = [{term}] }}',), (rate,), points)


def _single_bonus(match: re.Match[str], key: str, points: Fraction) -> Rules | None:
    label, value = match.group("label", "value")
    if _n(value) != points:
        return None
    fact = Input(f"{key}_1", "是否" + _clean(label), "yes_no")
    return Rules((f'{{ kind = "checklist", items = [{{ input = "{fact.id}", points = {_num(points)} }}] }}',), (fact,), points)


PHRASES: tuple[Phrase, ...] = (
    Phrase("checklist", re.compile(r"^.*\(" + NUMBER + r"分\).*$"), _checklist,
           "资金管理办法健全规范（2分）；资金按规定时间分配下达（2分），资金分配有针对性（1分）。"
           "否则扣减相应分数。",
           "每个「…（N分）」一项是/否数据，是得 N 分（checklist）"),
    Phrase("per_count", re.compile(r"^(?P<condition>[^且]+?)\((?P<full>" + NUMBER[1:-1] + r")分\)[；;](?P<what>[^每]*?)"
                                   + r"每(?:发现|少公开|出现|逾期)?" + ONE + r"(?P<unit>项|天|次|起|个)扣(?P<per>" + NUMBER[1:-1]
                                   + r")分，最多扣(?P<most>" + NUMBER[1:-1] + r")分。?$"), _per_count,
           "信息及时对外公开的（5分）；每少公开1项扣0.5分，最多扣5分。",
           "一项计数数据，每项扣 a 分，最多扣满分（deduction + per_count）"),
    Phrase("per_count_unless", re.compile(r"^(?P<condition>[^；]+?且[^；]+?)的?\((?P<full>" + NUMBER[1:-1]
                                          + r")分\)；(?P<what>[^每]*?)每" + ONE + r"(?P<unit>项|天|次|起|个)扣(?P<per>"
                                          + NUMBER[1:-1] + r")分，最多扣(?P<most>" + NUMBER[1:-1] + r")分。?$"), _per_count_unless,
           "按时报送绩效自评表、绩效评价报告且内容完整的（5分）；报送逾期每1天扣1分，最多扣5分。",
           "一项计数数据，每项扣 a 分；满分的另一条件（「且…」）不满足时由审核人判定（deduction + per_count + judgement_unless）"),
    Phrase("two_terms", re.compile(r"^(?P<label>.+?)达到(?P<target>\d+)%以上的\((?P<full>" + NUMBER[1:-1] + r")分\)；低于(?P<again>\d+)"
                                   + r"%的，每低" + ONE + r"个百分点扣(?P<per>" + NUMBER[1:-1] + r")分，(?:对于)?(?P<what>[^每]+?)的，每"
                                   + ONE + r"(?P<unit>次|项|起|个)扣(?P<each>" + NUMBER[1:-1] + r")分，最多扣(?P<most>"
                                   + NUMBER[1:-1] + r")分。?$"), _two_terms,
           "满意度指标达到80%以上的（5分）；低于80%的，每低一个百分点扣1分，对于群众信访没有及时处置的，每一次扣1分，最多扣5分。",
           "一项百分数数据和一项计数数据，两种扣分合计最多扣满分（deduction + below_target + per_count）"),
    Phrase("below_target", re.compile(r"^(?P<label>.+?)(?:大于或等于|达到)[^()]*?的?\((?P<full>" + NUMBER[1:-1]
                                      + r")分\)[；;]未(?:达到|完成)计划的，每低" + ONE + r"个百分点扣(?P<per>" + NUMBER[1:-1]
                                      + r")分，最多扣(?P<most>" + NUMBER[1:-1] + r")分。?$"), _below_target,
           "项目实际开工量大于或等于年度计划的（35分）；未达到计划的，每低一个百分点扣1分，最多扣35分。",
           "计划数与实际数两项数据，完成率每低 1 个百分点扣 a 分（deduction + below_target）"),
    Phrase("gate", re.compile(r"^(?P<label>.+?)低于(?P<below>\d+)%的不得分[；;](?P<again>\d+)%及以上未达到计划的，每低" + ONE
                              + r"个百分点扣(?P<per>" + NUMBER[1:-1] + r")分，最多扣(?P<most>" + NUMBER[1:-1] + r")分。?$"),
           _gate, "完成率低于60%的不得分；60%及以上未达到计划的，每低一个百分点扣0.5分，最多扣30分。",
           "低于门槛不得分，门槛以上按完成率扣分（gate + deduction + below_target）"),
    Phrase("bands", re.compile(r"^(?P<label>[^≥]+?)≥(?P<top>\d+)%的得(?P<points>" + NUMBER[1:-1] + r")分(?P<rest>(?:，"
                               + NUMBER[1:-1] + r"%\(含\)-" + NUMBER[1:-1] + r"%的得" + NUMBER[1:-1] + r"分)*)，低于\d+%的不得分。?$"),
           _bands, "资金执行率≥90%的得5分，80%（含）–90%的得3分，低于80%的不得分。",
           "一项百分数数据，按分档得分（bands）"),
    Phrase("above_limit", re.compile(r"^(?P<label>.+?)不(?:超过|高于)(?:同[^%]*?)?(?P<limit>\d+(?:\.\d+)?)%的得(?P<full>"
                                     + NUMBER[1:-1] + r")分[；;](?:超过|高于)[^，]*?的，(?P<exact>按比例扣分)?\(?每高(?P<step>"
                                     + r"一|1|\d+(?:\.\d+)?)个百分点扣(?P<per>" + NUMBER[1:-1] + r")分\)?，最多扣(?P<most>"
                                     + NUMBER[1:-1] + r")分。?$"), _above_limit,
           "空置率不超过5%的得15分；超过5%的，每高一个百分点扣1分，最多扣15分。",
           "一项百分数数据，超过上限每高 s 个百分点扣 a 分；「按比例扣分」时 steps = \"exact\"（deduction + above_limit）"),
    Phrase("graded", re.compile(r"^.*健全的得" + NUMBER + r"分，基本健全的得.*$"), _graded,
           "资金管理制度健全的得3分，基本健全的得1分，不健全的不得分。",
           "每项一个选项数据（健全/基本健全/不健全），按等级得分（graded）"),
    Phrase("per_item", re.compile(r"^(?P<label>.+?)的，每(?P<unit>项|起|次|个)(?:加|扣)(?P<per>" + NUMBER[1:-1]
                                  + r")分，最多(?:加|扣)(?P<most>" + NUMBER[1:-1] + r")分。?$"), _per_item,
           "获得省级以上示范表彰的，每项加1分，最多加3分。",
           "一项计数数据，每项加（扣分项中为扣）a 分，最多 N 分（per_item）"),
    Phrase("below_share", re.compile(r"^(?P<label>.+?)(?P<target>\d+)%及以上的\((?P<full>" + NUMBER[1:-1]
                                     + r")分\)[，；]未达到目标的，每低(?P<step>[一二三四五六七八九十]|\d+(?:\.\d+)?)个百分点扣(?P<per>"
                                     + NUMBER[1:-1] + r")分，最多扣(?P<most>" + NUMBER[1:-1] + r")分。?$"), _below_share,
           "企业、居民等社会筹资占改造项目资金比例20%及以上的（5分），未达到目标的，每低四个百分点扣1分，最多扣5分。",
           "一项百分数数据，低于目标每低 s 个百分点扣 a 分（deduction + below_target）"),
    Phrase("single_bonus", re.compile(r"^(?P<label>[^，；;]+?)的?加(?P<value>" + NUMBER[1:-1] + r")分。?$"), _single_bonus,
           "创新做法被省级以上推广的加2分。", "一项是/否数据，是得 N 分（checklist）"),
)

#: 「；加分后总分不超过100分。」 closes a bonus criterion: it is the table's total_cap, not the indicator's rule
TOTAL_CAP = re.compile(r"[；;，,]?加分后总分不超过(\d+)分。?$")


_POINTS = re.compile(r"\(" + NUMBER + r"分\)")
_AT_ONCE = re.compile(r"^(?:对)?(?P<label>.+?)一次性扣除(?P<n>\d+(?:\.\d+)?)分。?$")


def match_criterion(criterion: str, key: str, points: Fraction) -> tuple[str, Rules] | None:
    """The rules a criterion compiles into: one phrasing for the whole, or (split at 。) one for each of its
    sentences, each worth the (N分) it names, together worth ``points``; None when any part is not read."""
    whole = match_phrase(criterion, key, points)
    if whole is not None:
        return whole[0].name, whole[1]
    segments = [segment + "。" for segment in TOTAL_CAP.sub("", normalise(criterion)).split("。") if segment.strip("；， ")]
    if len(segments) < 2:
        return None
    names, parts, inputs, total = [], [], [], Fraction(0)
    for index, segment in enumerate(segments, 1):
        if segment.strip("；，。") == "否则扣减相应分数":   # said of the checklist before it: nothing more to score
            continue
        once = _AT_ONCE.match(segment)
        if once and parts and parts[-1].startswith(f'{{ kind = "deduction", points = {once.group("n")}, terms'):
            # 「对性质恶劣…的项目一次性扣除5分」: the deduction before it scores 0 when the fact is 是
            fact = Input(f"{key}_{index}", "是否存在" + _clean(once.group("label")), "yes_no")
            parts[-1] = parts[-1].replace(", terms", f', zero_if = "{fact.id}", terms', 1)
            inputs.append(fact)
            names.append("zero_if")
            continue
        worth = sum((Fraction(value) for value in _POINTS.findall(segment)), Fraction(0))
        found = match_phrase(segment, f"{key}_{index}", worth) if worth else None
        if found is None:
            return None
        names.append(found[0].name)
        parts += found[1].parts
        inputs += found[1].inputs
        total += worth
    return (" + ".join(names), Rules(tuple(parts), tuple(inputs), total)) if total == points else None


def match_phrase(criterion: str, key: str, points: Fraction) -> tuple[Phrase, Rules] | None:
    """The first phrasing that reads the whole criterion into rules worth ``points``."""
    text = TOTAL_CAP.sub("", normalise(criterion))
    for phrase in PHRASES:
        found = phrase.pattern.match(text)
        if found is None:
            continue
        rules = phrase.build(found, key, points)
        if rules is not None and rules.points == points:
            return phrase, rules
    return None
