"""Readable ids for what ``selfscore table new`` writes: English words for the Chinese terms of these tables.

There is no pinyin at hand, and pinyin would not read better to a developer anyway; the words come from a small
glossary (``GLOSSARY``) of the terms the annexes use — 资金 → funds, 到位率 → received, 开工 → starts,
满意度 → satisfaction, 违规 → violations …. A text is read left to right, the longest glossary term at each place
giving its word; characters no term covers are passed over, and a word repeated at once is kept once (违规违纪 →
violations). Of the words found an indicator's name keeps its first two and its last (a name's last word is its
head: 租赁补贴发放计划完成率 → rental_subsidy_completion), a fact's label its first three (是否建立预算执行、绩效监控机制
→ budget_execution_performance).

The same text always gives the same id (the glossary is fixed and nothing else is consulted), so a definition
generated twice from one annex is the same file. A text the glossary does not cover at all falls back to
``indicator_NN`` for an indicator and to its indicator's id for a fact; a clash with an id already given takes
``_2``, ``_3`` …. Every id is lowercase letters, digits and underscores, starting with a letter: a valid TOML bare
key, and a valid part of the Excel names (``in_…``, ``score_…``) the template gives its cells.
"""

from __future__ import annotations

import re

#: term → word; the longest term at a place wins, so 完成率 reads as completion before 完成 would
GLOSSARY: dict[str, str] = {
    # money
    "资金": "funds", "补助": "subsidy", "补贴": "subsidy", "筹集": "raising", "筹资": "raising", "分配": "allocation",
    "到位率": "received", "到位": "received", "支出率": "spent", "支出": "spent", "执行率": "execution", "执行": "execution",
    "使用": "use", "预算": "budget", "市县": "local", "财政": "fiscal", "安排": "arranged", "下达": "issued",
    "截留": "withholding", "挪用": "misuse", "社会": "social", "企业": "enterprise", "比例": "share", "占比": "share",
    "租金": "rent", "市场": "market", "审计": "audit",
    # management and rules
    "管理": "management", "制度": "rules", "办法": "rules", "机制": "mechanism", "健全": "sound", "规范": "regular",
    "规定时间": "on_time", "及时": "timely", "按时": "on_time", "针对性": "targeted", "监控": "monitoring",
    "绩效": "performance", "目标": "targets", "编制": "prepared", "评价": "evaluation", "自评": "self_assessment",
    "建设": "building", "档案": "archives", "台账": "ledger", "验收": "acceptance", "检查": "inspection",
    "整改": "rectification", "违规": "violations", "违纪": "violations", "违法": "violations", "问题": "problems",
    "政策": "policy", "信息": "information", "公开": "disclosure", "报告": "report", "报送": "submission",
    "逾期": "late", "天数": "days", "内容": "content", "完整性": "completeness", "完整": "complete",
    "性质恶劣": "severe", "重大": "major", "举报": "reports", "媒体": "media", "曝光": "exposure",
    # projects and output
    "项目": "project", "工程": "project", "开工": "starts", "建成": "completed", "竣工": "completed", "交付": "delivered",
    "完成率": "completion", "完成": "completion", "质量": "quality", "改造": "renovation", "拆迁": "relocation",
    "棚户区": "shantytown", "老旧小区": "old_communities", "小区": "communities", "楼栋": "buildings",
    "户数": "households", "面积": "area", "套数": "units", "房源": "units", "住房": "housing", "公租房": "public_rental",
    "租赁": "rental", "保障性": "affordable", "保障对象": "beneficiaries", "服务对象": "beneficiaries", "居民": "residents",
    "发放": "payment", "空置率": "vacancy", "空置": "vacancy", "水平": "level",
    # satisfaction, complaints, bonuses and penalties
    "满意度": "satisfaction", "投诉": "complaints", "信访": "petitions", "处置": "handling", "有效": "valid",
    "示范": "model", "表彰": "awards", "创新": "innovation", "做法": "practice", "推广": "adopted", "省级": "provincial",
    "安全": "safety", "事故": "incidents", "责任": "liability", "舆情": "public_opinion", "一般": "minor",
}
_LONGEST = max(len(term) for term in GLOSSARY)
_VALID = re.compile(r"[a-z][a-z0-9_]*")


def words_of(text: str) -> list[str]:
    """The glossary's words for ``text``, left to right, the longest term at each place; a word repeated at once kept once."""
    words: list[str] = []
    i = 0
    while i < len(text):
        for length in range(min(_LONGEST, len(text) - i), 0, -1):
            word = GLOSSARY.get(text[i:i + length])
            if word is not None:
                if not words or words[-1] != word:
                    words.append(word)
                i += length
                break
        else:
            i += 1
    return words


def indicator_words(name: str) -> list[str]:
    """An indicator's name in at most three words: its first two and its last (the head of the name)."""
    words = words_of(name)
    return words if len(words) <= 3 else [*words[:2], words[-1]]


def label_words(label: str) -> list[str]:
    """A fact's label in at most three words: its first three."""
    return words_of(label)[:3]


class Ids:
    """Hands out ids that are unique among those it has given."""

    def __init__(self) -> None:
        self.taken: set[str] = set()

    def give(self, words: list[str], fallback: str, suffix: str = "") -> str:
        base = "_".join(words) or fallback
        if suffix and not base.endswith(suffix):
            base = f"{base}_{suffix}"
        assert _VALID.fullmatch(base), base
        found, n = base, 1
        while found in self.taken:
            n += 1
            found = f"{base}_{n}"
        self.taken.add(found)
        return found
