"""Turn what a person typed into a cell into a typed value, saying what was assumed."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from selfscore.tables.inputs import InputDefinition

YES = {"是", "有", "√", "✓", "✔", "Y", "YES", "TRUE", "对"}
NO = {"否", "无", "没有", "×", "✗", "✘", "X", "N", "NO", "FALSE", "不是"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")
#: unit words a clerk may type after any score or count
_SCORE_UNITS = ("分",)


@dataclass
class Parsed:
    """A value read from a cell: ``value`` is None when nothing usable was there."""

    value: Decimal | bool | str | int | None
    error: str | None = None  # a finding code
    notes: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # (finding code, params)


def shown(raw: object) -> str:
    """The raw cell value as the filler would recognise it."""
    if isinstance(raw, dt.datetime):
        return raw.strftime("%Y-%m-%d %H:%M") if raw.time() != dt.time() else raw.strftime("%Y-%m-%d")
    if isinstance(raw, (dt.date, dt.time)):
        return raw.isoformat()
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


def _clean(text: str) -> str:
    # NFKC folds full-width digits, letters, % and commas (１２３，４５６％) to their ASCII forms.
    return unicodedata.normalize("NFKC", text).strip().replace(" ", "")


def _decimal_from_text(text: str, units: tuple[str, ...]) -> tuple[Decimal | None, list[str]]:
    """Read a number from text; returns the number and what was done to read it."""
    how: list[str] = []
    cleaned = _clean(text)
    if cleaned != text:
        if unicodedata.normalize("NFKC", text) != text:
            how.append("全角字符按半角读取")
        if text.strip().replace(" ", "") != text:
            how.append("去掉空格")
    for unit in sorted((u for u in units if u), key=len, reverse=True):
        if cleaned.endswith(unit) and len(cleaned) > len(unit):
            cleaned = cleaned[: -len(unit)]
            how.append(f"去掉单位「{unit}」")
            break
    if _GROUPED.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
        how.append("去掉千位分隔符")
    if not _NUMBER.fullmatch(cleaned):
        return None, how
    try:
        return Decimal(cleaned), how
    except InvalidOperation:
        return None, how


#: no fact or score comes near this; beyond it exact decimal formatting would need unbounded precision
LARGEST = Decimal(10) ** 15


def _number(raw: object, units: tuple[str, ...]) -> Parsed:
    parsed = _any_number(raw, units)
    if isinstance(parsed.value, Decimal) and abs(parsed.value) >= LARGEST:
        return Parsed(None, "value_too_large")
    return parsed


#: Excel shows and compares numbers to 15 significant digits
EXCEL_DIGITS = 15


def excel_decimal(number: float) -> Decimal:
    """A binary float as the decimal Excel shows and compares: 15 significant digits.

    A cell computed by Excel (=SUM(...)) can hold 247.49999999999997 where Excel shows 247.5, and
    0.7999999999999999 for 80 %: read as the decimal the filler sees, float noise costs no point.
    """
    return Decimal(format(number, f".{EXCEL_DIGITS}g"))


def _any_number(raw: object, units: tuple[str, ...]) -> Parsed:
    if isinstance(raw, bool) or isinstance(raw, (dt.date, dt.time, dt.timedelta)):
        return Parsed(None, "value_not_number")
    if isinstance(raw, int):
        return Parsed(Decimal(raw))
    if isinstance(raw, float):
        return Parsed(excel_decimal(raw)) if math.isfinite(raw) else Parsed(None, "value_not_number")
    if isinstance(raw, Decimal):
        return Parsed(raw)
    if isinstance(raw, str):
        value, how = _decimal_from_text(raw, units)
        if value is None:
            return Parsed(None, "value_not_number")
        parsed = Parsed(value)
        parsed.notes.append(("value_normalised", {"normalised": f" {format(value, 'f')} ", "how": "、".join(how or ["文本格式的数字"])}))
        return parsed
    return Parsed(None, "value_not_number")


def parse_input(raw: object, definition: InputDefinition, number_format: str = "General") -> Parsed:
    """Parse one fact cell for its definition; blank is ``None`` with no error (required-ness is validation's)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None)
    if definition.type == "yes_no":
        return _yes_no(raw)
    if definition.type == "choice":
        return _choice(raw, definition.options)
    units = (definition.unit, "%") if definition.type == "percent" else (definition.unit,)
    converted = _in_another_unit(raw, definition.unit)
    if converted is not None:
        return converted
    parsed = _number(raw, units)
    if parsed.value is None or definition.type != "percent":
        return parsed
    return _percent(raw, parsed, number_format)


def _percent(raw: object, parsed: Parsed, number_format: str) -> Parsed:
    value = parsed.value
    assert isinstance(value, Decimal)
    if isinstance(raw, (int, float)) and "%" in number_format:
        # The cell is formatted as a percentage: Excel stores 85% as 0.85, and the filler saw 85%.
        return Parsed(value * 100)
    if isinstance(raw, str) and "%" in _clean(raw):
        return parsed
    if 0 < value <= 1:
        percent = value * 100
        result = Parsed(percent)
        result.notes.append(("percent_assumed", {"normalised": format(percent.normalize(), "f")}))
        return result
    return parsed


def _yes_no(raw: object) -> Parsed:
    if isinstance(raw, bool):
        return Parsed(raw)
    if isinstance(raw, str):
        text = _clean(raw).upper()
        for answer, words in ((True, YES), (False, NO)):
            if text in words:
                parsed = Parsed(answer)
                if raw.strip() not in ("是", "否"):
                    parsed.notes.append(("value_normalised", {"normalised": "「是」" if answer else "「否」",
                                                              "how": "本工具把「有」「√」「Y」等读作「是」" if answer
                                                              else "本工具把「无」「×」「N」等读作「否」"}))
                return parsed
    return Parsed(None, "value_not_yes_no")


def _choice(raw: object, options: tuple[str, ...]) -> Parsed:
    """One of a graded item's words (健全 / 基本健全 / 不健全), typed or picked from the dropdown."""
    text = _clean(shown(raw))
    for option in options:
        if text == _clean(option):
            parsed = Parsed(option)
            if str(raw).strip() != option:
                parsed.notes.append(("value_normalised", {"normalised": f"「{option}」", "how": "去除空格或全角字符"}))
            return parsed
    return Parsed(None, "value_not_choice")


def parse_score(raw: object) -> Parsed:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None)
    parsed = _number(raw, _SCORE_UNITS)
    if parsed.error == "value_too_large":
        parsed.error = "score_out_of_range"
    elif parsed.error:
        parsed.error = "score_not_number"
    return parsed


