"""Debian's Chromium, as Playwright drives it here (it cannot download a browser build of its own)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from support.collection_web import ADMIN, PASSWORD
from support.helpers import TABLE_IDS

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium needs these to run headless as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=zh-CN"]
#: screenshots the browser tests leave for a person to look at (ignored by git)
ARTIFACTS = Path(__file__).resolve().parent.parent / "web" / "artifacts"


def require_chromium() -> None:
    """A test without Chromium is skipped, except in CI, where it must be installed."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs the chromium package")
    pytest.skip(f"{CHROMIUM} is not installed")


def new_page(browser):
    """A fresh browser context (downloads accepted, Chinese locale, a desktop window) and its page."""
    context = browser.new_context(accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900})
    return context, context.new_page()


# --- the steps every browser test of collections takes, against a live server whose admin's password is PASSWORD ---

COLLECTION_NAME = "焦作市2020年度城镇保障性安居工程绩效自评"


def sign_in(page, base: str, name: str = ADMIN, password: str = PASSWORD) -> None:
    """Sign in on the login page as ``name`` (the admin unless said), and wait for the list of collections."""
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r".*/collections$"))


def create_collection(page, units: tuple[str, ...] = ("修武县", "温县", "孟州市"), name: str = COLLECTION_NAME,
                      year: str | None = "2020", table: str | None = None, form_screenshot: Path | None = None) -> dict[str, str]:
    """Fill in the new-collection form on the signed-in list of collections (asking for ``table``, the first table unless
    said; ``year`` None leaves the form's own) and submit it; returns unit → its absolute upload link, read from the
    links page the browser is left on. ``form_screenshot``: where to keep the filled form."""
    page.get_by_label("名称").fill(name)
    if year is not None:
        page.get_by_label("评价年度").fill(year)
    for table_id in TABLE_IDS:
        box = page.locator(f"#table-{table_id}")
        box.check() if table_id == (table or TABLE_IDS[0]) else box.uncheck()
    page.get_by_label("单位名单（每行一个单位）").fill("\n".join(units))
    if form_screenshot:
        page.screenshot(path=str(form_screenshot), full_page=True)
    page.get_by_role("button", name="新建收集并生成上传链接").click()
    page.wait_for_url(re.compile(r".*/collections/\d+/links$"))
    return {unit: page.locator(f'tr[data-unit="{unit}"] td.link-cell a').inner_text() for unit in units}


def submit_through_link(page, link: str, workbook: Path) -> None:
    """A clerk's upload on their unit's link page; the browser is left on the result page."""
    page.goto(link)
    page.get_by_label(re.compile("选择要提交的文件")).set_input_files(workbook)
    page.get_by_role("button", name="提交并校验").click()
    page.wait_for_url(re.compile(r".*/u/[^/]+/submissions/\d+$"))
