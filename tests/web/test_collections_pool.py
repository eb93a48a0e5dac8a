"""Unit-link submissions on a real `selfscore serve` share the worker pool of every other check: checked in a worker
process, refused with the queue-full 503 in a rush, stopped at the time limit and stored saying so."""

from __future__ import annotations

import re
import threading

from click.testing import CliRunner

from selfscore.cli import main
from support.collection_web import client, new_collection, serve, unit_rows, upload, workbook
from support.live_server import XLSX, Server


def submit_in_background(server: Server, link: str, data: bytes, results: list) -> threading.Thread:
    def post() -> None:
        with client(server) as clerk:
            results.append(upload(clerk, link, data, "慢.xlsx"))

    thread = threading.Thread(target=post, daemon=True)
    thread.start()
    return thread


def test_a_unit_submission_is_checked_in_a_worker_and_a_rush_beyond_the_queue_gets_503(tmp_path, database_args, slow_bytes):
    with serve(tmp_path, database_args, "--processes", "1", "--queue", "0") as server:
        reviewer, collection_id, unit_links = new_collection(server)
        with client(server) as clerk:  # one unit in already, so that there is a summary to make
            assert "通过" in upload(clerk, unit_links["修武县"], workbook(tmp_path, "修武县", unit="修武县"), "修武县.xlsx").text
        created = CliRunner().invoke(main, ["admin", "create-token", *database_args, "程序"])
        assert created.exit_code == 0, created.output
        api_token = created.output.strip().splitlines()[-1]
        results: list = []
        thread = submit_in_background(server, unit_links["温县"], slow_bytes, results)
        # The pool's own counters say a worker process is running it (a check in a thread of the web process never
        # shows there), and the light routes answer while it runs.
        server.wait_for(lambda checks: checks["running"] == 1 and checks["admitted"] == 1)
        with server.workers_held():  # the slow check stays in flight, the queue full, however long the test takes
            assert server.client.get("/healthz").status_code == 200 and server.client.get("/").status_code == 200

            # The queue is full: another unit's clerk is told to come back, on a Chinese page with Retry-After ...
            with client(server) as clerk:
                refused = upload(clerk, unit_links["孟州市"], workbook(tmp_path, "孟州市", unit="孟州市"), "孟州市.xlsx")
            assert refused.status_code == 503 and int(refused.headers["retry-after"]) >= 1
            assert re.search(r"当前校验任务较多，请 \d+ 秒后重试", refused.text) and 'lang="zh-CN"' in refused.text
            # ... and a program's check waits in the same queue: the unit's check counts against it.
            api = server.client.post("/api/check", files=[("files", ("温县.xlsx", workbook(tmp_path, "温县", unit="温县"), XLSX))])
            assert api.status_code == 503
            seconds = int(api.headers["retry-after"])
            assert api.json()["error"] == {"code": "busy", "message": f"当前校验任务较多，请 {seconds} 秒后重试。",
                                           "retry_after": seconds}
            # The reviewer's summary workbook is made in the same pool, so it waits its turn too (page and API).
            summary_page = reviewer.get(f"/collections/{collection_id}/summary.xlsx")
            assert summary_page.status_code == 503 and "当前校验任务较多" in summary_page.text and summary_page.headers["retry-after"]
            summary_api = reviewer.get(f"/api/collections/{collection_id}/summary.xlsx", headers={"Authorization": f"Bearer {api_token}"})
            assert summary_api.status_code == 503 and summary_api.json()["error"]["code"] == "busy"
            assert server.health()["checks"]["running"] == 1  # still the slow one: nothing was refused after waiting

        thread.join(120)
        # checked to the end: the slow workbook is correct but names 测试市, not 温县, so the reviewer must accept it
        assert results[0].status_code == 200 and "需人工确认" in results[0].text, results[0].text[:500]
        # The refused upload was not stored; sent again once the queue has room, it is.
        rows = unit_rows(reviewer, collection_id)
        assert rows["温县"]["status"] == "review" and rows["孟州市"]["status"] == "missing"
        with client(server) as clerk:
            again = upload(clerk, unit_links["孟州市"], workbook(tmp_path, "孟州市", unit="孟州市"), "孟州市.xlsx")
        assert again.status_code == 200 and "通过" in again.text
        assert reviewer.get(f"/collections/{collection_id}/summary.xlsx").headers["content-type"] == XLSX
        row = unit_rows(reviewer, collection_id)["孟州市"]
        assert row["status"] == "ok" and row["resubmissions"] == "0"  # one submission: the refused one left no row
        checks = server.health()["checks"]
        assert checks["admitted"] == 0 and checks["running"] == 0
        reviewer.close()


def test_a_unit_submission_over_the_time_limit_is_stopped_and_stored_saying_so(tmp_path, database_args, slow_bytes):
    # the slow workbook takes about 1.6 s on an idle core with today's checker (a 1.5 s limit left no margin), a
    # small one 0.1 s (workers warm up before taking uploads)
    with serve(tmp_path, database_args, "--processes", "1", "--check-timeout", "0.8") as server:
        reviewer, collection_id, unit_links = new_collection(server)
        workers_before = set(server.children())
        with client(server) as clerk:
            result = upload(clerk, unit_links["温县"], slow_bytes, "慢.xlsx")
            assert result.status_code == 200 and "/submissions/" in result.url.path
            assert "无法读取" in result.text and "校验这个文件超过 0.8 秒仍未完成，已停止" in result.text
            # the submission is not lost: the reviewer sees it, with the unit's original bytes as received
            rows = unit_rows(reviewer, collection_id)
            assert rows["温县"]["status"] == "unreadable"
            history = reviewer.get(f"/collections/{collection_id}").text
            original = re.search(r'href="(\d+/submissions/\d+/original)"', history).group(1)
            assert reviewer.get(f"/collections/{original}").content == slow_bytes
            # its worker was killed and replaced; the unit's corrected file is checked by a fresh one
            fixed = upload(clerk, unit_links["温县"], workbook(tmp_path, "温县", unit="温县"), "温县.xlsx")
        assert fixed.status_code == 200 and "通过" in fixed.text
        assert set(server.children()) != workers_before
        assert unit_rows(reviewer, collection_id)["温县"]["resubmissions"] == "1"
        reviewer.close()
