"""Collections in a real browser: a reviewer and two clerks through Chromium against a live server."""

from __future__ import annotations

import io
import re

from openpyxl import load_workbook
from playwright.sync_api import expect

from support.browser import ARTIFACTS, create_collection, new_page, sign_in, submit_through_link
from support.helpers import TABLE_IDS, make_workbook


def test_a_reviewer_collects_from_three_units_and_two_clerks_submit(browser, collections_url, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    reviewer_context, reviewer = new_page(browser)
    reviewer.goto(f"{collections_url}/collections")
    assert reviewer.url.startswith(f"{collections_url}/login")
    sign_in(reviewer, collections_url)
    links = create_collection(reviewer, form_screenshot=ARTIFACTS / "collections-new.png")
    reviewer.screenshot(path=str(ARTIFACTS / "collections-links.png"), full_page=True)
    assert all(link.startswith(f"{collections_url}/u/") for link in links.values())
    with reviewer.expect_download() as download_info:
        reviewer.get_by_role("link", name="下载链接清单（.xlsx）").click()
    sheet = load_workbook(io.BytesIO(download_info.value.path().read_bytes())).active
    assert {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(5, 8)} == links

    # Clerk of 修武县: downloads the template through the link, submits a faulty workbook, then a fixed one.
    clerk_context, clerk = new_page(browser)
    clerk.goto(links["修武县"])
    assert clerk.locator("#unit-name").inner_text() == "修武县"
    with clerk.expect_download() as download_info:
        clerk.get_by_role("link", name=re.compile("下载模板")).first.click()
    assert download_info.value.suggested_filename.endswith(".xlsx")
    faulty = make_workbook(tmp_path / "修武县.xlsx", TABLE_IDS[0], scores={"funds_raising": 8}, total=98, unit="修武县")
    clerk.get_by_label(re.compile("选择要提交的文件")).set_input_files(faulty)
    clerk.get_by_role("button", name="提交并校验").click()
    clerk.wait_for_url(re.compile(r".*/u/[^/]+/submissions/\d+$"))
    assert "有错误" in clerk.locator("h1").inner_text()
    clerk.screenshot(path=str(ARTIFACTS / "collections-clerk-faulty.png"), full_page=True)
    with clerk.expect_download() as download_info:
        clerk.get_by_role("link", name=re.compile("下载标注后的工作簿")).click()
    assert load_workbook(io.BytesIO(download_info.value.path().read_bytes())).sheetnames[0] == "校验结果"
    clerk.get_by_role("link", name=re.compile("返回本单位的上传页面")).click()
    clerk.wait_for_url(re.compile(r".*/u/[^/]+$"))  # the link's page, before the next step loads it again
    submit_through_link(clerk, links["修武县"], make_workbook(tmp_path / "修武县-改.xlsx", TABLE_IDS[0], unit="修武县"))
    assert "通过" in clerk.locator("h1").inner_text()
    assert "已改正 1 个，仍存在 0 个；本次新发现 0 个" in clerk.locator("#comparison-counts").inner_text()
    clerk.screenshot(path=str(ARTIFACTS / "collections-clerk-fixed.png"), full_page=True)
    clerk_context.close()

    # Clerk of 温县 submits once, with an error left in.
    clerk_context, clerk = new_page(browser)
    submit_through_link(clerk, links["温县"], make_workbook(tmp_path / "温县.xlsx", TABLE_IDS[0], scores={"funds_raising": 8}, unit="温县"))
    clerk_context.close()

    reviewer.get_by_role("link", name="返回收集页面").click()
    reviewer.wait_for_url(re.compile(r".*/collections/\d+$"))
    reviewer.screenshot(path=str(ARTIFACTS / "collections-page.png"), full_page=True)
    rows = reviewer.locator("table.units tbody tr")
    statuses = {rows.nth(i).get_attribute("data-unit"): rows.nth(i).get_attribute("data-status") for i in range(rows.count())}
    assert statuses == {"修武县": "ok", "温县": "errors", "孟州市": "missing"}
    xiuwu = reviewer.locator('tr[data-unit="修武县"]')
    assert xiuwu.locator('[data-field="resubmissions"]').inner_text() == "1"
    assert reviewer.locator('tr[data-unit="温县"] [data-field="errors"]').inner_text() == "1"
    assert reviewer.locator('.filters [data-status="missing"]').inner_text() == "1"
    reviewer.get_by_role("link", name=re.compile("^有错误")).first.click()
    expect(reviewer).to_have_url(re.compile(r"status=errors"))
    expect(reviewer.locator("table.units tbody tr")).to_have_count(1)  # waits for the filtered page, not the one leaving

    with reviewer.expect_download() as download_info:
        reviewer.get_by_role("link", name="下载汇总表（汇总.xlsx）").click()
    summary = load_workbook(io.BytesIO(download_info.value.path().read_bytes()))["汇总"]
    targets = [cell.hyperlink.target for row in summary.iter_rows(min_row=5) for cell in row if cell.hyperlink]
    assert len(targets) == 2
    for target in targets:  # the summary's links open each marked-up copy for the signed-in reviewer
        response = reviewer_context.request.get(target)
        assert response.status == 200 and load_workbook(io.BytesIO(response.body())).sheetnames[0] == "校验结果"
    reviewer_context.close()


def test_collection_pages_fit_a_narrow_window(browser, collections_url):
    context, page = new_page(browser, viewport={"width": 640, "height": 900}, device_scale_factor=2)
    sign_in(page, collections_url)
    create_collection(page, ("修武县", "温县"), name="窄屏", year=None)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "links page scrolls sideways"
    page.get_by_role("link", name="返回收集页面").click()
    page.wait_for_url(re.compile(r".*/collections/\d+$"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "collection page scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / "collections-page-200.png"), full_page=True)
    context.close()


