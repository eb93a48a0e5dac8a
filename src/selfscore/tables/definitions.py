"""Table definitions: load and check the declarative files in ``schemas/``."""

from __future__ import annotations

import functools
import os
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from selfscore.tables.fields import DefinitionError, Fields
from selfscore.tables.inputs import InputDefinition, input_definition_from
from selfscore.tables.locate import key_lines, line_of
from selfscore.tables.numbers import fmt
from selfscore.tables.rules import Outcome, Part, Values, combine, parse_part
from selfscore.tables.steps import StepReading

__all__ = ["BrokenDefinition", "DefinitionError", "Sketch", "broken_definitions", "check_files", "unavailable", "Group",
           "Indicator", "TableDefinition", "Veto", "load_definition", "load_tables",
           "load_versions", "get_table", "get_table_version"]

#: what a group's indicators do to the total: score it, add to it (加分项) or take from it (扣分项)
GroupKind = Literal["score", "bonus", "penalty"]
GROUP_KINDS: tuple[GroupKind, ...] = ("score", "bonus", "penalty")
GROUP_KIND_NAMES: dict[str, str] = {"score": "得分", "bonus": "加分", "penalty": "扣分"}


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    group: str
    points: Fraction
    criterion: str
    parts: tuple[Part, ...]
    #: a bonus (加分项) or penalty (扣分项) indicator's score is what it adds to or takes from the total
    kind: GroupKind = "score"

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(input_id for part in self.parts for input_id in part.inputs))

    def depends_on_reading(self) -> bool:
        return any(getattr(part, "depends_on_reading", lambda: False)() for part in self.parts)

    def score(self, values: Values, steps: StepReading) -> Outcome:
        return combine([part.score(values, steps) for part in self.parts])


@dataclass(frozen=True)
class Group:
    name: str
    points: Fraction
    indicators: tuple[Indicator, ...]
    kind: GroupKind = "score"
    #: 「加分项合计最多加3分」: the most a bonus or penalty group adds or takes off, below its indicators' sum
    cap: Fraction | None = None

    def counted(self, scores: Mapping[str, Fraction]) -> tuple[Fraction, Fraction]:
        """The group's indicators' sum and what of it counts (no more than its cap)."""
        raw = sum((scores[indicator.id] for indicator in self.indicators), Fraction(0))
        return raw, raw if self.cap is None else min(raw, self.cap)


@dataclass(frozen=True)
class Veto:
    """A yes/no fact that, when 是, makes the table's total 0 (一票否决)."""

    input: InputDefinition
    criterion: str


