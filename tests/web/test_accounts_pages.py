"""Users and roles, the log of actions, and the small things a person meets first, through the web app and the
commands, on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import re
import string
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from alembic import command
from alembic.config import Config
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import text

from selfscore.cli import main
from selfscore.collect.access import Access, hash_password
from selfscore.collect.database import Database, make_engine
from selfscore.web import create_app
from support.collection_web import ADMIN, PASSWORD, client_of, create, form_token, links, sign_in, upload, workbook

REVIEWER, OUTSIDER = "李复核", "王局外"
REVIEWER_PASSWORD, OUTSIDER_PASSWORD = "李复核的密码-2021", "王局外的密码-2021"


@pytest.fixture
def app(database):
    access = Access(database)
    access.set_password(PASSWORD)
    access.add_user(REVIEWER, REVIEWER_PASSWORD, "reviewer")
    access.add_user(OUTSIDER, OUTSIDER_PASSWORD, "reviewer")
    return create_app(collections=database, processes=0)  # checks in threads: see the `app` fixture in conftest.py


def _client(app, name: str, password: str):
    client = client_of(app)
    client.__enter__()
    client.csrf = sign_in(client, name, password)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def admin(app):
    client = _client(app, ADMIN, PASSWORD)
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def reviewer(app):
    client = _client(app, REVIEWER, REVIEWER_PASSWORD)
    yield client
    client.__exit__(None, None, None)


@pytest.fixture
def outsider(app):
    client = _client(app, OUTSIDER, OUTSIDER_PASSWORD)
    yield client
    client.__exit__(None, None, None)


def _user_id(admin_client, name: str) -> str:
    page = admin_client.get("/users").text
    return re.search(rf'<tr data-user="{re.escape(name)}">.*?action="users/(\d+)/password"', page, re.S).group(1)


def _collection_values(app, client, collection_id: int, tmp_path) -> dict[str, str]:
    """Every value a collection route's path can hold, for a collection with one submission."""
    page = client.get(f"/collections/{collection_id}/links").text
    unit_id = re.search(r'<tr data-unit="温县">.*?action="units/(\d+)/reissue"', page, re.S).group(1)
    with client_of(app) as clerk:
        submitted = upload(clerk, links(client, collection_id)["温县"], workbook(tmp_path, "w", unit="温县"))
    submission_id = submitted.url.path.rsplit("/", 1)[1]
    return {"collection_id": str(collection_id), "unit_id": unit_id, "submission_id": submission_id,
            "action": "reissue", "which": "original", "indicator_id": "funds_raising"}


def _routes(routes):
    for route in routes:
        included = getattr(route, "original_router", None)
        yield from _routes(included.routes) if included is not None else (route,)


# --- users ---


