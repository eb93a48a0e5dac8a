"""The finding catalogue: every code selfscore can report, its severity and its Chinese message."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_NAMES: dict[str, str] = {"error": "错误", "warning": "提醒", "info": "说明"}


@dataclass(frozen=True)
class FindingKind:
    code: str
    severity: Severity
    title: str
    template: str


#: how every refusal of a whole file begins, so a clerk sees at once that nothing in it was checked
_CANNOT_OPEN = "文件无法作为 Excel 工作簿（.xlsx）打开："

_KINDS = [
    # The file as a whole
    FindingKind("not_a_workbook", "error", "无法打开",
                "文件无法作为 Excel 工作簿（.xlsx）打开：{reason}。请上传用本工具模板填写并以 .xlsx 格式保存的文件。"),
    FindingKind("file_empty", "error", "空文件",
                _CANNOT_OPEN + "文件是空的（0 字节），可能上传或复制时中断；"
                "请用 Excel/WPS 打开原文件确认内容，重新保存为 .xlsx 后再上传。"),
    FindingKind("file_damaged", "error", "文件已损坏",
                _CANNOT_OPEN + "文件已损坏或不完整（可能下载、复制或上传时中断）；"
                "请用 Excel/WPS 打开原文件确认无误，重新保存为 .xlsx 后再上传。"),
    FindingKind("file_unknown", "error", "无法识别的文件",
                _CANNOT_OPEN + "文件不是 .xlsx 格式，也无法识别是什么文件；请上传用本工具模板填写并保存为 .xlsx 的文件。"),
    FindingKind("file_encrypted", "error", "文件有密码保护",
                _CANNOT_OPEN + "文件设置了打开密码（已加密），无法读取其内容；请取消密码保护后另存为 .xlsx 再上传"
                "（Excel：文件→信息→保护工作簿→用密码进行加密，清空密码；WPS：文件→文档加密→密码加密，清空密码）。"),
    FindingKind("file_legacy", "error", "旧格式工作簿",
                _CANNOT_OPEN + "文件是{format}，本工具只读取 .xlsx 格式；请在 Excel/WPS 中另存为 .xlsx（Excel 工作簿）后再上传。"),
    FindingKind("file_pdf", "error", "PDF 文件",
                _CANNOT_OPEN + "文件不是 .xlsx 格式，而是 PDF 文档；请上传用模板填写的 .xlsx 文件本身，而不是打印或导出的 PDF。"),
    FindingKind("file_text", "error", "文本文件",
                _CANNOT_OPEN + "文件不是 .xlsx 格式，而是文本文件（如 CSV 或 TXT，可能只是改了扩展名）；"
                "请在本工具的模板中填写，保存为 .xlsx 后再上传。"),
    FindingKind("file_other_zip", "error", "不是工作簿",
                _CANNOT_OPEN + "文件不是 .xlsx 格式，而是{format}；{advice}"),
    FindingKind("file_other_ole", "error", "不是工作簿",
                _CANNOT_OPEN + "文件不是 .xlsx 格式，而是{format}；请上传用模板填写的 .xlsx 文件。"),
    FindingKind("file_other_format", "error", "其他格式的文件",
                _CANNOT_OPEN + "文件不是 .xlsx 格式，而是{format}，本工具不能直接读取；{advice}"),
    FindingKind("file_too_large", "error", "文件过大",
                "文件大小 {size}，超过上限 {limit}（自评表通常不足 1 MB）；请删除多余的工作表和图片，另存为 .xlsx 后再上传。"),
    FindingKind("zip_too_many_members", "error", "文件结构异常",
                "文件内部包含 {count} 个部件，超过上限 {limit}，疑似异常或恶意构造的文件，已拒绝读取；请用本工具的模板重新填写。"),
    FindingKind("zip_member_too_large", "error", "文件解压后过大",
                "文件内部部件「{member}」解压后为 {size}，超过上限 {limit}，已拒绝读取；请删除多余内容后另存为 .xlsx 再上传。"),
    FindingKind("zip_too_large", "error", "文件解压后过大",
                "文件解压后共 {size}，超过上限 {limit}，已拒绝读取；请删除多余内容后另存为 .xlsx 再上传。"),
    FindingKind("zip_ratio_too_high", "error", "压缩比异常",
                "文件内部部件「{member}」的压缩比为 {ratio}:1，超过上限 {limit}:1，疑似“压缩炸弹”，已拒绝读取；请用本工具的模板重新填写。"),
    FindingKind("zip_too_many_strings", "error", "文本过多",
                "文件中共有 {count} 段文本，超过上限 {limit}，已拒绝读取；请删除多余内容后另存为 .xlsx 再上传。"),
    FindingKind("xml_dtd", "error", "不安全的文件内容",
                "文件内部部件「{member}」含有 DTD 或实体声明（Excel 从不生成这种内容），"
                "可能是恶意构造的文件（如“实体膨胀”攻击），已拒绝读取。"),
    FindingKind("xml_forbidden", "error", "不安全的文件内容",
                "文件含有不安全的 XML 结构（{reason}），可能是恶意构造的文件，已拒绝读取。"),
    FindingKind("sheet_too_large", "error", "工作表过大",
                "工作表「{sheet_name}」有 {count} {unit}，超过上限 {limit}，已拒绝读取；"
                "请删除多余的行、单元格或合并区域后另存为 .xlsx 再上传。"),
    FindingKind("workbook_too_large", "error", "工作簿过大",
                "工作簿共有 {count} 个单元格，超过上限 {limit}，已拒绝读取；"
                "请删除多余的工作表和内容后另存为 .xlsx 再上传。"),
    FindingKind("macros_not_kept", "warning", "宏未读取也未保留",
                "原文件是{format}：本工具只读取了单元格中的值，没有运行也没有保留其中的宏；标注副本另存为 .xlsx，不含宏。"
                "原文件未改动，请在原文件上修改后提交。"),
    FindingKind("content_not_preserved", "warning", "部分内容未保留",
                "图片等内容未能保留在标注副本中，原文件未改动（本文件含：{kinds}）。标注副本只用于查看校验结果，请在原文件上修改后提交。"),
    FindingKind("markup_failed", "warning", "未生成标注副本",
                "无法生成标注副本（{error}）；校验结果仍然有效。原文件未改动。"),
    FindingKind("not_a_template", "error", "不是自评表模板",
                "这不是 selfscore 自评表模板（{reason}）。请下载本工具的模板（selfscore template）填写后再校验。"),
    FindingKind("unknown_table", "error", "未知表格",
                "工作簿标注的表格「{table}」不在本工具支持的范围内；支持的表格：{known}。"),
    FindingKind("table_unavailable", "error", "表格暂不可用",
                "工作簿是「{table}」表，但这张表的定义文件 {file} 有误，暂时无法校验（其他表格不受影响）：{cause}。"
                "请把这段说明转给维护人员，改正定义文件（可用 selfscore table check {file} 检查）后再校验。"),
    # The checker itself failed (an unexpected exception, a worker process that died): the one code for it, whatever
    # failed, so a clerk reads one sentence and a reviewer counts one code.
    FindingKind("check_failed", "error", "校验出错",
                "校验这个文件时程序出错（{reason}），未能完成校验；原文件未改动，其他文件不受影响。请把该文件发给技术支持。"),
    FindingKind("check_timeout", "error", "校验超时",
                "校验这个文件超过 {seconds} 秒仍未完成，已停止，未能给出结果；其他文件不受影响。"
                "文件可能过大或过于复杂：请删除多余的工作表和内容后重新上传，或把该文件发给技术支持。"),
    FindingKind("template_outdated", "warning", "模板版本不同",
                "工作簿使用的模板版本为 {found}，当前版本为 {current}；建议下载新模板重新填写。"),
    FindingKind("name_missing", "error", "填报单元格缺失",
                "找不到名称为「{name}」的单元格（{label}）；该项无法读取。请勿删除、剪切或移动模板中的填报单元格。"),
    FindingKind("name_broken", "error", "填报单元格缺失",
                "名称「{name}」（{label}）{reason}；该项无法读取。请勿删除、剪切或移动模板中的填报单元格，也不要给工作表改名。"),
    FindingKind("name_moved", "error", "填报单元格错位",
                "名称「{name}」本应指向「{label}」的填报格，但此格所在行{found}；可能插入、删除或移动过行。"
                "为避免把数值算到别的项目上，该项未读取。请勿增删行，或下载新模板重新填写。"),
    # One value as typed
    FindingKind("value_missing", "error", "未填写", "未填写；应填写{expected}。"),
    FindingKind("value_not_number", "error", "不是数字", "填写的「{value}」不是数字；应填写{expected}{unit_hint}。"),
    FindingKind("value_not_integer", "error", "不是整数", "填写的「{value}」不是整数；应填写{expected}。"),
    FindingKind("value_not_yes_no", "error", "不是是/否",
                "填写的「{value}」无法识别为「是」或「否」；应从下拉列表选择「是」或「否」。"),
    FindingKind("value_not_choice", "error", "不是可选项",
                "填写的「{value}」不是可选的一项；应从下拉列表选择{expected}。"),
    FindingKind("value_below_min", "error", "数值过小", "填写的 {value} 过小，超出允许范围；应填写{expected}。"),
    FindingKind("value_above_max", "error", "数值过大", "填写的 {value} 过大，超出允许范围；应填写{expected}。"),
    FindingKind("value_exceeds_input", "error", "数值超过关联项",
                "填写的 {value} 大于「{other}」（{other_cell}）的 {other_value}；本项不能超过「{other}」。"),
    FindingKind("yes_requires_count", "error", "与关联项矛盾",
                "填写了「是」，但「{other}」（{other_cell}）为 {other_value}；填「是」时「{other}」至少应为 1。"),
    FindingKind("value_error", "error", "错误值", "单元格显示错误值 {value}（多为公式出错）；应填写{expected}。"),
    FindingKind("formula_in_input", "warning", "填报单元格含公式",
                "该单元格是公式「{formula}」，已按其计算结果 {value} 读取；建议直接填写数值。"),
    FindingKind("formula_no_value", "error", "公式无计算结果",
                "该单元格是公式「{formula}」，文件中没有保存它的计算结果；请在 Excel 中重新计算并保存，或直接填写{expected}。"),
    FindingKind("value_normalised", "info", "已按规范读取", "填写的「{value}」按{normalised}读取（{how}）。"),
    FindingKind("unit_converted", "info", "已换算单位",
                "填写的「{value}」已换算为 {normalised}（{rate}）；本格的单位是{unit}，请核对换算结果。"),
    FindingKind("percent_assumed", "info", "按百分比理解",
                "填写的 {value} 按 {normalised}% 理解（不大于 1 的数视为小数形式的百分比）；如非此意，请直接填写百分数，如 85。"),
    FindingKind("percent_ambiguous", "warning", "百分比含义不明",
                "填写的 {value} 不带 % 且单元格不是百分比格式，可理解为 {as_fraction}%（小数形式，本工具按此计算）"
                "或 {as_percent}%，两种理解得分不同：{scores}。请确认后直接填写百分数，如 85 表示 85%。"),
    FindingKind("value_too_large", "error", "数值过大", "填写的 {value} 过大（绝对值应小于 10 的 15 次方）；应填写{expected}。"),
    FindingKind("value_too_long", "error", "内容过长",
                "填写的内容长达 {length} 个字符（超过 {limit} 个字符）；应填写{expected}。"),
    FindingKind("year_invalid", "error", "年度无效", "填写的「{value}」不是有效的评价年度；应填写四位数年份，如 2020。"),
    # Self-scores
    FindingKind("score_missing", "error", "未填自评得分", "未填写自评得分；应填写 0～{max} 之间的分数。"),
    FindingKind("score_not_number", "error", "自评得分不是数字",
                "填写的「{value}」不是数字；应填写 0～{max} 之间的分数。"),
    FindingKind("score_out_of_range", "error", "自评得分超出分值",
                "自评得分 {value} 超出本项分值范围；应在 0～{max} 之间。"),
    FindingKind("score_mismatch", "error", "自评得分与计算不符",
                "自评得分 {value} 与按填报数据重新计算的 {recomputed} 分不符。计算过程：{explanation}"),
    FindingKind("rounding_reading", "warning", "扣分口径不同",
                "自评得分 {value} 与{chosen}计算的 {recomputed} 分不符，但与「{other}」口径的结果一致；"
                "请确认采用的扣分口径。计算过程：{explanation}"),
    FindingKind("score_review", "warning", "需人工判定",
                "评分标准对此情形未规定具体分值，按填报数据得分应在 {low}～{high} 分之间；自评得分 {value} 在此范围内，需人工确认。"),
    FindingKind("score_unknown", "warning", "无法重新计算",
                "「{indicator_name}」无法重新计算：所需的{inputs}有误或未填写{places}。"),
    FindingKind("total_mismatch", "error", "合计不等于各项之和",
                "合计 {value} 不等于各指标自评得分之和 {sum}。"),
    FindingKind("total_over_max", "error", "合计超过满分", "合计 {value} 超过满分 {max}。"),
    FindingKind("total_vetoed", "error", "一票否决",
                "「{label}」为「是」：{criterion}；合计应为 0，自评合计为 {value}。"),
    FindingKind("template_year_mismatch", "warning", "模板版本与评价年度不符",
                "本模板（模板版本 {version}）适用于{years}，而评价年度为 {year}；{year} 年度应使用模板版本 {right_version}"
                "（适用于{right_years}，「{right_file}」，命令 selfscore template {right_id}@{right_version}）。"
                "本次按本模板的评分标准计算。"),
    FindingKind("version_by_year", "info", "按评价年度选用评分标准",
                "工作簿没有记录模板版本，按评价年度 {year} 采用适用于{years}的评分标准（模板版本 {version}）。"),
    FindingKind("template_year_uncovered", "warning", "模板版本与评价年度不符",
                "本模板（模板版本 {version}）适用于{years}，而评价年度为 {year}；现有的模板版本都不适用于 {year} 年度"
                "（{known}），请向省级主管部门确认应使用的模板。本次按本模板的评分标准计算。"),
    # Layout recognition: a workbook without our defined names, read by its labels (issue 6)
    FindingKind("layout_recognised", "info", "按表头文字识别",
                "工作簿中没有本工具模板的名称标记，已按表头和文字识别为「{title}」：自评表在本表第 {first}～{last} 行，"
                "识别到 {found} 个指标{facts}。识别到的每个单元格列在「识别到的单元格」表中，请核对。"),
    FindingKind("layout_ambiguous", "error", "表格无法确定",
                "无法确定要校验的表格：{reason}。请只保留一张自评表，或下载本工具的模板（selfscore template）填写后再校验。"),
    FindingKind("layout_row_unmatched", "warning", "无法对应指标",
                "「{label}」无法对应到「{title}」的任何二级指标，该行未校验；如为指标，请按评分表填写指标名称。"),
    FindingKind("layout_row_ambiguous", "error", "指标名称不明确",
                "「{label}」与多个二级指标（{candidates}）同样接近，无法确定对应哪一项，该行未读取；请按评分表填写指标名称。"),
    FindingKind("layout_duplicate_row", "error", "指标重复",
                "「{label}」与第 {rows} 行都对应二级指标「{indicator_name}」，无法确定哪一行是该指标，均未读取；请删除重复的行。"),
    FindingKind("layout_indicator_missing", "error", "缺少指标",
                "表中找不到二级指标「{indicator_name}」（分值 {points}），无法检查其自评得分。"),
    FindingKind("layout_total_missing", "warning", "找不到合计行", "表中找不到「合计」行，无法检查合计。"),
    FindingKind("layout_input_missing", "error", "缺少基础数据",
                "基础数据中找不到「{label}」，依赖它的指标无法重新计算。"),
    FindingKind("layout_input_ambiguous", "error", "基础数据重复",
                "「{label}」在 {places} 出现多次，无法确定以哪一处为准，该项未读取；请只保留一处。"),
    FindingKind("points_mismatch", "error", "分值与评分表不符",
                "分值填写为「{value}」，但评分表规定为 {expected} 分；分值不能改动。"),
    FindingKind("facts_absent", "warning", "没有基础数据，无法重新计算",
                "工作簿中只有自评得分，没有基础数据（事实数据），无法重新计算各指标得分；本次只检查了：各项自评得分在 0～分值之间、"
                "分值与评分表一致、合计等于各项之和且不超过满分。"
                "要完整校验，请下载本工具的模板（selfscore template）填写基础数据后再校验。"),
    FindingKind("rebuilt_from_foreign_format", "info", "已生成新模板",
                "原文件为{format}格式，无法在原文件上直接标注；标注副本是按读取到的数值重新生成的模板，批注中写明了原文件中的位置。"),
]

CATALOGUE: dict[str, FindingKind] = {kind.code: kind for kind in _KINDS}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    sheet: str | None = None
    cell: str | None = None
    indicator: str | None = None
    input: str | None = None
    #: the value as the filler typed it, as text
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        return {key: data[key] for key in ("severity", "code", "sheet", "cell", "indicator", "input", "message", "value")}

    @property
    def place(self) -> str:
        return place(self.sheet, self.cell)


def place(sheet: str | None, cell: str | None) -> str:
    if sheet and cell:
        return f"「{sheet}」{cell}"
    return f"「{sheet}」" if sheet else ""


#: how much of a typed value a message echoes, and how much a finding keeps (a cell can hold 32 767 characters)
VALUE_ECHOED = 60
VALUE_KEPT = 1000


def _bounded(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…（共 {len(text)} 个字符）"


class _Params(dict):
    """Message parameters; an optional part (e.g. which unit a cell wants) is left out when not given."""

    def __missing__(self, key: str) -> str:
        if key in _OPTIONAL_PARAMS:
            return ""
        raise KeyError(key)


_OPTIONAL_PARAMS = ("unit_hint",)


def make_finding(
    code: str,
    *,
    sheet: str | None = None,
    cell: str | None = None,
    what: str | None = None,
    indicator: str | None = None,
    input: str | None = None,
    value: object = None,
    **params: object,
) -> Finding:
    """Build a finding from the catalogue; the message starts with the place and what lives there."""
    kind = CATALOGUE[code]
    text = None if value is None else str(value)
    shown = None if text is None else _bounded(text, VALUE_KEPT)
    body = kind.template.format_map(_Params(value=None if text is None else _bounded(text, VALUE_ECHOED), **params))
    where = place(sheet, cell)
    if what:
        where = f"{where}（{what}）" if where else what
    message = f"{where}：{body}" if where else body
    return Finding(code, kind.severity, message, sheet, cell, indicator, input, shown)