@dataclass(frozen=True)
class TableDefinition:
    id: str
    template_version: int
    annex: str
    title: str
    short_title: str
    inputs: tuple[InputDefinition, ...]
    groups: tuple[Group, ...]
    source: str
    #: 「加分后总分不超过100分」: the most the total may reach with its bonuses; None: the maximum
    total_cap: Fraction | None = None
    vetoes: tuple[Veto, ...] = ()
    #: the evaluation years (评价年度) this version of the table applies to; None: open-ended
    first_year: int | None = None
    last_year: int | None = None

    @property
    def indicators(self) -> tuple[Indicator, ...]:
        return tuple(indicator for group in self.groups for indicator in group.indicators)

    @property
    def max_points(self) -> Fraction:
        """The table's full marks: the points of its scored groups (bonus and penalty groups are extra)."""
        return sum((group.points for group in self.groups if group.kind == "score"), Fraction(0))

    @property
    def cap(self) -> Fraction:
        """The most the total may reach (the maximum unless bonuses may lift it higher)."""
        return self.max_points if self.total_cap is None else self.total_cap

    @property
    def adjusted(self) -> bool:
        """Whether the total is more than the plain sum: bonus or penalty groups, or a veto."""
        return bool(self.vetoes) or any(group.kind != "score" for group in self.groups)

    def total(self, scores: Mapping[str, Fraction], vetoed: bool = False) -> tuple[Fraction, str]:
        """The total of indicator scores (by id), and how it was reached when it is more than a sum.

        Bonuses are added and penalties taken off; the result is kept within [0, cap]
        (「加分后总分不超过100分」) and is 0 under a veto.
        """
        sums = {kind: Fraction(0) for kind in GROUP_KINDS}
        capped = []
        for group in self.groups:
            raw, counted = group.counted(scores)
            sums[group.kind] += counted
            if counted < raw:
                verb = "加" if group.kind == "bonus" else "扣"
                capped.append(f"{group.name}合计 {fmt(raw)} 分，最多{verb} {fmt(group.cap)} 分")  # type: ignore[arg-type]
        if vetoed:
            return Fraction(0), "一票否决，总分为 0"
        if not self.adjusted:
            return sums["score"], ""
        raw = sums["score"] + sums["bonus"] - sums["penalty"]
        total = min(max(raw, Fraction(0)), self.cap)
        text = "".join(f"{note}；" for note in capped) + f"得分项 {fmt(sums['score'])}"
        if any(group.kind == "bonus" for group in self.groups):
            text += f" + 加分 {fmt(sums['bonus'])}"
        if any(group.kind == "penalty" for group in self.groups):
            text += f" − 扣分 {fmt(sums['penalty'])}"
        text += f" = {fmt(raw)}"
        if raw > self.cap:
            text += f"，加分后总分不超过 {fmt(self.cap)} 分，计 {fmt(total)} 分"
        elif raw < 0:
            text += "，总分不低于 0 分，计 0 分"
        return total, text

    def covers(self, year: int) -> bool:
        return (self.first_year is None or year >= self.first_year) and (self.last_year is None or year <= self.last_year)

    @property
    def years_text(self) -> str:
        """The evaluation years of this version, as a clerk reads them: 2019～2020 年, 2021 年及以后."""
        if self.first_year is None and self.last_year is None:
            return "各年度"
        if self.first_year is None:
            return f"{self.last_year}年及以前"
        if self.last_year is None:
            return f"{self.first_year}年及以后"
        return f"{self.first_year}年" if self.first_year == self.last_year else f"{self.first_year}～{self.last_year}年"

    @functools.cached_property
    def inputs_by_id(self) -> dict[str, InputDefinition]:
        return {definition.id: definition for definition in self.inputs}

    @functools.cached_property
    def indicators_by_id(self) -> dict[str, Indicator]:
        return {indicator.id: indicator for indicator in self.indicators}

    @property
    def file_name(self) -> str:
        """The blank template's file name, as a clerk sees it in a download (with its years when it declares them)."""
        if self.first_year is None and self.last_year is None:
            return f"{self.short_title}绩效自评表.xlsx"
        return f"{self.short_title}绩效自评表（{self.years_text}适用）.xlsx"

    def users_of(self, input_id: str) -> tuple[Indicator, ...]:
        return tuple(indicator for indicator in self.indicators if input_id in indicator.inputs)


def load_definition(path: Path) -> TableDefinition:
    """Read one definition file; every mistake in it is a DefinitionError naming file, line, key path and fix."""
    where = path.name
    raw = path.read_bytes()
    try:
        # utf-8-sig: Windows Notepad saves UTF-8 with a byte-order mark, which TOML itself does not allow
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        encoding = "GBK 等" if _is_gbk(raw) else "其他"
        raise DefinitionError(where, f"文件不是 UTF-8 编码（第 {error.start} 个字节读不出，像是{encoding}编码）；"
                                     f"请用 UTF-8 编码另存（记事本：另存为 → 编码选 UTF-8）").located(where, line) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line, column = _toml_position(error)
        raise DefinitionError(where, f"不是有效的 TOML（第 {column} 列附近：{_toml_reason(error)}）；"
                                     f"常见原因：文字没有加英文引号、引号或括号没有配对、用了中文标点（＝，“”）"
                              ).located(where, line) from None
    try:
        return _definition(data, path, where)
    except DefinitionError as error:
        raise error.located(where, line_of(key_lines(text), error.located(where, None).key)) from None
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, ArithmeticError) as error:
        # a shape no check foresaw: still named, never a traceback
        raise DefinitionError(where, f"有一处写法无法读取（{type(error).__name__}：{error}）；"
                                     f"请对照「表格定义」文档检查各键的写法").located(where, None) from None