def test_the_admin_creates_a_reviewer_on_the_users_page_who_then_signs_in(admin, app):
    page = admin.get("/users")
    assert page.status_code == 200 and f'<tr data-user="{ADMIN}">' in page.text
    form = {"csrf_token": admin.csrf, "name": "赵新人", "role": "reviewer"}
    spaces = admin.post("/users", data={**form, "password": " " * 10, "password_again": " " * 10})
    assert spaces.status_code == 400 and "密码太短：至少 10 个字符（空格不计）" in spaces.text
    assert 'value="赵新人"' in spaces.text  # what was typed stays
    differ = admin.post("/users", data={**form, "password": "一二三四五六七八九十", "password_again": "一二三四五六七八九"})
    assert differ.status_code == 400 and "两次输入的密码不一致" in differ.text
    made = admin.post("/users", data={**form, "password": "一二三四五六七八九十", "password_again": "一二三四五六七八九十"})
    assert made.status_code == 200 and "已新建用户「赵新人」（复核人员）" in made.text
    taken = admin.post("/users", data={**form, "password": "一二三四五六七八九十", "password_again": "一二三四五六七八九十"})
    assert taken.status_code == 400 and "用户名「赵新人」已被使用" in taken.text
    # ten spaces are not a new password either: refused, and the one they have still signs them in below
    spaces = admin.post(f"/users/{_user_id(admin, '赵新人')}/password",
                        data={"csrf_token": admin.csrf, "password": " " * 10, "password_again": " " * 10})
    assert spaces.status_code == 400 and "「赵新人」：密码太短：至少 10 个字符（空格不计）" in spaces.text

    with client_of(app) as newcomer:
        newcomer.csrf = sign_in(newcomer, "赵新人", "一二三四五六七八九十")  # type: ignore[attr-defined]
        assert "赵新人（复核人员）" in newcomer.get("/collections").text
        assert newcomer.get("/users").status_code == 403  # a reviewer does not manage users
        sneaked = {**form, "name": "偷偷加的", "password": "x" * 12, "password_again": "x" * 12}
        assert newcomer.post("/users", data=sneaked).status_code == 403
        assert '/users">用户</a>' not in newcomer.get("/collections").text and '/users">用户</a>' in admin.get("/collections").text

        user_id = _user_id(admin, "赵新人")
        admin.post(f"/users/{user_id}/disable", data={"csrf_token": admin.csrf})
        assert newcomer.get("/collections", follow_redirects=False).status_code == 303  # their session ended
    with client_of(app) as again:
        page = again.get("/login")
        refused = again.post("/login", data={"name": "赵新人", "password": "一二三四五六七八九十", "csrf_token": form_token(page.text)})
        assert refused.status_code == 401 and "用户名或密码不正确" in refused.text
    assert "不能停用自己" in admin.post(f"/users/{_user_id(admin, ADMIN)}/disable", data={"csrf_token": admin.csrf}).text
    listed = admin.get("/users").text
    assert re.search(r'<tr data-user="赵新人">.*?停用</td>', listed, re.S)


def test_the_admin_commands_add_set_disable_and_list_users(database_url):
    runner = CliRunner()
    where = ["--database-url", database_url]
    # prompted twice, hidden: a mistyped second entry is asked again, not taken
    added = runner.invoke(main, ["admin", "add-user", "张三", "--role", "reviewer", *where],
                          input="张三的密码很长很长很长\n张三的密码很长很长很长\n")
    assert added.exit_code == 0 and "已新建用户「张三」（复核人员）" in added.output, added.output
    assert "张三的密码很长很长很长" not in added.output
    short = runner.invoke(main, ["admin", "add-user", "李四", *where, "--password-stdin"], input="短密码\n")
    assert short.exit_code == 1 and "密码太短" in short.output
    for command_line in (["admin", "set-password", *where, "--password-stdin"],  # no name: the admin user
                         ["admin", "set-password", "张三", *where, "--password-stdin"]):
        spaces = runner.invoke(main, command_line, input=" " * 10 + "\n")
        assert spaces.exit_code == 1 and "密码太短：至少 10 个字符（空格不计）" in spaces.output, spaces.output
    assert runner.invoke(main, ["admin", "set-password", *where, "--password-stdin"], input=PASSWORD + "\n").exit_code == 0
    changed = runner.invoke(main, ["admin", "set-password", "张三", *where, "--password-stdin"], input="张三的新密码也很长很长\n")
    assert changed.exit_code == 0 and "「张三」的密码已设置" in changed.output
    unknown = runner.invoke(main, ["admin", "set-password", "没有这人", *where, "--password-stdin"], input="随便什么很长很长的密码\n")
    assert unknown.exit_code == 1 and "没有用户「没有这人」" in unknown.output and "Traceback" not in unknown.output
    database = Database(database_url)
    access = Access(database)
    assert access.log_in("张三", "张三的新密码也很长很长", "cli") is not None and access.log_in(ADMIN, PASSWORD, "cli") is not None
    assert runner.invoke(main, ["admin", "disable-user", "张三", *where]).exit_code == 0
    assert access.log_in("张三", "张三的新密码也很长很长", "cli") is None
    listed = runner.invoke(main, ["admin", "list-users", *where]).output.splitlines()
    assert [line.split("\t")[:2] for line in listed] == [["张三", "复核人员"], [ADMIN, "管理员"]]
    assert "停用" in listed[0] and "可登录" in listed[1] and "密码" not in "".join(listed)
    token = runner.invoke(main, ["admin", "create-token", "李四的脚本", "--user", "李四", *where])
    assert token.exit_code == 1 and "没有用户「李四」" in token.output
    database.close()


