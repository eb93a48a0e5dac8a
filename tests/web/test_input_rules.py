"""What enters the collections, in the web app on SQLite and PostgreSQL: unit names in NFC wherever they come from (the
form, the API, a workbook's 填报单位), and API refusals that name the field in Chinese."""

from __future__ import annotations

import unicodedata

import pytest

from support.collection_web import client_of, create, links, upload, workbook
from support.helpers import TABLE_IDS

NFC, NFD = "café", "cafe\u0301"  # one name, typed two ways: é precomposed, or e and a combining accent


def test_the_two_spellings_are_really_different_strings():
    assert NFC != NFD and unicodedata.normalize("NFC", NFD) == NFC


def test_a_unit_typed_in_either_form_on_the_page_is_one_unit(reviewer):
    twice = reviewer.post("/collections", data={"csrf_token": reviewer.csrf, "name": "两种写法", "year": "2020",
                                                "tables": [TABLE_IDS[0]], "units": f"{NFC}\n{NFD}"})
    assert twice.status_code == 400 and f"第 2 行的单位「{NFC}」与第 1 行重复" in twice.text
    collection_id = create(reviewer, units=f"{NFD}\n温县")
    assert list(links(reviewer, collection_id)) == [NFC, "温县"]


def test_a_unit_sent_in_either_form_through_the_api_is_one_unit(api):
    twice = api.post("/api/collections", json={"name": "两种写法", "year": 2020, "tables": [TABLE_IDS[0]], "units": [NFC, NFD]})
    assert twice.status_code == 400 and twice.json()["error"]["message"] == (
        f"字段 units（单位）第 2 项的单位「{NFC}」与字段 units（单位）第 1 项重复；每个单位只能列一次。")
    created = api.post("/api/collections", json={"name": "一种写法", "year": 2020, "tables": [TABLE_IDS[0]], "units": [NFD]})
    assert [unit["name"] for unit in created.json()["units"]] == [NFC]


@pytest.mark.parametrize(("unit", "written"), [(NFD, NFC), (NFC, NFD)])
def test_a_workbook_naming_its_unit_in_the_other_form_is_that_units(api, app, tmp_path, unit, written):
    created = api.post("/api/collections", json={"name": "填报单位", "year": 2020, "tables": [TABLE_IDS[0]], "units": [unit]}).json()
    link = created["units"][0]["link"].replace("http://testserver", "")
    with client_of(app) as clerk:
        result = upload(clerk, link, workbook(tmp_path, "a", unit=written))
    assert result.status_code == 200 and "工作簿中填写的单位是" not in result.text and "通过" in result.text
    status = api.get(f"/api/collections/{created['collection']['id']}").json()
    assert status["units"][0]["status"] == "ok"  # not 需人工确认: no one has to accept their own name


GOOD = {"name": "焦作市2020年度城镇保障性安居工程绩效自评", "year": 2020, "tables": [TABLE_IDS[0]], "units": ["温县"]}


@pytest.mark.parametrize(("change", "said"), [
    ({"year": 1900}, "字段 year（评价年度）无效：收到 1900，应为 2000～2100 之间的整数"),
    ({"year": "二〇二〇"}, "字段 year（评价年度）无效：收到 \"二〇二〇\""),
    ({"name": "名" * 201}, "字段 name（收集名称）无效"),
    ({"name": None}, "字段 name（收集名称）无效：收到 null，应为 1～200 个字符的文本"),
    ({"tables": "shantytown"}, "字段 tables（表格）无效：收到 \"shantytown\"，应为表格编号的列表"),
    ({"units": ["温县", 3]}, "字段 units（单位）第 2 项无效：收到 3，应为文本"),
    ({"units": None}, "字段 units（单位）无效"),
])
def test_the_api_names_the_wrong_field_in_chinese(api, change, said):
    response = api.post("/api/collections", json={**GOOD, **change})
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    message = response.json()["error"]["message"]
    assert said in message and "multipart" not in message and "steps" not in message


def test_the_api_names_a_missing_field_and_a_body_that_is_not_json(api):
    missing = api.post("/api/collections", json={key: value for key, value in GOOD.items() if key != "year"})
    assert missing.json()["error"]["message"] == "缺少字段 year（评价年度）：应为 2000～2100 之间的整数，如 2020。"
    broken = api.post("/api/collections", content=b"{name: oops", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and "请求体应为 JSON 对象" in broken.json()["error"]["message"]
    path = api.post("/api/collections/abc/close")
    assert path.status_code == 400 and "字段 collection_id（收集编号）无效：收到 \"abc\"，应为正整数" in path.json()["error"]["message"]
    score = api.post("/api/collections/1/submissions/1/scores/x", json={"score": [1], "reason": ""})
    assert "字段 score（复核得分）" in score.json()["error"]["message"]


def test_the_check_api_keeps_its_own_hint_for_a_request_without_a_file(anonymous):
    answer = anonymous.post("/api/check", data={"steps": "ceil"})
    assert answer.status_code == 400 and "multipart/form-data" in answer.json()["error"]["message"]
