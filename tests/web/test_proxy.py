"""Deployed as on an intranet: nginx in front under /selfscore/, Chromium with no way out of the machine.

The docs render from the app's own files, every page works under the root path, and the summary
workbooks' and units' links (built from --public-url) open through the proxy."""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from playwright.sync_api import expect

from selfscore.cli import main
from selfscore.write.filling import cell_of
from support.browser import launch, new_context
from support.collection_web import PASSWORD, create, hyperlinks, links, sign_in, upload, workbook
from support.helpers import make_workbook
from support.live_server import NGINX, Nginx, PortTaken, Server, on_free_port

CHROMIUM = "/usr/bin/chromium"
# No DNS for any name: whatever a page tried to load from a CDN could not arrive (and is recorded below).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--lang=zh-CN", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
ARTIFACTS = Path(__file__).parent / "artifacts"
ROOT = "/selfscore"


def _require(path: str, package: str) -> None:
    if shutil.which(path) or Path(path).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{path} is missing; .ci/run installs the {package} package")
    pytest.skip(f"{path} is not installed")


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    """The app behind nginx: (the public base URL ending in /selfscore, the nginx base)."""
    _require(NGINX, "nginx")
    directory = tmp_path_factory.mktemp("proxy")
    # collections in a database of their own (not the user's data directory), with a reviewer's password
    data = ["--data", str(directory / "data")]
    result = CliRunner().invoke(main, ["admin", "set-password", *data, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output

    def start(nginx_port: int) -> tuple[str, Server, Nginx]:
        # the app is told its public URL, nginx's, before nginx runs: if nginx finds its port taken, both start again
        public = f"http://127.0.0.1:{nginx_port}{ROOT}"
        server = Server(directory, "--processes", "1", "--root-path", ROOT, "--public-url", f"{public}/",
                        "--store", str(directory / "store"), *data)
        try:
            return public, server, Nginx(directory / "nginx", server.port, port=nginx_port)
        except PortTaken:
            server.stop()
            raise

    public, server, nginx = on_free_port(start)
    yield public
    nginx.stop()
    server.stop()


@pytest.fixture(scope="module")
def browser():
    _require(CHROMIUM, "chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = launch(playwright, CHROMIUM_ARGS)
        yield launched
        launched.close()


class Offline:
    """A browser context that may only reach 127.0.0.1; it records what else a page tried, and CSP refusals."""

    def __init__(self, browser) -> None:
        self.outside: list[str] = []
        self.refused: list[str] = []
        self.context = new_context(browser)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", lambda message: self.refused.append(message.text)
                     if "Content Security Policy" in message.text else None)

    def _route(self, route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort("internetdisconnected")


@pytest.fixture
def offline(browser):
    session = Offline(browser)
    yield session
    session.context.close()


def test_docs_render_their_operations_offline_behind_the_proxy(offline, proxied):
    page = offline.page
    response = page.goto(f"{proxied}/docs")
    assert response.status == 200
    wanted = ["/api/check", "/api/check.xlsx", "/api/templates/{table_id}.xlsx", "/healthz"]
    # the script draws the operations after the page has loaded: wait for them all, then read them
    page.wait_for_function("""(wanted) => {
        const paths = [...document.querySelectorAll('.opblock-summary-path')].map(e => e.innerText.replaceAll('\\u200b', ''));
        return wanted.every(path => paths.includes(path));
    }""", arg=wanted)
    paths = {text.replace("\u200b", "") for text in page.locator(".opblock-summary-path").all_inner_texts()}
    assert set(wanted) <= paths, paths
    # Try it out goes through the proxy too: the spec's server is the root path
    expect(page.locator(".servers select option").first).to_have_text(ROOT)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "docs-offline.png"), full_page=False)
    assert offline.outside == [] and offline.refused == []


def test_home_and_result_pages_work_under_the_root_path_and_the_summary_links_open(offline, proxied, tmp_path):
    page = offline.page
    response = page.goto(f"{proxied}/")
    assert response.status == 200
    headers = response.all_headers()
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    links = page.evaluate("""() => [...document.querySelectorAll('[href], [src], form[action]')]
        .map(e => e.getAttribute('href') || e.getAttribute('src') || e.getAttribute('action'))""")
    assert all(link.startswith(f"{ROOT}/") or link.startswith("#") for link in links), links
    # the stylesheet and the script arrived through the proxy and are allowed by the CSP
    assert page.evaluate("getComputedStyle(document.querySelector('header.site')).borderBottomStyle") == "solid"
    assert page.locator(".js-only").is_visible()
    assert page.request.get(f"{proxied}/favicon.ico").headers["content-type"] == "image/x-icon"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载模板：公租房保障和棚户区改造绩效自评表.xlsx").click()
    assert download_info.value.suggested_filename == "公租房保障和棚户区改造绩效自评表.xlsx"

    files = [make_workbook(tmp_path / "焦作市.xlsx", "shantytown", unit="焦作市"),
             make_workbook(tmp_path / "修武县.xlsx", "old_communities", unit="修武县", scores={"funds_raising": 4})]
    page.get_by_label("选择要校验的文件").set_input_files(files)
    expect(page.locator("#chosen")).to_contain_text("已选择 2 个文件")
    page.get_by_role("button", name="开始校验").click()
    page.wait_for_url(f"{proxied}/check")
    expect(page.get_by_role("heading", name="校验结果", exact=True)).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "results-behind-proxy.png"), full_page=True)

    with page.expect_download() as download_info:
        page.locator("#file-2").get_by_role("link", name="下载标注后的工作簿").click()
    marked = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    assert marked.sheetnames[0] == "校验结果"

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载汇总表（校验汇总.xlsx）").click()
    summary = load_workbook(io.BytesIO(Path(download_info.value.path()).read_bytes()))
    targets = [cell.hyperlink.target for row in summary["汇总"].iter_rows() for cell in row if cell.hyperlink is not None]
    assert len(targets) == 2 and all(target.startswith(f"{proxied}/download/") for target in targets), targets
    units = set()
    for target in targets:
        opened = page.request.get(target)  # through nginx, as a reviewer's click in Excel would
        assert opened.status == 200
        copy = load_workbook(io.BytesIO(opened.body()))
        assert copy.sheetnames[0] == "校验结果"
        units.add(cell_of(copy, "meta_unit").value)
    assert units == {"焦作市", "修武县"}

    # the reopened result address leads back to the form under the root path
    page.goto(f"{proxied}/check")
    assert page.url == f"{proxied}/"
    assert offline.outside == [] and offline.refused == []