def test_todays_shared_password_becomes_the_user_admin_through_the_migration(database_url):
    """A database as today's release leaves it (migration 0001, the password in settings, a token, a collection,
    a signed-in session), upgraded: the same password signs in as admin and the token and collection are theirs."""
    engine = make_engine(database_url)
    config = Config()
    config.set_main_option("script_location", "selfscore.collect:migrations")
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        now = datetime.now(UTC).replace(tzinfo=None)
        # what today's Access.set_password and create_api_token write
        connection.execute(text("INSERT INTO settings (key, value) VALUES ('admin_password', :hash)"), {"hash": hash_password(PASSWORD)})
        connection.execute(text("INSERT INTO api_tokens (name, token_sha256, created_at) VALUES ('旧令牌', :sha, :now)"),
                           {"sha": __import__("hashlib").sha256(b"ss_old-token").hexdigest(), "now": now})
        connection.execute(text("INSERT INTO collections (name, year, tables, created_at) VALUES ('旧收集', 2020, 'shantytown', :now)"),
                           {"now": now})
    engine.dispose()

    database = Database(database_url)  # migrates to the newest
    access = Access(database)
    assert [(user.name, user.role) for user in access.users()] == [(ADMIN, "admin")]
    signed = access.log_in(ADMIN, PASSWORD, "test")
    assert signed is not None and signed[1].user.is_admin
    assert access.log_in(ADMIN, "wrong password!!", "test") is None
    assert access.api_user("ss_old-token").name == ADMIN
    with database.transaction() as session:
        assert session.execute(text("SELECT count(*) FROM settings WHERE key = 'admin_password'")).scalar() == 0
    with client_of(create_app(collections=database, processes=1)) as client:
        client.csrf = sign_in(client)  # type: ignore[attr-defined]
        assert "旧收集" in client.get("/collections").text  # the admin sees the collection made before there were users
    database.close()


# --- who sees what ---


def test_a_reviewer_not_on_a_collection_gets_404_on_every_one_of_its_routes(app, admin, outsider, reviewer, database, tmp_path):
    collection_id = create(admin)
    values = _collection_values(app, admin, collection_id, tmp_path)
    outsider_token = Access(database).create_api_token("局外人的脚本", OUTSIDER)
    templates = sorted({(route.path, method) for route in _routes(app.routes) if "{collection_id}" in route.path
                        for method in (getattr(route, "methods", None) or ()) if method in ("GET", "POST")})
    assert len(templates) >= 18, templates
    walked = []
    paths = [(string.Formatter().vformat(template, (), {**values, "action": action, "which": which}), template, method)
             for template, method in templates for action in ("reissue", "revoke") for which in ("original", "marked")]
    for path, template, method in dict.fromkeys(paths):
        if template.startswith("/api/"):
            response = outsider.request(method, path, headers={"Authorization": f"Bearer {outsider_token}"}, json={})
        else:
            response = outsider.request(method, path, data={"csrf_token": outsider.csrf, "confirm": "yes", "user": "1"})
        assert response.status_code == 404, (method, path, response.status_code)
        assert "温县" not in response.text and "焦作市" not in response.text, path
        walked.append(path)
    assert f"/collections/{collection_id}/log.xlsx" in walked and f"/api/collections/{collection_id}" in walked
    assert f'/collections/{collection_id}">' not in outsider.get("/collections").text
    assert outsider.get("/api/collections", headers={"Authorization": f"Bearer {outsider_token}"}).json() == []
    # nothing the outsider sent did anything
    log = admin.get(f"/collections/{collection_id}/log.json").json()["actions"]
    assert [entry["action"] for entry in log] == ["create", "submit"]

    # added as a 「复核人员」 by the admin, the same reviewer sees it; the one not added still does not
    admin.post(f"/collections/{collection_id}/reviewers", data={"csrf_token": admin.csrf, "user": _user_id(admin, REVIEWER)})
    assert reviewer.get(f"/collections/{collection_id}").status_code == 200
    assert f'/collections/{collection_id}">' in reviewer.get("/collections").text
    assert outsider.get(f"/collections/{collection_id}").status_code == 404