def _is_gbk(raw: bytes) -> bool:
    try:
        raw.decode("gbk")
    except UnicodeDecodeError:
        return False
    return True


def _toml_position(error: tomllib.TOMLDecodeError) -> tuple[int | None, int | None]:
    found = re.search(r"line (\d+), column (\d+)", str(error))
    return (int(found.group(1)), int(found.group(2))) if found else (None, None)


#: tomllib's reasons, in the words a clerk reads
_TOML_REASONS = {
    "Invalid value": "值写得不对（文字要加英文引号）",
    "Expected '=' after a key in a key/value pair": "键后面缺少 =",
    "Invalid statement": "这一行不是「键 = 值」",
    "Unterminated string": "引号没有配对",
    "Cannot overwrite a value": "同一个键写了两次",
    "Cannot declare": "同一个表写了两次",
    "Unclosed array": "方括号没有配对",
    "Unclosed inline table": "花括号没有配对",
    "Expected newline or end of document after a statement": "一行只能写一个「键 = 值」",
    "Invalid initial character for a key part": "键里有不允许的字符",
}


def _toml_reason(error: tomllib.TOMLDecodeError) -> str:
    message = str(error)
    reason = next((chinese for english, chinese in _TOML_REASONS.items() if message.startswith(english)), None)
    return reason or re.sub(r"\s*\(at line \d+, column \d+\)", "", message)


def _definition(data: dict[str, object], path: Path, where: str) -> TableDefinition:
    fields = Fields(data, where)
    table_id = fields.text("id")
    # Several versions of one table live side by side as <id>.toml, <id>.<anything>.toml (e.g. shantytown.2019.toml).
    if path.stem != table_id and not path.stem.startswith(f"{table_id}."):
        raise DefinitionError(f"{where}.id", f"'{table_id}' 须与文件名 '{path.stem}' 相同"
                                             f"（或把文件命名为 '{table_id}.<版本>.toml'）")

    inputs: dict[str, InputDefinition] = {}
    for index, raw in enumerate(fields.items("inputs", [])):
        definition = input_definition_from(raw, f"{where}.inputs[{index}]")
        if definition.id in inputs:
            raise DefinitionError(f"{where}.inputs[{index}].id", f"'{definition.id}' 定义了两次；每项数据须有自己的 id")
        inputs[definition.id] = definition
    for index, definition in enumerate(inputs.values()):
        for key in ("at_most", "yes_requires"):
            other = getattr(definition, key)
            if other is not None and other not in inputs:
                raise DefinitionError(f"{where}.inputs[{index}].{key}", f"数据 '{definition.id}' 的 {key} 指向的 '{other}' 不存在；"
                                                                        f"请在 [[inputs]] 中声明它，或改正 id")

    groups = _groups(fields, where, inputs)
    declared_max = fields.number("max_points", None)
    total_cap = fields.number("total_cap", None)
    table = TableDefinition(
        id=table_id,
        template_version=fields.integer("template_version"),
        annex=fields.text("annex"),
        title=fields.text("title"),
        short_title=fields.text("short_title"),
        inputs=tuple(inputs.values()),
        groups=groups,
        source=str(path),
        total_cap=None if total_cap is None else Fraction(total_cap),
        vetoes=_vetoes(fields, where, inputs),
        first_year=fields.integer("first_year", None),
        last_year=fields.integer("last_year", None),
    )
    fields.done()
    _check_table(table, where, declared_max)
    return table


#: criterion words that fix a rule's step reading to ``exact``
_PROPORTIONAL = re.compile(r"按比例(扣分|扣减|计分|计算|得分)")


