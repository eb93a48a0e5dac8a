"""`selfscore table check`: every mistake in a definition, in Chinese, with its file, line, key path and fix; exit 1."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from selfscore.cli import main

FIXTURES = Path(__file__).resolve().parent.parent / "orchestration" / "fixtures"


def _copy(tmp_path: Path, source: Path, old: str, new: str) -> Path:
    text = source.read_text(encoding="utf-8")
    assert old in text
    target = tmp_path / source.name
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return target


def _check(*paths: Path):
    return CliRunner().invoke(main, ["table", "check", *map(str, paths)])


@pytest.mark.parametrize(("source", "old", "new", "expected"), [
    # bands out of order: the line of the band, its key path, what was found and the fix
    ("affordable", "{ at_least = 80, points = 3 },", "{ at_least = 95, points = 3 },",
     "affordable_rental.toml 第 167 行 groups[0].indicators[2].parts[0].bands[1]：分档须从高到低排列，"
     "每档的门槛和分值都低于上一档（这里 90% → 5 分之后是 95% → 3 分）；请调整顺序或数值"),
    # points not adding up
    ("shantytown", "points = 35\ncriterion", "points = 30\ncriterion",
     "shantytown.toml 第 211 行 groups[2].indicators[0]：各部分（parts）合计 35 分，但指标的分值（points）是 30 分；"
     "请让 points 等于各部分之和"),
    # an unknown input
    ("shantytown", 'zero_if = "severe_violation"', 'zero_if = "severe_violations"',
     "shantytown.toml 第 176 行 groups[0].indicators[2].parts[1].zero_if：没有名为 'severe_violations' 的数据；"
     "请在 [[inputs]] 中声明它，或改正 id"),
    # a duplicated id
    ('shantytown', 'id = "subsidy_completion"', 'id = "starts_completion"',
     "shantytown.toml 第 223 行 groups[2].indicators[1].id：'starts_completion' 定义了两次"),
    # an unknown rule kind
    ("shantytown", 'kind = "checklist"', 'kind = "checklst"',
     "shantytown.toml 第 150 行 groups[0].indicators[0].parts[0].kind：未知的值 'checklst'，可选：checklist"),
    # bad TOML: tomllib's line and column, in words a clerk reads
    ("shantytown", 'title = "城镇', 'title = 城镇"', "shantytown.toml 第 5 行：不是有效的 TOML（第 9 列附近：值写得不对"),
    ("shantytown", 'short_title = "公租房保障和棚户区改造"', 'short_title ＝ "公租房保障和棚户区改造"',
     "shantytown.toml 第 6 行：不是有效的 TOML"),
])
def test_each_mistake_is_named_with_its_line_key_and_fix(tmp_path, repo, source, old, new, expected):
    path = (FIXTURES / "affordable_rental.toml") if source == "affordable" else repo / "schemas" / f"{source}.toml"
    result = _check(_copy(tmp_path, path, old, new))
    assert result.exit_code == 1
    assert expected in result.output
    assert "共发现 1 处问题" in result.output and "Traceback" not in result.output


def test_a_gbk_file_is_named_with_how_to_save_it(tmp_path, repo):
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    (tmp_path / "shantytown.toml").write_bytes(text.encode("gbk", errors="replace"))
    result = _check(tmp_path / "shantytown.toml")
    assert result.exit_code == 1
    # the first Chinese character is on line 1 (the comment)
    assert "shantytown.toml 第 1 行：文件不是 UTF-8 编码" in result.output and "像是GBK 等编码" in result.output
    assert "请用 UTF-8 编码另存" in result.output


def test_a_byte_order_mark_is_no_mistake(tmp_path, repo):
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    (tmp_path / "shantytown.toml").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = _check(tmp_path / "shantytown.toml")
    assert result.exit_code == 0, result.output
    assert "shantytown.toml：没有发现问题（附件1 公租房保障和棚户区改造，9 个指标" in result.output


def test_the_shipped_definitions_and_the_third_table_pass(repo):
    result = _check(repo / "schemas", FIXTURES / "affordable_rental.toml")
    assert result.exit_code == 0, result.output
    assert [line.split("：")[0] for line in result.output.splitlines()] == [
        "old_communities.toml", "shantytown.toml", "affordable_rental.toml"]


def test_every_file_is_checked_and_every_mistake_listed(tmp_path, repo):
    broken = tmp_path / "broken"
    broken.mkdir()
    _copy(broken, repo / "schemas" / "shantytown.toml", "max_points = 100", "max_points = 90")
    _copy(broken, repo / "schemas" / "old_communities.toml", 'template_version = 1', 'template_version = "1"')
    result = _check(broken)
    assert result.exit_code == 1
    assert "old_communities.toml 第 3 行 template_version：应为整数，实际是 '1'；请写成整数" in result.output
    assert "shantytown.toml 第 8 行 max_points：各得分组合计 100 分" in result.output
    assert "共发现 2 处问题" in result.output


def test_two_versions_that_overlap_are_named_in_the_newer_file(tmp_path, repo):
    text = (repo / "schemas" / "shantytown.toml").read_text(encoding="utf-8")
    (tmp_path / "shantytown.2020.toml").write_text(text, encoding="utf-8")
    (tmp_path / "shantytown.toml").write_text(text, encoding="utf-8")
    result = _check(tmp_path)
    assert result.exit_code == 1
    assert "第 3 行 template_version：shantytown.2020.toml 也是 'shantytown' 的第 1 版；每个版本须有自己的编号" in result.output


def test_a_value_of_the_wrong_shape_is_named(tmp_path, repo):
    shutil.copy(repo / "schemas" / "shantytown.toml", tmp_path / "shantytown.toml")
    path = _copy(tmp_path, tmp_path / "shantytown.toml", 'ratio = ["starts_actual", "starts_planned"]', 'ratio = "starts_actual"')
    result = _check(path)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "第 218 行 groups[2].indicators[0].parts[0].terms[0].ratio：应为列表" in result.output


def test_the_indicators_left_to_a_reviewer_are_listed(tmp_path, repo):
    path = _copy(tmp_path, repo / "schemas" / "shantytown.toml",
                 '{ kind = "checklist", items = [{ input = "local_funds_arranged", points = 10 }] }', '{ kind = "judged", points = 10 }')
    text = path.read_text(encoding="utf-8").replace(
        '[[inputs]]\nid = "local_funds_arranged"', '[[inputs]]\nid = "local_funds_arranged_unused"', 1)
    # the fact no rule uses any more is removed with its [[inputs]] table
    start = text.index('[[inputs]]\nid = "local_funds_arranged_unused"')
    path.write_text(text[:start] + text[text.index("[[inputs]]", start + 1):], encoding="utf-8")
    result = _check(path)
    assert result.exit_code == 0, result.output
    assert "  由审核人判定（judged，尚未写成规则）：funds_raising 资金筹集——市县财政安排补助资金" in result.output
