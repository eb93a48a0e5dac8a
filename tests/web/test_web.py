"""The web page and JSON API, driven in-process through FastAPI's TestClient."""

from __future__ import annotations

import io
import re
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from selfscore.cli import main
from selfscore.results.file_names import checked_name
from selfscore.tables.definitions import load_tables
from selfscore.web import content_disposition, create_app, display_name
from selfscore.write.filling import cell_of
from support.helpers import TABLE_IDS, make_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def app():
    return create_app(processes=1)


@pytest.fixture
def fresh_client(app):
    """A client of ``app``, for a test that inspects that app's own store."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def client():
    """One app and its check worker for the module's tests that look only at their own answers: each app starts a
    worker process (a new Python importing the checker, about 1.6 s of CPU), which thirty apps paid thirty times."""
    with TestClient(create_app(processes=1), raise_server_exceptions=False) as test_client:
        yield test_client


def workbook_bytes(tmp_path, table_id="shantytown", **changes) -> bytes:
    return make_workbook(tmp_path / f"{table_id}-{len(list(tmp_path.iterdir()))}.xlsx", table_id, **changes).read_bytes()


def xlsx_part(name: str, data: bytes, field: str = "files") -> tuple[str, tuple[str, bytes, str]]:
    return field, (name, data, XLSX)


def token_of(html: str) -> str:
    tokens = re.findall(r'href="/download/([A-Za-z0-9_-]+)"', html)
    assert len(tokens) == 1, tokens
    return tokens[0]


# --- templates, health, docs ---


@pytest.mark.parametrize("table_id", TABLE_IDS)
def test_template_download_is_the_blank_template_with_its_defined_names_and_chinese_name(client, table_id):
    response = client.get(f"/api/templates/{table_id}.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    table = load_tables()[table_id]
    assert f"filename*=UTF-8''{quote(table.file_name)}" in response.headers["content-disposition"]
    assert response.headers["content-disposition"].startswith(f'attachment; filename="{table_id}.xlsx"')
    workbook = load_workbook(io.BytesIO(response.content))
    names = set(workbook.defined_names)
    assert {"score_total", "meta_unit", "meta_year", "score_funds_raising"} <= names
    assert ("in_starts_planned" in names) == (table_id == "shantytown")
    assert ("in_households_planned" in names) == (table_id == "old_communities")
    assert cell_of(workbook, "score_total").value.startswith("=SUM(F5:F")  # 合计 sums the self-scores itself


def test_unknown_template_is_404_in_chinese(client):
    response = client.get("/api/templates/nonsense.xlsx")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_table"
    assert "没有表格「nonsense」" in response.json()["error"]["message"]


def test_health_and_openapi_docs(client):
    assert client.get("/healthz").json()["status"] == "ok"
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/check", "/api/check.xlsx", "/api/templates/{table_id}.xlsx", "/healthz"} <= set(paths)
    assert "/check" not in paths  # the people's form is not an API
    assert client.get("/docs").status_code == 200


def test_openapi_documents_every_answer_and_no_phantom_422(client):
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    template = paths["/api/templates/{table_id}.xlsx"]["get"]["responses"]
    assert set(template) == {"200", "404"}  # its path parameter cannot fail validation: no 422 listed
    assert "ValidationError" not in str(spec) and "HTTPValidationError" not in spec["components"]["schemas"]
    schema_of = {path: operations[method]["responses"]["200"]["content"] for path, operations in paths.items()
                 for method in operations}
    assert schema_of["/healthz"]["application/json"]["schema"]["$ref"].endswith("/Health")
    assert schema_of["/api/check"]["application/json"]["schema"]["$ref"].endswith("/ReportsBody")
    assert XLSX in schema_of["/api/check.xlsx"] and XLSX in schema_of["/api/templates/{table_id}.xlsx"]
    check = paths["/api/check"]["post"]["responses"]
    assert set(check) == {"200", "400", "413", "422", "503"}
    assert check["422"]["content"]["application/json"]["schema"]["$ref"].endswith("/ReportsBody")
    assert check["400"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "Retry-After" in check["503"]["headers"]
    assert set(paths["/api/check.xlsx"]["post"]["responses"]) == {"200", "400", "413", "422", "503"}
    # the documented report model is the one the API returns
    report_fields = set(spec["components"]["schemas"]["ReportModel"]["properties"])
    assert {"file", "status", "totals", "indicators", "findings", "recognised"} <= report_fields


def test_docs_load_swagger_ui_from_the_app_itself(client):
    html = client.get("/docs").text
    assert "http" not in html.replace('lang="zh-CN"', "")  # no CDN address at all
    scripts = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link rel="stylesheet" href="([^"]+)"', html)
    assert scripts and "<script>" not in html  # nothing inline, so the CSP can forbid inline scripts
    for asset in scripts:
        response = client.get(asset)
        assert response.status_code == 200 and response.content, asset
    assert "SwaggerUIBundle" in client.get(next(asset for asset in scripts if "docs.js" in asset)).text
    assert 'data-openapi-url="/openapi.json"' in html


@pytest.mark.parametrize("path", ["/", "/healthz", "/static/style.css", "/nowhere", "/docs", "/favicon.ico",
                                  "/download/" + "A" * 43])
def test_every_answer_carries_the_security_headers(client, path):
    headers = client.get(path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "unsafe-inline" not in policy


def test_pages_have_no_inline_script_or_style_the_policy_would_block(client, tmp_path):
    pages = [client.get("/").text, client.post("/check", files=[xlsx_part("a.xlsx", workbook_bytes(tmp_path))]).text,
             client.get("/nowhere").text]
    for html in pages:
        assert "<script>" not in html and " style=" not in html and "<style" not in html and "onclick" not in html


def test_the_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00" and b"PNG" in response.content[:40]
    assert '<link rel="icon" href="/favicon.ico">' in client.get("/").text


def test_under_a_root_path_every_link_starts_with_it(tmp_path):
    app = create_app(processes=1)
    with TestClient(app, root_path="/selfscore") as client:
        home = client.get("/selfscore/").text
        links = re.findall(r'(?:href|src|action)="([^"]+)"', home)
        assert links and all(link.startswith("/selfscore/") or link.startswith("#") for link in links), links
        html = client.post("/selfscore/check", files=[xlsx_part("a.xlsx", workbook_bytes(tmp_path)),
                                                       xlsx_part("b.xlsx", workbook_bytes(tmp_path))]).text
        tokens = re.findall(r'href="/selfscore/download/([\w-]+)"', html)
        assert len(tokens) == 3 and client.get(f"/selfscore/download/{tokens[0]}").status_code == 200
        assert client.get("/selfscore/check", follow_redirects=False).headers["location"] == "/selfscore/"
        missing = client.get("/selfscore/download/" + "A" * 43)
        assert missing.status_code == 404 and 'href="/selfscore/"' in missing.text
        assert client.get("/selfscore/api/templates/nonsense.xlsx").json()["error"]["code"] == "unknown_table"


def test_summary_links_use_the_public_url_when_given(tmp_path):
    app = create_app(processes=1, public_url="https://intranet.example/selfscore/")
    with TestClient(app) as client:
        html = client.post("/check", files=[xlsx_part("a.xlsx", workbook_bytes(tmp_path)),
                                            xlsx_part("b.xlsx", workbook_bytes(tmp_path))]).text
        token = re.search(r'href="/download/([\w-]+)" download="校验汇总.xlsx"', html).group(1)
        summary = load_workbook(io.BytesIO(client.get(f"/download/{token}").content))
        links = [cell.hyperlink.target for row in summary["汇总"].iter_rows() for cell in row if cell.hyperlink]
        assert len(links) == 2 and all(link.startswith("https://intranet.example/selfscore/download/") for link in links)


def test_unknown_page_is_a_chinese_404_page(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "找不到这个页面" in response.text and 'lang="zh-CN"' in response.text


# --- the JSON API ---


def test_api_check_returns_the_jiaozuo_totals_for_both_tables(client, tmp_path):
    files = [xlsx_part("焦作市棚改.xlsx", workbook_bytes(tmp_path, "shantytown", unit="焦作市")),
             xlsx_part("焦作市老旧小区.xlsx", workbook_bytes(tmp_path, "old_communities", unit="焦作市"))]
    response = client.post("/api/check", files=files)
    assert response.status_code == 200, response.text
    reports = response.json()["reports"]
    assert [(r["file"], r["table"], r["unit"], r["status"]) for r in reports] == [
        ("焦作市棚改.xlsx", "shantytown", "焦作市", "ok"), ("焦作市老旧小区.xlsx", "old_communities", "焦作市", "ok")]
    assert [r["totals"]["self"] for r in reports] == [100, 95]
    assert [r["totals"]["recomputed"] for r in reports] == [100, 95]
    assert [len(r["indicators"]) for r in reports] == [9, 11]


def test_api_check_passes_the_step_reading_through(client, tmp_path):
    files = [xlsx_part("old.xlsx", workbook_bytes(tmp_path, "old_communities"))]
    report = client.post("/api/check", files=files, data={"steps": "exact"}).json()["reports"][0]
    assert report["step_reading"] == "exact"
    assert report["totals"]["recomputed"] == 95.12
    funds = next(i for i in report["indicators"] if i["id"] == "funds_raising")
    assert funds["status"] == "rounding_reading"


def test_api_check_reports_errors_with_status_200(client, tmp_path):
    files = [xlsx_part("bad.xlsx", workbook_bytes(tmp_path, scores={"funds_raising": 7}))]
    response = client.post("/api/check", files=files)
    assert response.status_code == 200
    report = response.json()["reports"][0]
    assert report["status"] == "errors"
    assert ("score_mismatch", "F5") in {(f["code"], f["cell"]) for f in report["findings"]}


def test_api_check_xlsx_returns_the_marked_up_workbook(client, tmp_path):
    data = workbook_bytes(tmp_path, scores={"funds_raising": 7})
    response = client.post("/api/check.xlsx", files=[xlsx_part("某县.xlsx", data, "file")])
    assert response.status_code == 200
    assert response.headers["x-selfscore-status"] == "errors"
    assert response.headers["x-selfscore-errors"] == "1"  # make_workbook keeps the total equal to the sum
    assert f"filename*=UTF-8''{quote('某县.checked.xlsx')}" in response.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(response.content))
    assert "校验结果" in workbook.sheetnames
    marked = cell_of(workbook, "score_funds_raising")
    assert marked.value == 7 and marked.comment is not None and "不符" in marked.comment.text


def _corrupt_zip(tmp_path) -> bytes:
    data = workbook_bytes(tmp_path)
    return data[: len(data) // 2]


def _other_zip(_tmp_path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    return buffer.getvalue()


def _plain_workbook(_tmp_path) -> bytes:
    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    return buffer.getvalue()


BAD_UPLOADS = {
    "empty": (lambda _: b"", "文件是空的"),
    "csv renamed .xlsx": (lambda _: "单位,得分\n焦作市,100\n".encode(), "不是 .xlsx 格式"),
    "pdf renamed .xlsx": (lambda _: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "不是 .xlsx 格式"),
    "truncated xlsx": (_corrupt_zip, "文件无法作为 Excel 工作簿"),
    "zip of something else": (_other_zip, "文件无法作为 Excel 工作簿"),
    "a workbook that is no template": (_plain_workbook, "不是 selfscore 自评表模板"),
}


@pytest.mark.parametrize("kind", BAD_UPLOADS)
def test_every_bad_upload_is_422_with_its_chinese_reason(client, tmp_path, kind):
    make, reason = BAD_UPLOADS[kind]
    data = make(tmp_path)
    response = client.post("/api/check", files=[xlsx_part("上报.xlsx", data)])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["reports"][0]["status"] == "unreadable"
    assert reason in body["reports"][0]["findings"][0]["message"]
    assert body["error"]["code"] == "unreadable" and reason in body["error"]["message"]

    single = client.post("/api/check.xlsx", files=[xlsx_part("上报.xlsx", data, "file")])
    assert single.status_code == 422
    assert reason in single.json()["error"]["message"]
    assert single.headers["content-type"].startswith("application/json")


def test_one_bad_file_in_a_batch_still_reports_the_others(client, tmp_path):
    files = [xlsx_part("好.xlsx", workbook_bytes(tmp_path)), xlsx_part("坏.xlsx", b"junk")]
    response = client.post("/api/check", files=files)
    assert response.status_code == 422
    assert [r["status"] for r in response.json()["reports"]] == ["ok", "unreadable"]
    assert "「坏.xlsx」" in response.json()["error"]["message"]


def test_oversize_upload_is_413_in_chinese(tmp_path):
    data = workbook_bytes(tmp_path)
    app = create_app(max_upload_bytes=len(data) - 1, processes=1)
    with TestClient(app) as client:
        response = client.post("/api/check", files=[xlsx_part("大.xlsx", data)])
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "file_too_large"
        assert "「大.xlsx」太大：每个文件不能超过 " in response.json()["error"]["message"]
        single = client.post("/api/check.xlsx", files=[xlsx_part("大.xlsx", data, "file")])
        assert single.status_code == 413 and "太大" in single.json()["error"]["message"]
        page = client.post("/check", files=[xlsx_part("大.xlsx", data)])
        assert page.status_code == 413
        assert "「大.xlsx」太大" in page.text and "校验结果" in page.text


def test_an_oversize_file_refuses_the_api_request_before_anything_is_checked(tmp_path, monkeypatch):
    checked = []
    monkeypatch.setattr("selfscore.checking.check_many", lambda *args, **kwargs: checked.append(args))  # every check
    app = create_app(max_upload_bytes=1000, processes=0)  # in this process, where the patch applies
    with TestClient(app) as client:
        response = client.post("/api/check", files=[xlsx_part("小.xlsx", b"x" * 10), xlsx_part("大.xlsx", b"x" * 1001)])
    assert response.status_code == 413 and response.json()["error"]["file"] == "大.xlsx"
    assert checked == []


def test_a_body_beyond_every_cap_is_refused_before_it_is_read(tmp_path):
    app = create_app(max_upload_bytes=1000, max_files=1, processes=1)
    body = b"x" * (2 * 1024 * 1024)
    with TestClient(app) as client:
        announced = client.post("/api/check", content=body,
                                headers={"content-type": "multipart/form-data; boundary=b"})
        assert announced.status_code == 413 and "上传内容过大" in announced.json()["error"]["message"]
        streamed = client.post("/api/check", content=iter([body[:600_000]] * 4),
                               headers={"content-type": "multipart/form-data; boundary=b"})
        assert streamed.status_code == 413 and "上传内容过大" in streamed.json()["error"]["message"]
        page = client.post("/check", content=iter([body[:600_000]] * 4),
                           headers={"content-type": "multipart/form-data; boundary=b"})
        assert page.status_code == 413 and "上传内容过大" in page.text


def test_too_many_files_is_413(tmp_path):
    app = create_app(max_files=2, processes=1)
    with TestClient(app) as client:
        response = client.post("/api/check", files=[xlsx_part(f"{n}.xlsx", b"x") for n in range(3)])
        assert response.status_code == 413 and "一次最多上传 2 个文件" in response.json()["error"]["message"]


@pytest.mark.parametrize(("path", "request_kwargs", "code", "field"), [
    ("/api/check", {}, "no_file", "files"),
    ("/api/check", {"data": {"steps": "ceil"}}, "no_file", "files"),
    ("/api/check.xlsx", {}, "no_file", "file"),
    ("/api/check", {"data": {"steps": "round"}, "files": [("files", ("a.xlsx", b"x", XLSX))]}, "bad_request", "steps"),
])
def test_a_malformed_request_is_400_in_chinese(client, path, request_kwargs, code, field):
    response = client.post(path, **request_kwargs)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == code and f"字段 {field}" in error["message"] and CJK.search(error["message"])
    if code == "no_file":
        assert error["message"].startswith("没有收到文件")


def test_check_xlsx_with_two_files_is_400_not_the_last_one_silently(client, tmp_path):
    files = [xlsx_part("甲.xlsx", workbook_bytes(tmp_path), "file"), xlsx_part("乙.xlsx", workbook_bytes(tmp_path), "file")]
    response = client.post("/api/check.xlsx", files=files)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "one_file_only" and "收到 2 个" in response.json()["error"]["message"]


def test_a_checker_crash_is_an_unreadable_file_not_a_500(client, tmp_path, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("selfscore.checking._finish", explode)  # the report-only path and the marked-up one alike
    client = TestClient(create_app(processes=0))  # in this process, where the patch applies
    data = workbook_bytes(tmp_path)
    response = client.post("/api/check", files=[xlsx_part("a.xlsx", data)])
    assert response.status_code == 422
    assert [finding["code"] for finding in response.json()["reports"][0]["findings"]] == ["check_failed"]
    assert "程序出错（KeyError）" in response.json()["error"]["message"]
    assert client.post("/api/check.xlsx", files=[xlsx_part("a.xlsx", data, "file")]).status_code == 422
    page = client.post("/check", files=[xlsx_part("a.xlsx", data)])
    assert page.status_code == 200 and "程序出错（KeyError）" in page.text


def test_no_mangled_workbook_ever_gets_a_500(client, tmp_path):
    data = workbook_bytes(tmp_path)
    variants = [data[:n] for n in (1, 2, 4, 30, 100, 1000, len(data) - 22, len(data) - 1)]
    variants += [data[:n] + bytes(b ^ 0xFF for b in data[n:n + 64]) + data[n + 64:] for n in (40, 300, 2000, len(data) - 200)]
    variants += [b"PK\x03\x04" + b"\x00" * 100, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "ＰＫ".encode()]
    for variant in variants:
        response = client.post("/api/check", files=[xlsx_part("x.xlsx", variant)])
        assert response.status_code in (200, 422), (len(variant), response.text[:200])
        assert CJK.search(response.text)


# --- the pages for people ---


def test_home_page_offers_both_templates_the_upload_form_and_the_step_readings(client):
    html = client.get("/").text
    assert 'lang="zh-CN"' in html
    for table in load_tables().values():
        assert f'href="/api/templates/{table.id}.xlsx"' in html and f"下载模板：{table.file_name}" in html
    assert re.search(r'<input id="files" name="files" type="file" multiple', html)
    assert '<label for="files">' in html
    for step, name in (("ceil", "不足一档按一档计"), ("exact", "按比例计"), ("floor", "满一档才计")):
        assert f'id="steps-{step}"' in html and f'<label for="steps-{step}"><strong>{name}</strong>' in html
    assert 'action="/check" method="post" enctype="multipart/form-data"' in html
    assert "每个文件不超过 10 MB" in html


def test_result_page_shows_totals_indicators_findings_and_a_working_download(client, tmp_path):
    data = workbook_bytes(tmp_path, scores={"funds_raising": 7}, unit="温县")
    response = client.post("/check", files=[xlsx_part("温县.xlsx", data)], data={"steps": "ceil"})
    assert response.status_code == 200
    html = response.text
    assert "温县" in html and "公租房保障和棚户区改造" in html
    assert re.search(r'data-total="self">\s*97\s*<', html) and re.search(r'data-total="recomputed">\s*100\s*<', html)
    assert re.search(r'<tr class="row-mismatch">\s*<th scope="row" data-label="二级指标">资金筹集</th>', html)
    assert '<span class="badge indicator-mismatch">不符</span>' in html
    assert "「自评表」F5（资金筹集·自评得分）：自评得分 7 与按填报数据重新计算的 10 分不符" in html
    assert "汇总" not in html  # one file: no summary table

    token = token_of(html)
    assert len(token) >= 40
    download = client.get(f"/download/{token}")
    assert download.status_code == 200
    assert f"filename*=UTF-8''{quote('温县.checked.xlsx')}" in download.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(download.content))
    assert workbook.sheetnames[0] == "校验结果" and cell_of(workbook, "meta_unit").value == "温县"


def test_several_files_get_a_summary_first_and_an_unreadable_one_its_reason(client, tmp_path):
    files = [xlsx_part("甲县.xlsx", workbook_bytes(tmp_path, unit="甲县")),
             xlsx_part("乙县.xlsx", workbook_bytes(tmp_path, "old_communities", unit="乙县")),
             xlsx_part("丙县.xlsx", "这是一段文字".encode())]
    response = client.post("/check", files=files)
    assert response.status_code == 200
    html = response.text
    summary = html[html.index('id="summary"'):html.index('id="file-1"')]
    rows = re.findall(r'<a href="#file-(\d)">(.+?)</a>', summary)
    assert rows == [("1", "甲县.xlsx"), ("2", "乙县.xlsx"), ("3", "丙县.xlsx")]
    assert summary.count("通过") == 2 and summary.count("无法读取") == 1
    assert "丙县.xlsx" in html and "文件无法作为 Excel 工作簿（.xlsx）打开：文件不是 .xlsx 格式" in html
    assert len(re.findall(r'href="/download/', html)) == 3  # two marked-up copies and the summary


def test_several_files_offer_the_reviewers_summary_workbook_with_working_links(client, tmp_path):
    files = [xlsx_part("甲县.xlsx", workbook_bytes(tmp_path, unit="甲县")),
             xlsx_part("乙县.xlsx", workbook_bytes(tmp_path, unit="乙县", scores={"funds_raising": 7})),
             xlsx_part("丙县.xlsx", "这是一段文字".encode())]
    html = client.post("/check", files=files).text
    summary_token = re.search(r'<a class="button" href="/download/([\w-]+)" download="校验汇总.xlsx">', html).group(1)
    download = client.get(f"/download/{summary_token}")
    assert download.status_code == 200
    assert f"filename*=UTF-8''{quote('校验汇总.xlsx')}" in download.headers["content-disposition"]
    workbook = load_workbook(io.BytesIO(download.content))
    assert workbook.sheetnames == ["汇总", "指标明细", "图表"]
    sheet = workbook["汇总"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    names = [row[1] for row in rows if len(row) > 1 and row[1] in ("甲县.xlsx", "乙县.xlsx", "丙县.xlsx")]
    assert names == ["乙县.xlsx", "甲县.xlsx", "丙县.xlsx"]  # largest difference first, unreadable last
    links = [cell.hyperlink.target for row in sheet.iter_rows() for cell in row if cell.hyperlink is not None]
    assert len(links) == 2 and all(link.startswith("http://testserver/download/") for link in links)
    for link in links:
        marked = client.get(link.removeprefix("http://testserver"))
        assert marked.status_code == 200 and load_workbook(io.BytesIO(marked.content)).sheetnames[0] == "校验结果"


def test_one_file_gets_no_summary_workbook(client, tmp_path):
    html = client.post("/check", files=[xlsx_part("甲县.xlsx", workbook_bytes(tmp_path))]).text
    assert "校验汇总.xlsx" not in html


def test_submitting_no_file_returns_the_form_with_a_chinese_hint(client):
    response = client.post("/check", files=[("files", ("", b"", "application/octet-stream"))])
    assert response.status_code == 400
    assert "请先选择至少一个填好的 .xlsx 文件" in response.text and 'id="files"' in response.text


def test_reopening_the_result_address_leads_back_to_the_form(client):
    response = client.get("/check", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_unknown_or_malformed_tokens_are_404(client):
    for token in ("A" * 43, "short", "..%2E%2E"):
        response = client.get(f"/download/{token}")
        assert response.status_code == 404
        assert "下载链接无效或已过期" in response.text
    traversal = client.get("/download/..%2F..%2Fetc%2Fpasswd")
    assert traversal.status_code == 404 and "root:" not in traversal.text and "找不到这个页面" in traversal.text


def test_client_file_names_are_display_text_only(fresh_client, app, tmp_path):
    data = workbook_bytes(tmp_path)
    response = fresh_client.post("/check", files=[xlsx_part("../../<img src=x onerror=alert(1)>.xlsx", data)])
    assert response.status_code == 200
    assert "<img src=x" not in response.text and "&lt;img src=x onerror=alert(1)&gt;.xlsx" in response.text
    assert "../" not in response.text
    stored = sorted(path.name for path in app.state.store.directory.iterdir())
    assert len(stored) == 2 and all(re.fullmatch(r"[A-Za-z0-9_-]{43}\.(json|xlsx)", name) for name in stored), stored
    assert "img" not in "".join(stored)
    assert display_name("C:\\Users\\张三\\桌面\\县.xlsx") == "县.xlsx"
    assert display_name("a\r\nb.xlsx") == "ab.xlsx"
    assert display_name("") == "上传的文件"
    assert checked_name("县.checked.xlsx") == checked_name("县.XLSX") == "县.checked.xlsx"
    assert content_disposition("县.checked.xlsx") == (
        "attachment; filename=\"selfscore.checked.xlsx\"; filename*=UTF-8''%E5%8E%BF.checked.xlsx")
    assert content_disposition('a";x.xlsx').startswith('attachment; filename="selfscore.xlsx"')


# --- storage: time limit and concurrency ---


def stopped_clock(store) -> list[float]:
    """The store's clock held still and moved by the test (``clock[0] += seconds``): whether a copy has expired then
    depends on the time the test says has passed, not on how long a busy machine took between two requests."""
    clock = [time.time()]
    store._clock = lambda: clock[0]  # noqa: SLF001
    return clock


def test_marked_up_workbooks_expire_after_the_ttl(tmp_path):
    app = create_app(ttl_seconds=1.0, processes=1)
    store = app.state.store
    clock = stopped_clock(store)
    client = TestClient(app)  # no lifespan: only the download itself notices that its file expired
    token = token_of(client.post("/check", files=[xlsx_part("a.xlsx", workbook_bytes(tmp_path))]).text)
    clock[0] += 0.9
    assert client.get(f"/download/{token}").status_code == 200
    assert len(list(store.directory.iterdir())) == 2  # the copy and its metadata
    clock[0] += 0.1
    assert client.get(f"/download/{token}").status_code == 404
    assert list(store.directory.iterdir()) == []


def test_the_sweeper_removes_expired_files_without_any_request(tmp_path):
    app = create_app(ttl_seconds=2, processes=1)
    store = app.state.store
    clock = stopped_clock(store)
    with TestClient(app) as client:
        client.post("/check", files=[xlsx_part("a.xlsx", workbook_bytes(tmp_path))])
        assert len(list(store.directory.iterdir())) == 2
        clock[0] += 2
        deadline = time.monotonic() + 60  # only against a hang: the sweeper runs every second
        while list(store.directory.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert list(store.directory.iterdir()) == []


def test_concurrent_uploads_each_get_their_own_result(client, tmp_path):
    counties = [f"第{n}县" for n in range(8)]
    uploads = {county: workbook_bytes(tmp_path, unit=county, scores={"project_quality": n % 3 + 8})
               for n, county in enumerate(counties)}

    def check_page(county: str) -> tuple[str, str, str]:
        html = client.post("/check", files=[xlsx_part(f"{county}.xlsx", uploads[county])]).text
        token = token_of(html)
        marked = load_workbook(io.BytesIO(client.get(f"/download/{token}").content))
        return county, re.search(r'data-total="self">\s*(\S+?)\s*<', html).group(1), cell_of(marked, "meta_unit").value

    def check_api(county: str) -> tuple[str, str]:
        report = client.post("/api/check", files=[xlsx_part(f"{county}.xlsx", uploads[county])]).json()["reports"][0]
        return report["unit"], report["file"]

    with ThreadPoolExecutor(max_workers=8) as pool:
        pages = list(pool.map(check_page, counties))
        api = list(pool.map(check_api, counties))
    assert [(county, unit) for county, _, unit in pages] == [(county, county) for county in counties]
    assert [total for _, total, _ in pages] == [str(90 + n % 3 + 8) for n in range(8)]
    assert api == [(county, f"{county}.xlsx") for county in counties]


# --- the command ---


def test_serve_starts_uvicorn_with_the_app_and_the_given_limits(monkeypatch, tmp_path):
    started = {}

    def fake_run(app, **kwargs):
        started.update(kwargs, store=app.state.store, pool=app.state.pool)

    monkeypatch.setattr("uvicorn.run", fake_run)
    result = CliRunner().invoke(main, ["serve", "--port", "8123", "--ttl", "60", "--max-upload-mb", "2", "--processes", "3",
                                       "--queue", "5", "--store", str(tmp_path / "store"), "--root-path", "/selfscore/"])
    assert result.exit_code == 0, result.output
    assert started["host"] == "127.0.0.1" and started["port"] == 8123
    assert started["root_path"] == "/selfscore" and started["proxy_headers"] is True
    assert started["store"].ttl_seconds == 60 and started["store"].directory == tmp_path / "store"
    assert started["pool"].processes == 3 and started["pool"].capacity == 8
    assert "http://127.0.0.1:8123/selfscore/" in result.output



@pytest.mark.parametrize("public_url", ["intranet.example/selfscore/", "/selfscore/", "ftp://intranet.example/"])
def test_serve_refuses_a_public_url_that_is_not_a_full_address(monkeypatch, public_url):
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: pytest.fail("started with an unusable --public-url"))
    result = CliRunner().invoke(main, ["serve", "--public-url", public_url])
    assert result.exit_code == 2
    assert "--public-url" in result.output and "必须是完整的网址（以 http:// 或 https:// 开头）" in result.output

def test_serve_help_lists_its_options():
    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    assert all(option in result.output for option in ("--host", "--port", "--max-upload-mb", "--ttl"))


def test_a_score_a_person_must_confirm_is_review_in_the_api_the_header_and_the_page(client, tmp_path):
    data = workbook_bytes(tmp_path, "old_communities", scores={"funds_raising": 5.12})  # matches only 按比例计
    report = client.post("/api/check", files=[xlsx_part("县.xlsx", data)]).json()["reports"][0]
    assert (report["status"], report["counts"]["error"]) == ("review", 0)
    single = client.post("/api/check.xlsx", files=[xlsx_part("县.xlsx", data, "file")])
    assert single.headers["x-selfscore-status"] == "review"
    page = client.post("/check", files=[xlsx_part("县.xlsx", data)]).text
    assert '<span class="badge status-review">需人工确认</span>' in page
    assert re.search(r'class="verdict verdict-review">\s*<strong>需人工确认：</strong>', page)
    assert "「资金筹集」（扣分口径不同）" in page
    assert ">通过<" not in page


def test_a_page_with_nothing_readable_promises_no_download(client):
    page = client.post("/check", files=[xlsx_part("文字.xlsx", "这是一段文字".encode())]).text
    assert "可以下载" not in page and "/download/" not in page
    assert "没有可下载的标注副本" in page
