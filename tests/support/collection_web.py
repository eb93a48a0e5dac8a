"""A reviewer's and a clerk's steps through the collection pages, as the tests take them: with a TestClient in
process, or with an httpx client against a live server (whose ``csrf`` attribute holds the session's form token)."""

from __future__ import annotations

import io
import re

import httpx
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from selfscore.cli import main
from support.helpers import TABLE_IDS, make_workbook
from support.live_server import XLSX, Server

PASSWORD = "省厅管理员的密码-2021"
#: the admin user: the one today's shared password became, and whom `Access.set_password` names
ADMIN = "admin"
#: the units `create` makes a collection for, in their order on the pages
UNITS = ["修武县", "温县", "孟州市"]


def client_of(app) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, base_url="http://testserver")


def form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no form token on the page"
    return found.group(1)


def sign_in(client: TestClient, name: str = ADMIN, password: str = PASSWORD) -> str:
    """Sign in through the page as a user would (the admin unless ``name`` says); returns the form token of the session."""
    page = client.get("/login")
    response = client.post("/login", data={"name": name, "password": password, "csrf_token": form_token(page.text),
                                           "next": "/collections"})
    assert response.status_code == 200 and "新建收集" in response.text, response.text[:500]
    return form_token(response.text)


def create(reviewer, units: str = "\n".join(UNITS), **extra) -> int:
    response = reviewer.post("/collections", data={"csrf_token": reviewer.csrf, "name": "焦作市2020年度城镇保障性安居工程绩效自评",
                                                   "year": "2020", "tables": [TABLE_IDS[0]], "units": units, **extra})
    assert response.status_code == 200 and "各单位上传链接" in response.text, response.text[:800]
    return int(re.search(r"/collections/(\d+)/links", str(response.url)).group(1))


def links(reviewer, collection_id: int, base: str = "http://testserver") -> dict[str, str]:
    """unit → its upload path, read from the links page, where every link is absolute under ``base``."""
    html = reviewer.get(f"/collections/{collection_id}/links").text
    found = {}
    for row in re.findall(r'<tr data-unit="[^"]+">.*?</tr>', html, re.S):
        unit, link = re.search(r'data-unit="([^"]+)"', row).group(1), re.search(rf'<a href="{re.escape(base)}(/u/[^"]+)"', row)
        if link:  # a revoked link has none
            found[unit] = link.group(1)
    return found


def upload(client, link: str, data: bytes, name: str = "自评表.xlsx"):
    page = client.get(link)
    assert page.status_code == 200, page.text[:300]
    return client.post(link, data={"csrf_token": form_token(page.text)}, files={"file": (name, data, XLSX)})


def workbook(tmp_path, name: str, **changes) -> bytes:
    return make_workbook(tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}.xlsx", TABLE_IDS[0], **changes).read_bytes()


def plain_workbook(text: str = "不是自评表") -> bytes:
    """A real .xlsx that is not one of the templates: a link stores it, and the check calls it unreadable."""
    from openpyxl import Workbook

    book = Workbook()
    book.active["A1"] = text
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def unit_rows(reviewer, collection_id: int, query: str = "") -> dict[str, dict[str, str]]:
    html = reviewer.get(f"/collections/{collection_id}{query}").text
    rows = {}
    for match in re.finditer(r'<tr data-unit="([^"]+)" data-status="([^"]+)">(.*?)</tr>', html, re.S):
        fields = dict(re.findall(r'data-field="(\w+)">([^<]*)<', match.group(3)))
        rows[match.group(1)] = {"status": match.group(2), **fields}
    return rows


def hyperlinks(data: bytes, sheet: str | None = None) -> list[str]:
    book = load_workbook(io.BytesIO(data))
    return [cell.hyperlink.target for row in (book[sheet] if sheet else book.active).iter_rows() for cell in row if cell.hyperlink]


# --- the same on a live `selfscore serve` (the ``database_args`` fixture of tests/web/conftest.py names its database) ---


def client(server: Server) -> httpx.Client:
    return httpx.Client(base_url=server.base, trust_env=False, timeout=120, follow_redirects=True)


def new_collection(server: Server, units: str = "温县\n孟州市\n修武县") -> tuple[httpx.Client, int, dict[str, str]]:
    """A signed-in reviewer on ``server``, a new collection of ``units`` and each unit's upload path."""
    reviewer = client(server)
    reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
    collection_id = create(reviewer, units)
    return reviewer, collection_id, links(reviewer, collection_id, server.base)


def serve(tmp_path, database_args: list[str], *options: str, umask: int | None = None) -> Server:
    """`selfscore serve` on the database, its admin's password set first through the command."""
    result = CliRunner().invoke(main, ["admin", "set-password", *database_args, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    return Server(tmp_path, *database_args, *options, umask=umask)
