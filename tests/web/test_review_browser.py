"""The review in a real browser (Chromium against a live server): the reviewer confirms a 需人工确认 item, adjusts a
score with a reason, returns a faulty unit with a note, the clerk sees it and resubmits, the reviewer signs off."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from support.browser import create_collection, new_page, sign_in, submit_through_link
from support.helpers import TABLE_IDS, make_workbook

LATE = {"report_complete": "否", "report_days_late": 1}


def _submit(browser, link: str, path) -> None:
    context, clerk = new_page(browser)
    submit_through_link(clerk, link, path)
    context.close()


def test_a_reviewer_reviews_returns_and_signs_off_in_the_browser(browser, collections_url, tmp_path):
    context, reviewer = new_page(browser)
    sign_in(reviewer, collections_url)
    links = create_collection(reviewer)
    collection = reviewer.url.rsplit("/", 1)[0]

    late = make_workbook(tmp_path / "温县.xlsx", TABLE_IDS[0], facts=LATE, scores={"report_submission": 2}, unit="温县")
    _submit(browser, links["温县"], late)
    faulty = make_workbook(tmp_path / "修武县.xlsx", TABLE_IDS[0], scores={"funds_raising": 8}, total=98, unit="修武县")
    _submit(browser, links["修武县"], faulty)

    # 温县: the 需人工确认 item within its range, another indicator adjusted with a reason, then 审核通过
    reviewer.goto(collection)
    reviewer.locator('tr[data-unit="温县"] a', has_text="需人工确认").click()
    reviewer.get_by_label("复核得分（0～4）").fill("9")
    reviewer.locator("#score-report_submission").get_by_role("button", name="保存").click()
    expect(reviewer.locator("#problem")).to_contain_text("应在 0～4 分之间")
    expect(reviewer.get_by_label("复核得分（0～4）")).to_have_value("9")  # what was typed is kept
    reviewer.get_by_label("复核得分（0～4）").fill("3")
    reviewer.locator("#score-report_submission").get_by_role("button", name="保存").click()
    expect(reviewer.locator('#score-report_submission [data-field="review"]')).to_have_text("3")
    reviewer.locator("#score-input-funds_raising").fill("9")
    reviewer.locator("#reason-input-funds_raising").fill("到位资金证明不全，扣 1 分")
    reviewer.locator("#score-funds_raising").get_by_role("button", name="保存").click()
    expect(reviewer.locator("#review-total")).to_contain_text("复核合计：97")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.locator("#review-state")).to_have_text("已审核")

    # 修武县: returned with a note; the clerk sees it above the form and resubmits; the reviewer signs off
    reviewer.goto(collection)
    reviewer.locator('tr[data-unit="修武县"] a', has_text="有错误").click()
    reviewer.get_by_label(re.compile("退回说明")).fill("资金筹集得分算错了，请按到位资金重新计算。")
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.locator("#review-state")).to_have_text("退回修改")
    clerk_context, clerk = new_page(browser)
    clerk.goto(links["修武县"])
    assert "资金筹集得分算错了" in clerk.locator("#returned-note").inner_text()
    fixed = make_workbook(tmp_path / "修武县-改.xlsx", TABLE_IDS[0], unit="修武县")
    submit_through_link(clerk, links["修武县"], fixed)
    clerk_context.close()
    reviewer.goto(collection)
    assert reviewer.locator('tr[data-unit="修武县"] [data-field="review_state"]').inner_text() == "待复核"
    reviewer.locator('tr[data-unit="修武县"] a', has_text="通过").click()
    expect(reviewer.locator("#comparison-counts")).to_contain_text("已改正 1 个")
    reviewer.get_by_role("button", name="审核通过").click()
    expect(reviewer.locator("#review-state")).to_have_text("已审核")

    # a signed-off unit's link takes no upload
    clerk_context, clerk = new_page(browser)
    clerk.goto(links["温县"])
    assert clerk.locator("#signed-off").is_visible() and clerk.locator("#upload").count() == 0
    clerk_context.close()

    reviewer.goto(collection)
    with reviewer.expect_download() as download:
        reviewer.get_by_role("link", name="下载复核结果表").click()
    book = load_workbook(io.BytesIO(download.value.path().read_bytes()))
    values = [str(cell.value) for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert "到位资金证明不全，扣 1 分" in values and "孟州市" in values
    context.close()
