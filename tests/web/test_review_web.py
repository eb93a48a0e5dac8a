"""The review (复核) through the web, in-process (TestClient), on SQLite and PostgreSQL: the reviewer's forms on a
submission's page, what the clerk sees on the link page after a return and a sign-off, and the JSON API."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import urljoin

from openpyxl import load_workbook

from support.collection_web import ADMIN, client_of, create, form_token, links, unit_rows, upload, workbook
from support.helpers import TABLE_IDS, make_workbook

LATE = {"report_complete": "否", "report_days_late": 1}


def _latest_submission(reviewer, collection_id: int, unit: str) -> str:
    page = reviewer.get(f"/collections/{collection_id}").text
    row = re.search(rf'<tr data-unit="{unit}".*?</tr>', page, re.S).group(0)
    return re.search(r'href="\d+/submissions/(\d+)"', row).group(1)


def _unit_id(reviewer, collection_id: int, unit: str) -> str:
    page = reviewer.get(f"/collections/{collection_id}").text
    return re.search(rf'<tr data-unit="{unit}".*?href="\d+/units/(\d+)"', page, re.S).group(1)


def _text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", response.text))


def test_the_reviewer_scores_returns_and_signs_off_and_the_clerk_sees_it(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    unit_links = links(reviewer, collection_id)
    with client_of(app) as clerk:
        upload(clerk, unit_links["温县"], workbook(tmp_path, "late", facts=LATE, scores={"report_submission": 2}, unit="温县"))
        upload(clerk, unit_links["修武县"], workbook(tmp_path, "wrong", scores={"funds_raising": 8}, total=98, unit="修武县"))
    assert unit_rows(reviewer, collection_id)["温县"]["review_state"] == "待复核"
    assert unit_rows(reviewer, collection_id)["孟州市"]["review_state"] == "未提交"

    # 需人工确认: the form refuses a score outside the range, in Chinese, and keeps what was typed
    submission = _latest_submission(reviewer, collection_id, "温县")
    page = reviewer.get(f"/collections/{collection_id}/submissions/{submission}")
    assert 'id="score-report_submission"' in page.text and "复核得分（0～4）" in page.text
    form = f"/collections/{collection_id}/submissions/{submission}/scores/report_submission"
    refused = reviewer.post(form, data={"csrf_token": reviewer.csrf, "score": "5", "reason": ""})
    assert refused.status_code == 400 and "超出允许的范围：应在 0～4 分之间" in refused.text and 'value="5"' in refused.text
    # the refused page's own form (rendered at the form's address) posts to the same place
    action = re.search(r'action="([^"]+/scores/report_submission)"', refused.text).group(1)
    assert urljoin(str(refused.url), action).endswith(form)
    saved = reviewer.post(form, data={"csrf_token": reviewer.csrf, "score": "3", "reason": ""})
    assert saved.status_code == 200 and saved.url.fragment == "score-report_submission"
    assert "复核合计：98" in _text(saved)
    # another indicator: a different score needs a reason
    other = f"/collections/{collection_id}/submissions/{submission}/scores/funds_raising"
    refused = reviewer.post(other, data={"csrf_token": reviewer.csrf, "score": "9", "reason": " "})
    assert refused.status_code == 400 and "请填写调整理由" in refused.text
    saved = reviewer.post(other, data={"csrf_token": reviewer.csrf, "score": "9", "reason": "到位资金证明不全"})
    assert "复核合计：97" in _text(saved) and ADMIN in saved.text and "到位资金证明不全" in saved.text

    # 审核通过 of the unit (the link's form token taken before: the signed-off page has no form)
    with client_of(app) as clerk:
        link_token = form_token(clerk.get(unit_links["温县"]).text)
    unit = _unit_id(reviewer, collection_id, "温县")
    signed = reviewer.post(f"/collections/{collection_id}/units/{unit}/review/sign-off", data={"csrf_token": reviewer.csrf})
    assert signed.status_code == 200 and 'data-state="signed_off"' in signed.text and "审核通过" in signed.text
    with client_of(app) as clerk:
        page = clerk.get(unit_links["温县"])
        assert 'id="signed-off"' in page.text and 'id="upload"' not in page.text
        refused = clerk.post(unit_links["温县"], data={"csrf_token": link_token},
                             files={"file": ("温县.xlsx", workbook(tmp_path, "again", unit="温县"), "application/octet-stream")})
        assert refused.status_code == 403 and "已审核通过，不再接收提交" in refused.text

    # 修武县 has an error: sign-off is refused without an override reason; it is returned with a note instead
    wrong = _latest_submission(reviewer, collection_id, "修武县")
    unit = _unit_id(reviewer, collection_id, "修武县")
    refused = reviewer.post(f"/collections/{collection_id}/units/{unit}/review/sign-off", data={"csrf_token": reviewer.csrf})
    assert refused.status_code == 400 and "不能审核通过：最新提交有 1 个错误" in refused.text
    returned = reviewer.post(f"/collections/{collection_id}/units/{unit}/review/return",
                             data={"csrf_token": reviewer.csrf, "note": "资金筹集得分算错了，请按到位资金重新计算。"})
    assert 'data-state="returned"' in returned.text
    assert unit_rows(reviewer, collection_id)["修武县"]["review_state"] == "退回修改"
    with client_of(app) as clerk:
        page = clerk.get(unit_links["修武县"]).text
        assert page.index('id="returned-note"') < page.index('id="upload"')
        assert "资金筹集得分算错了" in page and 'id="to-fix"' in page and "资金筹集" in page.split('id="to-fix"')[1]
        fixed = upload(clerk, unit_links["修武县"], workbook(tmp_path, "right", unit="修武县"))
        assert fixed.status_code == 200
        assert 'id="returned"' not in clerk.get(unit_links["修武县"]).text
    resubmitted = _latest_submission(reviewer, collection_id, "修武县")
    assert resubmitted != wrong
    page = reviewer.get(f"/collections/{collection_id}/submissions/{resubmitted}")
    assert 'data-state="pending"' in page.text
    assert re.search(r"已改正 <strong>1</strong> 个，仍存在 <strong>0</strong> 个；本次新发现 <strong>0</strong> 个", page.text)
    history = reviewer.get(f"/collections/{collection_id}/units/{unit}").text
    assert "退回修改（资金筹集得分算错了" in history and ADMIN in history
    # the old submission is shown, not reviewed
    old = reviewer.get(f"/collections/{collection_id}/submissions/{wrong}").text
    assert 'id="not-latest"' in old and "score-form" not in old


def test_a_workbook_of_another_table_is_an_error_for_the_clerk(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    other = make_workbook(tmp_path / "other.xlsx", TABLE_IDS[1], unit="温县").read_bytes()
    with client_of(app) as clerk:
        result = upload(clerk, links(reviewer, collection_id)["温县"], other)
    assert "有错误" in result.text and "请下载本链接页上的模板重新填写" in result.text
    assert unit_rows(reviewer, collection_id)["温县"]["status"] == "errors"


def test_a_workbook_naming_another_unit_is_accepted_by_the_reviewer(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    with client_of(app) as clerk:
        upload(clerk, links(reviewer, collection_id)["温县"], workbook(tmp_path, "jz", unit="焦作市"))
    assert unit_rows(reviewer, collection_id)["温县"]["status"] == "review"
    submission = _latest_submission(reviewer, collection_id, "温县")
    accepted = reviewer.post(f"/collections/{collection_id}/submissions/{submission}/accept",
                             data={"csrf_token": reviewer.csrf, "reason": "市局代填，已电话确认"})
    assert accepted.status_code == 200 and "确认接受：市局代填，已电话确认" in accepted.text and 'id="blockers"' not in accepted.text
    download = reviewer.get(f"/collections/{collection_id}/review-results.xlsx")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(download.content)).worksheets[0]
    assert any("工作簿填写：焦作市" in str(cell.value) for row in sheet.iter_rows() for cell in row)


def test_another_unit_and_year_are_said_once_on_each_page_where_the_reviewer_decides_them(reviewer, app, tmp_path):
    collection_id = create(reviewer)
    with client_of(app) as clerk:
        result = upload(clerk, links(reviewer, collection_id)["温县"], workbook(tmp_path, "jz", unit="焦作市", year=2019))
        other = upload(clerk, links(reviewer, collection_id)["孟州市"],
                       make_workbook(tmp_path / "other.xlsx", TABLE_IDS[1], unit="孟州市").read_bytes())
    unit, year = "工作簿中填写的单位是「焦作市」", "工作簿中的评价年度是 2019"
    clerk_page = _text(result)
    assert clerk_page.count(unit) == 1 and clerk_page.count(year) == 1
    assert "需复核人员确认" in clerk_page and "需要人工确认：。" not in clerk_page
    submission = _latest_submission(reviewer, collection_id, "温县")
    page = reviewer.get(f"/collections/{collection_id}/submissions/{submission}")
    reviewer_page = _text(page)
    assert reviewer_page.count(unit) == 1 and reviewer_page.count(year) == 1
    box = re.search(r'<div class="alert notice" role="note" id="identity">.*?</div>', page.text, re.S).group(0)
    assert unit in box and year in box and "确认接受这份工作簿" in box  # said where the reviewer accepts or returns it
    # another table: once, at the top of the clerk's page, red, not again in the list of findings
    other_page = _text(other)
    assert other_page.count("本次收集的是") == 1 and "本次收集要求的是" not in other_page
    assert re.search(r'<div class="alert collection-notice" role="note">提交的是', other.text)


def test_every_decision_through_the_json_api(api, tmp_path):
    created = api.post("/api/collections", json={"name": "API 复核", "year": 2020, "tables": [TABLE_IDS[0]], "units": ["温县", "孟州市"]})
    units = {unit["name"]: unit for unit in created.json()["units"]}
    token = units["温县"]["link"].rsplit("/", 1)[1]
    with client_of(api.app) as clerk:
        upload(clerk, f"/u/{token}", workbook(tmp_path, "late", facts=LATE, scores={"report_submission": 2}, unit="温县"))
    collection_id, unit_id = created.json()["collection"]["id"], units["温县"]["id"]
    review = api.get(f"/api/collections/{collection_id}/units/{unit_id}/review").json()
    assert review["state"] == "pending" and review["review"]["review_total"] is None
    submission = review["latest_submission"]
    scores = f"/api/collections/{collection_id}/submissions/{submission}/scores"
    refused = api.post(f"{scores}/report_submission", json={"score": 7})
    assert refused.status_code == 400 and "超出允许的范围" in refused.json()["error"]["message"]
    assert api.post(f"{scores}/report_submission", json={"score": 3}).json()["review_total"] == 98
    refused = api.post(f"{scores}/funds_raising", json={"score": "9"})
    assert refused.status_code == 400 and "请填写调整理由" in refused.json()["error"]["message"]
    changed = api.post(f"{scores}/funds_raising", json={"score": "9", "reason": "证明不全"}).json()
    funds = next(item for item in changed["indicators"] if item["indicator"] == "funds_raising")
    assert (changed["review_total"], funds["reason"], funds["decision"]["decided_by"]) == (97, "证明不全", ADMIN)  # the token's owner
    base = f"/api/collections/{collection_id}/units/{unit_id}"
    assert api.post(f"{base}/return", json={}).status_code == 400
    assert api.post(f"{base}/return", json={"note": "请补充证明"}).json()["state"] == "returned"
    assert api.post(f"{base}/reopen", json={}).json()["state"] == "pending"
    signed = api.post(f"{base}/sign-off", json={}).json()
    assert signed["state"] == "signed_off" and [a["action"] for a in signed["actions"]] == ["sign_off", "reopen", "return"]
    ranked = api.get(f"/api/collections/{collection_id}/review-results").json()["tables"][0]["units"][0]
    assert (ranked["unit"], ranked["rank"]) == ("温县", 1)
    assert api.post(f"{base}/reopen", json={"note": "补交"}).json()["state"] == "pending"
    assert api.get(f"/api/collections/{collection_id}").json()["units"][0]["review_state"] == "pending"
    results = api.get(f"/api/collections/{collection_id}/review-results").json()
    assert [unit["unit"] for unit in results["tables"][0]["units"]] == ["温县"] and results["tables"][0]["units"][0]["review_total"] == 97
    assert results["tables"][0]["units"][0]["rank"] is None  # reopened: no longer signed off, so no rank
    assert [unit["unit"] for unit in results["not_done"]] == ["温县", "孟州市"]
    book = load_workbook(io.BytesIO(api.get(f"/api/collections/{collection_id}/review-results.xlsx").content))
    assert book.sheetnames[-1] == "未审核单位"
    schema = api.get("/openapi.json").json()
    assert "/api/collections/{collection_id}/units/{unit_id}/sign-off" in schema["paths"]
    assert "UnitReview" in schema["components"]["schemas"]
