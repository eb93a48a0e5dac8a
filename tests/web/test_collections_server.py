"""Collections on a real `selfscore serve` process: everything is still there after the server is killed and started again."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from click.testing import CliRunner

from selfscore.cli import main
from support.helpers import TABLE_IDS, make_workbook
from support.live_server import HOST, WAIT, XLSX, Server, free_port, running_server

PASSWORD = "重启之后还在的管理员密码"


def _selfscore() -> str:
    return shutil.which("selfscore", path=str(Path(sys.executable).parent)) or "selfscore"


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_everything_is_still_there_after_the_server_is_killed_and_started_again(database_args, tmp_path):
    result = CliRunner().invoke(main, ["admin", "set-password", *database_args, "--password-stdin"], input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    data = make_workbook(tmp_path / "温县.xlsx", TABLE_IDS[0], scores={"funds_raising": 8}, unit="温县").read_bytes()

    server = Server(tmp_path, *database_args)
    try:
        with httpx.Client(base_url=server.base, follow_redirects=True, timeout=WAIT) as reviewer:
            login = reviewer.get("/login")
            page = reviewer.post("/login", data={"name": "admin", "password": PASSWORD, "csrf_token": _token(login.text)})
            created = reviewer.post("/collections", data={"csrf_token": _token(page.text), "name": "重启测试", "year": "2020",
                                                          "tables": TABLE_IDS[0], "units": "温县\n孟州市"})
            link = re.search(r'<a href="(http://[^"]+/u/[^"]+)"', created.text).group(1)
            collection_path = re.search(r"/collections/\d+", str(created.url)).group(0)
            session_cookie = reviewer.cookies["selfscore_session"]
        with httpx.Client(follow_redirects=True, timeout=60) as clerk:
            form = clerk.get(link)
            submitted = clerk.post(link, data={"csrf_token": _token(form.text)}, files={"file": ("温县.xlsx", data, XLSX)})
            assert submitted.status_code == 200 and "有错误" in submitted.text
            result_path = submitted.url.path
        server.kill9()  # no clean shutdown: what was committed must survive

        server = Server(tmp_path, *database_args)
        # the reviewer's session, the collection, the link and the submission are all still there
        with httpx.Client(base_url=server.base, cookies={"selfscore_session": session_cookie}, timeout=WAIT) as reviewer:
            page = reviewer.get(collection_path)
            assert page.status_code == 200
            assert re.search(r'<tr data-unit="温县" data-status="errors">', page.text)
            original = re.search(r'href="(\d+/submissions/\d+/original)"', page.text).group(1)
            assert reviewer.get(f"/collections/{original}").content == data
        with httpx.Client(base_url=server.base, timeout=WAIT) as clerk:
            assert "有错误" in clerk.get(result_path).text
            assert clerk.get(urlsplit(link).path).status_code == 200  # the unit's link still works
    finally:
        server.stop()


def test_serve_without_a_reachable_database_says_so(tmp_path):
    with socket.socket() as closed:  # bound and never listening: refused for as long as the test holds it, whoever asks
        closed.bind((HOST, 0))
        result = subprocess.run([_selfscore(), "serve", "--port", str(free_port()), "--database-url",
                                 f"postgresql+psycopg://nobody@127.0.0.1:{closed.getsockname()[1]}/x"],
                                capture_output=True, text=True, timeout=WAIT, env={**os.environ, "PGCONNECT_TIMEOUT": "3"})
    assert result.returncode == 1
    assert "无法打开数据库" in result.stderr and "Traceback" not in result.stderr


def test_every_collection_link_stays_under_the_root_path(tmp_path):
    """Behind a proxy at https://intranet/selfscore/ the pages' relative links, redirects and cookies stay under it."""
    from selfscore.collect.access import Access
    from selfscore.collect.database import Database
    from selfscore.web import create_app

    database = Database.in_directory(tmp_path / "data")
    Access(database).set_password(PASSWORD)
    app = create_app(collections=database, processes=1)

    async def under_prefix(scope, receive, send):
        # What a reverse proxy at /selfscore/ amounts to for the app: the same paths, with the prefix as root_path.
        if scope["type"] == "http":
            assert scope["path"].startswith("/selfscore/"), scope["path"]
            scope = {**scope, "root_path": "/selfscore"}
        await app(scope, receive, send)

    try:
        with running_server(under_prefix) as url:
            base = f"{url}/selfscore"
            with httpx.Client(follow_redirects=True, timeout=60) as reviewer:
                login = reviewer.get(f"{base}/collections")
                assert str(login.url).startswith(f"{base}/login?next=")
                page = reviewer.post(f"{base}/login", data={"name": "admin", "password": PASSWORD, "csrf_token": _token(login.text),
                                                            "next": "/collections"})
                assert str(page.url) == f"{base}/collections"
                assert [cookie.path for cookie in reviewer.cookies.jar if cookie.name == "selfscore_session"] == ["/selfscore/"]
                created = reviewer.post(f"{base}/collections", data={"csrf_token": _token(page.text), "name": "子路径", "year": "2020",
                                                                     "tables": TABLE_IDS[0], "units": "温县"})
                assert re.fullmatch(rf"{base}/collections/\d+/links", str(created.url))
                link = re.search(r'<a href="(http://[^"]+/u/[^"]+)"', created.text).group(1)
                assert link.startswith(f"{base}/u/")
                clerk_page = httpx.get(link, timeout=60)
                template = re.search(r'href="([^"]+\.xlsx)" download', clerk_page.text).group(1)
                assert httpx.get(str(httpx.URL(link).join(template)), timeout=60).status_code == 200
                submitted = make_workbook(tmp_path / "温县.xlsx", TABLE_IDS[0]).read_bytes()
                clerk_page = httpx.post(link, data={"csrf_token": _token(clerk_page.text)}, follow_redirects=True, timeout=60,
                                        files={"file": ("温县.xlsx", submitted, XLSX)})
                assert re.fullmatch(rf"{base}/u/[^/]+/submissions/\d+", str(clerk_page.url))
                pages = [reviewer.get(str(created.url).removesuffix("/links")), created, clerk_page]
                for page in pages:
                    for href in re.findall(r'href="([^"#]+)"', page.text):
                        if href.startswith(("/static", "/docs")) or href == "/":
                            continue  # the shared page frame; the web-service issue makes those relative
                        target = page.url.join(href)
                        assert str(target).startswith(base), href
                        assert (reviewer if "/u/" not in str(target) else httpx).get(target).status_code == 200, href
    finally:
        database.close()