def test_a_collections_unit_links_and_summary_links_are_public_and_open_through_the_proxy(proxied, tmp_path):
    # nginx passes Host $proxy_host (the backend's address): only --public-url can give links that work from outside.
    with httpx.Client(base_url=proxied, trust_env=False, timeout=60, follow_redirects=True) as reviewer:
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        collection_id = create(reviewer, "温县\n孟州市")
        unit_links = links(reviewer, collection_id, proxied)  # absolute, under the public address
        assert list(unit_links) == ["温县", "孟州市"]
        with httpx.Client(trust_env=False, timeout=60, follow_redirects=True) as clerk:  # a unit, from the link as sent
            result = upload(clerk, f"{proxied}{unit_links['温县']}", workbook(tmp_path, "温县", unit="温县"), "温县.xlsx")
            assert result.status_code == 200 and "通过" in result.text
            assert str(result.url).startswith(f"{proxied}/u/") and "/submissions/" in str(result.url)
        summary = hyperlinks(reviewer.get(f"/collections/{collection_id}/summary.xlsx").content, "汇总")
        assert len(summary) == 1 and summary[0].startswith(f"{proxied}/collections/{collection_id}/submissions/")
        opened = reviewer.get(summary[0])  # through nginx, as the signed-in reviewer's click in Excel would
        assert opened.status_code == 200 and load_workbook(io.BytesIO(opened.content)).sheetnames[0] == "校验结果"
