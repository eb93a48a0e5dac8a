"""The hostile-input corpus of tests/corpus.py through the web: the JSON API, the marked-up download and the form.

Every case must get an answer, never a 5xx: a 4xx that carries the case's Chinese reason when the file cannot be
read, a 200 with the case's finding when it can; and a marked-up copy the web hands out keeps every original cell
and holds no formula the original did not have.
"""

from __future__ import annotations

import html
import io
import os
import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from selfscore.read.formats import sniff
from selfscore.web import DEFAULT_MAX_UPLOAD_BYTES, create_app
from support import corpus, harness

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: what a checked file's report says for each exit code of `selfscore check`


def _available(case: harness.Case) -> bool:
    return all(harness.has(tool) for tool in case.needs)


def _require(case: harness.Case) -> None:
    if not _available(case):
        missing = ", ".join(tool for tool in case.needs if not harness.has(tool))
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is required in CI for the corpus case {case.name}")
        pytest.skip(f"needs {missing}")


@pytest.fixture(scope="module")
def corpus_bytes(tmp_path_factory) -> dict[str, bytes]:
    """Every available case built once, as many at a time as there are cores."""
    directory = tmp_path_factory.mktemp("web-corpus")
    cases = [case for case in corpus.CASES if _available(case)]
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
        paths = pool.map(lambda case: harness.built(case, directory / f"{case.name}.xlsx"), cases)
        return {case.name: path.read_bytes() for case, path in zip(cases, paths, strict=True)}


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app(), raise_server_exceptions=False) as test_client:
        yield test_client




def _oversize(data: bytes) -> bool:
    return len(data) > DEFAULT_MAX_UPLOAD_BYTES


@pytest.mark.parametrize("case", corpus.CASES, ids=[case.name for case in corpus.CASES])
def test_corpus_case_through_the_web(case: harness.Case, corpus_bytes: dict[str, bytes], client: TestClient):
    _require(case)
    data = corpus_bytes[case.name]
    name = f"{case.name}.xlsx"

    # --- the JSON API ---
    response = client.post("/api/check", files=[("files", (name, data, XLSX))])
    assert response.status_code < 500, response.text[:500]
    body = response.json()
    if _oversize(data):  # the web's own cap answers first, before anything is read
        assert response.status_code == 413
        assert body["error"]["code"] == "file_too_large" and "太大" in body["error"]["message"]
    elif case.exit_code == 2:
        assert response.status_code == 422, response.text[:500]
        (report,) = body["reports"]
        harness.assert_report_matches(case, report)
        assert body["error"]["code"] == "unreadable" and case.phrase in body["error"]["message"]
    else:
        assert response.status_code == 200, response.text[:500]
        (report,) = body["reports"]
        harness.assert_report_matches(case, report)
        assert "error" not in body

    # --- the marked-up workbook ---
    single = client.post("/api/check.xlsx", files=[("file", (name, data, XLSX))])
    assert single.status_code < 500, single.text[:500]
    if _oversize(data):
        assert single.status_code == 413 and single.json()["error"]["code"] == "file_too_large"
    elif case.exit_code == 2:
        assert single.status_code == 422 and single.headers["content-type"].startswith("application/json")
        assert single.json()["error"]["code"] == "unreadable" and case.phrase in single.json()["error"]["message"]
    else:
        assert single.status_code == 200 and single.headers["content-type"] == XLSX
        assert single.headers["x-selfscore-status"] == case.status
        if sniff(data) == "xlsx":  # a .xls/.ods upload gets a rebuilt template, not its own cells back
            # every original cell kept, and no formula cell the original did not have
            harness.assert_preserved(data, single.content)
        if case.code == "content_not_preserved":
            results = load_workbook(io.BytesIO(single.content))["校验结果"]
            assert any(case.phrase in str(cell.value) for row in results.iter_rows() for cell in row)

    # --- the form for people ---
    page = client.post("/check", files=[("files", (name, data, XLSX))], data={"steps": "ceil"})
    assert page.status_code < 500, page.text[:500]
    text = html.unescape(page.text)
    assert "Traceback" not in text
    downloads = re.findall(r'href="/download/([A-Za-z0-9_-]+)"', page.text)
    if _oversize(data):
        assert page.status_code == 413 and f"「{name}」太大" in text and not downloads
    elif case.exit_code == 2:
        # a result page: the file's reason is shown in Chinese beside it, and there is nothing to download
        assert page.status_code == 200 and case.phrase in text and not downloads
    else:
        assert page.status_code == 200 and len(downloads) == 1
        if case.phrase:
            assert case.phrase in text


def test_the_library_cap_answers_when_the_web_cap_is_wider(corpus_bytes: dict[str, bytes]):
    """With `--max-upload-mb` above the library's 20 MB file cap, the library's own reason comes back."""
    (case,) = [case for case in corpus.CASES if case.name == "file_over_20mb"]
    data = corpus_bytes[case.name]
    with TestClient(create_app(max_upload_bytes=len(data) + 1, processes=1), raise_server_exceptions=False) as wide:
        response = wide.post("/api/check", files=[("files", ("big.xlsx", data, XLSX))])
    assert response.status_code == 422
    (report,) = response.json()["reports"]
    harness.assert_report_matches(case, report)


def test_the_whole_corpus_in_one_request_answers_every_file(corpus_bytes: dict[str, bytes], client: TestClient):
    """One request with every file small enough (and cheap enough) to check: one report per file, in order."""
    cheap = [name for name, data in corpus_bytes.items()
             if not _oversize(data) and name not in ("cells_at_caps_with_formula", "cells_30k_allowed")]
    files = [("files", (f"{name}.xlsx", corpus_bytes[name], XLSX)) for name in cheap]
    response = client.post("/api/check", files=files)
    assert response.status_code == 422
    reports = response.json()["reports"]
    assert [report["file"] for report in reports] == [f"{name}.xlsx" for name in cheap]
    cases = {case.name: case for case in corpus.CASES}
    assert [report["status"] for report in reports] == [cases[name].status for name in cheap]
