"""Collections through the web, in-process (TestClient), on SQLite and on PostgreSQL: the reviewer's and the clerks' flow
(creating, submitting, the page, downloads, links, closing, what a submission's workbook says). The security checks,
the JSON API and the commands, and many clients at once are in test_collections_security.py, test_collections_api.py
and test_collections_at_once.py."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select

from selfscore.collect.access import Access
from selfscore.collect.models import Submission
from selfscore.web import create_app
from support.collection_web import (
    PASSWORD,
    UNITS,
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
    app = create_app(collections=database, processes=0, public_url=public_url)  # links, not workers: checks in threads
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



def test_export_is_json_with_the_counts(reviewer):
    collection_id = create(reviewer)
    response = reviewer.get(f"/collections/{collection_id}/export.json")
    assert json.loads(response.content)["counts"]["missing"] == 3


def test_an_oversized_or_missing_upload_through_a_link_is_refused_and_nothing_is_stored(database, tmp_path):
    Access(database).set_password(PASSWORD)
    app = create_app(collections=database, processes=1, max_upload_bytes=20_000)
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