def _groups(fields: Fields, where: str, inputs: dict[str, InputDefinition]) -> tuple[Group, ...]:
    groups = []
    seen: dict[str, str] = {}
    for group_index, raw_group in enumerate(fields.items("groups")):
        group_where = f"{where}.groups[{group_index}]"
        group_fields = Fields(raw_group, group_where)
        group_name = group_fields.text("name")
        group_points = Fraction(group_fields.number("points"))
        kind: GroupKind = group_fields.choice("kind", GROUP_KINDS) if group_fields.has("kind") else "score"  # type: ignore[assignment]
        cap = group_fields.number("cap", None)
        indicators = []
        for index, raw in enumerate(group_fields.items("indicators")):
            indicator_where = f"{group_where}.indicators[{index}]"
            indicator_fields = Fields(raw, indicator_where)
            indicator_id = indicator_fields.text("id")
            if indicator_id in seen:
                raise DefinitionError(f"{indicator_where}.id", f"'{indicator_id}' 定义了两次（另一处在 {seen[indicator_id]}）；"
                                                               f"每个指标须有自己的 id")
            seen[indicator_id] = indicator_where
            indicator = Indicator(
                id=indicator_id,
                name=indicator_fields.text("name"),
                group=group_name,
                points=Fraction(indicator_fields.number("points")),
                criterion=indicator_fields.text("criterion"),
                parts=tuple(
                    parse_part(part, f"{indicator_where}.parts[{part_index}]", inputs)
                    for part_index, part in enumerate(indicator_fields.items("parts"))
                ),
                kind=kind,
            )
            indicator_fields.done()
            if _PROPORTIONAL.search(indicator.criterion) and indicator.depends_on_reading():
                # 「按比例扣分」 fixes the reading: left to --steps, a ceil run would score it against its own criterion
                raise DefinitionError(
                    f"{indicator_where}.criterion",
                    "评分标准写的是「按比例扣分」，但规则按 --steps 选的口径数档；"
                    "请在每条数档的扣分项上加 steps = \"exact\"（或评分标准指明的口径）")
            parts_total = sum((part.max_points for part in indicator.parts), Fraction(0))
            if parts_total != indicator.points:
                raise DefinitionError(
                    indicator_where,
                    f"各部分（parts）合计 {fmt(parts_total)} 分，但指标的分值（points）是 {fmt(indicator.points)} 分；"
                    f"请让 points 等于各部分之和")
            indicators.append(indicator)
        group_fields.done()
        indicators_total = sum((indicator.points for indicator in indicators), Fraction(0))
        if indicators_total != group_points:
            hint = "" if kind == "score" else (
                f"；评分标准规定这一组合计最多{'加' if kind == 'bonus' else '扣'}几分时，points 仍写各指标之和，另写 cap = 几分")
            raise DefinitionError(
                group_where,
                f"各指标合计 {fmt(indicators_total)} 分，但这一组的分值（points）是 {fmt(group_points)} 分；"
                f"请让这一组的 points 等于其指标之和{hint}")
        if cap is not None and kind == "score":
            raise DefinitionError(f"{group_where}.cap", "只有加分组（kind = \"bonus\"）和扣分组（kind = \"penalty\"）可以写 cap；"
                                                        "得分组的分值就是它的满分")
        if cap is not None and not 0 < cap < group_points:
            raise DefinitionError(f"{group_where}.cap", f"{fmt(Fraction(cap))} 应大于 0、小于这一组各指标之和 {fmt(group_points)}"
                                                        f"（「加分项合计最多加3分」即 cap = 3）；不封顶时删去 cap")
        groups.append(Group(group_name, group_points, tuple(indicators), kind, None if cap is None else Fraction(cap)))
    return tuple(groups)


def _vetoes(fields: Fields, where: str, inputs: dict[str, InputDefinition]) -> tuple[Veto, ...]:
    vetoes = []
    for index, raw in enumerate(fields.items("vetoes", [])):
        veto_fields = Fields(raw, f"{where}.vetoes[{index}]")
        input_id = veto_fields.text("input")
        if input_id not in inputs or inputs[input_id].type != "yes_no":
            raise DefinitionError(f"{veto_fields.where}.input", f"'{input_id}' 不是是/否（yes_no）数据；一票否决以「是/否」回答，"
                                                                 f"请在 [[inputs]] 中把它声明为 type = \"yes_no\"")
        vetoes.append(Veto(inputs[input_id], veto_fields.text("criterion")))
        veto_fields.done()
    return tuple(vetoes)


