"""The web page in a real browser: Playwright driving Debian's Chromium against a live uvicorn server."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from samples import OLD_COMMUNITIES_FACTS, OLD_COMMUNITIES_SCORES, SHANTYTOWN_FACTS, SHANTYTOWN_SCORES
from selfscore.tables.names import META_UNIT, META_YEAR, SCORE_TOTAL, input_name, score_name
from selfscore.write.filling import cell_of
from support.browser import ARTIFACTS, new_context, new_page
from support.live_server import running_server


@pytest.fixture(scope="module")
def server_url():
    from selfscore.web import create_app

    with running_server(create_app()) as url:
        yield url


@pytest.fixture
def page(browser):
    context, page = new_page(browser)
    yield page
    context.close()


def fill_downloaded_template(path: Path, facts: dict, scores: dict, total: object, unit: str) -> Path:
    """Fill a template the way a clerk would, found by its defined names; returns where it was saved."""
    workbook = load_workbook(path)
    for input_id, value in facts.items():
        cell_of(workbook, input_name(input_id)).value = value
    for indicator_id, value in scores.items():
        cell_of(workbook, score_name(indicator_id)).value = value
    cell_of(workbook, SCORE_TOTAL).value = total
    cell_of(workbook, META_UNIT).value = unit
    cell_of(workbook, META_YEAR).value = 2020
    filled = path.with_name(f"{unit}.xlsx")
    workbook.save(filled)
    return filled


def test_download_fill_upload_and_get_the_marked_up_workbook(page, server_url, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(server_url)
    assert page.title().startswith("绩效自评表校验")
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)

    templates = {}
    for table_id, link_text in (("shantytown", "公租房保障和棚户区改造绩效自评表.xlsx"),
                                ("old_communities", "城镇老旧小区改造绩效自评表.xlsx")):
        with page.expect_download() as download_info:
            page.get_by_role("link", name=f"下载模板：{link_text}").click()
        download = download_info.value
        assert download.suggested_filename == link_text
        templates[table_id] = tmp_path / table_id / download.suggested_filename
        download.save_as(templates[table_id])

    # One workbook as Jiaozuo published it, one whose 资金筹集 self-score does not follow from the facts.
    good = fill_downloaded_template(templates["old_communities"], OLD_COMMUNITIES_FACTS, OLD_COMMUNITIES_SCORES, 95, "焦作市")
    wrong_scores = {**SHANTYTOWN_SCORES, "funds_raising": 8}
    wrong = fill_downloaded_template(templates["shantytown"], {**SHANTYTOWN_FACTS, "local_funds_arranged": "否"},
                                     wrong_scores, 98, "修武县")

    page.get_by_label("选择要校验的文件").set_input_files([good, wrong])
    expect(page.locator("#chosen")).to_contain_text("已选择 2 个文件")
    page.get_by_label("不足一档按一档计").check()
    page.get_by_role("button", name="开始校验").click()
    page.wait_for_url(f"{server_url}/check")
    expect(page.get_by_role("heading", name="校验结果", exact=True)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "results.png"), full_page=True)

    summary = page.locator("table.summary tbody tr")
    assert summary.count() == 2
    assert [summary.nth(i).locator("td").nth(1).inner_text() for i in range(2)] == ["焦作市", "修武县"]
    first, second = page.locator("#file-1"), page.locator("#file-2")
    assert first.locator('[data-total="self"]').inner_text() == "95"
    assert first.locator('[data-total="recomputed"]').inner_text() == "95"
    assert second.locator('[data-total="self"]').inner_text() == "98"
    assert second.locator('[data-total="recomputed"]').inner_text() == "90"
    funds_row = second.locator("table.indicators tbody tr").filter(has_text="资金筹集")
    assert funds_row.locator(".badge").inner_text() == "不符"
    assert "「自评表」F5（资金筹集·自评得分）：自评得分 8 与按填报数据重新计算的 0 分不符" in second.inner_text()

    with page.expect_download() as download_info:
        second.get_by_role("link", name="下载标注后的工作簿").click()
    download = download_info.value
    assert download.suggested_filename == "修武县.checked.xlsx"
    marked = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    assert marked.sheetnames[0] == "校验结果"
    cell = cell_of(marked, score_name("funds_raising"))
    assert cell.value == 8
    assert cell.comment is not None and "不符" in cell.comment.text
    assert cell.fill.fgColor.rgb[-6:].upper() == "FFC7CE"  # the error red of the mark-up
    good_cell = cell_of(marked, score_name("funds_allocation"))
    assert good_cell.fill.fgColor.rgb[-6:].upper() == "C6EFCE" and "一致" in good_cell.comment.text


def test_pages_are_usable_at_200_percent_zoom_and_by_keyboard(browser, server_url, tmp_path):
    ARTIFACTS.mkdir(exist_ok=True)
    # 200 % zoom of a 1280 px window: half the CSS pixels, each drawn twice as large.
    context = new_context(browser, viewport={"width": 640, "height": 900}, device_scale_factor=2)
    page = context.new_page()
    page.goto(server_url)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "home page scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / "home-200.png"), full_page=True)

    # Keyboard: the skip link comes first, then the controls can be reached with Tab alone.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "跳到正文"
    reached = set()
    for _ in range(15):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert {"files", "steps-ceil", "submit"} <= reached, reached

    from support.helpers import make_workbook

    path = make_workbook(tmp_path / "温县.xlsx", "old_communities", scores={"funds_raising": 4}, unit="温县")
    page.get_by_label("选择要校验的文件").set_input_files(path)
    page.get_by_role("button", name="开始校验").click()
    page.wait_for_url(f"{server_url}/check")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "result page scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / "results-200.png"), full_page=True)
    context.close()


def test_files_can_be_dropped_onto_the_form(page, server_url, tmp_path):
    from support.helpers import make_workbook

    data = make_workbook(tmp_path / "孟州市.xlsx", "shantytown", unit="孟州市").read_bytes()
    page.goto(server_url)
    page.evaluate("""([bytes, name]) => {
        const transfer = new DataTransfer();
        transfer.items.add(new File([new Uint8Array(bytes)], name));
        const zone = document.getElementById("dropzone");
        zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: transfer, bubbles: true, cancelable: true}));
        zone.dispatchEvent(new DragEvent("drop", {dataTransfer: transfer, bubbles: true, cancelable: true}));
    }""", [list(data), "孟州市.xlsx"])
    expect(page.locator("#chosen")).to_have_text("已选择 1 个文件：孟州市.xlsx")
    page.get_by_role("button", name="开始校验").click()
    page.wait_for_url(f"{server_url}/check")
    assert page.locator("#file-1 h2").inner_text().startswith("孟州市.xlsx")
    assert page.locator('#file-1 [data-total="recomputed"]').inner_text() == "100"


def test_the_form_works_without_javascript(browser, server_url, tmp_path):
    from support.helpers import make_workbook

    path = make_workbook(tmp_path / "博爱县.xlsx", "old_communities", unit="博爱县")
    context = new_context(browser, java_script_enabled=False)
    page = context.new_page()
    page.goto(server_url)
    assert page.locator(".js-only").is_hidden()  # the drag-and-drop hint only shows when it works
    page.get_by_label("选择要校验的文件").set_input_files(path)
    page.get_by_label("按比例计").check()
    page.get_by_role("button", name="开始校验").click()
    page.wait_for_url(f"{server_url}/check")
    assert "扣分口径：按比例计" in page.locator("main").inner_text()
    assert page.locator('#file-1 [data-total="recomputed"]').inner_text() == "95.12"
    assert page.locator("#file-1 table.indicators tbody tr").filter(has_text="资金筹集").locator(".badge").inner_text() == "口径不同"
    context.close()
