"""Debian's Chromium, as Playwright drives it here (it cannot download a browser build of its own).

On a busy machine (docs/testing.md, "Busy machines"): after an action that loads or changes a page, read it only through
Playwright's waiting assertions (``expect(...)``) or after waiting for the page itself (``wait_for_url`` of an address
the page being left does not have, ``goto``); a plain ``count()``, ``inner_text()`` or ``is_visible()`` reads whatever
page the browser is on at that instant. Every wait is for a condition; its time limit (PATIENCE_MS) only keeps a
broken build from hanging."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from support.collection_web import ADMIN, PASSWORD
from support.helpers import TABLE_IDS

CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium needs these to run headless as root.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=zh-CN"]
#: screenshots the browser tests leave for a person to look at (ignored by git)
ARTIFACTS = Path(__file__).resolve().parent.parent / "web" / "artifacts"
#: how long a navigation, an action or an expect(...) may wait before the test fails: only against a hang (Playwright's
#: own 5 s for expect and 30 s for the rest are a busy machine's, not a bug's)
PATIENCE_MS = 120_000


def require_chromium() -> None:
    """A test without Chromium is skipped, except in CI, where it must be installed."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; .ci/run installs the chromium package")
    pytest.skip(f"{CHROMIUM} is not installed")


def launch(playwright, args: list[str] = CHROMIUM_ARGS):
    """Debian's Chromium, headless (with ``args``); expect(...) waits as long as every other wait (PATIENCE_MS)."""
    expect.set_options(timeout=PATIENCE_MS)
    return playwright.chromium.launch(executable_path=CHROMIUM, args=args, timeout=PATIENCE_MS)


def new_context(browser, **options):
    """A fresh browser context (downloads accepted, Chinese locale, a desktop window unless ``options`` say otherwise)
    whose pages wait PATIENCE_MS."""
    context = browser.new_context(**{"accept_downloads": True, "locale": "zh-CN",
                                     "viewport": {"width": 1280, "height": 900}, **options})
    context.set_default_timeout(PATIENCE_MS)
    return context


def new_page(browser, **options):
    """A fresh browser context (see new_context) and its page."""
    context = new_context(browser, **options)
    return context, context.new_page()


def screenshot(page, path: Path, **options) -> None:
    """A screenshot of the page once it has loaded (its stylesheet and pictures), not of a page still arriving."""
    page.wait_for_load_state("load")
    page.screenshot(path=str(path), **options)


# --- the steps every browser test of collections takes, against a live server whose admin's password is PASSWORD ---

COLLECTION_NAME = "焦作市2020年度城镇保障性安居工程绩效自评"


def sign_in(page, base: str, name: str = ADMIN, password: str = PASSWORD) -> None:
    """Sign in on the login page as ``name`` (the admin unless said), and wait for the list of collections."""
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(name)
    page.get_by_label("密码", exact=True).fill(password)
    page.get_by_role("button", name="登录").click()
    # by the address's path: the sign-in page's own address may end in its next=…/collections
    page.wait_for_url(lambda url: urlsplit(url).path.endswith("/collections"))


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