def _fold(text: str) -> str:
    """A label as the label reader compares it: full-width forms, spaces and punctuation do not count."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in folded if not (ch.isspace() or unicodedata.category(ch).startswith("P")))


def _check_table(table: TableDefinition, where: str, declared_max: object) -> None:
    """What the reader and the scorer rely on, checked once when the table is loaded."""
    if not any(group.kind == "score" for group in table.groups):
        raise DefinitionError(f"{where}.groups", "表格至少要有一组得分项（kind = \"score\"，不写即是）")
    if declared_max is not None and Fraction(declared_max) != table.max_points:  # type: ignore[arg-type]
        scored = " + ".join(f"{group.name} {fmt(group.points)}" for group in table.groups if group.kind == "score")
        raise DefinitionError(f"{where}.max_points", f"各得分组合计 {fmt(table.max_points)} 分（{scored}），"  # type: ignore[arg-type]
                                                     f"不是 {fmt(Fraction(declared_max))} 分；请改正某组的 points 或 max_points")
    bonus = next((index for index, group in enumerate(table.groups) if group.kind == "bonus"), None)
    if table.total_cap is None and bonus is not None:
        # named at the bonus group, which has a line: total_cap itself is what is missing
        most = fmt(table.max_points)
        raise DefinitionError(f"{where}.groups[{bonus}]", f"有加分组的表格须在文件顶部写明加分后总分的上限 total_cap："
                                                          f"「加分后总分不超过{most}分」即 total_cap = {most}；允许超过满分时写更大的数")
    if table.total_cap is not None and table.total_cap < table.max_points:
        raise DefinitionError(f"{where}.total_cap", f"{fmt(table.total_cap)} 低于表格满分 {fmt(table.max_points)}；"
                                                    f"total_cap 限制的是加分后的总分（「加分后总分不超过100分」即 total_cap = 100）")
    if table.first_year is not None and table.last_year is not None and table.first_year > table.last_year:
        raise DefinitionError(f"{where}.first_year", f"{table.first_year} 晚于 last_year {table.last_year}；请对调两者")
    # A fact is found by its label when the defined names are lost; a label that equals an indicator's
    # name or another fact's label would then be two places for one thing (layout_input_ambiguous).
    names = {_fold(indicator.name): f"指标 '{indicator.id}' " for indicator in table.indicators}
    for index, definition in enumerate(table.inputs):
        folded = _fold(definition.label)
        if folded in names:
            raise DefinitionError(
                f"{where}.inputs[{index}].label",
                f"'{definition.label}' 与{names[folded]}同名；按标签读表时无法区分两者——请换个说法（例如写明所计的事项或单位）")
        names[folded] = f"数据 '{table.inputs[index].id}' "
    used = {input_id for indicator in table.indicators for input_id in indicator.inputs}
    used |= {d.yes_requires for d in table.inputs if d.yes_requires}
    used |= {veto.input.id for veto in table.vetoes}
    unused = [(index, d.id) for index, d in enumerate(table.inputs) if d.id not in used]
    if unused:
        index, _ = unused[0]
        raise DefinitionError(f"{where}.inputs[{index}]", f"没有任何指标用到的数据：{', '.join(i for _, i in unused)}；"
                                                          f"请在规则中用到它们，或删去")


def _located(error: DefinitionError, table: TableDefinition) -> DefinitionError:
    """A mistake found across versions, named with its line in the newer file."""
    path = Path(table.source)
    key = error.located(path.name, None).key
    return error.located(path.name, line_of(key_lines(path.read_text(encoding="utf-8-sig")), key))


def _annex_number(annex: str) -> tuple[int, str]:
    """附件2 before 附件10: by the number in the annex, then as text."""
    number = re.search(r"\d+", unicodedata.normalize("NFKC", annex))
    return (int(number.group()) if number else 1 << 30, annex)


def schemas_dir() -> Path:
    """Where the definitions live: $SELFSCORE_SCHEMAS, the installed package, or the checkout."""
    override = os.environ.get("SELFSCORE_SCHEMAS")
    if override:
        return Path(override)
    return _package_schemas()


@functools.cache
def _package_schemas() -> Path:
    """The definitions installed with the package or in the checkout, looked up once (every check asks)."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "schemas"  # put there by the wheel build
    # An editable install runs from src/selfscore: the definitions are at the top of the checkout.
    return packaged if packaged.is_dir() else package.parent.parent / "schemas"