def test_a_reviewer_sees_what_they_created_and_chooses_its_reviewers_others_do_not(app, admin, reviewer, outsider):
    mine = create(reviewer)
    assert reviewer.get(f"/collections/{mine}").status_code == 200
    assert admin.get(f"/collections/{mine}").status_code == 200  # an admin sees every collection
    assert outsider.get(f"/collections/{mine}").status_code == 404
    page = reviewer.get(f"/collections/{mine}").text
    outsider_id = re.search(rf'value="(\d+)"> {OUTSIDER}', page).group(1)
    reviewer.post(f"/collections/{mine}/reviewers", data={"csrf_token": reviewer.csrf, "user": outsider_id})
    assert outsider.get(f"/collections/{mine}").status_code == 200
    assert "保存复核人员" not in outsider.get(f"/collections/{mine}").text  # added, not its creator: cannot choose
    refused = outsider.post(f"/collections/{mine}/reviewers", data={"csrf_token": outsider.csrf})
    assert refused.status_code == 403 and "创建人" in refused.text


# --- the log ---


def test_every_action_is_in_the_log_with_its_user_on_the_unit_page_and_in_the_xlsx_and_json(app, admin, reviewer, tmp_path):
    collection_id = create(reviewer)
    values = _collection_values(app, reviewer, collection_id, tmp_path)
    unit_id = values["unit_id"]
    for action in ("reissue", "revoke"):
        reviewer.post(f"/collections/{collection_id}/units/{unit_id}/{action}", data={"csrf_token": reviewer.csrf, "confirm": "yes"})
    admin.post(f"/collections/{collection_id}/close", data={"csrf_token": admin.csrf, "confirm": "yes"})
    admin.post(f"/collections/{collection_id}/reopen", data={"csrf_token": admin.csrf})

    page = reviewer.get(f"/collections/{collection_id}").text
    assert f'href="{collection_id}/log.xlsx"' in page and f'href="{collection_id}/log.json"' in page
    log = reviewer.get(f"/collections/{collection_id}/log.json").json()["actions"]
    assert [(entry["action"], entry["user"], entry["unit"]) for entry in log] == [
        ("create", REVIEWER, None), ("submit", "单位经办人", "温县"), ("reissue", REVIEWER, "温县"), ("revoke", REVIEWER, "温县"),
        ("close", ADMIN, None), ("reopen", ADMIN, None)]
    assert log[1]["submission_id"] == int(values["submission_id"]) and all(entry["at"] for entry in log)

    sheet = load_workbook(io.BytesIO(reviewer.get(f"/collections/{collection_id}/log.xlsx").content)).active
    rows = [[cell for cell in row] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert [(row[1], row[2], row[3]) for row in rows] == [
        (REVIEWER, "新建收集", None), ("单位经办人", "单位提交", "温县"), (REVIEWER, "生成新链接", "温县"), (REVIEWER, "收回链接", "温县"),
        (ADMIN, "截止收集", None), (ADMIN, "重新开放收集", None)]

    history = reviewer.get(f"/collections/{collection_id}/units/{unit_id}").text
    logged = re.findall(r'<tr data-action="(\w+)"><td data-label="时间">[^<]+</td><td data-label="操作人">([^<]+)</td>', history)
    assert logged == [("submit", "单位经办人"), ("reissue", REVIEWER), ("revoke", REVIEWER)]


def test_user_changes_are_recorded_with_who_made_them(admin, database):
    from selfscore.collect.actions import actions

    admin.post("/users", data={"csrf_token": admin.csrf, "name": "钱新", "role": "admin", "password": "钱新的密码很长很长很长",
                               "password_again": "钱新的密码很长很长很长"})
    admin.post(f"/users/{_user_id(admin, '钱新')}/disable", data={"csrf_token": admin.csrf})
    with database.transaction() as session:
        logged = [(entry.user_name, entry.action, entry.detail) for entry in actions(session)]
    assert logged[-2:] == [(ADMIN, "add_user", "钱新（管理员）"), (ADMIN, "disable_user", "钱新")]


# --- small things a person meets first ---


def test_close_reissue_and_revoke_ask_first_and_do_nothing_until_confirmed(app, admin):
    collection_id = create(admin)
    link = links(admin, collection_id)["温县"]
    unit_id = re.search(r'<tr data-unit="温县">.*?action="units/(\d+)/reissue"', admin.get(f"/collections/{collection_id}/links").text,
                        re.S).group(1)
    for path, question in ((f"/collections/{collection_id}/close", "确定截止吗"),
                           (f"/collections/{collection_id}/units/{unit_id}/reissue", "原链接立即失效"),
                           (f"/collections/{collection_id}/units/{unit_id}/revoke", "确定收回吗")):
        asked = admin.post(path, data={"csrf_token": admin.csrf})
        assert asked.status_code == 200 and question in asked.text, path
        # the confirmation is a real form: the same address, the session's token, confirm=yes; and a way back
        form = re.search(r'<form method="post" action="([^"]+)" class="inline" id="confirm">(.*?)</form>', asked.text, re.S)
        assert form and path.endswith("/" + form.group(1)) and 'name="confirm" value="yes"' in form.group(2)
        assert form_token(form.group(2)) == admin.csrf and ">取消</a>" in asked.text
    with client_of(app) as clerk:
        assert clerk.get(link).status_code == 200 and 'id="upload"' in clerk.get(link).text  # still open, link unchanged
    confirmed = admin.post(f"/collections/{collection_id}/close", data={"csrf_token": admin.csrf, "confirm": "yes"})
    assert "重新开放收集" in confirmed.text


def test_a_closed_collections_unit_page_says_when_it_closed_and_whom_to_ask(app, admin, reviewer):
    collection_id = create(reviewer)
    admin.post(f"/collections/{collection_id}/reviewers", data={"csrf_token": admin.csrf, "user": _user_id(admin, OUTSIDER)})
    reviewer.post(f"/collections/{collection_id}/close", data={"csrf_token": reviewer.csrf, "confirm": "yes"})
    closed_at = re.search(r"已于 ([\d-]+ [\d:]+) 截止", reviewer.get(f"/collections/{collection_id}").text).group(1)
    with client_of(app) as clerk:
        page = clerk.get(links(reviewer, collection_id)["温县"]).text
    notice = re.search(r'<div class="alert" role="alert" id="closed">(.*?)</div>', page, re.S).group(1)
    assert f"已于 {closed_at} 截止" in notice and f"请联系{REVIEWER}、{OUTSIDER}" in notice


def test_the_home_page_links_to_the_collections_for_a_signed_in_user_only(app, admin):
    assert 'href="/collections"' in admin.get("/").text
    with client_of(app) as anonymous:
        assert 'href="/collections"' not in anonymous.get("/").text


@pytest.mark.parametrize("trailing", ["。", "）", " ", "\n", "\r\n", "。）"])
def test_a_unit_link_pasted_with_what_followed_it_still_opens_the_unit(app, admin, trailing):
    collection_id = create(admin)
    link = links(admin, collection_id)["温县"]
    with client_of(app) as clerk:
        opened = clerk.get(link + quote(trailing))
        assert opened.status_code == 200 and opened.url.path == link and "温县" in opened.text
        assert clerk.get(link[:-3] + quote(trailing)).status_code == 404  # a cut-off link is still not found
