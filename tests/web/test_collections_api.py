"""Collections through the web, in-process (TestClient), on SQLite and on PostgreSQL: the JSON API and its tokens, and
the admin commands."""

from __future__ import annotations

import io
import re

from click.testing import CliRunner
from openpyxl import load_workbook

from selfscore.cli import main
from selfscore.collect.access import Access
from support.collection_web import (
    UNITS,
    XLSX,
    client_of,
    upload,
    workbook,
)
from support.helpers import TABLE_IDS


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

