"""Collections through the web, in-process (TestClient), on SQLite and on PostgreSQL: reviewer, clerks, API, security."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from selfscore.cli import main
from selfscore.collect.access import Access
from selfscore.collect.models import Submission, User
from selfscore.web import create_app
from support.collection_web import (
    ADMIN,
    PASSWORD,
    XLSX,
    client_of,
    create,
    form_token,
    hyperlinks,
    links,
    plain_workbook,
    sign_in,
    unit_rows,
    upload,
    workbook,
)
from support.helpers import TABLE_IDS, make_workbook

UNITS = ["修武县", "温县", "孟州市"]


# --- the reviewer's and the clerks' flow ---


def test_reviewer_creates_clerks_submit_and_the_page_shows_each_latest(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    assert list(unit_links) == UNITS

    with client_of(app) as clerk:
        faulty = upload(clerk, unit_links["修武县"], workbook(tmp_path, "wrong", scores={"funds_raising": 8}, total=98, unit="修武县"))
        assert faulty.status_code == 200 and "有错误" in faulty.text and "下载标注后的工作簿" in faulty.text
        fixed = upload(clerk, unit_links["修武县"], workbook(tmp_path, "right", unit="修武县"))
        assert "通过" in fixed.text and "与上次提交相比" in fixed.text
        assert re.search(r"已改正 <strong>1</strong> 个，仍存在 <strong>0</strong> 个；本次新发现 <strong>0</strong> 个", fixed.text)
        upload(clerk, unit_links["温县"], plain_workbook(), "温县.xlsx")

    rows = unit_rows(reviewer, collection_id)
    assert rows["修武县"] == {"status": "ok", "self": "100", "recomputed": "100", "errors": "0", "warnings": "0",
                             "received": rows["修武县"]["received"], "resubmissions": "1", "review_state": "待复核"}
    assert rows["温县"]["status"] == "unreadable" and rows["温县"]["resubmissions"] == "0"
    assert rows["孟州市"]["status"] == "missing" and rows["孟州市"]["errors"] == "—"
    page = reviewer.get(f"/collections/{collection_id}").text
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)</span>', page))
    assert counts == {"all": "3", "missing": "1", "ok": "1", "review": "0", "errors": "0", "unreadable": "1"}
    assert "未提交" in page and "无法读取" in page
    summary = load_workbook(io.BytesIO(reviewer.get(f"/collections/{collection_id}/summary.xlsx").content))["汇总"]
    assert "2 个文件：1 个通过，0 个需人工确认，0 个有错误，1 个无法读取" in summary["A2"].value  # the unreadable upload has its row too


def test_the_page_filters_and_sorts(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    with client_of(app) as clerk:
        upload(clerk, unit_links["温县"], workbook(tmp_path, "w", scores={"funds_raising": 8}, unit="温县"))
        upload(clerk, unit_links["孟州市"], workbook(tmp_path, "m", unit="孟州市"))
    assert list(unit_rows(reviewer, collection_id, "?status=errors")) == ["温县"]
    assert list(unit_rows(reviewer, collection_id, "?status=missing")) == ["修武县"]
    assert list(unit_rows(reviewer, collection_id, "?sort=status")) == ["温县", "修武县", "孟州市"]
    assert list(unit_rows(reviewer, collection_id, "?sort=name&desc=1")) == sorted(UNITS, reverse=True)
    assert list(unit_rows(reviewer, collection_id, "?sort=errors&desc=1"))[0] == "温县"


def test_units_can_come_from_an_uploaded_workbook(reviewer):
    from openpyxl import Workbook

    book = Workbook()
    for name in ("单位", "沁阳市", "博爱县"):
        book.active.append([name])
    buffer = io.BytesIO()
    book.save(buffer)
    response = reviewer.post("/collections", data={"csrf_token": reviewer.csrf, "name": "名单来自工作簿", "year": "2021",
                                                   "tables": TABLE_IDS, "units": ""},
                             files={"units_file": ("名单.xlsx", buffer.getvalue(), XLSX)})
    assert response.status_code == 200
    collection_id = int(re.search(r"/collections/(\d+)/links", str(response.url)).group(1))
    assert list(links(reviewer, collection_id)) == ["沁阳市", "博爱县"]


def test_a_bad_unit_list_is_refused_in_chinese_and_the_form_keeps_what_was_typed(reviewer):
    response = reviewer.post("/collections", data={"csrf_token": reviewer.csrf, "name": "重复的名单", "year": "2020",
                                                   "tables": [TABLE_IDS[0]], "units": "温县\n温县"})
    assert response.status_code == 400
    assert "第 2 行的单位「温县」与第 1 行重复" in response.text and "重复的名单" in response.text


def test_downloads_links_summary_and_export(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    data = workbook(tmp_path, "x", scores={"funds_raising": 8}, unit="修武县")
    with client_of(app) as clerk:
        upload(clerk, unit_links["修武县"], data)
        upload(clerk, unit_links["温县"], workbook(tmp_path, "y", unit="温县"))

    links_book = reviewer.get(f"/collections/{collection_id}/links.xlsx")
    assert links_book.headers["content-type"] == XLSX
    sheet = load_workbook(io.BytesIO(links_book.content)).active
    assert {sheet.cell(row, 1).value: sheet.cell(row, 2).value for row in range(5, 8)} == {
        unit: f"http://testserver{path}" for unit, path in unit_links.items()}

    page = reviewer.get(f"/collections/{collection_id}").text
    original = re.search(r'href="(\d+/submissions/\d+/original)"', page).group(1)
    original_response = reviewer.get(f"/collections/{original}")
    assert original_response.content == data
    assert original_response.headers["x-content-sha256"] == hashlib.sha256(data).hexdigest()
    marked = reviewer.get(f"/collections/{original.replace('original', 'marked')}")
    assert load_workbook(io.BytesIO(marked.content)).sheetnames[0] == "校验结果"
    assert "修武县-第1次-自评表.checked.xlsx" in marked.headers["content-disposition"].replace("%", "") or \
        "filename*=UTF-8''" in marked.headers["content-disposition"]

    summary = reviewer.get(f"/collections/{collection_id}/summary.xlsx")
    assert summary.status_code == 200
    summary_sheet = load_workbook(io.BytesIO(summary.content))["汇总"]
    targets = [cell.hyperlink.target for row in summary_sheet.iter_rows(min_row=5) for cell in row if cell.hyperlink]
    assert len(targets) == 2
    for target in targets:  # the summary's links open the marked-up copies for the signed-in reviewer
        opened = reviewer.get(target.replace("http://testserver", ""))
        assert opened.status_code == 200 and load_workbook(io.BytesIO(opened.content)).sheetnames[0] == "校验结果"

    exported = reviewer.get(f"/collections/{collection_id}/export.json").json()
    assert exported["counts"] == {"missing": 1, "ok": 1, "review": 0, "errors": 1, "unreadable": 0}
    assert [unit["name"] for unit in exported["units"]] == UNITS



@pytest.mark.parametrize(("public_url", "root_path", "expected"), [
    ("https://intranet.example/selfscore/", "/selfscore", "https://intranet.example/selfscore/"),  # behind nginx
    ("https://intranet.example/selfscore", "", "https://intranet.example/selfscore/"),  # no trailing /, no root path
    (None, "/selfscore", "http://testserver/selfscore/"),  # no public URL: the request's address and root path
    (None, "", "http://testserver/"),
])
def test_every_link_a_collection_hands_out_starts_with_the_public_url_or_else_the_request(
        database, tmp_path, public_url, root_path, expected):
    # Behind nginx's default `Host $proxy_host`, links built from the request would name the backend: dead for a unit.
    Access(database).set_password(PASSWORD)
    app = create_app(collections=database, processes=1, public_url=public_url)
    token = Access(database).create_api_token("links")
    with TestClient(app, root_path=root_path, base_url=f"http://testserver{root_path}") as reviewer:
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        collection_id = create(reviewer)
        unit_links = links(reviewer, collection_id, expected.rstrip("/"))  # the links page, to copy from
        assert list(unit_links) == UNITS
        upload(reviewer, unit_links["温县"], workbook(tmp_path, "w", unit="温县"))
        upload(reviewer, unit_links["孟州市"], workbook(tmp_path, "m", scores={"funds_raising": 8}, unit="孟州市"))

        sent_out = hyperlinks(reviewer.get(f"/collections/{collection_id}/links.xlsx").content)  # the workbook to send
        assert sent_out == [f"{expected}{path.lstrip('/')}" for path in unit_links.values()]
        exported = reviewer.get(f"/collections/{collection_id}/export.json").json()
        assert [unit["link"] for unit in exported["units"]] == sent_out
        summary = hyperlinks(reviewer.get(f"/collections/{collection_id}/summary.xlsx").content, "汇总")
        assert len(summary) == 2 and all(link.startswith(f"{expected}collections/{collection_id}/submissions/") for link in summary)
        for link in summary:  # the same path under the app's own address opens the marked-up copy
            opened = reviewer.get("/" + link.removeprefix(expected))
            assert opened.status_code == 200 and load_workbook(io.BytesIO(opened.content)).sheetnames[0] == "校验结果"

        api = {"Authorization": f"Bearer {token}"}
        assert [unit["link"] for unit in reviewer.get(f"/api/collections/{collection_id}", headers=api).json()["units"]] == sent_out
        created = reviewer.post("/api/collections", headers=api, json={"name": "API", "year": 2020, "tables": [TABLE_IDS[0]],
                                                                       "units": ["修武县"]}).json()
        assert created["units"][0]["link"].startswith(f"{expected}u/")
        assert hyperlinks(reviewer.get(f"/api/collections/{collection_id}/summary.xlsx", headers=api).content, "汇总") == summary

def test_close_and_reopen(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    with client_of(app) as clerk:
        page = clerk.get(unit_links["温县"])
        token = form_token(page.text)
        closed = reviewer.post(f"/collections/{collection_id}/close", data={"csrf_token": reviewer.csrf, "confirm": "yes"})
        assert "截止" in closed.text and "重新开放收集" in closed.text
        refused = clerk.post(unit_links["温县"], data={"csrf_token": token}, files={"file": ("温县.xlsx", workbook(tmp_path, "a"), XLSX)})
        assert refused.status_code == 403 and "已截止" in refused.text and 'id="closed"' in refused.text
        assert "不再接收提交" in clerk.get(unit_links["温县"]).text and 'id="upload"' not in clerk.get(unit_links["温县"]).text
        reviewer.post(f"/collections/{collection_id}/reopen", data={"csrf_token": reviewer.csrf})
        assert upload(clerk, unit_links["温县"], workbook(tmp_path, "b", unit="温县")).status_code == 200
    assert unit_rows(reviewer, collection_id)["温县"]["status"] == "ok"


def test_reissue_and_revoke_a_unit_link(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    old = links(reviewer, collection_id)["温县"]
    html = reviewer.get(f"/collections/{collection_id}/links").text
    unit_id = re.search(r'<tr data-unit="温县">.*?action="units/(\d+)/reissue"', html, re.S).group(1)
    response = reviewer.post(f"/collections/{collection_id}/units/{unit_id}/reissue", data={"csrf_token": reviewer.csrf, "confirm": "yes"})
    assert "已为「温县」生成新链接" in response.text
    new = links(reviewer, collection_id)["温县"]
    assert new != old
    with client_of(app) as clerk:
        assert clerk.get(old).status_code == 404
        assert clerk.get(new).status_code == 200
        reviewer.post(f"/collections/{collection_id}/units/{unit_id}/revoke", data={"csrf_token": reviewer.csrf, "confirm": "yes"})
        assert clerk.get(new).status_code == 404
        assert "温县" not in links(reviewer, collection_id)


# --- security ---


REVIEWER_GETS = ["/collections", "/collections/1", "/collections/1/links", "/collections/1/links.xlsx", "/collections/1/summary.xlsx",
                 "/collections/1/export.json", "/collections/1/units/1", "/collections/1/submissions/1",
                 "/collections/1/submissions/1/original", "/collections/1/submissions/1/marked", "/tokens", "/users",
                 "/collections/1/log.xlsx", "/collections/1/log.json"]
REVIEWER_POSTS = ["/collections", "/collections/1/close", "/collections/1/reopen", "/collections/1/units/1/reissue",
                  "/collections/1/units/1/revoke", "/tokens", "/tokens/1/revoke", "/logout", "/users", "/users/1/password",
                  "/users/1/disable", "/users/1/enable", "/collections/1/reviewers"]


def test_every_reviewer_route_without_a_session_is_sent_to_sign_in_or_refused(reviewer, anonymous, tmp_path):
    create(reviewer)
    for path in REVIEWER_GETS:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        # relative, so that it works under any root path; resolved, it is the sign-in page, back to where they were going
        target = urlsplit(urljoin(f"http://testserver{path}", response.headers["location"]))
        assert target.path == "/login" and parse_qs(target.query)["next"] == [path], path
    for path in REVIEWER_POSTS:
        response = anonymous.post(path, data={"csrf_token": reviewer.csrf})
        assert response.status_code == 401, path
        assert "请先登录" in response.text


def test_the_sign_in_redirect_lands_where_the_reviewer_was_going(app, reviewer):
    collection_id = create(reviewer)
    with client_of(app) as other:
        page = other.get(f"/collections/{collection_id}/links")
        assert page.url.path == "/login"
        response = other.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text),
                                              "next": f"/collections/{collection_id}/links"})
        assert response.url.path == f"/collections/{collection_id}/links"
        # never to another site
        page = other.get("/login?next=//evil.example/x")
        assert 'value="/collections"' in page.text


def test_a_form_without_its_token_is_refused_with_403(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    for path in (f"/collections/{collection_id}/close", "/collections", "/tokens"):
        response = reviewer.post(path, data={"name": "x"})
        assert response.status_code == 403 and "安全令牌" in response.text, path
        assert reviewer.post(path, data={"csrf_token": "forged"}).status_code == 403
    assert unit_rows(reviewer, collection_id)  # still open: the close without a token did nothing
    link = links(reviewer, collection_id)["温县"]
    with client_of(app) as clerk:
        response = clerk.post(link, files={"file": ("a.xlsx", workbook(tmp_path, "a"), XLSX)})
        assert response.status_code == 403
        other_link = links(reviewer, collection_id)["修武县"]
        stolen = form_token(clerk.get(other_link).text)  # a form token is only good for its own link
        assert clerk.post(link, data={"csrf_token": stolen}, files={"file": ("a.xlsx", workbook(tmp_path, "b"), XLSX)}).status_code == 403
    login = reviewer.post("/login", data={"name": ADMIN, "password": PASSWORD})
    assert login.status_code == 403


def test_a_unit_token_never_reaches_another_units_submission(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    with client_of(app) as clerk:
        theirs = upload(clerk, unit_links["温县"], workbook(tmp_path, "a", unit="温县"))
        submission_path = theirs.url.path  # /u/<温县>/submissions/<id>
        submission_id = submission_path.rsplit("/", 1)[1]
        mine = unit_links["修武县"]
        for suffix in ("", "/original", "/marked"):
            response = clerk.get(f"{mine}/submissions/{submission_id}{suffix}")
            assert response.status_code == 404, suffix
            assert "温县" not in response.text and "找不到" in response.text
        assert clerk.get(f"{submission_path}/original").status_code == 200
        assert clerk.get("/u/" + "A" * 43).status_code == 404
        # the reviewer's routes are not reachable with a unit token either
        assert clerk.get(f"/collections/{collection_id}", follow_redirects=False).status_code == 303


def test_the_stored_password_hash_is_not_the_password(database, app):
    with database.transaction() as session:
        stored = session.scalar(select(User.password_hash).where(User.name == ADMIN))
    assert PASSWORD not in stored and PASSWORD.encode().hex() not in stored
    assert stored.startswith("scrypt$")


def test_wrong_passwords_are_throttled_and_each_returns_to_the_form_with_the_message_above_it(anonymous):
    page = anonymous.get("/login")
    codes = []
    for n in range(6):  # as a browser would: each answer is the form again, with its own new form token
        page = anonymous.post("/login", data={"name": ADMIN, "password": f"guess {n}", "csrf_token": form_token(page.text),
                                              "next": "/collections/1"})
        codes.append(page.status_code)
        assert page.text.index('id="problem"') < page.text.index('type="password"')  # the message above the form
        assert f'value="{ADMIN}"' in page.text and 'value="/collections/1"' in page.text  # what was typed is kept
    assert codes == [401] * 5 + [429]
    blocked = anonymous.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text)})
    assert blocked.status_code == 429 and "15 分钟" in blocked.text and 'type="password"' in blocked.text
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60  # when to come back, for a program as for a person


def test_the_session_cookie_is_httponly_and_samesite_strict_and_secure_over_https(app):
    with client_of(app) as client:
        page = client.get("/login")
        response = client.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text)},
                               follow_redirects=False)
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("selfscore_session="))
        assert "selfscore_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
        assert "Secure" not in cookie
    with TestClient(app, base_url="https://intranet.example") as secure:
        page = secure.get("/login")
        response = secure.post("/login", data={"name": ADMIN, "password": PASSWORD, "csrf_token": form_token(page.text)},
                               follow_redirects=False)
        cookie = next(value for value in response.headers.get_list("set-cookie") if value.startswith("selfscore_session="))
        assert "Secure" in [part.strip() for part in cookie.split(";")]


def test_without_a_password_the_sign_in_page_says_how_to_set_one(database):
    with client_of(create_app(collections=database)) as client:
        page = client.get("/login")
        assert "selfscore admin add-user admin --role admin" in page.text and "selfscore admin set-password" in page.text
        assert 'type="password"' not in page.text  # no form to sign in with until a password is set
        token = client.cookies["selfscore_login"]
        assert client.post("/login", data={"name": ADMIN, "password": "", "csrf_token": token}).status_code == 401


# --- the JSON API ---


def test_the_api_creates_lists_reports_and_summarises(api, app, tmp_path):
    created = api.post("/api/collections", json={"name": "API 收集", "year": 2020, "tables": [TABLE_IDS[0]], "units": UNITS})
    assert created.status_code == 201
    body = created.json()
    assert [unit["name"] for unit in body["units"]] == UNITS and all(unit["status"] == "missing" for unit in body["units"])
    collection_id = body["collection"]["id"]
    link = body["units"][0]["link"].replace("http://testserver", "")
    with client_of(app) as clerk:
        upload(clerk, link, workbook(tmp_path, "a", scores={"funds_raising": 8}, unit="修武县"))
    status = api.get(f"/api/collections/{collection_id}").json()
    latest = status["units"][0]["latest"]
    assert status["units"][0]["status"] == "errors" and latest["errors"] == 1 and status["counts"]["missing"] == 2
    report = api.get(f"/api/collections/{collection_id}/submissions/{latest['id']}").json()
    assert report["report"]["status"] == "errors" and report["report"]["counts"]["error"] == 1
    assert report["submission"]["original_sha256"] == latest["original_sha256"]
    summary = api.get(f"/api/collections/{collection_id}/summary.xlsx")
    assert summary.headers["content-type"] == XLSX and "汇总" in load_workbook(io.BytesIO(summary.content)).sheetnames
    assert [item["id"] for item in api.get("/api/collections").json()] == [collection_id]
    assert api.post(f"/api/collections/{collection_id}/close").json()["open"] is False


def test_the_api_refuses_without_a_valid_token_in_chinese(app, api):
    with client_of(app) as client:
        for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic abc"}):
            response = client.get("/api/collections", headers=headers)
            assert response.status_code == 401 and response.json()["error"]["code"] == "unauthorized"
            assert response.headers["www-authenticate"].startswith("Bearer")
            assert "令牌" in response.json()["error"]["message"]
    assert api.get("/api/collections/999").status_code == 404
    bad = api.post("/api/collections", json={"name": "x", "year": 2020, "tables": [TABLE_IDS[0]], "units": ["a", "a"]})
    assert bad.status_code == 400 and "重复" in bad.json()["error"]["message"]


def test_the_api_is_documented_in_openapi(anonymous):
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert {"/api/collections", "/api/collections/{collection_id}", "/api/collections/{collection_id}/summary.xlsx",
            "/api/collections/{collection_id}/submissions/{submission_id}"} <= set(paths)
    assert not any(path.startswith(("/collections", "/u/", "/login")) for path in paths)  # pages are not API
    schema = anonymous.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["reviewer_token"]["scheme"].lower() == "bearer"
    assert paths["/api/collections"]["post"]["security"] == [{"reviewer_token": []}]


def test_tokens_made_on_the_page_work_once_shown_and_stop_when_revoked(reviewer, app):
    response = reviewer.post("/tokens", data={"csrf_token": reviewer.csrf, "name": "省厅汇总系统"})
    token = re.search(r'<code id="new-token">([^<]+)</code>', response.text).group(1)
    with client_of(app) as client:
        assert client.get("/api/collections", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert token not in reviewer.get("/tokens").text
        token_id = re.search(r'action="\./tokens/(\d+)/revoke"', reviewer.get("/tokens").text).group(1)
        reviewer.post(f"/tokens/{token_id}/revoke", data={"csrf_token": reviewer.csrf})
        assert client.get("/api/collections", headers={"Authorization": f"Bearer {token}"}).status_code == 401


# --- many at once ---


def test_twenty_clients_submitting_for_ten_units_at_once_are_each_stored_once(database, tmp_path):
    Access(database).set_password(PASSWORD)
    # Room in the check queue for all twenty at once: this test is about storing each exactly once; a rush beyond the
    # queue is answered 503 (test_collections_pool.py).
    app = create_app(collections=database, queue=20)
    with client_of(app) as reviewer:
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        _twenty_clients_for_ten_units(reviewer, app, database, tmp_path)


def _twenty_clients_for_ten_units(reviewer, app, database, tmp_path) -> None:
    units = [f"第{n}县" for n in range(1, 11)]
    collection_id = create(reviewer, "\n".join(units))
    unit_links = links(reviewer, collection_id)
    uploads = [(unit_links[unit], workbook(tmp_path, f"{unit}-{round_}", unit=unit,
                                           scores={"funds_raising": 8} if round_ else None), f"{unit}-{round_}.xlsx")
               for round_ in range(2) for unit in units]

    def one(item):
        link, data, name = item
        with TestClient(app) as clerk:
            return upload(clerk, link, data, name).status_code

    with ThreadPoolExecutor(max_workers=20) as pool:
        assert list(pool.map(one, uploads)) == [200] * 20
    with database.transaction() as session:
        stored = session.execute(select(Submission.file_name, Submission.number, Submission.unit_id, Submission.status)).all()
        assert session.scalar(select(func.count()).select_from(Submission)) == 20
    assert sorted(name for name, *_rest in stored) == sorted(name for _link, _data, name in uploads)
    per_unit: dict[int, list[int]] = {}
    for _name, number, unit_id, _status in stored:
        per_unit.setdefault(unit_id, []).append(number)
    assert len(per_unit) == 10 and all(sorted(numbers) == [1, 2] for numbers in per_unit.values())
    # The page shows, for each unit, the status of its row numbered 2, whichever of its two uploads that was.
    latest_status = {name.split("-")[0]: status for name, number, _unit, status in stored if number == 2}
    rows = unit_rows(reviewer, collection_id)
    assert {unit: row["status"] for unit, row in rows.items()} == latest_status
    assert all(row["resubmissions"] == "1" for row in rows.values())
    page = reviewer.get(f"/collections/{collection_id}").text
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)</span>', page))
    assert int(counts["ok"]) + int(counts["errors"]) == 10 and counts["missing"] == "0"
    assert int(counts["errors"]) == sum(1 for row in rows.values() if row["status"] == "errors")


# --- the commands ---


def test_admin_set_password_and_create_token_commands(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["admin", "set-password", "--data", str(tmp_path), "--password-stdin"], input="一个足够长的密码123\n")
    assert result.exit_code == 0, result.output
    from selfscore.collect.database import Database

    database = Database.in_directory(tmp_path)
    stored = Access(database).stored_password_hash()
    assert stored.startswith("scrypt$") and "一个足够长的密码123" not in stored
    result = runner.invoke(main, ["admin", "create-token", "汇总系统", "--data", str(tmp_path)])
    assert result.exit_code == 0 and Access(database).api_token_valid(result.output.strip())
    too_short = runner.invoke(main, ["admin", "set-password", "--data", str(tmp_path), "--password-stdin"], input="short\n")
    assert too_short.exit_code == 1 and "密码太短" in too_short.output
    listed = runner.invoke(main, ["admin", "list-tokens", "--data", str(tmp_path)])
    assert "汇总系统" in listed.output and result.output.strip() not in listed.output
    database.close()


def test_a_bad_database_url_is_a_message_not_a_traceback(tmp_path):
    result = CliRunner().invoke(main, ["admin", "create-token", "x", "--database-url", "mysql://nobody@nowhere/x"])
    assert result.exit_code == 1 and "不支持的数据库地址" in result.output and "Traceback" not in result.output


def test_export_is_json_with_the_counts(reviewer):
    collection_id = create(reviewer)
    response = reviewer.get(f"/collections/{collection_id}/export.json")
    assert json.loads(response.content)["counts"]["missing"] == 3


def test_an_oversized_or_missing_upload_through_a_link_is_refused_and_nothing_is_stored(database, tmp_path):
    Access(database).set_password(PASSWORD)
    app = create_app(collections=database, max_upload_bytes=20_000)
    with client_of(app) as reviewer:
        reviewer.csrf = sign_in(reviewer)  # type: ignore[attr-defined]
        collection_id = create(reviewer)
        link = links(reviewer, collection_id)["温县"]
        with client_of(app) as clerk:
            too_big = upload(clerk, link, b"PK" + b"\0" * 30_000, "温县.xlsx")
            assert too_big.status_code == 413 and "太大" in too_big.text
            page = clerk.get(link)
            empty = clerk.post(link, data={"csrf_token": form_token(page.text)})
            assert empty.status_code == 400 and "请选择一个填好的自评表文件" in empty.text
    with database.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Submission)) == 0


def test_a_workbook_from_another_unit_or_year_is_pointed_out(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    link = links(reviewer, collection_id)["温县"]
    with client_of(app) as clerk:
        result = upload(clerk, link, workbook(tmp_path, "a", unit="孟州市", year=2019))
    assert "工作簿中填写的单位是「孟州市」，与链接所属的单位「温县」不同" in result.text
    assert "工作簿中的评价年度是 2019，本次收集的年度是 2020" in result.text
    assert "与链接所属的单位「温县」不同" in reviewer.get(f"/collections/{collection_id}").text


def test_two_instances_on_one_database_serve_each_others_sessions_links_and_submissions(database_url, tmp_path):
    from selfscore.collect.database import Database

    first, second = Database(database_url), Database(database_url)
    Access(first).set_password(PASSWORD)
    app_a, app_b = create_app(collections=first), create_app(collections=second)
    with client_of(app_a) as reviewer_a, client_of(app_b) as reviewer_b:
        reviewer_a.csrf = sign_in(reviewer_a)  # type: ignore[attr-defined]
        collection_id = create(reviewer_a)
        reviewer_b.cookies.set("selfscore_session", reviewer_a.cookies["selfscore_session"])
        link = links(reviewer_b, collection_id)["温县"]  # signed in on A, the same session works on B
        with client_of(app_a) as clerk_a, client_of(app_b) as clerk_b:
            page = clerk_b.get(link)  # the form token made by B is accepted by A
            response = clerk_a.post(link, data={"csrf_token": form_token(page.text)},
                                    files={"file": ("温县.xlsx", workbook(tmp_path, "a", unit="温县"), XLSX)})
            assert response.status_code == 200
        assert unit_rows(reviewer_b, collection_id)["温县"]["status"] == "ok"
    first.close()
    second.close()


def test_a_workbook_a_person_must_confirm_is_needs_review_on_both_pages(reviewer, app, tmp_path):
    collection_id = create(reviewer, tables=["old_communities"])
    link = links(reviewer, collection_id)["温县"]
    data = make_workbook(tmp_path / "温县.xlsx", "old_communities", scores={"funds_raising": 5.12}, unit="温县").read_bytes()
    with client_of(app) as clerk:
        result = upload(clerk, link, data)
    assert "需人工确认：</strong>" in result.text and "「资金筹集」（扣分口径不同）" in result.text
    assert unit_rows(reviewer, collection_id)["温县"]["status"] == "review"
    assert list(unit_rows(reviewer, collection_id, "?status=review")) == ["温县"]


def test_a_total_with_bonus_and_penalty_shows_how_it_was_reached_on_the_check_and_collection_pages(monkeypatch, database, tmp_path):
    """A table with 加分项 and 扣分项 (the third-table fixture): both pages spell out the total's computation, as the results sheet does."""
    from selfscore.checking import check_workbook
    from support.third_table import FIXTURES, TABLE, filled

    monkeypatch.setenv("SELFSCORE_SCHEMAS", str(FIXTURES))
    path = filled(tmp_path / "rental.xlsx")
    explanation = check_workbook(path).total_explanation
    assert "加分" in explanation and "扣分" in explanation, explanation
    shown = f'<dt>合计的计算</dt><dd data-total="explanation">{html.escape(explanation)}</dd>'

    Access(database).set_password(PASSWORD)
    app = create_app(collections=database, processes=1)
    with client_of(app) as page:
        checked = page.post("/check", files=[("files", ("rental.xlsx", path.read_bytes(), XLSX))])
        assert shown in checked.text
        page.csrf = sign_in(page)  # type: ignore[attr-defined]
        collection_id = create(page, tables=[TABLE])
        submitted = upload(page, links(page, collection_id)["温县"], path.read_bytes())
        assert shown in submitted.text, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", submitted.text))[:1500]


