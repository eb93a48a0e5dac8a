"""Debian's Chromium, as Playwright drives it here (it cannot download a browser build of its own)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

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