@dataclass(frozen=True)
class Sketch:
    """What a broken definition file still says, read as leniently as possible: enough to recognise a workbook of its
    table by the version its meta sheet records, by the 评价年度, or by the words of its title and indicators."""

    table_id: str
    template_version: int | None = None
    title: str = ""
    short_title: str = ""
    indicator_names: tuple[str, ...] = ()
    first_year: int | None = None
    last_year: int | None = None

    def covers(self, year: int) -> bool:
        return (self.first_year is not None or self.last_year is not None) and \
            (self.first_year is None or year >= self.first_year) and (self.last_year is None or year <= self.last_year)


@dataclass(frozen=True)
class BrokenDefinition:
    """A definition file with a mistake: its table (or that version of it) is unavailable (不可用), the others work."""

    #: the file's name (shantytown.toml)
    file: str
    #: the table id it declares, or the file name's first word when even that cannot be read
    table_id: str
    error: DefinitionError
    #: what the file still says, for recognising its workbooks
    sketch: Sketch | None = None

    @property
    def cause(self) -> str:
        return str(self.error)

    @property
    def template_version(self) -> int | None:
        return self.sketch.template_version if self.sketch else None


#: ``key = "text"`` or ``key = 12`` on a line of its own, and the ``[[…]]`` headers: what a file that is not valid
#: TOML is still read for
_LINE = re.compile(r'^\s*(id|title|short_title|name|template_version|first_year|last_year)\s*=\s*(?:"([^"]*)"|(\d+))')
_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z_.]+)\s*\]\]?")