#: POST routes a reviewer's session does not guard, each with what guards it instead (walked below: a POST route
#: added to the app is covered the day it is added, and one that belongs here must be named here, with its reason)
NOT_BY_SESSION = {
    "/check": None,            # the public checker: anyone may check a workbook; nothing is stored
    "/api/check": None,        # the same, as JSON
    "/api/check.xlsx": None,   # the same, the marked-up copy
    "/login": "form",          # signing in: the sign-in page's own form token
    "/u/{token}": "form",      # a unit's link: the link's own form token
}
#: the JSON API: a bearer token, not a session and a form (a browser never sends one by itself)
BY_BEARER = "/api/collections"


def _routes(routes):
    """Every route of the app, through the routers it includes (FastAPI keeps an included router as one entry)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else (route,)


def test_every_post_route_is_refused_without_its_session_or_its_form_token(app, reviewer, tmp_path):
    collection_id = create(reviewer)
    html = reviewer.get(f"/collections/{collection_id}/links").text
    unit_id = re.search(r'<tr data-unit="温县">.*?action="units/(\d+)/reissue"', html, re.S).group(1)
    reviewer.post("/tokens", data={"csrf_token": reviewer.csrf, "name": "脚本"})
    token_id = re.search(r'action="\./tokens/(\d+)/revoke"', reviewer.get("/tokens").text).group(1)
    unit_link = links(reviewer, collection_id)["温县"]
    values = {"collection_id": collection_id, "unit_id": unit_id, "token_id": token_id, "token": unit_link.rsplit("/", 1)[1],
              "user_id": 1, "submission_id": 1, "indicator_id": "funds_raising"}
    posts = sorted({route.path for route in _routes(app.routes) if "POST" in (getattr(route, "methods", None) or ())})
    assert "/tokens/{token_id}/revoke" in posts and len(posts) > len(NOT_BY_SESSION)
    checked = []
    with client_of(app) as stranger:  # one client (one start of the app's worker pool), its cookies cleared before each use
        for template in posts:
            actions = ("password", "disable", "enable") if template.startswith("/users/") else ("reissue", "revoke")
            paths = [template.format(action=action, **values) for action in actions] if "{action}" in template \
                else [template.format(**values)]
            for path in paths:
                stranger.cookies.clear()
                if template.startswith(BY_BEARER):
                    assert stranger.post(path, json={}).status_code == 401, path
                elif template in NOT_BY_SESSION:
                    assert template in ("/check", "/api/check", "/api/check.xlsx") or NOT_BY_SESSION[template] == "form"
                    if NOT_BY_SESSION[template] == "form":
                        stranger.get(path if template != "/login" else "/login")  # the form's page first, as a person would
                        response = stranger.post(path, data={"password": PASSWORD, "name": ADMIN})
                        assert response.status_code == 403 and "安全令牌" in response.text, path
                else:
                    # no session, even with a form token that was good elsewhere
                    response = stranger.post(path, data={"csrf_token": reviewer.csrf, "name": "x"})
                    assert response.status_code == 401 and "请先登录" in response.text, path
                    for form in ({"name": "x"}, {"csrf_token": "forged", "name": "x"}):  # a session, no or a forged form token
                        response = reviewer.post(path, data=form)
                        assert response.status_code == 403 and "安全令牌" in response.text, (path, form)
                checked.append(path)
    assert f"/tokens/{token_id}/revoke" in checked and "/logout" in checked
    # none of the refused requests did anything: the collection is open, every link works, the token is not revoked
    assert unit_rows(reviewer, collection_id) and links(reviewer, collection_id)["温县"] == unit_link
    assert f'action="./tokens/{token_id}/revoke"' in reviewer.get("/tokens").text
    assert reviewer.get("/collections").status_code == 200  # still signed in: /logout without its token did not log out
