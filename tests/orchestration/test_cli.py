"""The selfscore command, driven through click's CliRunner and as a real process."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

from click.testing import CliRunner
from openpyxl import load_workbook

from selfscore.cli import main
from support.helpers import make_workbook


def test_template_writes_one_workbook_per_table_with_defined_names(tmp_path):
    result = CliRunner().invoke(main, ["template", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in tmp_path.glob("*.xlsx"))
    assert files == ["公租房保障和棚户区改造绩效自评表.xlsx", "城镇老旧小区改造绩效自评表.xlsx"]
    workbook = load_workbook(tmp_path / files[0])
    assert {"in_starts_planned", "score_funds_raising", "score_total", "meta_unit", "meta_year"} <= set(workbook.defined_names)


def test_template_for_an_unknown_table_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["template", "nonsense", "-o", str(tmp_path)])
    assert result.exit_code == 2
    assert "未知的表格：nonsense" in result.output


def test_check_exit_codes_and_marked_up_copies(tmp_path):
    good = make_workbook(tmp_path / "good.xlsx")
    bad = make_workbook(tmp_path / "bad.xlsx", scores={"funds_raising": 7})
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"not a workbook")
    out = tmp_path / "out"
    runner = CliRunner()

    ok = runner.invoke(main, ["check", str(good), "-o", str(out)])
    assert ok.exit_code == 0, ok.output
    assert (out / "good.checked.xlsx").exists()
    assert "自评合计 100，重新计算 100" in ok.output

    errors = runner.invoke(main, ["check", str(good), str(bad), "-o", str(out)])
    assert errors.exit_code == 1
    assert "「自评表」F5（资金筹集·自评得分）：自评得分 7 与按填报数据重新计算的 10 分不符" in errors.output

    unreadable = runner.invoke(main, ["check", str(bad), str(junk), "-o", str(out)])
    assert unreadable.exit_code == 2
    assert "junk.xlsx：无法读取" in unreadable.output and "Traceback" not in unreadable.output
    assert not (out / "junk.checked.xlsx").exists()


def test_marked_up_copy_goes_next_to_the_input_and_never_over_it(tmp_path):
    path = make_workbook(tmp_path / "县.xlsx", scores={"funds_raising": 7})
    runner = CliRunner()
    assert runner.invoke(main, ["check", str(path)]).exit_code == 1
    marked = tmp_path / "县.checked.xlsx"
    assert marked.exists()
    before = marked.read_bytes()
    result = runner.invoke(main, ["check", str(marked)])
    assert result.exit_code == 1
    assert marked.read_bytes() == before
    assert (tmp_path / "县.checked-2.xlsx").exists()


def test_json_to_stdout_is_clean_json_with_the_summary_on_stderr(tmp_path):
    path = make_workbook(tmp_path / "a.xlsx", "old_communities")
    result = CliRunner().invoke(main, ["check", str(path), "-o", str(tmp_path / "o"), "--json", "-", "--steps", "exact"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    report = data["reports"][0]
    assert (report["table"], report["status"], report["totals"]["recomputed"]) == ("old_communities", "review", 95.12)
    assert report["step_reading"] == "exact"
    assert "共校验 1 个文件" in result.stderr


def test_json_to_a_file(tmp_path):
    path = make_workbook(tmp_path / "a.xlsx")
    target = tmp_path / "r" / "report.json"
    result = CliRunner().invoke(main, ["check", str(path), "-o", str(tmp_path), "--json", str(target), "-q"])
    assert result.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8"))["reports"][0]["totals"]["self"] == 100


def test_installed_command_runs_as_a_process(tmp_path):
    exe = shutil.which("selfscore") or sys.executable
    args = [exe] if exe.endswith("selfscore") else [exe, "-m", "selfscore"]
    result = subprocess.run([*args, "check", str(tmp_path / "missing.xlsx")], capture_output=True, text=True)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_usage_errors_read_in_chinese_with_exit_code_2(tmp_path):
    runner = CliRunner()
    (tmp_path / "a_file").write_text("")
    cases = [
        (["check"], "错误：缺少参数 文件|目录|通配符 ..."),
        (["check", "x.xlsx", "--steps", "round"],
         "错误：'--steps' 只能是 ceil（不足一档按一档计）、exact（按比例计）、floor（满一档才计） 之一"),
        (["check", "x.xlsx", "--jbos", "2"], "错误：没有这个选项：--jbos（是不是要用 --jobs"),
        (["check", "x.xlsx", "--jobs", "0"], "错误：'-j' / '--jobs' 的值无效：应为整数（x>=1）"),
        (["check", str(tmp_path / "nothere.xlsx")], "错误：找不到文件或目录「"),
        (["nosuchcommand"], "错误：没有这个命令：nosuchcommand；可用的命令：admin、check、serve、table、tables、template"),
        (["template", "-o", str(tmp_path / "a_file")], f"错误：'-o' / '--output' 应是一个目录，但「{tmp_path / 'a_file'}」是文件"),
        (["check", "x.xlsx", "--summary", str(tmp_path)], f"错误：'--summary' 应是一个文件，但「{tmp_path}」是目录"),
        (["check", "x.xlsx", "--quiet=1"], "错误：选项 --quiet 用法不对：它后面不跟值"),
        (["tables", "extra"], "错误：多余的参数：extra"),
    ]
    for args, expected in cases:
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (args, result.output)
        assert expected in result.output, (args, result.output)
        assert "Error:" not in result.output and "Usage:" not in result.output and "Traceback" not in result.output
    help_result = runner.invoke(main, ["check", "--help"])
    assert help_result.exit_code == 0 and "selfscore check" in help_result.output


def test_admin_usage_errors_read_in_chinese_too():
    result = CliRunner().invoke(main, ["admin", "nosuch"])
    assert result.exit_code == 2
    assert ("错误：没有这个命令：nosuch；可用的命令：add-user、backup、create-token、disable-user、list-tokens、list-users、"
            "restore、revoke-token、set-password") in result.output


def test_template_never_overwrites_a_filled_workbook_unless_forced(tmp_path):
    runner = CliRunner()
    assert runner.invoke(main, ["template", "shantytown", "-o", str(tmp_path)]).exit_code == 0
    path = tmp_path / "公租房保障和棚户区改造绩效自评表.xlsx"
    workbook = load_workbook(path)
    workbook["自评表"]["B2"] = "温县"
    workbook.save(path)
    filled = path.read_bytes()

    again = runner.invoke(main, ["template", "-o", str(tmp_path)])
    assert again.exit_code == 1
    assert f"错误：文件已存在：{path}" in again.output and "--force" in again.output
    assert path.read_bytes() == filled
    assert not (tmp_path / "城镇老旧小区改造绩效自评表.xlsx").exists()  # nothing written when one file is refused

    forced = runner.invoke(main, ["template", "shantytown", "-o", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert load_workbook(path)["自评表"]["B2"].value is None


#: what click prints in English unless told otherwise
_CLICK_ENGLISH = ("Usage:", "Options", "Commands", "Show this message", "Show the version", "default:", "TEXT", "PATH",
                  "INTEGER", "DIRECTORY", "FLOAT", ", version")
_ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}")


def test_every_help_text_is_chinese():
    runner = CliRunner()
    screens = [runner.invoke(main, [], prog_name="selfscore"), runner.invoke(main, ["--version"], prog_name="selfscore")]
    commands = ([], ["check"], ["template"], ["serve"], ["tables"], ["admin"], ["admin", "set-password"],
                ["admin", "create-token"], ["admin", "list-tokens"], ["admin", "revoke-token"], ["admin", "add-user"],
                ["admin", "disable-user"], ["admin", "list-users"], ["admin", "backup"], ["admin", "restore"])
    screens += [runner.invoke(main, [*command, "--help"], prog_name="selfscore") for command in commands]
    for screen in screens:
        assert screen.exit_code == 0, screen.output
        assert "用法：selfscore" in screen.output or "版本" in screen.output
        for word in _CLICK_ENGLISH:
            assert word not in screen.output, (word, screen.output)
        for line in screen.output.splitlines():
            if "selfscore " not in line and "http" not in line:  # example command lines are commands, not prose
                assert not _ENGLISH_SENTENCE.search(line), line
    bare = screens[0].output
    assert "错误：" not in bare and "命令：" in bare and "check" in bare
    check_help = runner.invoke(main, ["check", "--help"]).output
    assert ".xls" in check_help and ".ods" in check_help
    assert "不足一档按一档计" in check_help and "按比例计" in check_help and "满一档才计" in check_help


def test_review_exits_0_and_the_summary_says_what_to_confirm_with_a_legend(tmp_path):
    path = make_workbook(tmp_path / "县.xlsx", "old_communities", scores={"funds_raising": 5.12})
    result = CliRunner().invoke(main, ["check", str(path), "-o", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert "—— 需人工确认：0 个错误，1 个提醒" in result.output
    assert "请人工确认：「资金筹集」（扣分口径不同）" in result.output
    assert "共校验 1 个文件：0 个通过，1 个需人工确认，0 个有错误，0 个无法读取。" in result.output
    assert "图例：✗ 错误（必须改正）　! 提醒（请确认）" in result.output
    results = load_workbook(tmp_path / "o" / "县.checked.xlsx")["校验结果"]
    assert results["A3"].value.startswith("结论：需人工确认。") and results["A3"].fill.fgColor.rgb.endswith("F4B084")