def parse_year(raw: object) -> Parsed:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None)
    parsed = _number(raw, ("年", "年度"))
    value = parsed.value
    if not isinstance(value, Decimal) or value != value.to_integral_value() or not 1990 <= value <= 2100:
        return Parsed(None, "year_invalid")
    return Parsed(int(value))


def parse_text(raw: object) -> Parsed:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Parsed(None)
    return Parsed(shown(raw).strip())


#: units of one kind, each as a multiple of the kind's smallest (after NFKC: ㎡ and m² are both "m2")
UNIT_KINDS: tuple[dict[str, Decimal], ...] = (
    {"元": Decimal(1), "万元": Decimal(10) ** 4, "亿元": Decimal(10) ** 8, "亿": Decimal(10) ** 8},
    {"平方米": Decimal(1), "m2": Decimal(1), "万平方米": Decimal(10) ** 4, "万m2": Decimal(10) ** 4},
)


def _in_another_unit(raw: object, unit: str) -> Parsed | None:
    """「9.51亿元」 in a 万元 cell is 95100 万元: a value typed in another unit of the cell's kind, converted and said so.

    None when the text is not a number followed by such a unit (the ordinary reading then applies).
    """
    kind = next((kind for kind in UNIT_KINDS if unit in kind), None)
    if kind is None or not isinstance(raw, str):
        return None
    cleaned = _clean(raw)
    typed = next((other for other in sorted(kind, key=len, reverse=True) if cleaned.endswith(other)), None)
    if typed is None or kind[typed] == kind[unit]:
        return None
    number, _how = _decimal_from_text(cleaned[: -len(typed)], ())
    if number is None:
        return None
    value = number * kind[typed] / kind[unit]
    parsed = _number(format(value.normalize(), "f"), ())
    if parsed.value is None:
        return parsed
    parsed.notes = [("unit_converted", {"normalised": f"{format(value.normalize(), 'f')} {unit}",
                                         "rate": _rate(typed, unit, kind), "unit": unit})]
    return parsed


def _rate(typed: str, unit: str, kind: dict[str, Decimal]) -> str:
    """1 亿元 = 10000 万元, or 1 万元 = 10000 元: stated from the larger unit, as a person says it."""
    large, small = (typed, unit) if kind[typed] > kind[unit] else (unit, typed)
    show = {"m2": "平方米", "万m2": "万平方米", "亿": "亿元"}
    return f"1 {show.get(large, large)} = {format((kind[large] / kind[small]).normalize(), 'f')} {show.get(small, small)}"
