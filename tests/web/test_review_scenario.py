"""The review from end to end, as the issue tells it, in Chromium against a live server: an admin creates a reviewer on
the 用户 page; the reviewer creates a collection of three units; through their links one clerk submits a workbook needing
judgement, one a faulty one, one a workbook of another table; the reviewer confirms the 需人工确认 item, adjusts a score
with a reason and returns the faulty unit with a note; its clerk sees the note and resubmits; the reviewer signs off
two units. The 复核结果表 and the 汇总.xlsx are downloaded through the browser, read back, and rendered by LibreOffice
to PDF and PNG (left in tests/web/artifacts for a person to look at); every decision is in the action log with its user.

The screenshots it leaves (scenario-*.png) are the ones docs/collections.md shows."""

from __future__ import annotations

import io
import re
import struct
import subprocess
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from support.browser import ARTIFACTS, create_collection, new_page, screenshot, sign_in, submit_through_link
from support.helpers import TABLE_IDS, make_workbook
from support.libreoffice import convert

REVIEWER, REVIEWER_PASSWORD = "张审核", "张审核的复核密码-2021"
#: submitted a day late: 「报告报送」 is left to the reviewer's judgement within 0～4 (需人工确认)
LATE = {"report_complete": "否", "report_days_late": 1}
REASON = "到位资金证明不全，扣 1 分"
NOTE = "资金筹集的自评得分与到位资金不符，合计也随之算错了：请按到位资金重新计算后重新提交。"


def _shot(page, name: str, locator: str | None = None) -> None:
    path = ARTIFACTS / f"scenario-{name}.png"
    if locator:
        page.wait_for_load_state("load")  # the page reached through expect(...) may still be loading its stylesheet
        page.locator(locator).screenshot(path=str(path))
    else:
        screenshot(page, path, full_page=True)


def _shot_between(page, name: str, first: str, last: str) -> None:
    """The part of the page from the top of ``first`` to the bottom of ``last``."""
    page.wait_for_load_state("load")  # measured with its stylesheet, not while it is still arriving
    page.evaluate("window.scrollTo(0, 0)")
    top, bottom = page.locator(first).bounding_box(), page.locator(last).bounding_box()
    clip = {"x": 0, "y": top["y"] - 12, "width": page.viewport_size["width"], "height": bottom["y"] + bottom["height"] - top["y"] + 24}
    page.screenshot(path=str(ARTIFACTS / f"scenario-{name}.png"), full_page=True, clip=clip)


def _download(page, link_name: str, target: Path) -> bytes:
    with page.expect_download() as download:
        page.get_by_role("link", name=link_name).click()
    download.value.save_as(target)
    return target.read_bytes()


def _rendered(workbook: Path) -> list[Path]:
    """The workbook printed by LibreOffice to PDF, each page as a PNG in the artifacts; returns the PNGs."""
    pdf = convert([workbook], "pdf", workbook.parent / "pdf")[0]
    prefix = ARTIFACTS / f"scenario-{workbook.stem}"
    for old in ARTIFACTS.glob(f"{prefix.name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-png", "-r", "100", str(pdf), str(prefix)], check=True, timeout=120)
    return sorted(ARTIFACTS.glob(f"{prefix.name}-*.png"))


def _size(png: Path) -> tuple[int, int]:
    width, height = struct.unpack(">II", png.read_bytes()[16:24])  # the IHDR chunk
    return width, height


def _rows(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]