def _sketch(path: Path) -> Sketch:
    """A broken file's id, version, years, title and indicator names: from its TOML when that parses, else line by line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        text = path.read_bytes().decode("gbk", errors="replace")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        data = None
    found: dict[str, object] = {}
    names: list[str] = []
    if isinstance(data, dict):
        found = dict(data)
        groups = data.get("groups") if isinstance(data.get("groups"), list) else []
        for group in groups:
            for indicator in (group.get("indicators") or []) if isinstance(group, dict) else []:
                if isinstance(indicator, dict) and isinstance(indicator.get("name"), str):
                    names.append(indicator["name"])
    else:
        header = ""
        for line in text.splitlines():
            heading = _HEADER.match(line)
            if heading:
                header = heading.group(1)
                continue
            pair = _LINE.match(line)
            if pair is None:
                continue
            key, value = pair.group(1), pair.group(2) if pair.group(2) is not None else int(pair.group(3))
            if key == "name" and header == "groups.indicators":
                names.append(str(value))
            elif not header:
                found.setdefault(key, value)

    def text_of(key: str) -> str:
        value = found.get(key)
        return value.strip() if isinstance(value, str) else ""

    def number_of(key: str) -> int | None:
        value = found.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Sketch(text_of("id") or path.name.split(".")[0], number_of("template_version"), text_of("title"),
                  text_of("short_title"), tuple(names), number_of("first_year"), number_of("last_year"))


@functools.cache
def _load_all(directory: Path) -> tuple[dict[str, tuple[TableDefinition, ...]], tuple[BrokenDefinition, ...]]:
    """Every version of every table in a directory (oldest template version first), and the files that are broken.

    A mistake in one file disables that file's table only: the others load and work.
    """
    files = sorted(directory.glob("*.toml"))
    if not files:
        raise DefinitionError(str(directory), "这里没有表格定义文件（*.toml）")
    versions: dict[str, list[TableDefinition]] = {}
    broken: list[BrokenDefinition] = []
    for path in files:
        try:
            table = load_definition(path)
        except DefinitionError as error:
            sketch = _sketch(path)
            broken.append(BrokenDefinition(path.name, sketch.table_id, error, sketch))
            continue
        versions.setdefault(table.id, []).append(table)
    for table_id, found in versions.items():
        found.sort(key=lambda table: table.template_version)
        kept = [found[0]]
        for newer in found[1:]:
            older = kept[-1]
            try:
                _check_versions(table_id, older, newer)
            except DefinitionError as error:
                broken.append(BrokenDefinition(Path(newer.source).name, table_id, error, _sketch(Path(newer.source))))
                continue
            kept.append(newer)
        found[:] = kept
    # Keep the annex order (附件1, 附件2, …, 附件10) so lists read like the source document.
    ordered = sorted(versions.items(), key=lambda item: (_annex_number(item[1][-1].annex), item[0]))
    return {table_id: tuple(found) for table_id, found in ordered}, tuple(broken)


def _check_versions(table_id: str, older: TableDefinition, newer: TableDefinition) -> None:
    if older.template_version == newer.template_version:
        raise _located(DefinitionError(
            f"{Path(newer.source).name}.template_version",
            f"{Path(older.source).name} 也是 '{table_id}' 的第 {older.template_version} 版；每个版本须有自己的编号"), newer)
    if older.last_year is None or newer.first_year is None or older.last_year >= newer.first_year:
        raise _located(DefinitionError(
            f"{Path(newer.source).name}.first_year",
            f"'{table_id}' 的第 {older.template_version} 版和第 {newer.template_version} 版有重叠的适用年度；"
            f"请给旧版写 last_year，给这一版写更晚的 first_year"), newer)


def check_files(paths: list[Path]) -> tuple[list[TableDefinition], list[DefinitionError]]:
    """Load each file on its own and check the versions of one table against each other (``selfscore table check``).

    Returns the tables that load and every mistake found, each naming its file, line and key path.
    """
    tables: list[TableDefinition] = []
    errors: list[DefinitionError] = []
    for path in paths:
        try:
            tables.append(load_definition(path))
        except DefinitionError as error:
            errors.append(error)
    by_id: dict[str, list[TableDefinition]] = {}
    for table in tables:
        by_id.setdefault(table.id, []).append(table)
    for table_id, found in by_id.items():
        found.sort(key=lambda table: table.template_version)
        for older, newer in zip(found, found[1:], strict=False):
            try:
                _check_versions(table_id, older, newer)
            except DefinitionError as error:
                errors.append(error)
    return tables, errors


def broken_definitions(directory: Path | None = None) -> tuple[BrokenDefinition, ...]:
    """The definition files that could not be loaded, each with its mistake."""
    return _load_all(_resolved(directory or schemas_dir()))[1]


def unavailable(table_id: str, directory: Path | None = None, *, template_version: int | None = None,
                year: int | None = None) -> BrokenDefinition | None:
    """Why a table that has a definition file cannot be used, or None (known and working, or never defined).

    With ``template_version``: why that version of it cannot (a workbook made from an old version whose file is now
    broken); with ``year``: why the version declared for that 评价年度 cannot."""
    for broken in broken_definitions(directory):
        if broken.table_id != table_id:
            continue
        if template_version is not None and broken.template_version != template_version:
            continue
        if year is not None and not (broken.sketch and broken.sketch.covers(year)):
            continue
        return broken
    return None


def load_versions(directory: Path | None = None) -> dict[str, tuple[TableDefinition, ...]]:
    """Every version of every table, oldest first; the last is the current one."""
    return _load_all(_resolved(directory or schemas_dir()))[0]


@functools.lru_cache(maxsize=64)
def _resolved(directory: Path) -> Path:
    """A definitions directory's real path, the key its definitions are loaded and kept under."""
    return directory.resolve()


def load_tables(directory: Path | None = None) -> dict[str, TableDefinition]:
    """The current (highest) version of every table, in annex order."""
    return {table_id: found[-1] for table_id, found in load_versions(directory).items()}


def get_table(table_id: str) -> TableDefinition:
    tables = load_tables()
    if table_id not in tables:
        raise KeyError(table_id)
    return tables[table_id]


def get_table_version(table_id: str, template_version: int) -> TableDefinition | None:
    """The version of a table a template was made from, if it is still among the definitions."""
    return next((table for table in load_versions().get(table_id, ()) if table.template_version == template_version), None)


def version_for_year(table_id: str, year: int) -> TableDefinition | None:
    """The version of a table whose evaluation years cover ``year``."""
    return next((table for table in load_versions().get(table_id, ()) if table.covers(year)), None)