def test_an_admin_a_reviewer_and_three_clerks_take_a_collection_through_review(browser, collections_url, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)

    # The admin creates the reviewer on the 用户 page.
    admin_context, admin = new_page(browser)
    sign_in(admin, collections_url)
    admin.get_by_role("link", name="用户", exact=True).click()
    admin.get_by_label("用户名").fill(REVIEWER)
    admin.get_by_label("角色").select_option("reviewer")
    admin.get_by_label(re.compile("^密码")).fill(REVIEWER_PASSWORD)
    admin.locator("#add-user").get_by_label("再输入一次").fill(REVIEWER_PASSWORD)
    admin.get_by_role("button", name="新建用户").click()
    expect(admin.locator("#done")).to_have_text(f"已新建用户「{REVIEWER}」（复核人员）。")
    expect(admin.locator(f'tr[data-user="{REVIEWER}"] [data-label="角色"]')).to_have_text("复核人员")
    _shot(admin, "users")
    admin_context.close()

    # The reviewer signs in and creates a collection of three units.
    context, reviewer = new_page(browser)
    sign_in(reviewer, collections_url, REVIEWER, REVIEWER_PASSWORD)
    expect(reviewer.locator("#signed-in-as")).to_have_text(f"{REVIEWER}（复核人员）")
    assert reviewer.get_by_role("link", name="用户", exact=True).count() == 0  # a reviewer manages no users
    links = create_collection(reviewer)
    collection = reviewer.url.rsplit("/", 1)[0]

    # Three clerks, each through their own link: one needing judgement, one faulty, one of another table.
    clerk_context, clerk = new_page(browser)
    submit_through_link(clerk, links["温县"], make_workbook(tmp_path / "温县.xlsx", TABLE_IDS[0], facts=LATE,
                                                           scores={"report_submission": 2}, unit="温县"))
    expect(clerk.locator("h1")).to_contain_text("需人工确认")
    submit_through_link(clerk, links["修武县"], make_workbook(tmp_path / "修武县.xlsx", TABLE_IDS[0],
                                                            scores={"funds_raising": 8}, total=98, unit="修武县"))
    expect(clerk.locator("h1")).to_contain_text("有错误")
    submit_through_link(clerk, links["孟州市"], make_workbook(tmp_path / "孟州市.xlsx", TABLE_IDS[1], unit="孟州市"))
    expect(clerk.locator("h1")).to_contain_text("有错误")
    assert clerk.locator("main").inner_text().count("请下载本链接页上的模板重新填写") == 1
    clerk_context.close()

    reviewer.goto(collection)
    rows = {unit: (reviewer.locator(f'tr[data-unit="{unit}"]').get_attribute("data-status"),
                   reviewer.locator(f'tr[data-unit="{unit}"] [data-field="review_state"]').inner_text())
            for unit in links}
    assert rows == {"修武县": ("errors", "待复核"), "温县": ("review", "待复核"), "孟州市": ("errors", "待复核")}
    _shot(reviewer, "collection")

    # 温县: the 需人工确认 item confirmed within its range, another score adjusted with a reason, then signed off.
    reviewer.locator('tr[data-unit="温县"] a', has_text="需人工确认").click()
    reviewer.get_by_label("复核得分（0～4）").fill("3")
    reviewer.locator("#score-report_submission").get_by_role("button", name="保存").click()
    expect(reviewer.locator('#score-report_submission [data-field="review"]')).to_have_text("3")
    reviewer.locator("#score-input-funds_raising").fill("9")
    reviewer.locator("#reason-input-funds_raising").fill(REASON)
    reviewer.locator("#score-funds_raising").get_by_role("button", name="保存").click()
    expect(reviewer.locator("#score-funds_raising")).to_contain_text(f"{REVIEWER} · ")
    expect(reviewer.locator("#review-total")).to_contain_text("复核合计：97")
    _shot(reviewer, "review", "section.review")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.locator("#review-state")).to_have_text("已审核")

    # 修武县: returned with a note; its clerk sees the note on the link page and resubmits a corrected workbook.
    reviewer.goto(collection)
    reviewer.locator('tr[data-unit="修武县"] a', has_text="有错误").click()
    reviewer.get_by_label(re.compile("退回说明")).fill(NOTE)
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.locator("#review-state")).to_have_text("退回修改")
    clerk_context, clerk = new_page(browser)
    clerk.goto(links["修武县"])
    expect(clerk.locator("#returned-note")).to_have_text(NOTE)
    expect(clerk.locator("#to-fix")).to_contain_text("资金筹集")
    _shot(clerk, "returned")
    submit_through_link(clerk, links["修武县"], make_workbook(tmp_path / "修武县-改.xlsx", TABLE_IDS[0], unit="修武县"))
    expect(clerk.locator("h1")).to_contain_text("通过")
    clerk_context.close()

    # The reviewer sees what was fixed and signs 修武县 off; 孟州市 (another table) stays 待复核.
    reviewer.goto(collection)
    reviewer.locator('tr[data-unit="修武县"] a', has_text="通过").click()
    expect(reviewer.locator("#comparison-counts")).to_contain_text("已改正 1 个")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.locator("#review-state")).to_have_text("已审核")
    expect(reviewer.locator("#actions")).to_contain_text(f"{REVIEWER}：审核通过")
    _shot_between(reviewer, "signed-off", "#review-total", "#actions")

    # A signed-off unit's link takes no upload.
    clerk_context, clerk = new_page(browser)
    clerk.goto(links["温县"])
    expect(clerk.locator("#signed-off")).to_be_visible()
    assert clerk.locator("#upload").count() == 0
    clerk_context.close()

    reviewer.goto(collection)
    states = {unit: reviewer.locator(f'tr[data-unit="{unit}"] [data-field="review_state"]').inner_text() for unit in links}
    assert states == {"修武县": "已审核", "温县": "已审核", "孟州市": "待复核"}
    _shot(reviewer, "collection-reviewed")
    results_path, summary_path, log_path = tmp_path / "复核结果表.xlsx", tmp_path / "汇总.xlsx", tmp_path / "操作记录.xlsx"
    results = load_workbook(io.BytesIO(_download(reviewer, "下载复核结果表", results_path)))
    summary = load_workbook(io.BytesIO(_download(reviewer, "下载汇总表（汇总.xlsx）", summary_path)))
    log = load_workbook(io.BytesIO(_download(reviewer, "操作记录（xlsx）", log_path)))["操作记录"]
    context.close()

    # The 复核结果表: per unit and indicator 分值, 自评得分, 复核得分 and 扣分原因; ranks for the signed-off units only.
    table_sheet, not_done = results.worksheets
    assert not_done.title == "未审核单位"
    reviewed, unit, first_rows = {}, None, {}
    for number, row in enumerate(_rows(table_sheet), start=4):
        if row[1]:  # the unit's name stands in its first row (merged down)
            unit, first_rows[row[1]] = row[1].split("\n")[0], number
        reviewed.setdefault(unit, {})[row[2]] = row[3:7]
    # both units do not fit on one page: the second starts a page of its own rather than losing its name to the first
    assert [page_break.id for page_break in table_sheet.row_breaks.brk] == [first_rows["温县"] - 1]
    assert list(reviewed) == ["修武县", "温县"]  # 孟州市 sent another table: it is only among the units not signed off
    assert reviewed["修武县"]["复核合计（已审核）　排名 1"] == [100, 100, 100, None]
    assert reviewed["温县"]["复核合计（已审核）　排名 2"] == [100, 97, 97, None]
    assert reviewed["温县"]["资金筹集"] == [10, 10, 9, REASON]
    # the 需人工确认 item: its 复核得分, and the computation where the reviewer wrote no reason
    assert reviewed["温县"]["评价报告报送及时、完整性"][:3] == [5, 2, 3]
    assert "需人工判定，得分应在 0～4 分之间" in reviewed["温县"]["评价报告报送及时、完整性"][3]
    assert all(figures[1] == figures[2] and figures[3] for name, figures in reviewed["修武县"].items() if "复核合计" not in name)
    assert [row[1:3] for row in _rows(not_done)] == [["孟州市", "待复核"]]
    assert _rows(not_done)[0][3].startswith("提交的是「城镇保障性安居工程财政资金用于城镇老旧小区改造绩效自评表」")

    # The 汇总.xlsx: every unit in the collection's order with its state and the three totals, and every indicator's three.
    every = {row[1]: (row[3], row[4], row[5], row[6], row[7]) for row in _rows(summary["各单位"])}
    assert list(every) == ["修武县", "温县", "孟州市"]
    assert every == {"修武县": ("已审核", "通过", 100, 100, 100), "温县": ("已审核", "需人工确认", 97, "95～99", 97),
                     "孟州市": ("待复核", "有错误", 95, 95, 95)}
    figures = summary[next(name for name in summary.sheetnames if name.startswith("复核-"))]
    header = [cell.value for cell in figures[3]]
    by_unit = {row[0]: dict(zip(header, row, strict=True)) for row in _rows(figures)}
    assert list(by_unit) == ["修武县", "温县"]
    assert by_unit["温县"]["资金筹集（10）"] == "10\n10\n9"  # 自评 / 重新计算 / 复核
    assert by_unit["温县"]["评价报告报送及时、完整性（5）"] == "2\n—\n3" and by_unit["温县"]["合计"] == "97\n—\n97"
    assert by_unit["修武县"]["合计"] == "100\n100\n100"

    # Every decision is in the action log with its user.
    logged = [(row[1], row[2], row[3]) for row in log.iter_rows(min_row=3, values_only=True)]
    assert logged.count(("单位经办人", "单位提交", "修武县")) == 2 and ("单位经办人", "单位提交", "孟州市") in logged
    assert [entry for entry in logged if entry[0] != "单位经办人"] == [
        (REVIEWER, "新建收集", None), (REVIEWER, "复核得分", "温县"), (REVIEWER, "复核得分", "温县"),
        (REVIEWER, "审核通过", "温县"), (REVIEWER, "退回修改", "修武县"), (REVIEWER, "审核通过", "修武县")]

    # Both workbooks printed by LibreOffice: A4 landscape pages (look at scenario-复核结果表-*.png and scenario-汇总-*.png).
    # the 复核结果表: a page for each unit (both do not fit on one, neither is split) and one for 未审核单位; the 汇总: one a sheet
    for workbook, expected in ((results_path, 3), (summary_path, 6)):
        pages = _rendered(workbook)
        assert len(pages) == expected, f"{workbook.name}: {len(pages)} pages"
        assert all(_size(page)[0] > _size(page)[1] for page in pages), f"{workbook.name} has a page not in landscape"
